"""The figures of the structure experiment (benchmarks/experiment_collapse.py) against
tables whose answers are known exactly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mixsynth.errors import MixsynthError
from mixsynth.metrics import association_shift, correlation_shift, holdout_figures, split_holdout
from tests.conftest import SAMPLE_DATA


def rotated(angle: float) -> pd.DataFrame:
    """x and y = cos(angle) x + sin(angle) z with x, z centred, orthogonal and of equal
    norm, so that corr(x, y) is exactly cos(angle); w is x's exact copy."""
    x = np.array([1.0, -1.0, 1.0, -1.0, 2.0, -2.0, 2.0, -2.0])
    z = np.array([1.0, 1.0, -1.0, -1.0, 2.0, 2.0, -2.0, -2.0])
    return pd.DataFrame({"x": x, "y": math.cos(angle) * x + math.sin(angle) * z, "w": x})


def test_correlation_shift_is_zero_against_itself_and_the_known_difference_otherwise():
    real = rotated(math.acos(0.8))
    assert correlation_shift(real, real, ["x", "y", "w"]) == 0.0
    # corr(x, y) and corr(w, y) both go from 0.8 to 0.3; corr(x, w) stays 1.
    shifted = rotated(math.acos(0.3))
    assert correlation_shift(real, shifted, ["x", "y", "w"]) == pytest.approx(0.5, abs=1e-12)
    assert correlation_shift(real, shifted, ["x", "w"]) == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(correlation_shift(real, shifted, ["x"]))


def grouped(middle: float, spread: float) -> pd.DataFrame:
    """Two groups at ±middle, each with values ±spread around it: SS_between = 4
    middle², SS_total = 4 (middle² + spread²), so η = middle / sqrt(middle² + spread²)."""
    return pd.DataFrame(
        {
            "value": [middle + spread, middle - spread, -middle + spread, -middle - spread],
            "constant": [1.0, 1.0, 1.0, 1.0],
            "group": ["a", "a", "b", "b"],
        }
    )


def test_association_shift_is_zero_against_itself_and_the_known_difference_otherwise():
    real, synthetic = grouped(4.0, 3.0), grouped(3.0, 4.0)  # eta 0.8, then 0.6
    assert association_shift(real, real, ["value"], ["group"]) == 0.0
    assert association_shift(real, synthetic, ["value"], ["group"]) == pytest.approx(0.2)
    # A constant column has no eta: skipped, not averaged in as 0.
    shift = association_shift(real, synthetic, ["value", "constant"], ["group"])
    assert shift == pytest.approx(0.2)
    assert math.isnan(association_shift(real, synthetic, ["constant"], ["group"]))
    assert math.isnan(association_shift(real, synthetic, ["value"], []))


def test_association_shift_counts_missing_categories_as_a_category():
    real = grouped(4.0, 3.0)
    missing = real.assign(group=["a", "a", None, None])
    assert association_shift(real, missing, ["value"], ["group"]) == 0.0


def test_split_holdout_is_disjoint_complete_and_seeded():
    frame = pd.DataFrame({"row": np.arange(100)})
    train, holdout = split_holdout(frame, 0.3, seed=4)
    assert (len(train), len(holdout)) == (70, 30)
    assert set(train["row"]).isdisjoint(holdout["row"])
    assert sorted([*train["row"], *holdout["row"]]) == list(range(100))
    assert train["row"].is_monotonic_increasing and holdout["row"].is_monotonic_increasing
    again, _ = split_holdout(frame, 0.3, seed=4)
    other, _ = split_holdout(frame, 0.3, seed=5)
    assert again.equals(train)
    assert not other.equals(train)


@pytest.mark.parametrize("share", [0.0, 1.0, 0.001])
def test_split_holdout_refuses_an_empty_side(share):
    with pytest.raises(MixsynthError):
        split_holdout(pd.DataFrame({"row": np.arange(100)}), share, seed=0)


@pytest.fixture(scope="module")
def penguins_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    return split_holdout(pd.read_parquet(SAMPLE_DATA / "penguins.parquet"), 0.3, seed=0)


def test_holdout_figures_of_the_train_rows_themselves(penguins_split):
    """Copies of the train rows: distance 0 to the train rows, and a model trained on
    them is the model trained on the train rows (ratio exactly 1)."""
    train, holdout = penguins_split
    found = holdout_figures(train, holdout, train, target="species", seed=0)
    assert found["privacy"]["dcr_median"] == 0.0
    assert found["privacy"]["dcr_ratio"] == 0.0
    assert found["privacy"]["holdout_dcr_median"] > 0
    assert found["utility"]["test_rows"] == len(holdout)
    assert found["utility"]["ratio"] == {"accuracy": 1.0, "macro_f1": 1.0}


def test_holdout_figures_of_the_holdout_rows_are_the_baseline(penguins_split):
    """The holdout rows as 'synthetic' rows are exactly as far from the train rows as
    the holdout rows: DCR ratio 1."""
    train, holdout = penguins_split
    found = holdout_figures(train, holdout, holdout, seed=0)
    assert found["privacy"]["dcr_ratio"] == 1.0
    assert found["utility"] is None


def test_holdout_figures_reuse_the_real_models_scores(penguins_split):
    """Given the train-on-train scores of an earlier call, the same figures come out
    without fitting that model again; and the given scores are the ones used."""
    train, holdout = penguins_split
    synthetic = train.sample(frac=1.0, replace=True, random_state=1)
    fresh = holdout_figures(train, holdout, synthetic, target="species", seed=0)
    reused = holdout_figures(
        train, holdout, synthetic, target="species", seed=0, real_scores=fresh["utility"]["real"]
    )
    assert reused == fresh
    halved = holdout_figures(
        train, holdout, synthetic, target="species", seed=0, real_scores={"accuracy": 0.5}
    )
    accuracy = fresh["utility"]["synthetic"]["accuracy"]
    assert halved["utility"]["ratio"] == {"accuracy": pytest.approx(accuracy / 0.5)}
