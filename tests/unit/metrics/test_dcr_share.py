"""The DCR share (share of synthetic rows closer to the training rows than to as many
holdout rows), checked against brute-force nearest records in numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.metrics import compare_tables, dcr_share
from mixsynth.metrics.privacy import nearer_share


def _table(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": rng.normal(size=rows),
            "y": rng.exponential(size=rows),
            "colour": rng.choice(["red", "green", "blue"], size=rows),
        }
    )


def _brute_force_share(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    real: pd.DataFrame | None = None,
) -> float:
    """Mean per-column distance (numbers over the range of ``real``, by default train +
    holdout; categories 0/1), the nearest of each side by a full distance matrix, ties
    counted half."""
    real = pd.concat([train, holdout], ignore_index=True) if real is None else real

    def distances(side: pd.DataFrame) -> np.ndarray:
        total = np.zeros((len(synthetic), len(side)))
        for name in ("x", "y"):
            span = real[name].max() - real[name].min()
            total += np.abs(synthetic[name].to_numpy()[:, None] - side[name].to_numpy()) / span
        total += synthetic["colour"].to_numpy()[:, None] != side["colour"].to_numpy()
        return total.min(axis=1) / 3

    to_train, to_holdout = distances(train), distances(holdout)
    return float(np.mean((to_train < to_holdout) + 0.5 * (to_train == to_holdout)))


def test_dcr_share_equals_brute_force_nearest_records() -> None:
    rng = np.random.default_rng(3)
    train, holdout = _table(rng, 60), _table(rng, 60)
    # Half near-copies of training rows, half fresh rows: a share well inside (0.5, 1);
    # as many synthetic rows as holdout rows, so that every one is scored.
    near = train.sample(30, random_state=1).reset_index(drop=True)
    near[["x", "y"]] += rng.normal(scale=0.01, size=(30, 2))
    synthetic = pd.concat([near, _table(rng, 30)], ignore_index=True)  # as many as holdout
    expected = _brute_force_share(train, holdout, synthetic)
    assert 0.6 < expected < 0.95
    found = dcr_share(train, holdout, synthetic, seed=0)
    assert found == pytest.approx(expected, abs=1e-12)
    report = compare_tables(train, synthetic, holdout=holdout)
    assert report["privacy"]["dcr_share"] == pytest.approx(expected, abs=1e-12)
    assert report["privacy"]["true_holdout"] is True


def test_ties_count_half() -> None:
    # Categories only: every synthetic row equals a training row and a holdout row.
    train = pd.DataFrame({"a": ["p", "q"] * 10, "b": ["u", "v"] * 10})
    holdout = train.copy()
    synthetic = train.iloc[:7].reset_index(drop=True)
    assert dcr_share(train, holdout, synthetic) == 0.5
    assert nearer_share(np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 1.0])) == 0.5


def test_copies_score_one_and_a_fresh_sample_about_half() -> None:
    rng = np.random.default_rng(11)
    train, holdout, fresh = _table(rng, 400), _table(rng, 400), _table(rng, 400)
    assert dcr_share(train, holdout, train) == 1.0
    assert dcr_share(train, holdout, holdout) == 0.0
    # A fresh sample: each row's side is a fair coin, so the share's standard error is
    # at most 0.5 / sqrt(400) = 0.025 (rows share neighbours: allow four of them).
    assert dcr_share(train, holdout, fresh) == pytest.approx(0.5, abs=4 * 0.025)


def test_the_larger_side_is_thinned_to_as_many_rows() -> None:
    rng = np.random.default_rng(5)
    train, holdout = _table(rng, 90), _table(rng, 30)
    synthetic = _table(rng, 30)
    kept = train.iloc[np.linspace(0, 89, 30).astype(int)].reset_index(drop=True)
    # The ranges stay those of every real row, not of the rows kept.
    real = pd.concat([train, holdout], ignore_index=True)
    expected = _brute_force_share(kept, holdout, synthetic, real)
    found = compare_tables(train, synthetic, holdout=holdout)["privacy"]
    assert found["dcr_share_rows"] == 30
    assert found["dcr_share"] == pytest.approx(expected, abs=1e-12)


def test_without_a_holdout_the_report_says_so() -> None:
    rng = np.random.default_rng(2)
    real = _table(rng, 100)
    found = compare_tables(real, real.sample(frac=1, random_state=0))["privacy"]
    assert found["true_holdout"] is False
    assert found["dcr_share"] is not None


def test_a_holdout_of_another_table_is_refused() -> None:
    from mixsynth.errors import MixsynthError

    rng = np.random.default_rng(2)
    real = _table(rng, 20)
    with pytest.raises(MixsynthError, match="holdout table lacks column 'colour'"):
        compare_tables(real, real, holdout=real.drop(columns="colour"))
