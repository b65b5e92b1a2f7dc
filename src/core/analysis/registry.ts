import type { AnyAnalysis, Json } from './analysis';
import { headImportanceAnalysis } from './headImportance';
import { periodMaskAnalysis } from './periodMask';
import { DEFAULT_FUSION_WEIGHT, rerankAnalysis, type RerankSettings } from './rerank';

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
  'period-mask': () => periodMaskAnalysis(),
  'head-importance': () => headImportanceAnalysis(),
};

export function createAnalysis(name: string, settings?: Json): AnyAnalysis {
  const make = ANALYSES[name];
  if (!make) throw new Error(`unknown analysis "${name}" (known: ${Object.keys(ANALYSES).join(', ')})`);
  return make(settings);
}
