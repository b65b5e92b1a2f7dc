import type { LayerAttribution } from '../../src/core/attribution';
import type { AttributionView } from '../../src/protocol/attribution';
import { textTooltip } from '../shared/charts';
import type { ChartColors } from '../shared/theme';
import { formatValue, scaleStops } from './colors';
import { layerLabel } from './labels';

/** A heatmap cell: [token, row, value on the row's ±1 scale, attribution]. */
export type HeatCell = [number, number, number, number];

export interface HeatmapOption {
  /** The echarts option. */
  readonly option: Record<string, unknown>;
  readonly cells: HeatCell[];
  /** Largest |attribution| of each row (layer order). */
  readonly rowMax: number[];
}

/**
 * The layers × tokens heatmap of one baseline's attributions: each row on its own ± scale (its largest
 * |attribution|), or all rows on one when `shared`; the selected layer's row is marked ▶.
 */
export function heatmapOption(
  view: AttributionView,
  layers: readonly number[],
  entries: readonly (LayerAttribution | undefined)[],
  selected: number,
  shared: boolean,
  colors: ChartColors,
): HeatmapOption {
  const { tokens } = view.result;
  const rowMax = entries.map((e) => Math.max(0, ...(e?.attributions ?? []).map(Math.abs)));
  const sharedLimit = Math.max(1e-12, ...rowMax);
  const cells: HeatCell[] = [];
  entries.forEach((e, row) => {
    const limit = shared ? sharedLimit : rowMax[row] || 1;
    e?.attributions.forEach((value, column) => cells.push([column, row, value / limit, value]));
  });
  const text = colors.foreground;
  const option = {
    backgroundColor: 'transparent',
    tooltip: textTooltip(colors, (p: { value: HeatCell }) => [
      `${tokens[p.value[0]].text} (position ${p.value[0]})`,
      `${layerLabel(layers[p.value[1]], view.numLayers)}: ${formatValue(p.value[3], 6)}`,
    ]),
    grid: { left: shared ? 70 : 130, right: 100, top: 10, bottom: 80 },
    xAxis: {
      type: 'category',
      data: tokens.map((t) => t.text),
      axisLabel: { color: text, rotate: 60, interval: 0, fontSize: 10 },
      axisLine: { lineStyle: { color: colors.muted } },
      splitArea: { show: false },
    },
    yAxis: {
      type: 'category',
      data: layers.map(
        (k, row) =>
          `${k === selected ? '▶ ' : ''}layer ${k}${shared ? '' : ` ±${rowMax[row] > 0 ? formatValue(rowMax[row], 2) : '0'}`}`,
      ),
      axisLabel: { color: text },
      axisLine: { lineStyle: { color: colors.muted } },
    },
    visualMap: {
      min: -1,
      max: 1,
      dimension: 2,
      calculable: false,
      text: shared
        ? [`+${formatValue(sharedLimit, 3)}`, formatValue(-sharedLimit, 3)]
        : ["+ row's max", "− row's max"],
      orient: 'vertical',
      right: 0,
      top: 'center',
      itemHeight: Math.max(60, layers.length * 30 - 30),
      textStyle: { color: text },
      inRange: { color: scaleStops(colors.background) },
    },
    series: [
      {
        type: 'heatmap',
        data: cells,
        emphasis: { itemStyle: { borderColor: text, borderWidth: 1 } },
      },
    ],
    animation: false,
  };
  return { option, cells, rowMax };
}
