import {
  meanInterval,
  significanceStatement,
  type MeanInterval,
  type SignificanceStatement,
} from '../eval/significance';
import { ATTENTION_KINDS } from '../runtime/attentionKinds';
import type { Analysis, AnalysisContext, Chunk, RunDescription } from './analysis';
import { encodeChunkPairs } from './chunkCandidates';

const [CLS, SEP_MIDDLE, SEP_FINAL, QUERY, DOCUMENT, PERIOD] = ATTENTION_KINDS.map((_, i) => i);
const ALL = ATTENTION_KINDS.map((_, i) => i);
const PASSAGE = [DOCUMENT, PERIOD];

/**
 * One statistic: the attention mass that rows of kinds `rows` send to keys of kinds `keys`, divided by the
 * number of such rows (a mean over attending tokens) for one pair.
 */
interface Statistic {
  readonly rows: readonly number[];
  readonly keys: readonly number[];
  readonly description: string;
}

/**
 * Zhan et al.'s Figure 1. "A -> B" follows the paper: the attention that weights A's representation for B's
 * context, i.e. B's tokens attending to A's. Passage periods belong to the document block; [CLS] and [SEP]s
 * belong to no block.
 */
export const ATTENTION_STATISTICS = {
  toCls: { rows: ALL, keys: [CLS], description: 'every token attending to [CLS]' },
  toSepMiddle: { rows: ALL, keys: [SEP_MIDDLE], description: 'every token attending to the middle [SEP]' },
  toSepFinal: { rows: ALL, keys: [SEP_FINAL], description: 'every token attending to the final [SEP]' },
  toSep: { rows: ALL, keys: [SEP_MIDDLE, SEP_FINAL], description: 'every token attending to both [SEP]s' },
  toPeriods: { rows: ALL, keys: [PERIOD], description: 'every token attending to passage periods' },
  toQuery: { rows: ALL, keys: [QUERY], description: 'every token attending to query tokens' },
  toDocument: {
    rows: ALL,
    keys: [DOCUMENT],
    description: 'every token attending to passage tokens other than periods',
  },
  queryToQuery: {
    rows: [QUERY],
    keys: [QUERY],
    description: 'query -> query: query tokens attending to query tokens',
  },
  queryToDocument: {
    rows: PASSAGE,
    keys: [QUERY],
    description: 'query -> doc: passage tokens attending to query tokens',
  },
  documentToQuery: {
    rows: [QUERY],
    keys: PASSAGE,
    description: 'doc -> query: query tokens attending to passage tokens',
  },
  documentToDocument: {
    rows: PASSAGE,
    keys: PASSAGE,
    description: 'doc -> doc: passage tokens attending to passage tokens',
  },
} as const satisfies Record<string, Statistic>;
export type AttentionStatistic = keyof typeof ATTENTION_STATISTICS;
const NAMES = Object.keys(ATTENTION_STATISTICS) as AttentionStatistic[];

interface StatisticSums {
  /** [layer * H + head]: sum over pairs of the pair's mean. */
  readonly sums: readonly number[];
  /** Same for a uniform attention over the pair's real tokens (chance level). */
  readonly chanceSum: number;
  /** Pairs that have rows of this kind. */
  readonly pairs: number;
  /** [pair][layer]: each counted pair's statistic, mean over heads (what the intervals resample). */
  readonly pairMeans: readonly (readonly number[])[];
}

export interface AttentionPartial {
  readonly pairs: number;
  readonly statistics: Readonly<Record<AttentionStatistic, StatisticSums>>;
}

export interface AttentionResult {
  readonly pairs: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly convention: string;
  readonly significance: SignificanceStatement;
  readonly statistics: Readonly<
    Record<
      AttentionStatistic,
      {
        readonly description: string;
        /** [layer][head], mean over pairs of the pair's mean over attending tokens. */
        readonly perHead: readonly (readonly number[])[];
        /** [layer], mean over heads. */
        readonly meanOverHeads: readonly number[];
        /** [layer]: bootstrap interval of the mean over heads, resampling pairs. */
        readonly meanOverHeadsIntervals: readonly MeanInterval[];
        /** The same statistic for uniform attention over each pair's real tokens. */
        readonly chance: number;
        readonly pairs: number;
      }
    >
  >;
}

/** Analysis 1 (Figure 1): attention mass per layer and head between token kinds, over relevant pairs. */
export function attentionAnalysis(): Analysis<Record<string, never>, AttentionPartial, AttentionResult> {
  return {
    name: 'attention',
    version: 2,
    selection: 'relevant',
    settings: {},
    map: summarise,
    finish: finishAttention,
  };
}

async function summarise(chunk: Chunk, context: AnalysisContext): Promise<AttentionPartial> {
  const { numLayers: L, numHeads: H } = context.scorer.info;
  const K = ATTENTION_KINDS.length;
  const pairs = encodeChunkPairs(chunk, context);
  const results = await context.scorer.attentionSums(pairs, {
    batchSize: context.batchSize,
    signal: context.signal,
    onProgress: (n) => context.onPairs?.(n),
  });
  const statistics = {} as Record<AttentionStatistic, StatisticSums>;
  for (const name of NAMES) {
    const { rows, keys } = ATTENTION_STATISTICS[name] as Statistic;
    const sums = new Array<number>(L * H).fill(0);
    let chanceSum = 0;
    let counted = 0;
    const pairMeans: number[][] = [];
    for (const r of results) {
      const rowCount = rows.reduce((n, k) => n + r.kindCounts[k], 0);
      if (rowCount === 0) continue;
      const total = r.kindCounts.reduce((a, b) => a + b, 0);
      chanceSum += keys.reduce((n, k) => n + r.kindCounts[k], 0) / total;
      counted++;
      const layerSums = new Array<number>(L).fill(0);
      for (let lh = 0; lh < L * H; lh++) {
        let mass = 0;
        for (const from of rows) for (const to of keys) mass += r.sums[(lh * K + from) * K + to];
        sums[lh] += mass / rowCount;
        layerSums[Math.floor(lh / H)] += mass / rowCount;
      }
      pairMeans.push(layerSums.map((v) => v / H));
    }
    statistics[name] = { sums, chanceSum, pairs: counted, pairMeans };
  }
  return { pairs: results.length, statistics };
}

function finishAttention(partials: readonly AttentionPartial[], run: RunDescription): AttentionResult {
  const { numLayers: L, numHeads: H } = run.model;
  let pairs = 0;
  for (const p of partials) pairs += p.pairs;
  const statistics = {} as Record<AttentionStatistic, AttentionResult['statistics'][AttentionStatistic]>;
  for (const name of NAMES) {
    const sums = new Array<number>(L * H).fill(0);
    let chance = 0;
    let counted = 0;
    const pairMeans: (readonly number[])[] = [];
    for (const p of partials) {
      const s = p.statistics[name];
      s.sums.forEach((v, i) => (sums[i] += v));
      chance += s.chanceSum;
      counted += s.pairs;
      pairMeans.push(...s.pairMeans);
    }
    const perHead = Array.from({ length: L }, (_, l) =>
      Array.from({ length: H }, (_, h) => (counted === 0 ? 0 : sums[l * H + h] / counted)),
    );
    statistics[name] = {
      description: ATTENTION_STATISTICS[name].description,
      perHead,
      meanOverHeads: perHead.map((heads) => heads.reduce((a, b) => a + b, 0) / H),
      meanOverHeadsIntervals: Array.from({ length: L }, (_, l) =>
        meanInterval(
          pairMeans.map((m) => m[l]),
          run.significance,
        ),
      ),
      chance: counted === 0 ? 0 : chance / counted,
      pairs: counted,
    };
  }
  return {
    pairs,
    numLayers: L,
    numHeads: H,
    significance: significanceStatement(run.significance, 'pairs', false),
    convention:
      "Layers are numbered 1..L (0 would be the embeddings, which attend nowhere). A -> B (the paper): the attention that weights A for B's context, i.e. B's tokens attending to A's. Each pair contributes the mean over its attending tokens; pairs are averaged with equal weight. Passage periods are in the document block; [CLS]/[SEP] in no block.",
    statistics,
  };
}
