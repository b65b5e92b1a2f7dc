import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { judgedQueries, nearTies, noiseSensitivity } from '../../../bench/precisionHeadroom';

// Two judged queries and one unjudged: q1's relevant p2 leads p1 by 0.002 logits, q2's relevant p5 leads by 2.
const keys = ['q1\tp1', 'q1\tp2', 'q1\tp3', 'q2\tp4', 'q2\tp5', 'q3\tp6'];
const scores = [3.7, 3.702, 1.0, 0.5, 2.5, 9];
const qrels = new Map([
  ['q1', new Map([['p2', 1]])],
  [
    'q2',
    new Map([
      ['p5', 2],
      ['p9', 1],
    ]),
  ],
]);

describe('precision headroom (bench peers)', () => {
  it('groups scores by judged query and counts near ties of the first relevant passage', () => {
    const queries = judgedQueries(keys, scores, qrels);
    assert.deepEqual(
      queries.map((q) => q.pids),
      [
        ['p1', 'p2', 'p3'],
        ['p4', 'p5'],
      ],
    );
    const ties = nearTies(queries, 1, [0.001, 0.003, 3]);
    assert.equal(ties.queries, 2);
    assert.deepEqual(ties.within, [0, 1, 2]);
  });

  it('noise far below the gaps changes nothing; noise across the 0.002 tie moves MRR@10 by 0.25', () => {
    const queries = judgedQueries(keys, scores, qrels);
    const [tiny, large] = noiseSensitivity(queries, 1, [1e-6, 0.05], { mrr: 0.003, ndcg: 0.005 }, 400);
    assert.equal(tiny.medianMrrChange, 0);
    assert.equal(tiny.mrrWithin, 1);
    assert.equal(tiny.ndcgWithin, 1);
    // q1's p1 and p2 swap in about half the draws: its RR drops from 1 to 1/2, the mean over 2 queries by 0.25.
    assert.ok(large.mrrWithin > 0.3 && large.mrrWithin < 0.7, `within in ${large.mrrWithin} of draws`);
    assert.ok(large.medianMrrChange === 0 || large.medianMrrChange === 0.25, `${large.medianMrrChange}`);
  });
});
