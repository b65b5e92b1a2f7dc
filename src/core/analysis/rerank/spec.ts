import { describeComparison, formatInterval } from '../../eval/significance';
import type { ResultFile } from '../runner';
import type { AnalysisSpec } from '../spec';
import { rerankSection } from './report';
import { DEFAULT_FUSION_WEIGHT, rerankAnalysis, type RerankResult, type RerankSettings } from './rerank';

function summary(file: ResultFile): string {
  const r = file.result as unknown as RerankResult;
  const lines = [`re-ranked ${file.data.queries} queries, ${file.data.pairs} pairs with ${file.model.name}`];
  if (r.metrics) {
    const row = (label: string, m: NonNullable<RerankResult['metrics']>['run']) =>
      `${label.padEnd(26)} MRR@10 ${m.mrr10.toFixed(4)} ${formatInterval(m.intervals.mrr10)}  nDCG@10 ${m.ndcg10.toFixed(4)} ${formatInterval(m.intervals.ndcg10)}`;
    lines.push(
      `relevant = grade >= ${r.minRelevance}; ${r.metrics.model.queriesJudged} judged queries`,
      row('input run', r.metrics.run),
      row('model', r.metrics.model),
      row(`fused (w = ${r.fusion.weight})`, r.metrics.fused),
    );
    if (r.comparisons) {
      for (const [label, c] of [
        ['model', r.comparisons.model],
        ['fused', r.comparisons.fused],
      ] as const) {
        lines.push(
          `${label} vs input run, MRR@10:  ${describeComparison(c.mrr10)}`,
          `${label} vs input run, nDCG@10: ${describeComparison(c.ndcg10)}`,
        );
      }
    }
    if (r.significance) lines.push(r.significance.method);
  }
  return lines.join('\n') + '\n';
}

/** Analysis 7: the model's ranking of a run's candidates, evaluated and fused with the run. */
export const rerankSpec: AnalysisSpec = {
  name: 'rerank',
  title: 'Re-rank a run',
  command: 'ranklens.analyzeRerank',
  help: "scores the run's top --depth candidates, writes DIR/rerank.trec, rerank.tsv (MS MARCO) and fused.trec, and evaluates run, model and fusion (w = --fusion-weight, default 0.5, fixed; the result's sweep over w is in-sample: choose w on a validation set). Runs without --qrels (no metrics then).",
  data: { qrels: 'optional' },
  settings: [
    {
      flag: 'fusion-weight',
      key: 'fusionWeight',
      type: 'number',
      metavar: 'W',
      check: (w) => (w >= 0 && w <= 1 ? undefined : 'must be within [0, 1]'),
    },
  ],
  reportQueries: 60,
  create: (settings) =>
    rerankAnalysis({ fusionWeight: DEFAULT_FUSION_WEIGHT, ...((settings ?? {}) as Partial<RerankSettings>) }),
  summary,
  report: (file, palette) => rerankSection(file, palette),
};
