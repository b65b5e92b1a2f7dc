import type { ResultFile } from '../runner';
import type { AnalysisSpec } from '../spec';
import { fixed } from '../summaryText';
import { PROBE_GROUP_LABELS } from '../tokenGroups';
import type { ProbingResult } from './probing';
import { DEFAULT_PROBING_JSON, probingAnalysis, type ProbingSettingsJson } from './probingAnalysis';
import { probingSection } from './report';

function summary(file: ResultFile): string {
  const r = file.result as unknown as ProbingResult;
  const lines = [
    `probes trained on ${r.trainPairs} pairs (${r.trainQueries} queries, ${r.trainPositives} relevant), MRR@10 on ${r.evalPairs} held-out pairs (${r.evalQueries} queries); chance ${r.chanceMrr.toFixed(3)}`,
    `${'group'.padEnd(18)} ${[...Array(r.layers + 1).keys()].map((l) => `L${l}`.padStart(6)).join('')}`,
  ];
  for (const g of r.groups) lines.push(`${PROBE_GROUP_LABELS[g.group].padEnd(18)} ${fixed(g.mrr)}`);
  return lines.join('\n') + '\n';
}

/** Figure 3: MLP probes per layer and token group, trained on one split and scored by MRR@10 on another. */
export const probingSpec: AnalysisSpec = {
  name: 'probing',
  title: 'Probing classifiers (Figure 3)',
  command: 'ranklens.analyzeProbing',
  help: "MLP probes per layer and token group trained on the dataset options' queries, MRR@10 on the held-out queries.",
  data: { qrels: 'required', heldOut: true },
  settings: [
    { flag: 'pooling', key: 'pooling', type: 'choice', choices: ['states', 'logits'] },
    { flag: 'epochs', key: 'epochs', type: 'positive-int', metavar: 'N' },
    { flag: 'learning-rate', key: 'learningRate', type: 'number', metavar: 'LR' },
    { flag: 'probe-seed', key: 'seed', type: 'seed', metavar: 'S' },
    { flag: 'shuffle-labels', key: 'shuffleLabels', type: 'switch' },
  ],
  palette: {
    placeHolder: 'Probe',
    picks: [
      {
        label: 'Pool hidden states, lr 1e-3',
        description: 'fast; for a few hundred pairs',
        settings: { pooling: 'states', learningRate: 1e-3 },
      },
      {
        label: "The authors' probe (max over token logits), lr 1e-4",
        description: 'slower, more memory',
        settings: { pooling: 'logits' },
      },
    ],
  },
  reportQueries: 25,
  create: (settings) =>
    probingAnalysis({
      heldOut: [],
      ...DEFAULT_PROBING_JSON,
      ...((settings ?? {}) as Partial<ProbingSettingsJson>),
    }),
  summary,
  report: probingSection,
};
