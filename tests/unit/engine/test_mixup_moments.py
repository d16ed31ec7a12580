"""docs/theory.md ("What vanilla mixup does", "Beyond two moments") by simulation through the engine's real code path: every covariance
is rho * S, the third central moment scales by 1 - 3 E[u], the fourth follows
(1 - 4E[u] + 2E[u^2]) mu4 + 6 E[u^2] sigma^4 (delta = E[u^2]).

With i.i.d. pairs the output rows are i.i.d. given the source, and each claim is about
E[f(d)], d = synthetic row - source mean. The standard error of the mean of f(d) over
N rows is sqrt((E[f^2] - E[f]^2) / N), and both expectations are computed exactly here,
independently of the engine: the product of factors (lam a_i + (1 - lam) a_j) expands
over which factors take row i, the weights' moments come from scipy.stats.beta and the
rows' from the source. The engine draws i != j (a row never mixes with itself), so its
expectations are the expansion over distinct pairs, within O(1/n) of docs/theory.md's closed
forms, which the expansion over independent pairs reproduces exactly. The theory's figures (rho, E[u], E[u^2]) likewise come from
scipy's frozen distribution, not from mixsynth's closed forms.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.engine.kernel import draw_pairs
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import WeightDistribution
from tests.oracles.mixup import WeightMoments, exact_moment

#: Output rows per run, and runs (seeds): the claims hold on each seed within Z SE.
ROWS, SEEDS, Z = 200_000, (1, 2), 4.5


def source_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Correlated, skewed, heavy-tailed columns, so no covariance or moment is 0."""
    rng = np.random.default_rng(seed)
    g = rng.gamma(2.0, size=n)
    t = rng.standard_t(6, size=n)
    return pd.DataFrame({"g": g, "gt": 0.6 * g + t, "mix": np.exp(0.4 * rng.normal(size=n)) - g})


def output(source: pd.DataFrame, options: SynthesisOptions, seed: int) -> pd.DataFrame:
    plain = SynthesisOptions(
        method=options.method,
        weights=options.weights,
        finite_sample=False,
        rows=ROWS,
        pairing=Pairing.IID,
        bounds=Bounds.NONE,
        semantics=False,
        round_decimals=False,
    )
    return synthesize(source, plain, np.random.default_rng(seed))


WEIGHTS = {
    "vanilla Beta(0.2, 0.2)": SynthesisOptions(method=Method.VANILLA),
    "uniform": SynthesisOptions(method=Method.VANILLA, weights=WeightDistribution(1.0, 1.0)),
    "generalized (solved)": SynthesisOptions(),
    "paper's EpBeta": SynthesisOptions(weights=WeightDistribution(4.34, 1.33, 0.3, 0.3)),
}


def check(found: np.ndarray, expected: float, second: float, what: str) -> None:
    """The mean of ``found`` against its expectation, within Z standard errors derived
    from the exact second moment ``second`` = E[f^2]."""
    se = math.sqrt((second - expected**2) / len(found))
    assert abs(found.mean() - expected) < Z * se, (what, found.mean(), expected, se)


@pytest.mark.parametrize("name", list(WEIGHTS))
def test_every_covariance_is_rho_times_s_and_the_shape_follows_theory(name) -> None:
    source = source_table()
    x = source.to_numpy()
    centred = [x[:, k] - x[:, k].mean() for k in range(x.shape[1])]
    for seed in SEEDS:
        generation = output(source, WEIGHTS[name], seed)
        lam = WeightMoments(generation.weights)
        e_u, e_u2 = lam(1, 1), lam(2, 2)
        rho = 1 - 2 * e_u
        d = generation.frame[list(source.columns)].to_numpy() - x.mean(axis=0)
        for a, b in itertools.combinations_with_replacement(range(x.shape[1]), 2):
            s_ab = np.mean(centred[a] * centred[b])  # S, n-divided
            # The closed form (docs/theory.md, "What vanilla mixup does") and the exact
            # expansion agree; the engine, which never pairs a row with itself, meets the
            # expansion over distinct pairs (within O(1/n) of it: rho S - 2 E[u] S/(n - 1)).
            fourth_ab = [centred[a], centred[a], centred[b], centred[b]]
            assert exact_moment([centred[a], centred[b]], lam) == pytest.approx(rho * s_ab)
            cov = exact_moment([centred[a], centred[b]], lam, distinct=True)
            assert cov == pytest.approx(rho * s_ab - 2 * e_u * s_ab / (len(x) - 1))
            second = exact_moment(fourth_ab, lam, distinct=True)
            check(d[:, a] * d[:, b], cov, second, f"{name}: Cov[{a}, {b}], seed {seed}")
        for a, column in enumerate(centred):
            mu3, mu4, var = np.mean(column**3), np.mean(column**4), np.mean(column**2)
            third = (1 - 3 * e_u) * mu3
            fourth = (1 - 4 * e_u + 2 * e_u2) * mu4 + 6 * e_u2 * var**2
            assert exact_moment([column] * 3, lam) == pytest.approx(third)
            assert exact_moment([column] * 4, lam) == pytest.approx(fourth)
            third, fourth = (exact_moment([column] * k, lam, distinct=True) for k in (3, 4))
            sixth, eighth = (exact_moment([column] * k, lam, distinct=True) for k in (6, 8))
            check(d[:, a] ** 3, third, sixth, f"{name}: mu3[{a}]")
            check(d[:, a] ** 4, fourth, eighth, f"{name}: mu4[{a}]")


def test_the_weights_are_the_documented_ones_with_scipys_rho_and_delta() -> None:
    """Vanilla mixup's default is Beta(0.2, 0.2), rho = (a + 1)/(2a + 1) = 0.857
    (docs/theory.md, "What vanilla mixup does"); the solved generalized weights have mean
    1 - mixing strength and rho = 1 by scipy's moments ("Over generations: collapse, and
    its fix"); every distribution reports scipy's rho and delta."""
    vanilla = SynthesisOptions(method=Method.VANILLA).weights_for(300, 300)
    assert (vanilla.alpha, vanilla.beta, vanilla.eps0, vanilla.eps1) == (0.2, 0.2, 0.0, 0.0)
    assert 1 - 2 * WeightMoments(vanilla)(1, 1) == pytest.approx(1.2 / 1.4, rel=1e-12)
    solved = SynthesisOptions(finite_sample=False, mix_strength=0.3).weights_for(300, 300)
    assert WeightMoments(solved)(1, 0) == pytest.approx(0.7, rel=1e-12)
    assert 1 - 2 * WeightMoments(solved)(1, 1) == pytest.approx(1.0, rel=1e-12)
    for options in WEIGHTS.values():
        weights = options.weights_for(300, 300)
        lam = WeightMoments(weights)
        theory = weights.theory()
        assert theory.rho == pytest.approx(1 - 2 * lam(1, 1), rel=1e-9)
        assert theory.delta == pytest.approx(lam(2, 2), rel=1e-9)


@pytest.mark.parametrize("name", list(WEIGHTS))
def test_the_sampled_weights_are_the_declared_distribution(name) -> None:
    """The engine's draws (the dominant weights w = max(lam, 1 - lam) of its pairs)
    against scipy's frozen EpBeta, P(w <= t) = F(t) - F(1 - t), on a grid of t. By the
    Dvoretzky-Kiefer-Wolfowitz inequality the empirical CDF of N draws strays more than
    eps from the true one with probability at most 2 exp(-2 N eps^2): 1e-6 here. (A
    Kolmogorov-Smirnov test would not do: about 2% of the default weights' draws land
    exactly on an end of the support in float64, ties it does not allow.)"""
    weights = WEIGHTS[name].weights_for(1000, ROWS)
    scale = 1 + weights.eps0 + weights.eps1
    frozen = stats.beta(weights.alpha, weights.beta, loc=-weights.eps0, scale=scale)
    grid = np.linspace(0.5, 1 + weights.eps1, 401)[1:-1]
    eps = math.sqrt(math.log(2 / 1e-6) / (2 * ROWS))
    for seed in SEEDS:
        codes = np.zeros(1000, dtype=np.int64)  # one group of 1,000 rows
        options = WEIGHTS[name]
        pairs, _ = draw_pairs(
            np.random.default_rng(seed), codes, ROWS, Pairing.IID, options.weights_for
        )
        empirical = np.searchsorted(np.sort(pairs.w), grid, side="right") / len(pairs.w)
        gap = np.abs(empirical - (frozen.cdf(grid) - frozen.cdf(1 - grid))).max()
        assert gap < eps, (name, seed, gap, eps)
