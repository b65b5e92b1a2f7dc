// The attribution section of the report (charts, tables, CSV and the paper's values beside this model's).
import type { AttributionAnalysisResult, LayerShares } from './layerAttribution';
import type { ResultFile } from '../runner';
import { ATTRIBUTION_GROUPS, ATTRIBUTION_GROUP_LABELS } from '../tokenGroups';
import { csvOf } from '../../report/tableCells';
import { PAPER_ATTRIBUTION } from './paper';
import {
  type ReportPalette,
  type ChartSpec,
  type TableSpec,
  type ReportSection,
  digits,
  baseOption,
  line,
  type ReportOptions,
  paperPointsFor,
  depthTag,
  alignmentNotes,
} from '../../report/charts';

export function attributionSection(
  file: ResultFile,
  palette: ReportPalette,
  options: ReportOptions,
): ReportSection {
  const r = file.result as unknown as AttributionAnalysisResult;
  const modelLayers = Math.max(0, ...r.baselines.flatMap((b) => b.layers.map((l) => l.layer)));
  const paperPoints = paperPointsFor(options);
  const tag = depthTag(options, modelLayers);
  const charts: ChartSpec[] = [];
  const tables: TableSpec[] = [];
  const rows: (string | number)[][] = [];
  for (const b of r.baselines) {
    const legend = ATTRIBUTION_GROUPS.flatMap((g) => [
      ATTRIBUTION_GROUP_LABELS[g],
      `${ATTRIBUTION_GROUP_LABELS[g]} (paper${tag})`,
    ]);
    const option = baseOption(palette, 'layer', 'share of F(x) − F(x′)', legend);
    option.series = ATTRIBUTION_GROUPS.flatMap((g, i) => {
      const color = palette.series[i % palette.series.length];
      return [
        line(
          ATTRIBUTION_GROUP_LABELS[g],
          b.layers.map((l): [number, number] => [l.layer, l.share[g]]),
          color,
        ),
        line(
          `${ATTRIBUTION_GROUP_LABELS[g]} (paper${tag})`,
          paperPoints(PAPER_ATTRIBUTION[b.baseline][g], modelLayers),
          color,
          true,
        ),
      ];
    });
    charts.push({
      id: `attribution-${b.baseline}`,
      title:
        b.baseline === 'empty-query'
          ? 'Empty-query baseline (IG w.r.t. the query)'
          : 'Empty-document baseline (IG w.r.t. the document)',
      option,
      height: 300,
    });
    tables.push({
      caption: `${b.baseline}: completeness error |Σa − (F(x) − F(x′))| / |F(x) − F(x′)| per layer`,
      columns: ['layer', 'pairs', 'mean F(x)−F(x′)', 'median', 'p95', 'max', 'unconverged', 'mean points'],
      rows: b.layers.map((l: LayerShares) => [
        l.layer,
        l.pairs,
        digits(l.meanDelta, 4),
        l.completeness.median.toExponential(1),
        l.completeness.p95.toExponential(1),
        l.completeness.max.toExponential(1),
        l.completeness.unconverged,
        digits(l.completeness.meanPoints, 1),
      ]),
    });
    for (const l of b.layers)
      for (const g of ATTRIBUTION_GROUPS)
        rows.push([
          b.baseline,
          l.layer,
          g,
          digits(l.share[g], 4),
          digits(l.meanAttribution[g], 4),
          digits(l.absoluteShare[g], 4),
        ]);
  }
  const selection = r.settings.selection;
  return {
    id: 'attribution',
    title: 'Figure 2 — layer-wise Integrated Gradients',
    description:
      `Share of the attribution on [CLS], [SEP], query, document and its periods at each layer, over ${r.attributedPairs} ` +
      `of ${r.relevantPairs} relevant pairs (${r.queries} queries) that the model itself ranks as relevant ` +
      `(${selection.kind === 'rank' ? `in its top ${selection.topK}` : `P > ${selection.threshold}`}). ` +
      'Share = mean signed attribution of the group / mean (F(x) − F(x′)); periods are part of the document. The dashed ' +
      "lines are Zhan et al.'s mean attributions (P(relevant) units with F(x) − F(x′) ≈ 1, so the same scale). " +
      'With the empty-document baseline, a rising query share means document information is being aggregated into the query tokens.',
    notes: [
      'Layer L (after the last layer) is shown too; there only [CLS] reaches the classifier, so its share is 1 by construction (the paper stops at L − 1).',
      ...alignmentNotes(options, modelLayers),
    ],
    charts,
    tables,
    csv: csvOf(['baseline', 'layer', 'group', 'share', 'mean attribution', 'absolute share'], rows),
  };
}
