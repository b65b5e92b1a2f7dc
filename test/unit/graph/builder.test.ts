import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../../src/core/graph/builder';

const f32 = (data: number[], dims: number[]) => new ort.Tensor('float32', Float32Array.from(data), dims);

describe('GraphBuilder', () => {
  it('builds a graph that onnxruntime runs, with the numbers worked out by hand', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', ['batch', 3]);
    const ids = g.input('ids', 'int64', ['batch']);
    const w = g.constFloat([1, 0, 0, 1, 1, 1], [3, 2], 'w');
    const y = g.matMul(x, w); // [batch, 2]
    g.output(g.softmax(y, -1), 'p', 'float32', ['batch', 2]);
    const table = g.constFloat([10, 20, 30, 40], [2, 2], 'table');
    g.output(g.gather(table, ids, 0), 'rows', 'float32', ['batch', 2]);
    g.output(g.tanh(g.erf(g.reshape(x, [-1]))), 'flat', 'float32', ['n']);
    const ln = g.layerNorm(x, g.constFloat([1, 1, 1], [3]), g.constFloat([0, 0, 0], [3]), 1e-5);
    g.output(ln, 'ln', 'float32', ['batch', 3]);
    g.output(g.transpose(g.unsqueeze(y, [0]), [2, 0, 1]), 't', 'float32', [2, 1, 'batch']);
    const session = await ort.InferenceSession.create(g.encode('test').toBytes());
    const out = await session.run({
      x: f32([1, 2, 3, 0, 0, 0], [2, 3]),
      ids: new ort.Tensor('int64', BigInt64Array.from([1n, 0n]), [2]),
    });
    // y = [[1+3, 2+3], [0, 0]] -> softmax rows
    const p = out.p.data as Float32Array;
    assert.ok(Math.abs(p[0] - 1 / (1 + Math.E)) < 1e-6);
    assert.ok(Math.abs(p[2] - 0.5) < 1e-6);
    assert.deepEqual(Array.from(out.rows.data as Float32Array), [30, 40, 10, 20]);
    assert.ok(Math.abs((out.flat.data as Float32Array)[0] - Math.tanh(0.8427007929497149)) < 1e-6);
    const lnRow = Array.from((out.ln.data as Float32Array).slice(0, 3));
    const sd = Math.sqrt(2 / 3 + 1e-5);
    lnRow.forEach((v, i) => assert.ok(Math.abs(v - (i - 1) / sd) < 1e-5));
    assert.deepEqual(out.t.dims, [2, 1, 2]);
    assert.deepEqual(Array.from(out.t.data as Float32Array), [4, 0, 5, 0]);
    await session.release();
  });

  it('keeps a typed node list for later passes (autodiff) and rejects duplicate names', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [2]);
    g.output(g.mul(x, x, 'sq'), 'y', 'float32', [2]);
    assert.deepEqual(
      g.nodes.map((n) => [n.op, n.inputs, n.outputs]),
      [
        ['Mul', ['x', 'x'], ['sq']],
        ['Identity', ['sq'], ['y']],
      ],
    );
    assert.throws(() => g.input('x', 'float32', [1]), /tensor name "x" is used twice/);
    assert.throws(
      () => g.initializer('w', 'float32', [3], new Uint8Array(8)),
      /8 bytes for dims \[3\], want 12/,
    );
  });
});
