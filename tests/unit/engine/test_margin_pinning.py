"""A privacy margin pins each generation's variances (engine/pinning.py): which rows
take the outer arm is chosen so that every mixed column's sample variance is its
source's, while every row keeps a four-point weight, so its margin from both donors."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Pairing
from mixsynth.engine.kernel import draw_pairs
from mixsynth.engine.memory import GenerationStream, run_generations, synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.pinning import PIN_TOLERANCE, pinned_arms
from mixsynth.engine.weights import margin_weights
from tests.unit.engine.test_privacy_margin import plain


def correlated(rng: np.random.Generator, n: int, p: int) -> np.ndarray:
    return rng.standard_normal((n, p)) @ (np.eye(p) + 0.5)


def ratios(columns: list[np.ndarray], dominant, other, w) -> np.ndarray:
    """Sample variance of each column mixed with ``w`` over its source's (ddof=1),
    on the rows whose donors both have the value."""
    out = []
    for x in columns:
        d, o = x[dominant], x[other]
        counted = np.isfinite(d) & np.isfinite(o)
        mixed = o[counted] + w[counted] * (d[counted] - o[counted])
        out.append(mixed.var(ddof=1) / np.nanvar(x, ddof=1))
    return np.array(out)


@pytest.mark.parametrize("margin", [0.1, 0.3, 0.5])
def test_the_arms_are_exchanged_until_every_variance_is_the_sources(margin: float) -> None:
    rng = np.random.default_rng(1)
    x = correlated(rng, 300, 4)
    x[rng.random(x.shape) < 0.05] = np.nan  # rows with a missing donor do not count
    columns = [x[:, k] for k in range(4)]
    pairs, _ = draw_pairs(
        rng, np.zeros(300, dtype=np.int64), 300, Pairing.BALANCED, lambda *_: margin_weights(margin)
    )
    before = ratios(columns, pairs.dominant, pairs.other, pairs.w)
    w = pinned_arms(columns, pairs.dominant, pairs.other, pairs.w)
    after = ratios(columns, pairs.dominant, pairs.other, w)
    assert np.abs(before - 1).max() > 10 * PIN_TOLERANCE  # there was a step to take out
    assert np.abs(after - 1).max() <= PIN_TOLERANCE
    # Every row keeps a four-point weight (its own or its mirror), each arm as many rows.
    assert set(np.round(w, 12)) <= {round(1 - margin, 12), round(1 + margin, 12)}
    assert np.all((w == pairs.w) | np.isclose(w, 2 - pairs.w))
    assert (w > 1).sum() == (pairs.w > 1).sum()
    # Given no replacement partners (``others``), a row whose partner is missing
    # somewhere keeps its arm as drawn: the search cannot see what its mirror does
    # there, and mirroring it as the free half of an exchange biased those rows' arms.
    replaced = [np.isfinite(c[pairs.dominant]) & np.isnan(c[pairs.other]) for c in columns]
    blind = np.logical_or.reduce(replaced)
    assert blind.sum() > 30
    assert np.array_equal(w[blind], pairs.w[blind])


def test_a_pinned_generation_keeps_the_margin_and_the_variances() -> None:
    """In the engine: every output row at least D |x_d - x_o| from both donors on every
    mixed column, and each column's sample variance its source's."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(correlated(rng, 200, 3), columns=["a", "b", "c"])
    frame["label"] = rng.choice(["x", "y"], 200)
    stream = GenerationStream(frame, plain(0.3), np.random.default_rng(3))
    out = stream.finish(pd.concat(list(stream))).frame
    dominant, other = stream.pairs.dominant, stream.pairs.other
    for name in ("a", "b", "c"):
        x, y = frame[name].to_numpy(), out[name].to_numpy()
        gap = np.abs(x[dominant] - x[other])
        slack = 1e-12 * (1 + np.abs(x[dominant]) + np.abs(x[other]))
        assert np.all(np.abs(y - x[dominant]) >= 0.3 * gap - slack)
        assert np.all(np.abs(y - x[other]) >= 0.3 * gap - slack)
        assert abs(y.var(ddof=1) / x.var(ddof=1) - 1) <= PIN_TOLERANCE


def test_a_column_with_missing_values_is_pinned_too() -> None:
    """A row whose other donor misses a value mixes with a replacement partner drawn
    before the pin, which then sees it: a column missing a fifth of its values keeps
    its variance within PIN_TOLERANCE on 10 seeds (measured 0.0009 at most; with the
    partners drawn after the pin, 0.025 in the median and 0.094 at most, and ISLR's
    Hitters' salary walked to 0.74-0.82 of its variance in 10 generations)."""
    for seed in range(10):
        rng = np.random.default_rng(seed)
        frame = pd.DataFrame(correlated(rng, 200, 3), columns=["a", "b", "c"])
        frame.loc[rng.random(200) < 0.2, "c"] = np.nan
        stream = GenerationStream(frame, plain(0.3), np.random.default_rng(seed + 50))
        out = stream.finish(pd.concat(list(stream))).frame
        assert out["c"].isna().sum() == frame["c"].isna().sum()
        assert np.all(np.abs(out.var() / frame.var() - 1) <= PIN_TOLERANCE), seed


def test_each_large_enough_group_is_pinned_to_its_own_variance() -> None:
    """--by: groups of 120 and 80 rows pinned within themselves; a group of 12 rows
    (under PIN_MIN_ROWS) keeps its arms as drawn: its rows equal the unpinned run's."""
    rng = np.random.default_rng(4)
    sizes = {"big": 120, "mid": 80, "tiny": 12}
    frame = pd.DataFrame(
        {
            "g": np.repeat(list(sizes), list(sizes.values())),
            "a": rng.normal(size=212),
            "b": rng.gamma(2.0, size=212),
        }
    )
    frame.loc[frame["g"] == "mid", "a"] *= 5  # groups of different spreads
    options = plain(0.3, by=("g",))
    out = synthesize(frame, options, np.random.default_rng(5)).frame
    with mock.patch("mixsynth.engine.memory.pins_variances", lambda *_: False):
        drawn = synthesize(frame, options, np.random.default_rng(5)).frame
    for group in ("big", "mid"):
        for name in ("a", "b"):
            made = out.loc[out["g"] == group, name].var()
            assert abs(made / frame.loc[frame["g"] == group, name].var() - 1) <= PIN_TOLERANCE
    assert out[out["g"] == "tiny"].equals(drawn[drawn["g"] == "tiny"])
    assert not out.equals(drawn)


def test_the_default_weights_are_never_pinned() -> None:
    """Margin 0 (the expanded Beta) and margins under moment or shape matching do not
    reach the pinning: their outputs are what they were."""
    rng = np.random.default_rng(6)
    frame = pd.DataFrame(correlated(rng, 100, 2), columns=["a", "b"])
    refused = mock.patch(
        "mixsynth.engine.memory.pinned_weights", side_effect=AssertionError("pinned")
    )
    with refused:
        for options in (
            plain(0.0),
            plain(0.3, match_moments=True),
            plain(0.3, match_shapes=True),
            SynthesisOptions(weights=margin_weights(0.3)),  # weights as given, unpinned
        ):
            synthesize(frame, options, np.random.default_rng(7))


@pytest.mark.slow
def test_one_run_keeps_the_variance_over_ten_generations() -> None:
    """On 150 correlated normal rows, margin 0.3, 10 generations, 40 runs: the median
    variance ratio of one run is 1 in expectation both pinned and as drawn; pinned, its
    mean over runs is 1 within 4.5 standard errors, every run is inside [0.9, 1.1],
    and its spread over runs is under a twentieth of the unpinned runs' (measured:
    0.004 against 0.38; with 39 degrees of freedom each, a ratio of standard
    deviations is within a factor 1.7 of the truth with 99.9% probability)."""
    runs, n, generations = 40, 150, 10
    pinned, drawn = [], []
    for seed in range(runs):
        rng = np.random.default_rng(100 + seed)
        frame = pd.DataFrame(correlated(rng, n, 4), columns=list("abcd"))
        *_, last = run_generations(frame, plain(0.3), generations, seed=seed)
        pinned.append(np.median(last.frame.var() / frame.var()))
        with mock.patch("mixsynth.engine.memory.pins_variances", lambda *_: False):
            *_, last = run_generations(frame, plain(0.3), generations, seed=seed)
        drawn.append(np.median(last.frame.var() / frame.var()))
    pinned_ratios, drawn_ratios = np.array(pinned), np.array(drawn)
    se = pinned_ratios.std(ddof=1) / np.sqrt(runs)
    assert abs(pinned_ratios.mean() - 1) <= 4.5 * se
    assert np.all((pinned_ratios >= 0.9) & (pinned_ratios <= 1.1))
    assert np.mean((drawn_ratios < 0.9) | (drawn_ratios > 1.1)) > 0.25
    assert pinned_ratios.std(ddof=1) < drawn_ratios.std(ddof=1) / 20


def test_a_dask_partition_is_pinned_to_its_own_variances(tmp_path) -> None:
    """The Dask engine mixes each partition with the in-memory stream: pinned there."""
    import pyarrow.parquet as pq

    from mixsynth.engine.dask.mixing import generate_part
    from mixsynth.engine.reference import Reference

    rng = np.random.default_rng(8)
    frame = pd.DataFrame(correlated(rng, 200, 3), columns=["a", "b", "c"])
    options = plain(0.3)
    path = str(tmp_path / "part.parquet")
    seed = np.random.SeedSequence(9)
    generate_part(frame, 200, options, Reference.of(frame, options), seed, 1, path)
    out = pq.read_table(path).to_pandas()
    assert np.all(np.abs(out[["a", "b", "c"]].var() / frame.var() - 1) <= PIN_TOLERANCE)


def one_step_spread(margin: float, n: int, reps: int) -> tuple[float, float]:
    """Standard deviation (and its standard error) over ``reps`` samples of n normal
    rows of one generation's variance ratio, with the arms as drawn (unpinned)."""
    rng = np.random.default_rng(10)
    frame = pd.DataFrame({"x": rng.normal(size=n * reps), "rep": np.repeat(np.arange(reps), n)})
    frame["rep"] = frame["rep"].astype(str)
    with mock.patch("mixsynth.engine.memory.pins_variances", lambda *_: False):
        out = synthesize(frame, plain(margin, by=("rep",)), np.random.default_rng(11)).frame
    ratios = out.groupby("rep")["x"].var() / frame.groupby("rep")["x"].var()
    spread = float(ratios.std(ddof=1))
    return spread, spread / np.sqrt(2 * (reps - 1))


@pytest.mark.parametrize("margin", [0.3, 0.5])
def test_the_step_the_pin_takes_out_has_the_closed_form_spread(margin: float) -> None:
    """As drawn, one generation's variance ratio on n normal rows has standard deviation
    about 4 D sqrt(1 - D^2) / sqrt(n) (docs/theory.md; v = +-D, E[z_d^2 (z_d - z_o)^2]
    = 4), within 4.5 standard errors; the default weights' step is under half of it."""
    n = 89
    spread, se = one_step_spread(margin, n, 1000)
    assert abs(spread - 4 * margin * np.sqrt(1 - margin**2) / np.sqrt(n)) < 4.5 * se
    default, default_se = one_step_spread(0.0, n, 1000)
    assert default + 4.5 * default_se < spread / 2
