import type { Qrels } from '../data/qrels';
import type { RankedCandidate, Run } from '../data/runs';
import { evaluateRun, type QueryMetrics } from '../eval/metrics';
import {
  comparePaired,
  meanInterval,
  significanceStatement,
  type MeanInterval,
  type PairedComparison,
  type SignificanceOptions,
  type SignificanceStatement,
} from '../eval/significance';
import type { Analysis, Chunk, AnalysisContext, RunDescription } from './analysis';
import { rankByScore } from './ranking';
import { encodeChunkPairs } from './chunkCandidates';

export interface RerankSettings {
  /**
   * Weight of the model in the fused score: fused = (1 - w) * run' + w * model', where x' is x min-max
   * normalised over the query's candidates. Fixed before looking at any labels (default 0.5), or chosen on a
   * validation set (the `sweep` of a run on that set) and passed to the run on the test set.
   */
  readonly fusionWeight: number;
}

export const DEFAULT_FUSION_WEIGHT = 0.5;

interface RerankedQuery {
  readonly qid: string;
  readonly pids: readonly string[];
  /** Ranks in the input run. */
  readonly runRanks: readonly number[];
  /** The input run's scores (TREC runs), else null (fusion then uses -rank). */
  readonly runScores: readonly number[] | null;
  readonly modelScores: readonly number[];
  readonly judgements: readonly (readonly [string, number])[];
}

export interface RerankPartial {
  readonly queries: readonly RerankedQuery[];
}

export interface Metrics {
  readonly mrr10: number;
  readonly ndcg10: number;
  readonly recall: Readonly<Record<string, number>>;
  readonly queriesJudged: number;
  readonly queriesEvaluated: number;
  /** Bootstrap intervals over queries: MRR@10 over the judged queries, nDCG@10 over the evaluated ones. */
  readonly intervals: { readonly mrr10: MeanInterval; readonly ndcg10: MeanInterval };
}

/** One ranking's per-query MRR@10 terms (judged queries) and nDCG@10 (evaluated queries). */
export interface RankingPerQuery {
  readonly mrr10: readonly number[];
  readonly ndcg10: readonly number[];
}

/** A ranking against the input run, paired over the same queries. */
export interface RankingComparison {
  readonly mrr10: PairedComparison;
  readonly ndcg10: PairedComparison;
}

export interface RerankResult {
  readonly minRelevance: number;
  readonly fusion: {
    readonly weight: number;
    readonly rule: string;
    readonly runScoreSource: 'run scores' | 'negative ranks';
  };
  /** Null without judgements (e.g. a run with no qrels: only the re-ranked run is produced). */
  readonly metrics: { readonly run: Metrics; readonly model: Metrics; readonly fused: Metrics } | null;
  readonly significance: SignificanceStatement | null;
  /** The model's and the fused ranking against the input run; null without judgements. */
  readonly comparisons: { readonly model: RankingComparison; readonly fused: RankingComparison } | null;
  /**
   * Per-query values behind the metrics: `judged` lists the judged queries (MRR@10's terms, 0 for a query
   * without candidates), `evaluated` those with candidates too (nDCG@10's terms), each ranking in those orders.
   */
  readonly perQuery: {
    readonly judged: readonly string[];
    readonly evaluated: readonly string[];
    readonly run: RankingPerQuery;
    readonly model: RankingPerQuery;
    readonly fused: RankingPerQuery;
  } | null;
  /** Fused MRR@10 and nDCG@10 for w = 0, 0.1, ..., 1 ON THIS SET: use it to pick w on a validation set only. */
  readonly sweep:
    readonly { readonly weight: number; readonly mrr10: number; readonly ndcg10: number }[] | null;
  readonly queries: readonly (RerankedQuery & { readonly fusedScores: readonly number[] })[];
}

/** What rerank writes beside result.json: the model's run (TREC and MS MARCO formats) and the fused run. */
const RERANK_FILE_NAMES = ['rerank.trec', 'rerank.tsv', 'fused.trec'] as const;

const FUSION_RULE =
  'per query: fused = (1 - w) * minmax(run) + w * minmax(model), stored as float32; a constant list maps to 0';

/** Analysis 7: score a run's candidates with the model, write the re-ranked run, evaluate, fuse with the run. */
export function rerankAnalysis(
  settings: RerankSettings = { fusionWeight: DEFAULT_FUSION_WEIGHT },
): Analysis<RerankSettings, RerankPartial, RerankResult> {
  const w = settings.fusionWeight;
  if (!(w >= 0 && w <= 1)) throw new Error(`fusion weight ${w} must be within [0, 1]`);
  return {
    name: 'rerank',
    version: 2,
    selection: 'candidates',
    settings,
    map: scoreChunk,
    finish: (partials, run) => finishRerank(partials, run, w),
    fileNames: RERANK_FILE_NAMES,
    files: (result) => rerankFiles(result),
  };
}

async function scoreChunk(chunk: Chunk, context: AnalysisContext): Promise<RerankPartial> {
  const pairs = encodeChunkPairs(chunk, context);
  const scored = await context.scorer.score(pairs, {
    batchSize: context.batchSize,
    signal: context.signal,
    onProgress: (done) => context.onPairs?.(done),
  });
  let at = 0;
  const queries = chunk.items.map((item) => {
    const modelScores = item.candidates.map(() => scored[at++].score);
    const hasRunScores = item.candidates.length > 0 && item.candidates.every((c) => c.runScore !== undefined);
    return {
      qid: item.qid,
      pids: item.candidates.map((c) => c.pid),
      runRanks: item.candidates.map((c) => c.rank),
      runScores: hasRunScores ? item.candidates.map((c) => c.runScore as number) : null,
      modelScores,
      judgements: item.judgements,
    };
  });
  return { queries };
}

function minMax(values: readonly number[]): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return values.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
}

function runSide(q: RerankedQuery): readonly number[] {
  return q.runScores ?? q.runRanks.map((r) => -r);
}

export function fuse(q: RerankedQuery, weight: number): number[] {
  const run = minMax(runSide(q));
  const model = minMax(q.modelScores);
  return run.map((r, i) => Math.fround((1 - weight) * r + weight * model[i]));
}

interface Evaluated {
  readonly metrics: Metrics;
  readonly perQuery: readonly QueryMetrics[];
}

function evaluate(
  queries: readonly RerankedQuery[],
  rankingOf: (q: RerankedQuery) => RankedCandidate[],
  qrels: Qrels,
  minRelevance: number,
  significance?: SignificanceOptions,
): Evaluated {
  const rankings = new Map<string, RankedCandidate[]>();
  for (const q of queries) if (q.pids.length > 0) rankings.set(q.qid, rankingOf(q));
  const run: Run = { file: '', format: 'trec', rankings, lineCount: 0 };
  const r = evaluateRun(run, qrels, { minRelevance });
  const perQuery = perQueryOf(r.perQuery);
  return {
    metrics: {
      mrr10: r.mrr,
      ndcg10: r.ndcg,
      recall: r.recall,
      queriesJudged: r.queriesInQrels,
      queriesEvaluated: r.queriesEvaluated,
      intervals: {
        mrr10: meanInterval(perQuery.mrr10, significance),
        ndcg10: meanInterval(perQuery.ndcg10, significance),
      },
    },
    perQuery: r.perQuery,
  };
}

function perQueryOf(perQuery: readonly QueryMetrics[]): RankingPerQuery {
  return {
    mrr10: perQuery.map((q) => q.reciprocalRank),
    ndcg10: perQuery.filter((q) => q.inRun).map((q) => q.ndcg),
  };
}

function compareRankings(
  baseline: RankingPerQuery,
  other: RankingPerQuery,
  significance?: SignificanceOptions,
): RankingComparison {
  return {
    mrr10: comparePaired(baseline.mrr10, other.mrr10, significance),
    ndcg10: comparePaired(baseline.ndcg10, other.ndcg10, significance),
  };
}

function finishRerank(partials: readonly RerankPartial[], run: RunDescription, weight: number): RerankResult {
  const queries = partials.flatMap((p) => p.queries);
  const minRelevance = run.data.minRelevance;
  const judgements = new Map(
    queries.filter((q) => q.judgements.length > 0).map((q) => [q.qid, new Map(q.judgements)]),
  );
  const qrels: Qrels = { file: '', judgements, lineOf: new Map(), count: judgements.size };
  const fusedOf = (q: RerankedQuery) => fuse(q, weight);
  const judged = judgements.size > 0;
  const byRun = (q: RerankedQuery) =>
    q.pids.map((pid, i) => ({ pid, rank: q.runRanks[i], score: q.runScores?.[i] }));
  const evaluated = judged
    ? {
        run: evaluate(queries, byRun, qrels, minRelevance, run.significance),
        model: evaluate(
          queries,
          (q) => rankByScore(q.pids, q.modelScores),
          qrels,
          minRelevance,
          run.significance,
        ),
        fused: evaluate(
          queries,
          (q) => rankByScore(q.pids, fusedOf(q)),
          qrels,
          minRelevance,
          run.significance,
        ),
      }
    : null;
  const perQuery = evaluated
    ? {
        judged: evaluated.run.perQuery.map((q) => q.qid),
        evaluated: evaluated.run.perQuery.filter((q) => q.inRun).map((q) => q.qid),
        run: perQueryOf(evaluated.run.perQuery),
        model: perQueryOf(evaluated.model.perQuery),
        fused: perQueryOf(evaluated.fused.perQuery),
      }
    : null;
  const sweep = judged
    ? Array.from({ length: 11 }, (_, k) => {
        const w = k / 10;
        const m = evaluate(
          queries,
          (q) => rankByScore(q.pids, fuse(q, w)),
          qrels,
          minRelevance,
          run.significance,
        ).metrics;
        return { weight: w, mrr10: m.mrr10, ndcg10: m.ndcg10 };
      })
    : null;
  const allRunScores = queries.every((q) => q.runScores !== null || q.pids.length === 0);
  return {
    minRelevance,
    fusion: { weight, rule: FUSION_RULE, runScoreSource: allRunScores ? 'run scores' : 'negative ranks' },
    metrics: evaluated
      ? { run: evaluated.run.metrics, model: evaluated.model.metrics, fused: evaluated.fused.metrics }
      : null,
    significance: evaluated ? significanceStatement(run.significance) : null,
    comparisons: perQuery
      ? {
          model: compareRankings(perQuery.run, perQuery.model, run.significance),
          fused: compareRankings(perQuery.run, perQuery.fused, run.significance),
        }
      : null,
    perQuery,
    sweep,
    queries: queries.map((q) => ({ ...q, fusedScores: fusedOf(q) })),
  };
}

/** Scores as the shortest decimal that reads back to the same float32 (trec_eval reads C floats). */
function trecLines(
  result: RerankResult,
  scoresOf: (q: RerankResult['queries'][number]) => readonly number[],
) {
  const lines: string[] = [];
  for (const q of result.queries) {
    for (const c of rankByScore(q.pids, scoresOf(q)))
      lines.push(`${q.qid} Q0 ${c.pid} ${c.rank} ${c.score} ranklens`);
  }
  return lines.join('\n') + '\n';
}

function rerankFiles(result: RerankResult) {
  const msmarco: string[] = [];
  for (const q of result.queries) {
    for (const c of rankByScore(q.pids, q.modelScores)) msmarco.push(`${q.qid}\t${c.pid}\t${c.rank}`);
  }
  const [trec, tsv, fused] = RERANK_FILE_NAMES;
  return [
    { name: trec, content: trecLines(result, (q) => q.modelScores) },
    { name: tsv, content: msmarco.join('\n') + '\n' },
    { name: fused, content: trecLines(result, (q) => q.fusedScores) },
  ];
}
