import type { AnalysisRunRequest } from '../analysis/runRequest';
import type { ResultFile } from '../analysis/runner';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { AttributionResult, PairAttributionOptions } from '../attribution';
import type { AttentionSums } from './attentionKinds';
import type {
  AttributionPair,
  PackedAttribution,
  WorkerRequest,
  WorkerResponse,
  WorkerResult,
} from './worker-protocol';
import { abortReason, callSignal, CancelledError } from '../progress';
import type {
  CallOptions,
  InspectOptions,
  InspectResult,
  MaskSpec,
  ModelInfo,
  PairInput,
  RankerOptions,
  ScoreOptions,
  ScoreResult,
  Scorer,
} from './types';

export interface WorkerClientOptions {
  /**
   * The bundled worker entry (src/core/runtime/worker-entry.ts built as its own esbuild entry).
   * Default: ranker-worker.js beside this module's bundle, or worker-entry.ts when running from source.
   */
  readonly workerPath?: string;
  readonly resourceLimits?: ResourceLimits;
  /**
   * After a cancel, how long to wait for the worker to answer 'cancelled' (it does between two onnxruntime
   * runs, which the Ranker keeps short: RankerOptions.maxRunFlops) before falling back to replacing it by a
   * loaded spare. Default DEFAULT_CANCEL_GRACE_MS; Infinity: never replace; 0: fall back at once.
   */
  readonly cancelGraceMs?: number;
  /**
   * Warm spare: when a long call starts (several pairs, analyses, masked depths, attention sums, attribution), a
   * second worker loads the same model with the same options in the background, so that a cancel that
   * must retire the busy worker hands the next call to an already loaded worker instead of waiting for a
   * model load. It costs a second copy of the model in memory (the weights plus the onnxruntime
   * sessions; bench/cancel.ts measured RSS +531 MB for a 418 MB BERT-base checkpoint, +77 MB for the
   * 24 MB ranklens-mini v1), and it loads while the long call runs, sharing its cores. Disposed after
   * this many milliseconds without a long call, and with the client. Default DEFAULT_SPARE_IDLE_MS;
   * 0: no spare (a cancel that retires the worker then waits for a fresh model load).
   */
  readonly spareIdleMs?: number;
}

/** How long an unused warm spare is kept after the last long call ended (WorkerClientOptions.spareIdleMs). */
export const DEFAULT_SPARE_IDLE_MS = 60_000;

/** A second worker loading (or holding) the same model, ready to replace a retired one. */
interface Spare {
  readonly worker: Worker;
  readonly ready: Promise<ModelInfo>;
  loaded: boolean;
  /**
   * Set once it was asked to load the gradient model too (after the user has run an attribution): settles
   * when that load has ended (or was skipped because the spare was promoted first).
   */
  gradients?: Promise<void>;
  idleTimer?: ReturnType<typeof setTimeout>;
}

/** Worker entry to use when none is given (see WorkerClientOptions.workerPath). */
export function defaultWorkerPath(): string {
  const source = path.join(__dirname, 'worker-entry.ts');
  if (fs.existsSync(source)) return source;
  return path.join(__dirname, 'ranker-worker.js');
}

interface Pending {
  /** Kept so the request can be sent again to a fresh worker after a forced restart. */
  readonly request: WorkerRequest;
  /** The worker that has the request; undefined while it waits for a fresh worker. */
  sentTo: Worker | undefined;
  resolve(result: WorkerResult): void;
  reject(error: Error): void;
  onProgress?: (done: number, total: number) => void;
}

/**
 * How long a cancelled request may keep the worker from answering 'cancelled' before a loaded spare takes
 * over. onnxruntime-node runs each call synchronously on the worker's thread, so the worker reads the
 * cancel only when the call in progress returns; the Ranker sizes its calls to about 0.1-0.2 s
 * (RankerOptions.maxRunFlops), so this is reached only by a call that cannot be cut: one long pair of a
 * large model, a session being created.
 */
export const DEFAULT_CANCEL_GRACE_MS = 300;

/**
 * dispose() waits at most this long for workers to finish the onnxruntime call they are in and exit. A
 * worker is never terminated from outside while onnxruntime runs on its thread: the native call returns
 * into a torn-down environment and aborts the whole process ("terminate called after throwing an
 * instance of 'Napi::Error'", seen while measuring).
 */
const RETIRE_WAIT_MS = 30_000;

function spawn(workerPath: string, resourceLimits?: ResourceLimits): Worker {
  if (workerPath.endsWith('.ts')) {
    // From source (tests, tsx): register tsx's CommonJS hook inside the worker first.
    const code =
      `require(require.resolve('tsx/cjs/api', { paths: [${JSON.stringify(process.cwd())}, ${JSON.stringify(path.dirname(workerPath))}] })).register();` +
      `require(${JSON.stringify(workerPath)});`;
    return new Worker(code, { eval: true, resourceLimits });
  }
  return new Worker(workerPath, { resourceLimits });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The Ranker API run in a worker thread, so inference never blocks the caller's event loop. If the
 * worker dies (native crash, out of memory), pending calls fail with an error and the next call starts a
 * fresh worker and reloads the model.
 *
 * Cancelling (signal or timeoutMs) rejects the call at once and tells the worker, which answers
 * 'cancelled' as soon as its current onnxruntime call returns and serves the next request with its model
 * still loaded (the Ranker keeps each call short: RankerOptions.maxRunFlops). Only if that answer has
 * not come within cancelGraceMs (a call that cannot be cut) does a loaded warm spare take over: the busy
 * worker is retired (it releases its model and ends itself once its call returns) and calls queued behind
 * the cancelled one go to the spare. If the spare is still loading, whichever comes first serves the
 * next call: the busy worker's answer or the spare's load. Spares (WorkerClientOptions.spareIdleMs, on by
 * default) start beside every long call (several pairs, an analysis; not an attribution, whose gradient runs
 * are all short); without one, a fresh worker starts loading at the fallback.
 */
export class RankerWorkerClient implements Scorer {
  private worker: Worker | undefined;
  private ready: Promise<ModelInfo> | undefined;
  /** Requests waiting for an answer; every change is reported to onBusyChange listeners. */
  private readonly pending = new ObservedMap<number, Pending>(() => this.busyChanged());
  private readonly busyListeners = new Set<(pending: number) => void>();
  /**
   * Cancelled requests the worker has not answered 'cancelled' yet, with the timer that falls back to a
   * spare (undefined once it has fired).
   */
  private readonly cancelling = new Map<number, ReturnType<typeof setTimeout> | undefined>();
  /** Replaced workers finishing their current batch before they exit. */
  private readonly retiring = new Map<Worker, Promise<void>>();
  private nextId = 1;
  private disposed = false;
  private lastInfo: ModelInfo | undefined;
  private spare: Spare | undefined;
  /** Long calls in flight; the spare's idle timer runs only while there are none. */
  private longCalls = 0;
  /** How often a worker was replaced because a cancelled request kept it busy (for tests and benchmarks). */
  forcedRestarts = 0;
  /** The gradient batch size of the last attribute call, once there was one (spares preload it). */
  private gradientsUsed: { readonly batchSize?: number } | undefined;

  private constructor(
    private readonly dir: string,
    private readonly options: Omit<RankerOptions, 'signal'>,
    private readonly workerOptions: WorkerClientOptions,
  ) {}

  /** Starts the worker and loads the model; options.signal cancels the load (the worker is retired). */
  static async load(
    checkpointDir: string,
    options: RankerOptions & { readonly timeoutMs?: number } = {},
    workerOptions: WorkerClientOptions = {},
  ): Promise<RankerWorkerClient> {
    const { signal, timeoutMs, ...kept } = options;
    signal?.throwIfAborted();
    const client = new RankerWorkerClient(checkpointDir, kept, workerOptions);
    const call = callSignal({ signal, timeoutMs }, 'loading the model');
    const aborted = new Promise<never>((_, reject) => {
      call.signal?.addEventListener('abort', () => reject(abortReason(call.signal, 'loading the model')), {
        once: true,
      });
    });
    try {
      await Promise.race([client.started(), aborted]);
      return client;
    } catch (error) {
      // The worker may be deep in building a graph: it is retired in the background, the caller is not kept.
      void client.dispose();
      throw error;
    } finally {
      call.dispose();
    }
  }

  /** The loaded model (as of the last successful load). */
  get info(): ModelInfo {
    if (!this.lastInfo) throw new Error('model not loaded');
    return this.lastInfo;
  }

  async score(pairs: readonly PairInput[], options: ScoreOptions = {}): Promise<ScoreResult[]> {
    const { signal, timeoutMs, onProgress, ...rest } = options;
    signal?.throwIfAborted();
    if (pairs.length > 1) this.ensureSpare();
    await this.started();
    const request = { type: 'score' as const, pairs: pairs.map(plainPair), options: rest };
    const call = () => this.call(request, 'scoring', { signal, timeoutMs }, onProgress);
    return (await (pairs.length > 1 ? this.long(call) : call())) as ScoreResult[];
  }

  async attentionSums(pairs: readonly PairInput[], options: ScoreOptions = {}): Promise<AttentionSums[]> {
    const { signal, timeoutMs, onProgress, ...rest } = options;
    signal?.throwIfAborted();
    this.ensureSpare();
    await this.started();
    const request = { type: 'attention-sums' as const, pairs: pairs.map(plainPair), options: rest };
    return (await this.long(() =>
      this.call(request, 'attention sums', { signal, timeoutMs }, onProgress),
    )) as AttentionSums[];
  }

  /**
   * Runs a whole dataset analysis in the worker (pair sets, chunk cache, map, finish) and returns its result
   * file; progress is reported in pairs; an aborted signal stops it at the next batch (finished chunks stay
   * cached, so running it again resumes).
   */
  async runAnalysis(
    request: AnalysisRunRequest,
    options: {
      readonly signal?: AbortSignal;
      readonly timeoutMs?: number;
      readonly onProgress?: (done: number, total: number) => void;
    } = {},
  ): Promise<ResultFile> {
    const { signal, timeoutMs, onProgress } = options;
    signal?.throwIfAborted();
    this.ensureSpare();
    await this.started();
    const call = { type: 'run-analysis' as const, request };
    return (await this.long(() =>
      this.call(call, `the ${request.name} analysis`, { signal, timeoutMs }, onProgress),
    )) as ResultFile;
  }

  async scoreByMaskDepth(
    pairs: readonly PairInput[],
    masks: readonly MaskSpec[],
    options: ScoreOptions & { readonly fromDepth?: number } = {},
  ): Promise<number[][]> {
    const { signal, timeoutMs, onProgress, batchSize, fromDepth } = options;
    signal?.throwIfAborted();
    this.ensureSpare();
    await this.started();
    const request = {
      type: 'mask-depths' as const,
      pairs: pairs.map(plainPair),
      masks,
      options: { batchSize, fromDepth },
    };
    return (await this.long(() =>
      this.call(request, 'masked scoring', { signal, timeoutMs }, onProgress),
    )) as number[][];
  }

  async inspect(pair: PairInput, options: InspectOptions = {}): Promise<InspectResult> {
    const { signal, timeoutMs, ...rest } = options;
    signal?.throwIfAborted();
    await this.started();
    const request = { type: 'inspect' as const, pair: plainPair(pair), options: rest };
    return (await this.call(request, 'inspecting', { signal, timeoutMs })) as InspectResult;
  }

  /**
   * Layer-wise Integrated Gradients of one encoded pair (src/core/attribution). The
   * worker loads a BertGradientModel for the same checkpoint on the first call and keeps it. Progress is
   * reported after each (layer, baseline) integral; an aborted signal stops at the next gradient batch.
   */
  async attribute(
    pair: AttributionPair,
    options: PairAttributionOptions & CallOptions = {},
  ): Promise<AttributionResult> {
    const { signal, timeoutMs, onProgress, ...rest } = options;
    signal?.throwIfAborted();
    // From now on spares started beside long calls load the gradient model too. An attribution itself starts
    // none: its gradient runs are bounded (residualBudgetBytes) and its model load is opened session by
    // session, so the worker reads a cancel within one run; a spare loading beside it would only take a core
    // from it (first attribution of mini: 2.95-4.0 s with a spare loading, 2.5-2.6 s without).
    this.gradientsUsed = { batchSize: rest.batchSize };
    await this.started();
    const request = {
      type: 'attribute' as const,
      pair: {
        inputIds: Int32Array.from(pair.inputIds),
        tokenTypeIds: Int32Array.from(pair.tokenTypeIds),
        attentionMask: Int32Array.from(pair.attentionMask),
        tokens: pair.tokens.map((t) => ({ ...t })),
      },
      options: rest,
    };
    const packed = await this.call(request, 'attribution', { signal, timeoutMs }, onProgress);
    return unpackAttribution(packed as PackedAttribution);
  }

  /** Requests in flight (loading included); a status bar shows a busy indicator while it is above 0. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Called with the number of requests in flight whenever it changes; returns the unsubscribe. */
  onBusyChange(listener: (pending: number) => void): () => void {
    this.busyListeners.add(listener);
    return () => this.busyListeners.delete(listener);
  }

  /** Stops every request in flight but a model load (each fails with `reason`); the model stays loaded. */
  cancelAll(reason: Error = new Error('cancelled')): void {
    for (const [id, pending] of [...this.pending]) {
      if (pending.request.type === 'load') continue;
      this.pending.delete(id);
      pending.reject(reason);
      if (pending.sentTo !== undefined && pending.sentTo === this.worker) this.stopInWorker(id);
    }
  }

  private busyChanged(): void {
    const n = this.pending.size;
    for (const listener of this.busyListeners) listener(n);
  }

  /**
   * Rejects what is pending, and retires the worker: it releases the model and exits once its current
   * onnxruntime call (if any) returns. Resolves when every retired worker has exited (bounded wait).
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const timer of this.cancelling.values()) if (timer) clearTimeout(timer);
    this.cancelling.clear();
    const error = new Error('this RankerWorkerClient has been disposed');
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker) this.retire(worker);
    this.disposeSpare();
    await Promise.race([Promise.all([...this.retiring.values()]), delay(RETIRE_WAIT_MS)]);
  }

  /** Tells a worker to end itself after its current batch; the returned promise settles when it has. */
  private retire(worker: Worker): void {
    if (this.retiring.has(worker)) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.retiring.set(worker, exited);
    void exited.then(() => this.retiring.delete(worker));
    worker.postMessage({ id: this.nextId++, type: 'retire' } satisfies WorkerRequest);
  }

  /** Diagnostic: make the worker exit abruptly, as a crash would. */
  async crashWorkerForTesting(): Promise<void> {
    await this.started();
    this.worker?.postMessage({ id: this.nextId++, type: 'crash' } satisfies WorkerRequest);
  }

  private started(): Promise<ModelInfo> {
    if (this.disposed) return Promise.reject(new Error('this RankerWorkerClient has been disposed'));
    if (this.worker && this.ready) return this.ready;
    const spare = this.spare;
    if (spare) {
      // The spare has loaded (or is loading) the same model with the same options: no load to wait for.
      this.spare = undefined;
      if (spare.idleTimer) clearTimeout(spare.idleTimer);
      this.worker = spare.worker;
      this.ready = spare.ready;
      this.spareSwaps++;
      const promoted = spare.worker;
      spare.ready.catch(() => {
        if (this.worker === promoted) {
          this.worker = undefined;
          this.ready = undefined;
          this.retire(promoted);
        }
      });
      return spare.ready;
    }
    const worker = this.spawnWorker();
    this.worker = worker;
    const ready = this.call({ type: 'load', dir: this.dir, options: this.options }, 'loading the model').then(
      (info) => {
        this.lastInfo = info as ModelInfo;
        return this.lastInfo;
      },
    );
    this.ready = ready;
    ready.catch(() => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.ready = undefined;
        this.retire(worker);
      }
    });
    return ready;
  }

  /** A worker whose answers reach receive() while it is the active one, and whose death lost() handles. */
  private spawnWorker(): Worker {
    const worker = spawn(
      this.workerOptions.workerPath ?? defaultWorkerPath(),
      this.workerOptions.resourceLimits,
    );
    worker.on('message', (message: WorkerResponse) => {
      if (this.worker === worker) this.receive(message);
    });
    worker.on('error', (error) => this.lost(worker, `worker error: ${error.message}`));
    worker.on('exit', (code) => this.lost(worker, `worker exited with code ${code}`));
    return worker;
  }

  /** Runs a long call with a warm spare loading beside it (WorkerClientOptions.spareIdleMs). */
  private async long<T>(call: () => Promise<T>): Promise<T> {
    this.longCalls++;
    this.ensureSpare();
    try {
      return await call();
    } finally {
      this.longCalls--;
      this.armSpareIdleTimer();
    }
  }

  /** How many times a retired or lost worker was replaced by the warm spare (for tests and benchmarks). */
  spareSwaps = 0;

  /** 'none', 'loading' or 'ready': the warm spare's state (for tests, benchmarks and diagnostics). */
  get spareState(): 'none' | 'loading' | 'ready' {
    if (!this.spare) return 'none';
    return this.spare.loaded ? 'ready' : 'loading';
  }

  /** Resolves when the current spare has loaded its model (false when there is none or it failed). */
  async whenSpareReady(): Promise<boolean> {
    const spare = this.spare;
    if (!spare) return false;
    return spare.ready.then(
      () => this.spare === spare,
      () => false,
    );
  }

  /** Resolves when the current spare has loaded its model and, if it was asked to, the gradient model. */
  async whenSpareWarm(): Promise<boolean> {
    const spare = this.spare;
    if (!(await this.whenSpareReady())) return false;
    await spare?.gradients;
    return this.spare === spare;
  }

  /** Starts a spare beside a long call (unless spareIdleMs is 0), or as a fallback replacement (`needed`). */
  private ensureSpare(needed = false): void {
    const idleMs = this.workerOptions.spareIdleMs ?? DEFAULT_SPARE_IDLE_MS;
    if (this.disposed || (idleMs <= 0 && !needed)) return;
    if (this.spare) {
      if (this.spare.idleTimer) clearTimeout(this.spare.idleTimer);
      this.spare.idleTimer = undefined;
      this.warmSpareGradients(this.spare);
      return;
    }
    const worker = this.spawnWorker();
    const id = this.nextId++;
    const ready = new Promise<ModelInfo>((resolve, reject) => {
      const onMessage = (message: WorkerResponse) => {
        if (message.id !== id || message.type === 'progress') return;
        worker.off('message', onMessage);
        if (message.type === 'result') resolve(message.result as ModelInfo);
        else if (message.type === 'error') reject(new Error(message.error.message));
        else reject(new CancelledError('loading the spare'));
      };
      worker.on('message', onMessage);
      worker.once('exit', (code) =>
        reject(new Error(`ranker worker stopped (worker exited with code ${code})`)),
      );
    });
    const spare: Spare = { worker, ready, loaded: false };
    this.spare = spare;
    // A spare that dies before it is promoted is dropped like any crashed worker; the next long call starts another.
    worker.once('exit', () => {
      if (this.spare === spare) this.disposeSpare();
    });
    ready.then(
      () => {
        spare.loaded = true;
      },
      () => {
        if (this.spare === spare) this.disposeSpare();
      },
    );
    worker.postMessage({ id, type: 'load', dir: this.dir, options: this.options } satisfies WorkerRequest);
    this.warmSpareGradients(spare);
  }

  /**
   * Once the user has run an attribution, a spare loads the gradient model too (after its ranker), so the
   * first attribution after a cancel pays no load; users who never attribute never pay its memory.
   */
  private warmSpareGradients(spare: Spare): void {
    const used = this.gradientsUsed;
    if (!used || spare.gradients) return;
    spare.gradients = spare.ready.then(
      () =>
        new Promise<void>((resolve) => {
          // Promoted or dropped meanwhile: the worker loads it on its first attribution, as any worker does.
          if (this.spare !== spare) return resolve();
          const id = this.nextId++;
          const onMessage = (message: WorkerResponse) => {
            if (message.id !== id) return;
            spare.worker.off('message', onMessage);
            resolve();
          };
          spare.worker.on('message', onMessage);
          spare.worker.once('exit', () => resolve());
          spare.worker.postMessage({
            id,
            type: 'warm-gradients',
            batchSize: used.batchSize,
          } satisfies WorkerRequest);
        }),
      () => undefined,
    );
  }

  private armSpareIdleTimer(): void {
    const spare = this.spare;
    if (!spare || this.longCalls > 0) return;
    if (spare.idleTimer) clearTimeout(spare.idleTimer);
    spare.idleTimer = setTimeout(() => {
      if (this.spare === spare) this.disposeSpare();
    }, this.workerOptions.spareIdleMs ?? DEFAULT_SPARE_IDLE_MS);
    spare.idleTimer.unref();
  }

  private disposeSpare(): void {
    const spare = this.spare;
    if (!spare) return;
    this.spare = undefined;
    if (spare.idleTimer) clearTimeout(spare.idleTimer);
    this.retire(spare.worker);
  }

  private call(
    request: DistributiveOmit<WorkerRequest, 'id'>,
    what: string,
    options: CallOptions = {},
    onProgress?: (done: number, total: number) => void,
  ): Promise<WorkerResult> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('ranker worker is not running'));
    const id = this.nextId++;
    const full = { ...request, id } as WorkerRequest;
    const { signal, dispose } = callSignal(options, what);
    return new Promise<WorkerResult>((resolve, reject) => {
      const onAbort = () => {
        const pending = this.pending.get(id);
        if (!pending) return;
        this.pending.delete(id);
        dispose();
        reject(abortReason(signal, what));
        if (pending.sentTo !== undefined && pending.sentTo === this.worker) this.stopInWorker(id);
      };
      this.pending.set(id, {
        request: full,
        sentTo: worker,
        resolve: (r) => (dispose(), signal?.removeEventListener('abort', onAbort), resolve(r)),
        reject: (e) => (dispose(), signal?.removeEventListener('abort', onAbort), reject(e)),
        onProgress,
      });
      worker.postMessage(full);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Asks the worker to drop request `id`. If it has not answered 'cancelled' within cancelGraceMs (it is
   * inside an onnxruntime call that cannot be cut), falls back to the spare (fallBack).
   */
  private stopInWorker(id: number): void {
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage({ id: this.nextId++, type: 'cancel', target: id } satisfies WorkerRequest);
    const grace = this.workerOptions.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
    if (!Number.isFinite(grace)) {
      this.cancelling.set(id, undefined);
      return;
    }
    const timer = setTimeout(() => {
      if (this.cancelling.has(id)) this.cancelling.set(id, undefined);
      this.fallBack(worker);
    }, grace);
    timer.unref();
    this.cancelling.set(id, timer);
  }

  /**
   * The worker is still inside a call after a cancel: a loaded spare takes over now; a loading one (or a
   * fresh one, started now if there is none) takes over when it has loaded, unless the worker has
   * answered every cancel by then and serves the next call itself.
   */
  private fallBack(worker: Worker): void {
    if (this.worker !== worker || this.disposed || this.cancelling.size === 0) return;
    this.ensureSpare(true);
    const spare = this.spare;
    if (!spare) return;
    if (spare.loaded) {
      this.replaceWorker(worker);
      return;
    }
    spare.ready.then(
      () => {
        if (this.worker === worker && this.cancelling.size > 0) this.replaceWorker(worker);
        else this.armSpareIdleTimer();
      },
      () => undefined,
    );
  }

  /**
   * Retires a worker that is busy with a cancelled request and starts a fresh one at once. Its other
   * pending requests are sent again to the fresh worker; nothing the caller still waits for is lost.
   * (The old thread exits as soon as onnxruntime returns from its current batch; it answers no one.)
   */
  private replaceWorker(worker: Worker): void {
    if (this.worker !== worker || this.disposed) return;
    this.forcedRestarts++;
    for (const timer of this.cancelling.values()) if (timer) clearTimeout(timer);
    this.cancelling.clear();
    this.worker = undefined;
    this.ready = undefined;
    this.retire(worker);
    const waiting = [...this.pending.values()];
    for (const pending of waiting) pending.sentTo = undefined;
    const loads = waiting.filter((p) => p.request.type === 'load');
    for (const load of loads) this.pending.delete(load.request.id);
    const ready = this.started();
    const fresh = this.worker as Worker | undefined;
    for (const load of loads) ready.then(load.resolve, load.reject);
    ready.then(
      () => {
        for (const pending of waiting) {
          // Still waiting (not cancelled meanwhile) and the fresh worker is still the current one.
          if (pending.request.type === 'load' || this.pending.get(pending.request.id) !== pending) continue;
          if (!fresh || this.worker !== fresh) continue;
          pending.sentTo = fresh;
          fresh.postMessage(pending.request);
        }
      },
      (error: Error) => {
        for (const pending of waiting) {
          if (this.pending.get(pending.request.id) !== pending) continue;
          this.pending.delete(pending.request.id);
          pending.reject(error);
        }
      },
    );
  }

  private receive(message: WorkerResponse): void {
    if (this.cancelling.has(message.id)) {
      // The cancelled request has stopped (its final answer is ignored): the worker is free again.
      if (message.type !== 'progress') {
        const timer = this.cancelling.get(message.id);
        if (timer) clearTimeout(timer);
        this.cancelling.delete(message.id);
      }
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress?.(message.done, message.total);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.result);
    else if (message.type === 'cancelled')
      pending.reject(new CancelledError('the request to the ranker worker'));
    else {
      const error = new Error(message.error.message);
      error.name = message.error.name;
      pending.reject(error);
    }
  }

  private lost(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.ready = undefined;
    for (const timer of this.cancelling.values()) if (timer) clearTimeout(timer);
    this.cancelling.clear();
    const error = new Error(`ranker worker stopped (${reason}); the next call starts a fresh worker`);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** A Map that says when its size may have changed. */
class ObservedMap<K, V> extends Map<K, V> {
  constructor(private readonly changed: () => void) {
    super();
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    this.changed?.();
    return this;
  }

  override delete(key: K): boolean {
    const deleted = super.delete(key);
    if (deleted) this.changed();
    return deleted;
  }

  override clear(): void {
    super.clear();
    this.changed();
  }
}

function unpackAttribution(packed: PackedAttribution): AttributionResult {
  const width = packed.result.tokens.length;
  return {
    ...packed.result,
    layers: packed.result.layers.map((entry, i) => ({
      ...entry,
      attributions: Array.from(packed.attributions.subarray(i * width, (i + 1) * width)),
    })),
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Only the fields the worker needs, as structured-clone-friendly values. */
function plainPair(pair: PairInput): PairInput {
  return {
    inputIds: Int32Array.from(pair.inputIds),
    tokenTypeIds: pair.tokenTypeIds ? Int32Array.from(pair.tokenTypeIds) : undefined,
    attentionMask: pair.attentionMask ? Int32Array.from(pair.attentionMask) : undefined,
    tokens: pair.tokens ? pair.tokens.map((t) => ({ ...t })) : undefined,
  };
}
