import type { Json } from '../core/analysis/analysis';
import type { ReportInput } from '../core/report/sections';
import { defineProtocol } from './endpoint';
import * as v from './validate';

/** Any JSON value (result files are checked by the runner that wrote them; here only their shape as JSON). */
const json: v.Validator<Json> = (value, path) => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return v.number(value, path);
  if (Array.isArray(value)) return value.map((item, i) => json(item, `${path}[${i}]`));
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, item] of Object.entries(value as Record<string, unknown>))
      out[k] = json(item, `${path}.${k}`);
    return out;
  }
  throw new v.ValidationError(path, 'JSON', value);
};

const modelDescription = v.object({
  name: v.string,
  fingerprint: v.string,
  numLayers: v.integer,
  numHeads: v.integer,
  hiddenSize: v.integer,
  numLabels: v.literal(1, 2),
});

/** Another model's results (one, or a list of them) drawn into the report. */
const comparedModel = v.object({ name: v.string, results: v.record(json) });
const compareWith: v.Validator<unknown> = (value, path) =>
  Array.isArray(value) ? v.array(comparedModel)(value, path) : comparedModel(value, path);

export const reportInput = v.object({
  title: v.string,
  model: modelDescription,
  results: v.record(json),
  timings: v.array(v.object({ analysis: v.string, seconds: v.number, pairs: v.integer })),
  settings: v.array(v.string),
  compareWith: v.optional(compareWith),
}) as unknown as v.Validator<ReportInput>;

/** What a drill-down comparison changed (core/report/drillDown.ts DrillTarget). */
export const drillTarget = v.object({
  analysis: v.string,
  setting: v.string,
  layers: v.optional(v.integer),
  maskKind: v.optional(v.literal('token', 'attention')),
});
export type DrillTargetMessage = v.Infer<typeof drillTarget>;

const rankedPassage = v.object({
  pid: v.string,
  rank: v.integer,
  score: v.number,
  grade: v.integer,
  /** Whether the comparison changed this passage (period masking changes only the relevant ones). */
  changed: v.boolean,
});

/** One query's candidates ranked by the model before and after a comparison's change. */
export const queryRanking = v.object({
  qid: v.string,
  query: v.string,
  /** The change in words, as the inspector's what-if table says it. */
  change: v.string,
  minRelevance: v.integer,
  before: v.array(rankedPassage),
  after: v.array(rankedPassage),
});
export type QueryRanking = v.Infer<typeof queryRanking>;

/** What the report's drill-down shows (tests wait on it). */
export const drillSnapshot = v.object({
  comparison: v.optional(v.string),
  summary: v.string,
  /** Queries listed in the open breakdown. */
  queries: v.array(v.string),
  /** Whether the breakdown's per-query chart is drawn (among the section's charts, or in the drill-down). */
  chartShown: v.boolean,
  qid: v.optional(v.string),
  /** The opened query's ranking before and after, once computed. */
  ranking: v.optional(queryRanking),
  error: v.string,
});
export type DrillSnapshot = v.Infer<typeof drillSnapshot>;

/** The analysis report panel: the same sections as the offline HTML report. */
export const reportProtocol = defineProtocol({
  toView: {
    show: v.object({ input: reportInput, savedTo: v.string }),
  },
  toHost: {
    rendered: v.object({ sections: v.integer, charts: v.integer }),
    openFolder: v.empty,
  },
  hostRequests: {
    /** Save PNG / SVG / CSV: PNG as a data: URL, SVG and CSV as text; the host writes it beside the result. */
    save: {
      params: v.object({ name: v.string, format: v.literal('png', 'svg', 'csv'), content: v.string }),
      result: v.object({ file: v.string }),
    },
    /** A query of a drill-down, re-ranked by the model before and after the comparison's change. */
    queryRanking: { params: v.object({ target: drillTarget, qid: v.string }), result: queryRanking },
    /** Opens a pair of that ranking in the pair inspector with the same change applied as a what-if. */
    inspectPair: {
      params: v.object({ target: drillTarget, qid: v.string, pid: v.string }),
      result: v.empty,
    },
  },
  viewRequests: {
    /** Does what a chart's Save PNG / Save SVG button does (tests). */
    exportChart: {
      params: v.object({ id: v.string, format: v.literal('png', 'svg') }),
      result: v.object({ file: v.string }),
    },
    /**
     * Does what the drill-down's clicks do (tests): open a comparison's breakdown, then (qid) a query's ranking,
     * then (pid) the pair in the inspector; answers once that is shown.
     */
    drill: {
      params: v.object({ comparison: v.string, qid: v.optional(v.string), pid: v.optional(v.string) }),
      result: drillSnapshot,
    },
  },
});
export type ReportProtocol = typeof reportProtocol;
