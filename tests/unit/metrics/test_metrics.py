"""The comparison figures against closed forms, scipy and pandas computed directly."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association

from mixsynth.errors import MixsynthError
from mixsynth.metrics import (
    compare_tables,
    correlation_matrix,
    cramers_v,
    ecdf_distances,
    generation_entry,
)
from tests.conftest import SAMPLE_DATA


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    return pd.read_parquet(SAMPLE_DATA / "penguins.parquet")


def mixed_frame(seed: int, n: int = 2000, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.8 * x + 0.6 * rng.normal(size=n)
    y[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "x": x + shift,
            "y": y,
            "k": rng.integers(0, 100, n),  # many values: a mixed integer, not a code
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 86400, n), "s"),
            "group": np.where(x > 0, "up", "down"),
            "flag": rng.random(n) < 0.3,
        }
    )


def test_identical_tables_score_one(penguins):
    report = compare_tables(penguins, penguins.sample(frac=1, random_state=3))
    scores = report["scores"]
    assert scores["column_shapes"] == pytest.approx(1)
    assert scores["column_pair_trends"] == pytest.approx(1)
    assert scores["column_pair_trends_all"] == pytest.approx(1)
    assert scores["overall"] == pytest.approx(1)
    for figures in report["columns"].values():
        assert figures.get("ks_statistic", 0) == 0
        assert figures.get("tv_distance", 0) == 0
    assert report["pairs"]["correlation_max_abs_diff"] == pytest.approx(0, abs=1e-12)
    assert report["privacy"]["exact_copy_share"] == 1


def test_known_shift_gives_the_closed_form_ks():
    # Two uniform samples on a fine grid, one shifted by 0.25: KS = 0.25, W1 = 0.25.
    grid = (np.arange(100_000) + 0.5) / 100_000
    real = pd.DataFrame({"u": grid})
    report = compare_tables(real, pd.DataFrame({"u": grid + 0.25}))
    column = report["columns"]["u"]
    assert column["ks_statistic"] == pytest.approx(0.25, abs=1e-4)
    assert column["ks_complement"] == pytest.approx(0.75, abs=1e-4)
    assert column["wasserstein"] * real["u"].std() == pytest.approx(0.25, abs=1e-6)
    assert column["out_of_range_share"] == pytest.approx(0.25, abs=1e-4)
    assert column["variance_ratio"] == pytest.approx(1)


@pytest.mark.parametrize("seed", range(5))
def test_ecdf_distances_equal_scipy(seed):
    rng = np.random.default_rng(seed)
    a = np.sort(rng.normal(size=rng.integers(1, 500)).round(1))  # ties on purpose
    b = np.sort(rng.normal(0.3, 2, size=rng.integers(1, 500)).round(1))
    ks, w1 = ecdf_distances(a, b)
    assert ks == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-15)
    assert w1 == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-12)


def test_column_figures_equal_pandas():
    real, synth = mixed_frame(1), mixed_frame(2, shift=0.5)
    report = compare_tables(real, synth)
    for name in ("x", "y", "k"):
        figures = report["columns"][name]
        r, s = real[name].astype(float), synth[name].astype(float)
        assert figures["variance_ratio"] == pytest.approx(s.var() / r.var(), rel=1e-12)
        assert figures["real"]["skew"] == pytest.approx(r.skew(), rel=1e-9)
        assert figures["real"]["kurtosis"] == pytest.approx(r.kurt(), rel=1e-9)
        assert figures["synthetic"]["mean"] == pytest.approx(s.mean(), rel=1e-12)
        assert figures["real"]["missing_rate"] == pytest.approx(r.isna().mean())
        quantiles = r.quantile([0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]).to_numpy()
        assert list(figures["real"]["quantiles"].values()) == pytest.approx(quantiles, rel=1e-12)
        assert figures["mean_diff_std"] == pytest.approx((s.mean() - r.mean()) / r.std())
        expected = stats.ks_2samp(r.dropna(), s.dropna()).statistic
        assert figures["ks_statistic"] == pytest.approx(expected, abs=1e-15)
        w1 = stats.wasserstein_distance(r.dropna(), s.dropna()) / r.std()
        assert figures["wasserstein"] == pytest.approx(w1, rel=1e-9)
    # Datetimes are compared as epoch seconds.
    when = report["columns"]["when"]
    seconds = (real["when"] - pd.Timestamp("1970-01-01")).dt.total_seconds()
    assert when["real"]["mean"] == pytest.approx(seconds.mean(), rel=1e-12)
    assert when["kind"] == "datetime"


def test_categorical_figures():
    real = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 30 + ["c"] * 20 + [None] * 10})
    synth = pd.DataFrame({"c": ["a"] * 60 + ["b"] * 30 + ["z"] * 10})
    figures = compare_tables(real, synth)["columns"]["c"]
    # Frequencies over present values (SDMetrics' TVComplement drops missing values).
    expected_tv = 0.5 * (abs(0.5 - 0.6) + abs(0.3 - 0.3) + abs(0.2 - 0) + abs(0 - 0.1))
    assert figures["tv_distance"] == pytest.approx(expected_tv)
    assert figures["tv_complement"] == pytest.approx(1 - expected_tv)
    assert figures["coverage"] == pytest.approx(2 / 3)
    assert figures["unseen_share"] == pytest.approx(0.1)
    assert figures["real"]["missing_rate"] == pytest.approx(10 / 110)


def test_unused_pandas_categories_are_not_counted():
    dtype = pd.CategoricalDtype(["a", "b", "c"])
    real = pd.DataFrame({"c": pd.Series(["a", "b", "a"], dtype=dtype)})
    synth = pd.DataFrame({"c": pd.Series(["a", "a", "a"], dtype=dtype)})
    figures = compare_tables(real, synth)["columns"]["c"]
    assert figures["real"]["distinct"] == 2
    assert figures["coverage"] == pytest.approx(0.5)
    assert figures["tv_distance"] == pytest.approx(1 / 3)


def test_correlations_equal_pandas_pairwise():
    real = mixed_frame(3)
    numeric = real[["x", "y", "k"]].astype(float)
    numeric.loc[::7, "x"] = np.nan
    ours = correlation_matrix(numeric.to_numpy())
    assert ours == pytest.approx(numeric.corr().to_numpy(), abs=1e-12)


def test_pair_scores_follow_sdmetrics_definitions():
    real, synth = mixed_frame(4), mixed_frame(5)
    synth["y"] = -synth["y"]
    report = compare_tables(real, synth)
    pairs = {tuple(p["columns"]): p for p in report["pairs"]["details"]}
    xy = pairs[("x", "y")]
    r = real[["x", "y"]].dropna().corr().iloc[0, 1]
    s = synth[["x", "y"]].dropna().corr().iloc[0, 1]
    assert xy["metric"] == "CorrelationSimilarity"
    assert xy["score"] == pytest.approx(1 - abs(r - s) / 2)
    assert xy["meets_threshold"] is bool(abs(r) > 0.5)
    # The strongly related pairs only, and all pairs, as two scores.
    strong = [p["score"] for p in pairs.values() if p["meets_threshold"]]
    assert report["scores"]["column_pair_trends"] == pytest.approx(np.mean(strong))
    every = [p["score"] for p in pairs.values()]
    assert report["scores"]["column_pair_trends_all"] == pytest.approx(np.mean(every))
    assert report["scores"]["overall"] == pytest.approx(
        (report["scores"]["column_shapes"] + report["scores"]["column_pair_trends"]) / 2
    )
    group_flag = pairs[("group", "flag")]
    counts_r = pd.crosstab(real["group"], real["flag"]) / len(real)
    counts_s = pd.crosstab(synth["group"], synth["flag"]) / len(synth)
    tvd = 0.5 * (counts_r - counts_s).abs().to_numpy().sum()
    assert group_flag["score"] == pytest.approx(1 - tvd)
    table = pd.crosstab(real["group"], real["flag"]).to_numpy()
    assert group_flag["real_association"] == pytest.approx(association(table, method="cramer"))


def test_cramers_v_equals_scipy():
    table = np.array([[10, 3, 5], [2, 8, 9]])
    assert cramers_v(table) == pytest.approx(association(table, method="cramer"))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_mixup_shrinks_variance_by_the_closed_form(penguins, seed):
    """The variance ratio of a vanilla generation is rho (m - 1)/m = 2/3 (m - 1)/m, m the
    source's observed values, within 4.5 standard errors: with i.i.d. pairs the
    synthetic values are i.i.d. given the source, and s^2 of N of them has variance
    mu4/N - sigma^4 (N - 3)/(N (N - 1)), mu4 and sigma^2 their exact moments."""
    from mixsynth.choices import Method, Pairing
    from mixsynth.engine.memory import run_generations
    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.engine.weights import uniform
    from tests.oracles.mixup import WeightMoments, exact_moment

    options = SynthesisOptions(
        method=Method.VANILLA, weights=uniform(), rows=20_000, pairing=Pairing.IID
    )
    generation = next(iter(run_generations(penguins, options, 1, seed=seed)))
    entry = generation_entry(penguins, generation.frame, 1, generation.weights.theory().rho)
    assert entry["generation"] == 1
    assert entry["predicted_variance_ratio"] == pytest.approx(2 / 3)
    ratio = entry["columns"]["bill_length_mm"]["variance_ratio"]
    source = penguins["bill_length_mm"].dropna().to_numpy()
    m, big_n = len(source), int(generation.frame["bill_length_mm"].notna().sum())
    centred, lam = source - source.mean(), WeightMoments(uniform())
    sigma2, mu4 = exact_moment([centred] * 2, lam), exact_moment([centred] * 4, lam)
    assert sigma2 == pytest.approx(
        2 / 3 * np.mean(centred**2)
    )  # rho S, docs/theory.md, "What vanilla mixup does"
    spread = mu4 / big_n - sigma2**2 * (big_n - 3) / (big_n * (big_n - 1))
    se = np.sqrt(spread) / source.var(ddof=1)
    # i.i.d. pairs, partners never the anchor: E[ratio] = (m rho - 1)/m (docs/theory.md)
    assert abs(ratio - (m * 2 / 3 - 1) / m) < 4.5 * se, (ratio, se)
    assert entry["columns"]["bill_length_mm"]["predicted_variance_ratio"] == pytest.approx(2 / 3)


def test_privacy_and_holdout_baseline(penguins):
    copies = compare_tables(penguins, penguins)["privacy"]
    assert copies["dcr_median"] == 0
    assert copies["exact_copy_share"] == 1
    assert copies["holdout_dcr_median"] > 0
    noisy = penguins.copy()
    noisy["bill_length_mm"] = noisy["bill_length_mm"] + 1.0
    moved = compare_tables(penguins, noisy)["privacy"]
    # Only the rows whose bill length is missing are still copies.
    assert moved["exact_copy_share"] == pytest.approx(penguins["bill_length_mm"].isna().mean())
    # One numeric column off by 1/range of 8 columns: distance 1 / (27.5 * 8) for most rows.
    assert moved["dcr_median"] == pytest.approx(1 / (27.5 * 8), rel=1e-6)


def test_utility_with_a_target(penguins):
    report = compare_tables(penguins, penguins, target="species")
    utility = report["utility"]
    assert utility["task"] == "classification"
    assert utility["real"]["accuracy"] > 0.9
    assert set(utility["ratio"]) == {"accuracy", "macro_f1"}
    numeric = compare_tables(penguins, penguins, target="body_mass_g")["utility"]
    assert numeric["task"] == "regression" and numeric["real"]["r2"] > 0.5


def test_schema_differences_are_reported_and_the_rest_compared(penguins):
    synth = penguins.drop(columns=["year"]).assign(extra=1.0)
    synth["island"] = np.arange(len(synth))  # numbers where the real table has categories
    synth["body_mass_g"] = synth["body_mass_g"].astype(float)
    report = compare_tables(penguins, synth)
    schema = report["schema"]
    assert schema["only_in_real"] == ["year"]
    assert schema["only_in_synthetic"] == ["extra"]
    assert [e["column"] for e in schema["incompatible"]] == ["island"]
    assert [e["column"] for e in schema["dtype_differences"]] == ["body_mass_g"]
    assert "body_mass_g" in report["columns"] and "island" not in report["columns"]


def test_bad_inputs_raise_mixsynth_errors(penguins):
    with pytest.raises(MixsynthError, match="no column in common"):
        compare_tables(penguins, pd.DataFrame({"other": [1, 2]}))
    with pytest.raises(MixsynthError, match="no rows"):
        compare_tables(penguins, penguins.iloc[:0])
    with pytest.raises(MixsynthError, match="--target"):
        compare_tables(penguins, penguins, target="nope")
    with pytest.raises(MixsynthError, match="--categorical"):
        compare_tables(penguins, penguins, categorical=["nope"])


def test_report_is_json_ready_and_stable(penguins):
    report = compare_tables(penguins, penguins.iloc[:100], target="sex", seed=4)
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    assert compare_tables(penguins, penguins.iloc[:100], target="sex", seed=4) == report
    for key in ("variance_ratio", "ks_statistic", "wasserstein"):
        assert key in report["columns"]["bill_depth_mm"]
    assert "tv_distance" in report["columns"]["island"]
    for key in ("column_shapes", "column_pair_trends", "column_pair_trends_all", "overall"):
        assert 0 <= report["scores"][key] <= 1
    for key in ("dcr_median", "exact_copy_share", "holdout_dcr_median"):
        assert key in report["privacy"]


def test_constant_and_all_missing_columns_give_none_not_errors():
    real = pd.DataFrame({"c": [1.0] * 10, "m": [np.nan] * 10, "x": np.arange(10.0)})
    report = compare_tables(real, real)
    assert report["columns"]["m"]["ks_statistic"] is None
    # A constant column is copied by generate and compared as it was made (a category):
    # no variance ratio either way.
    assert report["columns"]["c"].get("variance_ratio") is None
    assert not math.isnan(report["scores"]["column_shapes"])


def test_distance_to_closest_record_follows_its_definition():
    """Mean per-column distance: |a-b|/real range, 0/1 for categories, missing = 1."""
    from mixsynth.metrics import align
    from mixsynth.metrics.privacy import _dcr_space, _nearest

    rng = np.random.default_rng(9)

    def table(n):
        x = rng.normal(size=n)
        x[rng.random(n) < 0.2] = np.nan
        return pd.DataFrame(
            {"x": x, "k": rng.integers(0, 50, n), "c": rng.choice(["a", "b", None], n)}
        )

    real, synth = table(40), table(30)
    columns, _ = align(real, synth)
    points_r, points_s = _dcr_space(columns, np.arange(40), np.arange(30))
    ours = _nearest(points_r, points_s, len(columns))
    span = {name: real[name].max() - real[name].min() for name in ("x", "k")}

    def distance(a, b) -> float:
        total = 0.0
        for name in ("x", "k"):
            va, vb = a[name], b[name]
            if pd.isna(va) and pd.isna(vb):
                continue
            total += 1.0 if pd.isna(va) or pd.isna(vb) else abs(va - vb) / span[name]
        same = (pd.isna(a["c"]) and pd.isna(b["c"])) or a["c"] == b["c"]
        return (total + (0.0 if same else 1.0)) / 3

    expected = [min(distance(s, r) for _, r in real.iterrows()) for _, s in synth.iterrows()]
    assert ours == pytest.approx(expected, abs=1e-12)


def test_contingency_on_large_tables_uses_a_seeded_subsample():
    real = mixed_frame(6, n=60_000)
    first = compare_tables(real, real, seed=1)
    assert first == compare_tables(real, real, seed=1)
    pairs = [p for p in first["pairs"]["details"] if p["metric"] == "ContingencySimilarity"]
    # 50,000 of 60,000 rows on each side: close to, not exactly, 1.
    assert all(0.98 < p["score"] <= 1 for p in pairs)
    assert first["scores"]["column_shapes"] == 1


@pytest.mark.parametrize(
    "values",
    [
        [1.0, np.inf, -np.inf, 2.0, np.nan, 3.0],
        [1e308, -1e308, 1e-308, 5e-324, 1.0, 2.0],
    ],
)
def test_extreme_floats_give_figures_not_crashes(values):
    frame = pd.DataFrame({"x": values, "y": np.arange(6.0)})
    report = compare_tables(frame, frame)
    assert report["scores"]["column_shapes"] == 1
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    infinite = int(np.isinf(values).sum())
    assert report["columns"]["x"]["real"]["infinite_rate"] == pytest.approx(infinite / 6)
    assert report["columns"]["x"]["real"]["missing_rate"] == pytest.approx(
        pd.isna(pd.Series(values)).sum() / 6
    )


def test_nested_values_are_compared_by_their_text():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "l": [[1], [2, 3], []]})
    report = compare_tables(frame, frame)
    assert report["columns"]["l"]["tv_distance"] == 0
    assert report["columns"]["l"]["real"]["distinct"] == 3
