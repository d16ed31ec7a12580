"""Weight distributions against the closed forms of docs/theory.md (vanilla mixup, the fix), by Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from mixsynth.engine.weights import (
    WeightDistribution,
    finite_sample_target,
    parse_weights,
    solve_epbeta,
    uniform,
)
from mixsynth.errors import MixsynthError

DRAWS = 400_000

PAPER = WeightDistribution(4.34, 1.33, 0.3, 0.3)
CASES = {
    "beta(0.2,0.2)": (WeightDistribution(0.2, 0.2), 0.857142857),
    "beta(0.1,0.1)": (WeightDistribution(0.1, 0.1), 0.916666667),
    "uniform": (uniform(), 2 / 3),
    "solver default": (solve_epbeta(), 1.0),
    "paper epbeta": (PAPER, None),
}


def figures(lam: np.ndarray) -> dict[str, np.ndarray]:
    """Per draw: the quantities whose means are rho, delta, kappa, novelty and E[lam]."""
    u = lam * (1 - lam)
    w = np.maximum(lam, 1 - lam)
    return {"rho": 1 - 2 * u, "delta": u**2, "kappa": w, "novelty": (1 - w) ** 2, "mean": lam}


def monte_carlo(weights: WeightDistribution, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Estimates from mixsynth's sampler, with standard errors from as many draws of
    scipy's frozen distribution (independent of the draws under test)."""
    drawn = figures(weights.sample(np.random.default_rng(seed), DRAWS))
    reference = figures(weights.frozen().rvs(size=DRAWS, random_state=seed + 1))
    return {k: (v.mean(), reference[k].std(ddof=1) / np.sqrt(DRAWS)) for k, v in drawn.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_theory_figures_match_monte_carlo(name: str) -> None:
    weights, closed_rho = CASES[name]
    theory = weights.theory()
    if closed_rho is not None:
        assert theory.rho == pytest.approx(closed_rho, abs=1e-9)
    for key, (estimate, se) in monte_carlo(weights).items():
        assert abs(estimate - getattr(theory, key)) < 4.5 * se, (key, estimate, se)


@pytest.mark.parametrize("name", list(CASES))
def test_closed_form_moments_equal_the_frozen_scipy_distribution(name: str) -> None:
    weights = CASES[name][0]
    frozen = weights.frozen()
    for k in (1, 2, 3, 4):
        assert weights.moment(k) == pytest.approx(float(frozen.moment(k)), rel=1e-10)
    assert weights.moment(0, below_half=True) == pytest.approx(float(frozen.cdf(0.5)), rel=1e-10)


def test_sampling_follows_the_frozen_scipy_distribution() -> None:
    """numpy's shifted Beta draws are the EpBeta law (KS against scipy's cdf)."""
    from scipy import stats

    draws = PAPER.sample(np.random.default_rng(3), 20_000)
    assert stats.kstest(draws, PAPER.frozen().cdf).pvalue > 0.001
    assert draws.min() >= -0.3 and draws.max() <= 1.3


def test_beta_rho_closed_form() -> None:
    """rho = (alpha + 1) / (2 alpha + 1) for Beta(alpha, alpha)."""
    for alpha in (0.1, 0.2, 0.5, 1.0, 4.0):
        expected = (alpha + 1) / (2 * alpha + 1)
        assert WeightDistribution(alpha, alpha).theory().rho == pytest.approx(expected)


def test_solver_reproduces_the_papers_example() -> None:
    solved = solve_epbeta(mix_strength=0.075, eps0=0.3, eps1=0.3)
    assert solved.alpha == pytest.approx(4.3, abs=0.05)
    assert solved.beta == pytest.approx(1.3, abs=0.05)
    assert solved.theory().rho == pytest.approx(1.0, abs=1e-12)
    assert solved.theory().mean == pytest.approx(0.925, abs=1e-12)
    # The printed, rounded parameters are close to but not exactly variance-preserving.
    assert PAPER.theory().rho == pytest.approx(0.9985, abs=5e-4)
    assert PAPER.theory().mean == pytest.approx(0.925, abs=1e-3)


@pytest.mark.parametrize("target", [0.9, 1.0, 1.01])
def test_solver_hits_any_feasible_target(target: float) -> None:
    solved = solve_epbeta(0.2, 0.2, 0.1, target_rho=target)
    assert solved.theory().rho == pytest.approx(target, abs=1e-12)
    assert solved.theory().mean == pytest.approx(0.8, abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"mix_strength": 0.0}, "mixing strength"),
        ({"mix_strength": 1.0}, "mixing strength"),
        ({"eps0": -0.1}, "eps0"),
        ({"eps0": 0.0, "eps1": 0.0}, "cannot be preserved"),
        ({"mix_strength": 0.5, "eps0": 0.01, "eps1": 0.01, "target_rho": 1.5}, "no expanded Beta"),
    ],
)
def test_solver_rejects_infeasible_requests(kwargs: dict, fragment: str) -> None:
    with pytest.raises(MixsynthError, match=fragment):
        solve_epbeta(**kwargs)


def test_parse_weights_specs() -> None:
    assert parse_weights("beta:0.2,0.2") == WeightDistribution(0.2, 0.2)
    assert parse_weights("beta:0.3") == WeightDistribution(0.3, 0.3)
    assert parse_weights(" Uniform ") == uniform()
    assert parse_weights("epbeta:4.34,1.33,0.3,0.3") == PAPER
    for weights in (WeightDistribution(0.2, 0.5), uniform(), PAPER):
        assert parse_weights(weights.label()) == weights


@pytest.mark.parametrize(
    "spec",
    ["beta", "beta:0,1", "beta:-1,1", "gamma:1,2", "epbeta:1,1,-0.1,0", "beta:a,b", "beta:nan"],
)
def test_parse_weights_rejects_bad_specs(spec: str) -> None:
    with pytest.raises(MixsynthError):
        parse_weights(spec)


def test_finite_sample_target_closed_forms() -> None:
    """Partners never equal their anchor: k' = (n k - 1)/(n - 1) is the anchor's pull."""
    assert finite_sample_target(100, 100, 0.9, balanced=False) == pytest.approx(101 / 100)
    shifted = (100 * 0.9 - 1) / 99
    assert finite_sample_target(100, 100, 0.9, balanced=True) == pytest.approx(
        1 + (1 - shifted**2) / 100
    )
    # Whole tilings (N a multiple of n) have A = 0.
    shifted = (10 * 0.9 - 1) / 9
    assert finite_sample_target(10, 30, 0.9, balanced=True) == pytest.approx(
        11 / 10 - 9 / 10 * shifted**2 / 29
    )
    # Copying anchors whole (k = 1) with a full tiling gives the source back: rho* = 1.
    assert finite_sample_target(10, 10, 1.0, balanced=True) == pytest.approx(1.0)
    assert finite_sample_target(1, 5, 0.9, balanced=True) == 1.0


@pytest.mark.parametrize(
    "weights",
    [WeightDistribution(0.105, 0.105, 0.05, 0.05), WeightDistribution(0.2, 0.2), uniform(), PAPER],
)
def test_kappa_shortcut_equals_the_general_formula(weights: WeightDistribution) -> None:
    assert weights.kappa() == pytest.approx(weights.theory().kappa, rel=1e-12)
