import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { rankByScore, reciprocalRank } from '../../../src/core/analysis/ranking';

describe("analysis rankings follow trec_eval's order", () => {
  it('puts tied pids in descending string order (strcmp): 7, 10, 9 -> 9, 7, 10', () => {
    const ranked = rankByScore(['7', '10', '9'], [0.5, 0.5, 0.5]);
    assert.deepEqual(
      ranked.map((c) => c.pid),
      ['9', '7', '10'],
    );
    assert.deepEqual(
      ranked.map((c) => c.rank),
      [1, 2, 3],
    );
    // Scores still come first: a higher score beats any pid.
    assert.deepEqual(
      rankByScore(['7', '10', '9'], [0.5, 0.9, 0.5]).map((c) => c.pid),
      ['10', '9', '7'],
    );
  });

  it('gives the reciprocal rank of a relevant pid inside a tie by that order', () => {
    // Only pid 10 is relevant; tied with 7 and 9 it is third, so MRR's term is 1/3, not 1.
    assert.equal(reciprocalRank(['7', '10', '9'], [1, 1, 1], [0, 2, 0], 1), 1 / 3);
    assert.equal(reciprocalRank(['7', '10', '9'], [1, 1, 1], [0, 0, 1], 1), 1);
  });
});
