// MS MARCO's MRR@10 written out plainly, independent of src/core's ranking code, to check analyses against.

/** One query: its candidates' pids, grades and scores, in the same order. */
export interface ReferenceRankedQuery {
  readonly pids: readonly string[];
  readonly grades: readonly number[];
  readonly scores: readonly number[];
}

/** 1 / rank of the first candidate graded >= 1 within 10, else 0 (ties: larger pid first). */
export function referenceReciprocalRank({ pids, scores, grades }: ReferenceRankedQuery): number {
  const order = pids
    .map((_, i) => i)
    .sort((a, b) => scores[b] - scores[a] || Number(pids[b]) - Number(pids[a]));
  const first = order.findIndex((i) => grades[i] >= 1);
  return first >= 0 && first < 10 ? 1 / (first + 1) : 0;
}

/** Mean over queries of their reciprocal ranks (MS MARCO's MRR@10). */
export function referenceMrr10(queries: readonly ReferenceRankedQuery[]): number {
  let sum = 0;
  for (const q of queries) sum += referenceReciprocalRank(q);
  return sum / queries.length;
}
