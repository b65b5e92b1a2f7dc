import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { ATTRIBUTION_IO, buildLayerGraph } from '../../../src/core/bert/attributionGraph';
import { GraphBuilder } from '../../../src/core/graph/builder';
import { ShapeTracker } from '../../../src/core/graph/shapes';
import type { BertConfig } from '../../../src/core/model/config';

const CONFIG = { hiddenSize: 16, numHeads: 2, intermediateSize: 24, layerNormEps: 1e-12 } as BertConfig;

describe('ShapeTracker', () => {
  it('infers a constant slice: exact on sizes, the first row of a symbolic dim, unknown otherwise', () => {
    const g = new GraphBuilder('slices');
    const x = g.input('x', 'float32', ['batch', 'seq', 12]);
    const first = g.slice(x, g.constInt64([0]), g.constInt64([1]), g.constInt64([1]));
    const tail = g.slice(x, g.constInt64([-5]), g.constInt64([100]), g.constInt64([2]));
    const rows = g.slice(x, g.constInt64([1]), g.constInt64([3]), g.constInt64([1]));
    const shapes = new ShapeTracker(g);
    assert.deepEqual(shapes.get(first.name), ['batch', 1, 12]);
    assert.deepEqual(shapes.get(tail.name), ['batch', 'seq', 5]);
    assert.deepEqual(shapes.get(rows.name), ['batch', null, 12]);
  });

  it('keeps the more specific dim of what it inferred and what it is told, and refuses another rank', () => {
    const g = new GraphBuilder('assume');
    const x = g.input('x', 'float32', ['batch', 'seq', 12]);
    const y = g.reshape(x, [0, -1, 12]);
    const shapes = new ShapeTracker(g);
    assert.deepEqual(shapes.get(y.name), ['batch', null, 12]);
    shapes.assume(y.name, [null, 'seq', null]);
    assert.deepEqual(shapes.get(y.name), ['batch', 'seq', 12]);
    assert.throws(() => shapes.assume(y.name, ['batch', 'seq']), /rank 3 inferred, 2 assumed/);
  });
});

describe('autodiff through a BERT layer', () => {
  for (const padded of [true, false])
    it(`decides every broadcast statically (${padded ? 'with' : 'without'} a padding mask): no run-time axis search, no copying no-op reduction`, () => {
      const g = buildLayerGraph(CONFIG, { gradient: true, padded });
      assert.equal(
        g.inputs.some((i) => i.name === ATTRIBUTION_IO.attentionMask),
        padded,
      );
      const searched = g.nodes.filter((n) => n.op === 'NonZero');
      assert.deepEqual(
        searched.map((n) => n.name),
        [],
      );
      const noOps = g.nodes.filter(
        (n) =>
          n.op === 'ReduceSum' &&
          (n.attributes as { noop_with_empty_axes?: number }).noop_with_empty_axes === 1,
      );
      assert.deepEqual(
        noOps.map((n) => n.name),
        [],
      );
    });
});
