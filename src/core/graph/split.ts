import { GraphBuilder, type OpType } from './builder';
import type { DType, Dim } from './onnx';
import { ShapeTracker } from './shapes';

/**
 * Splits a graph that holds a forward pass and its backward pass (grad() with a `seed` cotangent input) into
 * two graphs, so the backward can run later from stored values instead of recomputing the forward:
 * - forward: every node that does not depend on the seed and is needed by the forward outputs or the backward;
 *   its outputs are the original seed-independent outputs, then the residuals (the forward values the backward
 *   reads);
 * - backward: every node that depends on the seed; its inputs are the seed, the residuals and the original
 *   inputs it reads, its outputs the original seed-dependent outputs.
 * Running forward then backward computes exactly what the one graph computes (the same nodes, in order).
 */
export interface SplitGraphs {
  readonly forward: GraphBuilder;
  readonly backward: GraphBuilder;
  /** Residual tensor names: extra outputs of `forward`, inputs of `backward`, in this order. */
  readonly residuals: readonly string[];
}

const BOOL_OUTPUT: ReadonlySet<OpType> = new Set<OpType>(['Equal']);
const INT64_OUTPUT: ReadonlySet<OpType> = new Set<OpType>(['Shape', 'Size', 'NonZero']);

/**
 * Layout-only ops. One whose every consumer is in the backward is moved there: storing a transposed copy of
 * the attention probabilities costs a pass over memory and a second residual, and onnxruntime fuses a
 * Transpose into the MatMul it feeds only when both are in the same graph.
 */
const MOVABLE: ReadonlySet<OpType> = new Set<OpType>([
  'Transpose',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Identity',
  'Shape',
]);

export function splitAtSeed(g: GraphBuilder, seed: string): SplitGraphs {
  if (!g.inputs.some((i) => i.name === seed)) throw new Error(`graph ${g.graphName} has no input ${seed}`);
  const dependent = new Set<string>([seed]);
  const isBackward = g.nodes.map((node) => {
    const hit = node.inputs.some((name) => dependent.has(name));
    if (hit) node.outputs.forEach((name) => dependent.add(name));
    return hit;
  });
  const consumers = new Map<string, number[]>();
  g.nodes.forEach((node, i) =>
    node.inputs.forEach((name) => consumers.set(name, [...(consumers.get(name) ?? []), i])),
  );
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  // Walking back from the end moves whole chains (Reshape -> Transpose -> backward MatMul).
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const node = g.nodes[i];
    if (isBackward[i] || !MOVABLE.has(node.op)) continue;
    const uses = node.outputs.flatMap((name) => consumers.get(name) ?? []);
    if (uses.length > 0 && uses.every((j) => isBackward[j]) && !node.outputs.some((n) => graphOutputs.has(n)))
      isBackward[i] = true;
  }

  const dtypes = new Map<string, DType>();
  for (const i of g.inputs) dtypes.set(i.name, i.dtype);
  for (const i of g.initializers) dtypes.set(i.name, i.dtype);
  for (const node of g.nodes) {
    const dtype: DType | undefined =
      node.op === 'Cast'
        ? (node.attributes as { to: DType }).to
        : BOOL_OUTPUT.has(node.op)
          ? 'bool'
          : INT64_OUTPUT.has(node.op)
            ? 'int64'
            : // Where's type is its branches'; every other op's is its first input's.
              dtypes.get(node.op === 'Where' ? node.inputs[1] : node.inputs[0]);
    if (!dtype) throw new Error(`graph ${g.graphName}: no type for ${node.outputs[0]} (${node.op})`);
    node.outputs.forEach((name) => dtypes.set(name, dtype));
  }

  const produced = new Set(g.nodes.filter((_, i) => !isBackward[i]).flatMap((n) => n.outputs));
  const backwardNodes = g.nodes.filter((_, i) => isBackward[i]);
  const backwardReads = new Set(backwardNodes.flatMap((n) => n.inputs));
  const residuals = [...produced].filter((name) => backwardReads.has(name));
  const forwardOutputs = g.outputs.filter((o) => !dependent.has(o.name));
  const backwardOutputs = g.outputs.filter((o) => dependent.has(o.name));

  // Forward nodes actually needed: those the forward outputs and the residuals reach, walking back.
  const needed = new Set<string>([...forwardOutputs.map((o) => o.name), ...residuals]);
  const forwardNodes = g.nodes
    .filter((_, i) => !isBackward[i])
    .reverse()
    .filter((node) => {
      if (!node.outputs.some((name) => needed.has(name))) return false;
      node.inputs.forEach((name) => needed.add(name));
      return true;
    })
    .reverse();

  const shapes = new ShapeTracker(g);
  let symbol = 0;
  const shapeOf = (name: string): Dim[] => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`graph ${g.graphName}: no static rank for residual ${name}`);
    return shape.map((d) => d ?? `residual_dim_${symbol++}`);
  };
  const dtypeOf = (name: string): DType => dtypes.get(name)!;

  const forward = new GraphBuilder(`${g.graphName}_forward`);
  const forwardReads = new Set(forwardNodes.flatMap((n) => n.inputs));
  for (const input of g.inputs)
    if (input.name !== seed && (forwardReads.has(input.name) || needed.has(input.name)))
      forward.input(input.name, input.dtype, input.shape);
  for (const init of g.initializers)
    if (forwardReads.has(init.name)) forward.initializer(init.name, init.dtype, init.dims, init.data);
  forward.nodes.push(...forwardNodes);
  for (const o of forwardOutputs) forward.output({ name: o.name }, o.name, o.dtype, o.shape);
  const declared = new Set(forwardOutputs.map((o) => o.name));
  for (const name of residuals)
    if (!declared.has(name)) forward.output({ name }, name, dtypeOf(name), shapeOf(name));

  const backward = new GraphBuilder(`${g.graphName}_backward`);
  const residualSet = new Set(residuals);
  for (const input of g.inputs)
    if (input.name === seed || (backwardReads.has(input.name) && !residualSet.has(input.name)))
      backward.input(input.name, input.dtype, input.shape);
  for (const name of residuals) backward.input(name, dtypeOf(name), shapeOf(name));
  for (const init of g.initializers)
    if (backwardReads.has(init.name)) backward.initializer(init.name, init.dtype, init.dims, init.data);
  backward.nodes.push(...backwardNodes);
  for (const o of backwardOutputs) backward.output({ name: o.name }, o.name, o.dtype, o.shape);
  return { forward, backward, residuals };
}
