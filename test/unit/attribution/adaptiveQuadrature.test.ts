import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  integrateAdaptively,
  type PathSample,
  type SampleRequest,
} from '../../../src/core/attribution/quadrature';

/**
 * An analytic path with the shape real BERT paths have: flat, then a sharp turn at `turn`. Token t's share
 * of F is c_t tanh(s (alpha - turn)) + b_t alpha, so its exact attribution is
 * c_t (tanh(s (1 - turn)) - tanh(-s turn)) + b_t.
 */
function sigmoidPath(c: readonly number[], b: readonly number[], s: number, turn: number) {
  const score = (alpha: number) =>
    c.reduce((sum, ct, t) => sum + ct * Math.tanh(s * (alpha - turn)) + b[t] * alpha, 0);
  const sample = (alpha: number): PathSample => ({
    score: score(alpha),
    projections: Float64Array.from(c, (ct, t) => ct * s * (1 - Math.tanh(s * (alpha - turn)) ** 2) + b[t]),
  });
  const exact = c.map((ct, t) => ct * (Math.tanh(s * (1 - turn)) - Math.tanh(-s * turn)) + b[t]);
  return { score, sample, exact };
}

const denominator = (_: number, start: number, end: number) => Math.abs(end - start);

describe('adaptive Simpson quadrature', () => {
  const path = sigmoidPath([0.7, -0.2, 1.1], [0.01, 0.02, -0.03], 60, 0.63);

  it('reaches the tolerance on a sharp turn, with each token close to its exact integral', async () => {
    const asked: number[] = [];
    const [result] = await integrateAdaptively(
      1,
      async (requests) => {
        asked.push(...requests.map((r) => r.alpha));
        return requests.map((r) => path.sample(r.alpha));
      },
      { tolerance: 0.01, maxPoints: 513, denominator },
    );
    const delta = path.score(1) - path.score(0);
    const sum = result.attributions.reduce((a, b) => a + b, 0);
    assert.ok(result.error <= 0.01, `error ${result.error}`);
    assert.ok(result.error <= result.boundedError + 1e-15);
    assert.ok(Math.abs(sum - delta) <= 0.01 * Math.abs(delta), `completeness ${sum} vs ${delta}`);
    result.attributions.forEach((a, t) =>
      assert.ok(
        Math.abs(a - path.exact[t]) <= 0.01 * Math.abs(delta),
        `token ${t}: ${a} vs ${path.exact[t]}`,
      ),
    );
    // Every point is sampled once and kept; the points gather at the turn.
    assert.equal(new Set(asked).size, asked.length);
    assert.equal(result.points, asked.length);
    const near = asked.filter((alpha) => Math.abs(alpha - 0.63) < 0.15).length;
    assert.ok(near > asked.length / 2, `${near} of ${asked.length} points near the turn`);
  });

  it("stop 'bounded': the panels' |gaps| sum within the tolerance, with at least the whole-path rule's points", async () => {
    const run = (stop: 'bounded' | 'whole-path') =>
      integrateAdaptively(1, async (requests) => requests.map((r) => path.sample(r.alpha)), {
        tolerance: 0.01,
        maxPoints: 513,
        denominator,
        stop,
      });
    const [[bounded], [whole]] = await Promise.all([run('bounded'), run('whole-path')]);
    assert.ok(bounded.boundedError <= 0.01, `${bounded.boundedError}`);
    assert.ok(bounded.points >= whole.points, `${bounded.points} vs ${whole.points}`);
  });

  it('uses fewer points than uniform Simpson panels need for the same tolerance', async () => {
    const [adaptive] = await integrateAdaptively(
      1,
      async (requests) => requests.map((r) => path.sample(r.alpha)),
      { tolerance: 0.01, maxPoints: 513, denominator, stop: 'bounded' },
    );
    // Uniform: the fewest 2^k panels whose summed completeness gaps are within the same budget.
    const delta = Math.abs(path.score(1) - path.score(0));
    let panels = 2;
    for (; panels < 1024; panels *= 2) {
      let gaps = 0;
      for (let i = 0; i < panels; i++) {
        const [a, b] = [i / panels, (i + 1) / panels];
        const d = (alpha: number) => path.sample(alpha).projections.reduce((x, y) => x + y, 0);
        const simpson = ((b - a) / 6) * (d(a) + 4 * d((a + b) / 2) + d(b));
        gaps += Math.abs(simpson - (path.score(b) - path.score(a)));
      }
      if (gaps <= 0.01 * delta) break;
    }
    assert.ok(adaptive.points < 2 * panels + 1, `${adaptive.points} adaptive vs ${2 * panels + 1} uniform`);
  });

  it('is exact for a cubic path with the first 3 points', async () => {
    // F = sum_t c_t alpha^3 + b_t alpha: Simpson integrates the quadratic derivative exactly.
    const c = [0.5, -1.5];
    const b = [0.2, 0.1];
    const [result] = await integrateAdaptively(
      1,
      async (requests) =>
        requests.map(({ alpha }) => ({
          score: c.reduce((s, ct, t) => s + ct * alpha ** 3 + b[t] * alpha, 0),
          projections: Float64Array.from(c, (ct, t) => 3 * ct * alpha ** 2 + b[t]),
        })),
      { tolerance: 1e-9, maxPoints: 513, denominator },
    );
    assert.equal(result.points, 3);
    assert.ok(result.boundedError < 1e-12 && result.error < 1e-12);
    result.attributions.forEach((a, t) => assert.ok(Math.abs(a - (c[t] + b[t])) < 1e-12));
  });

  it('stops at maxPoints with the error it reached, and batches the open paths of a pass in one call', async () => {
    const other = sigmoidPath([0.3], [0], 80, 0.2);
    const calls: SampleRequest[][] = [];
    const results = await integrateAdaptively(
      2,
      async (requests) => {
        calls.push([...requests]);
        return requests.map((r) => (r.path === 0 ? path : other).sample(r.alpha));
      },
      { tolerance: 1e-13, maxPoints: 21, denominator },
    );
    for (const r of results) {
      assert.ok(r.points <= 21 && r.points >= 19, `${r.points} points`);
      assert.ok(r.boundedError > 1e-13 && r.error <= r.boundedError);
    }
    assert.deepEqual(
      calls[0].map((r) => r.path),
      [0, 0, 0, 1, 1, 1],
    );
    // Both paths still open on the second pass share its call.
    assert.ok(calls[1].some((r) => r.path === 0) && calls[1].some((r) => r.path === 1));
  });

  it('refuses a first pass that does not fit maxPoints', async () => {
    await assert.rejects(
      integrateAdaptively(1, async () => [], { tolerance: 0.05, maxPoints: 2, denominator }),
      /maxPoints 2 must allow the first pass \(3 points\)/,
    );
  });
});
