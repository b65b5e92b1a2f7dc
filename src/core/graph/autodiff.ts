import type { GraphBuilder, GraphNode, OpType, Tensor } from './builder';
import { ShapeTracker, type StaticShape } from './shapes';

/**
 * Reverse-mode automatic differentiation over GraphBuilder graphs. grad() appends the backward pass to
 * the same builder as ordinary ONNX nodes, so onnxruntime runs forward and backward in one session and
 * reuses the forward activations. One vector-Jacobian product (VJP) rule per op, in the table below.
 */
export interface GradOptions {
  /** Cotangent of `output` (its shape). Default: ones, i.e. the gradient of each output element. */
  readonly seed?: Tensor;
}

/** What a rule sees: the forward node, its upstream gradient, and graph-building helpers. */
export interface VjpContext {
  readonly g: GraphBuilder;
  readonly node: GraphNode;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  /** d(loss)/d(output). */
  readonly gy: Tensor;
  /** Whether input i needs a gradient (rules skip work for the others). */
  needs(i: number): boolean;
  rank(t: Tensor): number;
  /** Values of an int64 constant input, or undefined if it is computed at run time. */
  ints(t: Tensor): number[] | undefined;
  /** Sums a broadcast gradient back to `target`'s shape. */
  unbroadcast(grad: Tensor, target: Tensor): Tensor;
  scalar(value: number): Tensor;
  /** int64 [rank]: the run-time shape of t. */
  shapeOf(t: Tensor): Tensor;
}

type Rule = (c: VjpContext) => readonly (Tensor | undefined)[];

const normalizeAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
/** Slice ends past the end clamp to it; 2^53 - 1 survives the number -> int64 conversion exactly. */
const TO_END = Number.MAX_SAFE_INTEGER;

const swapLastTwo = (rank: number) => [...Array(rank - 2).keys(), rank - 1, rank - 2];

const reshapeLike = (c: VjpContext) => [c.g.node('Reshape', [c.gy, c.shapeOf(c.inputs[0])], {})];

/** The VJP of each op: given d(loss)/d(output), d(loss)/d(each input) (undefined: not differentiable). */
const RULES: Partial<Record<OpType, Rule>> = {
  Identity: (c) => [c.gy],
  Neg: (c) => [c.g.node('Neg', [c.gy], {})],
  Add: ({ gy, inputs: [a, b], needs, unbroadcast }) => [
    needs(0) ? unbroadcast(gy, a) : undefined,
    needs(1) ? unbroadcast(gy, b) : undefined,
  ],
  Sub: ({ g, gy, inputs: [a, b], needs, unbroadcast }) => [
    needs(0) ? unbroadcast(gy, a) : undefined,
    needs(1) ? unbroadcast(g.node('Neg', [gy], {}), b) : undefined,
  ],
  Mul: ({ g, gy, inputs: [a, b], needs, unbroadcast }) => [
    needs(0) ? unbroadcast(g.mul(gy, b), a) : undefined,
    needs(1) ? unbroadcast(g.mul(gy, a), b) : undefined,
  ],
  Div: ({ g, gy, inputs: [a, b], output, needs, unbroadcast }) => [
    needs(0) ? unbroadcast(g.div(gy, b), a) : undefined,
    // d(a/b)/db = -(a/b)/b
    needs(1) ? unbroadcast(g.node('Neg', [g.div(g.mul(gy, output), b)], {}), b) : undefined,
  ],
  Pow: ({ g, gy, inputs: [x, p], output, needs, unbroadcast, scalar }) => [
    needs(0) ? unbroadcast(g.mul(g.mul(gy, p), g.node('Pow', [x, g.sub(p, scalar(1))], {})), x) : undefined,
    needs(1) ? unbroadcast(g.mul(g.mul(gy, output), g.node('Log', [x], {})), p) : undefined,
  ],
  MatMul: ({ g, gy, inputs: [a, b], needs, rank, unbroadcast }) => {
    if (rank(a) < 2 || rank(b) < 2) throw new Error('MatMul VJP: 1-D operands are not supported');
    return [
      needs(0) ? unbroadcast(g.matMul(gy, g.transpose(b, swapLastTwo(rank(b)))), a) : undefined,
      needs(1) ? unbroadcast(g.matMul(g.transpose(a, swapLastTwo(rank(a))), gy), b) : undefined,
    ];
  },
  Exp: ({ g, gy, output }) => [g.mul(gy, output)],
  Log: ({ g, gy, inputs: [x] }) => [g.div(gy, x)],
  Sqrt: ({ g, gy, output, scalar }) => [g.div(gy, g.mul(output, scalar(2)))],
  // d erf(x)/dx = 2/sqrt(pi) exp(-x^2)
  Erf: ({ g, gy, inputs: [x], scalar }) => [
    g.mul(g.mul(gy, scalar(2 / Math.sqrt(Math.PI))), g.node('Exp', [g.node('Neg', [g.mul(x, x)], {})], {})),
  ],
  // d gelu(x)/dx = Phi(x) + x phi(x) = (1 + erf(x / sqrt 2)) / 2 + x exp(-x^2 / 2) / sqrt(2 pi)
  Gelu: ({ g, gy, inputs: [x], scalar }) => {
    const twiceCdf = g.addT(g.erf(g.mul(x, scalar(Math.SQRT1_2))), scalar(1));
    const density = g.node('Exp', [g.mul(g.mul(x, x), scalar(-0.5))], {});
    const slope = g.addT(
      g.mul(twiceCdf, scalar(0.5)),
      g.mul(g.mul(x, density), scalar(1 / Math.sqrt(2 * Math.PI))),
    );
    return [g.mul(gy, slope)];
  },
  Tanh: ({ g, gy, output, scalar }) => [g.mul(gy, g.sub(scalar(1), g.mul(output, output)))],
  Sigmoid: ({ g, gy, output, scalar }) => [g.mul(gy, g.mul(output, g.sub(scalar(1), output)))],
  // dx = y * (gy - sum(gy * y)) along the softmax axis
  Softmax: ({ g, gy, output, node }) => {
    const axis = (node.attributes as { axis: number }).axis;
    const dot = g.node('ReduceSum', [g.mul(gy, output), g.constInt64([axis])], {
      keepdims: 1,
      noop_with_empty_axes: 0,
    });
    return [g.mul(output, g.sub(gy, dot))];
  },
  LayerNormalization: layerNormVjp,
  Gather: gatherVjp,
  Reshape: reshapeLike,
  Unsqueeze: reshapeLike,
  Squeeze: reshapeLike,
  Transpose: ({ g, gy, node }) => {
    const perm = (node.attributes as { perm: readonly number[] }).perm;
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [g.transpose(gy, inverse)];
  },
  Concat: concatVjp,
  Slice: sliceVjp,
  Cast: (c) => {
    if ((c.node.attributes as { to: string }).to !== 'float32')
      throw new Error(`Cast ${c.node.name}: only float -> float casts are differentiable`);
    return [c.gy];
  },
  Where: ({ g, gy, inputs: [condition, a, b], needs, unbroadcast, scalar }) => [
    undefined,
    needs(1) ? unbroadcast(g.node('Where', [condition, gy, scalar(0)], {}), a) : undefined,
    needs(2) ? unbroadcast(g.node('Where', [condition, scalar(0), gy], {}), b) : undefined,
  ],
  Expand: (c) => [c.unbroadcast(c.gy, c.inputs[0])],
  ReduceSum: (c) => [reduceVjp(c, c.ints(c.inputs[1]), c.node.attributes as { keepdims: number })],
  ReduceMean: (c) => {
    const attributes = c.node.attributes as { axes: readonly number[]; keepdims: number };
    const spread = reduceVjp(c, attributes.axes, attributes);
    const { g } = c;
    const count = g.div(
      g.cast(g.node('Size', [c.inputs[0]], {}), 'float32'),
      g.cast(g.node('Size', [c.output], {}), 'float32'),
    );
    return [g.div(spread, count)];
  },
};

/** Ops whose output carries no gradient at all (integer or boolean results). */
const NOT_DIFFERENTIABLE = new Set<OpType>(['Shape', 'Equal', 'NonZero', 'Range', 'Size']);

function layerNormVjp({ g, gy, inputs: [x, scale, bias], node, needs, unbroadcast, scalar }: VjpContext) {
  // The forward op does not expose its statistics, so they are recomputed (one pass over x).
  const epsilon = (node.attributes as { epsilon: number }).epsilon;
  const mean = (t: Tensor) => g.node('ReduceMean', [t], { axes: [-1], keepdims: 1 });
  const centred = g.sub(x, mean(x));
  const invStd = g.div(
    scalar(1),
    g.node('Sqrt', [g.addT(mean(g.mul(centred, centred)), scalar(epsilon))], {}),
  );
  const normalized = g.mul(centred, invStd);
  let dx: Tensor | undefined;
  if (needs(0)) {
    const gn = g.mul(gy, scale);
    // dx = invStd * (gn - mean(gn) - xhat * mean(gn * xhat))
    dx = g.mul(invStd, g.sub(g.sub(gn, mean(gn)), g.mul(normalized, mean(g.mul(gn, normalized)))));
  }
  return [
    dx,
    needs(1) ? unbroadcast(g.mul(gy, normalized), scale) : undefined,
    needs(2) ? unbroadcast(gy, bias) : undefined,
  ];
}

/** Scatter-add through a one-hot matrix: rows of the gradient go back to the rows they were read from. */
function gatherVjp({ g, gy, inputs: [data, indices], node, rank }: VjpContext) {
  const r = rank(data);
  const axis = normalizeAxis((node.attributes as { axis: number }).axis, r);
  // Flatten the index dims to one, so the gradient is [..., m, ...] with m looked-up rows on `axis`.
  const flatIndices = g.reshape(indices, [-1]);
  const dims = (start: number, end: number) => g.shape(data, start, end);
  const flatShape = g.concat([dims(0, axis), g.constInt64([-1]), dims(axis + 1, r)], 0);
  const flatGrad = g.node('Reshape', [gy, flatShape], {});
  const size = g.reshape(dims(axis, axis + 1), []);
  const positions = g.node('Range', [g.constInt64([0], []), size, g.constInt64([1], [])], {});
  // [m, size]: oneHot[i, j] = (indices[i] == j). Negative indices are not supported.
  const oneHot = g.cast(g.node('Equal', [g.unsqueeze(flatIndices, [1]), positions], {}), 'float32');
  const toLast = [...[...Array(r).keys()].filter((i) => i !== axis), axis];
  const back = toLast.map((_, i) => toLast.indexOf(i));
  return [g.transpose(g.matMul(g.transpose(flatGrad, toLast), oneHot), back), undefined];
}

function concatVjp({ g, gy, inputs, node, rank, needs }: VjpContext) {
  const axis = normalizeAxis((node.attributes as { axis: number }).axis, rank(inputs[0]));
  const axes = g.constInt64([axis]);
  let start = g.constInt64([0]);
  return inputs.map((x, i) => {
    const end = g.addT(start, g.shape(x, axis, axis + 1));
    const piece = needs(i) ? g.slice(gy, start, end, axes) : undefined;
    start = end;
    return piece;
  });
}

/** Zero-pads the gradient back to the input's extent; the clamped start is |x| - |x[start:]|. */
function sliceVjp({ g, gy, inputs: [x, starts, , axesInput], rank, ints }: VjpContext) {
  const r = rank(x);
  const axes = ints(axesInput);
  if (!axes) throw new Error('Slice VJP: axes must be a constant');
  const sliced = axes.map((a) => normalizeAxis(a, r));
  const tail = g.slice(x, starts, g.constInt64(axes.map(() => TO_END)), axesInput);
  const zero = g.constInt64([0]);
  const begins: Tensor[] = [];
  const ends: Tensor[] = [];
  for (let d = 0; d < r; d++) {
    if (!sliced.includes(d)) {
      begins.push(zero);
      ends.push(zero);
      continue;
    }
    const full = g.shape(x, d, d + 1);
    const begin = g.sub(full, g.shape(tail, d, d + 1));
    begins.push(begin);
    ends.push(g.sub(g.sub(full, begin), g.shape(gy, d, d + 1)));
  }
  return [g.node('Pad', [gy, g.concat([...begins, ...ends], 0)], {}), undefined, undefined, undefined];
}

function reduceVjp(
  c: VjpContext,
  axesValues: readonly number[] | undefined,
  attributes: { keepdims: number },
) {
  const { g, gy, inputs, rank, shapeOf } = c;
  const x = inputs[0];
  if (!axesValues) throw new Error(`${c.node.op} VJP: axes must be a constant`);
  const r = rank(x);
  const all = axesValues.length === 0;
  const axes = (all ? [...Array(r).keys()] : axesValues.map((a) => normalizeAxis(a, r))).sort(
    (a, b) => a - b,
  );
  const kept = attributes.keepdims || axes.length === 0 ? gy : g.unsqueeze(gy, axes);
  return g.node('Expand', [kept, shapeOf(x)], {});
}

function sameDims(a: StaticShape, b: StaticShape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Appends the backward pass of `output` to `g` and returns d(sum(seed * output))/d(x) for each x in
 * `wrt`, as new tensors of x's shape (zeros when x does not influence the output).
 */
export function grad(
  g: GraphBuilder,
  output: Tensor,
  wrt: readonly Tensor[],
  options: GradOptions = {},
): Tensor[] {
  const forward = g.nodes.slice();
  const shapes = new ShapeTracker(g);

  // Nodes between wrt and output: downstream of some x and upstream of the output.
  const downstream = new Set(wrt.map((t) => t.name));
  for (const node of forward) {
    if (NOT_DIFFERENTIABLE.has(node.op)) continue;
    if (node.op === 'Cast' && (node.attributes as { to: string }).to !== 'float32') continue;
    if (node.inputs.some((name) => downstream.has(name))) for (const o of node.outputs) downstream.add(o);
  }
  const upstream = new Set([output.name]);
  for (let i = forward.length - 1; i >= 0; i--) {
    if (forward[i].outputs.some((o) => upstream.has(o)))
      for (const name of forward[i].inputs) upstream.add(name);
  }

  const shapeOfStatic = (t: Tensor): StaticShape => {
    const s = shapes.get(t.name);
    if (!s) throw new Error(`autodiff: the rank of "${t.name}" cannot be inferred`);
    return s;
  };
  const shapeOf = (t: Tensor) => g.shape(t, 0, shapeOfStatic(t).length);
  const scalar = (value: number) => g.constFloat([value], [], 'grad_const');

  const unbroadcast = (gradient: Tensor, target: Tensor): Tensor => {
    const gs = shapeOfStatic(gradient);
    const ts = shapeOfStatic(target);
    if (sameDims(gs, ts)) return gradient;
    const lead = gs.length - ts.length;
    let out = gradient;
    if (lead > 0) {
      const axes = g.constInt64([...Array(lead).keys()]);
      out = g.node('ReduceSum', [out, axes], { keepdims: 0, noop_with_empty_axes: 0 });
    }
    const rest = gs.slice(lead);
    if (ts.every((d, i) => typeof d === 'number' || d === rest[i])) {
      const axes = ts.flatMap((d, i) => (d === 1 && rest[i] !== 1 ? [i] : []));
      if (axes.length === 0) return out;
      return g.node('ReduceSum', [out, g.constInt64(axes)], { keepdims: 1, noop_with_empty_axes: 0 });
    }
    // Not decidable statically: sum over every axis where the target has size 1 at run time.
    const ones = g.node('Equal', [shapeOf(target), g.constInt64([1])], {});
    const axes = g.reshape(g.node('NonZero', [ones], {}), [-1]);
    return g.node('ReduceSum', [out, axes], { keepdims: 1, noop_with_empty_axes: 1 });
  };

  const grads = new Map<string, Tensor>();
  const accumulate = (name: string, gradient: Tensor) => {
    // A gradient has the shape of its variable. Telling the tracker so keeps dims known through the
    // backward pass, so unbroadcast decides its axes statically (the run-time fallback copies whole tensors).
    const variable = shapes.get(name);
    if (variable) shapes.assume(gradient.name, variable);
    const previous = grads.get(name);
    grads.set(name, previous ? g.addT(previous, gradient) : gradient);
  };
  accumulate(output.name, options.seed ?? g.node('Expand', [scalar(1), shapeOf(output)], {}));

  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    const out = node.outputs[0];
    const gy = grads.get(out);
    if (!gy || !downstream.has(out) || !upstream.has(out)) continue;
    const rule = RULES[node.op];
    if (!rule) throw new Error(`autodiff: no gradient rule for ${node.op} (node ${node.name})`);
    const inputs = node.inputs.map((name) => ({ name }));
    const needs = (k: number) => k < inputs.length && downstream.has(inputs[k].name);
    const results = rule({
      g,
      node,
      inputs,
      output: { name: out },
      gy,
      needs,
      rank: (t) => shapeOfStatic(t).length,
      ints: (t) => shapes.constants.get(t.name),
      unbroadcast,
      scalar,
      shapeOf,
    });
    results.forEach((r, k) => {
      if (r && needs(k)) accumulate(inputs[k].name, r);
    });
  }

  return wrt.map((x) => grads.get(x.name) ?? g.node('Expand', [scalar(0), shapeOf(x)], {}));
}
