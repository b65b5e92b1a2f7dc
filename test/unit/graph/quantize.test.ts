import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../../src/core/graph/builder';
import { INT8_WEIGHT_LEVELS, quantizeColumns } from '../../../src/core/graph/quantize';
import { rowRanged, rowRangedMatMul } from '../../../src/core/graph/rowRangedMatMul';
import { mulberry32 } from '../../../src/core/random';

const bytesOf = (a: Float32Array | Int8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** ONNX DynamicQuantizeLinear: per-tensor uint8 with the range widened to hold 0, round half to even. */
function dynamicQuantizeLinear(x: Float32Array): { q: Uint8Array; scale: number; zeroPoint: number } {
  const roundEven = (v: number) => {
    const r = Math.round(v);
    return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  const lo = Math.min(0, ...x);
  const hi = Math.max(0, ...x);
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.max(0, Math.min(255, roundEven(-lo / scale)));
  const q = Uint8Array.from(x, (v) => Math.max(0, Math.min(255, roundEven(v / scale) + zeroPoint)));
  return { q, scale, zeroPoint };
}

function randomMatrix(random: () => number, count: number, spread: (i: number) => number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => (random() * 2 - 1) * spread(i));
}

describe('int8 quantisation', () => {
  it('quantises each column to its own scale, symmetric, within half a step', () => {
    // Column 0 spans +-2.54, column 1 +-0.127, column 2 is all zero.
    const w = Float32Array.from([2.54, -0.1, 0, -1.27, 0.127, 0, 0.01, 0.0381, 0]);
    const { values, scales, columnSums } = quantizeColumns(w, 3, 3);
    assert.deepEqual(Array.from(scales), [Math.fround(2.54 / 127), Math.fround(0.127 / 127), 1]);
    assert.deepEqual(Array.from(values), [127, -100, 0, -64, 127, 0, 1, 38, 0]);
    // Sums of the dequantised columns: (127 - 64 + 1) and (-100 + 127 + 38) steps, and the zero column's 0.
    assert.deepEqual(Array.from(columnSums), [64 * scales[0], 65 * scales[1], 0].map(Math.fround));
    w.forEach((v, i) => assert.ok(Math.abs(values[i] * scales[i % 3] - v) <= scales[i % 3] / 2 + 1e-9));
    assert.throws(() => quantizeColumns(w, 2, 3), /9 values, want 2 x 3 = 6/);
    assert.throws(() => quantizeColumns(Float32Array.from([1, NaN]), 1, 2), /weight \[0, 1\] is NaN/);
  });

  it("the graph's DynamicQuantizeMatMul matches a float64 reference of the same quantisation", async () => {
    const random = mulberry32(21);
    const [batch, rows, K, N] = [2, 7, 96, 40];
    // Activations with a positive offset (zero point away from 0) and a few large values, as after a LayerNorm.
    const a = randomMatrix(random, batch * rows * K, (i) => (i % 17 === 0 ? 6 : 1.5)).map((v) => v + 0.4);
    // Columns of very different sizes: a per-tensor scale would lose the small ones.
    const w = randomMatrix(random, K * N, (i) => 0.02 * (1 + (i % N)));
    const bias = randomMatrix(random, N, () => 0.5);
    const { values, scales } = quantizeColumns(w, K, N);

    const g = new GraphBuilder('q');
    const x = g.input('x', 'float32', [batch, rows, K]);
    const b = g.initializer('w', 'int8', [K, N], bytesOf(values));
    const s = g.initializer('w_scale', 'float32', [N], bytesOf(scales));
    const y = g.dynamicQuantizeMatMul(x, b, s, g.constFloat(Array.from(bias), [N], 'bias'));
    g.output(y, 'y', 'float32', [batch, rows, N]);
    const session = await ort.InferenceSession.create(g.encode('test').toBytes());
    const out = await session.run({ x: new ort.Tensor('float32', a, [batch, rows, K]) });
    await session.release();
    const got = out.y.data as Float32Array;

    const qa = dynamicQuantizeLinear(a);
    const reference = new Float64Array(batch * rows * N);
    const exact = new Float64Array(batch * rows * N);
    for (let m = 0; m < batch * rows; m++) {
      for (let n = 0; n < N; n++) {
        let integer = 0;
        let real = 0;
        for (let k = 0; k < K; k++) {
          integer += (qa.q[m * K + k] - qa.zeroPoint) * values[k * N + n];
          real += a[m * K + k] * w[k * N + n];
        }
        reference[m * N + n] = integer * qa.scale * scales[n] + bias[n];
        exact[m * N + n] = real + bias[n];
      }
    }
    // Per column, relative to the column's size: float32 accumulation and scaling only.
    const columnSize = (n: number) =>
      Math.max(...Array.from({ length: batch * rows }, (_, m) => Math.abs(exact[m * N + n])));
    let worstReference = 0;
    let worstExact = 0;
    for (let i = 0; i < got.length; i++) {
      const size = columnSize(i % N);
      worstReference = Math.max(worstReference, Math.abs(got[i] - reference[i]) / size);
      worstExact = Math.max(worstExact, Math.abs(got[i] - exact[i]) / size);
    }
    assert.ok(
      worstReference < 2e-5,
      `quantised product off its reference by ${worstReference} of a column's size`,
    );
    // The reference is a different number from the exact product (the check can tell them apart) ...
    assert.ok(worstExact > 20 * worstReference, `exact ${worstExact} vs reference ${worstReference}`);
    // ... and still close to it: the quantisation loses a few per cent at most, not the answer.
    assert.ok(worstExact < 0.1, `quantised product off the exact one by ${worstExact} of a column's size`);
    assert.equal(INT8_WEIGHT_LEVELS, 127);
  });

  it('the row-ranged product matches a float64 reference and keeps the resolution an outlier row takes', async () => {
    const random = mulberry32(2121);
    const [batch, rows, K, N] = [2, 6, 64, 24];
    const M = batch * rows;
    // Row 3 is 80 times the others (a [SEP]-like token); row 5 is one-sided (a GELU output, >= -0.17);
    // row 8 is all zero.
    const a = randomMatrix(random, M * K, (i) => (Math.floor(i / K) === 3 ? 80 : 1)).map((v, i) => {
      const row = Math.floor(i / K);
      return row === 8 ? 0 : row === 5 ? Math.max(-0.17, 3 * v) : v + 0.2;
    });
    const w = randomMatrix(random, K * N, (i) => 0.03 * (1 + (i % 5)));
    const bias = randomMatrix(random, N, () => 0.5);
    const { values, scales, columnSums } = quantizeColumns(w, K, N);

    const session = async (perRow: boolean) => {
      const g = new GraphBuilder('rows');
      const x = g.input('x', 'float32', ['batch', rows, K]);
      const b = g.initializer('w', 'int8', [K, N], bytesOf(values));
      const s = g.initializer('w_scale', 'float32', [N], bytesOf(scales));
      const sums = g.constFloat(Array.from(columnSums), [N], 'w_column_sums');
      const bb = g.constFloat(Array.from(bias), [N], 'bias');
      const y = perRow
        ? rowRangedMatMul(g, rowRanged(g, x), b, s, sums, bb)
        : g.dynamicQuantizeMatMul(x, b, s, bb);
      g.output(y, 'y', 'float32', ['batch', rows, N]);
      return ort.InferenceSession.create(g.encode('test').toBytes());
    };
    const run = async (perRow: boolean, input: Float32Array, count: number) => {
      const s = await session(perRow);
      const out = await s.run({ x: new ort.Tensor('float32', input, [count, rows, K]) });
      await s.release();
      return out.y.data as Float32Array;
    };
    const [rowRangedOut, perTensorOut] = [await run(true, a, batch), await run(false, a, batch)];

    // Reference: each row mapped (in float32) onto [0, 1] by its own minimum and range, the whole normalised
    // tensor quantised as DynamicQuantizeLinear does (scale 1/255, zero point 0), the integer product scaled
    // back by both scales and the row's range, plus the row's minimum times the dequantised column sums.
    const rowValues = (m: number) => Array.from(a.subarray(m * K, (m + 1) * K));
    const minimum = Array.from({ length: M }, (_, m) => Math.min(...rowValues(m)));
    const range = Array.from({ length: M }, (_, m) =>
      Math.max(1e-30, Math.fround(Math.max(...rowValues(m)) - minimum[m])),
    );
    const normalized = a.map((v, i) => {
      const m = Math.floor(i / K);
      return Math.fround(Math.fround(v - minimum[m]) / Math.fround(range[m]));
    });
    const qa = dynamicQuantizeLinear(normalized);
    assert.equal(qa.zeroPoint, 0);
    assert.equal(qa.scale, Math.fround(1 / 255));
    const reference = new Float64Array(M * N);
    const exact = new Float64Array(M * N);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let integer = 0;
        let real = 0;
        for (let k = 0; k < K; k++) {
          integer += qa.q[m * K + k] * values[k * N + n];
          real += a[m * K + k] * w[k * N + n];
        }
        reference[m * N + n] =
          integer * qa.scale * scales[n] * range[m] + minimum[m] * columnSums[n] + bias[n];
        exact[m * N + n] = real + bias[n];
      }
    }
    /** Largest error over the rows other than the outlier, relative to the largest exact value of those rows. */
    const worst = (got: ArrayLike<number>, want: Float64Array, onlyRow?: number) => {
      let size = 0;
      let error = 0;
      for (let i = 0; i < M * N; i++) {
        const row = Math.floor(i / N);
        if (row === 3 || (onlyRow !== undefined && row !== onlyRow)) continue;
        size = Math.max(size, Math.abs(want[i]));
        error = Math.max(error, Math.abs(got[i] - want[i]));
      }
      return error / size;
    };
    assert.ok(
      worst(rowRangedOut, reference) < 2e-5,
      `off its reference by ${worst(rowRangedOut, reference)}`,
    );
    // The all-zero row is exactly its bias (no division by zero).
    for (let n = 0; n < N; n++) assert.equal(rowRangedOut[8 * N + n], Math.fround(bias[n]));
    // The outlier row costs one scale per call the other rows' resolution; per-row ranges keep it.
    const [perRowError, perTensorError] = [worst(rowRangedOut, exact), worst(perTensorOut, exact)];
    assert.ok(perRowError < 0.03, `row-ranged product off the exact one by ${perRowError}`);
    assert.ok(perTensorError > 10 * perRowError, `per tensor ${perTensorError} vs per row ${perRowError}`);

    // Each row's output is the same bits whatever else shares the call: the one-sided row alone, and the
    // batch's rows in the other order, give what they gave in the batch.
    const [lone, swapped] = [new Float32Array(rows * K), new Float32Array(M * K)];
    lone.set(a.subarray(0, rows * K));
    swapped.set(a.subarray(rows * K), 0);
    swapped.set(a.subarray(0, rows * K), rows * K);
    const loneOut = await run(true, lone, 1);
    const swappedOut = await run(true, swapped, batch);
    assert.deepEqual(Array.from(loneOut), Array.from(rowRangedOut.subarray(0, rows * N)));
    assert.deepEqual(
      Array.from(swappedOut.subarray(rows * N)),
      Array.from(rowRangedOut.subarray(0, rows * N)),
    );
  });
});
