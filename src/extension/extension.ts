import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Dataset } from '../core/data';
import {
  attributePairCommand,
  type AttributePairArgs,
  type AttributePairOutcome,
} from './commands/attributePair';
import { evaluateRunCommand, type EvaluateRunArgs, type EvaluateRunOutcome } from './commands/evaluateRun';
import {
  selectModelCommand,
  scorePairCommand,
  type ScorePairArgs,
  type ScorePairOutcome,
} from './commands/modelCommands';
import { registerNotYetAvailable } from './commands/notYetAvailable';
import { ModelController, type LoadedModel } from './modelController';
import { openDatasetCommand, type OpenDatasetArgs } from './commands/openDataset';
import { DatasetController } from './datasetController';
import { DatasetTreeProvider } from './datasetTree';
import { reportError, revealLine } from './errors';
import { PASSAGE_SCHEME, PassageDocuments } from './passageDocuments';
import { SlurmRuns } from './slurm/slurmRuns';
import { logRestrictedMode } from './workspaceTrust';

/** What activate() returns: the integration tests drive the extension through it as well as through commands. */
export interface RankLensApi {
  readonly dataset: () => Dataset | undefined;
  /** The Dataset view's provider: the tests read the items the user sees. */
  readonly datasetTree: DatasetTreeProvider;
  readonly openDataset: (args?: OpenDatasetArgs) => Promise<Dataset | undefined>;
  readonly evaluateRun: (args?: EvaluateRunArgs) => Promise<EvaluateRunOutcome | undefined>;
  readonly sampleFolder: string;
  readonly model: () => Promise<LoadedModel>;
  readonly selectModel: (dir?: string) => Promise<LoadedModel | undefined>;
  readonly scorePair: (args?: ScorePairArgs) => Promise<ScorePairOutcome | undefined>;
  readonly attributePair: (args?: AttributePairArgs) => Promise<AttributePairOutcome | undefined>;
  /** "Run on Slurm…" for analyses: submit, follow, cancel. */
  readonly slurm: SlurmRuns;
}

export function activate(context: vscode.ExtensionContext): RankLensApi {
  const log = vscode.window.createOutputChannel('RankLens');
  const controller = new DatasetController(path.join(context.globalStorageUri.fsPath, 'indexes'), log);
  const tree = new DatasetTreeProvider(controller);
  const sampleFolder = path.join(context.extensionPath, 'sample-workspace');
  context.subscriptions.push(
    log,
    controller,
    tree,
    vscode.window.registerTreeDataProvider('ranklens.dataset', tree),
  );
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(PASSAGE_SCHEME, new PassageDocuments(controller)),
  );
  const models = new ModelController(
    path.join(context.extensionPath, 'models', 'ranklens-mini'),
    path.join(context.extensionPath, 'out', 'ranker-worker.js'),
    path.join(context.globalStorageUri.fsPath, 'graphs'),
    log,
  );
  context.subscriptions.push(models);
  logRestrictedMode(log);
  context.subscriptions.push(
    // Granting trust makes the workspace's restricted settings visible: VS Code reports them as changed here.
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('ranklens.model'))
        void guarded(() => models.select(models.configuredDir()))();
    }),
  );

  /** Every command reports its errors to the user and the log instead of failing silently. */
  const guarded =
    <A extends unknown[], R>(work: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R | undefined> => {
      try {
        return await work(...args);
      } catch (error) {
        await reportError(error, log);
        return undefined;
      }
    };

  const openDataset = guarded((args?: OpenDatasetArgs) => openDatasetCommand(controller, args));
  const resultsDir = (kind: 'evaluations' | 'attributions') => {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return folder ? path.join(folder, '.ranklens', kind) : path.join(context.globalStorageUri.fsPath, kind);
  };
  const evaluateRun = guarded((args?: EvaluateRunArgs) =>
    evaluateRunCommand(controller, context.extensionUri, resultsDir('evaluations'), args),
  );

  const register = (id: string, handler: (...args: never[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  register('ranklens.openDataset', openDataset);
  register('ranklens.openSampleDataset', () => openDataset({ folder: sampleFolder }));
  register(
    'ranklens.refreshDataset',
    guarded(() => controller.reload()),
  );
  register('ranklens.evaluateRun', evaluateRun);
  register(
    'ranklens.showPassage',
    guarded(async (pid: string) =>
      vscode.window.showTextDocument(PassageDocuments.uriFor(pid), { preview: true }),
    ),
  );
  register(
    'ranklens.revealLine',
    guarded((file: string, line?: number) => revealLine(file, line)),
  );
  const selectModel = guarded((dir?: string) => selectModelCommand(models, dir));
  const scorePair = guarded((args?: ScorePairArgs) => scorePairCommand(models, controller, log, args));
  register('ranklens.selectModel', selectModel);
  const attributePair = guarded((args?: AttributePairArgs) =>
    attributePairCommand(models, controller, context.extensionUri, resultsDir('attributions'), log, args),
  );
  register('ranklens.scorePair', scorePair);
  const slurm = new SlurmRuns(context.extensionPath, context.workspaceState, log);
  context.subscriptions.push(slurm);
  const pickRunFolder = async (title: string) =>
    (
      await vscode.window.showOpenDialog({
        title,
        canSelectFolders: true,
        canSelectFiles: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        openLabel: 'Select result folder',
      })
    )?.[0]?.fsPath;
  register(
    'ranklens.followSlurmRun',
    guarded(async (dir?: string) => {
      const folder = dir ?? (await pickRunFolder('Follow the Slurm run in a result folder'));
      if (folder) slurm.follow(folder, (result) => vscode.window.showTextDocument(vscode.Uri.file(result)));
    }),
  );
  register(
    'ranklens.showSlurmRun',
    guarded(async (dir?: string) => {
      const folder = dir ?? (await pickRunFolder('Show the Slurm run in a result folder'));
      if (folder) await slurm.show(folder);
    }),
  );
  register(
    'ranklens.cancelSlurmRun',
    guarded(async (dir?: string) => {
      const folder = dir ?? (await pickRunFolder('Cancel the Slurm run in a result folder'));
      if (folder) await slurm.cancel(folder);
    }),
  );
  register('ranklens.attributePair', attributePair);
  registerNotYetAvailable(
    context,
    new Set(['ranklens.selectModel', 'ranklens.scorePair', 'ranklens.attributePair']),
  );

  return {
    dataset: () => controller.dataset,
    datasetTree: tree,
    openDataset,
    evaluateRun,
    sampleFolder,
    model: () => models.model(),
    selectModel,
    scorePair,
    attributePair,
    slurm,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
