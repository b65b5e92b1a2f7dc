import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { attentionShares, directionPositions } from '../../../webview/shared/attentionCanvas';
import type { ViewToken } from '../../../src/protocol/attention';

const tok = (text: string, kind: ViewToken['kind'], segment: 0 | 1): ViewToken => ({
  text,
  kind,
  segment,
  start: -1,
  end: -1,
});
// [CLS] q q [SEP] d . d [SEP]
const tokens = [
  tok('[CLS]', 'cls', 0),
  tok('what', 'query', 0),
  tok('is', 'query', 0),
  tok('[SEP]', 'sep', 0),
  tok('a', 'doc', 1),
  tok('.', 'period', 1),
  tok('b', 'doc', 1),
  tok('[SEP]', 'sep', 1),
];

describe('attention shares (Figure 1 for one pair)', () => {
  it('average, over heads and attending tokens, the attention each kind receives', () => {
    const n = tokens.length;
    const L = 2;
    const H = 3;
    const data = new Float32Array(L * H * n * n);
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // Random rows that sum to 1, as softmax rows do.
    for (let r = 0; r < L * H * n; r++) {
      const row = Array.from({ length: n }, random);
      const sum = row.reduce((a, b) => a + b, 0);
      row.forEach((v, j) => (data[r * n + j] = v / sum));
    }
    const shares = attentionShares({ numLayers: L, numHeads: H, seqLength: n, data }, tokens);
    for (let l = 0; l < L; l++) {
      // Independent sum in float64 over the same definition.
      const expect = { cls: 0, sep: 0, period: 0, query: 0, doc: 0 };
      for (let h = 0; h < H; h++)
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            const k = tokens[j].kind as keyof typeof expect;
            expect[k] += data[((l * H + h) * n + i) * n + j] / (H * n);
          }
      for (const k of Object.keys(expect) as (keyof typeof expect)[])
        assert.ok(
          Math.abs(shares[k][l] - expect[k]) < 1e-6,
          `${k} layer ${l}: ${shares[k][l]} vs ${expect[k]}`,
        );
      const total = shares.cls[l] + shares.sep[l] + shares.period[l] + shares.query[l] + shares.doc[l];
      assert.ok(Math.abs(total - 1) < 1e-5, `shares of layer ${l} sum to ${total}`);
    }
  });

  it('keep query → document and document → query positions for the direction filters', () => {
    assert.deepEqual(directionPositions(tokens, 'query-to-doc'), { rows: [1, 2], cols: [4, 5, 6] });
    assert.deepEqual(directionPositions(tokens, 'doc-to-query'), { rows: [4, 5, 6], cols: [1, 2] });
    assert.equal(directionPositions(tokens, 'all').rows.length, 8);
  });
});
