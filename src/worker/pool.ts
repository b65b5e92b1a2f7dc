import type { ResourceLimits, Worker } from 'node:worker_threads';
import { abortReason, callSignal, CancelledError } from '../core/progress';
import type { CallOptions, ModelInfo, RankerOptions } from '../core/runtime/types';
import { namedError, readEnvelope, type Envelope, type NotificationBody } from '../protocol/endpoint';
import {
  workerProtocol,
  type WorkerParams,
  type WorkerProtocol,
  type WorkerRequestName,
  type WorkerResult,
} from '../protocol/worker';
import { ObservedMap } from './observedMap';
import { defaultWorkerPath, spawnWorker } from './spawn';
import { WarmSpare } from './spare';

export interface WorkerPoolOptions {
  /**
   * The bundled worker entry (src/worker/entry.ts built as its own esbuild entry). Default: ranker-worker.js
   * beside this module's bundle, or entry.ts when running from source.
   */
  readonly workerPath?: string;
  readonly resourceLimits?: ResourceLimits;
  /**
   * After a cancel, how long to wait for the worker to notify 'cancelled' (it does between two onnxruntime
   * runs, which the Ranker keeps short: RankerOptions.maxRunFlops) before falling back to replacing it by a
   * loaded spare. Default DEFAULT_CANCEL_GRACE_MS; Infinity: never replace; 0: fall back at once.
   */
  readonly cancelGraceMs?: number;
  /**
   * Warm spare: when a long call starts (several pairs, analyses, masked depths, attention sums), a second
   * worker loads the same model with the same options in the background, so that a cancel that must retire
   * the busy worker hands the next call to an already loaded worker instead of waiting for a model load. It
   * costs a second copy of the model in memory (the weights plus the onnxruntime sessions), and it loads
   * while the long call runs, sharing its cores. Disposed after this many milliseconds without a long call,
   * and with the pool. Default DEFAULT_SPARE_IDLE_MS; 0: no spare (a cancel that retires the worker then
   * waits for a fresh model load).
   */
  readonly spareIdleMs?: number;
}

/** How long an unused warm spare is kept after the last long call ended (WorkerPoolOptions.spareIdleMs). */
export const DEFAULT_SPARE_IDLE_MS = 60_000;

/**
 * How long a cancelled request may keep the worker from notifying 'cancelled' before a loaded spare takes
 * over. onnxruntime-node runs each call synchronously on the worker's thread, so the worker reads the
 * cancel only when the call in progress returns; the Ranker sizes its calls to about 0.1-0.2 s
 * (RankerOptions.maxRunFlops), so this is reached only by a call that cannot be cut: one long pair of a
 * large model, a session being created.
 */
export const DEFAULT_CANCEL_GRACE_MS = 300;

/**
 * dispose() waits at most this long for workers to finish the onnxruntime call they are in and exit. A
 * worker is never terminated from outside while onnxruntime runs on its thread: the native call returns
 * into a torn-down environment and aborts the whole process.
 */
const RETIRE_WAIT_MS = 30_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

interface Pending {
  readonly id: number;
  readonly name: WorkerRequestName;
  /** Kept so the request can be sent again to a fresh worker after a forced restart. */
  readonly params: unknown;
  /** The worker that has the request; undefined while it waits for a fresh worker. */
  sentTo: Worker | undefined;
  resolve(result: unknown): void;
  reject(error: Error): void;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The worker threads that run one model: the active worker, a warm spare beside long calls, and retired
 * workers finishing their last onnxruntime call. Requests are workerProtocol's, answered with typed,
 * validated results. If the worker dies (native crash, out of memory), pending calls fail with an error and
 * the next call starts a fresh worker and reloads the model.
 *
 * Cancelling (signal or timeoutMs) rejects the call at once and tells the worker, which notifies
 * 'cancelled' as soon as its current onnxruntime call returns and serves the next request with its model
 * still loaded. Only if that has not come within cancelGraceMs (a call that cannot be cut) does a loaded
 * warm spare take over: the busy worker is retired (it releases its model and ends itself once its call
 * returns) and calls queued behind the cancelled one go to the spare. If the spare is still loading,
 * whichever comes first serves the next call: the busy worker's answer or the spare's load.
 */
export class WorkerPool {
  private worker: Worker | undefined;
  private ready: Promise<ModelInfo> | undefined;
  /** Requests waiting for an answer; every change is reported to onBusyChange listeners. */
  private readonly pending = new ObservedMap<number, Pending>(() => this.busyChanged());
  private readonly busyListeners = new Set<(pending: number) => void>();
  /**
   * Cancelled requests the worker has not notified 'cancelled' yet, with the timer that falls back to a
   * spare (undefined once it has fired).
   */
  private readonly cancelling = new Map<number, ReturnType<typeof setTimeout> | undefined>();
  /** Replaced workers finishing their current batch before they exit. */
  private readonly retiring = new Map<Worker, Promise<void>>();
  private nextId = 1;
  private disposed = false;
  private lastInfo: ModelInfo | undefined;
  private readonly spares: WarmSpare;
  /** Long calls in flight; the spare's idle timer runs only while there are none. */
  private longCalls = 0;
  /** How often a worker was replaced because a cancelled request kept it busy. */
  protected forcedRestarts = 0;
  /** How many times a retired or lost worker was replaced by the warm spare. */
  protected spareSwaps = 0;

  constructor(
    private readonly dir: string,
    private readonly options: Omit<RankerOptions, 'signal'>,
    private readonly poolOptions: WorkerPoolOptions = {},
  ) {
    this.spares = new WarmSpare({
      spawn: () => this.spawn(),
      retire: (worker) => this.retire(worker),
      nextId: () => this.nextId++,
      load: { dir, options },
      idleMs: poolOptions.spareIdleMs ?? DEFAULT_SPARE_IDLE_MS,
    });
  }

  /** The loaded model (as of the last successful load). */
  get info(): ModelInfo {
    if (!this.lastInfo) throw new Error('model not loaded');
    return this.lastInfo;
  }

  /** Requests in flight (loading included). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Called with the number of requests in flight whenever it changes; returns the unsubscribe. */
  onBusyChange(listener: (pending: number) => void): () => void {
    this.busyListeners.add(listener);
    return () => this.busyListeners.delete(listener);
  }

  /** From now on spares load the gradient model too, with this batch size (the user has attributed). */
  useGradients(batchSize: number | undefined): void {
    this.spares.useGradients(batchSize);
  }

  /** The active worker, spawned and loading the model if there is none. */
  started(): Promise<ModelInfo> {
    if (this.disposed) return Promise.reject(new Error('this RankerWorkerClient has been disposed'));
    if (this.worker && this.ready) return this.ready;
    const spare = this.spares.take();
    if (spare) {
      // The spare has loaded (or is loading) the same model with the same options: no load to wait for.
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
    const worker = this.spawn();
    this.worker = worker;
    const ready = this.request('load', { dir: this.dir, options: this.options }, 'loading the model').then(
      (info) => {
        this.lastInfo = info;
        return info;
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

  /** Sends request `name` to the active worker; its result comes back checked by the protocol. */
  request<N extends WorkerRequestName>(
    name: N,
    params: WorkerParams<N>,
    what: string,
    options: CallOptions = {},
    onProgress?: (done: number, total: number) => void,
  ): Promise<WorkerResult<N>> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('ranker worker is not running'));
    const id = this.nextId++;
    const { signal, dispose } = callSignal(options, what);
    return new Promise<WorkerResult<N>>((resolve, reject) => {
      const onAbort = () => {
        const pending = this.pending.get(id);
        if (!pending) return;
        this.pending.delete(id);
        dispose();
        reject(abortReason(signal, what));
        if (pending.sentTo !== undefined && pending.sentTo === this.worker) this.stopInWorker(id);
      };
      const pending: Pending = {
        id,
        name,
        params,
        sentTo: worker,
        resolve: (r) => (
          dispose(),
          signal?.removeEventListener('abort', onAbort),
          resolve(r as WorkerResult<N>)
        ),
        reject: (e) => (dispose(), signal?.removeEventListener('abort', onAbort), reject(e)),
        onProgress,
      };
      this.pending.set(id, pending);
      this.send(worker, pending);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs a long call with a warm spare loading beside it (WorkerPoolOptions.spareIdleMs). */
  async long<T>(call: () => Promise<T>): Promise<T> {
    this.longCalls++;
    if (!this.disposed) this.spares.ensure();
    try {
      return await call();
    } finally {
      this.longCalls--;
      if (this.longCalls === 0) this.spares.armIdleTimer();
    }
  }

  /** Stops every request in flight but a model load (each fails with `reason`); the model stays loaded. */
  cancelAll(reason: Error = new Error('cancelled')): void {
    for (const [id, pending] of [...this.pending]) {
      if (pending.name === 'load') continue;
      this.pending.delete(id);
      pending.reject(reason);
      if (pending.sentTo !== undefined && pending.sentTo === this.worker) this.stopInWorker(id);
    }
  }

  /**
   * Rejects what is pending, and retires the workers: each releases the model and exits once its current
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
    this.spares.dispose();
    await Promise.race([Promise.all([...this.retiring.values()]), delay(RETIRE_WAIT_MS)]);
  }

  /** The worker that serves requests now (undefined between a loss and the next call). */
  protected get activeWorker(): Worker | undefined {
    return this.worker;
  }

  /** 'none', 'loading' or 'ready': the warm spare's state. */
  protected get spareState(): 'none' | 'loading' | 'ready' {
    return this.spares.state;
  }

  /** Resolves when the current spare has loaded its model (false when there is none or it failed). */
  protected whenSpareReady(): Promise<boolean> {
    return this.spares.whenReady();
  }

  /** Resolves when the current spare has loaded its model and, if it was asked to, the gradient model. */
  protected whenSpareWarm(): Promise<boolean> {
    return this.spares.whenWarm();
  }

  private busyChanged(): void {
    const n = this.pending.size;
    for (const listener of this.busyListeners) listener(n);
  }

  private send(worker: Worker, pending: Pending): void {
    worker.postMessage({
      rl: 'request',
      id: pending.id,
      name: pending.name,
      params: pending.params,
    } satisfies Envelope);
  }

  private notify<N extends keyof WorkerProtocol['toView'] & string>(
    worker: Worker,
    name: N,
    body: NotificationBody<WorkerProtocol, 'view', N>,
  ): void {
    worker.postMessage({ rl: 'notify', name, body } satisfies Envelope);
  }

  /** Tells a worker to end itself after its current batch; dispose() waits for it. */
  private retire(worker: Worker): void {
    if (this.retiring.has(worker)) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.retiring.set(worker, exited);
    void exited.then(() => this.retiring.delete(worker));
    this.notify(worker, 'retire', {});
  }

  /** A worker whose messages reach receive() while it is the active one, and whose death lost() handles. */
  private spawn(): Worker {
    const worker = spawnWorker(
      this.poolOptions.workerPath ?? defaultWorkerPath(),
      this.poolOptions.resourceLimits,
    );
    worker.on('message', (message: unknown) => {
      if (this.worker === worker) this.receive(message);
    });
    worker.on('error', (error) => this.lost(worker, `worker error: ${error.message}`));
    worker.on('exit', (code) => this.lost(worker, `worker exited with code ${code}`));
    return worker;
  }

  /**
   * Asks the worker to drop request `id`. If it has not notified 'cancelled' within cancelGraceMs (it is
   * inside an onnxruntime call that cannot be cut), falls back to the spare (fallBack).
   */
  private stopInWorker(id: number): void {
    const worker = this.worker;
    if (!worker) return;
    this.notify(worker, 'cancel', { target: id });
    const grace = this.poolOptions.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
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
    this.spares.ensure(true);
    const spare = this.spares.current;
    if (!spare) return;
    if (spare.loaded) {
      this.replaceWorker(worker);
      return;
    }
    spare.ready.then(
      () => {
        if (this.worker === worker && this.cancelling.size > 0) this.replaceWorker(worker);
        else if (this.longCalls === 0) this.spares.armIdleTimer();
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
    const loads = waiting.filter((p) => p.name === 'load');
    for (const load of loads) this.pending.delete(load.id);
    const ready = this.started();
    const fresh = this.worker as Worker | undefined;
    for (const load of loads) ready.then(load.resolve, load.reject);
    ready.then(
      () => {
        for (const pending of waiting) {
          // Still waiting (not cancelled meanwhile) and the fresh worker is still the current one.
          if (pending.name === 'load' || this.pending.get(pending.id) !== pending) continue;
          if (!fresh || this.worker !== fresh) continue;
          pending.sentTo = fresh;
          this.send(fresh, pending);
        }
      },
      (error: Error) => {
        for (const pending of waiting) {
          if (this.pending.get(pending.id) !== pending) continue;
          this.pending.delete(pending.id);
          pending.reject(error);
        }
      },
    );
  }

  /** A message from the active worker: progress, a 'cancelled' notification or an answer. */
  private receive(raw: unknown): void {
    const message = readEnvelope(raw);
    if (message.rl === 'request') return;
    if (message.rl === 'notify') {
      if (message.name === 'progress') {
        const { id, done, total } = workerProtocol.toHost.progress(message.body, 'progress');
        if (!this.cancelling.has(id)) this.pending.get(id)?.onProgress?.(done, total);
      } else if (message.name === 'cancelled') {
        const { id } = workerProtocol.toHost.cancelled(message.body, 'cancelled');
        if (this.stoppedInWorker(id)) return;
        const pending = this.pending.get(id);
        if (!pending) return;
        this.pending.delete(id);
        pending.reject(new CancelledError('the request to the ranker worker'));
      }
      return;
    }
    // A cancelled request answered before the worker read the cancel: the worker is free again.
    if (this.stoppedInWorker(message.id)) return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (!message.ok) {
      pending.reject(namedError(message.error, message.errorName));
      return;
    }
    try {
      pending.resolve(
        workerProtocol.viewRequests[pending.name].result(message.result, `${pending.name} result`),
      );
    } catch (error) {
      pending.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Whether `id` was a cancelled request the worker had still to end; it has now (its timer is cleared). */
  private stoppedInWorker(id: number): boolean {
    if (!this.cancelling.has(id)) return false;
    const timer = this.cancelling.get(id);
    if (timer) clearTimeout(timer);
    this.cancelling.delete(id);
    return true;
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
