// The head-importance section of the report (charts, tables, CSV and the paper's values beside this model's).
import type { HeadImportanceResult } from './headImportance';
import type { ResultFile } from '../runner';
import { drillDown } from '../../report/drillDown';
import { COMPARISON_COLUMNS, comparisonCells, csvOf } from '../../report/tableCells';
import { formatInterval, formatP, type PairedComparison } from '../../eval/significance';
import {
  type ReportPalette,
  type ChartOption,
  type ReportSection,
  digits,
  significanceNotes,
} from '../../report/charts';

export function headImportanceSection(file: ResultFile, palette: ReportPalette): ReportSection {
  const r = file.result as unknown as HeadImportanceResult;
  const L = r.heads.length;
  const H = r.heads[0]?.length ?? 0;
  // Layers are numbered 1..L (0 is the embeddings) and heads 1..H, as in the attention explorer; heads[l][h] is
  // layer l + 1, head h + 1.
  const data = r.heads.flatMap((heads, l) =>
    heads.map((c, h) => [h, l, digits(c.deltaMrr10, 4), c.comparison?.permutation.p ?? -1]),
  );
  const values = data.map((d) => d[2]);
  const extent = Math.max(1e-6, ...values.map(Math.abs));
  const pText = (p: number) => (p < 0 ? '' : `, p = ${p < 0.001 ? '< 0.001' : formatP(p)}`);
  const alpha = r.significance?.alpha ?? 0.05;
  const option: ChartOption = {
    animation: false,
    textStyle: { color: palette.text },
    grid: { left: 56, right: 16, top: 16, bottom: 96 },
    tooltip: {
      confine: true,
      formatter: (p: { value: number[] }) =>
        `layer ${p.value[1] + 1}, head ${p.value[0] + 1}: ΔMRR@10 ${p.value[2].toFixed(4)}${pText(p.value[3])}`,
    },
    xAxis: {
      type: 'category',
      name: 'head',
      nameLocation: 'middle',
      nameGap: 26,
      data: [...Array(H).keys()].map((h) => String(h + 1)),
      axisLabel: { color: palette.muted },
    },
    yAxis: {
      type: 'category',
      name: 'layer',
      nameLocation: 'middle',
      nameGap: 36,
      data: [...Array(L).keys()].map((l) => String(l + 1)),
      axisLabel: { color: palette.muted },
    },
    // Below the grid, horizontal: its end labels and drag handles have room there and never cover a cell.
    visualMap: {
      precision: 3,
      min: -extent,
      max: extent,
      calculable: true,
      orient: 'horizontal',
      left: 'center',
      bottom: 4,
      itemHeight: 160,
      text: ['ΔMRR@10 +', '−'],
      textStyle: { color: palette.text },
      inRange: { color: [palette.series[3] ?? '#d62728', '#f7f7f7', palette.series[0] ?? '#1f77b4'] },
    },
    series: [
      {
        type: 'heatmap',
        data,
        label: {
          show: H * L <= 64,
          color: '#000',
          formatter: (p: { value: number[] }) =>
            `${p.value[2].toFixed(3)}${p.value[3] >= 0 && p.value[3] < alpha ? '*' : ''}`,
        },
      },
    ],
  };
  const columns = ['layer', 'head', 'MRR@10', 'ΔMRR@10', ...COMPARISON_COLUMNS, 'mean score change'];
  const rows = r.heads.flatMap((heads, l) =>
    heads.map((c, h) => [
      l + 1,
      h + 1,
      digits(c.mrr10, 4),
      digits(c.deltaMrr10, 4),
      ...comparisonCells(c.comparison),
      digits(c.meanScoreChange, 4),
    ]),
  );
  const significant = r.heads.flatMap((heads, l) =>
    heads.flatMap((c, h): [string, PairedComparison][] =>
      c.comparison?.significant ? [[`layer ${l + 1}, head ${h + 1} masked`, c.comparison]] : [],
    ),
  );
  const strongest = r.perQuery
    ? r.heads
        .flatMap((heads, l) => heads.map((c, h) => ({ l, h, delta: c.deltaMrr10 })))
        .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
        .slice(0, 3)
    : [];
  const drill = drillDown(
    strongest.map(({ l, h }) => ({
      id: `head-${l + 1}-${h + 1}`,
      label: `layer ${l + 1}, head ${h + 1} masked vs unmasked`,
      qids: r.perQuery.qids,
      baseline: r.perQuery.unmasked,
      treatment: r.perQuery.heads[l][h],
    })),
    palette,
  );
  const notes = r.significance
    ? [
        significant.length === 0
          ? `No head's ΔMRR@10 is significant at α = ${alpha} (paired permutation test over ${r.queries} queries, each head against unmasked, uncorrected for the ${L * H} tests).`
          : `* p < ${alpha} against unmasked (uncorrected for the ${L * H} tests; about ${(alpha * L * H).toFixed(1)} would pass by chance).`,
        ...significanceNotes(r.significance, significant),
      ]
    : [];
  return {
    id: 'head-importance',
    title: 'Head importance (beyond the paper)',
    description:
      `Change of MRR@10 (unmasked ${r.unmasked.mrr10.toFixed(4)}${r.unmasked.interval ? ` ${formatInterval(r.unmasked.interval)}` : ''}, ` +
      `${r.queries} queries, ${r.pairs} pairs) when one head's attention is zeroed, for every layer (1..L) and head (1..H).`,
    notes,
    charts: [
      {
        id: 'head-importance',
        title: 'ΔMRR@10 with one head masked',
        option,
        height: Math.max(240, 40 * L + 140),
      },
      ...drill.charts,
    ],
    tables: [
      { caption: 'Each head masked against unmasked, paired over queries', columns, rows },
      ...(drill.table
        ? [{ ...drill.table, caption: `${drill.table.caption}: the 3 heads with the largest |ΔMRR@10|` }]
        : []),
    ],
    csv: csvOf(columns, rows),
  };
}
