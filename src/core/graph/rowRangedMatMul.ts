import type { GraphBuilder, Tensor } from './builder';

/**
 * Smallest row range: a constant row divides by this instead of 0 (its normalised values stay exactly 0 and the
 * row is carried whole by its minimum). Far below any activation a BERT layer produces, far above float32's
 * smallest normal number.
 */
export const MIN_ROW_RANGE = 1e-30;

/** A float [..., K] tensor as per-row minimum + range times rows that span exactly [0, 1]. */
export interface RowRanged {
  /** (x - minimum) / range: every row's smallest value is exactly 0 and its largest exactly 1. */
  readonly normalized: Tensor;
  /** min over the row: [..., 1]. */
  readonly minimum: Tensor;
  /** max - min over the row, at least MIN_ROW_RANGE: [..., 1]. */
  readonly range: Tensor;
}

/**
 * Maps each row (last axis) of `x` onto [0, 1]. DynamicQuantizeMatMul quantises its whole input with one uint8
 * scale and zero point taken from the tensor's own minimum and maximum; fed rows that all span [0, 1], that
 * scale is always 1/255 with zero point 0, so
 * - each row is quantised on its own range: a token with a huge activation (a [SEP] whose row is one outlier
 *   channel) no longer costs the batch's other tokens their resolution, and a one-sided row (a GELU output,
 *   almost all >= 0) gets all 256 levels where a symmetric scale would spend half of them on values it never has;
 * - a pair's int8 score does not depend on which other pairs share its batch.
 * Computed once per input and shared by every product that reads it (query, key and value).
 */
export function rowRanged(g: GraphBuilder, x: Tensor): RowRanged {
  const minimum = g.node('ReduceMin', [x], { axes: [-1], keepdims: 1 });
  const maximum = g.node('ReduceMax', [x], { axes: [-1], keepdims: 1 });
  const floor = g.constFloat([MIN_ROW_RANGE], [], 'min_row_range');
  const range = g.node('Max', [g.sub(maximum, minimum), floor], {});
  return { normalized: g.div(g.sub(x, minimum), range), minimum, range };
}

/**
 * x W + bias with W int8 per output column (`weight`, `weightScale`: see quantizeColumns) and x quantised to
 * uint8 on each row's own range. With x = minimum + range * normalized per row:
 *   x W = range * (normalized W) + minimum * (1^T W),
 * where normalized W is DynamicQuantizeMatMul's integer product and 1^T W (`columnSums`, [N]) is the sum of each
 * column of the dequantised int8 weight, so the decomposition is exact for the weight the product uses.
 */
export function rowRangedMatMul(
  g: GraphBuilder,
  x: RowRanged,
  weight: Tensor,
  weightScale: Tensor,
  columnSums: Tensor,
  bias: Tensor,
): Tensor {
  const product = g.mul(g.dynamicQuantizeMatMul(x.normalized, weight, weightScale), x.range);
  return g.addT(g.addT(product, g.mul(x.minimum, columnSums)), bias);
}
