// From a compared number to the queries behind it: per-query changes of the reciprocal rank (MRR@10's terms),
// sorted by effect, as a chart and as a table of the queries that moved. Pure data, drawn by the report and the
// extension's report panel alike.
import { comparisonVerdict, type PairedComparison } from '../eval/significance';
import type { ChartSpec, ReportPalette, TableSpec } from './sections';
import { comparisonCells } from './tableCells';

/**
 * What a comparison changed, in terms a host with the model can redo for one query: the analysis and its setting
 * (period-mask: comma | token-mask | attention-mask; interaction-mask: a direction, with the depth masked and the
 * mask kind). The extension rebuilds the query's ranking before/after from it and opens a pair in the inspector
 * with the same what-if.
 */
export interface DrillTarget {
  readonly analysis: string;
  readonly setting: string;
  /** The mask covers transformer layers 1..layers (interaction-mask's depth i). */
  readonly layers?: number;
  readonly maskKind?: 'token' | 'attention';
}

/** Where a table row leads: a comparison's breakdown, or (with qid) one query's ranking under it. */
export interface DrillLink {
  /** A DrillDownInput id. */
  readonly comparison: string;
  readonly qid?: string;
}

/** What a drill-down chart's bars are, so a click on one opens its query. */
export interface ChartDrill {
  readonly comparison: string;
  readonly label: string;
  /** The comparison in words: Δ with its interval, p, queries up/down/same. */
  readonly summary: string;
  readonly target?: DrillTarget;
  /** The bars' queries, left to right (largest gain first). */
  readonly moved: readonly MovedQuery[];
}

/** One comparison to open: its label, and per query (same order) the baseline's and the setting's reciprocal rank. */
export interface DrillDownInput {
  /** Unique within the report: the chart id is derived from it. */
  readonly id: string;
  readonly label: string;
  readonly summary?: string;
  /** Set where the host can redo the comparison for one query (see DrillTarget). */
  readonly target?: DrillTarget;
  readonly qids: readonly string[];
  readonly baseline: readonly number[];
  readonly treatment: readonly number[];
}

export interface MovedQuery {
  readonly qid: string;
  /** Rank of the first relevant passage within the top 10, else null (below 10 or none). */
  readonly before: number | null;
  readonly after: number | null;
  readonly delta: number;
}

/** A reciprocal rank's rank (1 / rr), or null when it is 0 (no relevant passage in the top 10). */
function rankOf(reciprocalRank: number): number | null {
  return reciprocalRank > 0 ? Math.round(1 / reciprocalRank) : null;
}

/** The queries whose reciprocal rank changed, largest gain first, then largest loss last; ties by qid. */
export function movedQueries(input: DrillDownInput): MovedQuery[] {
  const moved: MovedQuery[] = [];
  input.qids.forEach((qid, i) => {
    const delta = input.treatment[i] - input.baseline[i];
    if (delta !== 0)
      moved.push({ qid, before: rankOf(input.baseline[i]), after: rankOf(input.treatment[i]), delta });
  });
  return moved.sort((a, b) => b.delta - a.delta || (a.qid < b.qid ? -1 : a.qid > b.qid ? 1 : 0));
}

/** A comparison of MRR@10 in words, as its breakdown opens: the two values, Δ with its interval, the verdict. */
export function comparisonSummary(
  before: number,
  after: number,
  comparison: PairedComparison | null | undefined,
  alpha: number | undefined,
): string {
  if (!comparison) return '';
  const value = (v: number) => Number(v.toFixed(4));
  return `MRR@10 ${value(before)} → ${value(after)}, Δ ${comparisonCells(comparison)[0]}; ${comparisonVerdict(comparison, alpha)}`;
}

export const rankText = (rank: number | null) => (rank === null ? '>10' : String(rank));

export const MOVED_COLUMNS = ['comparison', 'qid', 'rank before', 'rank after', 'Δ reciprocal rank'] as const;

export function movedRows(label: string, moved: readonly MovedQuery[]): (string | number)[][] {
  return moved.map((m) => [label, m.qid, rankText(m.before), rankText(m.after), Number(m.delta.toFixed(4))]);
}

export const drillChartId = (comparison: string) => `drill-${comparison}`;

/** How a section shows its breakdowns. */
export interface DrillDownOptions {
  /**
   * Drawn only inside the drill-down once opened (from a chart's point or a table's row), not among the section's
   * charts: for sections with a breakdown per point, too many to draw them all.
   */
  readonly onlyWhenOpen?: boolean;
}

/** A bar per query that moved, sorted by effect; the title counts the queries that did not. */
export function drillDownChart(
  input: DrillDownInput,
  palette: ReportPalette,
  options: DrillDownOptions = {},
): ChartSpec | undefined {
  const moved = movedQueries(input);
  if (moved.length === 0) return undefined;
  const [up, , , down] = palette.series;
  const unchanged = input.qids.length - moved.length;
  const option = {
    animation: false,
    textStyle: { color: palette.text },
    grid: { left: 56, right: 16, top: 16, bottom: 64 },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p: { dataIndex: number }) => {
        const m = moved[p.dataIndex];
        return `query ${m.qid}: rank ${rankText(m.before)} → ${rankText(m.after)} (Δ RR ${m.delta >= 0 ? '+' : ''}${m.delta.toFixed(3)})`;
      },
    },
    xAxis: {
      type: 'category',
      name: 'query (sorted by Δ)',
      nameLocation: 'middle',
      nameGap: 48,
      data: moved.map((m) => m.qid),
      axisLabel: { color: palette.muted, rotate: moved.length > 8 ? 60 : 0, interval: 0 },
      axisLine: { lineStyle: { color: palette.grid } },
    },
    yAxis: {
      type: 'value',
      name: 'Δ reciprocal rank',
      nameLocation: 'middle',
      nameGap: 40,
      axisLabel: { color: palette.muted },
      splitLine: { lineStyle: { color: palette.grid, opacity: 0.4 } },
    },
    series: [
      {
        type: 'bar',
        data: moved.map((m) => ({
          value: Number(m.delta.toFixed(4)),
          itemStyle: { color: m.delta > 0 ? (up ?? '#1f77b4') : (down ?? '#d62728') },
        })),
      },
    ],
  };
  return {
    id: drillChartId(input.id),
    title: `${input.label}: the ${moved.length} queries that moved (${unchanged} unchanged)`,
    option,
    height: 240,
    ...(options.onlyWhenOpen ? { onlyWhenOpen: true } : {}),
    drill: {
      comparison: input.id,
      label: input.label,
      summary: input.summary ?? '',
      ...(input.target ? { target: input.target } : {}),
      moved,
    },
  };
}

/** The link to a comparison's breakdown, where it has one (some query moved). */
export function drillLinkOf(input: DrillDownInput | undefined): DrillLink | undefined {
  return input && movedQueries(input).length > 0 ? { comparison: input.id } : undefined;
}

/**
 * The charts and one table of moved queries for a section's comparisons (no table when the breakdowns are
 * drawn only once opened: their queries are listed there).
 */
export function drillDown(
  inputs: readonly DrillDownInput[],
  palette: ReportPalette,
  options: DrillDownOptions = {},
): { readonly charts: ChartSpec[]; readonly table: TableSpec | undefined } {
  const charts = inputs.flatMap((input) => {
    const chart = drillDownChart(input, palette, options);
    return chart ? [chart] : [];
  });
  if (options.onlyWhenOpen) return { charts, table: undefined };
  const rows = inputs.flatMap((input) => movedRows(input.label, movedQueries(input)));
  const rowLinks = inputs.flatMap((input) =>
    movedQueries(input).map((m): DrillLink => ({ comparison: input.id, qid: m.qid })),
  );
  return {
    charts,
    table: rows.length
      ? {
          caption: 'The queries that moved, by comparison (largest gain first)',
          columns: [...MOVED_COLUMNS],
          rows,
          rowLinks,
        }
      : undefined,
  };
}
