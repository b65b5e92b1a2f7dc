import {
  comparePaired,
  meanInterval,
  significanceStatement,
  type MeanInterval,
  type PairedComparison,
  type SignificanceStatement,
} from '../eval/significance';
import type { MaskSpec } from '../runtime/types';
import type { Analysis, AnalysisContext, Chunk, RunDescription } from './analysis';
import { encodeChunkPairs, progressInPairs, reciprocalRanksByQuery } from './chunkCandidates';
import { sumInOrder } from './ranking';

export type MaskKind = MaskSpec['kind'];

export interface InteractionSettings {
  /** The paper uses the attention mask (zeroed after softmax) to keep redundant attention where it was. */
  readonly kind: MaskKind;
}

/**
 * The paper's three interaction masks. "A -> B" is the attention that weights A for B's context, so masking
 * query -> doc stops passage tokens attending to the query. The sides follow the paper's rule: [CLS] and the
 * middle [SEP] are on the query side (token type 0), the final [SEP] on the document side (token type 1), so
 * no route through a special token is left open.
 */
export const INTERACTION_DIRECTIONS = {
  'query-to-document': {
    description:
      'query -> doc: document-side tokens (passage, final [SEP]) cannot attend to the query side ([CLS], query, middle [SEP])',
    masks: [{ from: ['document-segment'], to: ['query-segment'] }],
  },
  'document-to-query': {
    description:
      'doc -> query: query-side tokens ([CLS], query, middle [SEP]) cannot attend to the document side',
    masks: [{ from: ['query-segment'], to: ['document-segment'] }],
  },
  both: {
    description: 'both directions: each side attends only to itself',
    masks: [
      { from: ['document-segment'], to: ['query-segment'] },
      { from: ['query-segment'], to: ['document-segment'] },
    ],
  },
} as const;
export type InteractionDirection = keyof typeof INTERACTION_DIRECTIONS;
const DIRECTIONS = Object.keys(INTERACTION_DIRECTIONS) as InteractionDirection[];

export function interactionMasks(direction: InteractionDirection, kind: MaskKind): MaskSpec[] {
  return INTERACTION_DIRECTIONS[direction].masks.map((m) => ({
    kind,
    layers: 'all',
    from: m.from,
    to: m.to,
  }));
}

export interface InteractionPartial {
  readonly qids: readonly string[];
  /** Per query: [direction][depth] reciprocal rank (depth 0 = unmasked, the same for every direction). */
  readonly reciprocalRanks: readonly (readonly (readonly number[])[])[];
}

export interface InteractionResult {
  readonly minRelevance: number;
  readonly queries: number;
  readonly kind: MaskKind;
  readonly rule: string;
  readonly significance: SignificanceStatement;
  /** MRR@10 with the mask in the first i layers, i = 0..L (index i). */
  readonly directions: Readonly<Record<InteractionDirection, InteractionDirectionResult>>;
  /** Each query's reciprocal rank: [direction][depth][query], queries in `qids` order. */
  readonly perQuery: {
    readonly qids: readonly string[];
    readonly reciprocalRanks: Readonly<Record<InteractionDirection, readonly (readonly number[])[]>>;
  };
}

export interface InteractionDirectionResult {
  readonly description: string;
  readonly mrr10: readonly number[];
  /** [depth]: MRR@10's bootstrap interval over queries. */
  readonly intervals: readonly MeanInterval[];
  /** [depth]: depth i against the unmasked model (depth 0), paired over queries; null at depth 0. */
  readonly vsUnmasked: readonly (PairedComparison | null)[];
}

/**
 * Analysis 5 (Figure 4): MRR@10 with query/document interactions masked in the first i layers, i = 0..L. Each
 * batch's masked prefix is computed once and every depth continues from it (Scorer.scoreByMaskDepth).
 */
export function interactionMaskAnalysis(
  settings: InteractionSettings = { kind: 'attention' },
): Analysis<InteractionSettings, InteractionPartial, InteractionResult> {
  if (settings.kind !== 'attention' && settings.kind !== 'token')
    throw new Error(`mask kind ${String(settings.kind)} must be attention or token`);
  return {
    name: 'interaction-mask',
    version: 2,
    selection: 'candidates',
    settings,
    map: (chunk, context) => maskInteractions(chunk, context, settings.kind),
    finish: (partials, run) => finishInteractions(partials, run, settings.kind),
  };
}

async function maskInteractions(
  chunk: Chunk,
  context: AnalysisContext,
  kind: MaskKind,
): Promise<InteractionPartial> {
  const pairs = encodeChunkPairs(chunk, context);
  const byDirection: number[][][] = [];
  const progress = progressInPairs(context, pairs.length, DIRECTIONS.length * pairs.length);
  for (const [d, direction] of DIRECTIONS.entries()) {
    // Depth 0 (no mask) is scored once, with the first direction.
    const scores = await context.scorer.scoreByMaskDepth(pairs, interactionMasks(direction, kind), {
      fromDepth: d === 0 ? 0 : 1,
      batchSize: context.batchSize,
      signal: context.signal,
      onProgress: (n) => progress(d * pairs.length + n),
    });
    byDirection.push(d === 0 ? scores : [byDirection[0][0], ...scores]);
  }
  // [direction][depth][query], turned into the partial's [query][direction][depth].
  const ranks = byDirection.map((depths) =>
    depths.map((s) => reciprocalRanksByQuery(chunk, s, context.minRelevance)),
  );
  const reciprocalRanks = chunk.items.map((_, q) => ranks.map((depths) => depths.map((rr) => rr[q])));
  return { qids: chunk.items.map((item) => item.qid), reciprocalRanks };
}

function finishInteractions(
  partials: readonly InteractionPartial[],
  run: RunDescription,
  kind: MaskKind,
): InteractionResult {
  const L = run.model.numLayers;
  // [direction][depth][query]
  const ranks = DIRECTIONS.map(() => Array.from({ length: L + 1 }, (): number[] => []));
  const qids: string[] = [];
  for (const p of partials) {
    qids.push(...p.qids);
    for (const rr of p.reciprocalRanks)
      rr.forEach((depths, d) => depths.forEach((v, i) => ranks[d][i].push(v)));
  }
  const queries = qids.length;
  const directions = Object.fromEntries(
    DIRECTIONS.map((direction, d) => [
      direction,
      {
        description: INTERACTION_DIRECTIONS[direction].description,
        mrr10: ranks[d].map((values) => (queries === 0 ? 0 : sumInOrder(values) / queries)),
        intervals: ranks[d].map((values) => meanInterval(values, run.significance)),
        vsUnmasked: ranks[d].map((values, depth) =>
          depth === 0 ? null : comparePaired(ranks[d][0], values, run.significance),
        ),
      },
    ]),
  ) as unknown as InteractionResult['directions'];
  return {
    minRelevance: run.data.minRelevance,
    queries,
    kind,
    rule: 'Layers: 0 = embeddings, 1..L = transformer layers. [CLS] and the middle [SEP] are on the query side (token type 0); the final [SEP] on the document side (token type 1). Depth i masks transformer layers 1..i; depth 0 is the unmasked model.',
    significance: significanceStatement(run.significance),
    directions,
    perQuery: {
      qids,
      reciprocalRanks: Object.fromEntries(DIRECTIONS.map((direction, d) => [direction, ranks[d]])) as Record<
        InteractionDirection,
        number[][]
      >,
    },
  };
}
