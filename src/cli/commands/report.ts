import * as path from 'node:path';
import { InProcessAnalysisModel } from '../../core/analysis/inProcessModel';
import type { ComparedResults } from '../../core/report/compareModels';
import { readComparedFolder } from '../../core/report/readComparedFolder';
import { checkComparedModels, modelNames, takeModels } from '../modelList';
import { checkComparisonOutputs, comparisonTable, writeModelComparison } from '../modelComparisonOutput';
import { reportHtml } from '../../core/report/html';
import type { PaperLayerAlignment, ReportInput } from '../../core/report/sections';
import {
  DEFAULT_REPORT_SIZES,
  REPORT_ANALYSES,
  runReportAnalyses,
  sampleWorkspaceFiles,
  type ReportDataFiles,
  type ReportSizes,
} from '../../core/report/runReport';
import { DEFAULT_MAX_LENGTH } from '../../core/text/pair';
import {
  UsageError,
  cacheDirOf,
  maxLengthOption,
  optionalNumber,
  optionalText,
  parseArgs,
  seedOption,
  threadsOption,
} from '../args';
import { checkOutputFile, writeOutputFile } from '../io';
import { bundledModelDir, bundledWorkspace } from '../shippedFolders';
import { findReportBundle } from '../reportBundle';
import { SIGNIFICANCE_USAGE, SIGNIFICANCE_VALUES, significanceFlags } from '../significanceFlags';

export const usage = `ranklens report [--out report.html] [--work-dir DIR] [--model DIR [--model DIR ...]] [--workspace DIR]
        [--scale X] [--only a,b] [--paper-layers relative-depth|published] [--probe-learning-rate LR]
        [--max-length N] [--threads N] [--seed S] [--compare DIR]
${SIGNIFICANCE_USAGE}
  Runs every dataset analysis (attention, attribution, probing, period masking, interaction masking, head
  importance, re-ranking) on the sample workspace's dev600 split (held-out queries; the probes train on the
  training queries) and writes ONE self-contained HTML file with the charts in the paper's form and Zhan et
  al.'s values beside this model's; it opens offline. Query samples are small by default (a few minutes on
  two cores with the bundled model); --scale 4 runs four times as many queries per analysis. Results and
  chunk caches go to --work-dir (default: <out>.d): a rerun or an interrupted run reuses finished chunks.
  --workspace DIR: a folder with the sample's file names (queries.dev600-heldout.tsv, ...).
  --paper-layers: the paper's 12-layer curves are drawn by relative depth (its layer l at l * L / 12) beside a
  model of L != 12 layers; 'published' draws them at the paper's own layer numbers.
  --model A --model B ...: runs the report with each model (DIR/<model>/<analysis>) and draws them in one
  report: each model's curves overlaid in the same charts (a model of another depth by relative depth, l/L),
  and every other model compared with the first query by query on every metric both have (paired tests,
  queries that moved); the comparison is also written to <work-dir>/comparison.json and printed.
  --compare DIR: another model's results (a report's work dir with <analysis>/result.json, or one analysis's
  --out DIR): every per-query metric both share is compared query by query (paired tests, queries that moved).`;

function paperLayerAlignment(value: string): PaperLayerAlignment {
  if (value === 'relative-depth' || value === 'published') return value;
  throw new UsageError(`--paper-layers: expected relative-depth or published, got "${value}"`);
}

/** The report bundle built next to the CLI bundle (out/webview/report-standalone.js). */
function reportBundle(): string {
  const bundle = findReportBundle();
  if (bundle === undefined)
    throw new UsageError('out/webview/report-standalone.js was not found: run `npm run build` first');
  return bundle;
}

/** DIR/result.json, else DIR/<analysis>/result.json for every analysis of a report. */
function readComparedResults(dir: string): ComparedResults {
  try {
    return readComparedFolder(dir);
  } catch (e) {
    throw new UsageError(`--compare ${(e as Error).message}`);
  }
}

function scaled(sizes: ReportSizes, scale: number): ReportSizes {
  const times = (n: number) => Math.max(1, Math.round(n * scale));
  return {
    depth: sizes.depth,
    queries: Object.fromEntries(Object.entries(sizes.queries).map(([k, n]) => [k, times(n)])),
    probingTrain: times(sizes.probingTrain),
  };
}

export async function run(argv: string[]): Promise<number> {
  const { models, rest } = takeModels(argv);
  const args = parseArgs(rest, {
    values: [
      'out',
      'work-dir',
      'workspace',
      'scale',
      'only',
      'paper-layers',
      'probe-learning-rate',
      'max-length',
      'threads',
      'seed',
      'cache-dir',
      'compare',
      ...SIGNIFICANCE_VALUES,
    ],
    flags: [],
  });
  if (models.length > 1) checkComparedModels(models);
  // Checked before anything is read or loaded; every analysis of the report uses them.
  const significance = significanceFlags(args);
  const out = optionalText(args, 'out') ?? 'ranklens-report.html';
  const files: ReportDataFiles = sampleWorkspaceFiles(optionalText(args, 'workspace') ?? bundledWorkspace());
  const inputs = Object.values(files);
  await checkOutputFile(out, inputs);
  const workDir = optionalText(args, 'work-dir') ?? `${out}.d`;
  const modelDirs = models.length ? models : [bundledModelDir()];
  // One model: its analyses in DIR/<analysis>; several: each model's in DIR/<model>/<analysis>.
  const names = models.length > 1 ? modelNames(models) : [path.basename(path.resolve(modelDirs[0]))];
  const scale = optionalNumber(args, 'scale') ?? 1;
  if (!(scale > 0)) throw new UsageError('--scale must be positive');
  const only = optionalText(args, 'only')
    ?.split(',')
    .map((s) => s.trim());
  for (const name of only ?? []) {
    if (!(REPORT_ANALYSES as readonly string[]).includes(name))
      throw new UsageError(`--only: unknown analysis "${name}" (known: ${REPORT_ANALYSES.join(', ')})`);
  }
  const compareDir = optionalText(args, 'compare');
  // A report compared with its own results is the same numbers twice (and a rerun would rewrite them).
  if (compareDir && path.resolve(compareDir) === path.resolve(workDir))
    throw new UsageError(
      `--compare ${compareDir} is this report's own --work-dir: give another model's results`,
    );
  const compareWith = compareDir ? readComparedResults(compareDir) : undefined;
  const bundle = reportBundle();
  const paperLayers = paperLayerAlignment(optionalText(args, 'paper-layers') ?? 'relative-depth');
  // The authors' 1e-4 was for ~10^5-10^6 training pairs; the report's few hundred need larger steps.
  const probeLearningRate = optionalNumber(args, 'probe-learning-rate') ?? 1e-3;
  const maxLength = maxLengthOption(args) ?? DEFAULT_MAX_LENGTH;
  if (models.length > 1 || compareWith) await checkComparisonOutputs(workDir, inputs, false);
  const started = performance.now();
  const tty = process.stderr.isTTY;
  const runs: ReportInput[] = [];
  for (const [i, modelDir] of modelDirs.entries()) {
    if (modelDirs.length > 1) process.stderr.write(`${tty ? '\n' : ''}== ${names[i]} (${modelDir})\n`);
    const model = await InProcessAnalysisModel.load(modelDir, {
      threads: threadsOption(args),
      maxLength,
      cacheDir: cacheDirOf(args),
    });
    try {
      runs.push(
        await runReportAnalyses({
          files,
          sizes: scaled(DEFAULT_REPORT_SIZES, scale),
          model,
          modelName: names[i],
          maxLength: Math.min(maxLength, model.info.maxLength),
          workDir: modelDirs.length > 1 ? path.join(workDir, names[i]) : workDir,
          settings: { probing: { learningRate: probeLearningRate } },
          only,
          seed: seedOption(args, 'seed'),
          significance,
          onAnalysis: (name, k, n) => process.stderr.write(`${tty ? '\n' : ''}[${k + 1}/${n}] ${name}\n`),
          onProgress: tty
            ? (r) => process.stderr.write(`\r  ${r.done}/${r.total ?? '?'} ${r.unit}`)
            : undefined,
        }),
      );
    } finally {
      await model.dispose();
    }
  }
  const [input, ...others] = runs;
  const compared = [
    ...others.map((o): ComparedResults => ({ name: o.model.name, results: o.results })),
    ...(compareWith ? [compareWith] : []),
  ].map((c) => (significance ? { ...c, significance } : c));
  const seconds = (performance.now() - started) / 1000;
  const full: ReportInput = {
    ...input,
    ...(runs.length > 1 ? { title: `RankLens report — ${names.join(' vs ')}` } : {}),
    timings: runs.flatMap((r) =>
      r.timings.map((t) => (runs.length > 1 ? { ...t, analysis: `${t.analysis} (${r.model.name})` } : t)),
    ),
    paperLayers,
    ...(compared.length ? { compareWith: compared } : {}),
    settings: [
      ...input.settings,
      ...(runs.length > 1
        ? [
            `Models: ${modelDirs.map((m, i) => `${names[i]} (${m})`).join(', ')}; each compared with ${names[0]}.`,
          ]
        : []),
      `Probe learning rate ${probeLearningRate} (the authors' 1e-4 on far more training pairs). Total wall time ${seconds.toFixed(0)} s including the model load${runs.length > 1 ? 's' : ''}.`,
    ],
  };
  await writeOutputFile(out, reportHtml(full, bundle), inputs);
  if (tty) process.stderr.write('\n');
  if (compared.length) {
    const { file, comparison } = await writeModelComparison(
      workDir,
      { name: input.model.name, results: input.results, ...(significance ? { significance } : {}) },
      compared,
      Object.fromEntries(
        runs.map((r, i) => [r.model.name, modelDirs.length > 1 ? path.join(workDir, names[i]) : workDir]),
      ),
      inputs,
    );
    process.stdout.write(`${comparisonTable(comparison)}wrote ${file}\n`);
  }
  process.stdout.write(
    `wrote ${out} (${Object.keys(input.results).length} analyses${runs.length > 1 ? ` x ${runs.length} models` : ''}, ${seconds.toFixed(0)} s; results in ${workDir})\n`,
  );
  return 0;
}
