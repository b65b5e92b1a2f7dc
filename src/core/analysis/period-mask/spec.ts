import { describeComparison, formatInterval } from '../../eval/significance';
import type { ResultFile } from '../runner';
import type { AnalysisSpec } from '../spec';
import { periodMaskAnalysis, type PeriodMaskResult } from './periodMask';
import { periodMaskSection } from './report';

function summary(file: ResultFile): string {
  const r = file.result as unknown as PeriodMaskResult;
  const pct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
  return (
    [
      `${r.queries} queries, ${r.modifiedPassages} relevant passages modified (${r.modifiedWithoutPeriods} have no period)`,
      `original                   MRR@10 ${r.original.mrr10.toFixed(4)} ${formatInterval(r.original.interval)}`,
      ...r.settings.flatMap((s) => [
        `${s.setting.padEnd(26)} MRR@10 ${s.mrr10.toFixed(4)} ${formatInterval(s.comparison.treatment)} (${pct(s.relativeChange)})`,
        `${''.padEnd(26)} vs original: ${describeComparison(s.comparison)}`,
      ]),
      r.significance.method,
    ].join('\n') + '\n'
  );
}

/** Table 1: MRR@10 with the relevant passages' periods replaced or masked. */
export const periodMaskSpec: AnalysisSpec = {
  name: 'period-mask',
  title: 'Period masking (Table 1)',
  command: 'ranklens.analyzePeriodMasking',
  help: 'Table 1 (only relevant passages modified: periods as commas, token mask, attention mask).',
  data: { qrels: 'required' },
  settings: [],
  reportQueries: 40,
  create: () => periodMaskAnalysis(),
  summary,
  report: (file, palette) => periodMaskSection(file, palette),
};
