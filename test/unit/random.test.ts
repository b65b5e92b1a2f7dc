// The seeded shuffle that samples, splits and probe positions are drawn with: the model recipe (Python)
// reproduces the same orders, so they are pinned here.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { sampleInOrder } from '../../src/core/analysis/pairSet';
import { mulberry32, seededShuffle, shuffleWith } from '../../src/core/random';

describe('seeded shuffle', () => {
  it('gives the pinned Fisher-Yates order for a seed, as a copy', () => {
    const items = [...Array(10).keys()];
    assert.deepEqual(seededShuffle(items, 42), [0, 7, 3, 5, 2, 1, 8, 9, 4, 6]);
    assert.deepEqual(items, [...Array(10).keys()]);
  });

  it('with a generator the caller keeps, goes on from where the generator stands', () => {
    const items = [...Array(10).keys()];
    const random = mulberry32(42);
    assert.deepEqual(shuffleWith(items, random), seededShuffle(items, 42));
    const second = shuffleWith(items, random);
    assert.notDeepEqual(second, seededShuffle(items, 42));
    assert.deepEqual(
      [...second].sort((a, b) => a - b),
      items,
    );
  });

  it('samples without replacement in the original order', () => {
    assert.deepEqual(sampleInOrder([...'abcdefghij'], 4, 7), ['b', 'f', 'g', 'i']);
    assert.deepEqual(sampleInOrder([...'abc'], 5, 7), ['a', 'b', 'c']);
  });
});
