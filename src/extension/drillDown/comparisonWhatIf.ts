// Between the report's comparisons and the inspector's what-ifs, both ways: a comparison's change as the what-if
// that does the same to one pair, and a what-if as the dataset analysis that runs it over a split.
// No vscode import: unit-tested on its own.
import type { DrillTarget } from '../../core/report/drillDown';
import type { WhatIfSpec } from '../../protocol/inspector';

/** The what-if that makes one pair what a comparison made it, or why there is none. */
export function whatIfOfComparison(target: DrillTarget, numLayers: number): WhatIfSpec {
  if (target.analysis === 'period-mask') {
    switch (target.setting) {
      case 'comma':
        return { replacePeriods: true };
      case 'token-mask':
      case 'attention-mask':
        // Table 1's masks: attention to the passage's periods, from every token, in every layer.
        return {
          mask: {
            kind: target.setting === 'token-mask' ? 'token' : 'attention',
            from: { group: 'all' },
            to: { group: 'periods' },
            layers: numLayers,
          },
          replacePeriods: false,
        };
    }
  }
  throw new Error(
    `the drill-down cannot redo "${target.setting}" of ${target.analysis} for one pair (only period masking's settings)`,
  );
}

/** Which candidates a comparison changes: period masking modifies only each query's relevant passages. */
export function changesOnlyRelevant(target: DrillTarget): boolean {
  return target.analysis === 'period-mask';
}

/** A palette analysis that runs a what-if's setting over a whole split. */
export interface AnalysisOfWhatIf {
  readonly command: string;
  /** The button's words. */
  readonly label: string;
  readonly settings: Record<string, string>;
}

/**
 * The dataset analysis of the same setting as a what-if, if there is one: periods → commas, or a token/attention
 * mask from every token to the periods in every layer, is a column of Table 1 (period masking).
 */
export function analysisOfWhatIf(spec: WhatIfSpec, numLayers: number): AnalysisOfWhatIf | undefined {
  const periodMasking = {
    command: 'ranklens.analyzePeriodMasking',
    label: 'Run period masking (Table 1) over the split',
    settings: {},
  };
  if (!spec.mask) return spec.replacePeriods ? periodMasking : undefined;
  const { from, to, layers } = spec.mask;
  if (!spec.replacePeriods && from.group === 'all' && to.group === 'periods' && layers === numLayers)
    return periodMasking;
  return undefined;
}
