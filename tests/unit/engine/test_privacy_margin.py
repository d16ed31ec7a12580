"""Margin weights (docs/privacy.md) and pairs without self-pairs, by simulation
against the closed forms."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.engine.kernel import draw_pairs
from mixsynth.engine.memory import GenerationStream, synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import MarginWeights, margin_weights, parse_weights
from mixsynth.errors import MixsynthError
from mixsynth.io import read_table
from tests.conftest import SAMPLE_DATA

DRAWS = 400_000


def monte_carlo(weights: MarginWeights, seed: int) -> dict[str, tuple[float, float]]:
    """Estimates and standard errors of the theory's figures from sampled weights."""
    lam = weights.sample(np.random.default_rng(seed), DRAWS)
    u = lam * (1 - lam)
    w = np.maximum(lam, 1 - lam)
    samples = {"rho": 1 - 2 * u, "delta": u**2, "kappa": w, "novelty": (1 - w) ** 2, "mean": lam}
    return {k: (v.mean(), v.std(ddof=1) / np.sqrt(DRAWS)) for k, v in samples.items()}


@pytest.mark.parametrize("margin", [0.05, 0.2, 0.3, 0.45, 0.5])
@pytest.mark.parametrize("spread", [0.0, 0.1])
def test_theory_figures_match_monte_carlo(margin: float, spread: float) -> None:
    weights = margin_weights(margin, spread)
    theory = weights.theory()
    assert theory.rho == pytest.approx(1.0, abs=1e-12)
    for key, (estimate, se) in monte_carlo(weights, seed=int(margin * 100)).items():
        # + 1e-12: with four points some figures are constant (standard error 0)
        assert abs(estimate - getattr(theory, key)) < 4.5 * se + 1e-12, (key, estimate, se)


@pytest.mark.parametrize("margin", [0.1, 0.3, 0.5])
def test_four_point_weights_have_the_closed_forms(margin: float) -> None:
    """q = (1 + D)/2, kappa = 1 - D^2, E[u^2] = D^2 (1 - D^2) (the lower bound), novelty D^2."""
    weights = margin_weights(margin)
    theory = weights.theory()
    assert weights.q == pytest.approx((1 + margin) / 2)
    assert theory.kappa == pytest.approx(1 - margin**2)
    assert theory.delta == pytest.approx(margin**2 * (1 - margin**2))
    assert theory.novelty == pytest.approx(margin**2)
    assert (theory.lower, theory.upper) == pytest.approx((-margin, 1 + margin))
    lam = weights.sample(np.random.default_rng(1), 10_000)
    assert set(np.round(lam, 12)) == set(np.round([margin, 1 - margin, -margin, 1 + margin], 12))


def test_smooth_arms_cost_distortion_over_the_bound() -> None:
    """Any weights with margin D have E[u^2] >= D^2 (1 - D^2); spread adds to it."""
    for margin in (0.1, 0.3):
        bound = margin**2 * (1 - margin**2)
        deltas = [margin_weights(margin, spread).theory().delta for spread in (0.0, 0.05, 0.2)]
        assert deltas[0] == pytest.approx(bound)
        assert bound < deltas[1] < deltas[2]


def test_no_weight_falls_inside_the_margin() -> None:
    for margin, spread in ((0.2, 0.1), (0.45, 0.3), (0.5, 0.2)):
        lam = margin_weights(margin, spread).sample(np.random.default_rng(2), 100_000)
        distance = np.minimum(np.abs(lam), np.abs(1 - lam))
        assert distance.min() >= margin - 1e-12


def test_the_solver_hits_a_finite_sample_target() -> None:
    for target in (0.99, 1.0, 1.02):
        assert margin_weights(0.3, 0.1, target_rho=target).theory().rho == pytest.approx(target)
    with pytest.raises(MixsynthError, match="variance factor"):
        margin_weights(0.3, target_rho=3.0)


def test_specs_parse_back() -> None:
    assert parse_weights("margin:0.3") == margin_weights(0.3)
    assert parse_weights("margin:0.2,0.1") == margin_weights(0.2, 0.1)
    weights = MarginWeights(0.25, 0.05, 0.625)
    assert parse_weights(weights.label()) == weights
    for spec in ("margin:0", "margin:0.6", "margin:0.2,-1", "margin:0.2,0,1.5", "margin:nan"):
        with pytest.raises(MixsynthError):
            parse_weights(spec)


def plain(margin: float, **changes) -> SynthesisOptions:
    """Plain mixup with a margin: no bounds, no rounding, no semantics."""
    return SynthesisOptions(
        privacy_margin=margin,
        bounds=Bounds.NONE,
        semantics=False,
        round_decimals=False,
        **changes,
    )


@pytest.mark.parametrize("margin", [0.1, 0.3, 0.5])
@pytest.mark.parametrize("pairing", [Pairing.BALANCED, Pairing.IID])
def test_every_row_keeps_the_margin_from_both_donors(margin: float, pairing: Pairing) -> None:
    """|x~ - x_d| >= D |x_d - x_o| and |x~ - x_o| >= D |x_d - x_o|, every row, every
    mixed column (up to float rounding), also with a category copied beside them."""
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    frame["label"] = rng.choice(["x", "y"], n)
    stream = GenerationStream(frame, plain(margin, pairing=pairing), np.random.default_rng(4))
    out = stream.finish(pd.concat(list(stream))).frame
    dominant, other = stream.pairs.dominant, stream.pairs.other
    assert not np.any(dominant == other)
    for name in ("a", "b", "c"):
        x = frame[name].to_numpy()
        gap = np.abs(x[dominant] - x[other])
        y = out[name].to_numpy()
        slack = 1e-12 * (1 + np.abs(x[dominant]) + np.abs(x[other]))
        assert np.all(np.abs(y - x[dominant]) >= margin * gap - slack)
        assert np.all(np.abs(y - x[other]) >= margin * gap - slack)


def grouped_variance_ratio(options: SynthesisOptions, n: int, reps: int, seed: int):
    """Mean and standard error over reps samples of n normal rows (as --by groups, each
    with its own finite-sample target) of s^2(synthetic) / s^2(source), ddof=1."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n * reps), "rep": np.repeat(np.arange(reps), n)})
    frame["rep"] = frame["rep"].astype(str)
    out = synthesize(frame, dataclasses.replace(options, by=("rep",)), rng).frame
    ratios = out.groupby("rep")["x"].var() / frame.groupby("rep")["x"].var()
    return ratios.mean(), ratios.std(ddof=1) / np.sqrt(reps)


@pytest.mark.parametrize("margin", [0.1, 0.3, 0.5])
@pytest.mark.parametrize("pairing", [Pairing.BALANCED, Pairing.IID])
def test_the_margin_keeps_the_sample_variance(margin: float, pairing: Pairing) -> None:
    """E[s^2 synthetic] = s^2 source with the finite-sample target, on 20-row samples,
    for two seeds each (tolerance: 4.5 standard errors of the mean over 2,000 samples)."""
    for seed in (0, 1):
        mean, se = grouped_variance_ratio(plain(margin, pairing=pairing), 20, 2000, seed)
        assert abs(mean - 1) < 4.5 * se, (seed, mean, se)


def test_without_the_target_the_margin_has_the_bootstrap_shrink() -> None:
    """rho = 1 alone with i.i.d. pairs: E[ratio] = (n - 1)/n, detectably below 1."""
    options = plain(0.3, pairing=Pairing.IID, finite_sample=False)
    mean, se = grouped_variance_ratio(options, 20, 3000, 5)
    assert abs(mean - 19 / 20) < 4.5 * se
    assert mean < 1 - 4.5 * se


@pytest.mark.parametrize("pairing", [Pairing.BALANCED, Pairing.IID])
def test_a_row_never_mixes_with_itself(pairing: Pairing) -> None:
    """Partners are uniform over the other rows of the group, tables of 2 rows too."""
    rng = np.random.default_rng(6)
    codes = np.repeat(np.arange(3), [2, 5, 40])
    pairs, _ = draw_pairs(rng, codes, 20_000, pairing, lambda n, size: margin_weights(0.2))
    assert not np.any(pairs.dominant == pairs.other)
    assert np.array_equal(codes[pairs.dominant], codes[pairs.other])
    # Uniform over the other 39 rows of the large group: a chi-square-free check on counts.
    large = codes[pairs.dominant] == 2
    offsets = (pairs.other[large] - pairs.dominant[large]) % 40
    counts = np.bincount(offsets, minlength=40)
    assert counts[0] == 0
    expected = large.sum() / 39
    assert np.all(np.abs(counts[1:] - expected) < 4.5 * np.sqrt(expected))
    two = codes[pairs.dominant] == 0
    assert np.all(pairs.dominant[two] + pairs.other[two] == 1)


def test_a_two_row_table_has_no_copies() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [10.0, 30.0]})
    out = synthesize(frame, plain(0.2), np.random.default_rng(7)).frame
    assert not out.merge(frame).shape[0]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"privacy_margin": 0.6}, "from 0 to 0.5"),
        ({"privacy_margin": -0.1}, "from 0 to 0.5"),
        ({"privacy_margin": 0.2, "weights": parse_weights("epbeta:1,1,0.1,0.1")}, "--weights"),
        ({"privacy_margin": 0.2, "method": Method.VANILLA}, "generalized"),
    ],
)
def test_bad_margins_are_refused(changes: dict, fragment: str) -> None:
    with pytest.raises(MixsynthError, match=fragment):
        SynthesisOptions(**changes).check()


def test_the_margin_reaches_every_group_and_the_generation_record() -> None:
    """--by groups each get the margin weights of their own size's target."""
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"x": rng.normal(size=300), "g": np.repeat(["a", "b"], [100, 200])})
    generation = synthesize(frame, dataclasses.replace(plain(0.3), by=("g",)), rng)
    assert isinstance(generation.weights, MarginWeights)
    assert generation.weights.margin == 0.3
    assert generation.weights.label().startswith("margin:0.3,0,")


def test_the_margin_works_with_every_treatment_and_structure_option() -> None:
    """Point masses, integers, dates, bounds, --by and the three structure options: the
    point mass keeps its exact count (dominant donors tile the table), values stay in
    range, no value goes missing."""
    real = read_table(SAMPLE_DATA / "customers.csv").frame
    options = SynthesisOptions(
        privacy_margin=0.3,
        by=("plan",),
        match_moments=True,
        match_shapes=True,
        keep_associations=True,
    )
    out = synthesize(real, options, np.random.default_rng(9)).frame
    assert len(out) == len(real)
    assert (out["monthly_spend"] == 0).sum() == (real["monthly_spend"] == 0).sum()
    for name in ("age", "income", "tenure_months", "monthly_spend", "signup_date"):
        assert out[name].notna().all()
        assert real[name].min() <= out[name].min() and out[name].max() <= real[name].max()
    assert out["plan"].value_counts().to_dict() == real["plan"].value_counts().to_dict()
