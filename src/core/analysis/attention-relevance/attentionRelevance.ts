import {
  comparePaired,
  significanceStatement,
  type PairedComparison,
  type SignificanceStatement,
} from '../../eval/significance';
import { ATTENTION_KINDS, type AttentionSums } from '../../runtime/attentionKinds';
import type { Analysis, AnalysisContext, Chunk, RunDescription } from '../analysis';
import { encodeChunkPairs } from '../chunkCandidates';

const [CLS, , , QUERY, DOCUMENT, PERIOD] = ATTENTION_KINDS.map((_, i) => i);
const PASSAGE = [DOCUMENT, PERIOD];

/**
 * The attention between the query and the passage, in plain words (rows attend, keys are attended to): how much
 * of its attention a passage token spends on the query, a query token on the passage, and [CLS] (what the
 * classifier reads) on each.
 */
export const RELEVANCE_STATISTICS = {
  passageToQuery: { rows: PASSAGE, keys: [QUERY], description: 'passage tokens attending to query tokens' },
  queryToPassage: { rows: [QUERY], keys: PASSAGE, description: 'query tokens attending to passage tokens' },
  clsToQuery: { rows: [CLS], keys: [QUERY], description: '[CLS] attending to query tokens' },
  clsToPassage: { rows: [CLS], keys: PASSAGE, description: '[CLS] attending to passage tokens' },
} as const;
export type RelevanceStatistic = keyof typeof RELEVANCE_STATISTICS;
const NAMES = Object.keys(RELEVANCE_STATISTICS) as RelevanceStatistic[];

/** One query of a chunk: the mean over its relevant and its other candidates of each pair's statistic per layer. */
export interface QueryAttention {
  readonly qid: string;
  readonly relevantPairs: number;
  readonly otherPairs: number;
  /** statistic -> [layer] mean over heads, mean over the query's relevant candidates (absent without any). */
  readonly relevant?: Readonly<Record<RelevanceStatistic, readonly number[]>>;
  readonly other?: Readonly<Record<RelevanceStatistic, readonly number[]>>;
}

export interface AttentionRelevancePartial {
  readonly queries: readonly QueryAttention[];
}

export interface AttentionRelevanceResult {
  /** How `statistics[s].layers` counts layers, for a reader of result.json. */
  readonly numbering: string;
  readonly queries: number;
  readonly relevantPairs: number;
  readonly otherPairs: number;
  /** Queries with at least one relevant and one other candidate: the ones the comparison is over. */
  readonly queriesCompared: number;
  readonly minRelevance: number;
  readonly significance: SignificanceStatement;
  readonly statistics: Readonly<
    Record<
      RelevanceStatistic,
      {
        readonly description: string;
        /**
         * [layer]: per query, the mean over its relevant candidates (treatment) against the mean over its other
         * candidates (baseline), both means over heads; compared query by query.
         */
        readonly layers: readonly PairedComparison[];
      }
    >
  >;
}

/**
 * Whether a passage's attention to the query differs when the passage is relevant: over each query's candidates
 * (a run's top --depth, judged by the qrels), per layer, the attention between query and passage of the relevant
 * candidates against the others, compared per query (paired, so queries with more candidates do not weigh more).
 */
export function attentionRelevanceAnalysis(): Analysis<
  Record<string, never>,
  AttentionRelevancePartial,
  AttentionRelevanceResult
> {
  return {
    name: 'attention-relevance',
    version: 1,
    selection: 'candidates',
    settings: {},
    map: summarise,
    finish,
  };
}

/** The statistic of one pair per layer, mean over heads; undefined when the pair has no attending rows. */
export function pairStatistic(
  sums: AttentionSums,
  statistic: RelevanceStatistic,
  numLayers: number,
  numHeads: number,
): number[] | undefined {
  const K = ATTENTION_KINDS.length;
  const { rows, keys } = RELEVANCE_STATISTICS[statistic];
  const rowCount = rows.reduce((n, k) => n + sums.kindCounts[k], 0);
  if (rowCount === 0) return undefined;
  return Array.from({ length: numLayers }, (_, layer) => {
    let mass = 0;
    for (let head = 0; head < numHeads; head++) {
      const lh = layer * numHeads + head;
      for (const from of rows) for (const to of keys) mass += sums.sums[(lh * K + from) * K + to];
    }
    return mass / rowCount / numHeads;
  });
}

function meanOf(rows: readonly (readonly number[])[], length: number): number[] {
  return Array.from({ length }, (_, l) => rows.reduce((s, r) => s + r[l], 0) / rows.length);
}

async function summarise(chunk: Chunk, context: AnalysisContext): Promise<AttentionRelevancePartial> {
  const { numLayers: L, numHeads: H } = context.scorer.info;
  const sums = await context.scorer.attentionSums(encodeChunkPairs(chunk, context), {
    batchSize: context.batchSize,
    signal: context.signal,
    onProgress: (n) => context.onPairs?.(n),
  });
  let next = 0;
  const queries = chunk.items.map((item): QueryAttention => {
    const pairs = item.candidates.map((c) => ({
      relevant: c.grade >= context.minRelevance,
      sums: sums[next++],
    }));
    const group = (relevant: boolean) => {
      const members = pairs.filter((p) => p.relevant === relevant);
      if (members.length === 0) return undefined;
      return Object.fromEntries(
        NAMES.map((name) => {
          const perLayer = members
            .map((p) => pairStatistic(p.sums, name, L, H))
            .filter((v): v is number[] => v !== undefined);
          return [name, perLayer.length ? meanOf(perLayer, L) : []];
        }),
      ) as Record<RelevanceStatistic, number[]>;
    };
    const relevant = group(true);
    const other = group(false);
    return {
      qid: item.qid,
      relevantPairs: pairs.filter((p) => p.relevant).length,
      otherPairs: pairs.filter((p) => !p.relevant).length,
      ...(relevant ? { relevant } : {}),
      ...(other ? { other } : {}),
    };
  });
  return { queries };
}

function finish(
  partials: readonly AttentionRelevancePartial[],
  run: RunDescription,
): AttentionRelevanceResult {
  const L = run.model.numLayers;
  const queries = partials.flatMap((p) => p.queries);
  const compared = queries.filter(
    (q) =>
      q.relevant && q.other && NAMES.every((n) => q.relevant![n].length === L && q.other![n].length === L),
  );
  const statistics = {} as Record<
    RelevanceStatistic,
    AttentionRelevanceResult['statistics'][RelevanceStatistic]
  >;
  for (const name of NAMES)
    statistics[name] = {
      description: RELEVANCE_STATISTICS[name].description,
      // No query to compare: no layer values (a mean over nothing is no number a result file can hold).
      layers: Array.from({ length: compared.length ? L : 0 }, (_, l) =>
        comparePaired(
          compared.map((q) => q.other![name][l]),
          compared.map((q) => q.relevant![name][l]),
        ),
      ),
    };
  return {
    numbering:
      'statistics[s].layers[l - 1] is transformer layer l (1..L; layer 0, the embedding output, attends nowhere)',
    queries: queries.length,
    relevantPairs: queries.reduce((n, q) => n + q.relevantPairs, 0),
    otherPairs: queries.reduce((n, q) => n + q.otherPairs, 0),
    queriesCompared: compared.length,
    minRelevance: run.data.minRelevance,
    significance: significanceStatement(),
    statistics,
  };
}
