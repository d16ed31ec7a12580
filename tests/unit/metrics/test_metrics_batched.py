"""Figures computed for many columns at once equal those of each column alone, to the
last bit, and the direct computations they replace (ties, missing values, constant,
few-valued and extreme columns included). The speed is measured in
benchmarks/bench_wide.py, not here."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mixsynth.metrics import clean, compare_tables, contingency, covariance_figures, pairs
from mixsynth.metrics.core import shared_codes
from mixsynth.metrics.shapes import (
    DISCRETE_VALUES,
    HISTOGRAM_BINS,
    MAX_CATEGORIES,
    _histograms,
    compare_discrete,
    compare_numeric,
    compare_numeric_columns,
    histogram,
)


def random_column(rng: np.random.Generator, rows: int, kind: int) -> np.ndarray:
    """One of eight shapes of column; half of them miss a tenth of their values."""
    values = [
        lambda: rng.normal(size=rows),
        lambda: rng.normal(size=rows).round(1),  # ties
        lambda: rng.integers(0, 5, rows).astype(float),  # few whole values: bars
        lambda: np.full(rows, 3.0),  # constant
        lambda: rng.integers(0, 3 * DISCRETE_VALUES, rows).astype(float),
        lambda: rng.normal(size=rows) * 1e300,  # near the float64 limit
        lambda: 1 + rng.integers(0, 40, rows) * 2.2e-16,  # a range of a few ulps
        lambda: rng.exponential(size=rows) ** 3,  # skewed
    ][kind]()
    if rng.random() < 0.5:
        values[rng.random(rows) < 0.1] = np.nan
    return values


def random_sides(seed: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sizes = [(60, 45), (1, 3), (2, 2), (5, 7), (0, 4), (300, 300)]
    return [
        (
            random_column(rng, sizes[i % 6][0], i % 8),
            random_column(rng, sizes[i % 6][1], (i * 7) % 8),
        )
        for i in range(count)
    ]


def as_text(figures: object) -> str:
    return json.dumps(clean(figures))


@pytest.mark.parametrize("seed", range(3))
def test_many_columns_at_once_equal_each_column_alone_to_the_last_bit(seed) -> None:
    sides = random_sides(seed, 120)
    sides.append((np.array([1.0, np.inf, 2.0, -np.inf]), np.array([0.5, 3.0, np.inf])))
    with np.errstate(all="ignore"):
        together = compare_numeric_columns(sides)
        alone = [compare_numeric(r, s) for r, s in sides]
    assert [as_text(f) for f in together] == [as_text(f) for f in alone]


def test_batches_do_not_change_the_figures(monkeypatch) -> None:
    sides = [(r, s) for r, s in random_sides(4, 60) if r.size == 300]
    with np.errstate(all="ignore"):
        whole = compare_numeric_columns(sides)
        monkeypatch.setattr("mixsynth.metrics.shapes.BATCH_CELLS", 700)  # one column a batch
        one_by_one = compare_numeric_columns(sides)
    assert [as_text(f) for f in whole] == [as_text(f) for f in one_by_one]


def test_batched_figures_equal_pandas_numpy_and_scipy() -> None:
    rng = np.random.default_rng(5)
    sides = [
        (random_column(rng, 400, kind), random_column(rng, 350, kind)) for kind in (0, 1, 7) * 3
    ]
    for (real, synthetic), figures in zip(sides, compare_numeric_columns(sides), strict=True):
        r, s = pd.Series(real).dropna(), pd.Series(synthetic).dropna()
        summary = figures["real"]
        assert summary["count"] == r.size
        assert summary["missing_rate"] == pytest.approx(np.isnan(real).mean())
        assert summary["mean"] == pytest.approx(r.mean(), rel=1e-12)
        assert summary["std"] == pytest.approx(r.std(), rel=1e-12)
        assert summary["skew"] == pytest.approx(r.skew(), rel=1e-9)
        assert summary["kurtosis"] == pytest.approx(r.kurt(), rel=1e-9)
        assert summary["min"] == r.min() and summary["max"] == r.max()
        expected = np.quantile(r, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
        assert list(summary["quantiles"].values()) == pytest.approx(expected, rel=1e-12)
        assert figures["ks_statistic"] == pytest.approx(stats.ks_2samp(r, s).statistic, abs=1e-15)
        w1 = stats.wasserstein_distance(r, s) / r.std()
        assert figures["wasserstein"] == pytest.approx(w1, rel=1e-9)
        outside = np.count_nonzero((s < r.min()) | (s > r.max())) / s.size
        assert figures["out_of_range_share"] == outside


def test_binned_histograms_equal_binning_each_value() -> None:
    """The bins counted by binary searches of the edges equal those of putting each
    value in its bin (``histogram``), including values on the edges."""
    rng = np.random.default_rng(6)
    r = np.sort(rng.normal(size=(40, 500)).round(2), axis=1)  # many values on edges
    s = np.sort(rng.normal(0.2, 1.3, size=(40, 450)).round(2), axis=1)
    s[:, :3] = r[:, :1]  # synthetic values equal to the real minimum and maximum
    s[:, -3:] = r[:, -1:]
    s.sort(axis=1)
    found = _histograms(r, s)
    for i, figures in enumerate(found):
        assert len(figures["real"]) == HISTOGRAM_BINS
        assert as_text(figures) == as_text(histogram(r[i], s[i]))
        assert figures["real"].sum() == pytest.approx(1.0)


def mixed_missing_tables(rows: int, columns: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(rows, 1))
    real = 0.6 * factor + rng.normal(size=(rows, columns)) * rng.uniform(0.1, 10, columns)
    synthetic = 0.9 * (0.6 * factor + rng.normal(size=(rows, columns)))
    return np.asfortranarray(real), np.asfortranarray(synthetic)


@pytest.mark.parametrize(("rows", "columns", "block"), [(300, 12, 5), (40, 60, 16), (500, 9, 512)])
def test_covariance_figures_from_the_correlation_blocks_equal_the_direct_ones(
    monkeypatch, rows, columns, block
) -> None:
    """Without missing values the covariance figures come from the correlation blocks;
    they equal covariance_figures' own products (to rounding), with more columns than
    rows too (log det undefined)."""
    real, synthetic = mixed_missing_tables(rows, columns, seed=rows)
    monkeypatch.setattr(pairs, "BLOCK_COLUMNS", block)
    direct = covariance_figures(real, synthetic)
    wanted = np.zeros((0, 2), dtype=np.int64)
    found, _ = pairs._correlation_figures(real.copy(order="F"), synthetic, wanted)
    again, _ = pairs._correlation_figures(real, synthetic.copy(order="F"), wanted, reuse=True)
    matrices = again.pop("correlation"), found.pop("correlation")  # centred in place:
    assert as_text(again) == as_text(found)  # the same figures
    for side in ("real", "synthetic"):
        np.testing.assert_array_equal(matrices[0][side], matrices[1][side])
    assert found["covariance_norm_ratio"] == pytest.approx(
        direct["covariance_norm_ratio"], rel=1e-12
    )
    if columns < rows:
        assert found["covariance_log_det_ratio"] == pytest.approx(
            direct["covariance_log_det_ratio"], rel=1e-10
        )
    else:
        assert np.isnan(found["covariance_log_det_ratio"])
        assert np.isnan(direct["covariance_log_det_ratio"])


def test_with_missing_values_the_covariance_uses_complete_rows() -> None:
    real, synthetic = mixed_missing_tables(200, 6, seed=7)
    real[::5, 2] = np.nan
    found, _ = pairs._correlation_figures(real, synthetic, np.zeros((0, 2), dtype=np.int64))
    assert "covariance_norm_ratio" not in found  # left to covariance_figures


def pandas_discrete(real: pd.Series, synthetic: pd.Series) -> dict:
    """The category figures computed with pandas' index operations, as before."""
    counts_r, counts_s = real.value_counts(), synthetic.value_counts()
    counts_r, counts_s = counts_r[counts_r > 0], counts_s[counts_s > 0]
    p_r, p_s = counts_r / counts_r.sum(), counts_s / counts_s.sum()
    both = p_r.index.union(p_s.index, sort=False)
    p_r, p_s = p_r.reindex(both, fill_value=0.0), p_s.reindex(both, fill_value=0.0)
    top = p_r.sort_values(ascending=False, kind="stable").index[:MAX_CATEGORIES]
    return {
        "tv_distance": 0.5 * float(np.abs(p_r.to_numpy() - p_s.to_numpy()).sum()),
        "coverage": float(counts_r.index.isin(counts_s.index).mean()),
        "unseen_share": float(p_s[~p_s.index.isin(counts_r.index)].sum()),
        "frequencies": [
            {"value": str(v), "real": float(p_r[v]), "synthetic": float(p_s[v])} for v in top
        ],
    }


@pytest.mark.parametrize("dtype", [object, "str", "category"])
def test_category_figures_equal_pandas_index_operations(dtype) -> None:
    """Ties in the counts (their order), missing values, unused categories and values
    seen on one side only give what pandas' own index operations give."""
    rng = np.random.default_rng(8)
    for _ in range(40):
        levels = list("abcdefghijklmnopqrstuvwxy")[: rng.integers(1, 25)]
        sides = []
        for rows in rng.integers(1, 80, 2):
            values = rng.choice(levels, rows).astype(object)
            values[rng.random(rows) < 0.1] = None
            sides.append(pd.Series(values, dtype=dtype))
        if dtype == "category":
            categories = sorted(set(levels) | {"unused"})
            sides = [s.cat.set_categories(categories) for s in sides]
        found = compare_discrete(*sides)
        expected = pandas_discrete(*sides)
        assert {k: found[k] for k in expected} == expected
        assert found["real"]["count"] == sides[0].notna().sum()


def test_correlation_ratios_of_many_columns_equal_each_column_alone() -> None:
    """eta^2 for --by suggestions: all columns at once, bit for bit those of each column
    (missing and infinite values, constant columns, empty groups, few rows)."""
    from mixsynth.semantics.inference import eta_squared, eta_squared_columns

    rng = np.random.default_rng(9)
    for case in range(60):
        rows, columns, levels = int(rng.integers(0, 200)), int(rng.integers(1, 9)), 5
        codes = rng.integers(0, levels, rows)
        codes[codes == 3] = 4  # an empty group in the middle
        values = rng.normal(size=(rows, columns)) + codes[:, None] * rng.normal(size=columns)
        if rows and case % 3 == 0:
            values[rng.random(rows) < 0.1, 0] = np.nan
            values[0, -1] = np.inf
        if case % 4 == 0:
            values[:, columns // 2] = 1.5
        found = eta_squared_columns(np.asfortranarray(values), codes)
        alone = [eta_squared(values[:, j], codes) for j in range(columns)]
        np.testing.assert_array_equal(found, alone)  # NaN where undefined, on both


def test_contingency_bins_of_many_columns_equal_each_column_alone() -> None:
    """Bins counted by comparisons with numpy's own edges equal digitize's, for columns
    with missing values, values on the edges, a constant, all missing, and a range beyond
    float64 (those two through the one-column path)."""
    rng = np.random.default_rng(10)
    columns = [rng.normal(size=500) for _ in range(6)]
    columns[1] = np.round(columns[1] * 2) / 2  # many values exactly on edges
    columns[1][:2] = [-2.0, 3.0]  # the range -2..3: edges every 0.5
    columns[2][rng.random(500) < 0.2] = np.nan
    columns[3][:] = 7.0
    columns[4][:] = np.nan
    columns[5][:2] = [-1.7e308, 1.7e308]
    with np.errstate(all="ignore"):  # as in compare_tables: 1.7e308 - -1.7e308 overflows
        found = contingency.bins_columns(columns)
        for column, bins in zip(columns, found, strict=True):
            np.testing.assert_array_equal(bins, contingency.equal_width_bins(column))
    assert set(np.unique(found[1])) <= set(range(1, 12))


def test_pair_details_correlation_ratios_equal_the_one_pair_formula() -> None:
    rng = np.random.default_rng(11)
    rows = 400
    group = rng.choice(["a", "b", "c"], rows)
    frame = pd.DataFrame(
        {
            "g": group,
            "x": rng.normal(size=rows) + (group == "a"),
            "y": rng.normal(size=rows),
            "h": rng.choice(["u", "v", None], rows),
        }
    )
    frame.loc[rng.random(rows) < 0.1, "y"] = np.nan
    synthetic = frame.sample(frac=1, random_state=1).reset_index(drop=True)
    synthetic["x"] = rng.normal(size=rows)
    report = compare_tables(frame, synthetic)
    details = {tuple(p["columns"]): p for p in report["pairs"]["details"]}
    for (first, second), entry in details.items():
        if "correlation_ratio_real" not in entry:
            continue
        num, cat = (first, second) if first in ("x", "y") else (second, first)
        codes = shared_codes(frame[cat], synthetic[cat])
        for side, table, side_codes in (
            ("real", frame, codes[0]),
            ("synthetic", synthetic, codes[1]),
        ):
            expected = contingency.correlation_ratio(table[num].to_numpy(), side_codes)
            assert entry[f"correlation_ratio_{side}"] == expected


def test_one_row_gives_undefined_covariance_figures_as_before() -> None:
    real, synthetic = mixed_missing_tables(30, 4, seed=12)
    one = synthetic[:1].copy(order="F")
    found, _ = pairs._correlation_figures(real, one, np.zeros((0, 2), dtype=np.int64))
    direct = covariance_figures(real, one)
    for key in ("covariance_norm_ratio", "covariance_log_det_ratio"):
        assert np.isnan(found[key]) and np.isnan(direct[key])
