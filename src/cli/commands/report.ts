import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Json } from '../../core/analysis/analysis';
import { InProcessAnalysisModel } from '../../core/analysis/inProcessModel';
import { comparedResults, type ComparedResults } from '../../core/report/compareModels';
import { reportHtml } from '../../core/report/html';
import type { PaperLayerAlignment } from '../../core/report/sections';
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
import { SIGNIFICANCE_USAGE, SIGNIFICANCE_VALUES, significanceFlags } from '../significanceFlags';

export const usage = `ranklens report [--out report.html] [--work-dir DIR] [--model DIR] [--workspace DIR]
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
  --compare DIR: another model's results (a report's work dir with <analysis>/result.json, or one analysis's
  --out DIR): every per-query metric both share is compared query by query (paired tests, queries that moved).`;

function paperLayerAlignment(value: string): PaperLayerAlignment {
  if (value === 'relative-depth' || value === 'published') return value;
  throw new UsageError(`--paper-layers: expected relative-depth or published, got "${value}"`);
}

/** The report bundle built next to the CLI bundle (out/webview/report-standalone.js). */
function reportBundle(): string {
  for (const up of ['.', '..', path.join('..', '..', '..', 'out')]) {
    const file = path.resolve(__dirname, up, 'webview', 'report-standalone.js');
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  throw new UsageError('out/webview/report-standalone.js was not found: run `npm run build` first');
}

/** DIR/result.json, else DIR/<analysis>/result.json for every analysis of a report. */
function readComparedResults(dir: string): ComparedResults {
  const candidates = [
    path.join(dir, 'result.json'),
    ...REPORT_ANALYSES.map((n) => path.join(dir, n, 'result.json')),
  ];
  const files = candidates
    .filter((f) => existsSync(f))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  if (files.length === 0)
    throw new UsageError(
      `--compare ${dir}: no result.json there nor in its analysis folders (${REPORT_ANALYSES.join(', ')})`,
    );
  try {
    return comparedResults(files);
  } catch (e) {
    throw new UsageError(`--compare: ${(e as Error).message}`);
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
  const args = parseArgs(argv, {
    values: [
      'out',
      'work-dir',
      'model',
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
  // Checked before anything is read or loaded; every analysis of the report uses them.
  const significance = significanceFlags(args);
  const out = optionalText(args, 'out') ?? 'ranklens-report.html';
  const files: ReportDataFiles = sampleWorkspaceFiles(optionalText(args, 'workspace') ?? bundledWorkspace());
  const inputs = Object.values(files);
  await checkOutputFile(out, inputs);
  const bundle = reportBundle();
  const workDir = optionalText(args, 'work-dir') ?? `${out}.d`;
  const modelDir = optionalText(args, 'model') ?? bundledModelDir();
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
  const compareWith = compareDir ? readComparedResults(compareDir) : undefined;
  const paperLayers = paperLayerAlignment(optionalText(args, 'paper-layers') ?? 'relative-depth');
  // The authors' 1e-4 was for ~10^5-10^6 training pairs; the report's few hundred need larger steps.
  const probeLearningRate = optionalNumber(args, 'probe-learning-rate') ?? 1e-3;
  const maxLength = maxLengthOption(args) ?? DEFAULT_MAX_LENGTH;
  const started = performance.now();
  const model = await InProcessAnalysisModel.load(modelDir, {
    threads: threadsOption(args),
    maxLength,
    cacheDir: cacheDirOf(args),
  });
  try {
    const length = Math.min(maxLength, model.info.maxLength);
    const settings: Record<string, Record<string, Json>> = { probing: { learningRate: probeLearningRate } };
    const tty = process.stderr.isTTY;
    const input = await runReportAnalyses({
      files,
      sizes: scaled(DEFAULT_REPORT_SIZES, scale),
      model,
      modelName: path.basename(path.resolve(modelDir)),
      maxLength: length,
      workDir,
      settings,
      only,
      seed: seedOption(args, 'seed'),
      significance,
      onAnalysis: (name, i, n) => process.stderr.write(`${tty ? '\n' : ''}[${i + 1}/${n}] ${name}\n`),
      onProgress: tty ? (r) => process.stderr.write(`\r  ${r.done}/${r.total ?? '?'} ${r.unit}`) : undefined,
    });
    const seconds = (performance.now() - started) / 1000;
    const full = {
      ...input,
      paperLayers,
      ...(compareWith ? { compareWith } : {}),
      settings: [
        ...input.settings,
        `Probe learning rate ${probeLearningRate} (the authors' 1e-4 on far more training pairs). Total wall time ${seconds.toFixed(0)} s including the model load.`,
      ],
    };
    await writeOutputFile(out, reportHtml(full, bundle), inputs);
    if (tty) process.stderr.write('\n');
    process.stdout.write(
      `wrote ${out} (${Object.keys(input.results).length} analyses, ${seconds.toFixed(0)} s; results in ${workDir})\n`,
    );
    return 0;
  } finally {
    await model.dispose();
  }
}
