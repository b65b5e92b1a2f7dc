// Table cells and CSV that the report's sections share (the analyses' sections and the model comparison).
import { formatP, formatSigned, type PairedComparison } from '../eval/significance';

/** Rows as CSV, quoting cells with commas, quotes or newlines (header row first). */
export function csvOf(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (v: string | number) => {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** Columns every paired comparison adds to a table (treatment against its baseline, over queries). */
export const COMPARISON_COLUMNS = [
  'Δ [95% CI]',
  'p (permutation)',
  'p (t-test)',
  'queries up/down/same',
] as const;

export function comparisonCells(c: PairedComparison | null | undefined): string[] {
  if (!c) return COMPARISON_COLUMNS.map(() => '');
  const d = c.difference;
  return [
    `${formatSigned(d.mean)} [${formatSigned(d.lower)}, ${formatSigned(d.upper)}]`,
    c.permutation.p < 0.001 ? '< 0.001' : formatP(c.permutation.p),
    c.tTest.p === null ? 'n/a' : c.tTest.p < 0.001 ? '< 0.001' : formatP(c.tTest.p),
    `${c.improved}/${c.hurt}/${c.unchanged}`,
  ];
}
