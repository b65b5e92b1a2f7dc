// The probing section of the report (charts, tables, CSV and the paper's values beside this model's).
import type { ProbingResult } from './probing';
import type { ResultFile } from '../runner';
import { PROBE_GROUP_LABELS } from '../tokenGroups';
import { csvOf } from '../../report/tableCells';
import { PAPER_PROBING } from './paper';
import {
  type ReportPalette,
  type ReportSection,
  digits,
  baseOption,
  line,
  type ReportOptions,
  paperPointsFor,
  depthTag,
  alignmentNotes,
} from '../../report/charts';

export function probingSection(
  file: ResultFile,
  palette: ReportPalette,
  options: ReportOptions,
): ReportSection {
  const r = file.result as unknown as ProbingResult;
  const modelLayers = Math.max(0, ...r.groups.map((g) => g.mrr.length - 1));
  const paperPoints = paperPointsFor(options);
  const tag = depthTag(options, modelLayers);
  const legend = r.groups
    .flatMap((g) => [PROBE_GROUP_LABELS[g.group], `${PROBE_GROUP_LABELS[g.group]} (paper${tag})`])
    .concat(['chance']);
  const option = baseOption(palette, 'layer (0 = embeddings)', 'MRR@10', legend);
  option.series = [
    ...r.groups.flatMap((g, i) => {
      const color = palette.series[i % palette.series.length];
      return [
        line(
          PROBE_GROUP_LABELS[g.group],
          g.mrr.map((v, l): [number, number] => [l, v]),
          color,
        ),
        line(
          `${PROBE_GROUP_LABELS[g.group]} (paper${tag})`,
          paperPoints(PAPER_PROBING[g.group], modelLayers),
          color,
          true,
        ),
      ];
    }),
    line(
      'chance',
      [
        [0, r.chanceMrr],
        [r.layers, r.chanceMrr],
      ],
      palette.muted,
      true,
    ),
  ];
  const columns = [
    'group',
    ...Array.from({ length: r.layers + 1 }, (_, l) => `layer ${l}`),
    'empty (train)',
    'empty (held-out)',
  ];
  const rows = r.groups.map((g) => [
    PROBE_GROUP_LABELS[g.group],
    ...g.mrr.map((v) => digits(v)),
    g.emptyTrain,
    g.emptyEval,
  ]);
  const s = r.settings;
  return {
    id: 'probing',
    title: 'Figure 3 — probing classifiers per layer and token group',
    description:
      `MRR@10 of MLP probes on frozen hidden states, re-ranking the candidates of ${r.evalQueries} held-out queries ` +
      `(${r.evalPairs} pairs); trained on ${r.trainPairs} pairs of ${r.trainQueries} other queries (${r.trainPositives} relevant). ` +
      `Chance (a random order of each candidate list) is ${r.chanceMrr.toFixed(3)}. Dashed: Zhan et al. (dev.small, 1,000 BM25 candidates ` +
      'per query, so their chance level is far lower than ours on 20 candidates).',
    notes: [
      `Probe: dropout ${s.dropout}, Linear(h, h), tanh, dropout, Linear(h, 2); ${s.epochs} epochs, batch ${s.batchSize}, AdamW lr ${s.learningRate}, ` +
        `weight decay ${s.weightDecay}, seed ${s.seed}${s.shuffleLabels ? ', SHUFFLED LABELS (control)' : ''}.`,
      ...alignmentNotes(options, modelLayers),
    ],
    charts: [{ id: 'probing', title: 'Probe MRR@10 by layer', option, height: 340 }],
    tables: [{ caption: 'MRR@10 per group and layer', columns, rows }],
    csv: csvOf(columns, rows),
  };
}
