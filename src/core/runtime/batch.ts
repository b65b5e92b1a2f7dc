import type { TokenKind } from '../text/types';
import type { PairInput } from './types';

/** Pairs per onnxruntime call when no batch size is given. */
export const DEFAULT_BATCH_SIZE = 16;

/** A pair with padding stripped and ids checked against the model. */
export interface PreparedPair {
  readonly inputIds: Int32Array;
  readonly tokenTypeIds: Int32Array;
  readonly kinds?: readonly TokenKind[];
}

export interface PairLimits {
  readonly maxLength: number;
  readonly vocabSize: number;
  readonly typeVocabSize: number;
}

/** Strips trailing padding and validates ids, so onnxruntime never sees an index it would reject. */
export function preparePair(pair: PairInput, limits: PairLimits, index = 0): PreparedPair {
  const total = pair.inputIds.length;
  let length = total;
  if (pair.attentionMask) {
    if (pair.attentionMask.length !== total) {
      throw new Error(
        `pair ${index}: attentionMask has ${pair.attentionMask.length} entries, inputIds ${total}`,
      );
    }
    length = 0;
    for (let i = 0; i < total; i++) if (pair.attentionMask[i]) length = i + 1;
  }
  if (pair.tokenTypeIds && pair.tokenTypeIds.length !== total) {
    throw new Error(`pair ${index}: tokenTypeIds has ${pair.tokenTypeIds.length} entries, inputIds ${total}`);
  }
  if (length === 0) throw new Error(`pair ${index}: no tokens`);
  if (length > limits.maxLength) {
    throw new Error(`pair ${index}: ${length} tokens, longer than the maximum length ${limits.maxLength}`);
  }
  const inputIds = new Int32Array(length);
  const tokenTypeIds = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const id = pair.inputIds[i];
    if (!Number.isInteger(id) || id < 0 || id >= limits.vocabSize) {
      throw new Error(
        `pair ${index}: token id ${id} at position ${i} is outside the vocabulary (0-${limits.vocabSize - 1})`,
      );
    }
    const type = pair.tokenTypeIds ? pair.tokenTypeIds[i] : 0;
    if (!Number.isInteger(type) || type < 0 || type >= limits.typeVocabSize) {
      throw new Error(
        `pair ${index}: token type ${type} at position ${i} is outside 0-${limits.typeVocabSize - 1}`,
      );
    }
    inputIds[i] = id;
    tokenTypeIds[i] = type;
  }
  const kinds = pair.tokens?.slice(0, length).map((t) => t.kind);
  return { inputIds, tokenTypeIds, kinds };
}

export interface PaddedBatch {
  readonly size: number;
  readonly seqLength: number;
  readonly inputIds: BigInt64Array;
  readonly tokenTypeIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
}

/** Pads to the longest pair of the batch (id 0, type 0, mask 0). */
export function padBatch(pairs: readonly PreparedPair[]): PaddedBatch {
  const seqLength = Math.max(...pairs.map((p) => p.inputIds.length));
  const size = pairs.length;
  const inputIds = new BigInt64Array(size * seqLength);
  const tokenTypeIds = new BigInt64Array(size * seqLength);
  const attentionMask = new BigInt64Array(size * seqLength);
  pairs.forEach((p, b) => {
    for (let i = 0; i < p.inputIds.length; i++) {
      inputIds[b * seqLength + i] = BigInt(p.inputIds[i]);
      tokenTypeIds[b * seqLength + i] = BigInt(p.tokenTypeIds[i]);
      attentionMask[b * seqLength + i] = 1n;
    }
  });
  return { size, seqLength, inputIds, tokenTypeIds, attentionMask };
}

/**
 * Indices grouped into batches of similar length (longest first), so little padding is computed; at most
 * `batchSize` pairs, and at most maxPairsAt(seqLength) pairs padded to the batch's longest pair (a cost cap
 * per onnxruntime run, see pairsPerRun). A pair longer than any cap allows still gets a batch of its own.
 */
export function lengthSortedBatches(
  lengths: readonly number[],
  batchSize: number,
  maxPairsAt: (seqLength: number) => number = () => Infinity,
): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const batches: number[][] = [];
  let batch: number[] = [];
  for (const i of order) {
    if (batch.length > 0 && (batch.length >= batchSize || batch.length >= maxPairsAt(lengths[batch[0]]))) {
      batches.push(batch);
      batch = [];
    }
    batch.push(i);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Floating-point operations per onnxruntime run that the Ranker's batches stay under by default: a run cannot
 * be interrupted, and a worker sees a cancel only between runs, so one run must end well within the 1 s in
 * which a cancel has to free the worker. bench/cancel.ts measured the rate on two shared cores (README).
 */
export const DEFAULT_MAX_RUN_FLOPS = 4e9;

/** The dimensions the cost of a BERT run depends on. */
export interface RunShape {
  readonly numLayers: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
}

/**
 * Floating-point operations of one BERT layer per token of a `seqLength`-token sequence: the four attention
 * projections (4h^2 multiply-adds), the feed-forward pair (2 h f) and the attention scores and mix (2 n h).
 */
export function layerFlopsPerToken(shape: RunShape, seqLength: number): number {
  const { hiddenSize: h, intermediateSize: f } = shape;
  return 2 * (4 * h * h + 2 * h * f + 2 * seqLength * h);
}

/**
 * How many pairs of up to `seqLength` tokens one run of `layersPerRun` layers may take within `maxRunFlops`
 * (at least one: a single pair cannot be split).
 */
export function pairsPerRun(
  shape: RunShape,
  seqLength: number,
  layersPerRun: number,
  maxRunFlops: number,
): number {
  const perPair = seqLength * layersPerRun * layerFlopsPerToken(shape, seqLength);
  return Math.max(1, Math.floor(maxRunFlops / perPair));
}
