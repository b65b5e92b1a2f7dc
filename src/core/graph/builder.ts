import type { LazyBytes } from './protobuf';
import {
  DTYPE_BYTES,
  ONNX_DTYPE_CODE,
  encodeModel,
  type AttributeValue,
  type DType,
  type Dim,
  type EncodedNode,
  type Initializer,
  type ValueInfo,
} from './onnx';

/**
 * The whole op set our graphs use, with each op's attributes. Kept explicit and small on purpose: a
 * reverse-mode autodiff pass walks this typed node list, so every op here needs a known gradient.
 */
export interface OpAttributes {
  MatMul: Record<string, never>;
  Add: Record<string, never>;
  Sub: Record<string, never>;
  Mul: Record<string, never>;
  Div: Record<string, never>;
  Erf: Record<string, never>;
  Tanh: Record<string, never>;
  Sigmoid: Record<string, never>;
  Softmax: { axis: number };
  LayerNormalization: { axis: number; epsilon: number };
  /** Indices are int64; data may be float or int. */
  Gather: { axis: number };
  /** Second input: int64 target shape (0 copies the input dim, -1 infers). */
  Reshape: Record<string, never>;
  Transpose: { perm: readonly number[] };
  /** Second input: int64 axes. */
  Unsqueeze: Record<string, never>;
  /** Second input: int64 axes. */
  Squeeze: Record<string, never>;
  Concat: { axis: number };
  Cast: { to: DType };
  /** Output: int64 [end - start], dims start..end-1 of the input's shape. */
  Shape: { start: number; end: number };
  /** Inputs: data, starts, ends, axes (int64 1-D). */
  Slice: Record<string, never>;
  Identity: Record<string, never>;
  // Used by the backward passes (src/core/graph/autodiff.ts); also fine in forward graphs.
  Neg: Record<string, never>;
  Exp: Record<string, never>;
  Log: Record<string, never>;
  Sqrt: Record<string, never>;
  Pow: Record<string, never>;
  /** Inputs: bool condition, then the two branches (all broadcast). */
  Where: Record<string, never>;
  /** Output bool. */
  Equal: Record<string, never>;
  /** Second input: int64 target shape (broadcast rules). */
  Expand: Record<string, never>;
  /** Inputs: data, int64 axes (1-D, may be empty: then all axes, or none with noop_with_empty_axes = 1). */
  ReduceSum: { keepdims: number; noop_with_empty_axes: number };
  /** Axes are an attribute until opset 18. */
  ReduceMean: { axes: readonly number[]; keepdims: number };
  /** Axes are an attribute until opset 18. */
  ReduceMax: { axes: readonly number[]; keepdims: number };
  /** Axes are an attribute until opset 18. */
  ReduceMin: { axes: readonly number[]; keepdims: number };
  /** Elementwise maximum of its inputs (broadcast). */
  Max: Record<string, never>;
  /** Inputs: data, int64 pads [begin_0..begin_r-1, end_0..end_r-1]; constant mode, zero fill. */
  Pad: Record<string, never>;
  /** Inputs: scalar start, limit, delta. */
  Range: Record<string, never>;
  /** Output int64 scalar: element count. */
  Size: Record<string, never>;
  /** Output int64 [rank, count]: indices of the non-zero elements. */
  NonZero: Record<string, never>;
  /**
   * onnxruntime's com.microsoft Gelu, the exact (erf) form x * Phi(x): one fused pass where the five ops of
   * its formula would each read and write the whole [batch, seq, intermediate] tensor.
   */
  Gelu: Record<string, never>;
  /**
   * onnxruntime's com.microsoft DynamicQuantizeMatMul: A (float) is quantised to uint8 per call (its own
   * scale and zero point), multiplied by the int8 B as an integer product, and scaled back to float. Inputs:
   * A, B (int8 [K, N]), B's scale (float scalar or [N], per column), B's zero point (int8, may be the empty
   * name: 0), bias (float [N], optional). Forward only: no gradient rule (exact graphs never use it).
   */
  DynamicQuantizeMatMul: Record<string, never>;
}
export type OpType = keyof OpAttributes;

/** Ops outside the default ONNX domain, with theirs. */
export const OP_DOMAINS: Partial<Record<OpType, string>> = {
  Gelu: 'com.microsoft',
  DynamicQuantizeMatMul: 'com.microsoft',
};

export interface GraphNode<K extends OpType = OpType> {
  readonly op: K;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: OpAttributes[K];
}

/** Symbolic tensor: just a name in the graph. */
export interface Tensor {
  readonly name: string;
}

function toAttributeValue(key: string, value: unknown): AttributeValue {
  if (key === 'to') return { kind: 'int', value: ONNX_DTYPE_CODE[value as DType] };
  if (key === 'epsilon') return { kind: 'float', value: value as number };
  if (Array.isArray(value)) return { kind: 'ints', value: value as number[] };
  return { kind: 'int', value: value as number };
}

export const OPSET_VERSION = 17;

/** Builds an ONNX graph op by op; every method adds one node and returns its output. */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string) {}

  input(name: string, dtype: DType, shape: readonly Dim[]): Tensor {
    this.claim(name);
    this.inputs.push({ name, dtype, shape });
    return { name };
  }

  output(tensor: Tensor, name: string, dtype: DType, shape: readonly Dim[]): void {
    const named = tensor.name === name ? tensor : this.add('Identity', [tensor], {}, name);
    this.outputs.push({ name: named.name, dtype, shape });
  }

  initializer(name: string, dtype: DType, dims: readonly number[], data: Uint8Array | LazyBytes): Tensor {
    const expected = dims.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (data.byteLength !== expected) {
      throw new Error(
        `initializer ${name}: ${data.byteLength} bytes for dims [${dims.join(', ')}], want ${expected}`,
      );
    }
    this.claim(name);
    this.initializers.push({ name, dtype, dims: dims.slice(), data });
    return { name };
  }

  constFloat(values: readonly number[], dims: readonly number[], hint = 'const'): Tensor {
    return this.initializer(
      this.fresh(hint),
      'float32',
      dims,
      new Uint8Array(Float32Array.from(values).buffer),
    );
  }

  constInt64(values: readonly number[], dims: readonly number[] = [values.length], hint = 'const'): Tensor {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.initializer(this.fresh(hint), 'int64', dims, new Uint8Array(data.buffer));
  }

  matMul(a: Tensor, b: Tensor, name?: string): Tensor {
    return this.add('MatMul', [a, b], {}, name);
  }
  /** a (float) times the int8 weight `b` with per-column `bScale`, plus `bias`: see DynamicQuantizeMatMul. */
  dynamicQuantizeMatMul(a: Tensor, b: Tensor, bScale: Tensor, bias?: Tensor, name?: string): Tensor {
    const inputs = bias ? [a, b, bScale, { name: '' }, bias] : [a, b, bScale];
    return this.add('DynamicQuantizeMatMul', inputs, {}, name);
  }
  addT(a: Tensor, b: Tensor, name?: string): Tensor {
    return this.add('Add', [a, b], {}, name);
  }
  sub(a: Tensor, b: Tensor, name?: string): Tensor {
    return this.add('Sub', [a, b], {}, name);
  }
  mul(a: Tensor, b: Tensor, name?: string): Tensor {
    return this.add('Mul', [a, b], {}, name);
  }
  div(a: Tensor, b: Tensor, name?: string): Tensor {
    return this.add('Div', [a, b], {}, name);
  }
  erf(x: Tensor, name?: string): Tensor {
    return this.add('Erf', [x], {}, name);
  }
  gelu(x: Tensor, name?: string): Tensor {
    return this.add('Gelu', [x], {}, name);
  }
  tanh(x: Tensor, name?: string): Tensor {
    return this.add('Tanh', [x], {}, name);
  }
  sigmoid(x: Tensor, name?: string): Tensor {
    return this.add('Sigmoid', [x], {}, name);
  }
  softmax(x: Tensor, axis: number, name?: string): Tensor {
    return this.add('Softmax', [x], { axis }, name);
  }
  layerNorm(x: Tensor, scale: Tensor, bias: Tensor, epsilon: number, name?: string): Tensor {
    return this.add('LayerNormalization', [x, scale, bias], { axis: -1, epsilon }, name);
  }
  gather(data: Tensor, indices: Tensor, axis: number, name?: string): Tensor {
    return this.add('Gather', [data, indices], { axis }, name);
  }
  reshape(x: Tensor, shape: readonly number[], name?: string): Tensor {
    return this.add('Reshape', [x, this.constInt64(shape, [shape.length], 'shape')], {}, name);
  }
  transpose(x: Tensor, perm: readonly number[], name?: string): Tensor {
    return this.add('Transpose', [x], { perm: perm.slice() }, name);
  }
  unsqueeze(x: Tensor, axes: readonly number[], name?: string): Tensor {
    return this.add('Unsqueeze', [x, this.constInt64(axes, [axes.length], 'axes')], {}, name);
  }
  squeeze(x: Tensor, axes: readonly number[], name?: string): Tensor {
    return this.add('Squeeze', [x, this.constInt64(axes, [axes.length], 'axes')], {}, name);
  }
  concat(xs: readonly Tensor[], axis: number, name?: string): Tensor {
    return this.add('Concat', xs, { axis }, name);
  }
  cast(x: Tensor, to: DType, name?: string): Tensor {
    return this.add('Cast', [x], { to }, name);
  }
  shape(x: Tensor, start: number, end: number, name?: string): Tensor {
    return this.add('Shape', [x], { start, end }, name);
  }
  slice(x: Tensor, starts: Tensor, ends: Tensor, axes: Tensor, name?: string): Tensor {
    return this.add('Slice', [x, starts, ends, axes], {}, name);
  }

  /** Adds any op of the set by name (the typed helpers above cover the forward ops). */
  node<K extends OpType>(
    op: K,
    inputs: readonly Tensor[],
    attributes: OpAttributes[K],
    name?: string,
  ): Tensor {
    return this.add(op, inputs, attributes, name);
  }

  /** onnx.ModelProto bytes writer; lazy initializers are read only when it is flushed. */
  encode(producer: string, docString?: string) {
    const nodes: EncodedNode[] = this.nodes.map((node) => ({
      name: node.name,
      opType: node.op,
      domain: OP_DOMAINS[node.op],
      inputs: node.inputs,
      outputs: node.outputs,
      attributes: Object.fromEntries(
        Object.entries(node.attributes).map(([key, value]) => [key, toAttributeValue(key, value)]),
      ),
    }));
    return encodeModel({
      graphName: this.graphName,
      nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
      opsetVersion: OPSET_VERSION,
      producer,
      docString,
    });
  }

  private add<K extends OpType>(
    op: K,
    inputs: readonly Tensor[],
    attributes: OpAttributes[K],
    name?: string,
  ): Tensor {
    const outName = name ?? this.fresh(op.toLowerCase());
    this.claim(outName);
    this.nodes.push({
      op,
      name: `${outName}_node`,
      inputs: inputs.map((t) => t.name),
      outputs: [outName],
      attributes,
    });
    return { name: outName };
  }

  private fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`graph ${this.graphName}: tensor name "${name}" is used twice`);
    this.names.add(name);
  }
}
