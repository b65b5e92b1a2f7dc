import type { AnalysisRunRequest } from '../core/analysis/runRequest';
import type { ResultFile } from '../core/analysis/runner';
import type { AttributionResult, PairAttributionOptions } from '../core/attribution';
import { abortReason, callSignal } from '../core/progress';
import type { AttentionSums } from '../core/runtime/attentionKinds';
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
} from '../core/runtime/types';
import type { AttributionPair, PackedAttribution } from '../protocol/worker';
import { WorkerPool, type WorkerPoolOptions } from './pool';

export { DEFAULT_CANCEL_GRACE_MS, DEFAULT_SPARE_IDLE_MS } from './pool';
export { defaultWorkerPath } from './spawn';
export type WorkerClientOptions = WorkerPoolOptions;

type Progress = { readonly onProgress?: (done: number, total: number) => void };

/**
 * The Ranker API run in a worker thread (a WorkerPool), so inference never blocks the caller's event loop:
 * each method is one typed request of workerProtocol. Long calls (several pairs, analyses, masked depths,
 * attention sums) start a warm spare beside them; an attribution does not, its gradient runs are all short.
 */
export class RankerWorkerClient implements Scorer {
  protected constructor(protected readonly pool: WorkerPool) {}

  /** Starts the worker and loads the model; options.signal cancels the load (the worker is retired). */
  static load(
    checkpointDir: string,
    options: RankerOptions & { readonly timeoutMs?: number } = {},
    workerOptions: WorkerClientOptions = {},
  ): Promise<RankerWorkerClient> {
    const { signal, timeoutMs, ...kept } = options;
    const pool = new WorkerPool(checkpointDir, kept, workerOptions);
    return RankerWorkerClient.whenLoaded(new RankerWorkerClient(pool), { signal, timeoutMs });
  }

  /** Resolves with `client` once its pool has loaded the model; a cancelled or failed load disposes it. */
  protected static async whenLoaded<T extends RankerWorkerClient>(
    client: T,
    options: CallOptions,
  ): Promise<T> {
    options.signal?.throwIfAborted();
    const call = callSignal(options, 'loading the model');
    const aborted = new Promise<never>((_, reject) => {
      call.signal?.addEventListener('abort', () => reject(abortReason(call.signal, 'loading the model')), {
        once: true,
      });
    });
    try {
      await Promise.race([client.pool.started(), aborted]);
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
    return this.pool.info;
  }

  async score(pairs: readonly PairInput[], options: ScoreOptions = {}): Promise<ScoreResult[]> {
    const { signal, timeoutMs, onProgress, ...rest } = options;
    signal?.throwIfAborted();
    const params = { pairs: pairs.map(plainPair), options: rest };
    const call = () => this.pool.request('score', params, 'scoring', { signal, timeoutMs }, onProgress);
    if (pairs.length > 1) return this.long(call);
    await this.pool.started();
    return call();
  }

  async attentionSums(pairs: readonly PairInput[], options: ScoreOptions = {}): Promise<AttentionSums[]> {
    const { signal, timeoutMs, onProgress, ...rest } = options;
    signal?.throwIfAborted();
    return this.long(async () => {
      const params = { pairs: pairs.map(plainPair), options: rest };
      return this.pool.request('attentionSums', params, 'attention sums', { signal, timeoutMs }, onProgress);
    });
  }

  /**
   * Runs a whole dataset analysis in the worker (pair sets, chunk cache, map, finish) and returns its result
   * file; progress is reported in pairs; an aborted signal stops it at the next batch (finished chunks stay
   * cached, so running it again resumes).
   */
  async runAnalysis(request: AnalysisRunRequest, options: CallOptions & Progress = {}): Promise<ResultFile> {
    const { signal, timeoutMs, onProgress } = options;
    signal?.throwIfAborted();
    return this.long(() =>
      this.pool.request(
        'runAnalysis',
        { request },
        `the ${request.name} analysis`,
        { signal, timeoutMs },
        onProgress,
      ),
    );
  }

  async scoreByMaskDepth(
    pairs: readonly PairInput[],
    masks: readonly MaskSpec[],
    options: ScoreOptions & { readonly fromDepth?: number } = {},
  ): Promise<number[][]> {
    const { signal, timeoutMs, onProgress, batchSize, fromDepth } = options;
    signal?.throwIfAborted();
    return this.long(() => {
      const params = { pairs: pairs.map(plainPair), masks, options: { batchSize, fromDepth } };
      return this.pool.request('maskDepths', params, 'masked scoring', { signal, timeoutMs }, onProgress);
    });
  }

  async inspect(pair: PairInput, options: InspectOptions = {}): Promise<InspectResult> {
    const { signal, timeoutMs, ...rest } = options;
    signal?.throwIfAborted();
    await this.pool.started();
    return this.pool.request('inspect', { pair: plainPair(pair), options: rest }, 'inspecting', {
      signal,
      timeoutMs,
    });
  }

  /**
   * Layer-wise Integrated Gradients of one encoded pair (src/core/attribution). The
   * worker loads a gradient model for the same checkpoint on the first call and keeps it. Progress is
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
    // from it.
    this.pool.useGradients(rest.batchSize);
    await this.pool.started();
    const params = {
      pair: {
        inputIds: Int32Array.from(pair.inputIds),
        tokenTypeIds: Int32Array.from(pair.tokenTypeIds),
        attentionMask: Int32Array.from(pair.attentionMask),
        tokens: pair.tokens.map((t) => ({ ...t })),
      },
      options: rest,
    };
    const packed = await this.pool.request(
      'attribute',
      params,
      'attribution',
      { signal, timeoutMs },
      onProgress,
    );
    return unpackAttribution(packed);
  }

  /** Requests in flight (loading included); a status bar shows a busy indicator while it is above 0. */
  get pendingCount(): number {
    return this.pool.pendingCount;
  }

  /** Called with the number of requests in flight whenever it changes; returns the unsubscribe. */
  onBusyChange(listener: (pending: number) => void): () => void {
    return this.pool.onBusyChange(listener);
  }

  /** Stops every request in flight but a model load (each fails with `reason`); the model stays loaded. */
  cancelAll(reason: Error = new Error('cancelled')): void {
    this.pool.cancelAll(reason);
  }

  /** Rejects what is pending and retires the workers (see WorkerPool.dispose). */
  dispose(): Promise<void> {
    return this.pool.dispose();
  }

  /** A long call: the pool starts a warm spare beside it once the model is loaded. */
  private long<T>(call: () => Promise<T>): Promise<T> {
    return this.pool.long(async () => {
      await this.pool.started();
      return call();
    });
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

/** Only the fields the worker needs, as structured-clone-friendly values. */
function plainPair(pair: PairInput): PairInput {
  return {
    inputIds: Int32Array.from(pair.inputIds),
    tokenTypeIds: pair.tokenTypeIds ? Int32Array.from(pair.tokenTypeIds) : undefined,
    attentionMask: pair.attentionMask ? Int32Array.from(pair.attentionMask) : undefined,
    tokens: pair.tokens ? pair.tokens.map((t) => ({ ...t })) : undefined,
  };
}
