// The statistics behind every interval and p-value of the analyses, against SciPy/numpy (the independent
// reference, test/reference/scipy_significance.py) and against what a bootstrap must do (coverage, seeds).
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { runScipyReference, skipWithoutScipy } from '../../support/scipyReference';
import { mulberry32 } from '../../../src/core/random';
import {
  bootstrapMeans,
  comparePaired,
  comparisonVerdict,
  DEFAULT_SIGNIFICANCE,
  logGamma,
  meanInterval,
  pairedTTest,
  quantileOfSorted,
  regularizedIncompleteBeta,
  significanceOptions,
  signFlipTest,
  studentTTwoSided,
} from '../../../src/core/eval/significance';

/** Standard normal draws (Box-Muller on mulberry32). */
function normals(n: number, seed: number, shift = 0): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const u = 1 - random();
    return shift + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  });
}

/**
 * Reciprocal ranks as MRR@10 produces them (0, 1, 1/2, ..., 1/10, many ties), and a treatment that moves a
 * share of the queries' first relevant passage up or down a few ranks.
 */
function reciprocalRankPair(n: number, seed: number, moved: number): [number[], number[]] {
  const random = mulberry32(seed);
  const rankToRr = (rank: number) => (rank > 10 ? 0 : 1 / rank);
  const ranks = Array.from({ length: n }, () => 1 + Math.floor(random() * 14));
  const after = ranks.map((r) => (random() < moved ? Math.max(1, r + Math.floor(random() * 5) - 1) : r));
  return [ranks.map(rankToRr), after.map(rankToRr)];
}

const relativeClose = (got: number, want: number, rtol: number, atol: number, what: string) =>
  assert.ok(
    Math.abs(got - want) <= atol + rtol * Math.abs(want),
    `${what}: ${got} vs SciPy ${want} (rtol ${rtol}, atol ${atol})`,
  );

interface Reference {
  ttest: [number | null, number | null][];
  tTwoSided: number[];
  betainc: number[];
  gammaln: number[];
  exactPermutation: number[];
  signFlipExact: number[];
  percentile: number[];
}

const GAMMA_POINTS = [0.1, 0.5, 1, 1.5, 2, 2.5, 7.25, 10, 100.5, 1234.5];
const BETA_POINTS: [number, number, number][] = [];
for (const x of [1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 0.999999])
  for (const a of [0.5, 1, 2.5, 14.5, 150]) for (const b of [0.5, 3, 40]) BETA_POINTS.push([x, a, b]);
const T_POINTS: [number, number][] = [];
for (const t of [0, 0.1, -1, 2.2, 5, -12, 40]) for (const df of [1, 2, 5, 9, 29, 299]) T_POINTS.push([t, df]);

const TTEST_DATA: [number[], number[]][] = [
  reciprocalRankPair(10, 1, 0.3),
  reciprocalRankPair(40, 2, 0.5),
  reciprocalRankPair(200, 3, 0.2),
  [normals(25, 4), normals(25, 5, 0.4)],
  [normals(3, 6), normals(3, 7)],
  // Every difference equal (no spread): SciPy gives t = inf, p = 0; all zero: t = nan, p = nan.
  [
    [0.1, 0.5, 0.2],
    [0.35, 0.75, 0.45],
  ],
  [
    [1, 0.5, 0],
    [1, 0.5, 0],
  ],
];
// Small enough for SciPy to enumerate every sign pattern (n <= 12), with ties and zero differences.
const EXACT_DATA: [number[], number[]][] = [
  reciprocalRankPair(8, 11, 0.6),
  reciprocalRankPair(12, 12, 0.5),
  reciprocalRankPair(10, 13, 0.9),
  [normals(9, 14), normals(9, 15, 0.8)],
  [
    [0, 0.5, 1, 0.25],
    [1, 0.5, 0.33, 1],
  ],
];
// 18 non-zero differences: more than exactUpTo (16), so the Monte-Carlo path; numpy enumerates the 2^18.
const MONTE_CARLO_DATA = [normals(18, 21, 0.35), normals(18, 22, 0.1), normals(18, 23, 0.6)];

const PERCENTILE_DATA = [
  Array.from(bootstrapMeans(normals(30, 31), 2000, 7)),
  Array.from(bootstrapMeans(reciprocalRankPair(15, 32, 0)[0], 999, 8)),
];
const QUANTILES = [0, 0.025, 0.5, 0.975, 1];

let reference: Reference;
before(() => {
  if (skipWithoutScipy()) return;
  reference = runScipyReference<Reference>('scipy_significance.py', {
    ttest: TTEST_DATA,
    tTwoSided: T_POINTS,
    betainc: BETA_POINTS,
    gammaln: GAMMA_POINTS,
    exactPermutation: EXACT_DATA,
    signFlipExact: MONTE_CARLO_DATA,
    percentile: PERCENTILE_DATA.flatMap((values) => QUANTILES.map((q) => [values, q])),
  });
});

describe(
  'Student t through the regularized incomplete beta, against SciPy',
  { skip: skipWithoutScipy() },
  () => {
    // Lanczos (g = 7, 9 terms) is good to ~1e-15 relative; 1e-13 leaves rounding room and fails a wrong constant.
    it('ln Gamma matches scipy.special.gammaln', () => {
      GAMMA_POINTS.forEach((x, i) =>
        relativeClose(logGamma(x), reference.gammaln[i], 1e-13, 1e-14, `gammaln(${x})`),
      );
    });

    // The continued fraction stops at a relative step of 1e-16; the prefactor's exp(log) loses a few ulps per
    // unit of its exponent, so 1e-11 relative (1e-300 absolute for the far tails) is what double precision allows
    // here, and a swapped a/b or a wrong term moves values by far more.
    it('I_x(a, b) matches scipy.special.betainc over x, a, b', () => {
      BETA_POINTS.forEach(([x, a, b], i) =>
        relativeClose(
          regularizedIncompleteBeta(x, a, b),
          reference.betainc[i],
          1e-11,
          1e-300,
          `I(${x}; ${a}, ${b})`,
        ),
      );
    });

    it('the two-sided t tail matches 2 * scipy.stats.t.sf(|t|, df)', () => {
      T_POINTS.forEach(([t, df], i) =>
        relativeClose(studentTTwoSided(t, df), reference.tTwoSided[i], 1e-10, 1e-300, `t ${t}, df ${df}`),
      );
    });

    // t is a mean over a standard deviation (a few ulps apart in summation order); p goes through the beta above.
    it('the paired t-test matches scipy.stats.ttest_rel, including no spread and no difference', () => {
      TTEST_DATA.forEach(([baseline, treatment], i) => {
        const ours = pairedTTest(treatment.map((v, k) => v - baseline[k]));
        const [t, p] = reference.ttest[i];
        if (t === null) assert.equal(ours.t, null, `case ${i}: SciPy t is nan`);
        else if (!Number.isFinite(t)) assert.equal(ours.t, null, `case ${i}: SciPy t is ${t}, no spread`);
        else relativeClose(ours.t as number, t, 1e-12, 1e-14, `case ${i} t`);
        if (p === null) assert.equal(ours.p, null, `case ${i}: SciPy p is nan`);
        else relativeClose(ours.p as number, p, 1e-10, 1e-300, `case ${i} p`);
        assert.equal(ours.df, baseline.length - 1);
      });
    });
  },
);

describe('paired sign-flip permutation test, against SciPy', { skip: skipWithoutScipy() }, () => {
  // Both count sign patterns out of 2^n, so they agree to the last bit but for the summation order.
  it('exact: the same p as scipy.stats.permutation_test (samples, every pattern, two-sided)', () => {
    EXACT_DATA.forEach(([baseline, treatment], i) => {
      const ours = signFlipTest(treatment.map((v, k) => v - baseline[k]));
      assert.equal(ours.exact, true);
      relativeClose(ours.p, reference.exactPermutation[i], 0, 1e-12, `case ${i}`);
    });
  });

  // 10,000 draws: p has a standard error of at most 0.005 around the exact value; 4 standard errors plus the
  // +1 correction's 1/10,001 bound the miss at ~1 in 15,000 per case, and a one-sided p (half the exact) or a
  // biased flip fails it.
  it('Monte-Carlo: within 4 standard errors of numpy enumerating all 2^18 patterns; exact when allowed', () => {
    MONTE_CARLO_DATA.forEach((d, i) => {
      const exact = reference.signFlipExact[i];
      const ours = signFlipTest(d);
      assert.equal(ours.exact, false);
      assert.equal(ours.permutations, DEFAULT_SIGNIFICANCE.permutations);
      const se = Math.sqrt((exact * (1 - exact)) / ours.permutations);
      assert.ok(Math.abs(ours.p - exact) <= 4 * se + 1 / 10001, `case ${i}: ${ours.p} vs exact ${exact}`);
      assert.ok(ours.p >= 1 / 10001, 'the +1 correction keeps p above 0');
      const enumerated = signFlipTest(d, significanceOptions({ exactUpTo: 18 }));
      assert.equal(enumerated.exact, true);
      relativeClose(enumerated.p, exact, 0, 1e-12, `case ${i} enumerated`);
    });
  });

  it('is seeded: the same p for the same seed, another for another seed', () => {
    const d = MONTE_CARLO_DATA[0];
    assert.equal(signFlipTest(d).p, signFlipTest(d).p);
    assert.notEqual(signFlipTest(d).p, signFlipTest(d, significanceOptions({ seed: 2 })).p);
  });

  it('no difference at all gives p = 1', () => {
    assert.deepEqual(signFlipTest([0, 0, 0]), { p: 1, exact: true, permutations: 1 });
  });
});

describe('percentile bootstrap', () => {
  it('reads quantiles as numpy.percentile does (linear)', { skip: skipWithoutScipy() }, () => {
    let k = 0;
    for (const values of PERCENTILE_DATA) {
      const sorted = Float64Array.from(values).sort();
      for (const q of QUANTILES)
        relativeClose(quantileOfSorted(sorted, q), reference.percentile[k++], 1e-15, 1e-16, `q ${q}`);
    }
  });

  it('is deterministic per seed and resamples the same queries for every setting', () => {
    const values = normals(40, 41);
    assert.deepEqual(meanInterval(values), meanInterval(values));
    assert.notDeepEqual(meanInterval(values), meanInterval(values, significanceOptions({ seed: 9 })));
    // Common random numbers: shifting every value shifts every resampled mean by the same amount.
    const a = bootstrapMeans(values, 50, 3);
    const b = bootstrapMeans(
      values.map((v) => v + 1),
      50,
      3,
    );
    a.forEach((m, i) => assert.ok(Math.abs(b[i] - m - 1) < 1e-12));
  });

  it('gives a constant list a zero-width interval and brackets the mean', () => {
    assert.deepEqual(meanInterval([0.5, 0.5, 0.5]), { mean: 0.5, lower: 0.5, upper: 0.5 });
    const i = meanInterval(normals(50, 42, 3));
    assert.ok(i.lower < i.mean && i.mean < i.upper);
  });

  // The 95% percentile interval of a normal mean from n = 30 covers the true mean ~93.5% of the time (it is a
  // little short at small n). 1,000 data sets put the observed rate within +-2.3 points (3 standard errors) of
  // that, so [0.91, 0.96] passes a correct interval and fails a 90% one (~88%) or a 99% one (~98%).
  it('covers the true mean about 95% of the time (1,000 normal samples of 30)', () => {
    const options = significanceOptions({ resamples: 500 });
    let covered = 0;
    const trials = 1000;
    for (let t = 0; t < trials; t++) {
      const i = meanInterval(normals(30, 1000 + t, 2), significanceOptions({ ...options, seed: t + 1 }));
      if (i.lower <= 2 && 2 <= i.upper) covered++;
    }
    const rate = covered / trials;
    assert.ok(rate >= 0.91 && rate <= 0.96, `coverage ${rate}`);
  });
});

describe('paired comparison', () => {
  it('counts queries improved, hurt and unchanged and says whether the change is significant', () => {
    const baseline = [1, 0.5, 0.5, 0, 1 / 3, 1, 0.25, 0.2, 1, 0.5];
    const treatment = [1, 1, 0.5, 0, 1 / 3, 0.75, 0.25, 0.2, 1, 1];
    const c = comparePaired(baseline, treatment);
    assert.deepEqual([c.improved, c.hurt, c.unchanged, c.queries], [2, 1, 7, 10]);
    assert.equal(c.permutation.exact, true);
    // Non-zero differences +0.5, -0.25, +0.5 (sum 0.75): 4 of the 8 sign patterns reach |sum| >= 0.75.
    assert.equal(c.permutation.p, 0.5);
    assert.equal(c.significant, false);
    assert.ok(Math.abs(c.difference.mean - 0.075) < 1e-15);
    assert.equal(comparisonVerdict(c), 'not significant: p = 0.50, 3 of 10 queries moved (2 up, 1 down)');
    const strong = comparePaired(
      Array.from({ length: 12 }, () => 0.1),
      Array.from({ length: 12 }, (_, i) => 0.5 + i / 100),
    );
    assert.equal(strong.permutation.p, 2 / 4096);
    assert.match(
      comparisonVerdict(strong),
      /^significant: p < 0\.001, 12 of 12 queries moved \(12 up, 0 down\)$/,
    );
  });

  it('refuses lists of different lengths', () => {
    assert.throws(() => comparePaired([1, 2], [1]), /differ in length/);
  });
});
