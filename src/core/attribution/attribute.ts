import type { GradientModel } from './gradientModel';
import { integrateLayerPaths, type LayerIntegral } from './integratedGradients';
import {
  BASELINES,
  DEFAULT_BATCH_SIZE,
  DEFAULT_TOLERANCE,
  type AttributionOptions,
  type Baseline,
} from './options';
import { isPassageToken, isQueryToken } from '../text/pair';
import type { EncodedPair, EncodedToken, Segment, TokenKind } from '../text/types';

/**
 * Layer-wise Integrated Gradients as Zhan et al. (SIGIR 2020) apply it to BERT rankers: at layer k the path
 * runs from the baseline pair's state x' to the pair's state x (integratedGradients.ts integrates it).
 *
 * Baselines are the same pair with the query or the passage WordPieces replaced by [PAD]. Positions, token
 * types and the attention mask stay those of the original pair, so the [PAD] positions ARE attended: x and
 * x' must go through the same function F (the mask is part of F), otherwise completeness,
 * sum(attributions) = F(x) - F(x'), could not hold.
 */

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

/** One pair's attributions. */
export interface AttributionResult {
  readonly tokens: readonly AttributedToken[];
  /** The pair's score. */
  readonly score: number;
  readonly tolerance: number;
  /**
   * One entry per (layer, baseline), layers ascending; attributions align with `tokens`, and each entry
   * carries its completeness error and convergence delta.
   */
  readonly layers: readonly LayerAttribution[];
}

/** The pair's ids with the query or passage WordPieces replaced by [PAD]. */
export function baselineIds(tokens: readonly EncodedToken[], baseline: Baseline, padId: number): number[] {
  const replaced = baseline === 'empty-query' ? isQueryToken : isPassageToken;
  return tokens.map((t) => (replaced(t) ? padId : t.id));
}

/**
 * Token attributions of query/passage pairs at the chosen layers against each baseline, one result per pair
 * in their order (Captum's shape: many inputs per call, the batch size an option, the convergence delta in
 * every result). Pairs of different lengths cannot share a model call (states are unpadded), so they are
 * attributed one after another.
 */
export async function attribute(
  model: GradientModel,
  pairs: readonly EncodedPair[],
  baselines: readonly Baseline[] = BASELINES,
  options: AttributionOptions = {},
): Promise<AttributionResult[]> {
  const layers = chosenLayers(model.numLayers, options.layers);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size ${batchSize} must be a positive integer`);
  const total = pairs.length * layers.length * baselines.length;
  const results: AttributionResult[] = [];
  for (const pair of pairs) {
    const done = results.length * layers.length * baselines.length;
    results.push(
      await attributePair(model, pair, layers, baselines, {
        ...options,
        onProgress: options.onProgress && ((integrals) => options.onProgress?.(done + integrals, total)),
      }),
    );
  }
  return results;
}

function chosenLayers(L: number, layers: AttributionOptions['layers']): number[] {
  const chosen = layers === undefined || layers === 'all' ? [...Array(L + 1).keys()] : [...layers];
  for (const k of chosen) {
    if (!Number.isInteger(k) || k < 0 || k > L)
      throw new Error(`layer ${k} is outside 0-${L} (0 = embedding output, ${L} = after the last layer)`);
  }
  return chosen.sort((a, b) => a - b);
}

async function attributePair(
  model: GradientModel,
  pair: EncodedPair,
  layers: readonly number[],
  baselines: readonly Baseline[],
  options: AttributionOptions,
): Promise<AttributionResult> {
  const L = model.numLayers;
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
  const rowSize = length * model.hiddenSize;
  const row = (k: number, b: number) => states[k].subarray(b * rowSize, (b + 1) * rowSize);
  // F(x) and F(x') are the same wherever the path runs (the state at k of a pair determines everything
  // above k), so one call at the last layer's states gives the end scores of every integral.
  const endScores = await scoresAt(model, L, states[L], baselines.length + 1, options);
  // The ends of every path below L (alpha = 0, 1: the pair's and the baselines' own states) have their
  // gradients from one call where the model offers it.
  const shareEnds =
    (options.rule ?? 'adaptive') === 'adaptive' &&
    (options.shareEnds ?? layers.some((k) => k < L)) &&
    model.gradientsAtEveryLayer !== undefined;
  const ends = shareEnds
    ? (await model.gradientsAtEveryLayer?.(states[0], baselines.length + 1, options.signal))?.gradients
    : undefined;
  const gradientRow = (k: number, b: number) => ends?.[k]?.subarray(b * rowSize, (b + 1) * rowSize);

  const results: LayerAttribution[] = [];
  for (const layer of layers) {
    options.signal?.throwIfAborted();
    const integrals = await integrateLayerPaths(
      model,
      layer,
      baselines.map((_, b) => {
        const [input, baseline] = [gradientRow(layer, 0), gradientRow(layer, b + 1)];
        return {
          input: row(layer, 0),
          baseline: row(layer, b + 1),
          scores: { input: endScores[0], baseline: endScores[b + 1] },
          ...(input && baseline ? { gradients: { input, baseline } } : {}),
        };
      }),
      options,
    );
    integrals.forEach((integral, b) => {
      results.push({ layer, baseline: baselines[b], ...integral });
      options.onProgress?.(results.length, layers.length * baselines.length);
    });
  }
  return {
    tokens: tokens.map(({ text, kind, segment, start, end }) => ({ text, kind, segment, start, end })),
    score: endScores[0],
    tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    layers: results,
  };
}

/** Scores of `count` states at `layer`, at most `batchSize` per model call. */
async function scoresAt(
  model: GradientModel,
  layer: number,
  states: Float32Array,
  count: number,
  options: AttributionOptions,
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const size = states.length / count;
  const scores = new Float32Array(count);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const chunk = states.subarray(start * size, (start + n) * size);
    scores.set((await model.scoresAndGradients(layer, chunk, n, options.signal)).scores, start);
  }
  return scores;
}
