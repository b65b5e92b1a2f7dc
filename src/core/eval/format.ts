import type { EvaluationResult } from './metrics';

/** The plain-text report the CLI prints, in the style of the MS MARCO evaluation script. */
export function formatEvaluation(r: EvaluationResult): string {
  const lines = [
    `run:    ${r.runFile}`,
    `qrels:  ${r.qrelsFile} (relevant = grade >= ${r.options.minRelevance})`,
    `MRR@${r.options.mrrDepth}:      ${r.mrr.toFixed(4)}`,
    `nDCG@${r.options.ndcgDepth}:     ${r.ndcg.toFixed(4)}`,
    ...Object.entries(r.recall).map(([k, v]) => `Recall@${k}:`.padEnd(14) + v.toFixed(4)),
    `queries: ${r.queriesEvaluated} evaluated, ${r.queriesInQrels} judged, ${r.queriesInRun} ranked` +
      (r.queriesMissingFromRun ? `, ${r.queriesMissingFromRun} judged but not ranked (0 in MRR)` : '') +
      (r.queriesWithoutJudgements
        ? `, ${r.queriesWithoutJudgements} ranked without judgements (ignored)`
        : ''),
  ];
  return lines.join('\n') + '\n';
}
