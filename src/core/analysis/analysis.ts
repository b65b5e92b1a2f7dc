import type { SignificanceOptions } from '../eval/significance';
import type { PairEncoder } from '../runtime/text';
import type { ModelInfo, Scorer } from '../runtime/types';
import type { PairSelection, PairSetDescription, QueryItem } from './pairSet';

/** JSON data: what partials, settings and results are made of (they go through files and between processes). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** A run of consecutive queries of a pair set; chunk boundaries depend only on the pair set and chunk size. */
export interface Chunk {
  readonly index: number;
  readonly items: readonly QueryItem[];
}

export interface AnalysisContext {
  readonly scorer: Scorer;
  /** The model's own tokenizer, with the run's maximum length. */
  readonly encode: PairEncoder;
  /** Id of a WordPiece in the model's vocabulary (e.g. "," for period replacement). */
  readonly tokenId: (token: string) => number | undefined;
  /** Grade at or above which a passage counts as relevant in this run (the pair set's). */
  readonly minRelevance: number;
  /** Pairs per onnxruntime call. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Called as pairs of the current chunk are done (count within the chunk). */
  readonly onPairs?: (done: number) => void;
}

/** The model as result files describe it (no paths: shards may run where the model lives elsewhere). */
export interface ModelDescription {
  readonly name: string;
  readonly fingerprint: string;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly hiddenSize: number;
  readonly numLabels: 1 | 2;
}

export function describeModel(info: ModelInfo, name: string): ModelDescription {
  return {
    name,
    fingerprint: info.fingerprint,
    numLayers: info.numLayers,
    numHeads: info.numHeads,
    hiddenSize: info.hiddenSize,
    numLabels: info.numLabels,
  };
}

/** What `finish` knows besides the partials. */
export interface RunDescription {
  readonly model: ModelDescription;
  readonly data: PairSetDescription;
  /** α, resamples and seed of the intervals and paired tests (default DEFAULT_SIGNIFICANCE); used by finish only. */
  readonly significance?: SignificanceOptions;
}

/**
 * One dataset-level analysis as map + reduce. Settings, partials and results are plain JSON data (they are
 * written to files and cross process boundaries; numbers must be finite):
 * - `map` turns one chunk of query items into a partial aggregate (JSON). It must depend only on the chunk,
 *   the model and the settings: the runner caches it under that key and reuses it across runs and shards.
 * - reduce is done by the runner and is the same for every analysis: the union of per-chunk partials, keyed
 *   by chunk index. It is exact, associative and commutative, so one process, N shards or a cluster yield the
 *   same set of partials.
 * - `finish` folds the partials IN CHUNK ORDER into the typed result. Because the fold order is fixed by chunk
 *   index, floating-point sums come out bit-identical however the chunks were computed.
 */
export interface Analysis<Settings, Partial, Result> {
  /** The CLI name (`ranklens analyze NAME`). */
  readonly name: string;
  /** Bump when map or finish changes meaning: cached chunks of older versions are then ignored. */
  readonly version: number;
  readonly selection: PairSelection;
  readonly settings: Settings;
  map(chunk: Chunk, context: AnalysisContext): Promise<Partial>;
  finish(partials: readonly Partial[], run: RunDescription): Result;
  /**
   * The names `files` writes, known before the run starts, so an --out folder that holds one of the inputs
   * under such a name is refused before any work.
   */
  readonly fileNames?: readonly string[];
  /** Files derived from the result, written beside result.json (e.g. a re-ranked run); named in fileNames. */
  files?(result: Result, run: RunDescription): readonly { readonly name: string; readonly content: string }[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAnalysis = Analysis<any, any, any>;
