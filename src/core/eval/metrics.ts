import type { Qrels } from '../data/qrels';
import type { RankedCandidate, Run } from '../data/runs';

export interface EvaluationOptions {
  /** Grade at or above which a judged passage counts as relevant for MRR and recall (MS MARCO: 1; DL19: 2). */
  readonly minRelevance?: number;
  readonly mrrDepth?: number;
  readonly ndcgDepth?: number;
  readonly recallDepths?: readonly number[];
}

export interface QueryMetrics {
  readonly qid: string;
  readonly inRun: boolean;
  /** Reciprocal rank of the first relevant passage within mrrDepth, else 0. */
  readonly reciprocalRank: number;
  /** Rank of the first relevant passage anywhere in the run, if any. */
  readonly firstRelevantRank?: number;
  readonly ndcg: number;
  readonly recall: Readonly<Record<string, number>>;
  readonly relevantCount: number;
}

export interface EvaluationResult {
  readonly runFile: string;
  readonly qrelsFile: string;
  readonly options: Required<EvaluationOptions>;
  /** MS MARCO's official MRR@10: summed over run queries, divided by the number of qrels queries. */
  readonly mrr: number;
  /** trec_eval ndcg_cut: mean over queries in both the run and the qrels. */
  readonly ndcg: number;
  /** trec_eval recall_k: mean over queries in both the run and the qrels. */
  readonly recall: Readonly<Record<string, number>>;
  readonly queriesInQrels: number;
  readonly queriesInRun: number;
  /** Queries both judged and ranked: the denominator of nDCG and recall. */
  readonly queriesEvaluated: number;
  /** Judged queries the run does not rank (they score 0 in MRR). */
  readonly queriesMissingFromRun: number;
  /** Ranked queries without judgements (ignored, as both official tools do). */
  readonly queriesWithoutJudgements: number;
  readonly perQuery: readonly QueryMetrics[];
}

const DEFAULTS: Required<EvaluationOptions> = {
  minRelevance: 1,
  mrrDepth: 10,
  ndcgDepth: 10,
  recallDepths: [100, 1000],
};

/**
 * MRR as the official MS MARCO script computes it, nDCG and recall as trec_eval does (graded linear gains,
 * log2 discount, ideal ranking from every judged passage; the run ordered as Run prescribes, which for TREC
 * runs is trec_eval's score-then-docno order).
 */
export function evaluateRun(run: Run, qrels: Qrels, options: EvaluationOptions = {}): EvaluationResult {
  const o: Required<EvaluationOptions> = { ...DEFAULTS, ...options };
  checkOptions(o);
  const perQuery: QueryMetrics[] = [];
  let rrSum = 0;
  let ndcgSum = 0;
  const recallSums = Object.fromEntries(o.recallDepths.map((k) => [String(k), 0]));
  let evaluated = 0;
  for (const [qid, grades] of qrels.judgements) {
    const ranking = run.rankings.get(qid);
    const relevantCount = countRelevant(grades, o.minRelevance);
    if (!ranking) {
      perQuery.push({
        qid,
        inRun: false,
        reciprocalRank: 0,
        ndcg: 0,
        recall: zeroRecall(o.recallDepths),
        relevantCount,
      });
      continue;
    }
    evaluated++;
    const first = ranking.find((c) => (grades.get(c.pid) ?? 0) >= o.minRelevance);
    const reciprocalRank = first && first.rank <= o.mrrDepth ? 1 / first.rank : 0;
    const ndcg = ndcgAt(ranking, grades, o.ndcgDepth);
    const recall: Record<string, number> = {};
    for (const k of o.recallDepths) {
      const found =
        relevantCount === 0
          ? 0
          : ranking.filter((c) => c.rank <= k && (grades.get(c.pid) ?? 0) >= o.minRelevance).length;
      recall[String(k)] = relevantCount === 0 ? 0 : found / relevantCount;
      recallSums[String(k)] += recall[String(k)];
    }
    rrSum += reciprocalRank;
    ndcgSum += ndcg;
    perQuery.push({
      qid,
      inRun: true,
      reciprocalRank,
      ...(first ? { firstRelevantRank: first.rank } : {}),
      ndcg,
      recall,
      relevantCount,
    });
  }
  let withoutJudgements = 0;
  for (const qid of run.rankings.keys()) if (!qrels.judgements.has(qid)) withoutJudgements++;
  const queriesInQrels = qrels.judgements.size;
  return {
    runFile: run.file,
    qrelsFile: qrels.file,
    options: o,
    mrr: queriesInQrels === 0 ? 0 : rrSum / queriesInQrels,
    ndcg: evaluated === 0 ? 0 : ndcgSum / evaluated,
    recall: Object.fromEntries(
      Object.entries(recallSums).map(([k, s]) => [k, evaluated === 0 ? 0 : s / evaluated]),
    ),
    queriesInQrels,
    queriesInRun: run.rankings.size,
    queriesEvaluated: evaluated,
    queriesMissingFromRun: queriesInQrels - evaluated,
    queriesWithoutJudgements: withoutJudgements,
    perQuery,
  };
}

/** trec_eval's ndcg_cut: DCG over ranks 1..depth with gain = grade (negative grades count 0). */
export function ndcgAt(
  ranking: readonly RankedCandidate[],
  grades: ReadonlyMap<string, number>,
  depth: number,
): number {
  let dcg = 0;
  for (const candidate of ranking) {
    if (candidate.rank > depth) break;
    const gain = Math.max(0, grades.get(candidate.pid) ?? 0);
    // The rank, not the array position: an MS MARCO run may skip ranks, and a skipped rank is an empty slot.
    if (gain > 0) dcg += gain / Math.log2(candidate.rank + 1);
  }
  const ideal = [...grades.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(depth, ideal.length); i++) idcg += ideal[i] / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

/**
 * A relevance threshold of 0 or less would count unjudged passages (grade 0) as relevant and push recall
 * above 1; depths must be whole ranks.
 */
function checkOptions(o: Required<EvaluationOptions>): void {
  if (!Number.isFinite(o.minRelevance) || o.minRelevance <= 0) {
    throw new RangeError(
      `minimum relevance must be a grade above 0 (1 for MS MARCO, 2 for TREC DL), got ${o.minRelevance}`,
    );
  }
  for (const [name, depth] of [
    ['MRR depth', o.mrrDepth],
    ['nDCG depth', o.ndcgDepth],
    ...o.recallDepths.map((d) => ['recall depth', d] as const),
  ] as const) {
    if (!Number.isInteger(depth) || depth < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${depth}`);
    }
  }
}

function countRelevant(grades: ReadonlyMap<string, number>, minRelevance: number): number {
  let n = 0;
  for (const g of grades.values()) if (g >= minRelevance) n++;
  return n;
}

function zeroRecall(depths: readonly number[]): Record<string, number> {
  return Object.fromEntries(depths.map((k) => [String(k), 0]));
}
