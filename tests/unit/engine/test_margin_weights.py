"""THEORY §9, the privacy margin, through the engine: every synthetic row lies at least
delta |x_i - x_j| from both of its donors (each row's donors recovered from the output
itself), and the margin weights keep the variance in expectation, within standard errors
from an independent numpy simulation of the documented weights and process."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Bounds
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import margin_weights

MARGINS = [0.1, 0.3, 0.5]


def plain(margin: float, **changes) -> SynthesisOptions:
    """Margin weights on plain mixing: no bounds, no rounding, columns copied as stored."""
    return SynthesisOptions(
        privacy_margin=margin, bounds=Bounds.NONE, semantics=False, round_decimals=False, **changes
    )


@pytest.mark.parametrize("margin", MARGINS)
def test_every_row_keeps_the_margin_from_both_donors(margin: float) -> None:
    """Each output row copies its dominant donor's id; its partner is the source row on
    the line from that donor through the output row (found by brute force, and checked
    to lie on it exactly). Both distances are then at least margin * |x_i - x_j|."""
    rng = np.random.default_rng(1)
    n = 200
    x = rng.normal(size=(n, 2)) * [1.0, 30.0]
    source = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "id": [f"r{i}" for i in range(n)]})
    out = synthesize(source, plain(margin, rows=3 * n), np.random.default_rng(2)).frame
    made = out[["a", "b"]].to_numpy()
    dominant = x[out["id"].str[1:].astype(int).to_numpy()]
    step = made - dominant  # (1 - w)(x_partner - x_dominant)
    # The partner: the source row whose direction from the dominant donor is the step's.
    towards = x[None, :, :] - dominant[:, None, :]  # rows x candidates x 2
    cross = towards[..., 0] * step[:, None, 1] - towards[..., 1] * step[:, None, 0]
    sizes = np.linalg.norm(towards, axis=2) * np.linalg.norm(step, axis=1)[:, None]
    sine = np.abs(cross) / np.where(sizes > 0, sizes, np.inf)
    partner = x[np.argmin(sine, axis=1)]
    assert np.min(sine, axis=1).max() < 1e-9  # on the line: the partner is found
    apart = np.linalg.norm(partner - dominant, axis=1)
    for donor in (dominant, partner):
        distance = np.linalg.norm(made - donor, axis=1)
        assert (distance >= margin * apart * (1 - 1e-9)).all(), margin


def simulated_ratios(weights, n: int, runs: int, seed: int = 0) -> np.ndarray:
    """Variance ratios (ddof=1) of ``runs`` one-generation runs on fresh normal samples
    of n rows, in numpy: balanced anchors, a partner uniform among the other rows, the
    dominant weight w uniform on the inner arm with probability q, else on the outer
    arm (docs/privacy.md), lam = w or 1 - w."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(runs, n))
    anchor = rng.permuted(np.tile(np.arange(n), (runs, 1)), axis=1)
    partner = (anchor + 1 + rng.integers(n - 1, size=(runs, n))) % n
    (in_low, in_high), (out_low, out_high) = weights.arms
    inner = rng.random((runs, n)) < weights.q
    w = np.where(
        inner, rng.uniform(in_low, in_high, (runs, n)), rng.uniform(out_low, out_high, (runs, n))
    )
    made = w * np.take_along_axis(x, anchor, 1) + (1 - w) * np.take_along_axis(x, partner, 1)
    return made.var(axis=1, ddof=1) / x.var(axis=1, ddof=1)


@pytest.mark.parametrize("margin", MARGINS)
def test_margin_weights_keep_the_variance_in_expectation(margin: float) -> None:
    """1,000 samples of 100 rows as --by groups, each mixed inside itself with its own
    finite-sample target: the mean variance ratio is 1 within 4.5 standard errors."""
    n, reps = 100, 1000
    rng = np.random.default_rng(int(margin * 100))
    frame = pd.DataFrame(
        {"x": rng.normal(size=n * reps), "rep": np.repeat(np.arange(reps), n).astype(str)}
    )
    options = dataclasses.replace(plain(margin), by=("rep",))
    out = synthesize(frame, options, np.random.default_rng(reps)).frame
    ratios = out.groupby("rep")["x"].var() / frame.groupby("rep")["x"].var()
    weights = options.weights_for(n, n)
    se = simulated_ratios(weights, n, 4000).std(ddof=1) / np.sqrt(reps)
    assert abs(ratios.mean() - 1) < 4.5 * se, (margin, ratios.mean(), se)


@pytest.mark.parametrize("margin", MARGINS)
def test_four_point_weights_are_theorys_least_distortion(margin: float) -> None:
    """THEORY §9's closed forms for variance factor 1: with a = d(1 - d) and
    b = d(1 + d), the inner points {d, 1 - d} have probability q = b / (a + b) =
    (1 + d)/2, E[u^2] = a b = d^2 (1 - d^2) (the least of any weights with that margin),
    kappa = 1 - d^2 and E[(1 - w)^2] = d^2."""
    weights = margin_weights(margin)
    a, b = margin * (1 - margin), margin * (1 + margin)
    assert weights.q == pytest.approx(b / (a + b), rel=1e-12)
    assert weights.q == pytest.approx((1 + margin) / 2, rel=1e-12)
    theory = weights.theory()
    assert theory.rho == pytest.approx(1.0, abs=1e-12)
    assert theory.delta == pytest.approx(margin**2 * (1 - margin**2), rel=1e-12)
    assert theory.kappa == pytest.approx(1 - margin**2, rel=1e-12)
    assert theory.novelty == pytest.approx(margin**2, rel=1e-12)
