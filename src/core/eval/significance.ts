// How sure a dataset number is: a percentile bootstrap interval over queries (or pairs), and paired tests of one
// setting against another over the same queries (sign-flip permutation test, paired t-test), with the counts of
// queries that moved. Pure functions of per-query values; every random draw is seeded, so a result file
// reproduces bit for bit.
import { mulberry32 } from '../random';

export interface SignificanceOptions {
  /** Level at which a paired comparison counts as significant (two-sided). */
  readonly alpha: number;
  /** Bootstrap resamples of the queries. */
  readonly resamples: number;
  /** Monte-Carlo sign flips when exact enumeration is too large. */
  readonly permutations: number;
  /** Seed of every bootstrap and Monte-Carlo draw (mulberry32). */
  readonly seed: number;
  /** Enumerate every sign pattern exactly while the non-zero differences are at most this many. */
  readonly exactUpTo: number;
}

export const DEFAULT_SIGNIFICANCE: SignificanceOptions = {
  alpha: 0.05,
  resamples: 2000,
  permutations: 10000,
  seed: 1,
  exactUpTo: 16,
};

/** A mean with its bootstrap percentile interval at level 1 - alpha. */
export interface MeanInterval {
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
}

export interface PermutationTest {
  /** Two-sided p: the share of sign patterns whose |mean difference| reaches the observed one. */
  readonly p: number;
  /** True when every sign pattern of the non-zero differences was enumerated. */
  readonly exact: boolean;
  /** Sign patterns counted (2^nonzero when exact, else the Monte-Carlo draws). */
  readonly permutations: number;
}

export interface PairedTTest {
  /** Null when the differences have no spread (all equal). */
  readonly t: number | null;
  readonly df: number;
  /** Two-sided; null when undefined (fewer than 2 queries, or every difference 0). */
  readonly p: number | null;
}

/** One setting against a baseline over the same queries (treatment - baseline, per query). */
export interface PairedComparison {
  readonly queries: number;
  readonly baseline: MeanInterval;
  readonly treatment: MeanInterval;
  readonly difference: MeanInterval;
  readonly improved: number;
  readonly hurt: number;
  readonly unchanged: number;
  readonly permutation: PermutationTest;
  readonly tTest: PairedTTest;
  /** permutation.p < alpha. */
  readonly significant: boolean;
}

export function significanceOptions(overrides: Partial<SignificanceOptions> = {}): SignificanceOptions {
  const o = { ...DEFAULT_SIGNIFICANCE, ...overrides };
  if (!(o.alpha > 0 && o.alpha < 1)) throw new RangeError(`alpha ${o.alpha} must be within (0, 1)`);
  for (const [name, n] of [
    ['resamples', o.resamples],
    ['permutations', o.permutations],
    ['exactUpTo', o.exactUpTo],
  ] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  }
  if (o.exactUpTo > 24) throw new RangeError(`exactUpTo ${o.exactUpTo} would enumerate over 2^24 patterns`);
  return o;
}

/**
 * The methods in words, for result files, tables and reports; `unit` is what the bootstrap resamples, and
 * `tests` whether the result carries paired tests too.
 */
export function describeSignificance(
  o: SignificanceOptions = DEFAULT_SIGNIFICANCE,
  unit: 'queries' | 'pairs' = 'queries',
  tests = true,
): string {
  const level = Math.round((1 - o.alpha) * 1000) / 10;
  const intervals = `${level}% intervals: percentile bootstrap over ${unit}, ${o.resamples.toLocaleString('en-US')} resamples, seed ${o.seed}.`;
  if (!tests) return intervals;
  return (
    `${intervals} Paired tests over queries, two-sided: sign-flip permutation test of the mean difference (exact ` +
    `over the 2^n sign patterns of the n non-zero differences when n <= ${o.exactUpTo}, else ` +
    `${o.permutations.toLocaleString('en-US')} Monte-Carlo sign flips, seed ${o.seed}, p = (1 + hits) / (1 + draws)) ` +
    `and, beside it, the paired t-test. Significant: permutation p < ${o.alpha}.`
  );
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length === 0 ? 0 : s / values.length;
}

/**
 * The q-quantile (0 <= q <= 1) of sorted values, interpolating linearly between order statistics at position
 * q * (n - 1) (numpy.percentile's default "linear" method).
 */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const at = q * (n - 1);
  const below = Math.floor(at);
  const above = Math.min(n - 1, below + 1);
  const weight = at - below;
  return sorted[below] + weight * (sorted[above] - sorted[below]);
}

/**
 * Means of `resamples` bootstrap resamples (n draws with replacement, index = floor(u * n), u from
 * mulberry32(seed)), in draw order. The same seed and n give the same resamples whatever the values, so
 * intervals of different settings over the same queries use the same resampled query sets.
 */
export function bootstrapMeans(values: readonly number[], resamples: number, seed: number): Float64Array {
  const n = values.length;
  const random = mulberry32(seed);
  const means = new Float64Array(resamples);
  if (n === 0) return means;
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(random() * n)];
    means[b] = s / n;
  }
  return means;
}

/** The mean and its percentile bootstrap interval at level 1 - alpha. */
export function meanInterval(
  values: readonly number[],
  options: SignificanceOptions = DEFAULT_SIGNIFICANCE,
): MeanInterval {
  const means = bootstrapMeans(values, options.resamples, options.seed).sort();
  return {
    mean: mean(values),
    lower: quantileOfSorted(means, options.alpha / 2),
    upper: quantileOfSorted(means, 1 - options.alpha / 2),
  };
}

/**
 * Two-sided paired sign-flip permutation test of the mean of `differences`. Under the null each difference is
 * as likely positive as negative; zeros flip to themselves, so only the non-zero ones are flipped. Exact when
 * there are at most options.exactUpTo of them, else options.permutations seeded Monte-Carlo flips with the +1
 * correction (the observed pattern counts as one draw), which keeps p > 0 and the test valid.
 */
export function signFlipTest(
  differences: readonly number[],
  options: SignificanceOptions = DEFAULT_SIGNIFICANCE,
): PermutationTest {
  const nonZero = differences.filter((d) => d !== 0);
  const n = nonZero.length;
  if (n === 0) return { p: 1, exact: true, permutations: 1 };
  let observed = 0;
  let scale = 0;
  for (const d of nonZero) {
    observed += d;
    scale += Math.abs(d);
  }
  // Sums of the same magnitudes in another order may differ in the last bits: a pattern whose |sum| equals
  // the observed one up to rounding counts as reaching it.
  const threshold = Math.abs(observed) - 1e-12 * scale;
  if (n <= options.exactUpTo) {
    const patterns = 2 ** n;
    let hits = 0;
    for (let pattern = 0; pattern < patterns; pattern++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (pattern >>> i) & 1 ? -nonZero[i] : nonZero[i];
      if (Math.abs(s) >= threshold) hits++;
    }
    return { p: hits / patterns, exact: true, permutations: patterns };
  }
  const random = mulberry32(options.seed);
  let hits = 0;
  for (let b = 0; b < options.permutations; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += random() < 0.5 ? -nonZero[i] : nonZero[i];
    if (Math.abs(s) >= threshold) hits++;
  }
  return { p: (1 + hits) / (1 + options.permutations), exact: false, permutations: options.permutations };
}

/** The paired t-test of H0: mean difference = 0, two-sided, df = n - 1. */
export function pairedTTest(differences: readonly number[]): PairedTTest {
  const n = differences.length;
  const df = Math.max(0, n - 1);
  if (n < 2) return { t: null, df, p: null };
  const m = mean(differences);
  let squares = 0;
  for (const d of differences) squares += (d - m) ** 2;
  const sd = Math.sqrt(squares / (n - 1));
  if (sd === 0) return { t: null, df, p: m === 0 ? null : 0 };
  const t = m / (sd / Math.sqrt(n));
  return { t, df, p: studentTTwoSided(t, df) };
}

/** Compares per-query values of a setting with the baseline's, query by query (same order, same length). */
export function comparePaired(
  baseline: readonly number[],
  treatment: readonly number[],
  options: SignificanceOptions = DEFAULT_SIGNIFICANCE,
): PairedComparison {
  if (baseline.length !== treatment.length)
    throw new RangeError(`paired values differ in length: ${baseline.length} vs ${treatment.length}`);
  const differences = treatment.map((v, i) => v - baseline[i]);
  let improved = 0;
  let hurt = 0;
  for (const d of differences) {
    if (d > 0) improved++;
    else if (d < 0) hurt++;
  }
  const permutation = signFlipTest(differences, options);
  return {
    queries: differences.length,
    baseline: meanInterval(baseline, options),
    treatment: meanInterval(treatment, options),
    difference: meanInterval(differences, options),
    improved,
    hurt,
    unchanged: differences.length - improved - hurt,
    permutation,
    tTest: pairedTTest(differences),
    significant: permutation.p < options.alpha,
  };
}

/** A p-value as people read it: 2 significant digits, "< 0.001" below that. */
export function formatP(p: number): string {
  if (p < 0.001) return '< 0.001';
  return p.toPrecision(2);
}

/**
 * The comparison in words: "not significant: p = 0.41, 3 of 10 queries moved (2 up, 1 down)" or
 * "significant: p = 0.004, 9 of 10 queries moved (1 up, 8 down)".
 */
export function comparisonVerdict(c: PairedComparison, alpha = DEFAULT_SIGNIFICANCE.alpha): string {
  const moved = c.improved + c.hurt;
  const p = c.permutation.p < 0.001 ? 'p < 0.001' : `p = ${formatP(c.permutation.p)}`;
  const word = c.permutation.p < alpha ? 'significant' : 'not significant';
  return `${word}: ${p}, ${moved} of ${c.queries} ${c.queries === 1 ? 'query' : 'queries'} moved (${c.improved} up, ${c.hurt} down)`;
}

/** "[lower, upper]" at `digits` decimals. */
export function formatInterval(i: MeanInterval, digits = 4): string {
  return `[${i.lower.toFixed(digits)}, ${i.upper.toFixed(digits)}]`;
}

// ---------------------------------------------------------------- Student t through the incomplete beta

/** ln Gamma(x) for x > 0: the Lanczos approximation (g = 7, 9 terms), about 15 significant digits. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < g + 2; i++) sum += c[i] / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * The continued fraction of I_x(a, b) (without its prefactor x^a (1-x)^b / (a B(a, b))), evaluated with
 * Lentz's method; it converges fast for x < (a + 1) / (a + b + 2).
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const guard = (v: number) => (Math.abs(v) < tiny ? tiny : v);
  let c = 1;
  let d = 1 / guard(1 - ((a + b) * x) / (a + 1));
  let f = d;
  for (let m = 1; m <= 1000; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    f *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const step = d * c;
    f *= step;
    if (Math.abs(step - 1) < 1e-16) return f;
  }
  return f;
}

/** The regularized incomplete beta function I_x(a, b), 0 <= x <= 1, a, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logPrefactor = a * Math.log(x) + b * Math.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  const prefactor = Math.exp(logPrefactor);
  // The fraction converges on the side of the mode; the other side follows from I_x(a, b) = 1 - I_1-x(b, a).
  if (x < (a + 1) / (a + b + 2)) return (prefactor * betaContinuedFraction(x, a, b)) / a;
  return 1 - (prefactor * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(|T| >= |t|) for Student's t with df degrees of freedom: I_{df / (df + t^2)}(df / 2, 1 / 2). */
export function studentTTwoSided(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom ${df} must be positive`);
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5));
}

/** How a result file's intervals and tests were computed (stored beside them). */
export interface SignificanceStatement extends SignificanceOptions {
  readonly method: string;
}

export function significanceStatement(
  options: SignificanceOptions = DEFAULT_SIGNIFICANCE,
  unit: 'queries' | 'pairs' = 'queries',
  tests = true,
): SignificanceStatement {
  return { ...options, method: describeSignificance(options, unit, tests) };
}

/** A difference with its sign: "+0.0170", "-0.0031". */
export function formatSigned(v: number, digits = 4): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
}

/** "Δ +0.0170 [-0.0100, +0.0400], t-test p = 0.39; not significant: p = 0.41, 3 of 40 queries moved (2 up, 1 down)". */
export function describeComparison(
  c: PairedComparison,
  alpha = DEFAULT_SIGNIFICANCE.alpha,
  digits = 4,
): string {
  const d = c.difference;
  const t = c.tTest.p === null ? 'n/a' : c.tTest.p < 0.001 ? '< 0.001' : `= ${formatP(c.tTest.p)}`;
  return (
    `Δ ${formatSigned(d.mean, digits)} [${formatSigned(d.lower, digits)}, ${formatSigned(d.upper, digits)}], ` +
    `t-test p ${t}; ${comparisonVerdict(c, alpha)}`
  );
}
