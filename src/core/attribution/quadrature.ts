/**
 * The quadrature rules of Integrated Gradients' path integrals: adaptive composite Simpson (the default) and
 * Gauss–Legendre nodes. The composite trapezoid needs no rule of its own (integratedGradients.ts).
 */

/**
 * Adaptive composite Simpson quadrature for Integrated Gradients, refined where the path needs it.
 *
 * Along a path, F(alpha) is the score and F'(alpha) = sum_t p_t(alpha), where p_t is token t's share of the
 * directional derivative (x - x') . dF/dx at that point; a token's attribution is the integral of p_t. Every
 * evaluation gives both F and p, so each Simpson panel [a, b] carries its own exact check: the integral of F'
 * over the panel must equal F(b) - F(a). The gap, |S(a, b) - (F(b) - F(a))|, is the panel's completeness
 * error; their signed sum is the whole path's. Panels are bisected, largest gap first, until the path's
 * error is within the tolerance (or, with stop 'bounded', the sum of the panels' |gaps|). Real BERT paths are flat for most of [0, 1] and turn sharply somewhere
 * (a softmax switching); a fixed rule spends its points everywhere, this spends them at the turn, and every
 * point, end points included, is kept when a panel is split.
 */

/** One evaluation of one path at alpha. */
export interface PathSample {
  /** F at the point. */
  readonly score: number;
  /** Per position: the directional derivative's terms summed over that position's hidden units. */
  readonly projections: Float64Array;
}

export interface SampleRequest {
  readonly path: number;
  readonly alpha: number;
}

/** Evaluates all requested points (in any batching it likes) and answers in request order. */
export type PathSampler = (requests: readonly SampleRequest[]) => Promise<readonly PathSample[]>;

export interface AdaptiveOptions {
  /** Relative completeness error to reach. */
  readonly tolerance: number;
  /** The error's denominator for each path, given its sampled end scores F(0) and F(1). */
  readonly denominator: (path: number, start: number, end: number) => number;
  /** Panels of the first pass (default 1, i.e. 3 points). */
  readonly initialPanels?: number;
  /** Most evaluations per path. */
  readonly maxPoints: number;
  /**
   * When a path is done: 'whole-path' (default), once its completeness error is within the tolerance, the
   * check every rule is held to; 'bounded', once the sum of the panels' |gaps| is, which no cancellation
   * between panels can pass early, at the cost of more points.
   */
  readonly stop?: 'whole-path' | 'bounded';
  readonly signal?: AbortSignal;
}

export interface AdaptiveIntegral {
  /** Per position: the integral of p_t over [0, 1]. */
  readonly attributions: Float64Array;
  /** F(0) and F(1) as sampled. */
  readonly startScore: number;
  readonly endScore: number;
  /** Evaluations used. */
  readonly points: number;
  /** Panels in the final rule. */
  readonly panels: number;
  /** The path's completeness error: |sum of the panels' signed gaps| over the denominator. */
  readonly error: number;
  /** Sum of the panels' |gaps| over the denominator: an upper bound of `error`. */
  readonly boundedError: number;
}

interface Panel {
  readonly a: number;
  readonly b: number;
}

const DEFAULT_INITIAL_PANELS = 1;
/** Panels narrower than this are not split (2^-20: far below where float32 states stop changing). */
const MIN_WIDTH = 2 ** -20;

/** Integrates every path adaptively; the points of all open paths share one sampler call per pass. */
export async function integrateAdaptively(
  paths: number,
  sample: PathSampler,
  options: AdaptiveOptions,
): Promise<AdaptiveIntegral[]> {
  const initial = options.initialPanels ?? DEFAULT_INITIAL_PANELS;
  if (!Number.isInteger(initial) || initial < 1)
    throw new Error(`initialPanels ${initial} must be a positive integer`);
  if (options.maxPoints < 2 * initial + 1)
    throw new Error(`maxPoints ${options.maxPoints} must allow the first pass (${2 * initial + 1} points)`);
  const samples = Array.from({ length: paths }, () => new Map<number, PathSample>());
  const panels: Panel[][] = Array.from({ length: paths }, () =>
    Array.from({ length: initial }, (_, i) => ({ a: i / initial, b: (i + 1) / initial })),
  );
  const done: (AdaptiveIntegral | undefined)[] = new Array(paths).fill(undefined);
  const denominators = new Float64Array(paths);

  const fetch = async (requests: SampleRequest[]) => {
    options.signal?.throwIfAborted();
    const answers = await sample(requests);
    requests.forEach(({ path, alpha }, i) => samples[path].set(alpha, answers[i]));
  };
  await fetch(
    Array.from({ length: paths }, (_, path) =>
      Array.from({ length: 2 * initial + 1 }, (_, i) => ({ path, alpha: i / (2 * initial) })),
    ).flat(),
  );
  for (let path = 0; path < paths; path++) {
    const at = samples[path];
    denominators[path] = options.denominator(path, at.get(0)!.score, at.get(1)!.score);
  }

  const at = (path: number, alpha: number): PathSample => {
    const s = samples[path].get(alpha);
    if (!s) throw new Error(`no sample at ${alpha} on path ${path}`);
    return s;
  };
  /** The panel's completeness gap, signed: Simpson's integral of F' minus F(b) - F(a). */
  const gap = (path: number, { a, b }: Panel): number => {
    const [fa, fm, fb] = [at(path, a), at(path, (a + b) / 2), at(path, b)];
    const derivative = (s: PathSample) => s.projections.reduce((x, y) => x + y, 0);
    const simpson = ((b - a) / 6) * (derivative(fa) + 4 * derivative(fm) + derivative(fb));
    return simpson - (fb.score - fa.score);
  };
  const finish = (path: number, error: number, boundedError: number): AdaptiveIntegral => {
    const length = at(path, 0).projections.length;
    const attributions = new Float64Array(length);
    for (const { a, b } of panels[path]) {
      const [pa, pm, pb] = [at(path, a), at(path, (a + b) / 2), at(path, b)].map((s) => s.projections);
      const w = (b - a) / 6;
      for (let t = 0; t < length; t++) attributions[t] += w * (pa[t] + 4 * pm[t] + pb[t]);
    }
    return {
      attributions,
      startScore: at(path, 0).score,
      endScore: at(path, 1).score,
      points: samples[path].size,
      panels: panels[path].length,
      error,
      boundedError,
    };
  };

  for (;;) {
    const requests: SampleRequest[] = [];
    for (let path = 0; path < paths; path++) {
      if (done[path]) continue;
      const signed = panels[path].map((p) => gap(path, p));
      const gaps = signed.map(Math.abs);
      const total = gaps.reduce((x, y) => x + y, 0);
      const error = Math.abs(signed.reduce((x, y) => x + y, 0));
      const budget = options.tolerance * denominators[path];
      // Split the largest gaps until what is left unsplit is within half the budget (a split panel's gap
      // shrinks ~16x for a smooth integrand, so the next pass usually lands inside the budget).
      const order = gaps
        .map((g, i) => ({ g, i }))
        .filter(({ i }) => panels[path][i].b - panels[path][i].a > MIN_WIDTH)
        .sort((x, y) => y.g - x.g);
      const split = new Set<number>();
      let left = total;
      for (const { g, i } of order) {
        if (left <= budget / 2) break;
        split.add(i);
        left -= g;
      }
      const room = Math.floor((options.maxPoints - samples[path].size) / 2);
      const stop = options.stop === 'bounded' ? total <= budget : error <= budget;
      if (stop || split.size === 0 || room < 1) {
        done[path] = finish(path, error / denominators[path], total / denominators[path]);
        continue;
      }
      const chosen = [...split].slice(0, room);
      const next: Panel[] = [];
      panels[path].forEach((p, i) => {
        if (!chosen.includes(i)) return void next.push(p);
        const m = (p.a + p.b) / 2;
        next.push({ a: p.a, b: m }, { a: m, b: p.b });
        requests.push({ path, alpha: (p.a + m) / 2 }, { path, alpha: (m + p.b) / 2 });
      });
      panels[path] = next;
    }
    if (requests.length === 0) break;
    await fetch(requests);
  }
  return done as AdaptiveIntegral[];
}

/** Nodes and weights of an n-point Gauss–Legendre rule mapped to [0, 1] (weights sum to 1). */
export interface QuadratureRule {
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
}

const gaussLegendreRules = new Map<number, QuadratureRule>();

/**
 * The n roots of the Legendre polynomial P_n by Newton's method from Tricomi's initial guesses, with
 * weights 2 / ((1 - x^2) P_n'(x)^2), then mapped from [-1, 1] to [0, 1]. Exact for polynomials of degree
 * up to 2n - 1, which is why a handful of nodes integrates a smooth IG path as well as dozens of
 * trapezoid points. Nodes are returned ascending.
 */
export function gaussLegendre(n: number): QuadratureRule {
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`Gauss–Legendre order ${n} must be 1-1024`);
  const known = gaussLegendreRules.get(n);
  if (known) return known;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      // Three-term recurrence for P_n(x) and P_{n-1}(x).
      let previous = 1;
      let current = x;
      for (let k = 2; k <= n; k++)
        [previous, current] = [current, ((2 * k - 1) * x * current - (k - 1) * previous) / k];
      derivative = (n * (x * current - previous)) / (x * x - 1);
      const step = current / derivative;
      x -= step;
      if (Math.abs(step) < 1e-15) break;
    }
    const weight = 2 / ((1 - x * x) * derivative * derivative);
    // Symmetric pair: -x (ascending from the left) and +x.
    nodes[i] = (1 - x) / 2;
    nodes[n - 1 - i] = (1 + x) / 2;
    weights[i] = weight / 2;
    weights[n - 1 - i] = weight / 2;
  }
  const rule = { nodes, weights };
  gaussLegendreRules.set(n, rule);
  return rule;
}
