import { describeComparison, formatInterval } from '../../eval/significance';
import type { ResultFile } from '../runner';
import type { AnalysisSpec } from '../spec';
import { significanceMark } from '../summaryText';
import { headImportanceAnalysis, type HeadImportanceResult } from './headImportance';
import { headImportanceSection } from './report';

function summary(file: ResultFile): string {
  const r = file.result as unknown as HeadImportanceResult;
  const rows = r.heads.map(
    (heads, l) =>
      `layer ${String(l + 1).padStart(2)}: ` +
      heads.map((h) => (h.deltaMrr10.toFixed(3) + significanceMark(h.comparison)).padStart(7)).join(' '),
  );
  const significant = r.heads.flatMap((heads, l) =>
    heads.flatMap((h, head) =>
      h.comparison.significant
        ? [`layer ${l + 1} head ${head + 1}: ${describeComparison(h.comparison)}`]
        : [],
    ),
  );
  const tests = r.heads.length * (r.heads[0]?.length ?? 0);
  return (
    [
      `unmasked MRR@10 ${r.unmasked.mrr10.toFixed(4)} ${formatInterval(r.unmasked.interval)} over ${r.queries} queries; change in MRR@10 with one head masked (layers 1..L, heads 1..H from the left):`,
      ...rows,
      `* p < ${r.significance.alpha} against unmasked (paired permutation test over queries, uncorrected for the ${tests} tests)` +
        (significant.length === 0 ? ': none.' : ':'),
      ...significant,
      r.significance.method,
    ].join('\n') + '\n'
  );
}

/** MRR@10 and the mean score change with each head masked alone. */
export const headImportanceSpec: AnalysisSpec = {
  name: 'head-importance',
  title: 'Head importance',
  command: 'ranklens.analyzeHeadImportance',
  help: 'MRR@10 and mean score change with each head masked alone (L x H grid).',
  data: { qrels: 'required' },
  settings: [],
  reportQueries: 6,
  create: () => headImportanceAnalysis(),
  summary,
  report: (file, palette) => headImportanceSection(file, palette),
};
