import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError } from '../../core/progress';
import type { NotificationBody } from '../../protocol/endpoint';
import {
  inspectorProtocol,
  type InspectorProtocol,
  type WhatIfResult,
  type WhatIfSpec,
} from '../../protocol/inspector';
import type { ActiveSelectionState, AttributionView } from '../activeSelection';
import type { ExplorerPairController } from '../inspector/explorerPair';
import { attentionTensor, viewTokens, type PairSession } from '../inspector/pairSession';
import { WhatIfMaps } from '../inspector/whatIfMaps';
import { PassageDocuments } from '../passageDocuments';
import { datasetSplits, type AnalyzeArgs } from '../commands/analyze';
import { analysisOfWhatIf } from '../drillDown/comparisonWhatIf';
import { openPanel, type WebviewHost } from './webviewHost';

type Snapshot = NotificationBody<InspectorProtocol, 'host', 'rendered'>;

/** How a pair comes into the inspector from elsewhere (a report's drill-down). */
export interface InspectorOpening {
  /** Applied once the pair is shown, with the controls set to it. */
  readonly whatIf?: WhatIfSpec;
  /** A new inspector opens beside the active editor (the report stays in view). */
  readonly beside?: boolean;
}

/**
 * The pair inspector: one panel, reused for each pair the user inspects. Shows the score at once, then
 * the rank among the query's candidates and Integrated Gradients as they are computed (cancellable), and
 * answers the view's what-if requests in the model's worker.
 */
export class InspectorPanel {
  private static current: InspectorPanel | undefined;
  private session: PairSession | undefined;
  private whatIfs: WhatIfResult[] = [];
  /** What each what-if was, so a map dropped from `maps` can be recomputed. */
  private readonly specs = new Map<number, WhatIfSpec>();
  /** The what-ifs' attention maps, within a byte budget (each is L·H·n² floats). */
  readonly maps = new WhatIfMaps((id) => this.recomputeMap(id));
  private attribution: AbortController | undefined;
  /** The layer and baseline the slider shows, as last said by either side. */
  private view: AttributionView;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    readonly host: WebviewHost<InspectorProtocol>,
    private readonly editorState: ActiveSelectionState,
  ) {
    this.view = editorState.current.view;
    // From the editor to the slider (RankLens: Choose Attribution Layer…). A newly opened inspector keeps
    // its own layer and says it when it shows a pair, so the editor follows it (fromView).
    const following = editorState.onDidChange(({ view }) => {
      if (view.layer === this.view.layer && view.baseline === this.view.baseline) return;
      this.view = view;
      host.show('attributionView', view);
    });
    panel.onDidDispose(() => following.dispose());
  }

  /** The user moved the slider or switched the baseline: the editor's decorations and hovers follow. */
  private fromView(view: AttributionView): void {
    this.view = view;
    this.editorState.setView(view);
  }

  static async show(
    extensionUri: vscode.Uri,
    session: PairSession,
    active: ExplorerPairController,
    log: vscode.OutputChannel,
    editorState: ActiveSelectionState,
    opened: InspectorOpening = {},
  ): Promise<InspectorPanel> {
    let inspector = InspectorPanel.current;
    if (inspector && opened.beside && !inspector.panel.visible) {
      // Opened from a report whose group hides the inspector: a new inspector beside the report keeps both in
      // view (moving the old one to another group would reload its page under the request that follows).
      inspector.panel.dispose();
      if (InspectorPanel.current === inspector) InspectorPanel.current = undefined;
      inspector = undefined;
    }
    if (!inspector) {
      // The handlers need the panel object, which needs the host the handlers go into.
      const ref: { panel?: InspectorPanel } = {};
      const { panel, host } = openPanel({
        viewType: 'ranklens.inspector',
        title: 'Pair Inspector',
        bundle: 'inspector',
        protocol: inspectorProtocol,
        ...(opened.beside ? { column: vscode.ViewColumn.Beside } : {}),
        extensionUri,
        log,
        handlers: {
          notifications: {
            cancelAttribution: () =>
              ref.panel?.attribution?.abort(new CancelledError('Integrated Gradients')),
            undoWhatIf: () => ref.panel?.setWhatIfs(ref.panel.whatIfs.slice(0, -1)),
            clearWhatIfs: () => ref.panel?.setWhatIfs([]),
            // The slider and the editor's decorations show one layer: moving either moves the other.
            attributionView: (view) => ref.panel?.fromView(view),
            runOverSplit: ({ id }) => void ref.panel?.runOverSplit(id),
            showPassage: () => {
              const pid = ref.panel?.session?.pair.pid;
              if (pid) void vscode.window.showTextDocument(PassageDocuments.uriFor(pid), { preview: true });
            },
          },
          requests: {
            whatIf: async (spec) => {
              const session = ref.panel?.session;
              if (!session) throw new Error('no pair in the inspector');
              const { row, attention } = await session.whatIf(spec);
              const overSplit = analysisOfWhatIf(spec, session.model.info.numLayers)?.label;
              const result = overSplit ? { ...row, overSplit } : row;
              if (ref.panel && ref.panel.session === session) {
                ref.panel.specs.set(result.id, spec);
                ref.panel.maps.put(result.id, attention);
                ref.panel.setWhatIfs([...ref.panel.whatIfs, result]);
              }
              log.appendLine(
                `what-if ${session.label}: ${result.label}: score ${result.score.toFixed(4)}${result.rank ? `, rank ${result.rank.rank}/${result.rank.of}` : ''} (${result.ms} ms)`,
              );
              return result;
            },
            whatIfAttention: ({ id }) => {
              if (!ref.panel?.specs.has(id)) throw new Error(`no what-if ${id} in the inspector`);
              return ref.panel.maps.get(id);
            },
          },
        },
      });
      const created = new InspectorPanel(panel, host, editorState);
      ref.panel = created;
      inspector = created;
      InspectorPanel.current = inspector;
      panel.onDidDispose(() => {
        created?.attribution?.abort(new CancelledError('Integrated Gradients'));
        if (InspectorPanel.current === created) InspectorPanel.current = undefined;
      });
    } else {
      inspector.panel.reveal(undefined, false);
    }
    await inspector.load(session, active, log);
    // The view sets its controls to the what-if and applies it, as if the user had (its row lands in the table).
    if (opened.whatIf) await inspector.host.request('presetWhatIf', opened.whatIf);
    return inspector;
  }

  /**
   * "Run this over the split": what-if `id`'s setting as its dataset analysis (a palette command with
   * arguments) over the split that holds the pair's query; the number of queries is asked unless given.
   */
  async runOverSplit(id: number, sample?: number | 'all'): Promise<unknown> {
    const spec = this.specs.get(id);
    const session = this.session;
    if (!spec || !session) return undefined;
    const analysis = analysisOfWhatIf(spec, session.model.info.numLayers);
    if (!analysis) {
      void vscode.window.showInformationMessage(
        'RankLens: no dataset analysis runs this what-if (period masking runs periods → commas, and token or attention masks from all tokens to the periods in all layers; interaction masking runs masks between the query side and the document side).',
      );
      return undefined;
    }
    const qid = session.pair.qid;
    const holding = session.dataset?.queries.find((q) => qid !== undefined && q.texts.has(qid));
    const split = datasetSplits({ dataset: session.dataset }).find(
      (s) => holding && path.resolve(s.queries) === path.resolve(holding.file),
    );
    // Without a split of the pair's own, the palette asks for one (and for the number of queries).
    if (!split) return vscode.commands.executeCommand(analysis.command, { settings: analysis.settings });
    const n =
      sample ??
      (
        await vscode.window.showQuickPick(
          [
            { label: '10 queries', description: 'quick look', n: 10 as number | 'all' },
            { label: '50 queries', n: 50 },
            { label: '200 queries', n: 200 },
            { label: 'All queries', description: 'may take long', n: 'all' as const },
          ],
          { placeHolder: `${analysis.label}: how many queries of ${split.name}?` },
        )
      )?.n;
    if (n === undefined) return undefined;
    const args: AnalyzeArgs = {
      split,
      ...(n === 'all' ? {} : { sample: n }),
      settings: analysis.settings,
    };
    return vscode.commands.executeCommand(analysis.command, args);
  }

  private setWhatIfs(items: WhatIfResult[]): void {
    const kept = new Set(items.map((w) => w.id));
    for (const id of this.specs.keys())
      if (!kept.has(id)) {
        this.specs.delete(id);
        this.maps.forget(id);
      }
    this.whatIfs = items;
    this.host.show('whatIfs', { items });
  }

  private recomputeMap(id: number) {
    const spec = this.specs.get(id);
    const session = this.session;
    if (!spec || !session) return Promise.reject(new Error(`no what-if ${id} in the inspector`));
    return session.whatIfAttention(spec);
  }

  /** The ids of the what-if table's rows, oldest first. */
  whatIfIds(): number[] {
    return this.whatIfs.map((w) => w.id);
  }

  /** Resolves with the view's next report once it has drawn the pair. */
  whenRendered(): Promise<Snapshot> {
    return this.host.latestOr('rendered');
  }

  private async load(
    session: PairSession,
    active: ExplorerPairController,
    log: vscode.OutputChannel,
  ): Promise<void> {
    this.attribution?.abort(new CancelledError('Integrated Gradients'));
    this.session = session;
    this.setWhatIfs([]);
    const info = session.model.info;
    this.panel.title = `Inspect: ${session.label}`;
    const result = await session.inspect();
    this.host.show('pair', {
      query: session.pair.query,
      passage: session.pair.passage,
      qid: session.pair.qid,
      pid: session.pair.pid,
      model: path.basename(session.model.dir),
      numLayers: info.numLayers,
      numHeads: info.numHeads,
      numLabels: info.numLabels,
      tokens: viewTokens(session.encoded.tokens),
      truncated: session.encoded.passageTruncated || session.encoded.queryTruncated,
      score: result.score,
      logits: result.logits,
      sigmoid: result.sigmoid,
      attention: attentionTensor(result),
    });
    active.set({ session, result, source: 'inspector' });
    void this.rank(session, log);
    void this.attribute(session, log);
  }

  private async rank(session: PairSession, log: vscode.OutputChannel): Promise<void> {
    const run = session.runFor();
    if (!run) {
      this.host.show('rank', {
        status: 'none',
        message: session.pair.qid
          ? `no open run ranks query ${session.pair.qid}`
          : 'typed pair: open a dataset and inspect a candidate to see its rank',
      });
      return;
    }
    this.host.show('rank', { status: 'computing', run: path.basename(run.file), runRank: run.runRank });
    try {
      const started = Date.now();
      const candidates = await session.candidates();
      if (this.session !== session) return;
      if (!candidates) {
        this.host.show('rank', { status: 'none', message: 'the run has no other candidates with text' });
        return;
      }
      const own = (await session.inspect()).score;
      const rank = {
        rank: 1 + candidates.scores.filter((s) => s > own).length,
        of: candidates.scores.length + 1,
      };
      log.appendLine(
        `rank ${session.label}: ${rank.rank}/${rank.of} in ${candidates.run} (${Date.now() - started} ms)`,
      );
      this.host.show('rank', { status: 'done', run: candidates.run, rank, runRank: candidates.runRank });
    } catch (error) {
      if (this.session === session)
        this.host.show('rank', {
          status: 'failed',
          message: error instanceof Error ? error.message : String(error),
        });
    }
  }

  private async attribute(session: PairSession, log: vscode.OutputChannel): Promise<void> {
    const abort = new AbortController();
    this.attribution = abort;
    const started = Date.now();
    this.host.show('attribution', { status: 'computing', done: 0 });
    try {
      const result = await session.attribute(abort.signal, (done, total) => {
        if (this.session === session) this.host.show('attribution', { status: 'computing', done, total });
      });
      if (this.session !== session) return;
      const ms = Date.now() - started;
      log.appendLine(`inspector IG ${session.label}: ${result.layers.length} integrals in ${ms} ms`);
      this.host.show('attribution', { status: 'done', result, ms });
    } catch (error) {
      if (this.session !== session) return;
      const cancelled = error instanceof CancelledError || abort.signal.aborted;
      this.host.show('attribution', {
        status: cancelled ? 'cancelled' : 'failed',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
