import type { BertGradientModel } from '../bert/gradientModel';
import { integrateAdaptively } from './quadrature';
import { gaussLegendre } from './gaussLegendre';
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
 * Integration (default, rule 'adaptive'): composite Simpson panels bisected where their own completeness
 * gap is largest, until the whole path's completeness error, |sum - (F(x) - F(x'))| / |F(x) - F(x')|, is
 * within the tolerance (adaptiveQuadrature.ts; its stop 'bounded' waits for the sum of |gaps|). Rule
 * 'gauss-legendre': `initialPoints` nodes (6), redone with twice the nodes while completeness fails; its
 * end scores F(x), F(x') (the same at every layer) come from one forward pass. The composite trapezoid
 * (rule 'trapezoid': `initialIntervals` intervals, halved until the tolerance is met) stays available as the
 * plain reference the PyTorch cross-check integrates with. All paths of one layer (both baselines) share
 * onnxruntime runs.
 */
export type Baseline = 'empty-query' | 'empty-document';
export const BASELINES: readonly Baseline[] = ['empty-query', 'empty-document'];

export interface IntegrationOptions {
  /** Completeness error to reach (default 0.05, the paper's 5%). */
  readonly tolerance?: number;
  /** Quadrature (default 'adaptive'). */
  readonly rule?: 'adaptive' | 'gauss-legendre' | 'trapezoid';
  /** Simpson panels of the first pass (default 1, i.e. 3 points; rule 'adaptive' only). */
  readonly initialPanels?: number;
  /** Gauss–Legendre nodes of the first pass (default 6; rule 'gauss-legendre' only). */
  readonly initialPoints?: number;
  /** Trapezoid intervals of the first pass (default 32; rule 'trapezoid' only). */
  readonly initialIntervals?: number;
  /** Most gradient evaluations per layer and baseline (default 513). */
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
/** Measured (bench/attribution.ts): 6 nodes reach 5% on every integral of ranklens-mini and BERT-base. */
const DEFAULT_INITIAL_POINTS = 6;
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

/** One path of an integral at layer k: the pair's state, the baseline's state, and their scores if known. */
export interface LayerPath {
  readonly input: Float32Array;
  readonly baseline: Float32Array;
  /** F(x) and F(x'), when the caller already has them (they are the same at every layer). */
  readonly scores?: { readonly input: number; readonly baseline: number };
  /**
   * dF/dx at x and at x', when the caller already has them along with `scores` (the adaptive rule then
   * evaluates no point at alpha = 0 or 1).
   */
  readonly gradients?: { readonly input: Float32Array; readonly baseline: Float32Array };
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
  const [integral] = await integrateLayerPaths(model, layer, [{ input, baseline }], options);
  return integral;
}

/**
 * Several paths at one layer (the pair against each baseline) integrated together: the points of every
 * path share onnxruntime runs of up to `model.batchSize` points.
 */
export async function integrateLayerPaths(
  model: BertGradientModel,
  layer: number,
  paths: readonly LayerPath[],
  options: IntegrationOptions = {},
): Promise<LayerIntegral[]> {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const rule = options.rule ?? 'adaptive';
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  if (!(tolerance > 0)) throw new Error(`tolerance ${tolerance} must be positive`);
  if (rule === 'adaptive')
    return integrateAdaptiveRule(model, layer, paths, { ...options, tolerance, maxPoints });
  const first =
    rule === 'trapezoid'
      ? (options.initialIntervals ?? DEFAULT_INITIAL_INTERVALS)
      : (options.initialPoints ?? DEFAULT_INITIAL_POINTS);
  if (!Number.isInteger(first) || first < 1)
    throw new Error(
      `${rule === 'trapezoid' ? 'initialIntervals' : 'initialPoints'} ${first} must be a positive integer`,
    );
  const firstPoints = rule === 'trapezoid' ? first + 1 : first;
  if (!(maxPoints >= firstPoints))
    throw new Error(`maxPoints ${maxPoints} must allow the first pass (${firstPoints} points)`);
  const h = model.config.hiddenSize;
  for (const p of paths)
    if (p.input.length !== p.baseline.length || p.input.length !== paths[0].input.length)
      throw new Error(`input has ${p.input.length} values, baseline ${p.baseline.length}`);
  if (paths.length === 0) return [];
  const size = paths[0].input.length;
  const seq = size / h;
  const differences = paths.map((p) => Float64Array.from(p.input, (v, i) => v - p.baseline[i]));

  /**
   * Gradients at points (path, alpha), one model batch at a time, each folded into `into(point)` with
   * its weight; memory stays bounded by the batch size whatever the number of points. Returns the scores.
   */
  const evaluate = async (
    points: readonly { path: number; alpha: number; sum: Float64Array; weight: number }[],
  ): Promise<Float64Array> => {
    const scores = new Float64Array(points.length);
    for (let start = 0; start < points.length; start += model.batchSize) {
      const chunk = points.slice(start, start + model.batchSize);
      const states = new Float32Array(chunk.length * size);
      chunk.forEach(({ path, alpha }, p) => {
        const { baseline } = paths[path];
        const difference = differences[path];
        const offset = p * size;
        interpolateInto(states, offset, baseline, difference, alpha);
      });
      const out = await model.scoresAndGradients(layer, states, chunk.length, options.signal);
      chunk.forEach(({ sum, weight }, p) => {
        if (weight === 0) return;
        const offset = p * size;
        for (let i = 0; i < size; i++) sum[i] += weight * out.gradients[offset + i];
      });
      scores.set(out.scores, start);
    }
    return scores;
  };
  /** (x - x') . integrated gradient, summed over each position's hidden units. */
  const attributionsOf = (path: number, integrated: Float64Array): number[] =>
    Array.from(perPositionDot(differences[path], integrated, h));

  const results: (LayerIntegral | undefined)[] = paths.map(() => undefined);
  const zero = (scoreInput: number, scoreBaseline: number) => zeroIntegral(seq, scoreInput, scoreBaseline);

  if (rule === 'trapezoid') {
    // Composite trapezoid from `first` intervals, halving every interval (midpoints only) on failure.
    for (const [index, difference] of differences.entries()) {
      const ends = new Float64Array(size);
      const interior = new Float64Array(size);
      const at = (alphas: number[], pick: (i: number) => [Float64Array, number]) =>
        evaluate(alphas.map((alpha, i) => ({ path: index, alpha, sum: pick(i)[0], weight: pick(i)[1] })));
      if (difference.every((d) => d === 0)) {
        const [score] = await at([1], () => [ends, 0]);
        results[index] = { ...zero(score, score), points: 1 };
        continue;
      }
      let intervals = first;
      const firstScores = await at(
        Array.from({ length: first + 1 }, (_, i) => i / first),
        (i) => (i === 0 || i === first ? [ends, 0.5] : [interior, 1]),
      );
      const [scoreBaseline, scoreInput] = [firstScores[0], firstScores[first]];
      let points = first + 1;
      for (;;) {
        const integrated = Float64Array.from(ends, (e, i) => (e + interior[i]) / intervals);
        const integral = finish(
          attributionsOf(index, integrated),
          scoreInput,
          scoreBaseline,
          points,
          tolerance,
        );
        if (integral.converged || points + intervals > maxPoints) {
          results[index] = integral;
          break;
        }
        await at(
          Array.from({ length: intervals }, (_, i) => (2 * i + 1) / (2 * intervals)),
          () => [interior, 1],
        );
        points += intervals;
        intervals *= 2;
      }
    }
    return results as LayerIntegral[];
  }

  // Gauss–Legendre: the end points are not nodes, so F(x) and F(x') come from a forward pass (or the caller).
  const unknown = paths.flatMap((p, i) => (p.scores ? [] : [i]));
  const endScores = paths.map((p) => p.scores ?? { input: 0, baseline: 0 });
  if (unknown.length > 0) {
    const states = new Float32Array(2 * unknown.length * size);
    unknown.forEach((path, j) => {
      states.set(paths[path].input, 2 * j * size);
      states.set(paths[path].baseline, (2 * j + 1) * size);
    });
    const scores = await model.scores(layer, states, 2 * unknown.length, options.signal);
    unknown.forEach((path, j) => (endScores[path] = { input: scores[2 * j], baseline: scores[2 * j + 1] }));
  }
  const used = paths.map(() => 0);
  differences.forEach((difference, i) => {
    if (difference.every((d) => d === 0)) results[i] = zero(endScores[i].input, endScores[i].input);
  });
  // Gauss–Legendre rules do not nest: a failed pass is discarded and the order doubled.
  for (let order = first; ; order *= 2) {
    const open = results.flatMap((r, i) => (r ? [] : [i]));
    if (open.length === 0) break;
    const { nodes, weights } = gaussLegendre(order);
    const sums = open.map(() => new Float64Array(size));
    await evaluate(
      open.flatMap((path, j) =>
        Array.from(nodes, (alpha, n) => ({ path, alpha, sum: sums[j], weight: weights[n] })),
      ),
    );
    open.forEach((path, j) => {
      used[path] += order;
      const integral = finish(
        attributionsOf(path, sums[j]),
        endScores[path].input,
        endScores[path].baseline,
        used[path],
        tolerance,
      );
      if (integral.converged || used[path] + 2 * order > maxPoints) results[path] = integral;
    });
  }
  return results as LayerIntegral[];
}

/** Rule 'adaptive': every sampled point gives its score and each position's directional-derivative terms. */
async function integrateAdaptiveRule(
  model: BertGradientModel,
  layer: number,
  paths: readonly LayerPath[],
  options: IntegrationOptions & { readonly tolerance: number; readonly maxPoints: number },
): Promise<LayerIntegral[]> {
  if (paths.length === 0) return [];
  const h = model.config.hiddenSize;
  const size = paths[0].input.length;
  const seq = size / h;
  const differences = paths.map((p) => Float32Array.from(p.input, (v, i) => v - p.baseline[i]));
  const results: (LayerIntegral | undefined)[] = paths.map(() => undefined);
  // x = x': exactly zero attributions; its score still costs one forward unless the caller has it.
  const same = paths.flatMap((_, i) => (differences[i].every((d) => d === 0) ? [i] : []));
  for (const i of same) {
    const score = paths[i].scores?.input ?? (await model.scores(layer, paths[i].input, 1, options.signal))[0];
    results[i] = zeroIntegral(seq, score, score);
  }
  const open = paths.flatMap((_, i) => (results[i] ? [] : [i]));
  // Paths whose pair state is the same array (the pair against each baseline) share their alpha = 1 point.
  const inputGroup = paths.map((p, i) => paths.findIndex((q, j) => j <= i && sameMemory(q.input, p.input)));
  const integrals = await integrateAdaptively(
    open.length,
    async (requests) => {
      // alpha = 0 and 1 are the baseline's and the pair's own states, exactly; the pair's state is the
      // same for every baseline, so its gradient is computed once per pass and shared.
      const keys = requests.map(({ path, alpha }) =>
        alpha === 1 ? `input ${inputGroup[open[path]]}` : `${path} ${alpha}`,
      );
      const gradientOf = new Map<string, { score: number; gradient: Float32Array }>();
      requests.forEach(({ path, alpha }, i) => {
        const given = knownEnd(paths[open[path]], alpha);
        if (given) gradientOf.set(keys[i], given);
      });
      const unique = [
        ...new Map(requests.flatMap((r, i) => (gradientOf.has(keys[i]) ? [] : [[keys[i], r] as const]))),
      ];
      for (let start = 0; start < unique.length; start += model.batchSize) {
        const chunk = unique.slice(start, start + model.batchSize);
        const states = new Float32Array(chunk.length * size);
        chunk.forEach(([, { path, alpha }], p) => {
          const { baseline, input } = paths[open[path]];
          const difference = differences[open[path]];
          const offset = p * size;
          if (alpha === 1) states.set(input, offset);
          else interpolateInto(states, offset, baseline, difference, alpha);
        });
        const out = await model.scoresAndGradients(layer, states, chunk.length, options.signal);
        chunk.forEach(([key], p) =>
          gradientOf.set(key, {
            score: out.scores[p],
            gradient: out.gradients.subarray(p * size, (p + 1) * size),
          }),
        );
      }
      return requests.map(({ path }, r) => {
        const { score, gradient } = gradientOf.get(keys[r])!;
        return { score, projections: perPositionDot(differences[open[path]], gradient, h) };
      });
    },
    {
      tolerance: options.tolerance,
      maxPoints: options.maxPoints,
      initialPanels: options.initialPanels,
      signal: options.signal,
      denominator: (path, start, end) => {
        const given = paths[open[path]].scores;
        return completenessDenominator(given?.input ?? end, given?.baseline ?? start);
      },
    },
  );
  integrals.forEach((integral, j) => {
    const path = open[j];
    // The reported ends are the caller's F(x), F(x') when it has them (the same numbers at every layer).
    const given = paths[path].scores;
    results[path] = finish(
      Array.from(integral.attributions),
      given?.input ?? integral.endScore,
      given?.baseline ?? integral.startScore,
      integral.points,
      options.tolerance,
    );
  });
  return results as LayerIntegral[];
}

/** A path's score and gradient at alpha = 0 or 1 where its caller gave them. */
function knownEnd(path: LayerPath, alpha: number): { score: number; gradient: Float32Array } | undefined {
  const { scores, gradients } = path;
  if (!scores || !gradients) return undefined;
  if (alpha === 0) return { score: scores.baseline, gradient: gradients.baseline };
  if (alpha === 1) return { score: scores.input, gradient: gradients.input };
  return undefined;
}

/** The state at alpha on the path from `baseline` along `difference`, written into `states` at `offset`. */
function interpolateInto(
  states: Float32Array,
  offset: number,
  baseline: ArrayLike<number>,
  difference: ArrayLike<number>,
  alpha: number,
): void {
  for (let i = 0; i < difference.length; i++) states[offset + i] = baseline[i] + alpha * difference[i];
}

/** Per position of a [seq, hidden] row-major pair of arrays: the dot product over its hidden units. */
function perPositionDot(a: ArrayLike<number>, b: ArrayLike<number>, hidden: number): Float64Array {
  const out = new Float64Array(a.length / hidden);
  for (let t = 0; t < out.length; t++) {
    let sum = 0;
    for (let k = t * hidden; k < (t + 1) * hidden; k++) sum += a[k] * b[k];
    out[t] = sum;
  }
  return out;
}

/** The same array, or two views of the same memory (the rows attribute() cuts from one buffer). */
function sameMemory(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length) return true;
  return false;
}

function zeroIntegral(seq: number, scoreInput: number, scoreBaseline: number): LayerIntegral {
  return {
    attributions: new Array<number>(seq).fill(0),
    scoreInput,
    scoreBaseline,
    sum: 0,
    completenessError: 0,
    points: 0,
    converged: true,
  };
}

/** max(|F(x) - F(x')|, the noise floor): see COMPLETENESS_FLOOR. */
function completenessDenominator(scoreInput: number, scoreBaseline: number): number {
  return Math.max(
    Math.abs(scoreInput - scoreBaseline),
    COMPLETENESS_FLOOR * Math.max(1, Math.abs(scoreInput), Math.abs(scoreBaseline)),
  );
}

function finish(
  attributions: number[],
  scoreInput: number,
  scoreBaseline: number,
  points: number,
  tolerance: number,
): LayerIntegral {
  const delta = scoreInput - scoreBaseline;
  const denominator = completenessDenominator(scoreInput, scoreBaseline);
  const sum = attributions.reduce((a, b) => a + b, 0);
  const completenessError = Math.abs(sum - delta) / denominator;
  return {
    attributions,
    scoreInput,
    scoreBaseline,
    sum,
    completenessError,
    points,
    converged: completenessError <= tolerance,
  };
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
  const row = (k: number, b: number) => states[k].subarray(b * rowSize, (b + 1) * rowSize);
  // F(x) and F(x') are the same wherever the path runs (the state at k of a pair determines everything
  // above k), so one head pass over the last layer's states gives the end scores of every integral.
  const endScores = await model.scores(L, states[L], baselines.length + 1, options.signal);
  // The ends of every path below L (alpha = 0, 1: the pair's and the baselines' own states) have their
  // gradients in one backward pass of the layer-0 chain, ~3L layer passes instead of 3(L - k) per layer k.
  const separateEndsCost = layers.reduce((n, k) => n + Math.max(0, L - k), 0);
  const shareEnds = (options.rule ?? 'adaptive') === 'adaptive' && L <= separateEndsCost;
  const ends = shareEnds
    ? (await model.gradientsAtEveryLayer(states[0], baselines.length + 1, options.signal)).gradients
    : undefined;
  const gradientRow = (k: number, b: number) => ends?.[k]?.subarray(b * rowSize, (b + 1) * rowSize);

  const results: LayerAttribution[] = [];
  const total = layers.length * baselines.length;
  for (const layer of [...layers].sort((a, b) => a - b)) {
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
      options.onProgress?.(results.length, total);
    });
  }
  const score = endScores[0];
  return {
    tokens: tokens.map(({ text, kind, segment, start, end }) => ({ text, kind, segment, start, end })),
    score,
    tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    layers: results,
  };
}
