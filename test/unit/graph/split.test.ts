import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { ATTRIBUTION_IO, buildLayerGraph } from '../../../src/core/bert/attributionGraph';
import { splitAtSeed } from '../../../src/core/graph/split';
import type { BertConfig } from '../../../src/core/model/config';
import { rng } from '../../support/checkpoints';

const CONFIG = {
  hiddenSize: 16,
  numHeads: 2,
  intermediateSize: 24,
  layerNormEps: 1e-12,
} as BertConfig;

const random = (n: number, next: () => number, scale = 1) =>
  Float32Array.from({ length: n }, () => scale * (2 * next() - 1));

describe('splitAtSeed: a layer VJP as a forward that stores residuals and a backward that reads them', () => {
  it('forward + backward give the fused VJP graph’s output and gradient, and the backward recomputes no forward node', async () => {
    const fused = buildLayerGraph(CONFIG, { gradient: true });
    const { forward, backward, residuals } = splitAtSeed(
      buildLayerGraph(CONFIG, { gradient: true }),
      ATTRIBUTION_IO.gradOut,
    );
    assert.ok(residuals.length > 0);
    // Every backward node reads the seed or a value computed from it, except layout-only ops moved there
    // (a transposed copy of a residual is not stored): no arithmetic of the forward is done twice.
    const layout = new Set(['Transpose', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Shape']);
    const fromSeed = new Set<string>([ATTRIBUTION_IO.gradOut]);
    for (const node of backward.nodes) {
      assert.ok(
        node.inputs.some((name) => fromSeed.has(name)) || layout.has(node.op),
        `${node.name} (${node.op}) recomputes a forward value`,
      );
      node.outputs.forEach((name) => fromSeed.add(name));
    }
    // The attention probabilities ([batch, heads, seq, seq]) are stored once, not also transposed.
    const square = forward.outputs.filter((o) => o.shape.filter((d) => d === 'seq').length === 2);
    assert.equal(square.length, 1, square.map((o) => o.name).join(', '));
    assert.equal(forward.nodes.length + backward.nodes.length <= fused.nodes.length, true);

    const next = rng(7);
    const [batch, seq, h] = [3, 5, CONFIG.hiddenSize];
    const feeds: Record<string, ort.Tensor> = {
      [ATTRIBUTION_IO.hidden]: new ort.Tensor('float32', random(batch * seq * h, next), [batch, seq, h]),
      [ATTRIBUTION_IO.attentionMask]: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: batch * seq }, (_, i) => (i % seq === seq - 1 && i < seq ? 0n : 1n)),
        [batch, seq],
      ),
    };
    for (const input of fused.inputs) {
      if (input.name in feeds || input.name === ATTRIBUTION_IO.gradOut) continue;
      const dims = input.shape as number[];
      const size = dims.reduce((a, b) => a * b, 1);
      const values = input.name.endsWith('norm.weight')
        ? Float32Array.from({ length: size }, () => 1 + 0.2 * (2 * next() - 1))
        : random(size, next, 0.4);
      feeds[input.name] = new ort.Tensor('float32', values, dims);
    }
    const seed = new ort.Tensor('float32', random(batch * seq * h, next), [batch, seq, h]);
    const session = (g: typeof fused) => ort.InferenceSession.create(g.encode('test').toBytes());
    const [whole, first, second] = await Promise.all([session(fused), session(forward), session(backward)]);
    try {
      const expected = await whole.run({ ...feeds, [ATTRIBUTION_IO.gradOut]: seed });
      const pick = (names: readonly string[], from: Record<string, ort.Tensor>) =>
        Object.fromEntries(names.filter((n) => n in from).map((n) => [n, from[n]]));
      const stored = await first.run(pick(first.inputNames, feeds));
      const gradient = await second.run({
        ...pick(second.inputNames, feeds),
        ...pick(second.inputNames, stored),
        [ATTRIBUTION_IO.gradOut]: seed,
      });
      const close = (a: ort.Tensor, b: ort.Tensor, what: string) => {
        const [x, y] = [a.data as Float32Array, b.data as Float32Array];
        assert.equal(x.length, y.length);
        const scale = Math.max(...y.map(Math.abs));
        x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= 1e-5 * scale, `${what}[${i}]: ${v} vs ${y[i]}`));
      };
      close(stored[ATTRIBUTION_IO.hiddenOut], expected[ATTRIBUTION_IO.hiddenOut], 'hidden_out');
      close(gradient[ATTRIBUTION_IO.gradIn], expected[ATTRIBUTION_IO.gradIn], 'grad_in');
      assert.ok(
        residuals.every((name) => name in stored),
        'every residual is a forward output',
      );
    } finally {
      await Promise.all([whole.release(), first.release(), second.release()]);
    }
  });

  it('refuses a seed the graph does not have', () => {
    assert.throws(
      () => splitAtSeed(buildLayerGraph(CONFIG), ATTRIBUTION_IO.gradOut),
      /has no input grad_out/,
    );
  });
});
