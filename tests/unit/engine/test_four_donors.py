"""Rows from four donors (``donors=4``, docs/privacy.md): x~ = (x1 + x2)/2 + c (x3 - x4)
from four distinct rows, checked against the closed forms by simulation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.engine.kernel import difference_rows, draw_pairs
from mixsynth.engine.memory import GenerationStream, run_generations, synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import (
    FourDonorWeights,
    finite_sample_target,
    four_donor_weights,
    parse_weights,
)
from mixsynth.errors import MixsynthError
from mixsynth.io import read_table
from mixsynth.rules import parse_rule
from tests.conftest import SAMPLE_DATA


def plain(**changes) -> SynthesisOptions:
    """Four donors, plain: no bounds, no rounding, no semantics, no copy repair."""
    return SynthesisOptions(
        donors=4,
        bounds=Bounds.NONE,
        semantics=False,
        round_decimals=False,
        keep_copies=True,
        **changes,
    )


def test_the_weights_have_the_closed_forms() -> None:
    """c = 1/2 for factor 1: sum w = 1, sum w^2 = 1, sum w^4 = 1/4 (the kurtosis factor),
    no donor weighs more than 1/2 (novelty 1/2: a donor one variance away per column)."""
    theory = four_donor_weights().theory()
    assert four_donor_weights().spread == 0.5
    assert (theory.rho, theory.delta, theory.kappa, theory.novelty) == (1.0, 0.25, 0.5, 0.5)
    for target in (0.9, 1.0, 1.05):
        assert four_donor_weights(target).theory().rho == pytest.approx(target)
    with pytest.raises(MixsynthError, match="at least 1/2"):
        four_donor_weights(0.4)


def test_the_four_rows_are_distinct_and_the_difference_rows_uniform() -> None:
    rng = np.random.default_rng(0)
    n, size = 12, 240_000
    anchor = rng.integers(n, size=size)
    partner = (anchor + rng.integers(1, n, size=size)) % n
    third, fourth = difference_rows(rng, anchor, partner, n)
    rows = np.stack([anchor, partner, third, fourth])
    assert all((np.sort(rows, axis=0)[1:] != np.sort(rows, axis=0)[:-1]).all(axis=1))
    # Given (anchor, partner), the third is uniform over the n - 2 others.
    offsets = (third - anchor) % n
    first = partner == (anchor + 1) % n  # fix the partner's offset to 1
    counts = np.bincount(offsets[first], minlength=n)
    assert counts[0] == counts[1] == 0
    expected = first.sum() / (n - 2)
    assert np.all(np.abs(counts[2:] - expected) < 4.5 * np.sqrt(expected))


def test_every_value_is_the_four_donor_mix() -> None:
    """Each mixed value is x_d/2 + x_o/2 + c (x_t - x_f), every row, every column; a
    copied category comes from the anchor."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    frame["label"] = rng.choice(["x", "y", "z"], 300)
    stream = GenerationStream(frame, plain(), np.random.default_rng(2))
    out = stream.finish(pd.concat(list(stream))).frame
    pairs = stream.pairs
    c = finite_sample_target(300, 300, 0.5, balanced=True)
    assert pairs.spread is not None and np.allclose(pairs.spread, np.sqrt((c - 0.5) / 2))
    for name in ("a", "b", "c"):
        x = frame[name].to_numpy()
        expected = (x[pairs.dominant] + x[pairs.other]) / 2 + pairs.spread * (
            x[pairs.third] - x[pairs.fourth]
        )
        np.testing.assert_allclose(out[name], expected, rtol=0, atol=1e-12)
    assert (out["label"].to_numpy() == frame["label"].to_numpy()[pairs.dominant]).all()


def grouped_variance_ratio(options: SynthesisOptions, n: int, reps: int, seed: int, g: int):
    """Mean and standard error, over ``reps`` samples of n skewed rows (as --by groups,
    each with its own finite-sample target), of s^2 after ``g`` generations / s^2 of
    the source, ddof=1."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.gamma(2.0, size=n * reps), "rep": np.repeat(np.arange(reps), n)})
    frame["rep"] = frame["rep"].astype(str)
    options = dataclasses.replace(options, by=("rep",))
    *_, last = run_generations(frame, options, g, seed=seed)
    ratios = last.frame.groupby("rep")["x"].var() / frame.groupby("rep")["x"].var()
    return ratios.mean(), ratios.std(ddof=1) / np.sqrt(reps)


@pytest.mark.parametrize("pairing", [Pairing.BALANCED, Pairing.IID])
def test_the_sample_variance_is_kept_over_ten_generations(pairing: Pairing) -> None:
    """E[s^2 after 10 generations] = s^2 of the source, exactly in expectation with the
    finite-sample target, on 20-row samples (tolerance: 4.5 standard errors of the mean
    over 1,500 samples)."""
    mean, se = grouped_variance_ratio(plain(pairing=pairing), 20, 1500, 3, 10)
    assert abs(mean - 1) < 4.5 * se, (mean, se)


def test_without_the_target_the_variance_has_the_bootstrap_shrink() -> None:
    """c = 1/2 alone (sum w^2 = 1) keeps the n-divided variance: with i.i.d. anchors the
    ddof=1 variance shrinks by (n - 1)/n per generation, (19/20)^3 after three."""
    options = plain(pairing=Pairing.IID, finite_sample=False)
    mean, se = grouped_variance_ratio(options, 20, 2000, 4, 3)
    assert abs(mean - (19 / 20) ** 3) < 4.5 * se
    assert mean < 1 - 4.5 * se


def test_small_groups_mix_two_rows_and_donors_stay_in_their_group() -> None:
    """--by groups: four donors of the group; a group of under four rows mixes two."""
    rng = np.random.default_rng(5)
    codes = np.repeat(np.arange(3), [3, 6, 40])
    options = plain()
    pairs, weights = draw_pairs(rng, codes, 5000, Pairing.BALANCED, options.weights_for)
    assert isinstance(weights, FourDonorWeights)
    for rows in (pairs.other, pairs.third, pairs.fourth):
        assert np.array_equal(codes[rows], codes[pairs.dominant])
    small = codes[pairs.dominant] == 0
    assert (pairs.spread[small] == 0).all() and (pairs.spread[~small] > 0).all()
    four = np.stack([pairs.dominant, pairs.other, pairs.third, pairs.fourth])[:, ~small]
    assert (np.diff(np.sort(four, axis=0), axis=0) > 0).all()


def test_a_missing_difference_row_is_replaced_by_observed_rows() -> None:
    """Missing values: the rate kept (from the anchor), no value missing where the
    anchor has one, and the variance of the observed values kept."""
    rng = np.random.default_rng(6)
    n = 4000
    x = rng.normal(size=n)
    x[rng.random(n) < 0.3] = np.nan
    frame = pd.DataFrame({"x": x, "y": rng.normal(size=n)})
    stream = GenerationStream(frame, plain(), np.random.default_rng(7))
    out = stream.finish(pd.concat(list(stream))).frame["x"].to_numpy()
    anchor_missing = np.isnan(x[stream.pairs.dominant])
    assert np.array_equal(np.isnan(out), anchor_missing)
    observed = x[~np.isnan(x)]
    ratio = np.var(out[~anchor_missing], ddof=1) / np.var(observed, ddof=1)
    # The sample variance of ~2,800 normal values: standard error sqrt(2 / m).
    assert abs(ratio - 1) < 4.5 * np.sqrt(2 / (~anchor_missing).sum())


def test_affine_equalities_hold_in_every_row() -> None:
    """The weights sum to 1: totals and shares hold for every row, over generations."""
    rng = np.random.default_rng(8)
    a, b, share = rng.gamma(2.0, 50.0, 400), rng.normal(100.0, 30.0, 400), rng.beta(2, 5, 400)
    source = pd.DataFrame({"a": a, "b": b, "total": a + b, "sa": share, "sb": 1 - share})
    for generation in run_generations(source, plain(), 5, seed=9):
        out = generation.frame
        scale = 1e-9 * (1 + out[["a", "b", "total"]].abs().to_numpy().max())
        np.testing.assert_allclose(out["total"], out["a"] + out["b"], rtol=0, atol=scale)
        np.testing.assert_allclose(out["sa"] + out["sb"], 1.0, rtol=0, atol=1e-9)


def test_an_order_broken_by_the_difference_is_kept() -> None:
    """low <= high in every real row: the difference alone breaks it in some rows (the
    lever needs the repair), the generation keeps it in every row, and moves back only
    the rows that broke it."""
    rng = np.random.default_rng(10)
    n = 600
    low = rng.normal(50, 10, n)
    frame = pd.DataFrame(
        {"low": low, "high": low + rng.gamma(1.0, 2.0, n), "z": rng.normal(size=n)}
    )
    options = dataclasses.replace(plain(), rules=tuple(parse_rule("low <= high")))
    stream = GenerationStream(frame, options, np.random.default_rng(11))
    out = stream.finish(pd.concat(list(stream))).frame
    pairs = stream.pairs
    mix = {
        name: (frame[name].to_numpy()[pairs.dominant] + frame[name].to_numpy()[pairs.other]) / 2
        + pairs.spread
        * (frame[name].to_numpy()[pairs.third] - frame[name].to_numpy()[pairs.fourth])
        for name in ("low", "high")
    }
    broken = mix["low"] > mix["high"]
    assert broken.sum() > 20
    assert (out["low"] <= out["high"]).all()
    assert stream.rule_repairs >= broken.sum()
    kept = ~broken
    np.testing.assert_allclose(out["low"][kept], mix["low"][kept], rtol=0, atol=1e-9)


@pytest.mark.parametrize("structure", ["none", "shapes", "moments", "associations"])
def test_four_donors_work_with_every_treatment_and_structure_option(structure: str) -> None:
    """Point masses, integers, dates, bounds, rounding, fakes, --by and each structure
    option: values in range and none missing, the point mass's count exact (anchors
    tile the table), the groups' counts kept, no row equal to a real row."""
    real = read_table(SAMPLE_DATA / "customers.csv").frame
    changes = {
        "none": {},
        "shapes": {"match_shapes": True},
        "moments": {"match_moments": True},
        "associations": {"keep_associations": True},
    }[structure]
    options = SynthesisOptions(donors=4, by=("plan",), **changes)
    out = synthesize(real, options, np.random.default_rng(12)).frame
    assert len(out) == len(real)
    assert (out["monthly_spend"] == 0).sum() == (real["monthly_spend"] == 0).sum()
    for name in ("age", "income", "tenure_months", "monthly_spend", "signup_date"):
        assert out[name].notna().all()
        assert real[name].min() <= out[name].min() and out[name].max() <= real[name].max()
    assert (out["age"] == out["age"].round()).all()
    assert out["plan"].value_counts().to_dict() == real["plan"].value_counts().to_dict()
    assert not set(out["email"]) & set(real["email"])  # made up, not copied
    assert out.merge(real).empty  # no synthetic row is a real one


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"donors": 3}, "2 or 4"),
        ({"donors": 4, "privacy_margin": 0.2}, "--privacy-margin"),
        ({"donors": 4, "weights": parse_weights("epbeta:1,1,0.1,0.1")}, "--weights"),
        ({"donors": 4, "method": Method.VANILLA}, "--method vanilla"),
    ],
)
def test_bad_donors_are_refused(changes: dict, fragment: str) -> None:
    with pytest.raises(MixsynthError, match=fragment):
        SynthesisOptions(**changes).check()
