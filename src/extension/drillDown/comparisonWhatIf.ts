// Between the report's comparisons and the inspector's what-ifs, both ways: a comparison's change as the what-if
// that does the same to one pair, and a what-if as the dataset analysis that runs it over a split.
// No vscode import: unit-tested on its own.
import type { DrillTarget } from '../../core/report/drillDown';
import type { MaskTarget, WhatIfSpec } from '../../protocol/inspector';

type SideMask = { readonly from: MaskTarget; readonly to: MaskTarget; readonly bothWays?: true };

/**
 * Figure 4's directions as inspector masks, by the analysis's rule (interactionMask.ts): "query → doc" stops the
 * document side attending to the query side; "both" stops both.
 */
const INTERACTION_MASKS: Readonly<Record<string, SideMask>> = {
  'query-to-document': { from: { group: 'document-side' }, to: { group: 'query-side' } },
  'document-to-query': { from: { group: 'query-side' }, to: { group: 'document-side' } },
  both: { from: { group: 'query-side' }, to: { group: 'document-side' }, bothWays: true },
};

function interactionWhatIf(target: DrillTarget, numLayers: number): WhatIfSpec | undefined {
  const sides = INTERACTION_MASKS[target.setting];
  const layers = target.layers;
  if (!sides || layers === undefined) return undefined;
  if (!Number.isInteger(layers) || layers < 1 || layers > numLayers)
    throw new Error(
      `the drill-down masks the first 1-${numLayers} layers of this model, not ${layers}: is the report of a model with ${numLayers} layers?`,
    );
  return { mask: { kind: target.maskKind ?? 'attention', ...sides, layers }, replacePeriods: false };
}

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
  if (target.analysis === 'interaction-mask') {
    const spec = interactionWhatIf(target, numLayers);
    if (spec) return spec;
  }
  throw new Error(
    `the drill-down cannot redo "${target.setting}"${target.layers === undefined ? '' : ` in layers 1-${target.layers}`} of ${target.analysis} for one pair (only period masking's settings and interaction masking's directions at a depth)`,
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

const sameSides = (mask: NonNullable<WhatIfSpec['mask']>, sides: SideMask) =>
  mask.from.group === sides.from.group &&
  mask.to.group === sides.to.group &&
  Boolean(mask.bothWays) === Boolean(sides.bothWays);

/**
 * The dataset analysis of the same setting as a what-if, if there is one: periods → commas, or a token/attention
 * mask from every token to the periods in every layer, is a column of Table 1 (period masking); a mask between
 * the query and document sides in the first layers is a point of Figure 4 (interaction masking, every depth).
 */
export function analysisOfWhatIf(spec: WhatIfSpec, numLayers: number): AnalysisOfWhatIf | undefined {
  const periodMasking = {
    command: 'ranklens.analyzePeriodMasking',
    label: 'Run period masking (Table 1) over the split',
    settings: {},
  };
  if (!spec.mask) return spec.replacePeriods ? periodMasking : undefined;
  if (spec.replacePeriods) return undefined;
  const { from, to, layers } = spec.mask;
  if (from.group === 'all' && to.group === 'periods' && layers === numLayers) return periodMasking;
  const mask = spec.mask;
  if (Object.values(INTERACTION_MASKS).some((sides) => sameSides(mask, sides)))
    return {
      command: 'ranklens.analyzeInteractionMasking',
      label: 'Run interaction masking (Figure 4) over the split',
      settings: { kind: mask.kind },
    };
  return undefined;
}
