import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { AttentionShares } from '../../src/protocol/attention';
import { SHARE_KINDS, type ShareKind } from '../shared/attentionCanvas';
import { textTooltip } from '../shared/charts';
import { chartColors, opaqueColor, themeColor } from '../shared/theme';

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export const KIND_LABELS: Record<ShareKind, string> = {
  cls: '[CLS]',
  sep: '[SEP]',
  period: 'periods',
  query: 'query',
  doc: 'document',
};

/** The echarts option of the shares chart: a line per kind of token, dashed for the dataset mean. */
export function sharesChartOption(shares: Record<ShareKind, number[]>, mean: AttentionShares | undefined) {
  const colors = chartColors();
  const palette: Record<ShareKind, string> = {
    cls: opaqueColor(themeColor('charts-orange', '#d18616')),
    sep: opaqueColor(themeColor('charts-red', '#f14c4c')),
    period: opaqueColor(themeColor('charts-purple', '#b180d7')),
    query: opaqueColor(themeColor('charts-blue', '#3794ff')),
    doc: opaqueColor(themeColor('charts-green', '#89d185')),
  };
  const layers = shares.cls.map((_, l) => String(l + 1));
  const series = SHARE_KINDS.flatMap((k) => [
    {
      type: 'line',
      name: KIND_LABELS[k],
      data: shares[k],
      itemStyle: { color: palette[k] },
      lineStyle: { width: 2 },
      symbolSize: 6,
    },
    ...(mean?.[k]
      ? [
          {
            type: 'line',
            name: `${KIND_LABELS[k]} (dataset)`,
            data: mean[k],
            itemStyle: { color: palette[k] },
            lineStyle: { type: 'dashed', width: 1 },
            symbol: 'none',
          },
        ]
      : []),
  ]);
  return {
    backgroundColor: 'transparent',
    tooltip: textTooltip(colors, (q: { seriesName: string; name: string; value: number }) => [
      `${q.seriesName}, layer ${q.name}: ${(100 * q.value).toFixed(1)}%`,
    ]),
    // A plain legend wraps onto more lines in a narrow side bar instead of paging.
    legend: { textStyle: { color: colors.foreground }, top: 0, itemWidth: 14, itemGap: 8 },
    grid: { left: 44, right: 10, top: mean ? 96 : 64, bottom: 30 },
    xAxis: {
      type: 'category',
      data: layers,
      name: 'layer',
      nameLocation: 'middle',
      nameGap: 22,
      axisLabel: { color: colors.foreground },
      nameTextStyle: { color: colors.foreground },
      axisLine: { lineStyle: { color: colors.muted } },
    },
    yAxis: {
      type: 'value',
      min: 0,
      max: 1,
      axisLabel: { color: colors.foreground, formatter: (v: number) => `${Math.round(100 * v)}%` },
      splitLine: { lineStyle: { color: colors.border } },
    },
    series,
    animation: false,
  };
}
