import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { gaussLegendre } from '../../../src/core/attribution/quadrature';

/** Abramowitz & Stegun, Table 25.4: positive abscissae and weights on [-1, 1]. */
const TABLE: Record<number, [number, number][]> = {
  2: [[0.5773502691896257, 1]],
  3: [
    [0, 0.8888888888888888],
    [0.7745966692414834, 0.5555555555555556],
  ],
  5: [
    [0, 0.5688888888888889],
    [0.5384693101056831, 0.4786286704993665],
    [0.906179845938664, 0.2369268850561891],
  ],
  6: [
    [0.2386191860831969, 0.467913934572691],
    [0.6612093864662645, 0.3607615730481386],
    [0.9324695142031521, 0.1713244923791704],
  ],
  8: [
    [0.1834346424956498, 0.362683783378362],
    [0.525532409916329, 0.3137066458778873],
    [0.7966664774136267, 0.2223810344533745],
    [0.9602898564975363, 0.1012285362903763],
  ],
};

describe('Gauss–Legendre rules on [0, 1]', () => {
  for (const [n, rows] of Object.entries(TABLE)) {
    it(`${n} points match the tabulated abscissae and weights`, () => {
      const { nodes, weights } = gaussLegendre(Number(n));
      assert.equal(nodes.length, Number(n));
      for (const [x, w] of rows) {
        // Each tabulated +x has its mirror -x; on [0, 1] they are (1 +- x) / 2 with weight w / 2.
        for (const t of x === 0 ? [0.5] : [(1 - x) / 2, (1 + x) / 2]) {
          const i = nodes.findIndex((v) => Math.abs(v - t) < 1e-13);
          assert.ok(i >= 0, `node ${t} missing from ${Array.from(nodes).join(', ')}`);
          assert.ok(Math.abs(weights[i] - w / 2) < 1e-13, `weight ${weights[i]} vs ${w / 2}`);
        }
      }
      for (let i = 1; i < nodes.length; i++) assert.ok(nodes[i] > nodes[i - 1], 'ascending');
    });
  }

  it('is exact for polynomials up to degree 2n - 1 and not for degree 2n', () => {
    for (const n of [1, 4, 7, 12, 24]) {
      const { nodes, weights } = gaussLegendre(n);
      const integrate = (degree: number) => nodes.reduce((s, x, i) => s + weights[i] * x ** degree, 0);
      // The integral of x^d on [0, 1] is 1 / (d + 1).
      for (let d = 0; d <= 2 * n - 1; d++)
        assert.ok(Math.abs(integrate(d) - 1 / (d + 1)) < 1e-12, `n ${n} degree ${d}: ${integrate(d)}`);
    }
    // The error for x^(2n) is (n!)^4 / ((2n + 1) ((2n)!)^2): 0.083 for n = 1, 2.3e-5 for n = 4.
    assert.ok(Math.abs(gaussLegendre(1).weights[0] * 0.5 ** 2 - 1 / 3) > 0.08);
    const four = gaussLegendre(4);
    const degree8 = four.nodes.reduce((s, x, i) => s + four.weights[i] * x ** 8, 0);
    assert.ok(Math.abs(Math.abs(degree8 - 1 / 9) - 2.27e-5) < 1e-7, `${degree8 - 1 / 9}`);
  });

  it('rejects orders that are not positive integers', () => {
    assert.throws(() => gaussLegendre(0), /order 0/);
    assert.throws(() => gaussLegendre(2.5), /order 2.5/);
  });
});
