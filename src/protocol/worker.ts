import type { AnalysisRunRequest } from '../core/analysis/runRequest';
import type { ResultFile } from '../core/analysis/runner';
import type { AttributionResult, PairAttributionOptions } from '../core/attribution';
import type { EncodedToken } from '../core/text/types';
import type { AttentionSums } from '../core/runtime/attentionKinds';
import type {
  InspectResult,
  MaskOptions,
  MaskSpec,
  ModelInfo,
  PairInput,
  RankerOptions,
  ScoreResult,
} from '../core/runtime/types';
import { defineProtocol, type Params, type Result } from './endpoint';
import * as v from './validate';
import type { Validator } from './validate';

/** What the worker's attribute request needs of the pair: ids, types, mask and the tokens with offsets. */
export interface AttributionPair {
  readonly inputIds: Int32Array;
  readonly tokenTypeIds: Int32Array;
  readonly attentionMask: Int32Array;
  readonly tokens: readonly EncodedToken[];
}

/** The attribution options that cross the thread boundary: no signal, no callback. */
export type WorkerAttributionOptions = Omit<PairAttributionOptions, 'signal' | 'onProgress'>;

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

/**
 * Checks the fields `check` names and types the value as T. Both ends of the worker channel are RankLens'
 * own bundle, so a message is checked where a mistake would be silent (ids, typed arrays, the numbers a
 * caller reads), not field by field through a whole result file.
 */
function checked<T>(check: Validator<unknown>): Validator<T> {
  return check as Validator<T>;
}

const options = <T>() => checked<T>(v.object({}));

const pairInput = checked<PairInput>(
  v.object({
    inputIds: v.int32Array,
    tokenTypeIds: v.optional(v.int32Array),
    attentionMask: v.optional(v.int32Array),
  }),
);
const pairs = v.array(pairInput);

const attributionPair = checked<AttributionPair>(
  v.object({
    inputIds: v.int32Array,
    tokenTypeIds: v.int32Array,
    attentionMask: v.int32Array,
    tokens: v.array(v.object({ text: v.string, start: v.integer, end: v.integer })),
  }),
);

const modelInfo = checked<ModelInfo>(
  v.object({
    dir: v.string,
    fingerprint: v.string,
    numLayers: v.integer,
    numHeads: v.integer,
    hiddenSize: v.integer,
    numLabels: v.literal(1, 2),
    vocabSize: v.integer,
    maxLength: v.integer,
  }),
);

const scoreFields = { logits: v.numbers, score: v.number, sigmoid: v.optional(v.number) };
const scoreResult = checked<ScoreResult>(v.object(scoreFields));

const inspectResult = checked<InspectResult>(
  v.object({
    ...scoreFields,
    numLayers: v.integer,
    numHeads: v.integer,
    seqLength: v.integer,
    hiddenSize: v.integer,
    attentions: v.float32Array,
    hiddenStates: v.float32Array,
  }),
);

const attentionSums = checked<AttentionSums>(
  v.object({ score: v.number, kindCounts: v.numbers, sums: v.float32Array }),
);

const packedAttribution = checked<PackedAttribution>(
  v.object({
    kind: v.literal('attribution'),
    result: v.object({ tokens: v.array(v.object({})), score: v.number, layers: v.array(v.object({})) }),
    attributions: v.float64Array,
  }),
);

const resultFile = checked<ResultFile>(
  v.object({ format: v.string, analysis: v.string, version: v.integer, chunks: v.integer }),
);

/** Pair inputs for scoring: masks and the onnxruntime batch size. */
const scoreParams = v.object({
  pairs,
  options: options<MaskOptions & { readonly batchSize?: number }>(),
});

/**
 * The model's worker thread (src/worker/entry.ts) and the extension side that drives it (src/worker/pool.ts),
 * in the webviews' terms: the host is the extension side, the "view" is the worker. The host sends requests
 * (answered by the worker's handlers, keyed by these names) and the cancel and retire notifications; the
 * worker sends progress and cancelled notifications, naming the request by its id.
 */
export const workerProtocol = defineProtocol({
  toView: {
    /**
     * Stops request `target`: the worker notifies 'cancelled' as soon as it reads this (between two onnxruntime
     * runs) and serves the next requests; the stopped call ends at its next batch and is not answered.
     */
    cancel: v.object({ target: v.integer }),
    /**
     * Cancel everything, release the model and end the thread. Sent to a worker that is being replaced; it
     * is handled as soon as the worker's current onnxruntime call returns.
     */
    retire: v.empty,
  },
  toHost: {
    /** Request `id` has done `done` of `total` (pairs, or integrals of an attribution). */
    progress: v.object({ id: v.integer, done: v.number, total: v.number }),
    /** Request `id` was stopped (by 'cancel', or by an unload) and will not be answered otherwise. */
    cancelled: v.object({ id: v.integer }),
  },
  hostRequests: {},
  viewRequests: {
    /** Loads (or replaces) the worker's model. */
    load: { params: v.object({ dir: v.string, options: options<RankerOptions>() }), result: modelInfo },
    score: { params: scoreParams, result: v.array(scoreResult) },
    attentionSums: {
      params: scoreParams,
      result: v.array(attentionSums),
      transfer: (sums: AttentionSums[]) => sums.map((s) => s.sums.buffer as ArrayBuffer),
    },
    /** Scores with the masks in the first i layers for each depth i: [depth][pair]. */
    maskDepths: {
      params: v.object({
        pairs,
        masks: checked<readonly MaskSpec[]>(v.array(v.object({ kind: v.literal('token', 'attention') }))),
        options: options<{ readonly batchSize?: number; readonly fromDepth?: number }>(),
      }),
      result: v.array(v.numbers),
    },
    inspect: {
      params: v.object({ pair: pairInput, options: options<MaskOptions>() }),
      result: inspectResult,
      transfer: (r: InspectResult) => [
        r.attentions.buffer as ArrayBuffer,
        r.hiddenStates.buffer as ArrayBuffer,
      ],
    },
    /** Layer-wise Integrated Gradients with a gradient model the worker loads on first use. */
    attribute: {
      params: v.object({ pair: attributionPair, options: options<WorkerAttributionOptions>() }),
      result: packedAttribution,
      transfer: (r: PackedAttribution) => [r.attributions.buffer as ArrayBuffer],
    },
    /**
     * A whole dataset analysis (src/core/analysis/runRequest.ts) on the worker's model: pair sets, chunks and
     * their cache, map and finish all run here; progress in pairs; the result file comes back.
     */
    runAnalysis: {
      params: v.object({ request: checked<AnalysisRunRequest>(v.object({ name: v.string, dir: v.string })) }),
      result: resultFile,
    },
    /**
     * Loads the gradient model (for attribute) now, as a later attribute call with this batch size would: sent
     * to a warm spare once the user has run an attribution, so the first one after a cancel pays no load.
     */
    warmGradients: { params: v.object({ batchSize: v.optional(v.integer) }), result: v.empty },
    /** Stops every request and releases the models; the thread stays. */
    dispose: { params: v.empty, result: v.empty },
  },
});
export type WorkerProtocol = typeof workerProtocol;
export type WorkerRequests = WorkerProtocol['viewRequests'];
export type WorkerRequestName = keyof WorkerRequests & string;
export type WorkerParams<N extends WorkerRequestName> = Params<WorkerProtocol, 'view', N>;
export type WorkerResult<N extends WorkerRequestName> = Result<WorkerProtocol, 'view', N>;
