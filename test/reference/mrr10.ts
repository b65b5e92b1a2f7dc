// MS MARCO's MRR@10 written out plainly, independent of src/core's ranking code, to check analyses against.

/** One query: its candidates' pids, grades and scores, in the same order. */
export interface ReferenceRankedQuery {
  readonly pids: readonly string[];
  readonly grades: readonly number[];
  readonly scores: readonly number[];
}

/** Mean over queries of 1 / rank of the first candidate graded >= 1 within 10 (ties: larger pid first). */
export function referenceMrr10(queries: readonly ReferenceRankedQuery[]): number {
  let sum = 0;
  for (const { pids, scores, grades } of queries) {
    const order = pids
      .map((_, i) => i)
      .sort((a, b) => scores[b] - scores[a] || Number(pids[b]) - Number(pids[a]));
    const first = order.findIndex((i) => grades[i] >= 1);
    if (first >= 0 && first < 10) sum += 1 / (first + 1);
  }
  return sum / queries.length;
}
