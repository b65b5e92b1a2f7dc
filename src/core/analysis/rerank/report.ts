// The rerank section of the report (charts, tables, CSV and the paper's values beside this model's).
import type { RerankResult } from './rerank';
import type { ResultFile } from '../runner';
import { drillDown } from '../../report/drillDown';
import { COMPARISON_COLUMNS, comparisonCells, csvOf } from '../../report/tableCells';
import {
  type ReportPalette,
  type ReportSection,
  digits,
  intervalCell,
  significanceNotes,
} from '../../report/charts';

export function rerankSection(file: ResultFile, palette: ReportPalette): ReportSection {
  const r = file.result as unknown as RerankResult;
  const columns = ['ranking', 'MRR@10', '95% CI', 'nDCG@10', '95% CI', 'queries evaluated'];
  const metricRow = (label: string, m: NonNullable<RerankResult['metrics']>['run']) => [
    label,
    digits(m.mrr10, 4),
    intervalCell(m.intervals?.mrr10),
    digits(m.ndcg10, 4),
    intervalCell(m.intervals?.ndcg10),
    m.queriesEvaluated,
  ];
  const rows = r.metrics
    ? [
        metricRow('input run', r.metrics.run),
        metricRow('model', r.metrics.model),
        metricRow(`fused (w = ${r.fusion.weight})`, r.metrics.fused),
      ]
    : [];
  const compared = r.comparisons
    ? ([
        ['model', 'MRR@10', r.comparisons.model.mrr10],
        ['model', 'nDCG@10', r.comparisons.model.ndcg10],
        [`fused (w = ${r.fusion.weight})`, 'MRR@10', r.comparisons.fused.mrr10],
        [`fused (w = ${r.fusion.weight})`, 'nDCG@10', r.comparisons.fused.ndcg10],
      ] as const)
    : [];
  const comparisonColumns = ['ranking', 'metric', ...COMPARISON_COLUMNS];
  const drill = drillDown(
    r.perQuery
      ? [
          {
            id: 'rerank-model',
            label: 'model vs input run',
            qids: r.perQuery.judged,
            baseline: r.perQuery.run.mrr10,
            treatment: r.perQuery.model.mrr10,
          },
        ]
      : [],
    palette,
  );
  const comparisonRows = compared.map(([ranking, metric, c]) => [ranking, metric, ...comparisonCells(c)]);
  return {
    id: 'rerank',
    title: 'Re-ranking the run',
    description: `The model's ranking of the run's candidates, and the fusion ${r.fusion.rule} (relevant: grade ≥ ${r.minRelevance}).`,
    notes: significanceNotes(
      r.significance,
      compared.map(([ranking, metric, c]) => [`${ranking} vs input run, ${metric}`, c]),
    ),
    charts: drill.charts,
    tables: [
      { caption: 'Effectiveness', columns, rows },
      ...(comparisonRows.length
        ? [
            {
              caption: 'Against the input run, paired over queries',
              columns: comparisonColumns,
              rows: comparisonRows,
            },
          ]
        : []),
      ...(drill.table ? [drill.table] : []),
    ],
    csv: csvOf(columns, rows),
  };
}
