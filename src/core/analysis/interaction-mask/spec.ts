import { describeComparison } from '../../eval/significance';
import type { ResultFile } from '../runner';
import type { AnalysisSpec } from '../spec';
import { significanceMark } from '../summaryText';
import { interactionMaskAnalysis, type InteractionResult, type InteractionSettings } from './interactionMask';
import { interactionSection } from './report';

function summary(file: ResultFile): string {
  const r = file.result as unknown as InteractionResult;
  const L = file.model.numLayers;
  const lines = [
    `${r.queries} queries; MRR@10 with interactions masked (${r.kind} mask) in the first i layers; ${r.rule}`,
    'i'.padStart(20) + Array.from({ length: L + 1 }, (_, i) => String(i).padStart(7)).join(''),
    ...Object.entries(r.directions).map(
      ([name, d]) =>
        name.padStart(20) +
        d.mrr10.map((v, i) => (v.toFixed(4) + significanceMark(d.vsUnmasked[i])).padStart(7)).join(''),
    ),
    `* differs from i = 0 at p < ${r.significance.alpha} (paired permutation test over queries):`,
    ...Object.entries(r.directions).flatMap(([name, d]) =>
      d.vsUnmasked.flatMap((c, i) => (c ? [`${name} i=${i}: ${describeComparison(c)}`] : [])),
    ),
    r.significance.method,
  ];
  return lines.join('\n') + '\n';
}

/** Figure 4: MRR@10 with query/document interactions masked in the first i layers. */
export const interactionMaskSpec: AnalysisSpec = {
  name: 'interaction-mask',
  title: 'Interaction masking (Figure 4)',
  command: 'ranklens.analyzeInteractionMasking',
  help: 'Figure 4, MRR@10 with query -> doc, doc -> query and both masked in the first i layers, i = 0..L (query side: [CLS], query, middle [SEP]; document side: passage, final [SEP]); masked prefixes are shared between depths.',
  data: { qrels: 'required' },
  settings: [
    {
      flag: 'mask-kind',
      key: 'kind',
      type: 'choice',
      choices: ['attention', 'token'],
      choicesText: 'attention (the paper) or token',
    },
  ],
  reportQueries: 6,
  create: (settings) =>
    interactionMaskAnalysis({ kind: 'attention', ...((settings ?? {}) as Partial<InteractionSettings>) }),
  summary,
  report: interactionSection,
};
