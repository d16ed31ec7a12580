"""The kernel and one generation, against docs/theory.md, with fixed seeds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.engine.kernel import allocate_rows, balanced_anchors, mixup_kernel
from mixsynth.engine.memory import run_generations, synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.engine.weights import WeightDistribution, sample_variance_factor, solve_epbeta
from tests.oracles.mixup import simulate, simulate_variance_ratios


def normal_frame(n: int, seed: int, p: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, p)), columns=[f"x{i}" for i in range(p)])


@pytest.mark.parametrize("columns", [1, 4])  # one column takes the unblocked path
def test_kernel_is_the_mixup_formula(columns: int) -> None:
    rng = np.random.default_rng(0)
    x = np.ascontiguousarray(rng.normal(size=(50, columns)))
    d, o = rng.integers(50, size=20_000), rng.integers(50, size=20_000)
    w = rng.uniform(0.5, 1.2, size=20_000)
    expected = w[:, None] * x[d] + (1 - w[:, None]) * x[o]
    np.testing.assert_allclose(mixup_kernel(x, d, o, w), expected, rtol=1e-12, atol=1e-12)


def test_balanced_anchors_tile_the_rows() -> None:
    rng = np.random.default_rng(1)
    counts = np.bincount(balanced_anchors(rng, 7, 23), minlength=7)
    assert sorted(counts) == [3] * 5 + [4] * 2
    assert np.array_equal(np.bincount(balanced_anchors(rng, 5, 10)), [2] * 5)


def test_allocate_rows_is_proportional_and_exact() -> None:
    assert allocate_rows(np.array([1, 1, 2]), 8).tolist() == [2, 2, 4]
    counts = allocate_rows(np.array([5, 3, 2]), 7)
    assert counts.sum() == 7 and counts.tolist() == [4, 2, 1]


def variance_factor(options: SynthesisOptions, n: int, reps: int) -> tuple[float, float]:
    """Mean over reps of s^2(synthetic) / s^2(source), ddof=1, and its standard error
    from an independent simulation of the same process (:mod:`tests.oracles.mixup`)."""
    ratios = []
    for rep in range(reps):
        frame = normal_frame(n, rep, p=1)
        out = synthesize(frame, options, np.random.default_rng(10_000 + rep)).frame
        ratios.append(out["x0"].var() / frame["x0"].var())
    return float(np.mean(ratios)), independent_se(options, n, reps)


def independent_se(options: SynthesisOptions, n: int, reps: int, generations: int = 1) -> float:
    """Standard error of the mean of ``reps`` variance ratios, from 4,000 runs of the
    documented process in numpy with the same weights (not from the runs under test)."""
    weights = options.weights_for(n, n)
    balanced = options.pairing is Pairing.BALANCED
    simulated = simulate_variance_ratios(
        weights, n, 4000, balanced=balanced, generations=generations, seed=n + generations
    )
    return float(simulated.std(ddof=1) / np.sqrt(reps))


def grouped_variance_factor(options: SynthesisOptions, n: int, reps: int) -> tuple[float, float]:
    """:func:`variance_factor` in one call: reps independent samples of n rows as --by
    groups, each mixed inside itself with its own finite-sample target (as reps
    separate runs, without bounds, whose range would be the whole table's here)."""
    rng = np.random.default_rng(n * reps)
    groups = np.repeat(np.arange(reps), n)
    frame = pd.DataFrame({"x0": rng.normal(size=n * reps), "rep": groups.astype(str)})
    grouped = dataclasses.replace(options, by=("rep",), bounds=Bounds.NONE)
    out = synthesize(frame, grouped, np.random.default_rng(reps)).frame
    assert (out.groupby("rep").size() == n).all()
    ratios = out.groupby("rep")["x0"].var() / frame.groupby("rep")["x0"].var()
    return float(ratios.mean()), independent_se(options, n, reps)


N_SMALL, REPS = 20, 3000


@pytest.mark.parametrize("pairing", [Pairing.BALANCED, Pairing.IID])
def test_finite_sample_target_keeps_the_sample_variance(pairing: Pairing) -> None:
    """With the target rho*, E[s^2 synthetic] = s^2 source even for n = 20."""
    mean, se = grouped_variance_factor(SynthesisOptions(pairing=pairing), N_SMALL, REPS)
    assert abs(mean - 1) < 4.5 * se


def test_the_default_options_keep_the_sample_variance_of_20_rows() -> None:
    """The same with the defaults, reflect bounds included (each sample its own run,
    its own range), on fewer samples."""
    mean, se = variance_factor(SynthesisOptions(), N_SMALL, 600)
    assert abs(mean - 1) < 4.5 * se


def test_without_the_target_the_bootstrap_shrinks_the_variance() -> None:
    """rho = 1 alone gives E[ratio] = (n - 1)/n with i.i.d. pairs (docs/theory.md, "Finite samples")."""
    options = SynthesisOptions(pairing=Pairing.IID, finite_sample=False)
    mean, se = grouped_variance_factor(options, N_SMALL, REPS)
    assert abs(mean - (N_SMALL - 1) / N_SMALL) < 4.5 * se
    assert mean < 1 - 4.5 * se  # the shrinkage is really there, and detectable


def test_balanced_pairing_shrinks_less_and_as_predicted() -> None:
    """Balanced anchors: E[ratio] = (n - 1 + k'^2) / n with rho = 1, k' = (n kappa - 1)/(n - 1)
    the anchor's pull once partners are never the anchor itself."""
    options = SynthesisOptions(finite_sample=False)
    theory = solve_epbeta().theory()
    predicted = sample_variance_factor(theory, N_SMALL, N_SMALL, balanced=True)
    shifted = (N_SMALL * theory.kappa - 1) / (N_SMALL - 1)
    assert predicted == pytest.approx((N_SMALL - 1 + shifted**2) / N_SMALL)
    mean, se = grouped_variance_factor(options, N_SMALL, REPS)
    assert abs(mean - predicted) < 4.5 * se


def test_vanilla_shrinks_by_rho_each_generation() -> None:
    weights = WeightDistribution(0.5, 0.5)  # rho = 0.75
    options = SynthesisOptions(method=Method.VANILLA, weights=weights, pairing=Pairing.IID)
    ratios = []
    for rep in range(300):
        frame = normal_frame(200, rep, p=1)
        last = list(run_generations(frame, options, 3, seed=rep))[-1].frame
        ratios.append(last["x0"].var() / frame["x0"].var())
    # i.i.d. pairs, partners never the anchor: (n rho - 1)/n per generation
    expected = ((200 * weights.theory().rho - 1) / 200) ** 3
    se = independent_se(options, 200, len(ratios), generations=3)
    assert abs(np.mean(ratios) - expected) < 4.5 * se


def test_copied_columns_and_missingness_are_reproduced_exactly() -> None:
    """Balanced anchors are the dominant donors: each source row donates once."""
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "label": pd.Series(rng.choice(["a", "b", "c"], n), dtype="category"),
            "flag": rng.random(n) < 0.3,
        }
    )
    out = synthesize(frame, SynthesisOptions(), np.random.default_rng(6)).frame
    assert out["label"].value_counts().to_dict() == frame["label"].value_counts().to_dict()
    assert out["flag"].sum() == frame["flag"].sum()
    assert out["x"].isna().sum() == frame["x"].isna().sum()
    assert list(out["label"].cat.categories) == list(frame["label"].cat.categories)


def test_missing_partners_are_redrawn_among_observed_rows() -> None:
    """Half the values missing: the observed ones still follow rho (vanilla)."""
    weights = WeightDistribution(1.0, 1.0)  # uniform, rho = 2/3
    options = SynthesisOptions(method=Method.VANILLA, weights=weights, pairing=Pairing.IID)
    ratios = []
    for rep in range(300):
        rng = np.random.default_rng(rep)
        x = rng.normal(size=400)
        x[rng.random(400) < 0.5] = np.nan
        frame = pd.DataFrame({"x": x})
        out = synthesize(frame, options, np.random.default_rng(rep + 1)).frame
        ratios.append(out["x"].var() / frame["x"].var())
    se = independent_se(options, 200, len(ratios))  # about 200 observed values a run
    # Observed values pair uniformly among ~200 observed rows: rho (m-1)/m, m ~ 200.
    assert abs(np.mean(ratios) - 2 / 3 * (1 - 1 / 200)) < 4.5 * se


def test_group_wise_mixup_keeps_groups_and_their_means() -> None:
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(
        {
            "g": np.repeat(["low", "high"], [300, 100]),
            "x": np.concatenate([rng.normal(0, 1, 300), rng.normal(10, 1, 100)]),
        }
    )
    options = SynthesisOptions(by=("g",), bounds=Bounds.NONE)
    out = synthesize(frame, options, np.random.default_rng(9)).frame
    assert out["g"].value_counts().to_dict() == {"low": 300, "high": 100}
    means, real = out.groupby("g")["x"].mean(), frame.groupby("g")["x"]
    for group, n in (("low", 300), ("high", 100)):
        # Each source row anchors once (weight w = max(lam, 1 - lam)), so the synthetic
        # mean moves from the source's by (1/n) sum (1 - w)(x_partner - x_anchor), of
        # variance sigma^2 (2 E[(1 - w)^2] - E[1 - w]^2) / n (anchors a permutation).
        lam = options.weights_for(n, n).frozen().rvs(size=10**6, random_state=0)  # scipy's
        one, two = (np.mean(np.minimum(lam, 1 - lam) ** k) for k in (1, 2))
        se = np.sqrt(real.var(ddof=0)[group] * (2 * two - one**2) / n)
        assert abs(means[group] - real.mean()[group]) < 4.5 * se, (group, se)
    # Without --by, rows of the two groups mix and land in between.
    mixed = synthesize(frame, SynthesisOptions(), np.random.default_rng(9)).frame
    assert ((mixed["x"] > 3) & (mixed["x"] < 7)).sum() > 10
    assert ((out["x"] > 3) & (out["x"] < 7)).sum() == 0


def test_single_row_groups_are_copied_with_a_warning() -> None:
    frame = pd.DataFrame({"g": ["a", "a", "a", "b"], "x": [1.0, 2.0, 3.0, 7.5]})
    with pytest.warns(UserWarning, match="single row"):
        out = synthesize(frame, SynthesisOptions(by=("g",)), np.random.default_rng(0)).frame
    assert out.loc[out["g"] == "b", "x"].tolist() == [7.5]


def test_non_finite_results_fall_back_to_the_dominant_donor() -> None:
    frame = pd.DataFrame({"x": [1e308, -1e308, 1.0, np.inf, 2.0, 3.0] * 20})
    out = synthesize(frame, SynthesisOptions(), np.random.default_rng(2)).frame["x"]
    assert not out.isna().any()
    assert set(out[np.isinf(out)]) <= {np.inf}  # inf only where the input had it


def test_bounds_use_the_original_range() -> None:
    """Uniform data (many rows near the edges) and wide weights (eps 0.3) leave the
    range often; clip and reflect keep it."""
    frame = pd.DataFrame({"x0": np.random.default_rng(3).uniform(size=300)})
    lo, hi = frame["x0"].min(), frame["x0"].max()
    wide = {"eps": (0.3, 0.3)}
    options = SynthesisOptions(bounds=Bounds.CLIP, **wide)
    reference = Reference.of(frame)
    gens = list(run_generations(frame, options, 4, seed=1, reference=reference))
    assert gens[0].out_of_range["x0"] > 0  # there was something to clip
    for generation in gens:
        assert generation.frame["x0"].between(lo, hi).all()
    reflect = synthesize(
        frame, SynthesisOptions(bounds=Bounds.REFLECT, **wide), np.random.default_rng(1)
    )
    assert reflect.frame["x0"].between(lo, hi).all()
    free = synthesize(frame, SynthesisOptions(bounds=Bounds.NONE, **wide), np.random.default_rng(1))
    assert free.out_of_range["x0"] > 0  # extrapolation really leaves the range
    assert not free.frame["x0"].between(lo, hi).all()


def test_integer_rounding_keeps_mean_and_variance() -> None:
    """Small integers (variance ~ 0.7): rounding noise is compensated. (Three values
    would be a code, copied, by the semantics, and two thirds of them sit on the range's
    edges, where folding cannot give variance back (docs/semantics.md): semantics and
    bounds are off to test the rounding alone.)"""
    ratios, shifts = [], []
    for rep in range(200):
        rng = np.random.default_rng(rep)
        frame = pd.DataFrame({"k": rng.integers(0, 3, 300)})
        options = SynthesisOptions(semantics=False, bounds=Bounds.NONE)
        out = synthesize(frame, options, np.random.default_rng(rep + 7)).frame
        assert out["k"].dtype == frame["k"].dtype
        ratios.append(out["k"].var() / frame["k"].var())
        shifts.append(out["k"].mean() - frame["k"].mean())
    # Standard errors from 4,000 runs of the documented process with its rounding, in
    # numpy (tests.oracles.mixup), on sources drawn alike.
    start = np.random.default_rng(1).integers(0, 3, (4000, 300, 1)).astype(float)
    weights = SynthesisOptions().weights_for(300, 300)
    last = simulate(weights, start, balanced=True, integers=True)[..., 0]
    simulated = {
        "ratio": last.var(axis=1, ddof=1) / start[..., 0].var(axis=1, ddof=1),
        "shift": last.mean(axis=1) - start[..., 0].mean(axis=1),
    }
    for key, values, target in (("ratio", ratios, 1.0), ("shift", shifts, 0.0)):
        se = simulated[key].std(ddof=1) / np.sqrt(len(values))
        assert abs(np.mean(values) - target) < 4.5 * se, (key, np.mean(values), se)


def test_datetimes_keep_dtype_unit_and_timezone() -> None:
    stamps = pd.date_range("2020-01-01", periods=100, freq="37h", tz="Europe/Paris")
    frame = pd.DataFrame({"t": stamps.as_unit("s"), "d": pd.to_timedelta(np.arange(100), "m")})
    frame.loc[3, "t"] = pd.NaT
    out = synthesize(frame, SynthesisOptions(), np.random.default_rng(0)).frame
    assert out.dtypes.equals(frame.dtypes)
    assert out["t"].isna().sum() == 1
    for name in ("t", "d"):  # mixed as numbers, reflected into the source's range
        assert out[name].dropna().between(frame[name].min(), frame[name].max()).all(), name
    # Back on the source's grid (every 37 h from midnight: whole hours; whole minutes).
    assert (out["t"].dropna().dt.tz_convert("UTC").dt.floor("h") == out["t"].dropna()).all()
    assert (out["d"] % pd.Timedelta("1min") == pd.Timedelta(0)).all()
    # The mean kept: each source row anchors once with weight w = max(lam, 1 - lam), so
    # the mean moves by (1/n) sum (1 - w)(partner - anchor), of variance
    # sigma^2 (2 E[(1 - w)^2] - E[1 - w]^2) / n; moments of w from scipy's draws.
    lam = SynthesisOptions().weights_for(100, 100).frozen().rvs(size=10**6, random_state=0)
    one, two = (np.mean(np.minimum(lam, 1 - lam) ** k) for k in (1, 2))
    for name, source in (("t", frame["t"].dropna()), ("d", frame["d"])):
        seconds = (source - source.min()).dt.total_seconds()
        made = (out[name].dropna() - source.min()).dt.total_seconds()
        se = np.sqrt(seconds.var(ddof=0) * (2 * two - one**2) / len(seconds))
        assert abs(made.mean() - seconds.mean()) < 4.5 * se, (name, made.mean(), se)


def test_table_without_numeric_columns_is_resampled_by_donor_rows() -> None:
    frame = pd.DataFrame({"a": list("abcde") * 4, "b": [True, False] * 10})
    out = synthesize(frame, SynthesisOptions(), np.random.default_rng(0)).frame
    pairs = set(zip(frame["a"], frame["b"], strict=True))
    assert set(zip(out["a"], out["b"], strict=True)) <= pairs
    assert out.shape == frame.shape


def test_rows_option_and_determinism() -> None:
    frame = normal_frame(50, 0)
    options = SynthesisOptions(rows=123)
    a = list(run_generations(frame, options, 3, seed=42))
    b = list(run_generations(frame, options, 3, seed=42))
    assert len(a[-1].frame) == 123
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.frame, y.frame)
    resumed = list(
        run_generations(a[0].frame, options, 3, seed=42, start=1, reference=Reference.of(frame))
    )
    pd.testing.assert_frame_equal(resumed[-1].frame, a[-1].frame)
