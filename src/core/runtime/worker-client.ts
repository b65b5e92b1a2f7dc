import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { AttributionResult } from '../analysis/integratedGradients';
import type { AttentionSums } from './attentionKinds';
import type {
  AttributionPair,
  PackedAttribution,
  WorkerAttributionOptions,
  WorkerRequest,
  WorkerResponse,
  WorkerResult,
} from './worker-protocol';
import type {
  InspectResult,
  MaskOptions,
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
}

/** Worker entry to use when none is given (see WorkerClientOptions.workerPath). */
export function defaultWorkerPath(): string {
  const source = path.join(__dirname, 'worker-entry.ts');
  if (fs.existsSync(source)) return source;
  return path.join(__dirname, 'ranker-worker.js');
}

interface Pending {
  resolve(result: WorkerResult): void;
  reject(error: Error): void;
  onProgress?: (done: number, total: number) => void;
}

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

/**
 * The Ranker API run in a worker thread, so inference never blocks the caller's event loop. If the
 * worker dies (native crash, out of memory), pending calls fail with an error and the next call starts a
 * fresh worker and reloads the model.
 */
export class RankerWorkerClient implements Scorer {
  private worker: Worker | undefined;
  private ready: Promise<ModelInfo> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  private lastInfo: ModelInfo | undefined;

  private constructor(
    private readonly dir: string,
    private readonly options: RankerOptions,
    private readonly workerOptions: WorkerClientOptions,
  ) {}

  static async load(
    checkpointDir: string,
    options: RankerOptions = {},
    workerOptions: WorkerClientOptions = {},
  ): Promise<RankerWorkerClient> {
    const client = new RankerWorkerClient(checkpointDir, options, workerOptions);
    await client.started();
    return client;
  }

  /** The loaded model (as of the last successful load). */
  get info(): ModelInfo {
    if (!this.lastInfo) throw new Error('model not loaded');
    return this.lastInfo;
  }

  async score(pairs: readonly PairInput[], options: ScoreOptions = {}): Promise<ScoreResult[]> {
    const { signal, onProgress, ...rest } = options;
    signal?.throwIfAborted();
    await this.started();
    const request = { type: 'score' as const, pairs: pairs.map(plainPair), options: rest };
    return (await this.call(request, signal, onProgress)) as ScoreResult[];
  }

  async attentionSums(pairs: readonly PairInput[], options: ScoreOptions = {}): Promise<AttentionSums[]> {
    const { signal, onProgress, ...rest } = options;
    signal?.throwIfAborted();
    await this.started();
    const request = { type: 'attention-sums' as const, pairs: pairs.map(plainPair), options: rest };
    return (await this.call(request, signal, onProgress)) as AttentionSums[];
  }

  async inspect(pair: PairInput, options: MaskOptions = {}): Promise<InspectResult> {
    await this.started();
    return (await this.call({ type: 'inspect', pair: plainPair(pair), options })) as InspectResult;
  }

  /**
   * Layer-wise Integrated Gradients of one encoded pair (src/core/analysis/integratedGradients.ts). The
   * worker loads a BertGradientModel for the same checkpoint on the first call and keeps it. Progress is
   * reported after each (layer, baseline) integral; an aborted signal stops at the next gradient batch.
   */
  async attribute(
    pair: AttributionPair,
    options: WorkerAttributionOptions & {
      readonly signal?: AbortSignal;
      readonly onProgress?: (done: number, total: number) => void;
    } = {},
  ): Promise<AttributionResult> {
    const { signal, onProgress, ...rest } = options;
    signal?.throwIfAborted();
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
    return unpackAttribution((await this.call(request, signal, onProgress)) as PackedAttribution);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.call({ type: 'dispose' });
    } catch {
      // The worker is going away either way.
    }
    this.worker = undefined;
    await worker.terminate();
  }

  /** Diagnostic: make the worker exit abruptly, as a crash would. */
  async crashWorkerForTesting(): Promise<void> {
    await this.started();
    this.worker?.postMessage({ id: this.nextId++, type: 'crash' } satisfies WorkerRequest);
  }

  private started(): Promise<ModelInfo> {
    if (this.disposed) return Promise.reject(new Error('this RankerWorkerClient has been disposed'));
    if (this.worker && this.ready) return this.ready;
    const worker = spawn(
      this.workerOptions.workerPath ?? defaultWorkerPath(),
      this.workerOptions.resourceLimits,
    );
    this.worker = worker;
    worker.on('message', (message: WorkerResponse) => this.receive(message));
    worker.on('error', (error) => this.lost(worker, `worker error: ${error.message}`));
    worker.on('exit', (code) => this.lost(worker, `worker exited with code ${code}`));
    const ready = this.call({ type: 'load', dir: this.dir, options: this.options }).then((info) => {
      this.lastInfo = info as ModelInfo;
      return this.lastInfo;
    });
    this.ready = ready;
    ready.catch(() => {
      if (this.worker === worker) {
        this.worker = undefined;
        void worker.terminate();
      }
    });
    return ready;
  }

  private call(
    request: DistributiveOmit<WorkerRequest, 'id'>,
    signal?: AbortSignal,
    onProgress?: (done: number, total: number) => void,
  ): Promise<WorkerResult> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('ranker worker is not running'));
    const id = this.nextId++;
    return new Promise<WorkerResult>((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id);
        worker.postMessage({ id: this.nextId++, type: 'cancel', target: id } satisfies WorkerRequest);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('cancelled'));
      };
      const settle = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (r) => (settle(), resolve(r)),
        reject: (e) => (settle(), reject(e)),
        onProgress,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ ...request, id } as WorkerRequest);
    });
  }

  private receive(message: WorkerResponse): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress?.(message.done, message.total);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.result);
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
    const error = new Error(`ranker worker stopped (${reason}); the next call starts a fresh worker`);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
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
