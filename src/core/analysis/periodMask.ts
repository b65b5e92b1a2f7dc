import {
  comparePaired,
  meanInterval,
  significanceStatement,
  type MeanInterval,
  type PairedComparison,
  type SignificanceStatement,
} from '../eval/significance';
import type { MaskSpec, PairInput } from '../runtime/types';
import type { EncodedPair } from '../text/types';
import type { Analysis, AnalysisContext, Chunk, RunDescription } from './analysis';
import { reciprocalRank, sumInOrder } from './ranking';
import { encodeChunkPairs, progressInPairs } from './chunkCandidates';

/** The three ways of taking periods away (Zhan et al., Table 1); periods are the passage's "." tokens. */
export const PERIOD_SETTINGS = ['comma', 'token-mask', 'attention-mask'] as const;
export type PeriodSetting = (typeof PERIOD_SETTINGS)[number];

/** Every token attends nowhere near a period: keys that are periods, in every layer. */
const PERIOD_MASKS: Record<Exclude<PeriodSetting, 'comma'>, MaskSpec> = {
  // Removed before softmax: the row renormalises over the other keys.
  'token-mask': { kind: 'token', layers: 'all', from: 'all', to: ['period'] },
  // Zeroed after softmax: the row keeps its other weights and sums to less than 1.
  'attention-mask': { kind: 'attention', layers: 'all', from: 'all', to: ['period'] },
};

interface PeriodQuery {
  readonly qid: string;
  readonly pids: readonly string[];
  readonly grades: readonly number[];
  readonly original: readonly number[];
  /** Positions (in pids) of the modified, relevant passages. */
  readonly modified: readonly number[];
  /** Scores of the modified passages under each setting, in `modified` order. */
  readonly scores: Readonly<Record<PeriodSetting, readonly number[]>>;
}

export interface PeriodMaskPartial {
  readonly queries: readonly PeriodQuery[];
  /** Modified passages that contain no period (their scores cannot change). */
  readonly withoutPeriods: number;
}

export interface PeriodMaskResult {
  readonly minRelevance: number;
  readonly queries: number;
  readonly modifiedPassages: number;
  readonly modifiedWithoutPeriods: number;
  readonly significance: SignificanceStatement;
  /** MRR@10 with its bootstrap interval over queries. */
  readonly original: { readonly mrr10: number; readonly interval: MeanInterval };
  readonly settings: readonly {
    readonly setting: PeriodSetting;
    readonly mrr10: number;
    /** (mrr10 - original) / original. */
    readonly relativeChange: number;
    readonly meanScoreChange: number;
    /** Per-query reciprocal ranks of this setting against the original's, paired over queries. */
    readonly comparison: PairedComparison;
  }[];
  /** Each query's reciprocal rank (its MRR@10 term), original and per setting, in `qids` order. */
  readonly perQuery: {
    readonly qids: readonly string[];
    readonly original: readonly number[];
    readonly settings: Readonly<Record<PeriodSetting, readonly number[]>>;
  };
}

/** The pair with every period token replaced by ","; nothing else changes. */
export function periodsToCommas(pair: EncodedPair, commaId: number): EncodedPair {
  const inputIds = Int32Array.from(pair.inputIds);
  const tokens = pair.tokens.map((t, i) => {
    if (t.kind !== 'period') return t;
    inputIds[i] = commaId;
    return { ...t, id: commaId, text: ',', kind: 'doc' as const };
  });
  return { ...pair, tokens, inputIds };
}

/**
 * Analysis 4 (Table 1), the paper's adversarial protocol: only each query's relevant passages (grade >=
 * minRelevance) are modified; the other candidates keep their unmodified scores; MRR@10 of each setting.
 */
export function periodMaskAnalysis(): Analysis<Record<string, never>, PeriodMaskPartial, PeriodMaskResult> {
  return {
    name: 'period-mask',
    version: 2,
    selection: 'candidates',
    settings: {},
    map: maskChunk,
    finish: finishPeriods,
  };
}

async function maskChunk(chunk: Chunk, context: AnalysisContext): Promise<PeriodMaskPartial> {
  const commaId = context.tokenId(',');
  if (commaId === undefined)
    throw new Error('the model vocabulary has no "," token (needed to replace periods)');
  const minRelevance = context.minRelevance;
  const pairs = encodeChunkPairs(chunk, context);
  const modified: number[] = [];
  let at = 0;
  for (const item of chunk.items) {
    for (const c of item.candidates) {
      if (c.grade >= minRelevance) modified.push(at);
      at++;
    }
  }
  let done = 0;
  // Every pair once as it is, then each relevant pair once per setting.
  const progress = progressInPairs(
    context,
    pairs.length,
    pairs.length + PERIOD_SETTINGS.length * modified.length,
  );
  const score = async (list: readonly PairInput[], masks?: readonly MaskSpec[]) => {
    const results = await context.scorer.score(list, {
      masks,
      batchSize: context.batchSize,
      signal: context.signal,
      onProgress: (n) => progress(done + n),
    });
    done += list.length;
    return results.map((r) => r.score);
  };
  const original = await score(pairs);
  const relevant = modified.map((i) => pairs[i]);
  const scores: Record<PeriodSetting, number[]> = {
    comma: await score(relevant.map((p) => periodsToCommas(p, commaId))),
    'token-mask': await score(relevant, [PERIOD_MASKS['token-mask']]),
    'attention-mask': await score(relevant, [PERIOD_MASKS['attention-mask']]),
  };
  const withoutPeriods = relevant.filter((p) => !p.tokens.some((t) => t.kind === 'period')).length;
  const queries: PeriodQuery[] = [];
  let start = 0;
  let k = 0;
  for (const item of chunk.items) {
    const end = start + item.candidates.length;
    const mine: number[] = [];
    const first = k;
    while (k < modified.length && modified[k] < end) mine.push(modified[k++] - start);
    const slice = (list: readonly number[]) => list.slice(first, k);
    queries.push({
      qid: item.qid,
      pids: item.candidates.map((c) => c.pid),
      grades: item.candidates.map((c) => c.grade),
      original: original.slice(start, end),
      modified: mine,
      scores: {
        comma: slice(scores.comma),
        'token-mask': slice(scores['token-mask']),
        'attention-mask': slice(scores['attention-mask']),
      },
    });
    start = end;
  }
  return { queries, withoutPeriods };
}

function finishPeriods(partials: readonly PeriodMaskPartial[], run: RunDescription): PeriodMaskResult {
  const minRelevance = run.data.minRelevance;
  const queries = partials.flatMap((p) => p.queries);
  const n = queries.length;
  const reciprocalRanksOf = (scoresOf: (q: PeriodQuery) => readonly number[]) =>
    queries.map((q) => reciprocalRank(q.pids, scoresOf(q), q.grades, minRelevance));
  const meanOf = (values: readonly number[]) => (n === 0 ? 0 : sumInOrder(values) / n);
  const originalRanks = reciprocalRanksOf((q) => q.original);
  const original = meanOf(originalRanks);
  let modifiedPassages = 0;
  for (const q of queries) modifiedPassages += q.modified.length;
  const perSetting = {} as Record<PeriodSetting, number[]>;
  const settings = PERIOD_SETTINGS.map((setting) => {
    const ranks = reciprocalRanksOf((q) => {
      const scores = [...q.original];
      q.modified.forEach((i, k) => (scores[i] = q.scores[setting][k]));
      return scores;
    });
    perSetting[setting] = ranks;
    const mrr10 = meanOf(ranks);
    let change = 0;
    for (const q of queries) q.modified.forEach((i, k) => (change += q.scores[setting][k] - q.original[i]));
    return {
      setting,
      mrr10,
      relativeChange: original === 0 ? 0 : (mrr10 - original) / original,
      meanScoreChange: modifiedPassages === 0 ? 0 : change / modifiedPassages,
      comparison: comparePaired(originalRanks, ranks, run.significance),
    };
  });
  let withoutPeriods = 0;
  for (const p of partials) withoutPeriods += p.withoutPeriods;
  return {
    minRelevance,
    queries: n,
    modifiedPassages,
    modifiedWithoutPeriods: withoutPeriods,
    significance: significanceStatement(run.significance),
    original: { mrr10: original, interval: meanInterval(originalRanks, run.significance) },
    settings,
    perQuery: { qids: queries.map((q) => q.qid), original: originalRanks, settings: perSetting },
  };
}
