// The period-mask section of the report (charts, tables, CSV and the paper's values beside this model's).
import type { PeriodMaskResult } from './periodMask';
import type { ResultFile } from '../runner';
import { comparisonSummary, drillDown } from '../../report/drillDown';
import { COMPARISON_COLUMNS, comparisonCells, csvOf } from '../../report/tableCells';
import { PAPER_PERIOD_MASK } from './paper';
import {
  type ReportPalette,
  type ReportSection,
  digits,
  intervalCell,
  significanceNotes,
} from '../../report/charts';

export function periodMaskSection(file: ResultFile, palette: ReportPalette): ReportSection {
  const r = file.result as unknown as PeriodMaskResult;
  const paper = PAPER_PERIOD_MASK as Readonly<Record<string, number>>;
  const columns = [
    'setting',
    'MRR@10',
    '95% CI',
    'relative change',
    ...COMPARISON_COLUMNS,
    'mean score change',
    'paper MRR@10',
    'paper change',
  ];
  const rows: (string | number)[][] = [
    [
      'original',
      digits(r.original.mrr10, 4),
      intervalCell(r.original.interval),
      '',
      ...comparisonCells(null),
      '',
      paper.original,
      '',
    ],
    ...r.settings.map((s) => [
      s.setting,
      digits(s.mrr10, 4),
      intervalCell(s.comparison?.treatment),
      `${(100 * s.relativeChange).toFixed(1)}%`,
      ...comparisonCells(s.comparison),
      digits(s.meanScoreChange, 4),
      paper[s.setting] ?? '',
      paper[s.setting] !== undefined
        ? `${((100 * (paper[s.setting] - paper.original)) / paper.original).toFixed(0)}%`
        : '',
    ]),
  ];
  const drill = drillDown(
    r.perQuery
      ? r.settings.map((s) => ({
          id: `period-mask-${s.setting}`,
          label: `${s.setting} vs original`,
          summary: comparisonSummary(r.original.mrr10, s.mrr10, s.comparison, r.significance?.alpha),
          target: { analysis: 'period-mask', setting: s.setting },
          qids: r.perQuery.qids,
          baseline: r.perQuery.original,
          treatment: r.perQuery.settings[s.setting],
        }))
      : [],
    palette,
  );
  return {
    id: 'period-mask',
    title: 'Table 1 — adversarial period masking',
    description:
      `Only each query's relevant passage is modified (${r.modifiedPassages} passages, ${r.modifiedWithoutPeriods} without a period), ` +
      'the other candidates keep their scores. Comma: periods replaced by commas; token mask: periods removed before the ' +
      'softmax (attention renormalised); attention mask: attention to periods zeroed after the softmax. Each setting is ' +
      'compared with the original query by query (Δ = setting − original).',
    notes: significanceNotes(
      r.significance,
      r.settings.map((s) => [`${s.setting} vs original`, s.comparison]),
    ),
    charts: drill.charts,
    tables: [
      {
        caption: `MRR@10 over ${r.queries} queries`,
        columns,
        rows,
        // A setting's row opens its per-query breakdown.
        rowLinks: [undefined, ...r.settings.map((s) => ({ comparison: `period-mask-${s.setting}` }))],
      },
      ...(drill.table ? [drill.table] : []),
    ],
    csv: csvOf(columns, rows),
  };
}
