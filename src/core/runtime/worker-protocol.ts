import type { InspectResult, MaskOptions, ModelInfo, PairInput, RankerOptions, ScoreResult } from './types';

/** Messages from RankerWorkerClient to the worker (src/core/runtime/worker-entry.ts). */
export type WorkerRequest =
  | { readonly id: number; readonly type: 'load'; readonly dir: string; readonly options: RankerOptions }
  | {
      readonly id: number;
      readonly type: 'score';
      readonly pairs: readonly PairInput[];
      readonly options: MaskOptions & { readonly batchSize?: number };
    }
  | { readonly id: number; readonly type: 'inspect'; readonly pair: PairInput; readonly options: MaskOptions }
  /** Stops request `target` at its next batch boundary. */
  | { readonly id: number; readonly type: 'cancel'; readonly target: number }
  | { readonly id: number; readonly type: 'dispose' }
  /** Diagnostic: the worker exits abruptly, as a native crash would (tests use it to prove recovery). */
  | { readonly id: number; readonly type: 'crash' };

export type WorkerResult = ModelInfo | ScoreResult[] | InspectResult | null;

export type WorkerResponse =
  | { readonly id: number; readonly type: 'result'; readonly result: WorkerResult }
  | {
      readonly id: number;
      readonly type: 'error';
      readonly error: { readonly name: string; readonly message: string };
    }
  | { readonly id: number; readonly type: 'progress'; readonly done: number; readonly total: number };
