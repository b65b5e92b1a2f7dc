import * as path from 'node:path';
import * as vscode from 'vscode';
import { attentionProtocol, type AttentionProtocol } from '../../protocol/attention';
import type { PairForwardPass, ExplorerPairController } from '../inspector/explorerPair';
import { attentionTensor, viewTokens } from '../inspector/pairSession';
import { readAttentionDatasetMean } from './attentionDatasetMean';
import { ViewHostProvider } from './webviewHost';

export const ATTENTION_VIEW_ID = 'ranklens.attention';

/**
 * The attention explorer (a side-bar webview view): layers x heads thumbnails, one head's token-to-token
 * attention, and the per-layer attention to [CLS]/[SEP]/periods/query/document of the active pair.
 */
export class AttentionExplorer implements vscode.Disposable {
  readonly provider: ViewHostProvider<AttentionProtocol>;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Problems with result files already logged (the mean is looked up again for every pair). */
  private readonly reported = new Set<string>();

  constructor(
    extensionUri: vscode.Uri,
    private readonly active: ExplorerPairController,
    private readonly workspaceFolder: () => string | undefined,
    private readonly log: vscode.OutputChannel,
  ) {
    this.provider = new ViewHostProvider({
      protocol: attentionProtocol,
      bundle: 'attention',
      title: 'RankLens attention',
      extensionUri,
      log,
      handlers: { notifications: {}, requests: {} },
    });
    this.subscriptions.push(
      vscode.window.registerWebviewViewProvider(ATTENTION_VIEW_ID, this.provider),
      this.provider,
      this.provider.onDidResolve(() => this.showActive()),
      active.onDidChange(() => this.showActive()),
    );
  }

  /** An analysis finished: the summary shows a new dataset mean without the pair being selected again. */
  analysisSaved(): void {
    this.showActive();
  }

  /** Puts the active pair (or a hint) into the view, if VS Code has created it. */
  private showActive(): void {
    const host = this.provider.current;
    if (!host) return;
    const pair = this.active.active;
    if (!pair) {
      host.show('status', {
        message:
          'Inspect a pair (right-click a passage in the Dataset view) or select a passage row to see its attention.',
        busy: false,
      });
      return;
    }
    host.show('status', { message: '', busy: false });
    host.show('pair', this.payload(pair));
  }

  private payload(pair: PairForwardPass) {
    const { session, result } = pair;
    const folder = this.workspaceFolder();
    const lookup = folder
      ? readAttentionDatasetMean(
          folder,
          path.join(folder, '.ranklens', 'analyses'),
          session.model.info.fingerprint,
        )
      : { problems: [] };
    for (const problem of lookup.problems)
      if (!this.reported.has(problem)) {
        this.reported.add(problem);
        this.log.appendLine(`attention explorer: ${problem}`);
      }
    return {
      label: `${session.label} · ${pair.source}`,
      query: session.pair.query,
      passage: session.pair.passage,
      tokens: viewTokens(session.encoded.tokens),
      attention: attentionTensor(result),
      score: result.score,
      datasetMean: lookup.mean,
    };
  }

  /** Marks the view busy while a newly selected pair's forward pass runs. */
  busy(message: string): void {
    this.provider.current?.show('status', { message, busy: true });
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
