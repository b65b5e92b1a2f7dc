import type { AnyAnalysis, Json } from './analysis';
import { attentionSpec } from './attention/spec';
import { attentionRelevanceSpec } from './attention-relevance/spec';
import { attributionSpec } from './attribution/spec';
import { headImportanceSpec } from './head-importance/spec';
import { interactionMaskSpec } from './interaction-mask/spec';
import { periodMaskSpec } from './period-mask/spec';
import { probingSpec } from './probing/spec';
import { rerankSpec } from './rerank/spec';
import type { AnalysisSpec } from './spec';

/**
 * Every dataset analysis, in the paper's order (the report's sections and the CLI's help follow it). Adding an
 * analysis is one folder exporting its AnalysisSpec and one line here.
 */
export const ANALYSIS_SPECS: readonly AnalysisSpec[] = [
  attentionSpec,
  attributionSpec,
  probingSpec,
  periodMaskSpec,
  interactionMaskSpec,
  headImportanceSpec,
  rerankSpec,
  attentionRelevanceSpec,
];

const BY_NAME = new Map(ANALYSIS_SPECS.map((spec) => [spec.name, spec]));

/** The spec of `name`, or undefined when no analysis has that name. */
export function findAnalysisSpec(name: string): AnalysisSpec | undefined {
  return BY_NAME.get(name);
}

export function analysisSpec(name: string): AnalysisSpec {
  const spec = BY_NAME.get(name);
  if (!spec) throw new Error(`unknown analysis "${name}" (known: ${[...BY_NAME.keys()].join(', ')})`);
  return spec;
}

/**
 * Every dataset analysis by its CLI name, built from stored settings (`ranklens merge` rebuilds the analysis
 * of a set of partials this way). Settings not given take the analysis's defaults.
 */
export const ANALYSES: Readonly<Record<string, (settings: Json | undefined) => AnyAnalysis>> =
  Object.fromEntries(
    ANALYSIS_SPECS.map((spec) => [spec.name, (settings: Json | undefined) => spec.create(settings)]),
  );

export function createAnalysis(name: string, settings?: Json): AnyAnalysis {
  return analysisSpec(name).create(settings);
}
