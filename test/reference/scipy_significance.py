"""SciPy's answers for the statistics of src/core/eval/significance.ts (the independent reference).

Reads one JSON request on stdin, writes one JSON answer on stdout:
  ttest:        [[baseline, treatment], ...] -> scipy.stats.ttest_rel(treatment, baseline): [t, p] (null for nan)
  tTwoSided:    [[t, df], ...]               -> 2 * scipy.stats.t.sf(|t|, df)
  betainc:      [[x, a, b], ...]             -> scipy.special.betainc(a, b, x)
  gammaln:      [x, ...]                     -> scipy.special.gammaln(x)
  exactPermutation: [[baseline, treatment], ...] -> scipy.stats.permutation_test, paired ('samples'),
                every sign pattern enumerated (n_resamples=inf), two-sided, statistic = mean difference
  signFlipExact: [differences, ...]          -> P(|sum of sign-flipped differences| >= |observed|) over all
                2^n patterns, enumerated with numpy (for n too large for scipy's exact mode to be quick)
  percentile:   [[values, q], ...]           -> numpy.percentile(values, 100 q) (method 'linear')
"""
import itertools
import json
import math
import sys

import numpy as np
from scipy import special, stats


def nan_to_none(v):
    v = float(v)
    return None if math.isnan(v) else v


def mean_difference(treatment, baseline, axis):
    return np.mean(treatment - baseline, axis=axis)


def exact_permutation(baseline, treatment):
    result = stats.permutation_test(
        (np.asarray(treatment, dtype=float), np.asarray(baseline, dtype=float)),
        mean_difference,
        permutation_type="samples",
        vectorized=True,
        n_resamples=np.inf,
        alternative="two-sided",
    )
    return float(result.pvalue)


def sign_flip_exact(differences):
    d = np.asarray(differences, dtype=float)
    n = len(d)
    observed = abs(d.sum())
    signs = np.array(list(itertools.product([1.0, -1.0], repeat=n)))
    sums = np.abs(signs @ d)
    return float(np.mean(sums >= observed - 1e-12 * np.abs(d).sum()))


def main():
    request = json.load(sys.stdin)
    answer = {}
    if "ttest" in request:
        answer["ttest"] = []
        for baseline, treatment in request["ttest"]:
            r = stats.ttest_rel(treatment, baseline)
            answer["ttest"].append([nan_to_none(r.statistic), nan_to_none(r.pvalue)])
    if "tTwoSided" in request:
        answer["tTwoSided"] = [float(2 * stats.t.sf(abs(t), df)) for t, df in request["tTwoSided"]]
    if "betainc" in request:
        answer["betainc"] = [float(special.betainc(a, b, x)) for x, a, b in request["betainc"]]
    if "gammaln" in request:
        answer["gammaln"] = [float(special.gammaln(x)) for x in request["gammaln"]]
    if "exactPermutation" in request:
        answer["exactPermutation"] = [exact_permutation(b, t) for b, t in request["exactPermutation"]]
    if "signFlipExact" in request:
        answer["signFlipExact"] = [sign_flip_exact(d) for d in request["signFlipExact"]]
    if "percentile" in request:
        answer["percentile"] = [float(np.percentile(v, 100 * q)) for v, q in request["percentile"]]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
