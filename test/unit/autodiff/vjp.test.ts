import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { GraphBuilder, Tensor } from '../../../src/core/graph/builder';
import { checkVjp, type VjpCase } from './finiteDifferences';

/**
 * Tolerance: max |analytic - FD| <= 2e-3 * max(1, max |FD|). float32 forward passes round the objective to
 * ~1e-7 relative, which the 1e-2 step turns into ~1e-5 absolute; the step's truncation error is ~2e-5 |f'''|.
 * A wrong rule (missing factor, transposed operand, unreduced broadcast) is off by O(1) (last test).
 */
const TOLERANCE = 2e-3;

async function expectVjp(c: VjpCase) {
  const check = await checkVjp(c);
  if (process.env.VJP_VERBOSE)
    console.log(`error ${check.maxError.toExponential(2)} scale ${check.scale.toFixed(3)}`);
  const bound = TOLERANCE * Math.max(1, check.scale);
  assert.ok(
    check.maxError <= bound,
    `max error ${check.maxError} > ${bound} (gradient scale ${check.scale})`,
  );
  assert.ok(check.scale > 1e-3, 'the objective should depend on the inputs');
  return check;
}

const passesVjp = async (c: VjpCase): Promise<void> => {
  await expectVjp(c);
};

const unary = (op: (g: GraphBuilder, x: Tensor) => Tensor, range?: [number, number]): VjpCase => ({
  inputs: { x: { dims: [2, 3], range } },
  build: (g, { x }) => op(g, x),
});

describe('VJP rules against central finite differences', () => {
  for (const [name, build, range] of [
    ['Erf', (g, x) => g.erf(x)],
    ['Gelu (onnxruntime com.microsoft, erf form)', (g, x) => g.gelu(x), [-3, 3]],
    ['Tanh', (g, x) => g.tanh(x)],
    ['Sigmoid', (g, x) => g.sigmoid(x)],
    ['Exp', (g, x) => g.node('Exp', [x], {})],
    ['Neg', (g, x) => g.node('Neg', [x], {})],
    ['Log', (g, x) => g.node('Log', [x], {}), [0.5, 2]],
    ['Sqrt', (g, x) => g.node('Sqrt', [x], {}), [0.5, 2]],
    ['Identity', (g, x) => g.node('Identity', [x], {})],
    ['Cast to float', (g, x) => g.cast(x, 'float32')],
    ['Softmax last axis', (g, x) => g.softmax(g.mul(x, g.constFloat([3], [])), -1)],
    ['Softmax axis 0', (g, x) => g.softmax(g.mul(x, g.constFloat([3], [])), 0)],
    ['Reshape with 0 and -1', (g, x) => g.mul(g.reshape(x, [0, -1, 1]), g.constFloat([1, 2, 3], [3, 1]))],
    [
      'Transpose',
      (g, x) => g.mul(g.transpose(g.unsqueeze(x, [0]), [2, 0, 1]), g.constFloat([1, 2, 3], [3, 1, 1])),
    ],
    ['Unsqueeze/Squeeze', (g, x) => g.squeeze(g.mul(g.unsqueeze(x, [1]), g.constFloat([2], [])), [1])],
    [
      'ReduceSum keepdims 0',
      (g, x) =>
        g.node('ReduceSum', [g.mul(x, x), g.constInt64([1])], { keepdims: 0, noop_with_empty_axes: 0 }),
    ],
    [
      'ReduceSum all',
      (g, x) =>
        g.node('ReduceSum', [g.mul(x, x), g.constInt64([], [0])], { keepdims: 1, noop_with_empty_axes: 0 }),
    ],
    ['ReduceMean keepdims 1', (g, x) => g.node('ReduceMean', [g.mul(x, x)], { axes: [0], keepdims: 1 })],
    ['ReduceMean keepdims 0', (g, x) => g.node('ReduceMean', [g.mul(x, x)], { axes: [-1], keepdims: 0 })],
    [
      'Expand',
      (g, x) =>
        g.mul(
          g.node('Expand', [g.unsqueeze(x, [0]), g.constInt64([4, 2, 3])], {}),
          g.constFloat([1, 2, 3, 4], [4, 1, 1]),
        ),
    ],
    ['x used twice (accumulation)', (g, x) => g.mul(g.tanh(x), x)],
  ] as [string, (g: GraphBuilder, x: Tensor) => Tensor, [number, number]?][]) {
    it(name, () => passesVjp(unary(build, range)));
  }

  const binary = (
    dimsA: number[],
    dimsB: number[],
    op: (g: GraphBuilder, a: Tensor, b: Tensor) => Tensor,
    rangeB?: [number, number],
  ): VjpCase => ({
    inputs: { a: { dims: dimsA }, b: { dims: dimsB, range: rangeB } },
    build: (g, { a, b }) => op(g, a, b),
  });
  const ops: [string, (g: GraphBuilder, a: Tensor, b: Tensor) => Tensor, [number, number]?][] = [
    ['Add', (g, a, b) => g.addT(a, b)],
    ['Sub', (g, a, b) => g.sub(a, b)],
    ['Mul', (g, a, b) => g.mul(a, b)],
    ['Div', (g, a, b) => g.div(a, b), [0.5, 2]],
  ];
  for (const [name, op, rangeB] of ops) {
    for (const [dimsA, dimsB] of [
      [
        [2, 3],
        [2, 3],
      ],
      [[2, 3, 4], [4]],
      [
        [2, 1, 4],
        [3, 1],
      ],
      [[2, 3], []],
      [
        [1, 3],
        [2, 1, 1],
      ],
    ]) {
      it(`${name} [${dimsA}] with [${dimsB}]`, () => passesVjp(binary(dimsA, dimsB, op, rangeB)));
    }
  }

  it('Add broadcasting only known at run time (symbolic dims)', async () => {
    const check = await expectVjp({
      inputs: { a: { dims: [2, 3], declared: ['n', 3] }, b: { dims: [1, 3], declared: ['m', 3] } },
      build: (g, { a, b }) => g.mul(g.addT(a, b), a),
    });
    assert.equal(check.analytic.get('b')?.length, 3);
  });

  it('Pow, base and exponent', () =>
    passesVjp({
      inputs: { x: { dims: [2, 3], range: [0.5, 2] }, p: { dims: [3], range: [0.5, 3] } },
      build: (g, { x, p }) => g.node('Pow', [x, p], {}),
    }));

  for (const [dimsA, dimsB] of [
    [
      [3, 4],
      [4, 2],
    ],
    [
      [2, 3, 4],
      [4, 5],
    ],
    [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
    [
      [3, 4],
      [2, 4, 5],
    ],
  ]) {
    it(`MatMul [${dimsA}] x [${dimsB}]`, () => passesVjp(binary(dimsA, dimsB, (g, a, b) => g.matMul(a, b))));
  }

  it('LayerNormalization (input, scale and bias)', () =>
    passesVjp({
      inputs: { x: { dims: [2, 3, 4] }, scale: { dims: [4], range: [0.5, 1.5] }, bias: { dims: [4] } },
      build: (g, { x, scale, bias }) => g.layerNorm(x, scale, bias, 1e-5),
    }));

  it('LayerNormalization with an epsilon as large as the variance (the rule must use it)', () =>
    // Inputs uniform in [-1, 1] have variance ~1/3: with epsilon 1e-5 a rule that drops epsilon is off by
    // ~1e-5 relative, far inside the finite-difference tolerance; with epsilon 0.5 it is off by a factor ~2.
    passesVjp({
      inputs: { x: { dims: [2, 3, 4] }, scale: { dims: [4], range: [0.5, 1.5] }, bias: { dims: [4] } },
      build: (g, { x, scale, bias }) => g.layerNorm(x, scale, bias, 0.5),
    }));

  for (const [label, indices, indexDims, axis] of [
    ['scalar index, axis 1', [2], [], 1],
    ['1-D repeated indices, axis 0', [1, 0, 1], [3], 0],
    ['2-D indices, axis 2', [0, 3, 3, 1], [2, 2], 2],
  ] as [string, number[], number[], number][]) {
    it(`Gather, ${label}`, () =>
      passesVjp({
        inputs: { data: { dims: [2, 3, 4] }, indices: { dims: indexDims, int64: indices } },
        build: (g, { data, indices: i }) => g.gather(data, i, axis),
      }));
  }

  it('Concat of three inputs on axis 1', () =>
    passesVjp({
      inputs: { a: { dims: [2, 1, 2] }, b: { dims: [2, 3, 2] }, c: { dims: [2, 2, 2] } },
      build: (g, { a, b, c }) => g.mul(g.concat([a, b, c], 1), g.constFloat([1, 2, 3, 4, 5, 6], [6, 1])),
    }));

  for (const [label, starts, ends, axes] of [
    ['negative start, end past the end', [-3], [100], [1]],
    ['two axes', [1, 0], [2, 3], [0, 2]],
  ] as [string, number[], number[], number[]][]) {
    it(`Slice, ${label}`, () =>
      passesVjp({
        inputs: { x: { dims: [3, 4, 5] } },
        build: (g, { x }) =>
          g.slice(g.mul(x, x), g.constInt64(starts), g.constInt64(ends), g.constInt64(axes)),
      }));
  }

  it('Where with broadcast branches', () =>
    passesVjp({
      inputs: {
        c: { dims: [2, 3], bool: [true, false, true, false, false, true] },
        a: { dims: [3] },
        b: { dims: [2, 1] },
      },
      build: (g, { c, a, b }) => g.node('Where', [c, a, b], {}),
    }));

  it('a GELU + attention block (composition)', () =>
    passesVjp({
      inputs: { x: { dims: [2, 3, 4] }, w: { dims: [4, 4] } },
      build: (g, { x, w }) => {
        const pre = g.matMul(x, w);
        const gelu = g.mul(
          g.mul(pre, g.constFloat([0.5], [])),
          g.addT(g.constFloat([1], []), g.erf(g.div(pre, g.constFloat([Math.SQRT2], [])))),
        );
        const scores = g.softmax(g.matMul(gelu, g.transpose(x, [0, 2, 1])), -1);
        return g.layerNorm(
          g.addT(g.matMul(scores, x), x),
          g.constFloat([1, 1, 1, 1], [4]),
          g.constFloat([0, 0, 0, 0], [4]),
          1e-12,
        );
      },
    }));

  it('gives zeros for an input the output does not depend on', async () => {
    const check = await checkVjp({
      inputs: { x: { dims: [2] }, unused: { dims: [3] } },
      build: (g, { x }) => g.tanh(x),
    });
    assert.deepEqual(Array.from(check.analytic.get('unused') ?? []), [0, 0, 0]);
  });

  it('matches a hand-derived gradient exactly enough (tanh: seed * (1 - tanh(x)^2))', async () => {
    const check = await expectVjp(unary((g, x) => g.tanh(x)));
    const x = check.values.get('x') as Float32Array;
    const analytic = check.analytic.get('x') as Float32Array;
    x.forEach((v, i) => {
      const expected = check.seed[i] * (1 - Math.tanh(v) ** 2);
      assert.ok(Math.abs(analytic[i] - expected) < 1e-6, `element ${i}: ${analytic[i]} vs ${expected}`);
    });
  });
});

describe('grad', () => {
  it('names the op when a node on the path has no rule', async () => {
    const { GraphBuilder } = await import('../../../src/core/graph/builder');
    const { grad } = await import('../../../src/core/graph/autodiff');
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [2]);
    const y = g.node('Pad', [x, g.constInt64([1, 1])], {});
    assert.throws(() => grad(g, y, [x]), /no gradient rule for Pad/);
  });
});
