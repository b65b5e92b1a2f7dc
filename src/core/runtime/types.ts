import type { CpuSessionSettings } from '../sessionOptions';
import type { Precision } from '../bert/graph';
import type { EncodedToken, TokenKind } from '../text/types';
import type { AttentionSums } from './attentionKinds';

/**
 * One encoded query/passage pair. An EncodedPair from src/core/text fits; so do plain id arrays.
 * Padding must be at the end (attentionMask 0); it is stripped and re-added per batch.
 */
export interface PairInput {
  readonly inputIds: ArrayLike<number>;
  /** Defaults to all 0. */
  readonly tokenTypeIds?: ArrayLike<number>;
  /** Defaults to all 1. */
  readonly attentionMask?: ArrayLike<number>;
  /** Needed for kind-based mask selectors and returned by inspect(). */
  readonly tokens?: readonly EncodedToken[];
}

/** Which positions a mask applies to: everything, tokens of some kinds, or explicit positions. */
export type TokenSelector = 'all' | readonly SelectorKind[] | { readonly positions: readonly number[] };

/**
 * A token kind, or a part of the pair the kinds cannot name: 'sep-middle' / 'sep-final' (the [SEP] after the
 * query / after the passage), 'query-segment' ([CLS], the query and the middle [SEP]: token type 0) and
 * 'document-segment' (the passage and the final [SEP]: token type 1). Padding is in neither segment.
 */
export type SelectorKind = TokenKind | 'sep-middle' | 'sep-final' | 'query-segment' | 'document-segment';
export const SEGMENT_SELECTORS = ['sep-middle', 'sep-final', 'query-segment', 'document-segment'] as const;

/**
 * One of the paper's two masking experiments, for the pairs (from -> to) = (query position i, key j):
 * 'token' removes j before softmax (the row renormalises over the rest), 'attention' zeroes the
 * probability after softmax (no renormalisation).
 */
export interface MaskSpec {
  readonly kind: 'token' | 'attention';
  /** The graph's layer indices, 0-based (index l is transformer layer l + 1 in what users read), or 'all'. */
  readonly layers: readonly number[] | 'all';
  readonly from: TokenSelector;
  readonly to: TokenSelector;
}

/**
 * Silences heads: their attention probabilities are zeroed in the given layer. Indices are 0-based (layer index
 * l, head index h are transformer layer l + 1, head h + 1 in what users read and write).
 */
export interface HeadMaskSpec {
  readonly layer: number;
  readonly heads: readonly number[];
}

export interface MaskOptions {
  readonly masks?: readonly MaskSpec[];
  readonly headMasks?: readonly HeadMaskSpec[];
}

/** Cancellation and a deadline, for every call that can take long. */
export interface CallOptions {
  /**
   * An aborted signal rejects the call at once. In the worker client the worker is also freed: it stops at
   * its next batch or, if that does not come soon, is replaced by a fresh worker (see RankerWorkerClient).
   */
  readonly signal?: AbortSignal;
  /** Rejects with a TimeoutError after this many milliseconds, as an abort would. */
  readonly timeoutMs?: number;
}

export interface InspectOptions extends MaskOptions, CallOptions {}

export interface ScoreOptions extends MaskOptions, CallOptions {
  readonly batchSize?: number;
  /** Called after each batch with the number of pairs scored so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ScoreResult {
  readonly logits: number[];
  readonly score: number;
  /** Single-logit models only. */
  readonly sigmoid?: number;
}

export interface InspectResult extends ScoreResult {
  readonly inputIds: number[];
  readonly tokenTypeIds: number[];
  readonly tokens?: readonly EncodedToken[];
  readonly numLayers: number;
  readonly numHeads: number;
  readonly seqLength: number;
  readonly hiddenSize: number;
  /** [layer, head, i, j], row-major, after all masks. */
  readonly attentions: Float32Array;
  /** [layer + 1, position, unit]: embeddings output, then each layer's output. */
  readonly hiddenStates: Float32Array;
}

export interface RankerOptions extends CpuSessionSettings {
  /** Where built .onnx graphs are cached; without it the graph is rebuilt (in a temp file) each load. */
  readonly cacheDir?: string;
  /** The graph cache is trimmed to this size, least recently used first (default 8 GiB). */
  readonly maxCacheBytes?: number;
  /** Stops a load between its stages (hashing, graph build, session creation). Not passed to workers. */
  readonly signal?: AbortSignal;
  /** Longest accepted pair in tokens (default and upper bound: max_position_embeddings). */
  readonly maxLength?: number;
  /** Pairs per onnxruntime call (default 16; fewer where maxRunFlops says so). */
  readonly batchSize?: number;
  /**
   * Floating-point operations one onnxruntime call may take (default DEFAULT_MAX_RUN_FLOPS, about 0.1-0.2 s
   * on two cores): batches are cut smaller so that a cancel, seen only between calls, frees the worker
   * soon. Infinity: batches by batchSize alone.
   */
  readonly maxRunFlops?: number;
  /**
   * Precision of the score graph (default fp32): int8 runs the encoder's weight products quantised, for
   * large re-ranking runs. Inspection, attention statistics and attribution stay fp32 whatever this says.
   */
  readonly precision?: Precision;
}

export interface ModelInfo {
  readonly dir: string;
  /** The checkpoint's content fingerprint (config + weight files), for caches keyed by model. */
  readonly fingerprint: string;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly hiddenSize: number;
  readonly numLabels: 1 | 2;
  readonly vocabSize: number;
  readonly maxLength: number;
  /** The score graph's precision (RankerOptions.precision) where it is not fp32; absent: fp32. */
  readonly precision?: Precision;
}

/**
 * What an analysis needs of a model: its description and batched scoring (with masks, progress and
 * cancellation). The in-process Ranker and the RankerWorkerClient both implement it, so an analysis is
 * written once and runs in the CLI, in the extension's worker and in tests.
 */
export interface Scorer {
  readonly info: ModelInfo;
  score(pairs: readonly PairInput[], options?: ScoreOptions): Promise<ScoreResult[]>;
  /** Score and per-layer/head attention mass between token kinds, reduced where the attention is computed. */
  attentionSums(pairs: readonly PairInput[], options?: ScoreOptions): Promise<AttentionSums[]>;
  /**
   * Scores with `masks` in the first i layers for i = fromDepth..L: [depth - fromDepth][pair]. The masked
   * prefix is computed once per batch and shared by all depths. The specs' `layers` are ignored.
   */
  scoreByMaskDepth(
    pairs: readonly PairInput[],
    masks: readonly MaskSpec[],
    options?: ScoreOptions & { readonly fromDepth?: number },
  ): Promise<number[][]>;
  /**
   * Scores unmasked ([0][pair]) and with head h of layer l masked alone ([1 + l * H + h][pair]), sharing the
   * unmasked layers below each head. Optional: without it, head importance scores each head mask on its own.
   */
  scoreByHeadMask?(pairs: readonly PairInput[], options?: ScoreOptions): Promise<number[][]>;
}
