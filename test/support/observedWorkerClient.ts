// The worker client as tests and benchmarks see it: the pool's counters and spare state, and a way to crash
// the worker. Production code never reaches these: they live on subclasses only this folder defines.
import * as path from 'node:path';
import type { RankerOptions } from '../../src/core/runtime/types';
import { RankerWorkerClient, type WorkerClientOptions } from '../../src/worker/client';
import { WorkerPool } from '../../src/worker/pool';

/** A worker entry that also obeys CRASH_MESSAGE (exits with code 70, as a native crash would). */
export const CRASHABLE_WORKER_ENTRY = path.join(__dirname, 'crashableWorkerEntry.ts');
export const CRASH_MESSAGE = { testCrash: true } as const;

class ObservedPool extends WorkerPool {
  get restarts(): number {
    return this.forcedRestarts;
  }
  get swaps(): number {
    return this.spareSwaps;
  }
  get spareNow(): 'none' | 'loading' | 'ready' {
    return this.spareState;
  }
  spareReady(): Promise<boolean> {
    return this.whenSpareReady();
  }
  spareWarm(): Promise<boolean> {
    return this.whenSpareWarm();
  }
  async crash(): Promise<void> {
    await this.started();
    this.activeWorker?.postMessage(CRASH_MESSAGE);
  }
}

export class ObservedWorkerClient extends RankerWorkerClient {
  private constructor(private readonly observed: ObservedPool) {
    super(observed);
  }

  /** As RankerWorkerClient.load; the worker runs CRASHABLE_WORKER_ENTRY unless workerOptions names one. */
  static override load(
    checkpointDir: string,
    options: RankerOptions & { readonly timeoutMs?: number } = {},
    workerOptions: WorkerClientOptions = {},
  ): Promise<ObservedWorkerClient> {
    const { signal, timeoutMs, ...kept } = options;
    const pool = new ObservedPool(checkpointDir, kept, {
      workerPath: CRASHABLE_WORKER_ENTRY,
      ...workerOptions,
    });
    return RankerWorkerClient.whenLoaded(new ObservedWorkerClient(pool), { signal, timeoutMs });
  }

  /** How often a worker was replaced because a cancelled request kept it busy. */
  get forcedRestarts(): number {
    return this.observed.restarts;
  }
  /** How many times a retired or lost worker was replaced by the warm spare. */
  get spareSwaps(): number {
    return this.observed.swaps;
  }
  get spareState(): 'none' | 'loading' | 'ready' {
    return this.observed.spareNow;
  }
  /** Resolves when the current spare has loaded its model (false when there is none or it failed). */
  whenSpareReady(): Promise<boolean> {
    return this.observed.spareReady();
  }
  /** Resolves when the current spare has loaded its model and, if asked to, the gradient model. */
  whenSpareWarm(): Promise<boolean> {
    return this.observed.spareWarm();
  }
  /** Makes the active worker exit abruptly, as a crash would (needs CRASHABLE_WORKER_ENTRY). */
  crashWorker(): Promise<void> {
    return this.observed.crash();
  }
}
