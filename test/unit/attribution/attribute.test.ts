import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  attribute,
  BASELINES,
  baselineIds,
  type GradientModel,
  type ScoresAndGradients,
} from '../../../src/core/attribution';
import type { EncodedPair, EncodedToken } from '../../../src/core/text/types';

/**
 * A model in plain TypeScript with closed-form attributions, plugged in through the GradientModel interface
 * alone: layer 0 maps a token to [id / 10, type / 10 + t / 20], layer 1 doubles every value, the score
 * after layer 1 is sum(sin(y)). From layer 0 the score is sum(sin(2x)) with gradient 2 cos(2x), so a
 * position's exact attribution is sum(sin(2x) - sin(2x')) at layer 0 and sum(sin(y) - sin(y')) at layer 1.
 */
class SineModel implements GradientModel {
  readonly numLayers = 1;
  readonly hiddenSize = 2;
  /** Layer and point count of every scoresAndGradients call. */
  readonly calls: [number, number][] = [];
  endCalls = 0;

  constructor(private readonly endGradients: boolean) {}

  get gradientsAtEveryLayer(): GradientModel['gradientsAtEveryLayer'] {
    if (!this.endGradients) return undefined;
    return async (states: Float32Array) => {
      this.endCalls++;
      return { gradients: [Float32Array.from(states, (x) => 2 * Math.cos(2 * x))] };
    };
  }

  async hiddenStates(
    inputIds: readonly ArrayLike<number>[],
    tokenTypeIds: readonly ArrayLike<number>[],
  ): Promise<Float32Array[]> {
    const seq = inputIds[0].length;
    const embedded = new Float32Array(inputIds.length * seq * 2);
    inputIds.forEach((ids, b) => {
      for (let t = 0; t < seq; t++) {
        embedded[(b * seq + t) * 2] = ids[t] / 10;
        embedded[(b * seq + t) * 2 + 1] = tokenTypeIds[b][t] / 10 + t / 20;
      }
    });
    return [embedded, embedded.map((x) => 2 * x)];
  }

  async scoresAndGradients(layer: number, states: Float32Array, count: number): Promise<ScoresAndGradients> {
    this.calls.push([layer, count]);
    const scale = layer === 0 ? 2 : 1;
    const size = states.length / count;
    const scores = new Float32Array(count);
    for (let p = 0; p < count; p++)
      for (let i = p * size; i < (p + 1) * size; i++) scores[p] += Math.sin(scale * states[i]);
    return { scores, gradients: states.map((x) => scale * Math.cos(scale * x)) };
  }
}

/** [CLS] q q [SEP] d d d [SEP]. */
function pair(seed: number): EncodedPair {
  const kinds: EncodedToken['kind'][] = ['cls', 'query', 'query', 'sep', 'doc', 'doc', 'doc', 'sep'];
  const ids = kinds.map((k, i) => (k === 'cls' ? 1 : k === 'sep' ? 2 : 3 + ((seed * 7 + i * 5) % 11)));
  const segments = kinds.map((_, i) => (i <= 3 ? 0 : 1));
  const tokens = kinds.map((kind, i) => ({
    text: `w${ids[i]}`,
    id: ids[i],
    kind,
    segment: segments[i] as 0 | 1,
    start: -1,
    end: -1,
  }));
  return {
    tokens,
    inputIds: Int32Array.from(ids),
    tokenTypeIds: Int32Array.from(segments),
    attentionMask: Int32Array.from(ids, () => 1),
    queryTruncated: false,
    passageTruncated: false,
    passageTokenCount: 3,
  };
}

/** The closed form of SineModel's attribution of every position at `layer`. */
async function exact(model: SineModel, p: EncodedPair, layer: number, baseline: number[]): Promise<number[]> {
  const states = await model.hiddenStates([p.inputIds, baseline], [p.tokenTypeIds, p.tokenTypeIds]);
  const scale = layer === 0 ? 2 : 1;
  const n = p.tokens.length;
  const [x, base] = [states[layer].subarray(0, 2 * n), states[layer].subarray(2 * n)];
  return Array.from({ length: n }, (_, t) =>
    [0, 1].reduce((s, u) => s + Math.sin(scale * x[2 * t + u]) - Math.sin(scale * base[2 * t + u]), 0),
  );
}

describe('attribute() over the GradientModel interface', () => {
  it('gives the closed-form attributions of a plain TypeScript model, with each integral’s convergence delta', async () => {
    const model = new SineModel(false);
    const p = pair(1);
    const [result] = await attribute(model, [p], BASELINES, { tolerance: 1e-6 });
    assert.equal(result.layers.length, 4);
    for (const entry of result.layers) {
      const expected = await exact(model, p, entry.layer, baselineIds(p.tokens, entry.baseline, 0));
      entry.attributions.forEach((a, t) =>
        assert.ok(
          Math.abs(a - expected[t]) < 1e-4,
          `layer ${entry.layer} ${entry.baseline} ${t}: ${a} vs ${expected[t]}`,
        ),
      );
      const sum = entry.attributions.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(entry.convergenceDelta - (sum - (entry.scoreInput - entry.scoreBaseline))) < 1e-9);
      assert.ok(Math.abs(entry.convergenceDelta) <= 1e-6 * Math.abs(entry.scoreInput - entry.scoreBaseline));
      assert.ok(entry.converged);
    }
  });

  it('many pairs per call: one result per pair, as attributing each alone, progress counted over all', async () => {
    const pairs = [pair(1), pair(2), pair(3)];
    const model = new SineModel(true);
    const progress: [number, number][] = [];
    const together = await attribute(model, pairs, ['empty-document'], {
      onProgress: (done, total) => progress.push([done, total]),
    });
    assert.equal(together.length, 3);
    for (const [i, p] of pairs.entries())
      assert.deepEqual(together[i], (await attribute(new SineModel(true), [p], ['empty-document']))[0]);
    assert.deepEqual(
      progress,
      Array.from({ length: 6 }, (_, i) => [i + 1, 6]),
    );
    assert.notDeepEqual(together[0].layers[0].attributions, together[1].layers[0].attributions);
  });

  it('batchSize bounds the points of every model call without changing the result', async () => {
    const p = pair(4);
    const options = { tolerance: 1e-5 };
    const wide = new SineModel(false);
    const narrow = new SineModel(false);
    const reference = await attribute(wide, [p], BASELINES, options);
    assert.deepEqual(await attribute(narrow, [p], BASELINES, { ...options, batchSize: 2 }), reference);
    const largest = (model: SineModel) => Math.max(...model.calls.map(([, count]) => count));
    assert.ok(largest(narrow) <= 2, `${narrow.calls.join(' ')}`);
    assert.ok(largest(wide) > 2, `${wide.calls.join(' ')}`);
  });

  it('takes the path ends from gradientsAtEveryLayer once per pair when the model offers it, not when shareEnds is false', async () => {
    const p = pair(5);
    const sharing = new SineModel(true);
    const shared = await attribute(sharing, [p]);
    const onePairCalls = sharing.calls.length;
    assert.equal(sharing.endCalls, 1);
    await attribute(sharing, [p, pair(6)]);
    assert.equal(sharing.endCalls, 3, 'once per pair');
    const separate = new SineModel(true);
    const alone = await attribute(separate, [p], BASELINES, { shareEnds: false });
    assert.equal(separate.endCalls, 0);
    // Layer 0's points: both paths' less their common alpha = 1; with shared ends, less both alpha = 0 too.
    const atLayer0 = (model: SineModel, calls: number) =>
      model.calls.slice(0, calls).reduce((n, [layer, count]) => n + (layer === 0 ? count : 0), 0);
    const total = shared[0].layers.filter((e) => e.layer === 0).reduce((n, e) => n + e.points, 0);
    assert.equal(atLayer0(separate, separate.calls.length), total - 1);
    assert.equal(atLayer0(sharing, onePairCalls), total - 4);
    alone[0].layers.forEach((entry, i) => {
      const other = shared[0].layers[i];
      assert.equal(entry.points, other.points);
      entry.attributions.forEach((a, t) => assert.ok(Math.abs(a - other.attributions[t]) < 1e-6));
    });
  });
});
