// Two models in one report: for every analysis both result sets hold, the per-query values they share (the same
// qids) compared with the paired tests, model B against model A, and the queries that moved between them.
import type { HeadImportanceResult } from '../analysis/head-importance/headImportance';
import type { InteractionDirection, InteractionResult } from '../analysis/interaction-mask/interactionMask';
import type { PeriodMaskResult } from '../analysis/period-mask/periodMask';
import type { RerankResult } from '../analysis/rerank/rerank';
import { RESULT_FORMAT } from '../analysis/resultFormat';
import type { ResultFile } from '../analysis/runner';
import {
  comparePaired,
  comparisonVerdict,
  DEFAULT_SIGNIFICANCE,
  describeSignificance,
  type PairedComparison,
  type SignificanceOptions,
} from '../eval/significance';
import { drillDown, type DrillDownInput } from './drillDown';
import type { ReportPalette, ReportSection } from './sections';
import { COMPARISON_COLUMNS, comparisonCells, csvOf } from './tableCells';

/** A second model's result files, by analysis name, and the name it is shown under. */
export interface ComparedResults {
  readonly name: string;
  readonly results: Readonly<Record<string, ResultFile>>;
  /** How the paired tests against it are run (default: the analyses' defaults). */
  readonly significance?: SignificanceOptions;
}

/** The analyses whose result files hold per-query values (sharedMetrics reads them). */
const PER_QUERY_ANALYSES: ReadonlySet<string> = new Set([
  'rerank',
  'period-mask',
  'interaction-mask',
  'head-importance',
]);

/** One metric both models have per query. */
interface SharedMetric {
  readonly analysis: string;
  readonly metric: string;
  /** Whether the values are reciprocal ranks (then the moved queries can be drilled into). */
  readonly reciprocalRanks: boolean;
  readonly qids: readonly string[];
  readonly values: readonly number[];
}

/** The per-query metrics of a result file that another model's run of the same analysis can be compared on. */
export function sharedMetrics(file: ResultFile): SharedMetric[] {
  const of = (
    metric: string,
    qids: readonly string[],
    values: readonly number[],
    reciprocalRanks = true,
  ) => ({
    analysis: file.analysis,
    metric,
    reciprocalRanks,
    qids,
    values,
  });
  switch (file.analysis) {
    case 'rerank': {
      const p = (file.result as unknown as RerankResult).perQuery;
      return p
        ? [
            of('model MRR@10', p.judged, p.model.mrr10),
            of('model nDCG@10', p.evaluated, p.model.ndcg10, false),
          ]
        : [];
    }
    case 'period-mask': {
      const r = file.result as unknown as PeriodMaskResult;
      if (!r.perQuery) return [];
      return [
        of('original MRR@10', r.perQuery.qids, r.perQuery.original),
        ...r.settings.map((s) => of(`${s.setting} MRR@10`, r.perQuery.qids, r.perQuery.settings[s.setting])),
      ];
    }
    case 'interaction-mask': {
      const r = file.result as unknown as InteractionResult;
      if (!r.perQuery) return [];
      return (Object.keys(r.perQuery.reciprocalRanks) as InteractionDirection[]).flatMap((d) => {
        const ranks = r.perQuery.reciprocalRanks[d];
        // Depth 0 is the same unmasked model for every direction: listed once. The deepest mask is compared
        // by name, not by layer count, so models of different depths meet at "all layers masked".
        return [
          ...(d === 'query-to-document' ? [of('unmasked MRR@10', r.perQuery.qids, ranks[0])] : []),
          of(`${d} masked in all layers, MRR@10`, r.perQuery.qids, ranks[ranks.length - 1]),
        ];
      });
    }
    case 'head-importance': {
      const r = file.result as unknown as HeadImportanceResult;
      return r.perQuery ? [of('unmasked MRR@10', r.perQuery.qids, r.perQuery.unmasked)] : [];
    }
    default:
      return [];
  }
}

export interface ModelComparisonRow {
  readonly analysis: string;
  readonly metric: string;
  /** Queries both models were run on. */
  readonly queries: number;
  /** Queries of this metric only model A, or only model B, was run on (left out of the test). */
  readonly onlyInA: number;
  readonly onlyInB: number;
  /** B against A (treatment B, baseline A). */
  readonly comparison: PairedComparison;
  /** The paired values: A's and B's value of each shared query. */
  readonly perQuery: {
    readonly qids: readonly string[];
    readonly a: readonly number[];
    readonly b: readonly number[];
  };
  readonly drill?: DrillDownInput;
}

/** One metric both result sets have, its values paired over the qids both hold (in A's query order). */
interface PairedMetric extends Omit<SharedMetric, 'values'> {
  readonly baseline: readonly number[];
  readonly treatment: readonly number[];
  readonly onlyInA: number;
  readonly onlyInB: number;
}

function pairedMetrics(
  a: Readonly<Record<string, ResultFile>>,
  b: Readonly<Record<string, ResultFile>>,
): PairedMetric[] {
  const paired: PairedMetric[] = [];
  for (const [analysis, fileA] of Object.entries(a)) {
    const fileB = b[analysis];
    if (!fileB) continue;
    const metricsB = new Map(sharedMetrics(fileB).map((m) => [m.metric, m]));
    for (const m of sharedMetrics(fileA)) {
      const other = metricsB.get(m.metric);
      if (!other) continue;
      const valueOfB = new Map(other.qids.map((qid, i) => [qid, other.values[i]]));
      const qids: string[] = [];
      const baseline: number[] = [];
      const treatment: number[] = [];
      m.qids.forEach((qid, i) => {
        const vb = valueOfB.get(qid);
        if (vb === undefined) return;
        qids.push(qid);
        baseline.push(m.values[i]);
        treatment.push(vb);
      });
      paired.push({
        analysis,
        metric: m.metric,
        reciprocalRanks: m.reciprocalRanks,
        qids,
        baseline,
        treatment,
        onlyInA: m.qids.length - qids.length,
        onlyInB: other.qids.length - qids.length,
      });
    }
  }
  return paired;
}

/** Every metric both result sets share, paired over the qids both hold, in A's query order. */
export function compareModels(
  a: Readonly<Record<string, ResultFile>>,
  b: Readonly<Record<string, ResultFile>>,
  options: SignificanceOptions = DEFAULT_SIGNIFICANCE,
): ModelComparisonRow[] {
  return pairedMetrics(a, b)
    .filter((p) => p.qids.length > 0)
    .map(({ analysis, metric, reciprocalRanks, qids, baseline, treatment, onlyInA, onlyInB }) => ({
      analysis,
      metric,
      queries: qids.length,
      onlyInA,
      onlyInB,
      comparison: comparePaired(baseline, treatment, options),
      perQuery: { qids, a: baseline, b: treatment },
      ...(reciprocalRanks
        ? {
            drill: {
              id: `models-${analysis}-${metric.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`,
              label: `${analysis}, ${metric}: B vs A`,
              qids,
              baseline,
              treatment,
            },
          }
        : {}),
    }));
}

/**
 * What keeps two result sets from being compared in full, in words: analyses or metrics only one model has,
 * queries only one ran, results over other pairs (another sample, or a tokenizer that cuts them differently) or
 * with other settings. Empty when every metric of both is compared over the same queries.
 */
export function comparisonMismatches(
  a: Readonly<Record<string, ResultFile>>,
  b: Readonly<Record<string, ResultFile>>,
  names: { readonly a: string; readonly b: string } = { a: 'A', b: 'B' },
): string[] {
  const lines: string[] = [];
  const only = (x: Readonly<Record<string, ResultFile>>, y: Readonly<Record<string, ResultFile>>) =>
    Object.keys(x).filter((n) => !y[n]);
  const onlyA = only(a, b);
  const onlyB = only(b, a);
  const perLayerOnly: string[] = [];
  if (onlyA.length) lines.push(`Only ${names.a} has ${onlyA.join(', ')}: not compared.`);
  if (onlyB.length) lines.push(`Only ${names.b} has ${onlyB.join(', ')}: not compared.`);
  for (const [analysis, fileA] of Object.entries(a)) {
    const fileB = b[analysis];
    if (!fileB) continue;
    if (fileA.data.fingerprint !== fileB.data.fingerprint)
      lines.push(
        `${analysis}: the two results are over different pairs (data fingerprints differ: another sample, depth or ` +
          'data files, or a tokenizer that cuts the pairs differently); only the queries both ran are paired.',
      );
    if (JSON.stringify(fileA.settings) !== JSON.stringify(fileB.settings))
      lines.push(
        `${analysis}: the settings differ (${names.a}: ${JSON.stringify(fileA.settings)}; ${names.b}: ${JSON.stringify(fileB.settings)}).`,
      );
    const metricsA = sharedMetrics(fileA);
    const metricsB = sharedMetrics(fileB);
    if (!PER_QUERY_ANALYSES.has(analysis)) {
      perLayerOnly.push(analysis);
      continue;
    }
    if (metricsA.length === 0 || metricsB.length === 0) {
      const without = [metricsA.length ? [] : [names.a], metricsB.length ? [] : [names.b]].flat();
      lines.push(
        `${analysis}: no per-query values in ${without.join(' and ')}'s result (a result file from before ` +
          'per-query values were kept: run it again to compare query by query).',
      );
      continue;
    }
    const namesB = new Set(metricsB.map((m) => m.metric));
    const namesA = new Set(metricsA.map((m) => m.metric));
    const missing = (ms: readonly SharedMetric[], other: Set<string>) =>
      ms.filter((m) => !other.has(m.metric)).map((m) => m.metric);
    const onlyMetricsA = missing(metricsA, namesB);
    const onlyMetricsB = missing(metricsB, namesA);
    if (onlyMetricsA.length) lines.push(`${analysis}: only ${names.a} has ${onlyMetricsA.join(', ')}.`);
    if (onlyMetricsB.length) lines.push(`${analysis}: only ${names.b} has ${onlyMetricsB.join(', ')}.`);
  }
  if (perLayerOnly.length)
    lines.push(
      `${perLayerOnly.join(', ')}: measured per layer over pairs, with no per-query metric to pair; ` +
        'compared in their charts, where both models are drawn.',
    );
  for (const p of pairedMetrics(a, b)) {
    if (p.qids.length === 0)
      lines.push(`${p.analysis}, ${p.metric}: the two results share no query: nothing to pair.`);
    else if (p.onlyInA || p.onlyInB)
      lines.push(
        `${p.analysis}, ${p.metric}: paired over the ${p.qids.length} queries both ran; ` +
          `${p.onlyInA} only ${names.a} ran and ${p.onlyInB} only ${names.b} ran are left out.`,
      );
  }
  return lines;
}

const cell = (v: number) => Number(v.toFixed(4));

/** The comparison section: A is this report's model, B the compared one. */
export function modelComparisonSection(
  nameA: string,
  a: Readonly<Record<string, ResultFile>>,
  compared: ComparedResults,
  palette: ReportPalette,
  id = 'model-comparison',
): ReportSection | undefined {
  const rows = compareModels(a, compared.results, compared.significance);
  const mismatches = comparisonMismatches(a, compared.results, { a: nameA, b: compared.name });
  if (rows.length === 0 && mismatches.length === 0) return undefined;
  const columns = [
    'analysis',
    'metric',
    'queries',
    `A: ${nameA}`,
    `B: ${compared.name}`,
    ...COMPARISON_COLUMNS,
  ];
  const tableRows = rows.map(({ analysis, metric, queries, comparison: c }) => [
    analysis,
    metric,
    queries,
    cell(c.baseline.mean),
    cell(c.treatment.mean),
    ...comparisonCells(c),
  ]);
  // Drill-down ids are unique across the report: a third model's comparison has ids of its own.
  const drill = drillDown(
    rows.flatMap((r) =>
      r.drill ? [id === 'model-comparison' ? r.drill : { ...r.drill, id: `${id}-${r.drill.id}` }] : [],
    ),
    palette,
  );
  const alpha = (compared.significance ?? DEFAULT_SIGNIFICANCE).alpha;
  return {
    id,
    title: `Two models: ${nameA} (A) and ${compared.name} (B)`,
    description:
      'Every per-query metric both models were measured on, over the queries both ran (same qids), B against A ' +
      'query by query (Δ = B − A; "up": B is better on that query).',
    notes: [
      ...rows.map((r) => `${r.analysis}, ${r.metric}, B vs A: ${comparisonVerdict(r.comparison, alpha)}.`),
      ...mismatches,
      describeSignificance(compared.significance),
    ],
    charts: drill.charts,
    tables: [
      ...(tableRows.length
        ? [{ caption: 'Model B against model A, paired over queries', columns, rows: tableRows }]
        : []),
      ...(drill.table ? [drill.table] : []),
    ],
    csv: csvOf(columns, tableRows),
  };
}

/** One comparison section per other model, each against the first (the report's own model). */
export function modelComparisonSections(
  nameA: string,
  a: Readonly<Record<string, ResultFile>>,
  compared: readonly ComparedResults[],
  palette: ReportPalette,
): ReportSection[] {
  return compared.flatMap((c, i) => {
    const section = modelComparisonSection(
      nameA,
      a,
      c,
      palette,
      i === 0 ? 'model-comparison' : `model-comparison-${i + 1}`,
    );
    return section ? [section] : [];
  });
}

/** The file `--model A --model B` writes beside the models' results: every comparison, each against the first. */
export const MODEL_COMPARISON_FORMAT = 'ranklens-model-comparison/1';

/** One metric of comparison.json: a comparison row without its drill-down, and its verdict in words. */
export type ModelComparisonFileRow = Omit<ModelComparisonRow, 'drill'> & { readonly verdict: string };

export interface ModelComparisonFile {
  readonly format: typeof MODEL_COMPARISON_FORMAT;
  /** The models in the order given; the first is the baseline (A) of every comparison. */
  readonly models: readonly { readonly name: string; readonly numLayers: number; readonly folder?: string }[];
  readonly significance: string;
  readonly comparisons: readonly {
    readonly a: string;
    readonly b: string;
    readonly mismatches: readonly string[];
    readonly metrics: readonly ModelComparisonFileRow[];
  }[];
}

/** The comparison file's content: every other model against the first, every metric they share. */
export function modelComparisonFile(
  first: ComparedResults,
  others: readonly ComparedResults[],
  folders: Readonly<Record<string, string>> = {},
): ModelComparisonFile {
  const options = first.significance ?? DEFAULT_SIGNIFICANCE;
  const layersOf = (c: ComparedResults) => Object.values(c.results)[0]?.model.numLayers ?? 0;
  return {
    format: MODEL_COMPARISON_FORMAT,
    models: [first, ...others].map((c) => ({
      name: c.name,
      numLayers: layersOf(c),
      ...(folders[c.name] ? { folder: folders[c.name] } : {}),
    })),
    significance: describeSignificance(options),
    comparisons: others.map((b) => ({
      a: first.name,
      b: b.name,
      mismatches: comparisonMismatches(first.results, b.results, { a: first.name, b: b.name }),
      metrics: compareModels(first.results, b.results, options).map(
        ({ drill: _drill, perQuery, ...row }): ModelComparisonFileRow => ({
          ...row,
          verdict: comparisonVerdict(row.comparison, options.alpha),
          perQuery,
        }),
      ),
    })),
  };
}

/**
 * A second model's results from their JSON texts (result.json files), by analysis name; a text that is not a
 * RankLens result file is refused with its name. `name` defaults to the model name the files carry.
 */
export function comparedResults(
  files: readonly { readonly file: string; readonly text: string }[],
  name?: string,
): ComparedResults {
  const results: Record<string, ResultFile> = {};
  for (const { file, text } of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${file} is not JSON`);
    }
    const result = parsed as Partial<ResultFile>;
    if (result.format !== RESULT_FORMAT || typeof result.analysis !== 'string' || !result.model)
      throw new Error(`${file} is not a RankLens result file (format ${RESULT_FORMAT})`);
    results[result.analysis] = result as ResultFile;
  }
  const first = Object.values(results)[0];
  if (!first) throw new Error('no result files to compare with');
  return { name: name ?? first.model.name, results };
}
