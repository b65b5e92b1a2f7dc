import type { Worker } from 'node:worker_threads';
import { CancelledError } from '../core/progress';
import type { ModelInfo } from '../core/runtime/types';
import { namedError, readEnvelope, type Envelope } from '../protocol/endpoint';
import {
  workerProtocol,
  type WorkerParams,
  type WorkerRequestName,
  type WorkerResult,
} from '../protocol/worker';

/** A second worker loading (or holding) the same model, ready to replace a retired one. */
export interface Spare {
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

/** What the warm spare needs of its pool. */
export interface SpareHost {
  /** A new worker thread (its messages reach the pool only once it is the active worker). */
  spawn(): Worker;
  /** Tells a worker to end itself after its current batch. */
  retire(worker: Worker): void;
  /** A request id, unique across the pool's workers. */
  nextId(): number;
  /** The model load request's params. */
  readonly load: WorkerParams<'load'>;
  /** How long an unused spare is kept (WorkerPoolOptions.spareIdleMs); 0: none beside long calls. */
  readonly idleMs: number;
}

/**
 * The warm spare of a WorkerPool: a worker that loads the same model beside long calls, so that a cancel
 * which must retire the busy worker hands the next call to a loaded one. Once the user has attributed, the
 * spare loads the gradient model too, so the first attribution after a swap pays no load either.
 */
export class WarmSpare {
  private spare: Spare | undefined;
  /** The gradient batch size of the last attribution, once there was one (spares preload it). */
  private gradientsUsed: { readonly batchSize?: number } | undefined;

  constructor(private readonly host: SpareHost) {}

  /** The spare, if there is one (loading or loaded). */
  get current(): Spare | undefined {
    return this.spare;
  }

  /** 'none', 'loading' or 'ready'. */
  get state(): 'none' | 'loading' | 'ready' {
    if (!this.spare) return 'none';
    return this.spare.loaded ? 'ready' : 'loading';
  }

  /** From now on spares load the gradient model too, with this batch size. */
  useGradients(batchSize: number | undefined): void {
    this.gradientsUsed = { batchSize };
  }

  /** Starts a spare beside a long call (unless idleMs is 0), or as a fallback replacement (`needed`). */
  ensure(needed = false): void {
    if (this.host.idleMs <= 0 && !needed) return;
    if (this.spare) {
      if (this.spare.idleTimer) clearTimeout(this.spare.idleTimer);
      this.spare.idleTimer = undefined;
      this.warmGradients(this.spare);
      return;
    }
    const worker = this.host.spawn();
    const ready = this.request(worker, 'load', this.host.load);
    const spare: Spare = { worker, ready, loaded: false };
    this.spare = spare;
    // A spare that dies before it is promoted is dropped like any crashed worker; the next long call starts another.
    worker.once('exit', () => {
      if (this.spare === spare) this.dispose();
    });
    ready.then(
      () => {
        spare.loaded = true;
      },
      () => {
        if (this.spare === spare) this.dispose();
      },
    );
    this.warmGradients(spare);
  }

  /** Hands the spare over (it becomes the pool's active worker); undefined when there is none. */
  take(): Spare | undefined {
    const spare = this.spare;
    if (!spare) return undefined;
    this.spare = undefined;
    if (spare.idleTimer) clearTimeout(spare.idleTimer);
    return spare;
  }

  /** Drops the spare after idleMs unless a long call asks for it again (ensure) meanwhile. */
  armIdleTimer(): void {
    const spare = this.spare;
    if (!spare) return;
    if (spare.idleTimer) clearTimeout(spare.idleTimer);
    spare.idleTimer = setTimeout(() => {
      if (this.spare === spare) this.dispose();
    }, this.host.idleMs);
    spare.idleTimer.unref();
  }

  /** Retires the spare, if any. */
  dispose(): void {
    const spare = this.take();
    if (spare) this.host.retire(spare.worker);
  }

  /** Resolves when the current spare has loaded its model (false when there is none or it failed). */
  async whenReady(): Promise<boolean> {
    const spare = this.spare;
    if (!spare) return false;
    return spare.ready.then(
      () => this.spare === spare,
      () => false,
    );
  }

  /** Resolves when the current spare has loaded its model and, if it was asked to, the gradient model. */
  async whenWarm(): Promise<boolean> {
    const spare = this.spare;
    if (!(await this.whenReady())) return false;
    await spare?.gradients;
    return this.spare === spare;
  }

  /**
   * Once the user has run an attribution, a spare loads the gradient model too (after its ranker), so the
   * first attribution after a cancel pays no load; users who never attribute never pay its memory.
   */
  private warmGradients(spare: Spare): void {
    const used = this.gradientsUsed;
    if (!used || spare.gradients) return;
    spare.gradients = spare.ready.then(
      async () => {
        // Promoted or dropped meanwhile: the worker loads it on its first attribution, as any worker does.
        if (this.spare !== spare) return;
        await this.request(spare.worker, 'warmGradients', { batchSize: used.batchSize }).catch(
          () => undefined,
        );
      },
      () => undefined,
    );
  }

  /**
   * Sends request `name` to the spare (not the pool's active worker, so its answers are read here) and
   * settles with its answer, a CancelledError if the worker notifies it 'cancelled', or an error if the
   * worker exits first.
   */
  private request<N extends WorkerRequestName>(
    worker: Worker,
    name: N,
    params: WorkerParams<N>,
  ): Promise<WorkerResult<N>> {
    const id = this.host.nextId();
    return new Promise((resolve, reject) => {
      const onMessage = (raw: unknown) => {
        const message = readEnvelope(raw);
        if (message.rl === 'notify') {
          if (message.name !== 'cancelled' || workerProtocol.toHost.cancelled(message.body, name).id !== id)
            return;
          reject(new CancelledError(`${name} in the spare`));
        } else if (message.rl === 'response' && message.id === id) {
          if (message.ok)
            resolve(workerProtocol.viewRequests[name].result(message.result, name) as WorkerResult<N>);
          else reject(namedError(message.error, message.errorName));
        } else return;
        worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('exit', (code) =>
        reject(new Error(`ranker worker stopped (worker exited with code ${code})`)),
      );
      worker.postMessage({ rl: 'request', id, name, params } satisfies Envelope);
    });
  }
}
