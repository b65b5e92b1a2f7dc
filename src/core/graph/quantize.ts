/** Largest int8 magnitude a weight takes: symmetric, so -127..127 and the zero point is 0. */
export const INT8_WEIGHT_LEVELS = 127;

export interface QuantizedWeight {
  /** int8 [rows, cols], row-major, as a DynamicQuantizeMatMul's B. */
  readonly values: Int8Array;
  /** float [cols]: column c's value = values[., c] * scales[c]. */
  readonly scales: Float32Array;
  /** float [cols]: the sum of column c of the dequantised weight, sum over r of values[r, c] * scales[c]. */
  readonly columnSums: Float32Array;
}

/**
 * Symmetric per-column (per output channel) int8 quantisation of a [rows, cols] row-major weight: each column
 * gets the scale that maps its largest magnitude to INT8_WEIGHT_LEVELS, so one outlier column does not cost
 * the others their resolution. An all-zero column gets scale 1 (its values are exactly 0 either way).
 */
export function quantizeColumns(weight: Float32Array, rows: number, cols: number): QuantizedWeight {
  if (weight.length !== rows * cols)
    throw new Error(`weight has ${weight.length} values, want ${rows} x ${cols} = ${rows * cols}`);
  const maxAbs = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = Math.abs(weight[row + c]);
      if (!Number.isFinite(v)) throw new Error(`weight [${r}, ${c}] is ${weight[row + c]}, not finite`);
      if (v > maxAbs[c]) maxAbs[c] = v;
    }
  }
  const scales = maxAbs.map((m) => (m > 0 ? m / INT8_WEIGHT_LEVELS : 1));
  const values = new Int8Array(rows * cols);
  const integerSums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) {
      const q = Math.round(weight[row + c] / scales[c]);
      values[row + c] = Math.max(-INT8_WEIGHT_LEVELS, Math.min(INT8_WEIGHT_LEVELS, q));
      integerSums[c] += values[row + c];
    }
  }
  return { values, scales, columnSums: Float32Array.from(integerSums, (sum, c) => sum * scales[c]) };
}
