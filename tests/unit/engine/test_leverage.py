"""A row holding much of a column's variance takes the root mean square weight
(mixsynth/engine/pinning.py ``leveraged_pairs``): the variance ratio keeps its
expectation (the finite-sample target, 1 for the sample variance) with far less
spread than one draw of that row's weight gives, its partner's lost term given back by
a difference of two more rows."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import mixsynth.engine.memory as memory
import mixsynth.engine.pinning as pinning
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import WeightDistribution

RUNS = 300


def one_outlier(rows: int = 200) -> pd.DataFrame:
    """Normal values and one far value holding about 40% of the sum of squares."""
    values = np.random.default_rng(5).normal(size=rows)
    values[0] = 9.0
    return pd.DataFrame({"x": values})


def variance_ratios(frame: pd.DataFrame) -> np.ndarray:
    """Each run's variance ratio, the mean over the columns (its expectation is 1)."""
    real = frame.var()
    return np.array(
        [
            (
                synthesize(frame, SynthesisOptions(), np.random.default_rng(seed)).frame.var()
                / real
            ).mean()
            for seed in range(RUNS)
        ]
    )


def test_a_heavy_row_keeps_the_variance_in_expectation_with_little_spread(monkeypatch) -> None:
    frame = one_outlier()
    x = frame["x"].to_numpy()
    share = (x[0] - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum()
    assert 0.3 < share < 0.5
    ratios = variance_ratios(frame)
    se = ratios.std(ddof=1) / np.sqrt(RUNS)
    assert abs(ratios.mean() - 1) < 4 * se  # the finite-sample target: 1 in expectation
    monkeypatch.setattr(pinning, "LEVERAGE_SHARE", np.inf)  # every weight drawn
    drawn = variance_ratios(frame)
    drawn_se = drawn.std(ddof=1) / np.sqrt(RUNS)
    assert abs(drawn.mean() - 1) < 4 * drawn_se
    # One draw of the heavy row's weight spreads the ratio; its rms weight does not.
    assert drawn.std() > 0.06
    assert ratios.std() < drawn.std() / 2


def test_many_heavy_rows_keep_every_variance_in_expectation(monkeypatch) -> None:
    """Eight log-normal columns of 60 rows: 26 rows hold 5% of some column's sum of
    squares. A fixed w leaves each one's partner (1 - w)^2 instead of E[(1 - w)^2],
    which takes 2 (w - kappa)/(n - 1) of every column's variance per such row (0.0074
    here; wine lost 0.0027 a generation, 3% over 10): the difference term gives it
    back, and the mean ratio over the columns is 1 within 4 standard errors."""
    rows = 60
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({f"c{k}": rng.lognormal(0.0, 1.0, rows) for k in range(8)})
    centred = frame - frame.mean()
    heavy = int((centred**2 / (centred**2).sum() >= pinning.LEVERAGE_SHARE).any(axis=1).sum())
    assert heavy == 26

    ratios = variance_ratios(frame)
    assert abs(ratios.mean() - 1) < 4 * ratios.std(ddof=1) / np.sqrt(RUNS)
    # Without the difference the loss is the closed form's, within 4 standard errors.
    pairs_of = pinning.leveraged_pairs

    def without_difference(*args):
        pairs = pairs_of(*args)
        return dataclasses.replace(pairs, spread=np.zeros_like(pairs.spread))

    monkeypatch.setattr(memory, "leveraged_pairs", without_difference)
    lost = variance_ratios(frame)
    weights = SynthesisOptions().weights_for(rows, rows)
    root = np.sqrt(weights.dominant_square())
    expected = 1 - 2 * (root - weights.kappa()) * heavy / (rows - 1)
    assert abs(lost.mean() - expected) < 4 * lost.std(ddof=1) / np.sqrt(RUNS)


@pytest.mark.parametrize("offset", [0.0, 1e12])  # 1e12: the sum of squares cancels
def test_only_rows_at_the_share_take_the_root_mean_square_weight(offset: float) -> None:
    from mixsynth.engine.kernel import draw_pairs

    options = SynthesisOptions()
    rows = 2000
    values = offset + np.random.default_rng(1).normal(size=rows)
    pairs, weights = draw_pairs(
        np.random.default_rng(3), np.zeros(rows, dtype=np.int64), rows, options.pairing,
        options.weights_for,
    )  # fmt: skip
    # No row of 2,000 normal values holds 5% of their sum of squares: every draw kept.
    assert pinning.leveraged_pairs(np.random.default_rng(0), [values], pairs, weights) is pairs
    values[7] = offset + 40.0  # now about half of it
    w = pinning.leveraged_pairs(
        np.random.default_rng(0), [values, np.full(rows, np.nan)], pairs, weights
    ).w
    heavy = pairs.dominant == 7
    assert heavy.sum() == 1  # balanced anchors: the row is dominant once
    assert w[heavy] == pytest.approx(np.sqrt(weights.dominant_square()))
    assert np.array_equal(w[~heavy], pairs.w[~heavy])


@pytest.mark.parametrize(
    "weights",
    [
        WeightDistribution(0.105, 0.105, 0.05, 0.05),
        WeightDistribution(2.0, 2.0),
        WeightDistribution(0.3, 0.7, 0.1, 0.2),
    ],
)
def test_the_dominant_weights_mean_square_is_the_integral(weights) -> None:
    """E[max(lam, 1 - lam)^2] against scipy's numerical integral of the density."""
    from scipy import integrate

    frozen = weights.frozen()
    low, high = weights.loc, weights.loc + weights.scale
    inner = [p for p in (0.5,) if low < p < high]
    value, _ = integrate.quad(
        lambda t: max(t, 1 - t) ** 2 * frozen.pdf(t), low, high, points=inner, limit=200
    )
    assert weights.dominant_square() == pytest.approx(value, rel=1e-6)
