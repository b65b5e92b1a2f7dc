import type { GraphBuilder, Tensor } from './builder';

/**
 * Smallest row scale: an all-zero row divides by this instead of 0 (its normalised values stay exactly 0).
 * Far below any activation a BERT layer produces, far above float32's smallest normal number.
 */
export const MIN_ROW_SCALE = 1e-30;

/** A float [..., K] tensor as per-row scales [..., 1] times rows whose largest magnitude is 1. */
export interface RowScaled {
  /** x / scale: every row's largest |value| is exactly 1 (an all-zero row stays 0). */
  readonly normalized: Tensor;
  /** max over the row of |x|, at least MIN_ROW_SCALE: [..., 1]. */
  readonly scale: Tensor;
}

/**
 * Divides each row (last axis) of `x` by its largest magnitude. DynamicQuantizeMatMul quantises its whole input
 * with one uint8 scale; fed normalised rows, each row's quantisation step is in proportion to its own largest
 * value, so a token with a huge activation (a [SEP] whose row is one outlier channel) no longer costs every other
 * token of the batch its resolution.
 * Computed once per input and shared by every product that reads it (query, key and value).
 */
export function rowScaled(g: GraphBuilder, x: Tensor): RowScaled {
  const largest = g.node('ReduceMax', [x], { axes: [-1], keepdims: 1 });
  const smallest = g.node('ReduceMin', [x], { axes: [-1], keepdims: 1 });
  const floor = g.constFloat([MIN_ROW_SCALE], [], 'min_row_scale');
  const scale = g.node('Max', [largest, g.node('Neg', [smallest], {}), floor], {});
  return { normalized: g.div(x, scale), scale };
}

/**
 * x W + bias with W int8 per output column (`weight`, `weightScale`: see quantizeColumns) and x quantised to
 * uint8 per row: DynamicQuantizeMatMul on the normalised rows, then each output row times its row's scale.
 */
export function rowScaledMatMul(
  g: GraphBuilder,
  x: RowScaled,
  weight: Tensor,
  weightScale: Tensor,
  bias: Tensor,
): Tensor {
  return g.addT(g.mul(g.dynamicQuantizeMatMul(x.normalized, weight, weightScale), x.scale), bias);
}
