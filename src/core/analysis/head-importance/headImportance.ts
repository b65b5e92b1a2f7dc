import {
  comparePaired,
  meanInterval,
  significanceStatement,
  type MeanInterval,
  type PairedComparison,
  type SignificanceStatement,
} from '../../eval/significance';
import type { HeadMaskSpec } from '../../runtime/types';
import type { Analysis, AnalysisContext, Chunk, RunDescription } from '../analysis';
import { encodeChunkPairs, progressInPairs, reciprocalRanksByQuery } from '../chunkCandidates';
import { sumInOrder } from '../ranking';
import type { EncodedPair } from '../../text/types';

export interface HeadImportancePartial {
  readonly qids: readonly string[];
  /** Per query: reciprocal rank unmasked (index 0), then with head (l, h) masked at 1 + l * H + h. */
  readonly reciprocalRanks: readonly (readonly number[])[];
  /** Per setting (same indexing): sum over the chunk's pairs of (masked score - unmasked score). */
  readonly scoreChangeSums: readonly number[];
  readonly pairs: number;
}

export interface HeadImportanceResult {
  /** How `heads` and `perQuery.heads` count layers and heads, for a reader of result.json. */
  readonly numbering: string;
  readonly minRelevance: number;
  readonly queries: number;
  readonly pairs: number;
  readonly significance: SignificanceStatement;
  readonly unmasked: { readonly mrr10: number; readonly interval: MeanInterval };
  /**
   * [layer - 1][head - 1]: the head's probabilities zeroed in that transformer layer only (the graph's head
   * mask); array indices are the layer and head numbers minus 1 (layers 1..L, 0 being the embeddings; heads 1..H).
   */
  readonly heads: readonly (readonly {
    readonly mrr10: number;
    readonly deltaMrr10: number;
    readonly meanScoreChange: number;
    /** Per-query reciprocal ranks with the head masked against unmasked (uncorrected for the L x H tests). */
    readonly comparison: PairedComparison;
  }[])[];
  /** Each query's reciprocal rank unmasked and with each head masked ([layer - 1][head - 1][query]). */
  readonly perQuery: {
    readonly qids: readonly string[];
    readonly unmasked: readonly number[];
    readonly heads: readonly (readonly (readonly number[])[])[];
  };
}

export const HEAD_NUMBERING =
  'heads[l - 1][h - 1] is head h (1..H) of transformer layer l (1..L; layer 0 is the embedding output, which has no heads)';

/** Analysis 6 (beyond the paper): MRR@10 and mean score change with each head masked alone, as an L x H grid. */
export function headImportanceAnalysis(): Analysis<
  Record<string, never>,
  HeadImportancePartial,
  HeadImportanceResult
> {
  return {
    name: 'head-importance',
    version: 2,
    selection: 'candidates',
    settings: {},
    map: maskHeads,
    finish: finishHeads,
  };
}

async function maskHeads(chunk: Chunk, context: AnalysisContext): Promise<HeadImportancePartial> {
  const pairs = encodeChunkPairs(chunk, context);
  const scores = await scoresByHeadMask(pairs, context);
  // [setting][query], turned into the partial's [query][setting].
  const ranks = scores.map((s) => reciprocalRanksByQuery(chunk, s, context.minRelevance));
  const reciprocalRanks = chunk.items.map((_, q) => ranks.map((rr) => rr[q]));
  const scoreChangeSums = scores.map((s) => {
    let sum = 0;
    s.forEach((v, i) => (sum += v - scores[0][i]));
    return sum;
  });
  return { qids: chunk.items.map((item) => item.qid), reciprocalRanks, scoreChangeSums, pairs: pairs.length };
}

/**
 * [setting][pair]: unmasked (0), then head (l, h) masked alone (1 + l * H + h). A scorer that shares the
 * unmasked layers below each head does so; any other scores every setting on its own.
 */
async function scoresByHeadMask(
  pairs: readonly EncodedPair[],
  context: AnalysisContext,
): Promise<number[][]> {
  const { scorer } = context;
  const { numLayers: L, numHeads: H } = scorer.info;
  const settings = 1 + L * H;
  const options = { batchSize: context.batchSize, signal: context.signal };
  if (scorer.scoreByHeadMask) {
    const progress = progressInPairs(context, pairs.length, pairs.length);
    return scorer.scoreByHeadMask(pairs, { ...options, onProgress: progress });
  }
  const progress = progressInPairs(context, pairs.length, settings * pairs.length);
  const scores: number[][] = [];
  for (let s = 0; s < settings; s++) {
    const l = Math.floor((s - 1) / H);
    const headMasks: HeadMaskSpec[] | undefined = s === 0 ? undefined : [{ layer: l, heads: [(s - 1) % H] }];
    const results = await scorer.score(pairs, {
      ...options,
      headMasks,
      onProgress: (n) => progress(s * pairs.length + n),
    });
    scores.push(results.map((r) => r.score));
  }
  return scores;
}

function finishHeads(partials: readonly HeadImportancePartial[], run: RunDescription): HeadImportanceResult {
  const { numLayers: L, numHeads: H } = run.model;
  const settings = 1 + L * H;
  // [setting][query]
  const ranks = Array.from({ length: settings }, (): number[] => []);
  const changeSums = new Array<number>(settings).fill(0);
  const qids: string[] = [];
  let pairs = 0;
  for (const p of partials) {
    qids.push(...p.qids);
    for (const rr of p.reciprocalRanks) rr.forEach((v, s) => ranks[s].push(v));
    p.scoreChangeSums.forEach((v, s) => (changeSums[s] += v));
    pairs += p.pairs;
  }
  const queries = qids.length;
  const mrr = (s: number) => (queries === 0 ? 0 : sumInOrder(ranks[s]) / queries);
  const heads = Array.from({ length: L }, (_, l) =>
    Array.from({ length: H }, (_, h) => {
      const s = 1 + l * H + h;
      return {
        mrr10: mrr(s),
        deltaMrr10: mrr(s) - mrr(0),
        meanScoreChange: pairs === 0 ? 0 : changeSums[s] / pairs,
        comparison: comparePaired(ranks[0], ranks[s], run.significance),
      };
    }),
  );
  return {
    numbering: HEAD_NUMBERING,
    minRelevance: run.data.minRelevance,
    queries,
    pairs,
    significance: significanceStatement(run.significance),
    unmasked: { mrr10: mrr(0), interval: meanInterval(ranks[0], run.significance) },
    heads,
    perQuery: {
      qids,
      unmasked: ranks[0],
      heads: Array.from({ length: L }, (_, l) => Array.from({ length: H }, (_, h) => ranks[1 + l * H + h])),
    },
  };
}
