// How much score error a set's ranking metrics can take (issue 21's int8 goals), from the fp32 scores alone:
// - near ties: judged queries whose first relevant passage in the fp32 top 10 is within d logits of a
//   non-relevant candidate of the top 11, the ones any error of about d can reorder;
// - the fp32 scores plus Gaussian noise of a few sizes (one draw per distinct score, so passages with the same
//   text keep their tie, as batch-independent int8 scores do), re-ranked and evaluated again: how often
//   |dMRR@10| and |dnDCG@10| stay within the goals.
// Used by `npm run bench peers` beside the measured int8 rows.
import { rankByScore, reciprocalRank } from '../src/core/analysis/ranking';
import { ndcgAt } from '../src/core/eval/metrics';
import { quantileOfSorted } from '../src/core/eval/significance';
import { mulberry32 } from '../src/core/random';

export interface JudgedQuery {
  readonly pids: readonly string[];
  readonly scores: readonly number[];
  /** pid -> grade of every judged passage of the query (also those not among its candidates). */
  readonly grades: ReadonlyMap<string, number>;
}

export interface NoiseOutcome {
  readonly sd: number;
  readonly medianMrrChange: number;
  readonly mrrWithin: number;
  readonly medianNdcgChange: number;
  readonly ndcgWithin: number;
}

const DEPTH = 10;

/** Queries by qid from `qid\tpid` keys, their scores and the qrels; queries without judgements are left out. */
export function judgedQueries(
  keys: readonly string[],
  scores: readonly number[],
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
): JudgedQuery[] {
  const byQuery = new Map<string, { pids: string[]; scores: number[] }>();
  keys.forEach((key, i) => {
    const [qid, pid] = key.split('\t');
    const q = byQuery.get(qid) ?? { pids: [], scores: [] };
    q.pids.push(pid);
    q.scores.push(scores[i]);
    byQuery.set(qid, q);
  });
  return [...byQuery]
    .filter(([qid]) => qrels.has(qid))
    .map(([qid, q]) => ({ ...q, grades: qrels.get(qid)! }));
}

function metrics(
  queries: readonly JudgedQuery[],
  scoresOf: (q: JudgedQuery) => readonly number[],
  minRel: number,
) {
  let mrr = 0;
  let ndcg = 0;
  for (const q of queries) {
    const scores = scoresOf(q);
    const grades = q.pids.map((pid) => q.grades.get(pid) ?? 0);
    mrr += reciprocalRank(q.pids, scores, grades, minRel, DEPTH);
    ndcg += ndcgAt(rankByScore(q.pids, scores), q.grades, DEPTH);
  }
  return { mrr: mrr / queries.length, ndcg: ndcg / queries.length };
}

/** How many queries' first relevant passage (top 10) has a non-relevant one of the top 11 within each gap. */
export function nearTies(queries: readonly JudgedQuery[], minRel: number, gaps: readonly number[]) {
  const closest: number[] = [];
  for (const q of queries) {
    const ranked = rankByScore(q.pids, q.scores).slice(0, DEPTH + 1);
    const relevant = (pid: string) => (q.grades.get(pid) ?? 0) >= minRel;
    const first = ranked.slice(0, DEPTH).find((c) => relevant(c.pid));
    if (!first) continue;
    const scoreOf = (c: (typeof ranked)[number]) => c.score ?? NaN;
    const others = ranked.filter((c) => !relevant(c.pid)).map((c) => Math.abs(scoreOf(c) - scoreOf(first)));
    closest.push(others.length > 0 ? Math.min(...others) : Infinity);
  }
  return { queries: closest.length, within: gaps.map((gap) => closest.filter((d) => d < gap).length) };
}

const median = (values: readonly number[]) =>
  quantileOfSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  );

/**
 * The metric changes when every distinct fp32 score moves by Gaussian noise of each `sds`, `draws` times each:
 * the median |change| and the share of draws within `mrrGoal` / `ndcgGoal`.
 */
export function noiseSensitivity(
  queries: readonly JudgedQuery[],
  minRel: number,
  sds: readonly number[],
  goals: { readonly mrr: number; readonly ndcg: number },
  draws = 200,
  seed = 21,
): NoiseOutcome[] {
  const exact = metrics(queries, (q) => q.scores, minRel);
  const random = mulberry32(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return sds.map((sd) => {
    const mrrChanges: number[] = [];
    const ndcgChanges: number[] = [];
    for (let d = 0; d < draws; d++) {
      const noise = new Map<number, number>();
      const moved = (q: JudgedQuery) =>
        q.scores.map((s) => {
          if (!noise.has(s)) noise.set(s, sd * gaussian());
          return s + noise.get(s)!;
        });
      const m = metrics(queries, moved, minRel);
      mrrChanges.push(Math.abs(m.mrr - exact.mrr));
      ndcgChanges.push(Math.abs(m.ndcg - exact.ndcg));
    }
    const share = (v: number[], goal: number) => v.filter((x) => x <= goal).length / v.length;
    return {
      sd,
      medianMrrChange: median(mrrChanges),
      mrrWithin: share(mrrChanges, goals.mrr),
      medianNdcgChange: median(ndcgChanges),
      ndcgWithin: share(ndcgChanges, goals.ndcg),
    };
  });
}
