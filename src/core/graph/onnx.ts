import { ProtoWriter, type LazyBytes } from './protobuf';

/** The element types our graphs use, with their onnx.TensorProto.DataType codes. */
export type DType = 'float32' | 'int64' | 'bool' | 'int8' | 'uint8';
export const ONNX_DTYPE_CODE: Record<DType, number> = { float32: 1, int64: 7, bool: 9, int8: 3, uint8: 2 };
/** Bytes per element of each type, as initializers store them. */
export const DTYPE_BYTES: Record<DType, number> = { float32: 4, int64: 8, bool: 1, int8: 1, uint8: 1 };

/** A dimension is a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export interface Initializer {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** Little-endian raw bytes, possibly produced lazily while the model is written. */
  readonly data: Uint8Array | LazyBytes;
}

export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] };

export interface EncodedNode {
  readonly name: string;
  readonly opType: string;
  /** Operator set domain; the default ONNX one when undefined. */
  readonly domain?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

export interface ModelDescription {
  readonly graphName: string;
  readonly nodes: readonly EncodedNode[];
  readonly initializers: readonly Initializer[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly opsetVersion: number;
  readonly producer: string;
  readonly docString?: string;
}

/** IR version 8 goes with opset 17 (onnx/docs/Versioning.md). */
const IR_VERSION = 8;

// Field numbers from onnx.proto.
const ATTRIBUTE_TYPE = { float: 1, int: 2, ints: 7 } as const;

function encodeAttribute(name: string, attr: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (attr.kind === 'float') w.float32(2, attr.value);
  else if (attr.kind === 'int') w.int64(3, attr.value);
  else for (const v of attr.value) w.int64(8, v);
  return w.uint64(20, ATTRIBUTE_TYPE[attr.kind]);
}

function encodeNode(node: EncodedNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.opType);
  for (const [name, attr] of Object.entries(node.attributes)) w.message(5, encodeAttribute(name, attr));
  if (node.domain) w.string(7, node.domain);
  return w;
}

function encodeInitializer(init: Initializer): ProtoWriter {
  const w = new ProtoWriter()
    .packedInt64(1, init.dims)
    .uint64(2, ONNX_DTYPE_CODE[init.dtype])
    .string(8, init.name);
  return w.bytes(9, init.data);
}

function encodeValueInfo(info: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) {
    const d = new ProtoWriter();
    if (typeof dim === 'number') d.int64(1, dim);
    else d.string(2, dim);
    shape.message(1, d);
  }
  const tensorType = new ProtoWriter().uint64(1, ONNX_DTYPE_CODE[info.dtype]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}

/** Encodes an onnx.ModelProto. Large initializers stay lazy until the writer is flushed. */
export function encodeModel(model: ModelDescription): ProtoWriter {
  const graph = new ProtoWriter();
  for (const node of model.nodes) graph.message(1, encodeNode(node));
  graph.string(2, model.graphName);
  for (const init of model.initializers) graph.message(5, encodeInitializer(init));
  for (const input of model.inputs) graph.message(11, encodeValueInfo(input));
  for (const output of model.outputs) graph.message(12, encodeValueInfo(output));

  const opset = new ProtoWriter().string(1, '').int64(2, model.opsetVersion);
  const w = new ProtoWriter().int64(1, IR_VERSION).string(2, model.producer);
  if (model.docString) w.string(6, model.docString);
  w.message(7, graph).message(8, opset);
  // Every other domain a node uses, at version 1 (onnxruntime's contrib ops).
  const domains = new Set(model.nodes.flatMap((n) => (n.domain ? [n.domain] : [])));
  for (const domain of domains) w.message(8, new ProtoWriter().string(1, domain).int64(2, 1));
  return w;
}
