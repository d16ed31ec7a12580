"""Wide tables in `compare` (issue 11): pair figures in blocks, a seeded sample of pair
details above a stated limit, nearest records on fewer rows, memory checked first.

Every shortcut is checked against the direct computation it replaces, on tables small
enough to do both; the timings are in benchmarks/bench_wide.py, not here.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from mixsynth import metrics
from mixsynth.columns import ColumnKind
from mixsynth.errors import MixsynthError
from mixsynth.metrics import pairs


def table_with_holes(rows: int, columns: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=rows)
    data = {f"x{j}": 0.7 * factor + rng.normal(size=rows) for j in range(columns)}
    frame = pd.DataFrame(data)
    for j in range(0, columns, 3):  # every third column misses a fifth of its values
        frame.loc[rng.random(rows) < 0.2, f"x{j}"] = np.nan
    frame["x1"] = 4.0  # a constant column: undefined correlations
    return frame


def test_block_correlations_equal_pandas_pairwise_complete_correlations() -> None:
    frame = table_with_holes(300, 9, seed=1)
    expected = frame.corr().to_numpy()
    centred = metrics.Centred.of(frame.to_numpy())
    for a, b in [(slice(0, 4), slice(2, 9)), (slice(5, 9), slice(0, 3)), (slice(0, 9),) * 2]:
        block = centred.correlations(a, b)
        np.testing.assert_allclose(block, expected[a, b], rtol=1e-12, atol=1e-12)


def test_pair_indices_are_every_pair_in_order_or_a_seeded_sample() -> None:
    rng = np.random.default_rng(0)
    every = pairs._pair_indices(7, 100, rng)
    assert [tuple(p) for p in every] == list(itertools.combinations(range(7), 2))
    drawn = pairs._pair_indices(200, 500, np.random.default_rng(3))
    again = pairs._pair_indices(200, 500, np.random.default_rng(3))
    assert np.array_equal(drawn, again) and len(drawn) == 500
    assert (drawn[:, 0] < drawn[:, 1]).all() and drawn.max() < 200
    assert len({tuple(p) for p in drawn}) == 500  # without replacement


def test_block_by_block_figures_equal_the_whole_matrices(monkeypatch) -> None:
    real, synthetic = table_with_holes(250, 11, seed=2), table_with_holes(250, 11, seed=3)
    synthetic["x4"] = np.nan  # undefined in the synthetic table only
    synthetic.loc[0, "x4"] = 1.0
    corr_r, corr_s = real.corr().to_numpy(), synthetic.corr().to_numpy()
    upper = np.triu_indices(11, k=1)
    diff = np.abs(corr_s - corr_r)[upper]
    wanted = np.array([(0, 5), (3, 10), (1, 2), (4, 9)])
    monkeypatch.setattr(pairs, "BLOCK_COLUMNS", 3)
    monkeypatch.setattr(pairs, "MATRIX_COLUMNS", 7)
    figures, found = pairs._correlation_figures(real.to_numpy(), synthetic.to_numpy(), wanted)
    assert figures["correlation_max_abs_diff"] == pytest.approx(np.nanmax(diff), abs=1e-12)
    assert figures["correlation_mean_abs_diff"] == pytest.approx(np.nanmean(diff), abs=1e-12)
    undefined = np.count_nonzero(~np.isnan(corr_r[upper]) & np.isnan(corr_s[upper]))
    assert figures["correlation_undefined_in_synthetic"] == undefined == 9
    np.testing.assert_allclose(figures["correlation"]["real"], corr_r[:7, :7], atol=1e-12)
    for i, j in wanted:
        r, s = found[i, j]
        assert r == pytest.approx(corr_r[i, j], abs=1e-12) or (
            math.isnan(r) and np.isnan(corr_r[i, j])
        )
        assert s == pytest.approx(corr_s[i, j], abs=1e-12) or (
            math.isnan(s) and np.isnan(corr_s[i, j])
        )


def mixed_table(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = table_with_holes(rows, 6, seed)
    frame["c"] = pd.Categorical(rng.choice(list("abc"), rows))
    frame["d"] = rng.choice(["u", "v"], rows)
    return frame


def test_above_the_limit_a_seeded_sample_of_pairs_gets_the_same_details(monkeypatch) -> None:
    real, synthetic = mixed_table(400, 4), mixed_table(400, 5)
    full = metrics.compare_tables(real, synthetic, seed=7)
    every = {tuple(p["columns"]): p for p in full["pairs"]["details"]}
    assert full["pairs"]["pair_sample"] == {
        "pairs": 28,
        "detailed": 28,
        "limit": metrics.PAIR_LIMIT,
        "sampled": False,
        "seed": 7,
    }
    monkeypatch.setattr(pairs, "PAIR_LIMIT", 10)
    sampled = metrics.compare_tables(real, synthetic, seed=7)
    details = sampled["pairs"]["details"]
    assert sampled["pairs"]["pair_sample"]["sampled"] and len(details) == 10
    for entry in details:
        assert entry == every[tuple(entry["columns"])]
    other = metrics.compare_tables(real, synthetic, seed=8)["pairs"]["details"]
    assert [d["columns"] for d in other] != [d["columns"] for d in details]
    # Figures over every pair do not depend on the sample.
    for key in ("correlation_max_abs_diff", "correlation_mean_abs_diff", "covariance_norm_ratio"):
        assert sampled["pairs"][key] == full["pairs"][key]


def test_the_covariance_of_more_columns_than_rows() -> None:
    rng = np.random.default_rng(6)
    real, synthetic = rng.normal(size=(20, 50)), 0.9 * rng.normal(size=(25, 50))
    figures = metrics.covariance_figures(real, synthetic)
    scale = real.std(axis=0, ddof=1)
    norm = [np.linalg.norm(np.cov(side / scale, rowvar=False)) for side in (real, synthetic)]
    assert figures["covariance_norm_ratio"] == pytest.approx(norm[1] / norm[0], rel=1e-10)
    assert math.isnan(figures["covariance_log_det_ratio"])  # singular: undefined
    narrow = metrics.covariance_figures(real[:, :5], synthetic[:, :5])
    cov = [np.cov(side[:, :5] / scale[:5], rowvar=False) for side in (real, synthetic)]
    expected = np.linalg.slogdet(cov[1])[1] - np.linalg.slogdet(cov[0])[1]
    assert narrow["covariance_log_det_ratio"] == pytest.approx(expected, rel=1e-10)


def test_nearest_records_use_fewer_rows_on_wide_tables() -> None:
    narrow = [metrics.Column(f"x{j}", ColumnKind.CONTINUOUS, None, None) for j in range(20)]
    assert metrics.dcr_row_limit(narrow, 10_000) == 10_000
    wide = narrow * 50  # 1,000 numeric columns: 2,000 coordinates
    rows = metrics.dcr_row_limit(wide, 10_000)
    assert rows == int(math.sqrt(4 * metrics.DCR_BUDGET / 3 / 2000))
    assert (rows / 2) * (rows / 2) * 3 * 2000 <= metrics.DCR_BUDGET  # three query sets
    real, synthetic = table_with_holes(3000, 4, 8), table_with_holes(3000, 4, 9)
    report = metrics.compare_tables(real, synthetic, sample_rows=2000)
    assert report["privacy"]["sample_rows_limit"] == 2000
    assert report["privacy"]["reference_rows"] == 1000


def test_a_comparison_that_cannot_fit_is_refused_before_it_starts() -> None:
    with pytest.raises(MixsynthError, match="GiB, more than this machine's"):
        metrics.check_compare_memory(10**12, 10**12, 1_000)
    metrics.check_compare_memory(10_000, 10_000, 1_000)  # 0.6 GiB: fine
