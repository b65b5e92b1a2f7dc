import type { AnalysisRunRequest } from '../analysis/runRequest';
import type { ResultFile } from '../analysis/runner';
import type { AttributionResult, PairAttributionOptions } from '../attribution';
import type { EncodedToken } from '../text/types';
import type { AttentionSums } from './attentionKinds';
import type {
  InspectResult,
  MaskOptions,
  MaskSpec,
  ModelInfo,
  PairInput,
  RankerOptions,
  ScoreResult,
} from './types';

/** What the worker's attribute request needs of the pair: ids, types, mask and the tokens with offsets. */
export interface AttributionPair {
  readonly inputIds: Int32Array;
  readonly tokenTypeIds: Int32Array;
  readonly attentionMask: Int32Array;
  readonly tokens: readonly EncodedToken[];
}

/**
 * An AttributionResult as the worker posts it: every entry's attributions packed into one transferable
 * Float64Array ([entry, token], row-major; float64 so the values arrive exactly as computed).
 */
export interface PackedAttribution {
  readonly kind: 'attribution';
  readonly result: Omit<AttributionResult, 'layers'> & {
    readonly layers: readonly Omit<AttributionResult['layers'][number], 'attributions'>[];
  };
  readonly attributions: Float64Array;
}

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
  | {
      readonly id: number;
      readonly type: 'mask-depths';
      readonly pairs: readonly PairInput[];
      readonly masks: readonly MaskSpec[];
      readonly options: { readonly batchSize?: number; readonly fromDepth?: number };
    }
  | {
      readonly id: number;
      readonly type: 'attention-sums';
      readonly pairs: readonly PairInput[];
      readonly options: MaskOptions & { readonly batchSize?: number };
    }
  /** Layer-wise Integrated Gradients with a BertGradientModel the worker loads on first use. */
  | {
      readonly id: number;
      readonly type: 'attribute';
      readonly pair: AttributionPair;
      /** The options that cross the thread boundary: no signal, no callback. */
      readonly options: Omit<PairAttributionOptions, 'signal' | 'onProgress'>;
    }
  /**
   * A whole dataset analysis (src/core/analysis/runRequest.ts) on the worker's model: pair sets, chunks and
   * their cache, map and finish all run here; progress in pairs; the result file comes back.
   */
  | { readonly id: number; readonly type: 'run-analysis'; readonly request: AnalysisRunRequest }
  /**
   * Stops request `target`: the worker answers it with 'cancelled' as soon as it reads this message (between
   * two onnxruntime runs) and serves the next requests; the stopped call ends at its next batch.
   */
  | { readonly id: number; readonly type: 'cancel'; readonly target: number }
  /**
   * Loads the gradient model (for attribute) now, as a later attribute call with this batch size would: sent
   * to a warm spare once the user has run an attribution, so the first one after a cancel pays no load.
   */
  | { readonly id: number; readonly type: 'warm-gradients'; readonly batchSize?: number }
  | { readonly id: number; readonly type: 'dispose' }
  /**
   * Cancel everything, release the model and end the thread. Sent to a worker that is being replaced; it
   * is handled as soon as the worker's current onnxruntime call returns.
   */
  | { readonly id: number; readonly type: 'retire' }
  /** Diagnostic: the worker exits abruptly, as a native crash would (tests use it to prove recovery). */
  | { readonly id: number; readonly type: 'crash' };

export type WorkerResult =
  | ResultFile
  | ModelInfo
  | ScoreResult[]
  | AttentionSums[]
  | number[][]
  | InspectResult
  | PackedAttribution
  | null;

export type WorkerResponse =
  | { readonly id: number; readonly type: 'result'; readonly result: WorkerResult }
  | {
      readonly id: number;
      readonly type: 'error';
      readonly error: { readonly name: string; readonly message: string };
    }
  | { readonly id: number; readonly type: 'progress'; readonly done: number; readonly total: number }
  /** Request `id` was stopped (by 'cancel', or by an unload) and will not be answered otherwise. */
  | { readonly id: number; readonly type: 'cancelled' };
