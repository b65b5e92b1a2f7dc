import type { Json } from '../analysis';
import type { ResultFile } from '../runner';
import type { AnalysisSpec } from '../spec';
import { fixed } from '../summaryText';
import {
  attributionAnalysis,
  DEFAULT_ATTRIBUTION_JSON,
  type AttributionSettingsJson,
} from './attributionAnalysis';
import type { AttributionAnalysisResult } from './layerAttribution';
import { attributionSection } from './report';

function summary(file: ResultFile): string {
  const r = file.result as unknown as AttributionAnalysisResult;
  const lines = [
    `attributed ${r.attributedPairs} of ${r.relevantPairs} relevant pairs (${r.queries} queries) with ${file.model.name}; share = mean group attribution / mean (F(x) - F(x'))`,
  ];
  for (const b of r.baselines) {
    lines.push(`${b.baseline}: layer  [CLS]  [SEP]  query    doc periods  completeness (median, max)`);
    for (const l of b.layers) {
      const s = l.share;
      lines.push(
        `${' '.repeat(b.baseline.length)}  ${String(l.layer).padStart(5)}${fixed([s.cls, s.sep, s.query, s.document, s.period])}  ${l.completeness.median.toExponential(1)}, ${l.completeness.max.toExponential(1)}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

/** The selection a settings value holds when it is of `kind` (a palette pick or a stored setting). */
const selectionValue =
  (kind: 'rank' | 'probability', field: 'topK' | 'threshold') =>
  (value: Json): number | undefined => {
    const s = value as { kind?: unknown; [key: string]: unknown } | null;
    return s && typeof s === 'object' && s.kind === kind && typeof s[field] === 'number'
      ? (s[field] as number)
      : undefined;
  };

/** Figure 2: layer-wise Integrated Gradients over the relevant pairs the model gets right. */
export const attributionSpec: AnalysisSpec = {
  name: 'attribution',
  title: 'Layer-wise Integrated Gradients (Figure 2)',
  command: 'ranklens.analyzeAttribution',
  help: 'layer-wise IG (empty-query and empty-document baselines) of the relevant pairs the model ranks in its top K (1-label models, default 10) or scores above P (2-label, default 0.5); per layer the share on [CLS], [SEP], query, document, periods and the completeness errors.',
  data: { qrels: 'required' },
  settings: [
    { flag: 'tolerance', key: 'tolerance', type: 'number', metavar: 'T' },
    {
      flag: 'top-k',
      key: 'selection',
      type: 'positive-int',
      metavar: 'K',
      toSetting: (topK) => ({ kind: 'rank', topK: topK as number }),
      fromSetting: selectionValue('rank', 'topK'),
    },
    {
      flag: 'threshold',
      key: 'selection',
      type: 'number',
      metavar: 'P',
      toSetting: (threshold) => ({ kind: 'probability', threshold: threshold as number }),
      fromSetting: selectionValue('probability', 'threshold'),
    },
    { flag: 'pairs-per-query', key: 'pairsPerQuery', type: 'positive-int', metavar: 'N' },
    { flag: 'max-points', key: 'maxPoints', type: 'positive-int', metavar: 'N' },
  ],
  exclusive: [
    {
      flags: ['top-k', 'threshold'],
      message: 'give --top-k (rank selection) or --threshold (score selection), not both',
    },
  ],
  palette: {
    placeHolder: 'Which relevant pairs count as classified correctly by the model?',
    picks: [
      {
        label: "The model's default",
        description: 'P > 0.5 (two labels) or top 10 (one label)',
        settings: {},
      },
      { label: 'Ranked in the top 3', settings: { selection: { kind: 'rank', topK: 3 } } },
      { label: 'Ranked in the top 10', settings: { selection: { kind: 'rank', topK: 10 } } },
    ],
  },
  reportQueries: 6,
  create: (settings) =>
    attributionAnalysis({
      ...DEFAULT_ATTRIBUTION_JSON,
      ...((settings ?? {}) as Partial<AttributionSettingsJson>),
    }),
  summary,
  report: attributionSection,
};
