import { describeComparison } from '../../eval/significance';
import type { ResultFile } from '../runner';
import type { AnalysisSpec } from '../spec';
import { significanceMark } from '../summaryText';
import {
  attentionRelevanceAnalysis,
  RELEVANCE_STATISTICS,
  type AttentionRelevanceResult,
  type RelevanceStatistic,
} from './attentionRelevance';
import { attentionRelevanceSection } from './report';

function summary(file: ResultFile): string {
  const r = file.result as unknown as AttentionRelevanceResult;
  const names = Object.keys(RELEVANCE_STATISTICS) as RelevanceStatistic[];
  const lines = [
    `${r.queriesCompared} of ${r.queries} queries have relevant and other candidates (${r.relevantPairs} relevant, ${r.otherPairs} other pairs); per layer, mean over heads: relevant - other`,
    'layer'.padStart(6) + names.map((n) => n.padStart(16)).join(''),
    ...Array.from(
      { length: r.statistics[names[0]].layers.length },
      (_, l) =>
        String(l + 1).padStart(6) +
        names
          .map((n) => {
            const c = r.statistics[n].layers[l];
            return (c.difference.mean.toFixed(4) + significanceMark(c)).padStart(16);
          })
          .join(''),
    ),
    `* p < ${r.significance.alpha} (paired permutation test over queries):`,
    ...names.flatMap((n) =>
      r.statistics[n].layers.flatMap((c, l) =>
        c.significant ? [`${n} layer ${l + 1}: ${describeComparison(c)}`] : [],
      ),
    ),
    r.significance.method,
  ];
  return lines.join('\n') + '\n';
}

/** Whether relevant passages and the query attend to each other more than the other candidates do. */
export const attentionRelevanceSpec: AnalysisSpec = {
  name: 'attention-relevance',
  title: 'Attention between query and passage: relevant vs other candidates',
  help: "per layer, the attention passage tokens send to the query, query tokens to the passage and [CLS] to each, for each query's relevant candidates against its other candidates (the run's top --depth), compared query by query.",
  data: { qrels: 'required' },
  settings: [],
  reportQueries: 20,
  create: () => attentionRelevanceAnalysis(),
  summary,
  report: (file, palette) => attentionRelevanceSection(file, palette),
};
