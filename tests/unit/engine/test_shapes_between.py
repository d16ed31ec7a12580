"""Shapes matched between the source's values (``shapes_between``, what the privacy
target's trials use): the distribution of the piecewise-linear interpolation of the
source's values, no value a real one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.shapes import extended, quantiles_between

SOURCE = np.sort(np.random.default_rng(0).lognormal(size=300))


def interpolated_moments(source: np.ndarray) -> tuple[float, float]:
    """E[Q(U)] and E[Q(U)^2], U uniform, Q the points of :func:`extended` joined
    linearly: a segment from a to b of width h adds h(a + b)/2 and h(a² + ab + b²)/3."""
    positions, values = extended(source)
    a, b, h = values[:-1], values[1:], np.diff(positions)
    return np.sum(h * (a + b)) / 2, np.sum(h * (a * a + a * b + b * b)) / 3


@pytest.mark.parametrize("m", [300, 900, 100, 7])
def test_the_values_lie_between_the_sources_within_the_ks_bound(m: int) -> None:
    values = quantiles_between(SOURCE, m, np.random.default_rng(1))
    assert np.all(np.diff(values) >= 0)
    # Past the ends by at most half the end gap.
    assert values.min() >= SOURCE[0] - (SOURCE[1] - SOURCE[0]) / 2
    assert values.max() <= SOURCE[-1] + (SOURCE[-1] - SOURCE[-2]) / 2
    assert not np.isin(values, SOURCE).any()  # distinct source values: none is a real one
    points = np.concatenate([SOURCE, values])
    ks = np.abs(
        np.searchsorted(values, points, side="right") / m
        - np.searchsorted(SOURCE, points, side="right") / len(SOURCE)
    ).max()
    assert ks <= 1 / m + 1 / len(SOURCE)


def test_the_first_two_moments_are_the_interpolations_in_expectation() -> None:
    """Stratified positions are unbiased for any moment of Q(U): over independent runs
    the mean of each moment matches the closed form within 4 standard errors."""
    runs = np.array(
        [
            [v.mean(), (v * v).mean()]
            for v in (quantiles_between(SOURCE, 300, np.random.default_rng(s)) for s in range(400))
        ]
    )
    expected = np.array(interpolated_moments(SOURCE))
    error = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    assert np.all(np.abs(runs.mean(axis=0) - expected) <= 4 * error)
    # The interpolation moves the mean by 0.1% of a standard deviation and the
    # variance by 1.4% on this heavy tail (within 0.1% on as many normal values).
    variance = expected[1] - expected[0] ** 2
    assert abs(expected[0] - SOURCE.mean()) < 0.002 * SOURCE.std()
    assert abs(variance / SOURCE.var() - 1) < 0.015


def test_a_single_value_is_kept() -> None:
    assert np.array_equal(
        quantiles_between(np.array([2.5]), 3, np.random.default_rng(0)), [2.5] * 3
    )


def test_synthesis_between_keeps_no_real_value_where_exact_shapes_keep_all() -> None:
    rng = np.random.default_rng(2)
    real = pd.DataFrame({"x": rng.normal(size=400), "y": rng.gamma(2.0, size=400)})
    real["y"] += real["x"]
    real_share = {}
    for between in (False, True):
        options = SynthesisOptions(match_shapes=not between, shapes_between=between)
        synthetic = synthesize(real, options, np.random.default_rng(3)).frame
        real_share[between] = [np.isin(synthetic[c], real[c]).mean() for c in real]
    assert min(real_share[False]) > 0.95 and max(real_share[True]) == 0
