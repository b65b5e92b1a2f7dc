import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { byte4ToInt, intToByte4, luceneDocLength, NUM_FREE_VALUES } from '../../../src/core/bm25';

describe('Lucene SmallFloat document length encoding', () => {
  it('keeps lengths below 24 exact', () => {
    assert.equal(NUM_FREE_VALUES, 24);
    for (let n = 0; n < 24; n++) assert.equal(luceneDocLength(n), n);
  });

  it('keeps 4 significant bits above that (hand-worked from the Lucene algorithm)', () => {
    // 100 - 24 = 76 = 0b1001100: shift 3, mantissa 0b001 -> byte 24 + (1 | 4 << 3) = 57, decodes to 24 + 72.
    assert.equal(intToByte4(100), 57);
    assert.equal(byte4ToInt(57), 96);
    // 40 - 24 = 16 = 0b10000: shift 1, mantissa 0 -> 24 + 16 = 40, exact.
    assert.equal(luceneDocLength(40), 40);
    // 41 - 24 = 17 loses its lowest bit.
    assert.equal(luceneDocLength(41), 40);
    assert.equal(luceneDocLength(1000), 984);
  });

  it('is monotone, never rounds up, and fits in one byte up to Integer.MAX_VALUE', () => {
    let previous = -1;
    for (let n = 0; n < 5000; n++) {
      const byte = intToByte4(n);
      assert.ok(byte >= 0 && byte <= 255);
      assert.ok(byte >= previous);
      previous = byte;
      assert.ok(luceneDocLength(n) <= n);
    }
    assert.equal(intToByte4(2 ** 31 - 1), 255);
  });

  it('rejects negative or fractional lengths', () => {
    assert.throws(() => intToByte4(-1), /non-negative 32-bit integer/);
    assert.throws(() => intToByte4(1.5), /non-negative 32-bit integer/);
  });
});
