// One CodeLens per query block of a run or qrels file: which lines open a block.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { queryBlockStarts } from '../../../src/extension/editor/queryBlocks';

const qids = ['1', '1', undefined, '1', '2', '2', '1', undefined, undefined, '3'];
const qidOfLine = (line: number) => qids[line];

describe('query blocks of a run file', () => {
  it('marks the first pair line of each block, skipping blank lines inside a block', () => {
    assert.deepEqual(queryBlockStarts(0, qids.length - 1, qidOfLine), [0, 4, 6, 9]);
  });

  it('a range starting inside a block looks back past blank lines to the pair above', () => {
    assert.deepEqual(queryBlockStarts(3, 5, qidOfLine), [4]);
    assert.deepEqual(queryBlockStarts(8, 9, qidOfLine), [9]);
    assert.deepEqual(queryBlockStarts(5, 6, qidOfLine), [6]);
  });

  it('gives a DL19-shaped run (43 queries x 100 lines) 43 lenses, not 4,300', () => {
    const lines = Array.from({ length: 4300 }, (_, i) => String(19335 + Math.floor(i / 100)));
    const starts = queryBlockStarts(0, lines.length - 1, (l) => lines[l]);
    assert.equal(starts.length, 43);
    assert.deepEqual(starts.slice(0, 3), [0, 100, 200]);
  });
});
