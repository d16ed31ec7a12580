"""Copied columns taken from near rows (``copy_neighbours``, mixsynth/engine/neighbours.py)
and the privacy target's search that turns it on (mixsynth/engine/target.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mixsynth.columns import group_codes
from mixsynth.engine.memory import GenerationStream, run_generations
from mixsynth.engine.neighbours import (
    NeighbourDonors,
    Part,
    block_labels,
    group_parts,
    shifted_donors,
)
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.engine.target import TARGET_NEIGHBOURS, Trial
from mixsynth.errors import MixsynthError
from mixsynth.jobs.target import choose_privacy_settings
from mixsynth.semantics.inference import eta_squared


def generate(frame: pd.DataFrame, options: SynthesisOptions, seed: int):
    stream = GenerationStream(frame, options, np.random.default_rng(seed))
    return stream, stream.finish(pd.concat(list(stream))).frame


def independent_codes(n: int, seed: int) -> pd.DataFrame:
    """A number and three copied columns of 4 equally likely values, independent of
    everything: each its own group."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n)})
    for name in ("p", "q", "r"):
        frame[name] = rng.choice(list("abcd"), n)
    return frame


def test_blocks_hold_near_rows_of_one_pairing_group() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(1000, 2)).astype(np.float32)
    codes = rng.integers(0, 3, 1000)
    labels = block_labels(features, codes, 5)
    sizes = np.bincount(labels)
    assert sizes.min() >= 5 and sizes.max() <= 9
    assert all(np.unique(codes[labels == block]).size == 1 for block in range(labels.max() + 1))
    # Near: a block spans far less than the table (median range under a fifth of it).
    spans = [np.ptp(features[labels == block], axis=0).max() for block in range(labels.max() + 1)]
    assert np.median(spans) < np.ptp(features, axis=0).min() / 5


def test_each_group_comes_from_another_rows_donor_of_its_block() -> None:
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(100), 7)
    dominant = rng.permutation(700)  # each source row anchors once, as balanced pairs do
    donors = shifted_donors(rng, labels, dominant)
    assert np.array_equal(np.sort(donors), np.sort(dominant))  # a permutation of the donors
    assert not np.any(donors == dominant)  # never the row's own
    where = {row: labels[k] for k, row in enumerate(dominant)}
    assert all(where[donor] == label for donor, label in zip(donors, labels, strict=True))


def test_copied_columns_keep_their_counts_and_leave_the_donors_combination() -> None:
    """With independent columns of 4 values, a row keeps its dominant donor's three
    values by chance only: 1/64 of rows (tolerance: 4.5 binomial standard errors);
    without the lever every row does. The counts of each copied column are the input's."""
    real = independent_codes(4000, 2)
    options = SynthesisOptions(copy_neighbours=5)
    assert sorted(Reference.of(real, options).copy_groups) == [("p",), ("q",), ("r",)]
    stream, out = generate(real, options, 3)
    for name in ("p", "q", "r"):
        assert out[name].value_counts().to_dict() == real[name].value_counts().to_dict()
    donor = real.iloc[stream.pairs.dominant].reset_index(drop=True)
    kept = (out[["p", "q", "r"]] == donor[["p", "q", "r"]]).all(axis=1).mean()
    p = 1 / 64
    assert abs(kept - p) < 4.5 * np.sqrt(p * (1 - p) / len(out))
    whole_stream, whole = generate(real, SynthesisOptions(), 3)
    whole_donor = real.iloc[whole_stream.pairs.dominant].reset_index(drop=True)
    assert (whole[["p", "q", "r"]] == whole_donor[["p", "q", "r"]]).all(axis=1).all()


def test_a_category_that_explains_a_number_follows_the_row_numbers() -> None:
    """A label that sets x (means 0 and 5, sd 1) comes from a row near x: on the rows
    away from the boundary (|x - 2.5| > 1, where the real label is wrong for
    P(N(0,1) > 3.5) = 2.3e-4 of rows) it matches the side of x on all but a few."""
    rng = np.random.default_rng(4)
    label = rng.choice(["lo", "hi"], 4000)
    real = pd.DataFrame({"x": np.where(label == "hi", 5.0, 0.0) + rng.normal(size=4000)})
    real["label"] = label
    real["noise"] = rng.choice(list("uvw"), 4000)
    options = SynthesisOptions(copy_neighbours=5)
    assert sorted(Reference.of(real, options).copy_groups) == [("label",), ("noise",)]
    stream, out = generate(real, options, 5)
    x = out["x"].to_numpy()
    clear = np.abs(x - 2.5) > 1
    wrong = (out["label"].to_numpy()[clear] == "hi") != (x[clear] > 2.5)
    assert wrong.mean() < 0.01
    # The unrelated column comes from anywhere: unlike its donor's for 2/3 of rows.
    differs = (out["noise"].to_numpy() != real["noise"].to_numpy()[stream.pairs.dominant]).mean()
    assert abs(differs - 2 / 3) < 4.5 * np.sqrt(2 / 9 / len(out))


def chained_codes(n: int, seed: int) -> pd.DataFrame:
    """Four associated copied columns, one group: b and c follow a (20 values), d
    follows b, each 60% of the time; a number beside them."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 20, n)

    def follow(parent: np.ndarray) -> np.ndarray:
        return np.where(rng.random(n) < 0.6, parent % 10, rng.integers(0, 10, n))

    b = follow(a // 2)
    frame = pd.DataFrame({"x": rng.normal(size=n), "a": a, "b": b, "c": follow(a), "d": follow(b)})
    for name in "abcd":
        frame[name] = name + frame[name].astype(str)
    return frame


def combination_share(real: pd.DataFrame, rows: pd.DataFrame, names: list[str]) -> float:
    """Share of ``rows`` whose combination of ``names`` some real row has."""
    seen = set(map(tuple, real[names].to_numpy()))
    return float(np.mean([tuple(row) in seen for row in rows[names].to_numpy()]))


def test_a_group_follows_its_tree_keeping_each_edges_pairs_not_a_rows_combination() -> None:
    """A group is taken column by column along the maximum spanning tree of its
    associations (root: the column of most values): each child from a row with its
    parent's value. So each edge's pairs keep their counts exactly, and a row's whole
    combination is a real one no more often than in a fresh sample (+ 4 binomial
    standard errors); taken whole from one row, as before, every row's was."""
    real, fresh = chained_codes(4000, 11), chained_codes(4000, 12)
    options = SynthesisOptions(copy_neighbours=5)
    (group,) = Reference.of(real, options).copy_groups
    parts = group_parts(real, group)
    names = [part.columns[0] for part in parts]
    parents = {
        name: names[part.parent]
        for name, part in zip(names, parts, strict=True)
        if part.parent is not None
    }
    assert names[0] == "a" and parents == {"b": "a", "c": "a", "d": "b"}
    _, out = generate(real, options, 12)
    for child, parent in parents.items():
        pairs = out[[parent, child]].value_counts().to_dict()
        assert pairs == real[[parent, child]].value_counts().to_dict()
    share, expected = combination_share(real, out, names), combination_share(real, fresh, names)
    assert share <= expected + 4 * np.sqrt(expected * (1 - expected) / len(out)), share
    one_part = [Part(group, group_codes(real, list(group)))]
    whole = NeighbourDonors([real["x"].to_numpy()], [one_part], 5)
    rng = np.random.default_rng(0)
    taken = whole.donors(rng, [real["x"].to_numpy()], rng.permutation(4000), np.zeros(4000, int))
    assert len({id(rows) for rows in taken.values()}) == 1  # one row gives every column


def daily(seed: int) -> pd.DataFrame:
    """One row per day of six 30-day months, unique together (a key: month, day): the
    temperature follows the month (10 degrees a month, sd 2), the rain does not."""
    rng = np.random.default_rng(seed)
    month = np.repeat(np.arange(1, 7), 30)
    return pd.DataFrame(
        {
            "month": month,
            "day": np.tile(np.arange(1, 31), 6),
            "temp": 10.0 * month + rng.normal(0, 2, month.size),
            "rain": rng.gamma(2.0, 3.0, month.size),
        }
    )


def test_a_unique_key_comes_from_near_rows_and_stays_unique() -> None:
    """From its dominant donor the key (the date) tells whose numbers a row has: on
    airquality's halves, margin 0.3 with near rows scored a DCR share of 0.96 with it,
    0.70 without. Taken whole from a near row's donor it stays unique (those donors are
    a permutation of the dominant ones), is never the row's own donor's, and still
    follows the numbers its month explains (month explains 0.99 of temp: a shuffled
    key would explain none)."""
    real = daily(8)
    options = SynthesisOptions(copy_neighbours=5)
    reference = Reference.of(real, options)
    assert [rule.describe() for rule in reference.rules] == ["unique together: month, day"]
    assert reference.copy_groups == (("month", "day"),)
    stream, out = generate(real, options, 9)
    key = ["month", "day"]
    assert sorted(map(tuple, out[key].to_numpy())) == sorted(map(tuple, real[key].to_numpy()))
    own = (out[key].to_numpy() == real[key].to_numpy()[stream.pairs.dominant]).all(axis=1)
    assert not own.any()
    assert eta_squared(out["temp"].to_numpy(), out["month"].to_numpy()) > 0.9
    default_stream, default = generate(real, SynthesisOptions(), 9)
    donors = real[key].to_numpy()[default_stream.pairs.dominant]
    assert (default[key].to_numpy() == donors).all()


def test_a_panels_key_follows_the_numbers_its_years_explain() -> None:
    """Half of a state-by-year panel (Ecdat's Cigar): state and year unique together, no
    time index (half the years missing), both numbers. Taken whole from a near row's
    donor, the key was shuffled across the table, since its copied columns (none)
    explain nothing: the year kept 0.75 of its pair score with the price index, a number
    of the year (Cigar at the privacy target: quality 0.901 against a fresh half's
    0.976). Near in what each of its numbers explains, the year still follows it."""
    rng = np.random.default_rng(11)
    grid = pd.DataFrame(
        [(state, year) for state in range(1, 41) for year in range(1970, 2000)],
        columns=["state", "year"],
    )
    real = grid.sample(frac=0.5, random_state=3).reset_index(drop=True)
    index = 30 + 4.0 * (real["year"] - 1970) + np.sin(real["year"].to_numpy())
    real["cpi"] = index.round(1)
    real["price"] = (
        index * rng.uniform(0.8, 1.2, 40)[real["state"] - 1] + rng.normal(0, 3, len(real))
    ).round(1)
    options = SynthesisOptions(copy_neighbours=5)
    rules = [rule.describe() for rule in Reference.of(real, options).rules]
    assert rules == ["unique together: state, year"]
    _, out = generate(real, options, 4)
    assert out["year"].corr(out["cpi"]) > 0.95 * real["year"].corr(real["cpi"])
    assert not out.duplicated(["state", "year"]).any()


def test_the_variance_stays_kept_over_generations_with_the_lever() -> None:
    """E[s^2 after 10 generations / s^2 source] = 1 with the finite-sample target (each
    generation unbiased): 600 samples of 20 rows (--by groups) with a copied column
    taken from near rows; tolerance 4.5 standard errors of the mean ratio."""
    rng = np.random.default_rng(6)
    reps, n = 600, 20
    frame = pd.DataFrame({"x": rng.normal(size=n * reps), "rep": np.repeat(np.arange(reps), n)})
    frame["rep"] = frame["rep"].astype(str)
    frame["c"] = rng.choice(list("abc"), n * reps)
    options = SynthesisOptions(copy_neighbours=5, by=("rep",))
    *_, last = (generation.frame for generation in run_generations(frame, options, 10, seed=7))
    ratios = last.groupby("rep")["x"].var() / frame.groupby("rep")["x"].var()
    se = ratios.std(ddof=1) / np.sqrt(reps)
    assert abs(ratios.mean() - 1) < 4.5 * se, (ratios.mean(), se)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"copy_neighbours": -1}, "0 or more"),
        ({"copy_neighbours": 2.5}, "whole number"),
        ({"copy_neighbours": 5, "split_copied": True}, "cannot be combined"),
    ],
)
def test_bad_settings_are_refused(changes: dict, fragment: str) -> None:
    with pytest.raises(MixsynthError, match=fragment):
        SynthesisOptions(**changes).check()


def test_the_target_search_takes_copied_columns_from_near_rows_first() -> None:
    """On a table whose copied columns find the donor, the defaults miss a DCR share of
    0.7 and the copied columns from near rows reach it, before any margin."""
    real = independent_codes(600, 8)
    choice = choose_privacy_settings(real, SynthesisOptions(privacy_target=0.7), seed=0)
    first, second = choice.tried[:2]
    assert (first.margin, first.copy_neighbours, first.split_copied) == (0.0, 0, False)
    assert first.share > 0.7
    assert choice.reached and choice.chosen == second
    assert (second.margin, second.copy_neighbours) == (0.0, TARGET_NEIGHBOURS)
    assert choice.record()["copy_neighbours"] == TARGET_NEIGHBOURS
    assert choice.options(SynthesisOptions(privacy_target=0.7)) == dataclasses.replace(
        SynthesisOptions(), copy_neighbours=TARGET_NEIGHBOURS, all_rows_new=True
    )
    assert Trial(0.3, 0, False, 2, False, 0.6).options(SynthesisOptions()).shapes_between
