"""Small, exact-where-possible tests for comparing cohorts of simulated individuals.

Individuals of a cohort are independent draws, so their per-individual measures are compared
with distribution-free tests: a sign test against a fixed value, and a permutation test between
two groups (exact when the number of relabellings is small, else a fixed-seed Monte Carlo
estimate with the add-one correction of Phipson & Smyth 2010, Stat Appl Genet Mol Biol 9:39).
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np

#: Largest number of relabellings enumerated exactly; beyond it a Monte Carlo estimate is used.
EXACT_LIMIT = 200_000
#: Random relabellings of the Monte Carlo estimate (fixed seed: same data, same p).
MONTE_CARLO_DRAWS = 20_000


def sign_test_p(values, mu: float) -> float:
    """One-sided sign test that the median of ``values`` exceeds ``mu``: P(at least this many of
    the non-tied values above ``mu``) under Binomial(n, 1/2). NaN values are dropped."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x) & (x != mu)]
    n, k = x.size, int(np.sum(x > mu))
    if n == 0:
        return 1.0
    return float(sum(math.comb(n, j) for j in range(k, n + 1)) / 2.0**n)


def permutation_p(a, b, sign: int) -> float:
    """One-sided permutation test: the share of relabellings of ``a + b`` whose mean difference
    (``a`` minus ``b``, times ``sign``) is at least the observed one. NaN values are dropped."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return float("nan")
    pooled = np.concatenate([a, b])
    n = a.size
    observed = sign * (a.mean() - b.mean()) - 1e-12
    total = pooled.sum()
    if math.comb(pooled.size, n) <= EXACT_LIMIT:
        count = tot = 0
        for idx in combinations(range(pooled.size), n):
            s = pooled[list(idx)].sum()
            tot += 1
            count += sign * (s / n - (total - s) / (pooled.size - n)) >= observed
        return float(count / tot)
    gen = np.random.default_rng(0x5EED)
    sums = np.array([pooled[gen.permutation(pooled.size)[:n]].sum() for _ in range(MONTE_CARLO_DRAWS)])
    diffs = sign * (sums / n - (total - sums) / (pooled.size - n))
    return float((np.sum(diffs >= observed) + 1) / (MONTE_CARLO_DRAWS + 1))


def mannwhitney_greater_p(a, b) -> float:
    """One-sided Mann-Whitney U p-value that values of ``a`` tend to exceed those of ``b`` (finite
    values only); NaN if either is empty."""
    from scipy.stats import mannwhitneyu

    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    return float(mannwhitneyu(a, b, alternative="greater").pvalue) if a.size and b.size else float("nan")
