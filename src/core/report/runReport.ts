import * as path from 'node:path';
import { describeModel, type Json } from '../analysis/analysis';
import type { InProcessAnalysisModel } from '../analysis/inProcessModel';
import { ANALYSIS_SPECS, analysisSpec } from '../analysis/registry';
import { runAnalysisRequestOutcome, type AnalysisRunRequest } from '../analysis/runRequest';
import type { SignificanceOptions } from '../eval/significance';
import type { ResultFile } from '../analysis/runner';
import type { ProgressReport } from '../progress';
import type { ReportInput } from './sections';

/** The files a report reads: held-out queries for every analysis, training queries for the probes. */
export interface ReportDataFiles {
  readonly collection: string;
  readonly queries: string;
  readonly qrels: string;
  readonly run: string;
  readonly trainQueries: string;
  readonly trainQrels: string;
  readonly trainRun: string;
}

/** The bundled sample workspace's dev600 split (held-out for analyses, train for the probes). */
export function sampleWorkspaceFiles(dir: string): ReportDataFiles {
  const f = (name: string) => path.join(dir, name);
  return {
    collection: f('collection.tsv'),
    queries: f('queries.dev600-heldout.tsv'),
    qrels: f('qrels.dev600-heldout.txt'),
    run: f('run.dev600-heldout.bm25.tsv'),
    trainQueries: f('queries.dev600-train.tsv'),
    trainQrels: f('qrels.dev600-train.txt'),
    trainRun: f('run.dev600-train.bm25.tsv'),
  };
}

/** Queries per analysis (drawn with the runner's seeded sample) and candidates per query. */
export interface ReportSizes {
  readonly depth: number;
  readonly queries: Readonly<Record<string, number>>;
  readonly probingTrain: number;
}

/**
 * Small samples (scale up with --scale): each analysis's spec says how many queries it draws (the masking
 * analyses cost (L + 1) x 3 and L x H + 1 forwards per pair, so they get few).
 */
export const DEFAULT_REPORT_SIZES: ReportSizes = {
  depth: 20,
  queries: Object.fromEntries(ANALYSIS_SPECS.map((spec) => [spec.name, spec.reportQueries])),
  probingTrain: 40,
};

/** The paper's order (the registry's). */
export const REPORT_ANALYSES: readonly string[] = ANALYSIS_SPECS.map((spec) => spec.name);

export interface ReportRunOptions {
  readonly files: ReportDataFiles;
  readonly sizes: ReportSizes;
  readonly model: InProcessAnalysisModel;
  readonly modelName: string;
  readonly maxLength: number;
  /** Each analysis writes DIR/<name>/result.json (and its chunk cache: a rerun reuses finished chunks). */
  readonly workDir: string;
  /** Extra settings per analysis (e.g. probing's learning rate). */
  readonly settings?: Readonly<Record<string, Record<string, Json>>>;
  readonly only?: readonly string[];
  readonly seed?: number;
  /** The intervals' and paired tests' options for every analysis (default: significance.ts's). */
  readonly significance?: SignificanceOptions;
  readonly signal?: AbortSignal;
  readonly onAnalysis?: (name: string, index: number, total: number) => void;
  readonly onProgress?: (report: ProgressReport) => void;
}

/** Runs every analysis of the report in this process and collects their result files and wall times. */
export async function runReportAnalyses(options: ReportRunOptions): Promise<ReportInput> {
  const { files, sizes, model } = options;
  const names = REPORT_ANALYSES.filter((n) => !options.only || options.only.includes(n));
  const results: Record<string, ResultFile> = {};
  const timings: { analysis: string; seconds: number; pairs: number }[] = [];
  const seed = options.seed ?? 1;
  for (const [index, name] of names.entries()) {
    options.signal?.throwIfAborted();
    options.onAnalysis?.(name, index, names.length);
    const started = performance.now();
    const heldOut = { queries: files.queries, qrels: files.qrels, run: files.run };
    const spec = analysisSpec(name);
    const request: AnalysisRunRequest = {
      name,
      settings: options.settings?.[name] ?? {},
      data: {
        collection: files.collection,
        ...(spec.data.heldOut
          ? { queries: files.trainQueries, qrels: files.trainQrels, run: files.trainRun }
          : heldOut),
        depth: sizes.depth,
        sample: spec.data.heldOut ? sizes.probingTrain : sizes.queries[name],
        seed,
      },
      ...(spec.data.heldOut ? { heldOut: { ...heldOut, sample: sizes.queries[name] } } : {}),
      dir: path.join(options.workDir, name),
      maxLength: options.maxLength,
      ...(options.significance ? { significance: options.significance } : {}),
    };
    const outcome = await runAnalysisRequestOutcome(request, model, {
      modelName: options.modelName,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    results[name] = outcome.result!;
    timings.push({
      analysis: name,
      seconds: (performance.now() - started) / 1000,
      pairs: outcome.pairs,
    });
  }
  return {
    title: `RankLens report — ${options.modelName}`,
    model: describeModel(model.info, options.modelName),
    results,
    timings,
    settings: [
      `Data: ${path.basename(files.queries)} (${path.basename(files.run)}, top ${sizes.depth}) for every analysis; ` +
        `probes trained on ${path.basename(files.trainQueries)}. Query samples (seed ${seed}): ` +
        names
          .map(
            (n) =>
              `${n} ${n === 'probing' ? `${sizes.probingTrain} train + ` : ''}${sizes.queries[n] ?? 'all'}`,
          )
          .join(', ') +
        '.',
      `Max length ${options.maxLength} WordPieces. The paper: 6,980 dev.small queries x BM25 top-100 (top-1000 for probing), BERT-base.`,
    ],
  };
}
