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

export const reportInput = v.object({
  title: v.string,
  model: modelDescription,
  results: v.record(json),
  timings: v.array(v.object({ analysis: v.string, seconds: v.number, pairs: v.integer })),
  settings: v.array(v.string),
  compareWith: v.optional(v.object({ name: v.string, results: v.record(json) })),
}) as unknown as v.Validator<ReportInput>;

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
  },
  viewRequests: {
    /** Does what a chart's Save PNG / Save SVG button does (tests). */
    exportChart: {
      params: v.object({ id: v.string, format: v.literal('png', 'svg') }),
      result: v.object({ file: v.string }),
    },
  },
});
export type ReportProtocol = typeof reportProtocol;
