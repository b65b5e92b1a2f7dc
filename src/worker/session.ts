import { BertGradientModel } from '../core/bert/gradientModel';
import { Ranker } from '../core/runtime/ranker';
import type { RankerOptions } from '../core/runtime/types';
import { loadTokenizer } from '../core/text';

/** A stopped request's outcome: it was notified 'cancelled' already, so it is not answered. */
export const STOPPED = Symbol('stopped');

/**
 * What one worker thread holds: its Ranker, the gradient model for attributions (loaded on first use), and
 * the requests a 'cancel' can stop. `notify` sends the worker's notifications (progress, cancelled).
 */
export class WorkerSession {
  private ranker: Ranker | undefined;
  private loadedFrom: { readonly dir: string; readonly options: RankerOptions } | undefined;
  /**
   * The gradient model, loaded on first use (it costs as much memory as the ranker). `stop` aborts the load
   * of the request that started it (undefined for a warm-up, which nothing cancels).
   */
  private gradients:
    { model: Promise<BertGradientModel>; padId: number; batchSize?: number; stop?: AbortSignal } | undefined;
  /** Requests that a 'cancel' can stop, and the promises of their runs (an unload waits for them). */
  private readonly cancellers = new Map<number, AbortController>();
  private readonly running = new Set<Promise<unknown>>();
  /** Stopped requests whose late answer is still to be dropped. */
  private readonly stopped = new Set<number>();

  constructor(
    private readonly notify: {
      progress(id: number, done: number, total: number): void;
      cancelled(id: number): void;
    },
  ) {}

  async load(dir: string, options: RankerOptions): Promise<Ranker> {
    await this.unload();
    this.ranker = await Ranker.load(dir, options);
    this.loadedFrom = { dir, options };
    return this.ranker;
  }

  loaded(): Ranker {
    if (!this.ranker) throw new Error('no model loaded in the ranker worker');
    return this.ranker;
  }

  /**
   * The gradient model, loading it if needed. A load started here stops when `signal` aborts (a cancelled
   * attribution leaves nothing behind); a request that was waiting on another request's stopped load starts
   * its own.
   */
  async gradientModel(
    batchSize?: number,
    signal?: AbortSignal,
  ): Promise<{ model: BertGradientModel; padId: number }> {
    for (;;) {
      if (!this.loadedFrom) throw new Error('no model loaded in the ranker worker');
      const { dir, options } = this.loadedFrom;
      if (this.gradients && this.gradients.batchSize !== batchSize) {
        // Another request (a stopped attribution finishing its batch) may still be running on the old model.
        await Promise.allSettled([...this.running]);
        if (this.gradients && this.gradients.batchSize !== batchSize) await this.disposeGradients();
      }
      if (!this.gradients) {
        const padId = loadTokenizer(dir).padId;
        if (padId === undefined)
          throw new Error(`${dir}: the vocabulary has no [PAD] token (IG baselines need it)`);
        const model = BertGradientModel.load(dir, {
          threads: options.threads,
          spinning: options.spinning,
          batchSize,
          signal,
        });
        this.gradients = { model, padId, batchSize, stop: signal };
        model.catch(() => {
          if (this.gradients?.model === model) this.gradients = undefined;
        });
      }
      const current = this.gradients;
      try {
        return { model: await current.model, padId: current.padId };
      } catch (error) {
        const stoppedByAnother = current.stop?.aborted && current.stop !== signal && !signal?.aborted;
        if (!stoppedByAnother) throw error;
      }
    }
  }

  /**
   * Runs request `id` so that a 'cancel' (or an unload) can stop it; progress is notified under its id. A
   * stopped request was notified 'cancelled' already: its late result or error becomes STOPPED.
   */
  async cancellable<T>(
    id: number,
    run: (signal: AbortSignal, onProgress: (done: number, total: number) => void) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    this.cancellers.set(id, controller);
    const progress = (done: number, total: number) => {
      if (!controller.signal.aborted) this.notify.progress(id, done, total);
    };
    // Called through an async function, so that a synchronous throw (no model loaded) is a rejection too.
    const outcome = (async () => run(controller.signal, progress))();
    this.running.add(outcome);
    let result: T;
    try {
      result = await outcome;
    } catch (error) {
      throw controller.signal.aborted ? STOPPED : error;
    } finally {
      this.running.delete(outcome);
      this.cancellers.delete(id);
    }
    if (controller.signal.aborted) throw STOPPED;
    return result;
  }

  /**
   * Notifies request `id` 'cancelled' now and aborts its signal. This is read between two onnxruntime runs,
   * so the worker is free for the next request at once; the stopped call ends at its next batch (its
   * remaining runs, at most a batch's, interleave with the next request's).
   */
  stop(id: number): void {
    const controller = this.cancellers.get(id);
    if (!controller) return;
    this.cancellers.delete(id);
    this.stopped.add(id);
    controller.abort(new Error('cancelled'));
    this.notify.cancelled(id);
  }

  /** Whether the answer to request `id` is to be dropped (it was stopped); true only once. */
  takeStopped(id: number): boolean {
    return this.stopped.delete(id);
  }

  /** Stops every request, waits until none is inside onnxruntime any more, and releases the models. */
  async unload(): Promise<void> {
    for (const id of [...this.cancellers.keys()]) this.stop(id);
    await Promise.allSettled([...this.running]);
    await this.ranker?.dispose();
    await this.disposeGradients();
    this.ranker = undefined;
    this.loadedFrom = undefined;
  }

  private async disposeGradients(): Promise<void> {
    const old = this.gradients;
    this.gradients = undefined;
    await old?.model.then((m) => m.dispose()).catch(() => undefined);
  }
}
