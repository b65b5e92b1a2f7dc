// Other models' curves drawn into the first model's charts: where two models have the same per-layer or
// per-setting chart, the other models' own curves (the solid lines; not the paper's dashed values, the chance
// lines or the dotted intervals) join the chart, each model with its own line dash and marker, one legend.
import type { ChartOption, ChartSpec, ReportPalette, ReportSection } from './charts';

/** A model whose sections are drawn into the first model's charts. */
export interface OverlaidModel {
  readonly name: string;
  readonly layers: number;
  readonly sections: readonly ReportSection[];
}

interface LineSeries {
  readonly name: string;
  readonly type: 'line';
  readonly data: readonly (readonly number[])[];
  readonly lineStyle?: { readonly type?: unknown; readonly color?: string; readonly width?: number };
  readonly itemStyle?: { readonly color?: string };
  readonly [key: string]: unknown;
}

/** How each model's curves look, in model order (the first model keeps the solid line). */
export const MODEL_MARKS: readonly { readonly symbol: string; readonly dash: 'solid' | number[] }[] = [
  { symbol: 'circle', dash: 'solid' },
  { symbol: 'triangle', dash: [8, 3, 2, 3] },
  { symbol: 'diamond', dash: [2, 3, 2, 3, 8, 3] },
  { symbol: 'rect', dash: [12, 4] },
];

const markOf = (index: number) => MODEL_MARKS[index % MODEL_MARKS.length];

/** A model's own curve: a solid line (the paper's values and chance levels are dashed, intervals dotted). */
function isOwnCurve(series: unknown): series is LineSeries {
  if (typeof series !== 'object' || series === null) return false;
  const s = series as Partial<LineSeries>;
  return s.type === 'line' && typeof s.name === 'string' && (s.lineStyle?.type ?? 'solid') === 'solid';
}

/** Whether a chart's x axis counts layers (then models of different depths meet by relative depth). */
function countsLayers(option: ChartOption): boolean {
  const axis = option.xAxis as { name?: unknown } | undefined;
  return typeof axis?.name === 'string' && /layer/i.test(axis.name);
}

const seriesOf = (chart: ChartSpec): unknown[] =>
  Array.isArray(chart.option.series) ? (chart.option.series as unknown[]) : [];

function marked(series: LineSeries, model: string, index: number, xScale = 1, color?: string): LineSeries {
  const mark = markOf(index);
  const recolored = color
    ? { lineStyle: { ...series.lineStyle, color }, itemStyle: { ...series.itemStyle, color } }
    : {};
  return {
    ...series,
    ...recolored,
    name: `${series.name} · ${model}`,
    data: series.data.map(([x, ...rest]) => [xScale === 1 ? x : Number((x * xScale).toFixed(3)), ...rest]),
    symbol: mark.symbol,
    showSymbol: true,
    lineStyle: { ...(recolored.lineStyle ?? series.lineStyle), type: mark.dash },
  };
}

/** Colours a chart's series do not use yet, in palette order (for models with one curve each). */
function unusedColors(series: readonly unknown[], palette: readonly string[]): string[] {
  const used = new Set(
    series.map((s) => (s as { itemStyle?: { color?: unknown } }).itemStyle?.color).filter(Boolean),
  );
  return palette.filter((c) => !used.has(c));
}

/** Rows a plain legend of these names takes in a half-width chart (~500 px; ~6 px a character, 35 px a key). */
function legendRows(names: readonly string[]): number {
  let rows = 1;
  let width = 0;
  for (const name of names) {
    const item = name.length * 6 + 35;
    if (width > 0 && width + item > 500) {
      rows++;
      width = 0;
    }
    width += item;
  }
  return rows;
}

/** One chart with the others' curves drawn in, or the chart as it was when no other model has it. */
function overlaidChart(
  chart: ChartSpec,
  palette: readonly string[],
  first: { name: string; layers: number },
  others: readonly { model: OverlaidModel; chart: ChartSpec }[],
): ChartSpec {
  const own = seriesOf(chart);
  if (chart.drill || others.length === 0 || !own.some(isOwnCurve)) return chart;
  const byLayer = countsLayers(chart.option);
  const ownCurves = own.filter(isOwnCurve);
  // One curve per model: each model gets a colour of its own; several: colours stay with the curves (groups,
  // directions) and the models differ by dash and marker.
  const spare = ownCurves.length === 1 ? unusedColors(own, palette) : [];
  const added = others.flatMap(({ model, chart: theirs }, i) =>
    seriesOf(theirs)
      .filter(isOwnCurve)
      .map((s) =>
        marked(
          s,
          model.name,
          i + 1,
          byLayer ? first.layers / model.layers : 1,
          spare[i % Math.max(1, spare.length)],
        ),
      ),
  );
  const series = [...own.map((s) => (isOwnCurve(s) ? marked(s, first.name, 0) : s)), ...added];
  const renamed = new Map(ownCurves.map((s) => [s.name, `${s.name} · ${first.name}`]));
  const legend = chart.option.legend as { data?: unknown } | undefined;
  const legendData = [
    ...(Array.isArray(legend?.data) ? (legend.data as string[]) : []).map((n) => renamed.get(n) ?? n),
    ...added.map((s) => s.name),
  ];
  // Every model's entry stays in sight: the legend wraps (no scrolling) and the plot moves down to make room.
  const extra = (legendRows(legendData) - 1) * 22;
  const grid = chart.option.grid as Record<string, unknown> | undefined;
  return {
    ...chart,
    height: chart.height + extra,
    option: {
      ...chart.option,
      legend: { ...legend, type: 'plain', data: legendData },
      grid: { ...grid, top: Number(grid?.top ?? 40) + extra },
      series,
    },
  };
}

/**
 * The first model's sections with every other model's curves drawn into the charts they share (same section,
 * same chart). On layer axes, a model of another depth is drawn by relative depth: its layer l at l × L₁/L.
 */
export function overlayModels(
  first: { readonly name: string; readonly layers: number },
  sections: readonly ReportSection[],
  others: readonly OverlaidModel[],
  palette: ReportPalette,
): ReportSection[] {
  return sections.map((section) => {
    const charts = section.charts.map((chart) =>
      overlaidChart(
        chart,
        palette.series,
        first,
        others.flatMap((model) => {
          const theirs = model.sections
            .find((s) => s.id === section.id)
            ?.charts.find((c) => c.id === chart.id);
          return theirs ? [{ model, chart: theirs }] : [];
        }),
      ),
    );
    const drawn = others.filter((model) =>
      charts.some((c, i) => c !== section.charts[i] && seriesOf(c).some((s) => isModelSeries(s, model.name))),
    );
    if (drawn.length === 0) return section;
    return { ...section, charts, notes: [...section.notes, overlayNote(first, drawn, charts)] };
  });
}

const isModelSeries = (s: unknown, model: string) =>
  typeof s === 'object' &&
  s !== null &&
  (s as { type?: unknown }).type === 'line' &&
  String((s as { name?: unknown }).name).endsWith(` · ${model}`);

function overlayNote(
  first: { name: string; layers: number },
  drawn: readonly OverlaidModel[],
  charts: readonly ChartSpec[],
): string {
  const describe = (index: number) => {
    const m = markOf(index);
    return `${m.dash === 'solid' ? 'solid lines' : 'dash-dotted lines'}, ${m.symbol}s`;
  };
  const deeper = charts.some((c) => countsLayers(c.option))
    ? drawn.filter((m) => m.layers !== first.layers)
    : [];
  return (
    `Models overlaid: ${first.name} (${describe(0)}, with its intervals and the paper's values), ` +
    drawn.map((m, i) => `${m.name} (${describe(i + 1)})`).join(', ') +
    '; where a chart has one curve per model, each model also has a colour of its own.' +
    (deeper.length
      ? ` Layers by relative depth: ${deeper.map((m) => `${m.name}'s layer l (of ${m.layers}) at l × ${first.layers}/${m.layers}`).join('; ')} on ${first.name}'s ${first.layers}-layer axis.`
      : '')
  );
}
