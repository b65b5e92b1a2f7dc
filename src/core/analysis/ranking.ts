import type { RankedCandidate } from '../data/runs';

/** Candidates by score descending, ties by pid descending (trec_eval's order for equal scores). */
export function rankByScore(pids: readonly string[], scores: readonly number[]): RankedCandidate[] {
  const order = pids.map((_, i) => i);
  order.sort((a, b) => scores[b] - scores[a] || (pids[a] < pids[b] ? 1 : pids[a] > pids[b] ? -1 : 0));
  return order.map((i, r) => ({ pid: pids[i], rank: r + 1, score: scores[i] }));
}

/**
 * 1 / rank of the first candidate graded >= minRelevance when it is within `depth` (MS MARCO's MRR@10 per
 * query), else 0. Candidates are ranked by rankByScore.
 */
export function reciprocalRank(
  pids: readonly string[],
  scores: readonly number[],
  grades: readonly number[],
  minRelevance: number,
  depth = 10,
): number {
  const gradeOf = new Map(pids.map((pid, i) => [pid, grades[i]]));
  for (const c of rankByScore(pids, scores)) {
    if (c.rank > depth) return 0;
    if ((gradeOf.get(c.pid) ?? 0) >= minRelevance) return 1 / c.rank;
  }
  return 0;
}

/** Adds values left to right (one fixed order, so sums of the same values are bit-identical). */
export function sumInOrder(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
