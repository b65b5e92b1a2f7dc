// `ranklens analyze NAME --model A --model B ...`: the analysis run with each model into DIR/<model>/ (each with
// its own chunk cache, so a rerun resumes), then every other model compared with the first query by query:
// DIR/comparison.json, the table on the terminal, and DIR/report.html with the models' curves overlaid.
import * as path from 'node:path';
import type { ResultFile, RunOutcome } from '../core/analysis/runner';
import type { SignificanceOptions } from '../core/eval/significance';
import type { ComparedResults } from '../core/report/compareModels';
import { reportHtml } from '../core/report/html';
import { UsageError } from './args';
import { checkComparedModels, modelNames } from './modelList';
import {
  checkComparisonOutputs,
  comparisonTable,
  writeModelComparison,
  writeReportFile,
} from './modelComparisonOutput';
import { findReportBundle } from './reportBundle';

export interface AnalyzeModelsOptions {
  readonly analysis: string;
  /** Model folders as given; the first is the baseline (A) of every comparison. */
  readonly models: readonly string[];
  readonly out: string;
  readonly json: boolean;
  readonly significance?: SignificanceOptions;
  /** The data files (never written over). */
  readonly inputs: readonly string[];
  /** Runs the analysis with one model into `dir`, its result file naming the model `modelName`. */
  run(modelDir: string, dir: string, modelName: string): Promise<RunOutcome>;
  summary(result: ResultFile): string;
}

export async function analyzeModels(options: AnalyzeModelsOptions): Promise<number> {
  checkComparedModels(options.models);
  await checkComparisonOutputs(options.out, options.inputs);
  const names = modelNames(options.models);
  const compared: ComparedResults[] = [];
  const folders: Record<string, string> = {};
  const timings: { analysis: string; seconds: number; pairs: number }[] = [];
  const log = (text: string) => (options.json ? process.stderr : process.stdout).write(text);
  for (const [i, modelDir] of options.models.entries()) {
    const name = names[i];
    const dir = path.join(options.out, name);
    log(`== ${name} (${modelDir}) -> ${dir}\n`);
    const started = performance.now();
    const outcome = await options.run(modelDir, dir, name);
    const result = outcome.result;
    if (!result) throw new UsageError(`${name}: the analysis wrote no result file`);
    timings.push({
      analysis: `${options.analysis} (${name})`,
      seconds: (performance.now() - started) / 1000,
      pairs: outcome.pairs,
    });
    if (!options.json)
      log(
        options.summary(result) +
          `wrote ${outcome.file} (${outcome.chunksComputed} chunks computed, ${outcome.chunksReused} reused)\n`,
      );
    compared.push({
      name,
      results: { [options.analysis]: result },
      ...(options.significance ? { significance: options.significance } : {}),
    });
    folders[name] = dir;
  }
  const [first, ...others] = compared;
  const { file, comparison } = await writeModelComparison(
    options.out,
    first,
    others,
    folders,
    options.inputs,
  );
  const bundle = findReportBundle();
  const html = path.join(options.out, 'report.html');
  if (bundle !== undefined) {
    const model = first.results[options.analysis].model;
    await writeReportFile(
      html,
      reportHtml(
        {
          title: `RankLens: ${options.analysis} — ${names.join(' vs ')}`,
          model,
          results: first.results,
          timings,
          settings: [
            `Models: ${options.models.map((m, i) => `${names[i]} (${m})`).join(', ')}; each against ${names[0]}.`,
          ],
          compareWith: others,
        },
        bundle,
      ),
      options.inputs,
    );
  }
  if (options.json) process.stdout.write(JSON.stringify(comparison) + '\n');
  else
    process.stdout.write(
      `\n${comparisonTable(comparison)}wrote ${file}` +
        (bundle !== undefined
          ? ` and ${html}\n`
          : ` (no report.html: out/webview/report-standalone.js is not built; npm run build)\n`),
    );
  return 0;
}
