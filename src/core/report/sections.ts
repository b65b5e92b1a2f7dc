// The report's content — one section per analysis with its charts (echarts options), tables, text and CSV —
// built from result files. Pure data and functions (no DOM, no node): the offline HTML report and the
// extension's report panel both draw exactly these sections.
import type { Json, ModelDescription } from '../analysis/analysis';
import type { HeadImportanceResult } from '../analysis/headImportance';
import type { InteractionDirection, InteractionResult } from '../analysis/interactionMask';
import type { AttributionAnalysisResult, LayerShares } from '../analysis/attribution/layerAttribution';
import type { PeriodMaskResult } from '../analysis/periodMask';
import type { ProbingResult } from '../analysis/probing';
import type { RerankResult } from '../analysis/rerank';
import type { ResultFile } from '../analysis/runner';
import { ATTRIBUTION_GROUPS, ATTRIBUTION_GROUP_LABELS, PROBE_GROUP_LABELS } from '../analysis/tokenGroups';
import { modelComparisonSection, type ComparedResults } from './compareModels';
import { drillDown, type ChartDrill, type DrillDownInput, type DrillLink } from './drillDown';
import { COMPARISON_COLUMNS, comparisonCells, csvOf } from './tableCells';
import {
  comparisonVerdict,
  formatInterval,
  formatP,
  type MeanInterval,
  type PairedComparison,
  type SignificanceStatement,
} from '../eval/significance';
import {
  PAPER_ATTENTION,
  PAPER_ATTRIBUTION,
  PAPER_INTERACTION_MASK,
  PAPER_PERIOD_MASK,
  PAPER_PROBING,
  type Curve,
} from './zhan2020';

/** Colours a chart is drawn with (the panel reads them from the VS Code theme, the HTML file fixes them). */
export interface ReportPalette {
  readonly text: string;
  readonly muted: string;
  readonly grid: string;
  readonly series: readonly string[];
}

export type ChartOption = Record<string, unknown>;

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly option: ChartOption;
  readonly height: number;
  /** A per-query drill-down chart: its bars open their queries. */
  readonly drill?: ChartDrill;
}

export interface TableSpec {
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  /** Per row, the drill-down it opens (a comparison, or a query under it), if any. */
  readonly rowLinks?: readonly (DrillLink | undefined)[];
}

export interface ReportSection {
  readonly id: string;
  readonly title: string;
  /** What the section shows and how to read it. */
  readonly description: string;
  readonly notes: readonly string[];
  readonly charts: readonly ChartSpec[];
  readonly tables: readonly TableSpec[];
  /** The section's numbers as CSV (header row first). */
  readonly csv: string;
}

/** What a report is made of: result files by analysis name, and how long each took. */
export interface ReportInput {
  readonly title: string;
  readonly model: ModelDescription;
  readonly results: Readonly<Record<string, ResultFile>>;
  readonly timings: readonly {
    readonly analysis: string;
    readonly seconds: number;
    readonly pairs: number;
  }[];
  /** Free lines about data and settings (the CLI's command line, the sample sizes). */
  readonly settings: readonly string[];
  /** How the paper's curves meet this model's layers (default: by relative depth when the depths differ). */
  readonly paperLayers?: PaperLayerAlignment;
  /** A second model's results, compared with these query by query in a section of its own. */
  readonly compareWith?: ComparedResults;
}

/**
 * An analysis's settings as a line people read: "Settings: the analysis's defaults." when none were given, else
 * "Settings: kind attention; selection: kind rank, topK 10." (nested objects inline, lists comma-separated).
 */
export function settingsLine(
  settings: Json | Readonly<Record<string, Json | undefined>> | undefined,
): string {
  const text = (value: Json): string => {
    if (value === null) return 'none';
    if (Array.isArray(value)) return value.length > 8 ? `${value.length} items` : value.map(text).join(', ');
    if (typeof value === 'object')
      return Object.entries(value as Record<string, Json>)
        .map(([k, v]) => `${k} ${text(v)}`)
        .join(', ');
    return String(value);
  };
  const entries =
    settings && typeof settings === 'object' && !Array.isArray(settings)
      ? Object.entries(settings as Record<string, Json | undefined>).flatMap(([k, v]): [string, Json][] =>
          v === undefined ? [] : [[k, v]],
        )
      : [];
  if (entries.length === 0) return "Settings: the analysis's defaults.";
  return `Settings: ${entries.map(([k, v]) => `${k}: ${text(v)}`).join('; ')}.`;
}

const digits = (v: number, n = 3) => (Number.isFinite(v) ? Number(v.toFixed(n)) : NaN);

const intervalCell = (i: MeanInterval | undefined) => (i ? formatInterval(i) : '');

/** The notes a section with intervals and tests ends with: each verdict in words, then how they were computed. */
function significanceNotes(
  statement: SignificanceStatement | null | undefined,
  verdicts: readonly [string, PairedComparison | null | undefined][],
): string[] {
  if (!statement) return [];
  return [
    ...verdicts.flatMap(([label, c]) => (c ? [`${label}: ${comparisonVerdict(c, statement.alpha)}.`] : [])),
    statement.method,
  ];
}

/** Plain-text tooltips (webview CSP refuses the default formatter's styled colour markers). */
function axisTooltip(xName: string): Record<string, unknown> {
  return {
    trigger: 'axis',
    confine: true,
    formatter: (items: { seriesName: string; value: unknown; axisValue: unknown }[]) => {
      const list = Array.isArray(items) ? items : [items];
      const lines = list
        .filter((i) => Array.isArray(i.value) && typeof i.value[1] === 'number')
        .map((i) => `${i.seriesName}: ${(i.value as number[])[1].toFixed(3)}`);
      return [`${xName} ${String(list[0]?.axisValue ?? '')}`, ...lines].join('<br/>');
    },
  };
}

function baseOption(
  palette: ReportPalette,
  xName: string,
  yName: string,
  legend: readonly string[],
): ChartOption {
  const axis = {
    nameTextStyle: { color: palette.muted },
    axisLabel: { color: palette.muted },
    axisLine: { lineStyle: { color: palette.grid } },
    splitLine: { lineStyle: { color: palette.grid, opacity: 0.4 } },
  };
  return {
    animation: false,
    color: [...palette.series],
    textStyle: { color: palette.text },
    grid: { left: 56, right: 16, top: 40, bottom: 44 },
    legend: { data: [...legend], top: 0, textStyle: { color: palette.text }, type: 'scroll' },
    tooltip: axisTooltip(xName),
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 26, minInterval: 1, ...axis },
    yAxis: { type: 'value', name: yName, nameLocation: 'middle', nameGap: 40, scale: true, ...axis },
  };
}

function line(name: string, points: readonly (readonly [number, number])[], color: string, dashed = false) {
  return {
    name,
    type: 'line',
    data: points.map((p) => [...p]),
    showSymbol: !dashed,
    symbolSize: 5,
    lineStyle: { color, type: dashed ? 'dashed' : 'solid', width: dashed ? 1.5 : 2 },
    itemStyle: { color },
  };
}

const INTERVAL_LEGEND = '95% CI';

/** A curve's interval as two thin lines sharing one legend entry (x = index + offset). */
function intervalLines(intervals: readonly MeanInterval[], color: string, offset = 0) {
  const bound = (pick: (i: MeanInterval) => number) => ({
    name: INTERVAL_LEGEND,
    type: 'line',
    data: intervals.map((i, x) => [x + offset, digits(pick(i), 4)]),
    showSymbol: false,
    lineStyle: { color, type: 'dotted', width: 1, opacity: 0.8 },
    itemStyle: { color },
  });
  return intervals.length ? [bound((i) => i.lower), bound((i) => i.upper)] : [];
}

/**
 * Where the paper's 12-layer curves are drawn beside a model of another depth: at their published layer numbers,
 * or by relative depth (the paper's layer l at l * L / 12 for an L-layer model), so that "the middle layers" and
 * "the last layers" line up. By default relative depth is used whenever the model's depth is not 12.
 */
export type PaperLayerAlignment = 'published' | 'relative-depth';
export const PAPER_LAYERS = 12;

export interface ReportOptions {
  readonly paperLayers?: PaperLayerAlignment;
  /** A second model's results and this report's model name: adds the two-model section. */
  readonly compareWith?: ComparedResults;
  readonly modelName?: string;
}

/** The paper's points for a chart whose model has `modelLayers` transformer layers. */
type PaperPoints = (curve: Curve | undefined, modelLayers: number) => [number, number][];

/** Whether the paper's layers are moved to this model's depth (the default, when the depths differ). */
function alignsByDepth(options: ReportOptions, modelLayers: number): boolean {
  return (options.paperLayers ?? 'relative-depth') === 'relative-depth' && modelLayers !== PAPER_LAYERS;
}

function paperPointsFor(options: ReportOptions): PaperPoints {
  return (curve, modelLayers) => {
    const scale = alignsByDepth(options, modelLayers) ? modelLayers / PAPER_LAYERS : 1;
    return curvePoints(curve).map(([x, y]): [number, number] => [digits(x * scale, 3), y]);
  };
}

/** A note for a section whose paper curves were moved to this model's depth. */
function alignmentNotes(options: ReportOptions, modelLayers: number): string[] {
  if (!alignsByDepth(options, modelLayers)) return [];
  return [
    `The paper's curves are drawn by relative depth: its layer l (of ${PAPER_LAYERS}) at l × ${modelLayers}/${PAPER_LAYERS} ` +
      `on this ${modelLayers}-layer model's axis (\`--paper-layers published\` draws them at their own numbers).`,
  ];
}

function curvePoints(curve: Curve | undefined): [number, number][] {
  return curve
    ? Object.entries(curve)
        .map(([k, v]): [number, number] => [Number(k), v])
        .sort((a, b) => a[0] - b[0])
    : [];
}

// ---------------------------------------------------------------- Figure 1: attention

interface AttentionStatisticResult {
  readonly description: string;
  readonly perHead: readonly (readonly number[])[];
  readonly meanOverHeads: readonly number[];
  readonly meanOverHeadsIntervals?: readonly MeanInterval[];
  readonly chance: number;
  readonly pairs: number;
}
interface AttentionResultLike {
  readonly pairs: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly convention?: string;
  readonly significance?: SignificanceStatement;
  readonly statistics: Readonly<Record<string, AttentionStatisticResult>>;
}

/** A statistic's description without the "A -> B: " its chart title already says. */
function withoutBlockName(description: string): string {
  return description.replace(/^[a-z]+ -> [a-z]+: /, '');
}

const ATTENTION_CHARTS: readonly { key: string; label: string }[] = [
  { key: 'toCls', label: 'to [CLS]' },
  { key: 'toSep', label: 'to [SEP] (both)' },
  { key: 'toPeriods', label: 'to periods' },
  { key: 'queryToQuery', label: 'query → query' },
  { key: 'queryToDocument', label: 'query → doc' },
  { key: 'documentToQuery', label: 'doc → query' },
  { key: 'documentToDocument', label: 'doc → doc' },
];

function attentionSection(file: ResultFile, palette: ReportPalette, options: ReportOptions): ReportSection {
  const r = file.result as unknown as AttentionResultLike;
  const [headColor, meanColor, chanceColor, paperColor] = palette.series;
  const charts: ChartSpec[] = [];
  const rows: (string | number)[][] = [];
  const meanRows: (string | number)[][] = [];
  for (const { key, label } of ATTENTION_CHARTS) {
    const s = r.statistics[key];
    if (!s) continue;
    const perHead = s.perHead.flatMap((heads, l) => heads.map((v): [number, number] => [l + 1, v]));
    const mean = s.meanOverHeads.map((v, l): [number, number] => [l + 1, v]);
    const L = s.meanOverHeads.length;
    const paper = paperPointsFor(options)(PAPER_ATTENTION[key], L);
    const intervals = s.meanOverHeadsIntervals ?? [];
    const legend = ['heads', 'mean over heads', ...(intervals.length ? [INTERVAL_LEGEND] : [])];
    const option = baseOption(palette, 'layer', 'attention share', [
      ...legend,
      'uniform',
      'paper (BERT-base)',
    ]);
    option.series = [
      {
        name: 'heads',
        type: 'scatter',
        data: perHead,
        symbolSize: 6,
        itemStyle: { color: headColor, opacity: 0.6 },
      },
      line('mean over heads', mean, meanColor),
      ...intervalLines(intervals, meanColor, 1),
      line(
        'uniform',
        [
          [1, s.chance],
          [Math.max(L, 1), s.chance],
        ],
        chanceColor,
        true,
      ),
      line('paper (BERT-base)', paper, paperColor, true),
    ];
    charts.push({
      id: `attention-${key}`,
      title: `${label}: ${withoutBlockName(s.description)}`,
      option,
      height: 260,
    });
    s.perHead.forEach((heads, l) =>
      heads.forEach((v, h) => rows.push([key, l + 1, h, digits(v, 4), digits(s.chance, 4)])),
    );
    intervals.forEach((i, l) =>
      meanRows.push([key, l + 1, digits(s.meanOverHeads[l], 4), digits(i.lower, 4), digits(i.upper, 4)]),
    );
  }
  const columns = ['statistic', 'layer', 'head', 'share', 'uniform'];
  return {
    id: 'attention',
    title: 'Figure 1 — where attention goes',
    description:
      `Mean attention share per head (dots) and its mean over heads (line) by layer, over ${r.pairs} relevant pairs; ` +
      'the dashed "uniform" line is what attention spread evenly over the real tokens would give (chance), the ' +
      'dashed paper line Zhan et al.\'s monoBERT (12 layers; their layers counted from 1). "A → B" is the paper\'s ' +
      "convention: the attention that weights A's representation for B's context (B's tokens attending to A).",
    notes: [
      ...(r.convention ? [r.convention] : []),
      ...(r.significance ? [r.significance.method] : []),
      ...alignmentNotes(options, r.numLayers),
    ],
    charts,
    tables: meanRows.length
      ? [
          {
            caption: 'Mean over heads by layer, with its 95% bootstrap interval over pairs',
            columns: ['statistic', 'layer', 'mean over heads', '95% CI low', '95% CI high'],
            rows: meanRows,
          },
        ]
      : [],
    csv: csvOf(columns, rows),
  };
}

// ---------------------------------------------------------------- Figure 2: attribution

function attributionSection(file: ResultFile, palette: ReportPalette, options: ReportOptions): ReportSection {
  const r = file.result as unknown as AttributionAnalysisResult;
  const modelLayers = Math.max(0, ...r.baselines.flatMap((b) => b.layers.map((l) => l.layer)));
  const paperPoints = paperPointsFor(options);
  const charts: ChartSpec[] = [];
  const tables: TableSpec[] = [];
  const rows: (string | number)[][] = [];
  for (const b of r.baselines) {
    const legend = ATTRIBUTION_GROUPS.flatMap((g) => [
      ATTRIBUTION_GROUP_LABELS[g],
      `${ATTRIBUTION_GROUP_LABELS[g]} (paper)`,
    ]);
    const option = baseOption(palette, 'layer', 'share of F(x) − F(x′)', legend);
    option.series = ATTRIBUTION_GROUPS.flatMap((g, i) => {
      const color = palette.series[i % palette.series.length];
      return [
        line(
          ATTRIBUTION_GROUP_LABELS[g],
          b.layers.map((l): [number, number] => [l.layer, l.share[g]]),
          color,
        ),
        line(
          `${ATTRIBUTION_GROUP_LABELS[g]} (paper)`,
          paperPoints(PAPER_ATTRIBUTION[b.baseline][g], modelLayers),
          color,
          true,
        ),
      ];
    });
    charts.push({
      id: `attribution-${b.baseline}`,
      title:
        b.baseline === 'empty-query'
          ? 'Empty-query baseline (IG w.r.t. the query)'
          : 'Empty-document baseline (IG w.r.t. the document)',
      option,
      height: 300,
    });
    tables.push({
      caption: `${b.baseline}: completeness error |Σa − (F(x) − F(x′))| / |F(x) − F(x′)| per layer`,
      columns: ['layer', 'pairs', 'mean F(x)−F(x′)', 'median', 'p95', 'max', 'unconverged', 'mean points'],
      rows: b.layers.map((l: LayerShares) => [
        l.layer,
        l.pairs,
        digits(l.meanDelta, 4),
        l.completeness.median.toExponential(1),
        l.completeness.p95.toExponential(1),
        l.completeness.max.toExponential(1),
        l.completeness.unconverged,
        digits(l.completeness.meanPoints, 1),
      ]),
    });
    for (const l of b.layers)
      for (const g of ATTRIBUTION_GROUPS)
        rows.push([
          b.baseline,
          l.layer,
          g,
          digits(l.share[g], 4),
          digits(l.meanAttribution[g], 4),
          digits(l.absoluteShare[g], 4),
        ]);
  }
  const selection = r.settings.selection;
  return {
    id: 'attribution',
    title: 'Figure 2 — layer-wise Integrated Gradients',
    description:
      `Share of the attribution on [CLS], [SEP], query, document and its periods at each layer, over ${r.attributedPairs} ` +
      `of ${r.relevantPairs} relevant pairs (${r.queries} queries) that the model itself ranks as relevant ` +
      `(${selection.kind === 'rank' ? `in its top ${selection.topK}` : `P > ${selection.threshold}`}). ` +
      'Share = mean signed attribution of the group / mean (F(x) − F(x′)); periods are part of the document. The dashed ' +
      "lines are Zhan et al.'s mean attributions (P(relevant) units with F(x) − F(x′) ≈ 1, so the same scale). " +
      'With the empty-document baseline, a rising query share means document information is being aggregated into the query tokens.',
    notes: [
      'Layer L (after the last layer) is shown too; there only [CLS] reaches the classifier, so its share is 1 by construction (the paper stops at L − 1).',
      ...alignmentNotes(options, modelLayers),
    ],
    charts,
    tables,
    csv: csvOf(['baseline', 'layer', 'group', 'share', 'mean attribution', 'absolute share'], rows),
  };
}

// ---------------------------------------------------------------- Figure 3: probing

function probingSection(file: ResultFile, palette: ReportPalette, options: ReportOptions): ReportSection {
  const r = file.result as unknown as ProbingResult;
  const modelLayers = Math.max(0, ...r.groups.map((g) => g.mrr.length - 1));
  const paperPoints = paperPointsFor(options);
  const legend = r.groups
    .flatMap((g) => [PROBE_GROUP_LABELS[g.group], `${PROBE_GROUP_LABELS[g.group]} (paper)`])
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
          `${PROBE_GROUP_LABELS[g.group]} (paper)`,
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

// ---------------------------------------------------------------- Table 1: period masking

function periodMaskSection(file: ResultFile, palette: ReportPalette): ReportSection {
  const r = file.result as unknown as PeriodMaskResult;
  const paper = PAPER_PERIOD_MASK as Readonly<Record<string, number>>;
  const columns = [
    'setting',
    'MRR@10',
    '95% CI',
    'relative change',
    ...COMPARISON_COLUMNS,
    'mean score change',
    'paper MRR@10',
    'paper change',
  ];
  const rows: (string | number)[][] = [
    [
      'original',
      digits(r.original.mrr10, 4),
      intervalCell(r.original.interval),
      '',
      ...comparisonCells(null),
      '',
      paper.original,
      '',
    ],
    ...r.settings.map((s) => [
      s.setting,
      digits(s.mrr10, 4),
      intervalCell(s.comparison?.treatment),
      `${(100 * s.relativeChange).toFixed(1)}%`,
      ...comparisonCells(s.comparison),
      digits(s.meanScoreChange, 4),
      paper[s.setting] ?? '',
      paper[s.setting] !== undefined
        ? `${((100 * (paper[s.setting] - paper.original)) / paper.original).toFixed(0)}%`
        : '',
    ]),
  ];
  const drill = drillDown(
    r.perQuery
      ? r.settings.map((s) => ({
          id: `period-mask-${s.setting}`,
          label: `${s.setting} vs original`,
          summary: s.comparison
            ? `MRR@10 ${digits(r.original.mrr10, 4)} → ${digits(s.mrr10, 4)}, Δ ${comparisonCells(s.comparison)[0]}; ${comparisonVerdict(s.comparison, r.significance?.alpha)}`
            : '',
          target: { analysis: 'period-mask', setting: s.setting },
          qids: r.perQuery.qids,
          baseline: r.perQuery.original,
          treatment: r.perQuery.settings[s.setting],
        }))
      : [],
    palette,
  );
  return {
    id: 'period-mask',
    title: 'Table 1 — adversarial period masking',
    description:
      `Only each query's relevant passage is modified (${r.modifiedPassages} passages, ${r.modifiedWithoutPeriods} without a period), ` +
      'the other candidates keep their scores. Comma: periods replaced by commas; token mask: periods removed before the ' +
      'softmax (attention renormalised); attention mask: attention to periods zeroed after the softmax. Each setting is ' +
      'compared with the original query by query (Δ = setting − original).',
    notes: significanceNotes(
      r.significance,
      r.settings.map((s) => [`${s.setting} vs original`, s.comparison]),
    ),
    charts: drill.charts,
    tables: [
      {
        caption: `MRR@10 over ${r.queries} queries`,
        columns,
        rows,
        // A setting's row opens its per-query breakdown.
        rowLinks: [undefined, ...r.settings.map((s) => ({ comparison: `period-mask-${s.setting}` }))],
      },
      ...(drill.table ? [drill.table] : []),
    ],
    csv: csvOf(columns, rows),
  };
}

// ---------------------------------------------------------------- Figure 4: interaction masking

const INTERACTION_LABELS: Readonly<Record<InteractionDirection, { label: string; paper: string }>> = {
  'query-to-document': { label: 'mask query → doc', paper: 'queryToDocument' },
  'document-to-query': { label: 'mask doc → query', paper: 'documentToQuery' },
  both: { label: 'mask both', paper: 'both' },
};

function interactionSection(file: ResultFile, palette: ReportPalette, options: ReportOptions): ReportSection {
  const r = file.result as unknown as InteractionResult;
  const directions = (Object.keys(INTERACTION_LABELS) as InteractionDirection[]).filter(
    (d) => r.directions[d],
  );
  const modelLayers = Math.max(0, ...directions.map((d) => r.directions[d].mrr10.length - 1));
  const paperPoints = paperPointsFor(options);
  const hasIntervals = directions.some((d) => (r.directions[d].intervals?.length ?? 0) > 0);
  const legend = [
    ...directions.flatMap((d) => [INTERACTION_LABELS[d].label, `${INTERACTION_LABELS[d].label} (paper)`]),
    ...(hasIntervals ? [INTERVAL_LEGEND] : []),
  ];
  const option = baseOption(palette, 'layers masked (first i)', 'MRR@10', legend);
  option.series = directions.flatMap((d, i) => {
    const color = palette.series[i % palette.series.length];
    const { label, paper } = INTERACTION_LABELS[d];
    return [
      line(
        label,
        r.directions[d].mrr10.map((v, depth): [number, number] => [depth, v]),
        color,
      ),
      line(`${label} (paper)`, paperPoints(PAPER_INTERACTION_MASK[paper], modelLayers), color, true),
      ...intervalLines(r.directions[d].intervals ?? [], color),
    ];
  });
  const depth = Math.max(...directions.map((d) => r.directions[d].mrr10.length));
  const columns = ['direction', ...Array.from({ length: depth }, (_, i) => `i=${i}`)];
  const rows = directions.map((d) => [
    INTERACTION_LABELS[d].label,
    ...r.directions[d].mrr10.map(
      (v, i) => `${digits(v, 4)}${r.directions[d].vsUnmasked?.[i]?.significant ? '*' : ''}`,
    ),
  ]);
  const comparisonColumns = ['direction', 'i', 'MRR@10', '95% CI', ...COMPARISON_COLUMNS];
  const comparisonRows = directions.flatMap((d) =>
    (r.directions[d].vsUnmasked ?? []).flatMap((c, i) =>
      c
        ? [
            [
              INTERACTION_LABELS[d].label,
              i,
              digits(r.directions[d].mrr10[i], 4),
              intervalCell(r.directions[d].intervals?.[i]),
              ...comparisonCells(c),
            ],
          ]
        : [],
    ),
  );
  // The deepest mask of each direction, opened query by query.
  const drill = drillDown(
    r.perQuery
      ? directions.map((d): DrillDownInput => {
          const ranks = r.perQuery.reciprocalRanks[d];
          return {
            id: `interaction-${d}`,
            label: `${INTERACTION_LABELS[d].label}, i = ${ranks.length - 1} vs i = 0`,
            qids: r.perQuery.qids,
            baseline: ranks[0],
            treatment: ranks[ranks.length - 1],
          };
        })
      : [],
    palette,
  );
  const verdicts = directions.flatMap((d) =>
    (r.directions[d].vsUnmasked ?? []).map((c, i): [string, PairedComparison | null] => [
      `${INTERACTION_LABELS[d].label}, i = ${i} vs i = 0`,
      c,
    ]),
  );
  return {
    id: 'interaction-mask',
    title: 'Figure 4 — masking query/document interactions in the first i layers',
    description:
      `MRR@10 over ${r.queries} queries with interactions masked (${r.kind} mask) in the first i layers; i = 0 is the ` +
      'unmasked model. Dashed: Zhan et al. (12 layers). ' +
      directions.map((d) => r.directions[d].description).join('; ') +
      '.',
    notes: [
      ...(r.rule ? [r.rule] : []),
      ...alignmentNotes(options, modelLayers),
      ...significanceNotes(r.significance, verdicts),
    ],
    charts: [
      { id: 'interaction-mask', title: 'MRR@10 by masked depth', option, height: 300 },
      ...drill.charts,
    ],
    tables: [
      { caption: 'MRR@10 (* differs from i = 0 at the stated α)', columns, rows },
      ...(comparisonRows.length
        ? [
            {
              caption: 'Each depth against the unmasked model (i = 0), paired over queries',
              columns: comparisonColumns,
              rows: comparisonRows,
            },
          ]
        : []),
      ...(drill.table ? [drill.table] : []),
    ],
    csv: csvOf(columns, rows),
  };
}

// ---------------------------------------------------------------- head importance, re-ranking

function headImportanceSection(file: ResultFile, palette: ReportPalette): ReportSection {
  const r = file.result as unknown as HeadImportanceResult;
  const L = r.heads.length;
  const H = r.heads[0]?.length ?? 0;
  // Layers are numbered 1..L (0 is the embeddings) and heads 1..H, as in the attention explorer; heads[l][h] is
  // layer l + 1, head h + 1.
  const data = r.heads.flatMap((heads, l) =>
    heads.map((c, h) => [h, l, digits(c.deltaMrr10, 4), c.comparison?.permutation.p ?? -1]),
  );
  const values = data.map((d) => d[2]);
  const extent = Math.max(1e-6, ...values.map(Math.abs));
  const pText = (p: number) => (p < 0 ? '' : `, p = ${p < 0.001 ? '< 0.001' : formatP(p)}`);
  const alpha = r.significance?.alpha ?? 0.05;
  const option: ChartOption = {
    animation: false,
    textStyle: { color: palette.text },
    grid: { left: 56, right: 16, top: 16, bottom: 96 },
    tooltip: {
      confine: true,
      formatter: (p: { value: number[] }) =>
        `layer ${p.value[1] + 1}, head ${p.value[0] + 1}: ΔMRR@10 ${p.value[2].toFixed(4)}${pText(p.value[3])}`,
    },
    xAxis: {
      type: 'category',
      name: 'head',
      nameLocation: 'middle',
      nameGap: 26,
      data: [...Array(H).keys()].map((h) => String(h + 1)),
      axisLabel: { color: palette.muted },
    },
    yAxis: {
      type: 'category',
      name: 'layer',
      nameLocation: 'middle',
      nameGap: 36,
      data: [...Array(L).keys()].map((l) => String(l + 1)),
      axisLabel: { color: palette.muted },
    },
    // Below the grid, horizontal: its end labels and drag handles have room there and never cover a cell.
    visualMap: {
      precision: 3,
      min: -extent,
      max: extent,
      calculable: true,
      orient: 'horizontal',
      left: 'center',
      bottom: 4,
      itemHeight: 160,
      text: ['ΔMRR@10 +', '−'],
      textStyle: { color: palette.text },
      inRange: { color: [palette.series[3] ?? '#d62728', '#f7f7f7', palette.series[0] ?? '#1f77b4'] },
    },
    series: [
      {
        type: 'heatmap',
        data,
        label: {
          show: H * L <= 64,
          color: '#000',
          formatter: (p: { value: number[] }) =>
            `${p.value[2].toFixed(3)}${p.value[3] >= 0 && p.value[3] < alpha ? '*' : ''}`,
        },
      },
    ],
  };
  const columns = ['layer', 'head', 'MRR@10', 'ΔMRR@10', ...COMPARISON_COLUMNS, 'mean score change'];
  const rows = r.heads.flatMap((heads, l) =>
    heads.map((c, h) => [
      l + 1,
      h + 1,
      digits(c.mrr10, 4),
      digits(c.deltaMrr10, 4),
      ...comparisonCells(c.comparison),
      digits(c.meanScoreChange, 4),
    ]),
  );
  const significant = r.heads.flatMap((heads, l) =>
    heads.flatMap((c, h): [string, PairedComparison][] =>
      c.comparison?.significant ? [[`layer ${l + 1}, head ${h + 1} masked`, c.comparison]] : [],
    ),
  );
  const strongest = r.perQuery
    ? r.heads
        .flatMap((heads, l) => heads.map((c, h) => ({ l, h, delta: c.deltaMrr10 })))
        .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
        .slice(0, 3)
    : [];
  const drill = drillDown(
    strongest.map(({ l, h }) => ({
      id: `head-${l + 1}-${h + 1}`,
      label: `layer ${l + 1}, head ${h + 1} masked vs unmasked`,
      qids: r.perQuery.qids,
      baseline: r.perQuery.unmasked,
      treatment: r.perQuery.heads[l][h],
    })),
    palette,
  );
  const notes = r.significance
    ? [
        significant.length === 0
          ? `No head's ΔMRR@10 is significant at α = ${alpha} (paired permutation test over ${r.queries} queries, each head against unmasked, uncorrected for the ${L * H} tests).`
          : `* p < ${alpha} against unmasked (uncorrected for the ${L * H} tests; about ${(alpha * L * H).toFixed(1)} would pass by chance).`,
        ...significanceNotes(r.significance, significant),
      ]
    : [];
  return {
    id: 'head-importance',
    title: 'Head importance (beyond the paper)',
    description:
      `Change of MRR@10 (unmasked ${r.unmasked.mrr10.toFixed(4)}${r.unmasked.interval ? ` ${formatInterval(r.unmasked.interval)}` : ''}, ` +
      `${r.queries} queries, ${r.pairs} pairs) when one head's attention is zeroed, for every layer (1..L) and head (1..H).`,
    notes,
    charts: [
      {
        id: 'head-importance',
        title: 'ΔMRR@10 with one head masked',
        option,
        height: Math.max(240, 40 * L + 140),
      },
      ...drill.charts,
    ],
    tables: [
      { caption: 'Each head masked against unmasked, paired over queries', columns, rows },
      ...(drill.table
        ? [{ ...drill.table, caption: `${drill.table.caption}: the 3 heads with the largest |ΔMRR@10|` }]
        : []),
    ],
    csv: csvOf(columns, rows),
  };
}

function rerankSection(file: ResultFile, palette: ReportPalette): ReportSection {
  const r = file.result as unknown as RerankResult;
  const columns = ['ranking', 'MRR@10', '95% CI', 'nDCG@10', '95% CI', 'queries evaluated'];
  const metricRow = (label: string, m: NonNullable<RerankResult['metrics']>['run']) => [
    label,
    digits(m.mrr10, 4),
    intervalCell(m.intervals?.mrr10),
    digits(m.ndcg10, 4),
    intervalCell(m.intervals?.ndcg10),
    m.queriesEvaluated,
  ];
  const rows = r.metrics
    ? [
        metricRow('input run', r.metrics.run),
        metricRow('model', r.metrics.model),
        metricRow(`fused (w = ${r.fusion.weight})`, r.metrics.fused),
      ]
    : [];
  const compared = r.comparisons
    ? ([
        ['model', 'MRR@10', r.comparisons.model.mrr10],
        ['model', 'nDCG@10', r.comparisons.model.ndcg10],
        [`fused (w = ${r.fusion.weight})`, 'MRR@10', r.comparisons.fused.mrr10],
        [`fused (w = ${r.fusion.weight})`, 'nDCG@10', r.comparisons.fused.ndcg10],
      ] as const)
    : [];
  const comparisonColumns = ['ranking', 'metric', ...COMPARISON_COLUMNS];
  const drill = drillDown(
    r.perQuery
      ? [
          {
            id: 'rerank-model',
            label: 'model vs input run',
            qids: r.perQuery.judged,
            baseline: r.perQuery.run.mrr10,
            treatment: r.perQuery.model.mrr10,
          },
        ]
      : [],
    palette,
  );
  const comparisonRows = compared.map(([ranking, metric, c]) => [ranking, metric, ...comparisonCells(c)]);
  return {
    id: 'rerank',
    title: 'Re-ranking the run',
    description: `The model's ranking of the run's candidates, and the fusion ${r.fusion.rule} (relevant: grade ≥ ${r.minRelevance}).`,
    notes: significanceNotes(
      r.significance,
      compared.map(([ranking, metric, c]) => [`${ranking} vs input run, ${metric}`, c]),
    ),
    charts: drill.charts,
    tables: [
      { caption: 'Effectiveness', columns, rows },
      ...(comparisonRows.length
        ? [
            {
              caption: 'Against the input run, paired over queries',
              columns: comparisonColumns,
              rows: comparisonRows,
            },
          ]
        : []),
      ...(drill.table ? [drill.table] : []),
    ],
    csv: csvOf(columns, rows),
  };
}

type SectionBuilder = (
  file: ResultFile,
  palette: ReportPalette,
  options: ReportOptions,
) => ReportSection | undefined;

const BUILDERS: readonly [string, SectionBuilder][] = [
  ['attention', attentionSection],
  ['attribution', attributionSection],
  ['probing', probingSection],
  ['period-mask', periodMaskSection],
  ['interaction-mask', interactionSection],
  ['head-importance', headImportanceSection],
  ['rerank', rerankSection],
];

/** The sections of every analysis present, in the paper's order. */
export function reportSections(
  results: Readonly<Record<string, ResultFile>>,
  palette: ReportPalette,
  options: ReportOptions = {},
): ReportSection[] {
  const sections = BUILDERS.flatMap(([name, build]) => {
    const file = results[name];
    const section = file ? build(file, palette, options) : undefined;
    return section ? [section] : [];
  });
  const comparison = options.compareWith
    ? modelComparisonSection(options.modelName ?? 'this model', results, options.compareWith, palette)
    : undefined;
  return comparison ? [...sections, comparison] : sections;
}

/** A fixed light palette for the standalone HTML report. */
export const LIGHT_PALETTE: ReportPalette = {
  text: '#1f1f1f',
  muted: '#616161',
  grid: '#c8c8c8',
  series: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'],
};
