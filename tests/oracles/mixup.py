"""Mixup's figures computed without mixsynth: the oracles of the engine's tests.

- :class:`WeightMoments` and :func:`exact_moment`: exact moments of a synthetic row
  given the source, from scipy's Beta moments and the source's rows (docs/theory.md: "What vanilla mixup does", "Beyond two moments").
- :func:`simulate_variance_ratios`: the documented process re-implemented in numpy
  (anchor the dominant donor with weight max(lam, 1 - lam), partner uniform among the
  other rows, lam drawn by scipy), for the spread of a figure where no closed form is
  at hand: tests take their standard errors from it, never from the runs under test.
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


def exact_moment(columns: list[np.ndarray], lam: WeightMoments, distinct: bool = False) -> float:
    """E[prod_k (lam a_k[i] + (1 - lam) a_k[j])], i, j independent uniform rows
    (docs/theory.md, "What vanilla mixup does"), or with ``distinct`` uniform over the
    pairs i != j (mixsynth never mixes a row with itself), the a_k centred source
    columns: each factor takes row i (weight lam) or row j (1 - lam). Over distinct pairs E[f(i) g(j)] = (n^2 E[f] E[g] - n E[f g]) /
    (n (n - 1))."""
    total = 0.0
    n = len(columns[0])
    for mask in itertools.product((True, False), repeat=len(columns)):
        on_i = [c for c, take in zip(columns, mask, strict=True) if take]
        on_j = [c for c, take in zip(columns, mask, strict=True) if not take]
        f = np.prod(on_i, axis=0) if on_i else np.ones(n)
        g = np.prod(on_j, axis=0) if on_j else np.ones(n)
        pair = f.mean() * g.mean()
        if distinct:
            pair = (n * n * pair - n * (f * g).mean()) / (n * (n - 1))
        total += lam(len(on_i), len(on_j)) * pair
    return total


def simulate(
    weights,
    source: np.ndarray,
    *,
    balanced: bool,
    generations: int = 1,
    seed: int = 0,
    integers: bool = False,
) -> np.ndarray:
    """Run the documented process on ``source`` (runs x n rows x p columns): each
    generation n rows, each from an anchor (balanced: every row once; else uniform) as
    the dominant donor with weight w = max(lam, 1 - lam) and a partner uniform among the
    other rows, one lam per row shared by the columns. Returns the last generation, runs x n x p.
    ``weights``: anything with alpha, beta, eps0, eps1 (lam drawn by scipy).
    ``integers``: each generation rounded to whole numbers as docs/semantics.md says
    (shrunk twice towards the mean by sqrt(1 - E[f(1 - f)] / Var), then rounded up
    with probability equal to the fraction f)."""
    rng = np.random.default_rng(seed)
    x = source
    runs, n, _ = source.shape
    beta = stats.beta(weights.alpha, weights.beta)
    for _ in range(generations):
        if balanced:
            anchor = rng.permuted(np.tile(np.arange(n), (runs, 1)), axis=1)
        else:
            anchor = rng.integers(n, size=(runs, n))
        partner = rng.integers(n - 1, size=(runs, n))
        partner += partner >= anchor  # never the anchor itself
        draws = beta.rvs(size=(runs, n, 1), random_state=rng)
        lam = -weights.eps0 + (1 + weights.eps0 + weights.eps1) * draws
        w = np.maximum(lam, 1 - lam)
        x = w * np.take_along_axis(x, anchor[..., None], 1) + (1 - w) * np.take_along_axis(
            x, partner[..., None], 1
        )
        if integers:
            x = _rounded(x, rng)
    return x


def _rounded(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mean, variance = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    shrunk = x
    for _ in range(2):
        fraction = shrunk - np.floor(shrunk)
        noise = (fraction * (1 - fraction)).mean(axis=1, keepdims=True)
        shrunk = mean + np.sqrt(np.clip(1 - noise / variance, 0, None)) * (x - mean)
    return np.floor(shrunk + rng.random(x.shape))


def simulate_variance_ratios(
    weights,
    n: int,
    reps: int,
    *,
    balanced: bool,
    generations: int = 1,
    seed: int = 0,
    source: np.ndarray | None = None,
    integers: bool = False,
) -> np.ndarray:
    """``reps`` independent runs of :func:`simulate`, each on a fresh normal sample of
    ``n`` rows (or every one on the column ``source``): each run's s^2 after
    ``generations`` over its source's s^2 (ddof=1)."""
    if source is None:
        start = np.random.default_rng(seed + 1).normal(size=(reps, n, 1))
    else:
        start = np.broadcast_to(np.asarray(source, dtype=float)[None, :, None], (reps, n, 1))
    last = simulate(
        weights, start, balanced=balanced, generations=generations, seed=seed, integers=integers
    )
    return last[..., 0].var(axis=1, ddof=1) / start[..., 0].var(axis=1, ddof=1)
