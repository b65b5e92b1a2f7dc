import type { AnyAnalysis, Json } from './analysis';
import {
  attributionAnalysis,
  DEFAULT_ATTRIBUTION_JSON,
  type AttributionSettingsJson,
} from './attribution/attributionAnalysis';
import { attentionAnalysis } from './attention/attention';
import { headImportanceAnalysis } from './head-importance/headImportance';
import { interactionMaskAnalysis, type InteractionSettings } from './interaction-mask/interactionMask';
import { periodMaskAnalysis } from './period-mask/periodMask';
import { DEFAULT_PROBING_JSON, probingAnalysis, type ProbingSettingsJson } from './probing/probingAnalysis';
import { DEFAULT_FUSION_WEIGHT, rerankAnalysis, type RerankSettings } from './rerank/rerank';

/**
 * Every dataset analysis by its CLI name, built from stored settings (`ranklens merge` rebuilds the analysis
 * of a set of partials this way). Settings not given take the analysis's defaults.
 */
export const ANALYSES: Readonly<Record<string, (settings: Json | undefined) => AnyAnalysis>> = {
  rerank: (settings) =>
    rerankAnalysis({
      fusionWeight: DEFAULT_FUSION_WEIGHT,
      ...((settings ?? {}) as Partial<RerankSettings>),
    }),
  attention: () => attentionAnalysis(),
  'period-mask': () => periodMaskAnalysis(),
  'head-importance': () => headImportanceAnalysis(),
  'interaction-mask': (settings) =>
    interactionMaskAnalysis({ kind: 'attention', ...((settings ?? {}) as Partial<InteractionSettings>) }),
  attribution: (settings) =>
    attributionAnalysis({
      ...DEFAULT_ATTRIBUTION_JSON,
      ...((settings ?? {}) as Partial<AttributionSettingsJson>),
    }),
  probing: (settings) =>
    probingAnalysis({
      heldOut: [],
      ...DEFAULT_PROBING_JSON,
      ...((settings ?? {}) as Partial<ProbingSettingsJson>),
    }),
};

export function createAnalysis(name: string, settings?: Json): AnyAnalysis {
  const make = ANALYSES[name];
  if (!make) throw new Error(`unknown analysis "${name}" (known: ${Object.keys(ANALYSES).join(', ')})`);
  return make(settings);
}
