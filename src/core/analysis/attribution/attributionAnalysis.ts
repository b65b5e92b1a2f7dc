import type { Analysis } from '../analysis';
import { encodeChunk } from '../chunkCandidates';
import {
  attributionMap,
  defaultSelection,
  finalizeAttribution,
  mergeAttributionPartials,
  DEFAULT_ATTRIBUTION_SETTINGS,
  type AttributionAnalysisResult,
  type AttributionModel,
  type AttributionPartial,
  type RelevanceSelection,
} from './layerAttribution';
import type { Baseline } from '../../attribution';
import type { CanAttribute } from '../modelCapabilities';

/** Settings as stored in result files (JSON); `selection: null` = the default for the model's label count. */
export interface AttributionSettingsJson {
  readonly selection: RelevanceSelection | null;
  readonly layers: readonly number[] | 'all';
  readonly baselines: readonly Baseline[];
  readonly tolerance: number;
  readonly maxPoints: number | null;
  readonly pairsPerQuery: number;
}

export const DEFAULT_ATTRIBUTION_JSON: AttributionSettingsJson = {
  selection: null,
  layers: DEFAULT_ATTRIBUTION_SETTINGS.layers,
  baselines: DEFAULT_ATTRIBUTION_SETTINGS.baselines,
  tolerance: DEFAULT_ATTRIBUTION_SETTINGS.tolerance,
  maxPoints: null,
  pairsPerQuery: DEFAULT_ATTRIBUTION_SETTINGS.pairsPerQuery,
};

export function hasAttribute(scorer: unknown): scorer is CanAttribute {
  return typeof (scorer as Partial<CanAttribute>).attribute === 'function';
}

/** Analysis 2 for the runner: `ranklens analyze attribution`. */
export function attributionAnalysis(
  settings: AttributionSettingsJson = DEFAULT_ATTRIBUTION_JSON,
): Analysis<AttributionSettingsJson, AttributionPartial, AttributionAnalysisResult> {
  if (!(settings.tolerance > 0)) throw new Error(`tolerance ${settings.tolerance} must be positive`);
  if (!Number.isInteger(settings.pairsPerQuery) || settings.pairsPerQuery < 1)
    throw new Error(`pairs per query ${settings.pairsPerQuery} must be a positive integer`);
  const resolve = (numLabels: 1 | 2) => ({
    selection: settings.selection ?? defaultSelection(numLabels),
    layers: settings.layers,
    baselines: settings.baselines,
    tolerance: settings.tolerance,
    ...(settings.maxPoints !== null ? { maxPoints: settings.maxPoints } : {}),
    pairsPerQuery: settings.pairsPerQuery,
  });
  return {
    name: 'attribution',
    // Part of every cache key: partials and results of another version are never mixed (README: versions).
    version: 3,
    // Rank-based selection needs every candidate of the query scored.
    selection: 'candidates',
    settings,
    async map(chunk, context) {
      const { scorer } = context;
      if (!hasAttribute(scorer))
        throw new Error('the attribution analysis needs a model that computes Integrated Gradients');
      const model: AttributionModel = {
        info: scorer.info,
        score: (pairs, options) => scorer.score(pairs, options),
        attribute: (pair, options) => scorer.attribute(pair, options),
      };
      return attributionMap(encodeChunk(chunk, context), model, resolve(scorer.info.numLabels), {
        signal: context.signal,
        batchSize: context.batchSize,
        onPairs: context.onPairs,
      });
    },
    finish: (partials, run) =>
      finalizeAttribution(mergeAttributionPartials(partials), resolve(run.model.numLabels)),
  };
}
