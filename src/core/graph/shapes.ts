import type { GraphBuilder, GraphNode } from './builder';

/** A dimension as far as it is known before running: a size, a symbolic input dim ("batch"), or unknown. */
export type StaticDim = number | string | null;
export type StaticShape = readonly StaticDim[];

function int64Values(bytes: Uint8Array): number[] {
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return Array.from(new BigInt64Array(copy), Number);
}

const normalizeAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** numpy broadcasting of two shapes; a dim stays symbolic or unknown when it cannot be decided statically. */
export function broadcastShapes(a: StaticShape, b: StaticShape): StaticDim[] {
  const rank = Math.max(a.length, b.length);
  const out: StaticDim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[i - (rank - a.length)] ?? 1;
    const y = b[i - (rank - b.length)] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === 'number') out.push(x);
    else if (typeof y === 'number') out.push(y);
    else out.push(null);
  }
  return out;
}

function moreSpecific(a: StaticDim, b: StaticDim): StaticDim {
  if (typeof a === 'number' || b === null) return a;
  if (typeof b === 'number' || a === null) return b;
  return a;
}

function product(dims: readonly StaticDim[]): number | null {
  let p = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return null;
    p *= d;
  }
  return p;
}

/**
 * Static shape inference over a builder's nodes, incremental (the backward pass keeps adding nodes): ranks
 * are always needed by the backward pass (to transpose, unsqueeze and reduce), dims only to decide which
 * broadcast axes to sum over.
 */
export class ShapeTracker {
  private readonly shapes = new Map<string, StaticShape>();
  /** Values of int64 initializers (shape, axes and index constants), by tensor name. */
  readonly constants = new Map<string, number[]>();
  private seen = { inputs: 0, initializers: 0, nodes: 0 };

  constructor(private readonly g: GraphBuilder) {
    this.update();
  }

  get(name: string): StaticShape | undefined {
    this.update();
    return this.shapes.get(name);
  }

  /**
   * Records what is known of a tensor's shape from outside inference (a gradient has its variable's shape),
   * keeping whichever of the two is more specific in each dim: a size over a symbol over unknown.
   */
  assume(name: string, shape: StaticShape): void {
    this.update();
    const inferred = this.shapes.get(name);
    if (inferred && inferred.length !== shape.length)
      throw new Error(`shape of "${name}": rank ${inferred.length} inferred, ${shape.length} assumed`);
    this.shapes.set(name, inferred ? inferred.map((d, i) => moreSpecific(d, shape[i])) : shape.slice());
  }

  private update(): void {
    const { g, seen } = this;
    for (; seen.inputs < g.inputs.length; seen.inputs++) {
      const input = g.inputs[seen.inputs];
      this.shapes.set(input.name, input.shape.slice());
    }
    for (; seen.initializers < g.initializers.length; seen.initializers++) {
      const init = g.initializers[seen.initializers];
      this.shapes.set(init.name, init.dims.slice());
      if (init.dtype === 'int64' && init.data instanceof Uint8Array)
        this.constants.set(init.name, int64Values(init.data));
    }
    for (; seen.nodes < g.nodes.length; seen.nodes++) {
      const node = g.nodes[seen.nodes];
      const shape = inferNode(node, this.shapes, this.constants);
      if (shape) this.shapes.set(node.outputs[0], shape);
    }
  }
}

function inferNode(
  node: GraphNode,
  shapes: Map<string, StaticShape>,
  constants: Map<string, number[]>,
): StaticShape | undefined {
  const ins = node.inputs.map((name) => shapes.get(name));
  const x = ins[0];
  const attrs = node.attributes as Record<string, unknown>;
  switch (node.op) {
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
    case 'Equal':
      return x && ins[1] && broadcastShapes(x, ins[1]);
    case 'Max':
      return ins.reduce<StaticShape | undefined>((a, b) => a && b && broadcastShapes(a, b), x);
    case 'Where':
      return x && ins[1] && ins[2] && broadcastShapes(broadcastShapes(x, ins[1]), ins[2]);
    case 'MatMul':
    case 'DynamicQuantizeMatMul': {
      const [a, b] = [x, ins[1]];
      if (!a || !b || a.length < 2 || b.length < 2) return undefined;
      const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
      return [...batch, a[a.length - 2], b[b.length - 1]];
    }
    case 'Erf':
    case 'Gelu':
    case 'Tanh':
    case 'Sigmoid':
    case 'Softmax':
    case 'LayerNormalization':
    case 'Cast':
    case 'Identity':
    case 'Neg':
    case 'Exp':
    case 'Log':
    case 'Sqrt':
      return x;
    case 'Gather': {
      const indices = ins[1];
      if (!x || !indices) return undefined;
      const axis = normalizeAxis(attrs.axis as number, x.length);
      return [...x.slice(0, axis), ...indices, ...x.slice(axis + 1)];
    }
    case 'Reshape': {
      const target = constants.get(node.inputs[1]);
      if (!target) {
        const length = ins[1]?.[0];
        return typeof length === 'number' ? new Array<StaticDim>(length).fill(null) : undefined;
      }
      const dims: StaticDim[] = target.map((d, i) => (d === 0 ? (x?.[i] ?? null) : d === -1 ? null : d));
      const inferred = dims.indexOf(null);
      if (x && inferred >= 0 && target[inferred] === -1) {
        const total = product(x);
        const rest = product(dims.filter((_, i) => i !== inferred));
        if (total !== null && rest) dims[inferred] = total / rest;
      }
      return dims;
    }
    case 'Transpose':
      return x && (attrs.perm as number[]).map((p) => x[p]);
    case 'Unsqueeze': {
      const axes = constants.get(node.inputs[1]);
      if (!x || !axes) return undefined;
      const rank = x.length + axes.length;
      const inserted = new Set(axes.map((a) => normalizeAxis(a, rank)));
      const out: StaticDim[] = [];
      let next = 0;
      for (let i = 0; i < rank; i++) out.push(inserted.has(i) ? 1 : x[next++]);
      return out;
    }
    case 'Squeeze': {
      const axes = constants.get(node.inputs[1]);
      if (!x || !axes) return undefined;
      const removed = new Set(axes.map((a) => normalizeAxis(a, x.length)));
      return x.filter((_, i) => !removed.has(i));
    }
    case 'Concat': {
      if (!x || ins.some((s) => !s)) return undefined;
      const axis = normalizeAxis(attrs.axis as number, x.length);
      const out = x.slice();
      const total = ins.reduce<number | null>((sum, s) => {
        const d = (s as StaticShape)[axis];
        return sum !== null && typeof d === 'number' ? sum + d : null;
      }, 0);
      out[axis] = total;
      return out;
    }
    case 'Shape': {
      if (!x) return undefined;
      const start = normalizeAxis(attrs.start as number, x.length);
      const end = Math.min(normalizeAxis(attrs.end as number, x.length), x.length);
      return [Math.max(0, end - start)];
    }
    case 'Slice': {
      if (!x) return undefined;
      const axes = constants.get(node.inputs[3]);
      const sliced = axes?.map((a) => normalizeAxis(a, x.length));
      const [starts, ends] = [constants.get(node.inputs[1]), constants.get(node.inputs[2])];
      const unitSteps = !node.inputs[4] || constants.get(node.inputs[4])?.every((step) => step === 1);
      return x.map((d, i) => {
        if (sliced && !sliced.includes(i)) return d;
        const k = sliced ? sliced.indexOf(i) : i;
        const [start, end] = [starts?.[k], ends?.[k]];
        if (!unitSteps || start === undefined || end === undefined) return null;
        if (typeof d === 'number') {
          const clamp = (v: number) => Math.min(d, Math.max(0, v < 0 ? v + d : v));
          return Math.max(0, clamp(end) - clamp(start));
        }
        // The first row of a symbolic dim (every symbolic dim is at least 1 long when a graph runs).
        return start === 0 && end === 1 ? 1 : null;
      });
    }
    case 'Expand': {
      const length = ins[1]?.[0];
      if (!x || typeof length !== 'number') return undefined;
      const target = constants.get(node.inputs[1]);
      return broadcastShapes(x, target ?? new Array<StaticDim>(length).fill(null));
    }
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceMin': {
      if (!x) return undefined;
      const axes =
        node.op === 'ReduceSum' ? (constants.get(node.inputs[1]) ?? undefined) : (attrs.axes as number[]);
      // Axes computed at run time: with keepdims only the rank is known.
      if (!axes) return attrs.keepdims ? x.map(() => null) : undefined;
      const all = axes.length === 0 && !attrs.noop_with_empty_axes;
      const reduced = new Set(all ? x.map((_, i) => i) : axes.map((a) => normalizeAxis(a, x.length)));
      if (attrs.keepdims) return x.map((d, i) => (reduced.has(i) ? 1 : d));
      return x.filter((_, i) => !reduced.has(i));
    }
    case 'Pad':
      return x && x.map(() => null);
    case 'Range':
      return [null];
    case 'Size':
      return [];
    case 'NonZero':
      return x && [x.length, null];
  }
}
