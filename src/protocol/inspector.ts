import { attributionResult, baseline, pairFields } from './attribution';
import { attentionTensor, viewToken } from './attention';
import { defineProtocol } from './endpoint';
import * as v from './validate';

/** A group of positions a what-if masks: a kind of token, or the tokens the user clicked. */
export const maskTarget = v.variants('group', {
  all: v.empty,
  query: v.empty,
  document: v.empty,
  periods: v.empty,
  sep: v.empty,
  cls: v.empty,
  /** Token type 0: [CLS], the query, the middle [SEP] (Figure 4's query side). */
  'query-side': v.empty,
  /** Token type 1: the passage, the final [SEP] (Figure 4's document side). */
  'document-side': v.empty,
  picked: v.object({ positions: v.array(v.integer) }),
});
export type MaskTarget = v.Infer<typeof maskTarget>;

/**
 * One what-if: mask attention from one group to another in the first `layers` layers (the paper's token
 * mask: -inf before softmax; attention mask: 0 after softmax), and/or replace the passage's periods with
 * commas.
 */
export const whatIfSpec = v.object({
  mask: v.optional(
    v.object({
      kind: v.literal('token', 'attention'),
      from: maskTarget,
      to: maskTarget,
      /** The first this-many layers (1..L). */
      layers: v.integer,
      /** Also from `to` to `from`: the two groups stop attending to each other. */
      bothWays: v.optional(v.boolean),
    }),
  ),
  replacePeriods: v.boolean,
});
export type WhatIfSpec = v.Infer<typeof whatIfSpec>;

export const candidateRank = v.object({
  /** 1-based rank among the candidates by the model's score. */
  rank: v.integer,
  of: v.integer,
});

/** One row of the what-if table. Its attention map is fetched on demand (`whatIfAttention`): at BERT-base size
 * a map is 37.7 MB, and the table may hold many rows. */
export const whatIfResult = v.object({
  id: v.integer,
  /** Plain words: "token mask from all to periods, layers 1-4". */
  label: v.string,
  score: v.number,
  sigmoid: v.optional(v.number),
  /** Rank if only this pair changed, among the other candidates' unchanged scores. */
  rank: v.optional(candidateRank),
  /** Rank when every candidate gets the same what-if (only for group masks and period replacement). */
  rankAllChanged: v.optional(candidateRank),
  /** Tokens of the changed pair (period replacement changes token kinds). */
  tokens: v.array(viewToken),
  ms: v.number,
  /** The dataset analysis of the same setting, as its button says it, when there is one ("run this over the split"). */
  overSplit: v.optional(v.string),
});
export type WhatIfResult = v.Infer<typeof whatIfResult>;

export const inspectedPair = v.object({
  ...pairFields,
  numHeads: v.integer,
  numLabels: v.literal(1, 2),
  tokens: v.array(viewToken),
  truncated: v.boolean,
  score: v.number,
  logits: v.numbers,
  sigmoid: v.optional(v.number),
  attention: attentionTensor,
});
export type InspectedPair = v.Infer<typeof inspectedPair>;

export const rankInfo = v.object({
  status: v.literal('none', 'computing', 'done', 'failed'),
  /** Why there is no rank, or what failed. */
  message: v.optional(v.string),
  run: v.optional(v.string),
  rank: v.optional(candidateRank),
  /** The pair's rank in the run file itself (e.g. BM25). */
  runRank: v.optional(v.integer),
});
export type RankInfo = v.Infer<typeof rankInfo>;

export const attributionState = v.object({
  status: v.literal('computing', 'done', 'failed', 'cancelled'),
  done: v.optional(v.integer),
  total: v.optional(v.integer),
  message: v.optional(v.string),
  result: v.optional(attributionResult),
  ms: v.optional(v.number),
});
export type AttributionState = v.Infer<typeof attributionState>;

export const attributionView = v.object({ layer: v.integer, baseline });

/** What the inspector reports about what it shows (tests and screenshots wait on it). */
export const inspectorSnapshot = v.object({
  scoreText: v.string,
  rankText: v.string,
  layer: v.integer,
  baseline: v.string,
  /** Token spans drawn in the query and passage texts, and how many are visibly coloured. */
  tokens: v.integer,
  visiblyColored: v.integer,
  whatIfs: v.array(v.object({ label: v.string, score: v.number, rank: v.optional(v.integer) })),
  /** Tokens picked for a what-if, and the what-if the controls would apply now. */
  picked: v.integer,
  maskKind: v.string,
  maskFrom: v.string,
  maskTo: v.string,
  maskLayers: v.integer,
  maskBothWays: v.boolean,
  /** The what-if (1-based table row) whose attention map is drawn beside the original, if any. */
  mapShown: v.optional(v.integer),
  theme: v.string,
  attributionStatus: v.string,
});
export type InspectorSnapshot = v.Infer<typeof inspectorSnapshot>;

/** The pair inspector: score, rank, IG by layer, and masking what-ifs for one query/passage pair. */
export const inspectorProtocol = defineProtocol({
  toView: {
    pair: inspectedPair,
    rank: rankInfo,
    attribution: attributionState,
    /**
     * The layer and baseline the editor's attribution decorations and hovers use (RankLens: Choose
     * Attribution Layer…): the slider and baseline switch follow it.
     */
    attributionView: attributionView,
    /** The what-ifs of this pair so far, oldest first (kept by the host, so they survive a reload). */
    whatIfs: v.object({ items: v.array(whatIfResult) }),
  },
  toHost: {
    rendered: inspectorSnapshot,
    undoWhatIf: v.empty,
    clearWhatIfs: v.empty,
    cancelAttribution: v.empty,
    showPassage: v.empty,
    /** Run what-if `id`'s setting over the pair's split as a dataset analysis (its row's button). */
    runOverSplit: v.object({ id: v.integer }),
    /** The user moved the layer slider or switched the baseline: the editor's decorations follow. */
    attributionView: attributionView,
  },
  hostRequests: {
    whatIf: { params: whatIfSpec, result: whatIfResult },
    /** The attention map of what-if `id` (kept by the host while it fits its budget, else recomputed). */
    whatIfAttention: { params: v.object({ id: v.integer }), result: attentionTensor },
  },
  viewRequests: {
    snapshot: { params: v.empty, result: inspectorSnapshot },
    /** Moves the layer slider as the user would. */
    setLayer: { params: v.object({ layer: v.integer }), result: inspectorSnapshot },
    /** Builds and applies a what-if as the controls would; answers with the table row once drawn. */
    applyWhatIf: { params: whatIfSpec, result: inspectorSnapshot },
    /**
     * A what-if the pair was opened with (a report's drill-down): the controls show it, and it is applied;
     * answers once its row is drawn.
     */
    presetWhatIf: { params: whatIfSpec, result: inspectorSnapshot },
    undoWhatIf: { params: v.empty, result: inspectorSnapshot },
  },
});
export type InspectorProtocol = typeof inspectorProtocol;
