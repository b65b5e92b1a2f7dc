import type { EvaluationResult } from '../core/eval/metrics';
import { defineProtocol } from './endpoint';
import * as v from './validate';

const queryMetrics = v.object({
  qid: v.string,
  inRun: v.boolean,
  reciprocalRank: v.number,
  firstRelevantRank: v.optional(v.integer),
  ndcg: v.number,
  recall: v.record(v.number),
  relevantCount: v.integer,
});

export const evaluationResult: v.Validator<EvaluationResult> = v.object({
  runFile: v.string,
  qrelsFile: v.string,
  options: v.object({
    minRelevance: v.number,
    mrrDepth: v.integer,
    ndcgDepth: v.integer,
    recallDepths: v.array(v.integer),
  }),
  mrr: v.number,
  ndcg: v.number,
  recall: v.record(v.number),
  queriesInQrels: v.integer,
  queriesInRun: v.integer,
  queriesEvaluated: v.integer,
  queriesMissingFromRun: v.integer,
  queriesWithoutJudgements: v.integer,
  perQuery: v.array(queryMetrics),
});

/** The evaluation panel: one run's metrics, its per-query table and chart, and where the JSON was saved. */
export const evaluationProtocol = defineProtocol({
  toView: {
    /** splits: qid -> split (DL19, dev600-heldout, ...), from the queries file that holds it or the qrels file's name. */
    show: v.object({ result: evaluationResult, savedTo: v.string, splits: v.record(v.string) }),
  },
  toHost: {
    rendered: v.object({ charts: v.integer, rows: v.integer }),
    openJson: v.empty,
  },
  hostRequests: {},
  viewRequests: {},
});
export type EvaluationProtocol = typeof evaluationProtocol;
