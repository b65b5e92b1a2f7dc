// What every report section is made of (charts as echarts options, tables, CSV) and the chart helpers the
// analyses' sections share. Pure data and functions (no DOM, no node): the webview bundles them.
import type { ComparedResults } from './compareModels';
import {
  comparisonVerdict,
  formatInterval,
  type MeanInterval,
  type PairedComparison,
  type SignificanceStatement,
} from '../eval/significance';
import type { Curve } from './zhan2020';
import type { ChartDrill, DrillLink } from './drillDown';

export interface ReportPalette {
  readonly text: string;
  readonly muted: string;
  readonly grid: string;
  readonly series: readonly string[];
}

export type ChartOption = Record<string, unknown>;

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly option: ChartOption;
  readonly height: number;
  /** A per-query drill-down chart: its bars open their queries. */
  readonly drill?: ChartDrill;
  /** Drawn only inside its drill-down once that is opened, not among the section's charts. */
  readonly onlyWhenOpen?: boolean;
  /** Per series name, per data index: the drill-down a point opens (a comparison's breakdown), if any. */
  readonly pointLinks?: Readonly<Record<string, readonly (DrillLink | undefined)[]>>;
}

export interface TableSpec {
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  /** Per row, the drill-down it opens (a comparison, or a query under it), if any. */
  readonly rowLinks?: readonly (DrillLink | undefined)[];
}

export interface ReportSection {
  readonly id: string;
  readonly title: string;
  /** What the section shows and how to read it. */
  readonly description: string;
  readonly notes: readonly string[];
  readonly charts: readonly ChartSpec[];
  readonly tables: readonly TableSpec[];
  /** The section's numbers as CSV (header row first). */
  readonly csv: string;
}

export const digits = (v: number, n = 3) => (Number.isFinite(v) ? Number(v.toFixed(n)) : NaN);

export const intervalCell = (i: MeanInterval | undefined) => (i ? formatInterval(i) : '');

/** The notes a section with intervals and tests ends with: each verdict in words, then how they were computed. */
export function significanceNotes(
  statement: SignificanceStatement | null | undefined,
  verdicts: readonly [string, PairedComparison | null | undefined][],
): string[] {
  if (!statement) return [];
  return [
    ...verdicts.flatMap(([label, c]) => (c ? [`${label}: ${comparisonVerdict(c, statement.alpha)}.`] : [])),
    statement.method,
  ];
}

/** Plain-text tooltips (webview CSP refuses the default formatter's styled colour markers). */
export function axisTooltip(xName: string): Record<string, unknown> {
  return {
    trigger: 'axis',
    confine: true,
    formatter: (items: { seriesName: string; value: unknown; axisValue: unknown }[]) => {
      const list = Array.isArray(items) ? items : [items];
      const lines = list
        .filter((i) => Array.isArray(i.value) && typeof i.value[1] === 'number')
        .map((i) => `${i.seriesName}: ${(i.value as number[])[1].toFixed(3)}`);
      return [`${xName} ${String(list[0]?.axisValue ?? '')}`, ...lines].join('<br/>');
    },
  };
}

export function baseOption(
  palette: ReportPalette,
  xName: string,
  yName: string,
  legend: readonly string[],
): ChartOption {
  const axis = {
    nameTextStyle: { color: palette.muted },
    axisLabel: { color: palette.muted },
    axisLine: { lineStyle: { color: palette.grid } },
    splitLine: { lineStyle: { color: palette.grid, opacity: 0.4 } },
  };
  return {
    animation: false,
    color: [...palette.series],
    textStyle: { color: palette.text },
    grid: { left: 56, right: 16, top: 40, bottom: 44 },
    legend: { data: [...legend], top: 0, textStyle: { color: palette.text }, type: 'scroll' },
    tooltip: axisTooltip(xName),
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 26, minInterval: 1, ...axis },
    yAxis: { type: 'value', name: yName, nameLocation: 'middle', nameGap: 40, scale: true, ...axis },
  };
}

export function line(
  name: string,
  points: readonly (readonly [number, number])[],
  color: string,
  dashed = false,
) {
  return {
    name,
    type: 'line',
    data: points.map((p) => [...p]),
    showSymbol: !dashed,
    symbolSize: 5,
    lineStyle: { color, type: dashed ? 'dashed' : 'solid', width: dashed ? 1.5 : 2 },
    itemStyle: { color },
  };
}

export const INTERVAL_LEGEND = '95% CI';

/** A curve's interval as two thin lines sharing one legend entry (x = index + offset). */
export function intervalLines(intervals: readonly MeanInterval[], color: string, offset = 0) {
  const bound = (pick: (i: MeanInterval) => number) => ({
    name: INTERVAL_LEGEND,
    type: 'line',
    data: intervals.map((i, x) => [x + offset, digits(pick(i), 4)]),
    showSymbol: false,
    lineStyle: { color, type: 'dotted', width: 1, opacity: 0.8 },
    itemStyle: { color },
  });
  return intervals.length ? [bound((i) => i.lower), bound((i) => i.upper)] : [];
}

/**
 * Where the paper's 12-layer curves are drawn beside a model of another depth: at their published layer numbers,
 * or by relative depth (the paper's layer l at l * L / 12 for an L-layer model), so that "the middle layers" and
 * "the last layers" line up. By default relative depth is used whenever the model's depth is not 12.
 */
export type PaperLayerAlignment = 'published' | 'relative-depth';
export const PAPER_LAYERS = 12;

export interface ReportOptions {
  readonly paperLayers?: PaperLayerAlignment;
  /** Other models' results and this report's model name: overlaid curves and the model comparison sections. */
  readonly compareWith?: ComparedResults | readonly ComparedResults[];
  readonly modelName?: string;
}

/** The paper's points for a chart whose model has `modelLayers` transformer layers. */
export type PaperPoints = (curve: Curve | undefined, modelLayers: number) => [number, number][];

/** Whether the paper's layers are moved to this model's depth (the default, when the depths differ). */
export function alignsByDepth(options: ReportOptions, modelLayers: number): boolean {
  return (options.paperLayers ?? 'relative-depth') === 'relative-depth' && modelLayers !== PAPER_LAYERS;
}

export function paperPointsFor(options: ReportOptions): PaperPoints {
  return (curve, modelLayers) => {
    const scale = alignsByDepth(options, modelLayers) ? modelLayers / PAPER_LAYERS : 1;
    return curvePoints(curve).map(([x, y]): [number, number] => [digits(x * scale, 3), y]);
  };
}

/** What the paper curves' legend entries add when they are drawn by relative depth: ", by depth", else "". */
export function depthTag(options: ReportOptions, modelLayers: number): string {
  return alignsByDepth(options, modelLayers) ? ', by depth' : '';
}

/** A note for a section whose paper curves were moved to this model's depth. */
export function alignmentNotes(options: ReportOptions, modelLayers: number): string[] {
  if (!alignsByDepth(options, modelLayers)) return [];
  return [
    `The paper's curves are drawn by relative depth: its layer l (of ${PAPER_LAYERS}) at l × ${modelLayers}/${PAPER_LAYERS} ` +
      `on this ${modelLayers}-layer model's axis, marked "by depth" in the legend (\`--paper-layers published\`, or the ` +
      `setting ranklens.report.paperLayers in VS Code, draws them at their own numbers).`,
  ];
}

export function curvePoints(curve: Curve | undefined): [number, number][] {
  return curve
    ? Object.entries(curve)
        .map(([k, v]): [number, number] => [Number(k), v])
        .sort((a, b) => a[0] - b[0])
    : [];
}
