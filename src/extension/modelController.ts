import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadPairEncoder, type ModelInfo, type PairEncoder } from '../core/runtime';
import { RankerWorkerClient } from '../worker';
import type { ScoreResult } from '../core/runtime/types';
import { abortReason, CancelledError } from '../core/progress';

export interface LoadedModel {
  readonly dir: string;
  readonly info: ModelInfo;
  readonly sizeBytes: number;
  readonly encode: PairEncoder;
  readonly ranker: RankerWorkerClient;
}

/**
 * Owns the ranker: loads a Hugging Face checkpoint into a worker thread (inference never runs on the
 * extension host's event loop), shows it in the status bar, and replaces it when the user picks another.
 */
export class ModelController implements vscode.Disposable {
  private loaded: Promise<LoadedModel> | undefined;
  private readonly statusItem = vscode.window.createStatusBarItem(
    'ranklens.model',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private readonly changed = new vscode.EventEmitter<LoadedModel>();
  private current: LoadedModel | undefined;
  private busy = 0;
  private unsubscribeBusy: (() => void) | undefined;
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly bundledModelDir: string,
    private readonly workerPath: string,
    private readonly cacheDir: string,
    private readonly log: vscode.OutputChannel,
  ) {
    this.statusItem.name = 'RankLens model';
    this.statusItem.command = 'ranklens.selectModel';
    this.statusItem.text = '$(beaker) RankLens: no model';
    this.statusItem.tooltip = 'Select a BERT cross-encoder checkpoint';
    this.statusItem.show();
  }

  /** The configured model (ranklens.model.path), or the bundled one. */
  configuredDir(): string {
    const configured = vscode.workspace.getConfiguration('ranklens').get<string>('model.path', '').trim();
    return configured === '' ? this.bundledModelDir : configured;
  }

  /** The current model, loading the configured one on first use. */
  async model(): Promise<LoadedModel> {
    if (!this.loaded) {
      const loading = this.load(this.configuredDir());
      this.loaded = loading;
      // A failed or cancelled load is not kept: the next use tries again.
      loading.catch(() => {
        if (this.loaded === loading) this.loaded = undefined;
      });
    }
    return this.loaded;
  }

  async select(dir: string): Promise<LoadedModel> {
    const previous = this.loaded;
    const next = this.load(dir);
    this.loaded = next;
    try {
      const model = await next;
      void previous?.then((old) => old.ranker.dispose()).catch(() => undefined);
      return model;
    } catch (error) {
      this.loaded = previous; // a failed load keeps the model the user had
      this.showStatus(previous ? await previous.catch(() => undefined) : undefined);
      throw error;
    }
  }

  /** Scores one pair; `signal` stops waiting for the model and frees the worker (see RankerWorkerClient). */
  async score(
    query: string,
    passage: string,
    signal?: AbortSignal,
  ): Promise<{ result: ScoreResult; model: LoadedModel; truncated: boolean }> {
    const model = await untilAborted(this.model(), signal, 'scoring');
    const pair = model.encode(query, passage);
    const [result] = await model.ranker.score([pair], { signal });
    return { result, model, truncated: pair.passageTruncated || pair.queryTruncated };
  }

  private async load(dir: string): Promise<LoadedModel> {
    this.statusItem.text = `$(loading~spin) RankLens: loading ${path.basename(dir)}`;
    const started = Date.now();
    const model = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `RankLens: loading ${path.basename(dir)}`,
        cancellable: true,
      },
      async (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort(new CancelledError(`loading ${dir}`)));
        const encode = loadPairEncoder(dir);
        const threads = vscode.workspace.getConfiguration('ranklens').get<number>('model.threads', 0);
        const ranker = await RankerWorkerClient.load(
          dir,
          // The worker shares the cores with the editor and its webviews: pool threads sleep when idle.
          {
            cacheDir: this.cacheDir,
            spinning: false,
            signal: abort.signal,
            ...(threads > 0 ? { threads } : {}),
          },
          { workerPath: this.workerPath },
        );
        return { dir, info: ranker.info, sizeBytes: checkpointBytes(dir), encode, ranker };
      },
    );
    this.log.appendLine(`model: ${dir} (${describe(model)}) loaded in ${Date.now() - started} ms`);
    this.unsubscribeBusy?.();
    this.current = model;
    this.busy = 0;
    this.unsubscribeBusy = model.ranker.onBusyChange((pending) => {
      this.busy = pending;
      this.showStatus(this.current);
    });
    this.showStatus(model);
    this.changed.fire(model);
    return model;
  }

  /** Stops every inference in flight (the status bar item's action while it spins). */
  cancelAll(): void {
    this.current?.ranker.cancelAll(new CancelledError('inference'));
  }

  private showStatus(model: LoadedModel | undefined): void {
    void vscode.commands.executeCommand('setContext', 'ranklens.inferenceBusy', this.busy > 0);
    if (!model) {
      this.statusItem.text = '$(beaker) RankLens: no model';
      this.statusItem.command = 'ranklens.selectModel';
      return;
    }
    const label = `${path.basename(model.dir)} · ${(model.sizeBytes / 1024 / 1024).toFixed(0)} MB`;
    if (this.busy > 0) {
      this.statusItem.text = `$(sync~spin) ${label}`;
      this.statusItem.tooltip = `RankLens: running the model (${this.busy} request${this.busy > 1 ? 's' : ''}).\nClick to cancel.`;
      this.statusItem.command = 'ranklens.cancelInference';
      return;
    }
    this.statusItem.text = `$(beaker) ${label}`;
    this.statusItem.tooltip = `RankLens model: ${model.dir}\n${describe(model)}\nClick to select another checkpoint.`;
    this.statusItem.command = 'ranklens.selectModel';
  }

  /** The loaded model's fingerprint, without loading one. */
  get loadedFingerprint(): string | undefined {
    return this.current?.info.fingerprint;
  }

  /** Whether inference is running (the status bar shows a spinning indicator). */
  get isBusy(): boolean {
    return this.busy > 0;
  }

  /** The status bar item's text, for tests. */
  get statusText(): string {
    return this.statusItem.text;
  }

  dispose(): void {
    this.unsubscribeBusy?.();
    this.statusItem.dispose();
    this.changed.dispose();
    void this.loaded?.then((m) => m.ranker.dispose()).catch(() => undefined);
  }
}

export function describe(model: LoadedModel): string {
  const i = model.info;
  const head = i.numLabels === 2 ? 'score = P(relevant), 2 labels' : 'score = logit, 1 label';
  return `${i.numLayers} layers, ${i.numHeads} heads, hidden ${i.hiddenSize}, max ${i.maxLength} tokens, ${head}, ${(model.sizeBytes / 1024 / 1024).toFixed(1)} MB of weights`;
}

function checkpointBytes(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
}

/** `promise`, or a rejection as soon as `signal` aborts (the work behind the promise goes on, shared). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}
