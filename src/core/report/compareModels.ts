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
  describeSignificance,
  type PairedComparison,
} from '../eval/significance';
import { drillDown, type DrillDownInput } from './drillDown';
import type { ReportPalette, ReportSection } from './sections';
import { COMPARISON_COLUMNS, comparisonCells, csvOf } from './tableCells';

/** A second model's result files, by analysis name, and the name it is shown under. */
export interface ComparedResults {
  readonly name: string;
  readonly results: Readonly<Record<string, ResultFile>>;
}

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
  /** B against A (treatment B, baseline A). */
  readonly comparison: PairedComparison;
  readonly drill?: DrillDownInput;
}

/** Every metric both result sets share, paired over the qids both hold, in A's query order. */
export function compareModels(
  a: Readonly<Record<string, ResultFile>>,
  b: Readonly<Record<string, ResultFile>>,
): ModelComparisonRow[] {
  const rows: ModelComparisonRow[] = [];
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
      if (qids.length === 0) continue;
      rows.push({
        analysis,
        metric: m.metric,
        queries: qids.length,
        comparison: comparePaired(baseline, treatment),
        ...(m.reciprocalRanks
          ? {
              drill: {
                id: `models-${analysis}-${m.metric.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`,
                label: `${analysis}, ${m.metric}: B vs A`,
                qids,
                baseline,
                treatment,
              },
            }
          : {}),
      });
    }
  }
  return rows;
}

const cell = (v: number) => Number(v.toFixed(4));

/** The comparison section: A is this report's model, B the compared one. */
export function modelComparisonSection(
  nameA: string,
  a: Readonly<Record<string, ResultFile>>,
  compared: ComparedResults,
  palette: ReportPalette,
): ReportSection | undefined {
  const rows = compareModels(a, compared.results);
  if (rows.length === 0) return undefined;
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
  const drill = drillDown(
    rows.flatMap((r) => (r.drill ? [r.drill] : [])),
    palette,
  );
  return {
    id: 'model-comparison',
    title: `Two models: ${nameA} (A) and ${compared.name} (B)`,
    description:
      'Every per-query metric both models were measured on, over the queries both ran (same qids), B against A ' +
      'query by query (Δ = B − A; "up": B is better on that query).',
    notes: [
      ...rows.map((r) => `${r.analysis}, ${r.metric}, B vs A: ${comparisonVerdict(r.comparison)}.`),
      describeSignificance(),
    ],
    charts: drill.charts,
    tables: [
      { caption: 'Model B against model A, paired over queries', columns, rows: tableRows },
      ...(drill.table ? [drill.table] : []),
    ],
    csv: csvOf(columns, tableRows),
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
