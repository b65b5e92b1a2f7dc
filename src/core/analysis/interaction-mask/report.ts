// The interaction-mask section of the report (charts, tables, CSV and the paper's values beside this model's).
import type { InteractionDirection, InteractionResult } from './interactionMask';
import type { ResultFile } from '../runner';
import { comparisonSummary, drillDown, drillLinkOf, type DrillDownInput } from '../../report/drillDown';
import { COMPARISON_COLUMNS, comparisonCells, csvOf } from '../../report/tableCells';
import type { PairedComparison } from '../../eval/significance';
import { PAPER_INTERACTION_MASK } from './paper';
import {
  type ReportPalette,
  type ReportSection,
  digits,
  intervalCell,
  significanceNotes,
  baseOption,
  line,
  INTERVAL_LEGEND,
  intervalLines,
  type ReportOptions,
  paperPointsFor,
  depthTag,
  alignmentNotes,
} from '../../report/charts';

const INTERACTION_LABELS: Readonly<Record<InteractionDirection, { label: string; paper: string }>> = {
  'query-to-document': { label: 'mask query → doc', paper: 'queryToDocument' },
  'document-to-query': { label: 'mask doc → query', paper: 'documentToQuery' },
  both: { label: 'mask both', paper: 'both' },
};

export function interactionSection(
  file: ResultFile,
  palette: ReportPalette,
  options: ReportOptions,
): ReportSection {
  const r = file.result as unknown as InteractionResult;
  const directions = (Object.keys(INTERACTION_LABELS) as InteractionDirection[]).filter(
    (d) => r.directions[d],
  );
  const modelLayers = Math.max(0, ...directions.map((d) => r.directions[d].mrr10.length - 1));
  const paperPoints = paperPointsFor(options);
  const tag = depthTag(options, modelLayers);
  const hasIntervals = directions.some((d) => (r.directions[d].intervals?.length ?? 0) > 0);
  const legend = [
    ...directions.flatMap((d) => [
      INTERACTION_LABELS[d].label,
      `${INTERACTION_LABELS[d].label} (paper${tag})`,
    ]),
    ...(hasIntervals ? [INTERVAL_LEGEND] : []),
  ];
  const option = baseOption(palette, 'layers masked (first i)', 'MRR@10', legend);
  option.series = directions.flatMap((d, i) => {
    const color = palette.series[i % palette.series.length];
    const { label, paper } = INTERACTION_LABELS[d];
    return [
      line(
        label,
        r.directions[d].mrr10.map((v, depth): [number, number] => [depth, v]),
        color,
      ),
      line(`${label} (paper${tag})`, paperPoints(PAPER_INTERACTION_MASK[paper], modelLayers), color, true),
      ...intervalLines(r.directions[d].intervals ?? [], color),
    ];
  });
  const depth = Math.max(...directions.map((d) => r.directions[d].mrr10.length));
  const columns = ['direction', ...Array.from({ length: depth }, (_, i) => `i=${i}`)];
  const rows = directions.map((d) => [
    INTERACTION_LABELS[d].label,
    ...r.directions[d].mrr10.map(
      (v, i) => `${digits(v, 4)}${r.directions[d].vsUnmasked?.[i]?.significant ? '*' : ''}`,
    ),
  ]);
  // Every masked depth of every direction opens its queries; the deepest of each is drawn, the others once opened.
  const comparisons = directions.map((d) => drillInputs(r, d));
  const deepest = drillDown(
    comparisons.flatMap((inputs) => inputs.slice(-1)),
    palette,
  );
  const shallower = drillDown(
    comparisons.flatMap((inputs) => inputs.slice(0, -1)),
    palette,
    { onlyWhenOpen: true },
  );
  const linkOf = (d: number, depth: number) => drillLinkOf(comparisons[d][depth - 1]);
  const pointLinks = Object.fromEntries(
    directions.map((d, k) => [
      INTERACTION_LABELS[d].label,
      r.directions[d].mrr10.map((_, depth) => (depth === 0 ? undefined : linkOf(k, depth))),
    ]),
  );
  const comparisonColumns = ['direction', 'i', 'MRR@10', '95% CI', ...COMPARISON_COLUMNS];
  const comparisonRows = directions.flatMap((d, k) =>
    (r.directions[d].vsUnmasked ?? []).flatMap((c, i) =>
      c
        ? [
            {
              cells: [
                INTERACTION_LABELS[d].label,
                i,
                digits(r.directions[d].mrr10[i], 4),
                intervalCell(r.directions[d].intervals?.[i]),
                ...comparisonCells(c),
              ],
              link: linkOf(k, i),
            },
          ]
        : [],
    ),
  );
  const verdicts = directions.flatMap((d) =>
    (r.directions[d].vsUnmasked ?? []).map((c, i): [string, PairedComparison | null] => [
      `${INTERACTION_LABELS[d].label}, i = ${i} vs i = 0`,
      c,
    ]),
  );
  return {
    id: 'interaction-mask',
    title: 'Figure 4 — masking query/document interactions in the first i layers',
    description:
      `MRR@10 over ${r.queries} queries with interactions masked (${r.kind} mask) in the first i layers; i = 0 is the ` +
      'unmasked model. Dashed: Zhan et al. (12 layers). ' +
      directions.map((d) => r.directions[d].description).join('; ') +
      ". A point of the chart or a row of the comparison table opens that depth's queries, one by one.",
    notes: [
      ...(r.rule ? [r.rule] : []),
      ...alignmentNotes(options, modelLayers),
      ...significanceNotes(r.significance, verdicts),
    ],
    charts: [
      // A point opens its depth's per-query breakdown.
      { id: 'interaction-mask', title: 'MRR@10 by masked depth', option, height: 300, pointLinks },
      ...deepest.charts,
      ...shallower.charts,
    ],
    tables: [
      { caption: 'MRR@10 (* differs from i = 0 at the stated α)', columns, rows },
      ...(comparisonRows.length
        ? [
            {
              caption: 'Each depth against the unmasked model (i = 0), paired over queries',
              columns: comparisonColumns,
              rows: comparisonRows.map((row) => row.cells),
              rowLinks: comparisonRows.map((row) => row.link),
            },
          ]
        : []),
      ...(deepest.table ? [deepest.table] : []),
    ],
    csv: csvOf(columns, rows),
  };
}

/** Depth i = 1..L of a direction against the unmasked model, query by query, as the drill-down opens it. */
function drillInputs(r: InteractionResult, d: InteractionDirection): DrillDownInput[] {
  const ranks = r.perQuery?.reciprocalRanks[d];
  if (!ranks) return [];
  const { mrr10, vsUnmasked } = r.directions[d];
  return ranks.slice(1).map((treatment, k): DrillDownInput => {
    const depth = k + 1;
    return {
      id: `interaction-${d}-${depth}`,
      label: `${INTERACTION_LABELS[d].label}, i = ${depth} vs i = 0`,
      summary: comparisonSummary(mrr10[0], mrr10[depth], vsUnmasked?.[depth], r.significance?.alpha),
      target: { analysis: 'interaction-mask', setting: d, layers: depth, maskKind: r.kind },
      qids: r.perQuery.qids,
      baseline: ranks[0],
      treatment,
    };
  });
}
