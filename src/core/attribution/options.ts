/**
 * The baselines of Zhan et al.: the pair with its query ("empty-query") or passage ("empty-document")
 * WordPieces replaced by [PAD].
 */
export type Baseline = 'empty-query' | 'empty-document';
export const BASELINES: readonly Baseline[] = ['empty-query', 'empty-document'];

/** Everything attribute() and the path integrals can be told, besides the model, the pairs and the baselines. */
export interface AttributionOptions {
  /** Layers to attribute at (0 = embedding output, L = after the last layer), or 'all' (default). */
  readonly layers?: readonly number[] | 'all';
  /** Completeness error to reach (default 0.05, the paper's 5%). */
  readonly tolerance?: number;
  /** Quadrature (default 'adaptive'; quadrature.ts). */
  readonly rule?: 'adaptive' | 'gauss-legendre' | 'trapezoid';
  /** Simpson panels of the first pass (default 1, i.e. 3 points; rule 'adaptive' only). */
  readonly initialPanels?: number;
  /** Gauss–Legendre nodes of the first pass (default 6; rule 'gauss-legendre' only). */
  readonly initialPoints?: number;
  /** Trapezoid intervals of the first pass (default 32; rule 'trapezoid' only). */
  readonly initialIntervals?: number;
  /** Most gradient evaluations per layer and baseline (default 513). */
  readonly maxPoints?: number;
  /**
   * Points per call of the model's scoresAndGradients (Captum's internal_batch_size; default 16): bounds the
   * states and gradients held at once.
   */
  readonly batchSize?: number;
  /**
   * Whether every layer's path ends come from one gradientsAtEveryLayer call (rule 'adaptive'; default:
   * whenever the model offers it and a layer below the last is attributed).
   */
  readonly shareEnds?: boolean;
  /** Id of [PAD] in the model's vocabulary (default 0, as in BERT's vocabularies). */
  readonly padId?: number;
  /** Called after each (pair, layer, baseline) integral with the integrals done and their total. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * One pair's attribution as a service takes it (the analyses' model, the worker): attribute()'s options
 * with the baselines that attribute() takes as an argument of its own (default both).
 */
export interface PairAttributionOptions extends AttributionOptions {
  readonly baselines?: readonly Baseline[];
}

export const DEFAULT_TOLERANCE = 0.05;
export const DEFAULT_BATCH_SIZE = 16;

/** How a view names an attribution layer: 0 is the embedding output, 1..L the transformer layers' outputs. */
export function attributionLayerName(layer: number): string {
  return layer === 0 ? 'layer 0 (embeddings)' : `layer ${layer}`;
}
