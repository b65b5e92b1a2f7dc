// The attention-relevance section of the report: per layer, relevant candidates' attention between query and
// passage beside the other candidates', with intervals and the paired tests. The paper has no such figure.
import type { ResultFile } from '../runner';
import { csvOf } from '../../report/tableCells';
import { comparisonVerdict } from '../../eval/significance';
import {
  baseOption,
  digits,
  intervalLines,
  INTERVAL_LEGEND,
  line,
  type ChartSpec,
  type ReportPalette,
  type ReportSection,
} from '../../report/charts';
import {
  RELEVANCE_STATISTICS,
  type AttentionRelevanceResult,
  type RelevanceStatistic,
} from './attentionRelevance';

export function attentionRelevanceSection(
  file: ResultFile,
  palette: ReportPalette,
): ReportSection | undefined {
  const r = file.result as unknown as AttentionRelevanceResult;
  const [relevantColor, otherColor] = palette.series;
  const charts: ChartSpec[] = [];
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  for (const name of Object.keys(RELEVANCE_STATISTICS) as RelevanceStatistic[]) {
    const s = r.statistics[name];
    if (!s || s.layers.length === 0) continue;
    const relevant = s.layers.map((c, l): [number, number] => [l + 1, digits(c.treatment.mean, 4)]);
    const other = s.layers.map((c, l): [number, number] => [l + 1, digits(c.baseline.mean, 4)]);
    const option = baseOption(palette, 'layer', 'attention share', [
      'relevant',
      'other candidates',
      INTERVAL_LEGEND,
    ]);
    option.series = [
      line('relevant', relevant, relevantColor),
      line('other candidates', other, otherColor),
      ...intervalLines(
        s.layers.map((c) => c.treatment),
        relevantColor,
        1,
      ),
      ...intervalLines(
        s.layers.map((c) => c.baseline),
        otherColor,
        1,
      ),
    ];
    charts.push({ id: `attention-relevance-${name}`, title: s.description, option, height: 260 });
    s.layers.forEach((c, l) => {
      rows.push([
        name,
        l + 1,
        digits(c.treatment.mean, 4),
        digits(c.baseline.mean, 4),
        digits(c.difference.mean, 4),
        digits(c.difference.lower, 4),
        digits(c.difference.upper, 4),
        c.permutation.p,
      ]);
      if (c.significant)
        notes.push(`${s.description}, layer ${l + 1}: ${comparisonVerdict(c, r.significance.alpha)}.`);
    });
  }
  if (charts.length === 0) return undefined;
  const columns = ['statistic', 'layer', 'relevant', 'other', 'difference', 'lower', 'upper', 'p'];
  return {
    id: 'attention-relevance',
    title: 'Attention between query and passage: relevant vs other candidates',
    description:
      `Per layer (mean over heads), the share of its attention a token spends across the query/passage boundary, ` +
      `for each query's relevant candidates (grade >= ${r.minRelevance}) against its other candidates, compared ` +
      `query by query over the ${r.queriesCompared} of ${r.queries} queries that have both ` +
      `(${r.relevantPairs} relevant, ${r.otherPairs} other pairs).`,
    notes: [...notes, r.significance.method],
    charts,
    tables: [{ caption: 'Relevant minus other candidates, per layer', columns, rows }],
    csv: csvOf(columns, rows),
  };
}
