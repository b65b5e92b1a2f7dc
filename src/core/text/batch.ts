import { encodeTokenizedPair, realLength, type PairOptions } from './pair';
import type { WordPieceTokenizer, WordPieceToken } from './tokenizer';
import type { EncodedPair } from './types';

export interface QueryPassage {
  readonly query: string;
  readonly passage: string;
}

/** Encodes many pairs; each distinct query is tokenised once (a re-ranking run repeats one query). */
export function encodePairs(
  tokenizer: WordPieceTokenizer,
  pairs: readonly QueryPassage[],
  options: PairOptions = {},
): EncodedPair[] {
  const queries = new Map<string, WordPieceToken[]>();
  return pairs.map(({ query, passage }) => {
    let q = queries.get(query);
    if (q === undefined) {
      q = tokenizer.tokenize(query);
      queries.set(query, q);
    }
    return encodeTokenizedPair(tokenizer, q, tokenizer.tokenize(passage), options);
  });
}

/** Row-major [batchSize, sequenceLength] tensors for a model run. */
export interface PackedBatch {
  readonly batchSize: number;
  readonly sequenceLength: number;
  readonly inputIds: Int32Array;
  readonly tokenTypeIds: Int32Array;
  readonly attentionMask: Int32Array;
}

/**
 * Stacks encoded pairs, padding each row with `padId` (type 0, mask 0) to the longest real length, or to
 * `sequenceLength` when given. Rows longer than that are an error, never silently cut.
 */
export function packBatch(
  pairs: readonly EncodedPair[],
  padId: number,
  sequenceLength?: number,
): PackedBatch {
  const lengths = pairs.map(realLength);
  const width = sequenceLength ?? Math.max(0, ...lengths);
  const batchSize = pairs.length;
  const inputIds = new Int32Array(batchSize * width).fill(padId);
  const tokenTypeIds = new Int32Array(batchSize * width);
  const attentionMask = new Int32Array(batchSize * width);
  pairs.forEach((p, row) => {
    const n = lengths[row]!;
    if (n > width)
      throw new Error(`packBatch: row ${row} has ${n} tokens, more than the sequence length ${width}`);
    inputIds.set(p.inputIds.subarray(0, n), row * width);
    tokenTypeIds.set(p.tokenTypeIds.subarray(0, n), row * width);
    attentionMask.set(p.attentionMask.subarray(0, n), row * width);
  });
  return { batchSize, sequenceLength: width, inputIds, tokenTypeIds, attentionMask };
}

/**
 * Groups pair indices into batches of similar length (longest first) so that little compute goes into
 * padding. Every index appears exactly once.
 */
export function batchIndicesByLength(pairs: readonly EncodedPair[], maxBatchSize: number): number[][] {
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new Error(`maxBatchSize must be a positive integer, got ${String(maxBatchSize)}`);
  }
  const lengths = pairs.map(realLength);
  const order = pairs.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += maxBatchSize) batches.push(order.slice(i, i + maxBatchSize));
  return batches;
}
