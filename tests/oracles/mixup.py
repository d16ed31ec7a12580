"""Mixup's figures computed without mixsynth: the oracles of the engine's tests.

- :class:`WeightMoments` and :func:`exact_moment`: exact moments of a synthetic row
  given the source, from scipy's Beta moments and the source's rows (THEORY §2, §5).
- :func:`simulate_variance_ratios`: the documented process re-implemented in numpy
  (anchor the dominant donor with weight max(lam, 1 - lam), partner uniform, lam drawn
  by scipy), for the spread of a figure where no closed form is at hand: tests take
  their standard errors from it, never from the runs under test.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.polynomial import polynomial as P
from scipy import stats


class WeightMoments:
    """E[lam^p (1 - lam)^q] of EpBeta(alpha, beta; eps0, eps1), exactly, p + q <= order."""

    def __init__(self, weights, order: int = 8) -> None:
        frozen = stats.beta(weights.alpha, weights.beta)
        raw = [frozen.moment(r) for r in range(order + 1)]  # E[B^r]
        lam = (-weights.eps0, 1 + weights.eps0 + weights.eps1)  # lam = loc + scale * B
        self.table = {}
        for p in range(order + 1):
            for q in range(order + 1 - p):
                poly = P.polymul(P.polypow(lam, p), P.polypow(P.polysub((1.0,), lam), q))
                self.table[p, q] = float(sum(c * raw[r] for r, c in enumerate(poly)))

    def __call__(self, p: int, q: int) -> float:
        return self.table[p, q]


def exact_moment(columns: list[np.ndarray], lam: WeightMoments) -> float:
    """E[prod_k (lam a_k[i] + (1 - lam) a_k[j])], i, j independent uniform rows, the a_k
    centred source columns: each factor takes row i (weight lam) or row j (1 - lam)."""
    total = 0.0
    for mask in itertools.product((True, False), repeat=len(columns)):
        on_i = [c for c, take in zip(columns, mask, strict=True) if take]
        on_j = [c for c, take in zip(columns, mask, strict=True) if not take]
        e_i = np.prod(on_i, axis=0).mean() if on_i else 1.0
        e_j = np.prod(on_j, axis=0).mean() if on_j else 1.0
        total += lam(len(on_i), len(on_j)) * e_i * e_j
    return total


def simulate_variance_ratios(
    weights,
    n: int,
    reps: int,
    *,
    balanced: bool,
    generations: int = 1,
    seed: int = 0,
) -> np.ndarray:
    """``reps`` independent runs on normal samples of ``n`` rows, ``n`` rows made per
    generation: each run's s^2 after ``generations`` over its source's s^2 (ddof=1).

    Balanced anchors: each source row the anchor once (a permutation); i.i.d.: anchors
    uniform. ``weights``: anything with alpha, beta, eps0, eps1 (drawn by scipy).
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(reps, n))
    first = x.var(axis=1, ddof=1)
    beta = stats.beta(weights.alpha, weights.beta)
    for _ in range(generations):
        if balanced:
            anchor = rng.permuted(np.tile(np.arange(n), (reps, 1)), axis=1)
        else:
            anchor = rng.integers(n, size=(reps, n))
        partner = rng.integers(n, size=(reps, n))
        lam = -weights.eps0 + (1 + weights.eps0 + weights.eps1) * beta.rvs(
            size=(reps, n), random_state=rng
        )
        w = np.maximum(lam, 1 - lam)
        x = w * np.take_along_axis(x, anchor, 1) + (1 - w) * np.take_along_axis(x, partner, 1)
    return x.var(axis=1, ddof=1) / first
