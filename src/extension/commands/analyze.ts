import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Json } from '../../core/analysis/analysis';
import { ANALYSIS_SPECS, analysisSpec } from '../../core/analysis/registry';
import type { AnalysisRunRequest } from '../../core/analysis/runRequest';
import type { ResultFile } from '../../core/analysis/runner';
import { settingsProblems, type AnalysisSpec } from '../../core/analysis/spec';
import { splitNameOf } from '../../core/data/splits';
import { CancelledError } from '../../core/progress';
import { settingsLine, type PaperLayerAlignment, type ReportInput } from '../../core/report/sections';
import { DEFAULT_MAX_LENGTH } from '../../core/text/pair';
import type { DatasetController } from '../datasetController';
import type { ModelController } from '../modelController';
import type { SlurmRuns } from '../slurm/slurmRuns';
import { reportDrillHost } from '../drillDown/reportDrillHost';
import { ReportPanel } from '../webviews/reportPanel';
import { significanceOfSettings } from './significanceSettings';

/** The palette's commands of the analyses that have one: command id -> analysis name and title. */
export const ANALYSIS_COMMANDS: Readonly<Record<string, { readonly name: string; readonly title: string }>> =
  Object.fromEntries(
    ANALYSIS_SPECS.flatMap((spec) =>
      spec.command ? [[spec.command, { name: spec.name, title: spec.title }]] : [],
    ),
  );

/** The command that offers every analysis of the registry in a quick pick (those without a command of their own too). */
export const ANALYZE_ANY_COMMAND = 'ranklens.analyzeDataset';

/** One queries file with the qrels and run of the same split (matched by file name). */
export interface DatasetSplit {
  readonly name: string;
  readonly queries: string;
  readonly qrels: string;
  readonly run: string;
}

/** Everything a palette analysis can be given instead of asked (tests, other commands). */
export interface AnalyzeArgs {
  readonly split?: DatasetSplit;
  /** Probing: the training split (its queries must differ from `split`'s). */
  readonly trainSplit?: DatasetSplit;
  /** Queries drawn from the split (seeded); undefined = all. */
  readonly sample?: number;
  readonly trainSample?: number;
  /** Candidates per query from the run (default 20). */
  readonly depth?: number;
  readonly settings?: Record<string, Json>;
  /** Here (the worker) or as a Slurm array job; asked only where sbatch is on PATH and nothing was given. */
  readonly where?: 'here' | 'slurm';
}

export interface AnalyzeOutcome {
  readonly result: ResultFile;
  /** The folder holding result.json (and the chunk cache). */
  readonly savedTo: string;
  readonly panel: ReportPanel;
}

/** The open dataset's splits: each queries file with the qrels and run whose names start with its split. */
export function datasetSplits(datasets: Pick<DatasetController, 'dataset'>): DatasetSplit[] {
  const files = datasets.dataset?.files;
  if (!files) return [];
  return files.queries.flatMap((queries) => {
    const name = splitNameOf(queries);
    const qrels = files.qrels.find((f) => splitNameOf(f) === name);
    const run = files.runs.find((f) => splitNameOf(f).startsWith(name) && f.endsWith('.tsv'));
    const anyRun = run ?? files.runs.find((f) => splitNameOf(f).startsWith(name));
    return qrels && anyRun ? [{ name, queries, qrels, run: anyRun }] : [];
  });
}

async function pickSplit(splits: readonly DatasetSplit[], placeHolder: string, exclude?: DatasetSplit) {
  const items = splits
    .filter((s) => s !== exclude)
    .map((s) => ({ label: s.name, description: path.basename(s.run), split: s }));
  if (items.length === 0)
    throw new Error(
      'no dataset with queries, qrels and a run is open: run "RankLens: Open Sample Dataset" first',
    );
  // Held-out splits first: analyses report on queries nobody trained on.
  items.sort((a, b) => Number(b.label.includes('heldout')) - Number(a.label.includes('heldout')));
  return (await vscode.window.showQuickPick(items, { placeHolder }))?.split;
}

async function pickSample(placeHolder: string): Promise<number | undefined | 'cancel'> {
  const choice = await vscode.window.showQuickPick(
    [
      { label: '10 queries', description: 'quick look', n: 10 },
      { label: '50 queries', n: 50 },
      { label: '200 queries', n: 200 },
      { label: 'All queries', description: 'may take long', n: 0 },
    ],
    { placeHolder },
  );
  if (!choice) return 'cancel';
  return choice.n === 0 ? undefined : choice.n;
}

/** Which analysis, for the command that offers them all. */
export async function pickAnalysis(): Promise<string | undefined> {
  const choice = await vscode.window.showQuickPick(
    ANALYSIS_SPECS.map((spec) => ({ label: spec.title, description: spec.name, name: spec.name })),
    { placeHolder: 'Which dataset analysis?' },
  );
  return choice?.name;
}

/** The analysis's options asked in the palette, as its spec's quick picks say (none: its defaults). */
async function pickSettings(spec: AnalysisSpec): Promise<Record<string, Json> | undefined> {
  if (!spec.palette) return {};
  const choice = await vscode.window.showQuickPick(
    spec.palette.picks.map((pick) => ({ label: pick.label, description: pick.description, pick })),
    { placeHolder: spec.palette.placeHolder },
  );
  return choice ? { ...choice.pick.settings } : undefined;
}

/** Settings given or picked, checked against the analysis's schema before anything runs. */
function checkedSettings(spec: AnalysisSpec, settings: Record<string, Json>): Record<string, Json> {
  const problems = settingsProblems(spec, settings);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return settings;
}

/**
 * A palette dataset analysis: quick picks for the split, the number of queries and options; the whole
 * analysis runs in the ranker's worker thread with a cancellable progress notification; result.json (and
 * the chunk cache, so a cancelled run resumes) under <workspace>/.ranklens/analyses/; shown in the report
 * panel with the same charts as `ranklens report`.
 */
export async function analyzeCommand(
  name: string,
  models: ModelController,
  datasets: DatasetController,
  extensionUri: vscode.Uri,
  resultsRoot: string,
  log: vscode.OutputChannel,
  args: AnalyzeArgs = {},
  slurm?: SlurmRuns,
): Promise<AnalyzeOutcome | undefined> {
  const spec = analysisSpec(name);
  const { title } = spec;
  const splits = datasetSplits(datasets);
  const split = args.split ?? (await pickSplit(splits, `${title}: which queries?`));
  if (!split) return undefined;
  let trainSplit: DatasetSplit | undefined;
  let trainSample: number | undefined;
  if (spec.data.heldOut) {
    trainSplit = args.trainSplit ?? (await pickSplit(splits, 'Train the probes on which queries?', split));
    if (!trainSplit) return undefined;
  }
  let sample = args.sample;
  if (!args.split) {
    const picked = await pickSample(`${title}: how many queries of ${split.name}?`);
    if (picked === 'cancel') return undefined;
    sample = picked;
    if (trainSplit) {
      const train = await pickSample(`Train the probes on how many queries of ${trainSplit.name}?`);
      if (train === 'cancel') return undefined;
      trainSample = train;
    }
  } else {
    trainSample = args.trainSample;
  }
  const picked = args.settings ?? (await pickSettings(spec));
  if (!picked) return undefined;
  const settings = checkedSettings(spec, picked);
  // The intervals and tests as Settings: RankLens › Significance says (the CLI's --alpha ...).
  const config = vscode.workspace.getConfiguration('ranklens.significance');
  const significance = significanceOfSettings((key) => config.get(key));
  const collection = datasets.dataset?.files.collection;
  if (!collection) throw new Error('the open dataset has no collection (passage texts)');

  const model = await models.model();
  const depth = args.depth ?? 20;
  const data = trainSplit ?? split;
  const folder = `${split.name}-${sample ?? 'all'}${trainSplit ? `-train-${trainSplit.name}-${trainSample ?? 'all'}` : ''}`;
  const dir = path.join(resultsRoot, name, folder.replace(/[^A-Za-z0-9_.-]/g, '_'));
  const request: AnalysisRunRequest = {
    name,
    settings,
    data: {
      collection,
      queries: data.queries,
      qrels: data.qrels,
      run: data.run,
      depth,
      sample: trainSplit ? trainSample : sample,
    },
    ...(trainSplit
      ? { heldOut: { queries: split.queries, qrels: split.qrels, run: split.run, sample } }
      : {}),
    dir,
    maxLength: DEFAULT_MAX_LENGTH,
    ...(significance ? { significance } : {}),
  };
  const reportInput = (result: ResultFile, seconds: number): ReportInput => ({
    title: `RankLens: ${title}`,
    paperLayers: paperLayersSetting(),
    model: result.model,
    results: { [name]: result },
    timings: [{ analysis: name, seconds, pairs: result.data.pairs }],
    settings: [
      `Data: ${split.name}${sample ? ` (${sample} queries, seed 1)` : ''}, top ${depth} of ${path.basename(split.run)}` +
        (trainSplit
          ? `; probes trained on ${trainSplit.name}${trainSample ? ` (${trainSample} queries)` : ''}`
          : '') +
        '.',
      // The held-out qids are listed in the result file; the line says how many.
      settingsLine({ ...(result.settings as Record<string, Json>), heldOut: undefined }),
      `Saved: ${path.join(dir, 'result.json')}`,
    ],
  });
  const where = args.where ?? (args.split || !slurm ? 'here' : await slurm.pickWhereToRun(title));
  if (!where) return undefined;
  if (where === 'slurm') {
    if (!slurm?.available()) throw new Error('Run on Slurm needs sbatch on the PATH of this machine');
    // Its own folder: a cluster run never overwrites (or is refused by) an earlier result in `dir`.
    const clusterDir = `${dir}-slurm-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.mkdirSync(clusterDir, { recursive: true });
    const requestFile = path.join(clusterDir, 'request.json');
    fs.writeFileSync(requestFile, JSON.stringify({ ...request, dir: clusterDir }, null, 1));
    const submittedAt = Date.now();
    await slurm.submit(
      {
        analysis: name,
        analyzeArgs: ['--request', requestFile, '--model', model.dir],
        resultDir: clusterDir,
      },
      (resultFile) => {
        const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as ResultFile;
        ReportPanel.show(
          extensionUri,
          reportInput(result, (Date.now() - submittedAt) / 1000),
          clusterDir,
          log,
          reportDrillHost(models, datasets, {
            depth,
            minRelevance: result.data.minRelevance,
            files: result.data.files,
          }),
        );
      },
    );
    return undefined;
  }
  const started = Date.now();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `RankLens: ${title}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort(new CancelledError(title)));
      let reported = 0;
      return model.ranker.runAnalysis(request, {
        signal: abort.signal,
        onProgress: (done, total) => {
          const percent = total > 0 ? (100 * done) / total : 0;
          progress.report({ increment: percent - reported, message: `${done}/${total} pairs` });
          reported = percent;
        },
      });
    },
  );
  const seconds = (Date.now() - started) / 1000;
  log.appendLine(
    `analyze ${name} on ${split.name} (${result.data.queries} queries, ${result.data.pairs} pairs): ${seconds.toFixed(1)} s -> ${dir}`,
  );
  // The report's drill-down re-ranks its queries with this model on this dataset, as the analysis drew them.
  const drill = reportDrillHost(models, datasets, {
    depth,
    minRelevance: result.data.minRelevance,
    files: result.data.files,
  });
  const panel = ReportPanel.show(extensionUri, reportInput(result, seconds), dir, log, drill);
  return { result, savedTo: dir, panel };
}

/** `ranklens.report.paperLayers`: where report panels draw the paper's 12 layers beside another depth. */
function paperLayersSetting(): PaperLayerAlignment {
  const value = vscode.workspace.getConfiguration('ranklens').get<string>('report.paperLayers');
  return value === 'published' ? 'published' : 'relative-depth';
}
