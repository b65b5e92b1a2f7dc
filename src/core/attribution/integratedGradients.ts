import type { GradientModel } from './gradientModel';
import { DEFAULT_BATCH_SIZE, DEFAULT_TOLERANCE, type AttributionOptions } from './options';
import { gaussLegendre, integrateAdaptively } from './quadrature';

/**
 * Integrated Gradients (Sundararajan et al. 2017) along paths in the state space of one layer of a
 * GradientModel: from a baseline's state x' to the pair's state x, a position's attribution is
 * (x - x') . mean gradient over the path, summed over that position's hidden units. attribute.ts builds the
 * paths of Zhan et al.'s layer-wise IG from pairs and baselines.
 *
 * Integration (default, rule 'adaptive'): composite Simpson panels bisected where their own completeness
 * gap is largest, until the whole path's completeness error, |sum - (F(x) - F(x'))| / |F(x) - F(x')|, is
 * within the tolerance (quadrature.ts; its stop 'bounded' waits for the sum of |gaps|). Rule
 * 'gauss-legendre': `initialPoints` nodes (6), redone with twice the nodes while completeness fails; its
 * end scores F(x), F(x') come from the caller or one more model call. The composite trapezoid (rule
 * 'trapezoid': `initialIntervals` intervals, halved until the tolerance is met) stays available as the
 * plain reference the PyTorch cross-check integrates with. All paths of one layer share model calls of up
 * to `batchSize` points.
 */

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
  /** Captum's convergence delta: sum - (F(x) - F(x')), in score units. */
  readonly convergenceDelta: number;
}

const DEFAULT_INITIAL_INTERVALS = 32;
const DEFAULT_INITIAL_POINTS = 6;
const DEFAULT_MAX_POINTS = 513;
/**
 * When the baseline scores almost like the pair, the relative error is meaningless (float32 noise over a
 * tiny difference); the denominator is kept at least this fraction of max(1, |F(x)|, |F(x')|).
 */
export const COMPLETENESS_FLOOR = 1e-4;

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
  model: GradientModel,
  layer: number,
  input: Float32Array,
  baseline: Float32Array,
  options: AttributionOptions = {},
): Promise<LayerIntegral> {
  const [integral] = await integrateLayerPaths(model, layer, [{ input, baseline }], options);
  return integral;
}

/**
 * Several paths at one layer (the pair against each baseline) integrated together: the points of every
 * path share model calls of up to `batchSize` points.
 */
export async function integrateLayerPaths(
  model: GradientModel,
  layer: number,
  paths: readonly LayerPath[],
  options: AttributionOptions = {},
): Promise<LayerIntegral[]> {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const rule = options.rule ?? 'adaptive';
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!(tolerance > 0)) throw new Error(`tolerance ${tolerance} must be positive`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size ${batchSize} must be a positive integer`);
  if (rule === 'adaptive')
    return integrateAdaptiveRule(model, layer, paths, { ...options, tolerance, maxPoints, batchSize });
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
  const h = model.hiddenSize;
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
    for (let start = 0; start < points.length; start += batchSize) {
      const chunk = points.slice(start, start + batchSize);
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
    const { scores } = await model.scoresAndGradients(layer, states, 2 * unknown.length, options.signal);
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
  model: GradientModel,
  layer: number,
  paths: readonly LayerPath[],
  options: AttributionOptions & {
    readonly tolerance: number;
    readonly maxPoints: number;
    readonly batchSize: number;
  },
): Promise<LayerIntegral[]> {
  if (paths.length === 0) return [];
  const h = model.hiddenSize;
  const size = paths[0].input.length;
  const seq = size / h;
  const differences = paths.map((p) => Float32Array.from(p.input, (v, i) => v - p.baseline[i]));
  const results: (LayerIntegral | undefined)[] = paths.map(() => undefined);
  // x = x': exactly zero attributions; its score still costs one forward unless the caller has it.
  const same = paths.flatMap((_, i) => (differences[i].every((d) => d === 0) ? [i] : []));
  for (const i of same) {
    const score =
      paths[i].scores?.input ??
      (await model.scoresAndGradients(layer, paths[i].input, 1, options.signal)).scores[0];
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
      for (let start = 0; start < unique.length; start += options.batchSize) {
        const chunk = unique.slice(start, start + options.batchSize);
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
    convergenceDelta: 0,
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
    convergenceDelta: sum - delta,
  };
}
