import type { BertGradientModel } from '../bert/attribution';
import { isPassageToken, isQueryToken } from '../text/pair';
import type { EncodedPair, EncodedToken, Segment, TokenKind } from '../text/types';

/**
 * Layer-wise Integrated Gradients (Sundararajan et al. 2017) as Zhan et al. (SIGIR 2020) apply it to BERT
 * rankers: the path runs in the hidden-state space of layer k, from the baseline pair's state x' to the
 * pair's state x, and a token's attribution is (x - x') . mean gradient, summed over the hidden units.
 *
 * Baselines are the same pair with the query ("empty-query") or the passage ("empty-document") WordPieces
 * replaced by [PAD]. Positions, token types and the attention mask stay those of the original pair, so
 * the [PAD] positions ARE attended: x and x' must go through the same function F (the mask is part of F),
 * otherwise completeness, sum(attributions) = F(x) - F(x'), could not hold.
 *
 * Integration: composite trapezoid rule on [0, 1], starting with `initialIntervals` intervals (32: 33
 * gradient evaluations) and halving every interval (adding the midpoints, which reuses all earlier
 * points) until the completeness error |sum - (F(x) - F(x'))| / |F(x) - F(x')| is below the tolerance or
 * the next level would exceed maxPoints evaluations.
 */
export type Baseline = 'empty-query' | 'empty-document';
export const BASELINES: readonly Baseline[] = ['empty-query', 'empty-document'];

export interface IntegrationOptions {
  /** Completeness error to reach (default 0.05, the paper's 5%). */
  readonly tolerance?: number;
  /** Trapezoid intervals of the first pass (default 32). */
  readonly initialIntervals?: number;
  /** Most gradient evaluations per layer and baseline (default 513: 32 intervals refined four times). */
  readonly maxPoints?: number;
  readonly signal?: AbortSignal;
}

export interface AttributionOptions extends IntegrationOptions {
  /** Layers to attribute at (0 = embedding output, L = after the last layer), or 'all' (default). */
  readonly layers?: readonly number[] | 'all';
  /** Default: both. */
  readonly baselines?: readonly Baseline[];
  /** Id of [PAD] in the model's vocabulary (default 0, as in BERT's vocabularies). */
  readonly padId?: number;
  /** Called after each (layer, baseline) integration. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The result of one path integral at one layer. */
export interface LayerIntegral {
  /** Per position, summed over the hidden units. */
  readonly attributions: number[];
  /** F(x): the pair's score entered at this layer. */
  readonly scoreInput: number;
  /** F(x'): the baseline's score. */
  readonly scoreBaseline: number;
  readonly sum: number;
  /** |sum - (F(x) - F(x'))| / max(|F(x) - F(x')|, noise floor); see COMPLETENESS_FLOOR. */
  readonly completenessError: number;
  /** Gradient evaluations used. */
  readonly points: number;
  /** Whether completenessError <= tolerance. */
  readonly converged: boolean;
}

export interface LayerAttribution extends LayerIntegral {
  readonly layer: number;
  readonly baseline: Baseline;
}

export interface AttributedToken {
  readonly text: string;
  readonly kind: TokenKind;
  readonly segment: Segment;
  /** UTF-16 offsets into the query (segment 0) or passage (segment 1); -1 for special tokens. */
  readonly start: number;
  readonly end: number;
}

export interface AttributionResult {
  readonly tokens: readonly AttributedToken[];
  /** The pair's score. */
  readonly score: number;
  readonly tolerance: number;
  /** One entry per (layer, baseline), layers ascending; attributions align with `tokens`. */
  readonly layers: readonly LayerAttribution[];
}

export const DEFAULT_TOLERANCE = 0.05;
const DEFAULT_INITIAL_INTERVALS = 32;
const DEFAULT_MAX_POINTS = 513;
/**
 * When the baseline scores almost like the pair, the relative error is meaningless (float32 noise over a
 * tiny difference); the denominator is kept at least this fraction of max(1, |F(x)|, |F(x')|).
 */
export const COMPLETENESS_FLOOR = 1e-4;

/** The pair's ids with the query or passage WordPieces replaced by [PAD]. */
export function baselineIds(tokens: readonly EncodedToken[], baseline: Baseline, padId: number): number[] {
  const replaced = baseline === 'empty-query' ? isQueryToken : isPassageToken;
  return tokens.map((t) => (replaced(t) ? padId : t.id));
}

/**
 * Integrated gradients at layer k from `baseline` to `input` (both [seq, hidden] states of that layer).
 * Identical states give exactly zero attributions.
 */
export async function integrateLayer(
  model: BertGradientModel,
  layer: number,
  input: Float32Array,
  baseline: Float32Array,
  options: IntegrationOptions = {},
): Promise<LayerIntegral> {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const initial = options.initialIntervals ?? DEFAULT_INITIAL_INTERVALS;
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  if (!(tolerance > 0)) throw new Error(`tolerance ${tolerance} must be positive`);
  if (!Number.isInteger(initial) || initial < 1)
    throw new Error(`initialIntervals ${initial} must be a positive integer`);
  if (!(maxPoints >= initial + 1))
    throw new Error(`maxPoints ${maxPoints} must allow the first pass (${initial + 1} points)`);
  if (input.length !== baseline.length)
    throw new Error(`input has ${input.length} values, baseline ${baseline.length}`);
  const h = model.config.hiddenSize;
  const seq = input.length / h;
  const difference = Float64Array.from(input, (v, i) => v - baseline[i]);

  // Points are built and integrated one model batch at a time, so memory stays bounded by the batch size.
  const evaluate = async (alphas: readonly number[], into: (index: number) => [Float64Array, number]) => {
    const scores = new Float64Array(alphas.length);
    for (let start = 0; start < alphas.length; start += model.batchSize) {
      const chunk = alphas.slice(start, start + model.batchSize);
      const points = new Float32Array(chunk.length * input.length);
      chunk.forEach((a, p) => {
        const offset = p * input.length;
        for (let i = 0; i < input.length; i++) points[offset + i] = baseline[i] + a * difference[i];
      });
      const out = await model.scoresAndGradients(layer, points, chunk.length, options.signal);
      chunk.forEach((_, p) => {
        const [sum, weight] = into(start + p);
        const offset = p * input.length;
        for (let i = 0; i < input.length; i++) sum[i] += weight * out.gradients[offset + i];
      });
      scores.set(out.scores, start);
    }
    return scores;
  };

  if (difference.every((d) => d === 0)) {
    const [score] = await evaluate([1], () => [new Float64Array(input.length), 0]);
    return {
      attributions: new Array<number>(seq).fill(0),
      scoreInput: score,
      scoreBaseline: score,
      sum: 0,
      completenessError: 0,
      points: 1,
      converged: true,
    };
  }

  let intervals = initial;
  // Trapezoid: the end points weigh 1/2, interior points 1 (all divided by the interval count).
  const ends = new Float64Array(input.length);
  const interior = new Float64Array(input.length);
  const firstScores = await evaluate(
    Array.from({ length: initial + 1 }, (_, i) => i / initial),
    (i) => (i === 0 || i === initial ? [ends, 0.5] : [interior, 1]),
  );
  const scoreBaseline = firstScores[0];
  const scoreInput = firstScores[initial];
  let points = initial + 1;
  const delta = scoreInput - scoreBaseline;
  const denominator = Math.max(
    Math.abs(delta),
    COMPLETENESS_FLOOR * Math.max(1, Math.abs(scoreInput), Math.abs(scoreBaseline)),
  );

  for (;;) {
    const attributions = new Array<number>(seq).fill(0);
    for (let t = 0; t < seq; t++) {
      let s = 0;
      for (let k = t * h; k < (t + 1) * h; k++) s += (difference[k] * (ends[k] + interior[k])) / intervals;
      attributions[t] = s;
    }
    const sum = attributions.reduce((a, b) => a + b, 0);
    const completenessError = Math.abs(sum - delta) / denominator;
    const converged = completenessError <= tolerance;
    if (converged || points + intervals > maxPoints) {
      return { attributions, scoreInput, scoreBaseline, sum, completenessError, points, converged };
    }
    const midpoints = Array.from({ length: intervals }, (_, i) => (2 * i + 1) / (2 * intervals));
    await evaluate(midpoints, () => [interior, 1]);
    points += intervals;
    intervals *= 2;
  }
}

/** Token attributions of a query/passage pair at the given layers, against the given baselines. */
export async function attribute(
  model: BertGradientModel,
  pair: EncodedPair,
  options: AttributionOptions = {},
): Promise<AttributionResult> {
  const L = model.numLayers;
  const layers =
    options.layers === undefined || options.layers === 'all' ? [...Array(L + 1).keys()] : options.layers;
  for (const k of layers) {
    if (!Number.isInteger(k) || k < 0 || k > L)
      throw new Error(`layer ${k} is outside 0-${L} (0 = embedding output, ${L} = after the last layer)`);
  }
  const baselines = options.baselines ?? BASELINES;
  const padId = options.padId ?? 0;
  const length = pair.attentionMask.reduce((n, m) => n + (m ? 1 : 0), 0);
  const tokens = pair.tokens.slice(0, length);
  if (tokens.length !== length || length === 0)
    throw new Error(`the pair has ${pair.tokens.length} tokens for ${length} unpadded positions`);
  const ids = Array.from(pair.inputIds.subarray(0, length));
  const types = Array.from(pair.tokenTypeIds.subarray(0, length));

  // One forward sweep gives every layer's state for the pair and each baseline.
  const states = await model.hiddenStates(
    [ids, ...baselines.map((b) => baselineIds(tokens, b, padId))],
    baselines.map(() => types).concat([types]),
  );
  const rowSize = length * model.config.hiddenSize;
  const row = (k: number, b: number) => states[k].slice(b * rowSize, (b + 1) * rowSize);

  const results: LayerAttribution[] = [];
  const total = layers.length * baselines.length;
  for (const layer of [...layers].sort((a, b) => a - b)) {
    for (const [b, baseline] of baselines.entries()) {
      options.signal?.throwIfAborted();
      const integral = await integrateLayer(model, layer, row(layer, 0), row(layer, b + 1), options);
      results.push({ layer, baseline, ...integral });
      options.onProgress?.(results.length, total);
    }
  }
  const score = results[0]?.scoreInput ?? (await model.scoresAndGradients(L, row(L, 0), 1)).scores[0];
  return {
    tokens: tokens.map(({ text, kind, segment, start, end }) => ({ text, kind, segment, start, end })),
    score,
    tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    layers: results,
  };
}
