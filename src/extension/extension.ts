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
import {
  ANALYSIS_COMMANDS,
  ANALYZE_ANY_COMMAND,
  analyzeCommand,
  pickAnalysis,
  type AnalyzeArgs,
} from './commands/analyze';
import { inspectPairCommand, type InspectPairArgs, type InspectPairOutcome } from './commands/inspectPair';
import { resolvePairArgs } from './commands/modelCommands';
import { ExplorerPairController, type PairForwardPass } from './inspector/explorerPair';
import { PairSession } from './inspector/pairSession';
import { ATTENTION_VIEW_ID, AttentionExplorer } from './webviews/attentionView';
import type { WebviewHost } from './webviews/webviewHost';
import type { AttentionProtocol } from '../protocol/attention';
import { ModelController, type LoadedModel } from './modelController';
import { openDatasetCommand, type OpenDatasetArgs } from './commands/openDataset';
import { DatasetController } from './datasetController';
import { DatasetTreeProvider, passageRowPair, type DatasetNode } from './datasetTree';
import { revealLine } from './editor/revealLine';
import { compareReportCommand, type CompareReportArgs } from './commands/compareReport';
import { reportError } from './reportError';
import { PASSAGE_SCHEME, PassageDocuments } from './passageDocuments';
import { SlurmRuns } from './slurm/slurmRuns';
import { logRestrictedMode } from './workspaceTrust';
import type { Baseline } from '../core/attribution';
import { ActiveSelectionState } from './activeSelection';
import { chooseAttributionLayerCommand, setActiveQueryCommand } from './commands/activeCommands';
import { AttributionDecorations } from './editor/attributionDecorations';
import { InspectPairCodeLensProvider } from './editor/inspectCodeLens';
import { DATASET_FILE_SELECTOR } from './editor/lineContext';
import { PairInsights } from './editor/pairInsights';
import { PassageHoverProvider } from './editor/passageHover';
import { BUNDLED_MODEL_FOLDER } from '../core/model/bundled';

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
  readonly inspectPair: (args?: InspectPairArgs) => Promise<InspectPairOutcome | undefined>;
  readonly activePair: () => PairForwardPass | undefined;
  /** The attention explorer's host, once VS Code has created the view. */
  readonly attentionView: () => WebviewHost<AttentionProtocol> | undefined;
  /** The editor surfaces: active query/pair/layer state, cached scores and attributions, hover, decorations. */
  readonly editor: {
    readonly active: ActiveSelectionState;
    readonly insights: PairInsights;
    readonly hover: PassageHoverProvider;
    readonly decorations: AttributionDecorations;
    /** The model's status bar item: spinning while inference runs. */
    readonly modelStatus: () => { readonly busy: boolean; readonly text: string };
  };
}

export function activate(context: vscode.ExtensionContext): RankLensApi {
  const log = vscode.window.createOutputChannel('RankLens');
  const controller = new DatasetController(path.join(context.globalStorageUri.fsPath, 'indexes'), log);
  const tree = new DatasetTreeProvider(controller);
  const sampleFolder = path.join(context.extensionPath, 'sample-workspace');
  const treeView = vscode.window.createTreeView('ranklens.dataset', { treeDataProvider: tree });
  context.subscriptions.push(log, controller, tree, treeView);
  const models = new ModelController(
    path.join(context.extensionPath, BUNDLED_MODEL_FOLDER),
    path.join(context.extensionPath, 'out', 'ranker-worker.js'),
    path.join(context.globalStorageUri.fsPath, 'graphs'),
    log,
  );
  context.subscriptions.push(models);
  logRestrictedMode(log);
  // Which query, layer and baseline the editor surfaces use; it follows the inspector's pair (below).
  const editorState = new ActiveSelectionState();
  const insights = new PairInsights(models, controller);
  const hover = new PassageHoverProvider(controller, models, editorState, insights);
  const decorations = new AttributionDecorations(controller, models, editorState, insights, log);
  const lenses = new InspectPairCodeLensProvider();
  context.subscriptions.push(
    editorState,
    insights,
    decorations,
    lenses,
    vscode.workspace.registerTextDocumentContentProvider(
      PASSAGE_SCHEME,
      new PassageDocuments(controller, models, insights),
    ),
    vscode.languages.registerHoverProvider(DATASET_FILE_SELECTOR, hover),
    vscode.languages.registerCodeLensProvider(DATASET_FILE_SELECTOR, lenses),
  );
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
  const resultsDir = (kind: 'evaluations' | 'attributions' | 'analyses') => {
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
    // A pid (row click, with the query it is listed under), or the row itself (context menu).
    guarded(async (row: string | { pid: string; qid?: string }, qid?: string) => {
      const [pid, listedUnder] = typeof row === 'string' ? [row, qid] : [row.pid, row.qid];
      return vscode.window.showTextDocument(PassageDocuments.uriFor(pid, listedUnder), { preview: true });
    }),
  );
  register(
    'ranklens.setActiveQuery',
    guarded((args?: { qid?: string; text?: string }) => setActiveQueryCommand(controller, editorState, args)),
  );
  register(
    'ranklens.toggleAttributionDecorations',
    guarded((on?: boolean) => decorations.toggle(typeof on === 'boolean' ? on : undefined)),
  );
  register(
    'ranklens.chooseAttributionLayer',
    guarded((args?: { layer?: number; baseline?: Baseline }) =>
      chooseAttributionLayerCommand(models, editorState, args),
    ),
  );
  register('ranklens.cancelInference', () => models.cancelAll());
  register(
    'ranklens.revealLine',
    guarded((file: string, line?: number) => revealLine(file, line)),
  );
  const selectModel = guarded((dir?: string) => selectModelCommand(models, dir));
  const active = new ExplorerPairController();
  const explorer = new AttentionExplorer(
    context.extensionUri,
    active,
    () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    log,
  );
  context.subscriptions.push(active, explorer);
  // A pair opened in the inspector (or selected in the Dataset view) makes its query the editor's.
  context.subscriptions.push(
    active.onDidChange(({ session: { pair } }) =>
      editorState.setPair({
        query: { qid: pair.qid, text: pair.query },
        pid: pair.pid,
        passage: pair.passage,
      }),
    ),
  );
  const inspectPair = guarded((args?: unknown) =>
    inspectPairCommand(models, controller, active, context.extensionUri, log, editorState, args),
  );
  const scorePair = guarded(async (args?: ScorePairArgs | DatasetNode) => {
    // Called with ids or texts (tests, other commands): the value. Picked interactively or from a
    // passage row: the score is shown in the inspector too, not only in a notification.
    const row = passageRowPair(args);
    const interactive = args === undefined || row !== undefined;
    const outcome = await scorePairCommand(
      models,
      controller,
      log,
      row ?? (args as ScorePairArgs | undefined),
    );
    if (outcome && interactive) {
      await inspectPair(
        outcome.qid && outcome.pid
          ? { qid: outcome.qid, pid: outcome.pid }
          : { query: outcome.query, passage: outcome.passage },
      );
    }
    return outcome;
  });
  register('ranklens.selectModel', selectModel);
  const attributePair = guarded((args?: AttributePairArgs | DatasetNode) =>
    attributePairCommand(
      models,
      controller,
      context.extensionUri,
      resultsDir('attributions'),
      log,
      passageRowPair(args) ?? (args as AttributePairArgs | undefined),
    ),
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
  // Without sbatch on the PATH no run can have been submitted from here, and polling squeue would only
  // spin until it gave up: say so instead.
  const withoutSlurm = () => {
    if (slurm.available()) return false;
    void vscode.window.showInformationMessage(
      'RankLens: Slurm is not available on this machine (no sbatch on the PATH), so there is no Slurm run to follow.',
    );
    return true;
  };
  register(
    'ranklens.followSlurmRun',
    guarded(async (dir?: string) => {
      if (withoutSlurm()) return;
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
      if (withoutSlurm()) return;
      const folder = dir ?? (await pickRunFolder('Cancel the Slurm run in a result folder'));
      if (folder) await slurm.cancel(folder);
    }),
  );
  register('ranklens.attributePair', attributePair);
  register('ranklens.inspectPair', inspectPair);
  register('ranklens.showAttention', () => vscode.commands.executeCommand(`${ATTENTION_VIEW_ID}.focus`));
  const analyze = async (name: string, args?: AnalyzeArgs) => {
    const outcome = await analyzeCommand(
      name,
      models,
      controller,
      context.extensionUri,
      resultsDir('analyses'),
      log,
      args,
      slurm,
    );
    if (outcome) explorer.analysisSaved();
    return outcome;
  };
  for (const [command, { name }] of Object.entries(ANALYSIS_COMMANDS))
    register(
      command,
      guarded((args?: AnalyzeArgs) => analyze(name, args)),
    );
  register(
    'ranklens.compareReport',
    guarded((args?: CompareReportArgs) => compareReportCommand(args)),
  );
  register(
    ANALYZE_ANY_COMMAND,
    guarded(async (args?: AnalyzeArgs & { readonly name?: string }) => {
      const name = args?.name ?? (await pickAnalysis());
      return name ? analyze(name, args) : undefined;
    }),
  );
  // The explorer follows the selected passage row (a forward pass in the worker, only while it is shown).
  let selection = 0;
  context.subscriptions.push(
    treeView.onDidChangeSelection(async (event) => {
      const row = passageRowPair(event.selection[0]);
      if (!row || !explorer.provider.visible) return;
      const ticket = ++selection;
      await guarded(async () => {
        const pair = await resolvePairArgs(controller.dataset, row);
        if (!pair) return;
        explorer.busy(`Running the model on qid ${row.qid} · pid ${row.pid}…`);
        const session = new PairSession(await models.model(), controller.dataset, pair);
        const result = await session.inspect();
        if (ticket === selection) active.set({ session, result, source: 'dataset view' });
      })();
    }),
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
    inspectPair: (args?: InspectPairArgs) => inspectPair(args),
    activePair: () => active.active,
    attentionView: () => explorer.provider.current,
    editor: {
      active: editorState,
      insights,
      hover,
      decorations,
      modelStatus: () => ({ busy: models.isBusy, text: models.statusText }),
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
