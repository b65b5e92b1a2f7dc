// Small formatting helpers the analyses' CLI summaries share.
import type { PairedComparison } from '../eval/significance';

/** "*" after a value whose paired test against the baseline is significant. */
export function significanceMark(c: PairedComparison | null): string {
  return c?.significant ? '*' : ' ';
}

export const halfWidth = (i: { lower: number; upper: number }) => (i.upper - i.lower) / 2;

/** Values as fixed-point columns. */
export function fixed(values: readonly number[], digits = 3): string {
  return values.map((v) => v.toFixed(digits).padStart(digits + 4)).join('');
}
