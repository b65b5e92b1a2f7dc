// Checks a VJP emitted by grad() against central finite differences, both run through onnxruntime.
import * as ort from 'onnxruntime-node';
import { grad } from '../../../src/core/graph/autodiff';
import { GraphBuilder, type Tensor } from '../../../src/core/graph/builder';
import { ShapeTracker } from '../../../src/core/graph/shapes';
import type { Dim } from '../../../src/core/graph/onnx';
import { rng } from '../../support/checkpoints';

export interface InputSpec {
  readonly dims: readonly number[];
  /** Declared graph shape (default: dims); symbolic names exercise the run-time broadcasting path. */
  readonly declared?: readonly Dim[];
  /** Sample from [lo, hi] (default [-1, 1]). */
  readonly range?: readonly [number, number];
  /** int64 inputs are fed as given and never differentiated. */
  readonly int64?: readonly number[];
  /** Bool inputs (Where conditions). */
  readonly bool?: readonly boolean[];
}

export interface VjpCase {
  readonly inputs: Readonly<Record<string, InputSpec>>;
  readonly build: (g: GraphBuilder, x: Record<string, Tensor>) => Tensor;
  /** Inputs to differentiate (default: every float input). */
  readonly wrt?: readonly string[];
}

export interface VjpCheck {
  /** max |analytic - finite difference| over every element of every wrt input. */
  readonly maxError: number;
  /** max |finite difference|, the scale the error is judged against. */
  readonly scale: number;
  readonly analytic: Map<string, Float32Array>;
  readonly values: Map<string, Float32Array>;
  readonly seed: Float32Array;
}

/** Step of the central differences: truncation ~h^2/6 |f'''| ~ 2e-5, float32 rounding ~6e-8 |s| / h. */
export const FD_STEP = 1e-2;

function buildGraph(c: VjpCase, seedDims?: readonly number[]) {
  const g = new GraphBuilder('vjp_case');
  const xs: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(c.inputs)) {
    const dtype = spec.int64 ? 'int64' : spec.bool ? 'bool' : 'float32';
    xs[name] = g.input(name, dtype, spec.declared ?? spec.dims);
  }
  const y = c.build(g, xs);
  // The output is declared as the builder's static shape inference sees it (unknown dims named), not as a
  // scalar: onnxruntime checks the declaration against its own inference and warned once per case.
  const inferred = new ShapeTracker(g).get(y.name);
  if (!inferred) throw new Error('no static shape for the case output');
  g.output(y, 'y', 'float32', seedDims ?? inferred.map((d, i) => d ?? `y${i}`));
  const wrt = c.wrt ?? Object.keys(c.inputs).filter((n) => !c.inputs[n].int64 && !c.inputs[n].bool);
  if (seedDims) {
    const seed = g.input('seed', 'float32', seedDims);
    const grads = grad(
      g,
      y,
      wrt.map((n) => xs[n]),
      { seed },
    );
    grads.forEach((t, i) => g.output(t, `grad_${wrt[i]}`, 'float32', c.inputs[wrt[i]].dims));
  }
  return { bytes: g.encode('test').toBytes(), wrt };
}

function feedsOf(c: VjpCase, values: Map<string, Float32Array>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, spec] of Object.entries(c.inputs)) {
    const dims = spec.dims.slice();
    if (spec.int64) feeds[name] = new ort.Tensor('int64', BigInt64Array.from(spec.int64.map(BigInt)), dims);
    else if (spec.bool) feeds[name] = new ort.Tensor('bool', Uint8Array.from(spec.bool.map(Number)), dims);
    else feeds[name] = new ort.Tensor('float32', values.get(name) as Float32Array, dims);
  }
  return feeds;
}

export async function checkVjp(c: VjpCase, seed = 7): Promise<VjpCheck> {
  const next = rng(seed);
  const values = new Map<string, Float32Array>();
  for (const [name, spec] of Object.entries(c.inputs)) {
    if (spec.int64 || spec.bool) continue;
    const [lo, hi] = spec.range ?? [-1, 1];
    const n = spec.dims.reduce((a, b) => a * b, 1);
    values.set(
      name,
      Float32Array.from({ length: n }, () => lo + (hi - lo) * next()),
    );
  }
  const forward = await ort.InferenceSession.create(buildGraph(c).bytes);
  const y0 = (await forward.run(feedsOf(c, values))).y;
  const seedValues = Float32Array.from({ length: y0.size }, () => next() * 2 - 1);
  const { bytes, wrt } = buildGraph(c, y0.dims);
  const backward = await ort.InferenceSession.create(bytes);
  const out = await backward.run({
    ...feedsOf(c, values),
    seed: new ort.Tensor('float32', seedValues, y0.dims.slice()),
  });
  const objective = async () => {
    const y = (await forward.run(feedsOf(c, values))).y.data as Float32Array;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * seedValues[i];
    return s;
  };
  let maxError = 0;
  let scale = 0;
  const analytic = new Map<string, Float32Array>();
  for (const name of wrt) {
    const x = values.get(name) as Float32Array;
    const g = out[`grad_${name}`].data as Float32Array;
    if (g.length !== x.length) throw new Error(`grad_${name} has ${g.length} elements, input ${x.length}`);
    analytic.set(name, g);
    for (let i = 0; i < x.length; i++) {
      const original = x[i];
      x[i] = original + FD_STEP;
      const plus = await objective();
      const up = x[i];
      x[i] = original - FD_STEP;
      const minus = await objective();
      const fd = (plus - minus) / (up - x[i]); // the float32 step actually taken
      x[i] = original;
      maxError = Math.max(maxError, Math.abs(fd - g[i]));
      scale = Math.max(scale, Math.abs(fd));
    }
  }
  await forward.release();
  await backward.release();
  return { maxError, scale, analytic, values, seed: seedValues };
}
