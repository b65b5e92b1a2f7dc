import type { ResultFile } from '../runner';
import type { AnalysisSpec } from '../spec';
import { halfWidth } from '../summaryText';
import { attentionAnalysis, type AttentionResult } from './attention';
import { attentionSection } from './report';

function summary(file: ResultFile): string {
  const r = file.result as unknown as AttentionResult;
  const shown = [
    'toCls',
    'toSep',
    'toPeriods',
    'queryToQuery',
    'queryToDocument',
    'documentToQuery',
    'documentToDocument',
  ] as const;
  const header = ['layer', '[CLS]', '[SEP]', 'periods', 'q->q', 'q->d', 'd->q', 'd->d'];
  const cell = (v: number) => v.toFixed(3).padStart(8);
  const lines = [
    `${r.pairs} relevant pairs; mean over heads of the mean attention mass (A -> B: B's tokens attending to A's)`,
    header.map((h) => h.padStart(8)).join(''),
    ...Array.from(
      { length: r.numLayers },
      (_, l) => String(l + 1).padStart(8) + shown.map((n) => cell(r.statistics[n].meanOverHeads[l])).join(''),
    ),
    'chance'.padStart(8) + shown.map((n) => cell(r.statistics[n].chance)).join(''),
    '± max'.padStart(8) +
      shown.map((n) => cell(Math.max(0, ...r.statistics[n].meanOverHeadsIntervals.map(halfWidth)))).join(''),
    `± max: the widest half 95% interval over layers (${r.significance.method})`,
  ];
  return lines.join('\n') + '\n';
}

/** Figure 1: where each layer and head sends its attention. */
export const attentionSpec: AnalysisSpec = {
  name: 'attention',
  title: 'Attention distribution (Figure 1)',
  command: 'ranklens.analyzeAttention',
  help: "Figure 1 over relevant pairs (the run's top --depth when --run is given): attention mass to [CLS], [SEP]s, periods, query/document blocks per layer and head, with the uniform-attention chance level.",
  data: { qrels: 'required' },
  settings: [],
  reportQueries: 40,
  create: () => attentionAnalysis(),
  summary,
  report: attentionSection,
};
