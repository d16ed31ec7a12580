"""Children's means per second parent (mixsynth/relational/means.py; docs/multi-table.md,
"Over generations"): each synthetic second parent's children are shifted to wanted
means; those means, with the parent's numeric columns, have the source's mean vector
and covariance; grid columns stay on their grid, with the wanted mean kept to less than
one step of the group's total (stochastic rounding: unbiased, checked within four
standard errors); bounds and rules hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Bounds
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.relational import RelationalPlan, run_relational
from mixsynth.relational.means import (
    _shift,
    _steps,
    group_means,
    joint_moments,
    match_children_means,
)
from mixsynth.rules.model import Linear
from tests.unit.relational.test_second_parent import METADATA, two_parent_tables


def _groups(sizes: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(sizes)), sizes)


def test_a_continuous_column_reaches_each_groups_mean_and_keeps_its_spread():
    rng = np.random.default_rng(0)
    groups = _groups(rng.integers(5, 30, size=50))
    values = rng.normal(size=len(groups)) + groups
    wanted = rng.normal(size=50) + np.arange(50)
    counts = np.bincount(groups)
    before = values - group_means(values, groups, 50)[groups]
    _shift(values, groups, np.ones(len(values), bool), wanted, counts, -np.inf, np.inf)
    np.testing.assert_allclose(group_means(values, groups, 50), wanted, atol=1e-9)
    np.testing.assert_allclose(values - wanted[groups], before, atol=1e-9)


def test_bounds_hold_and_the_other_rows_take_the_share_of_those_at_a_bound():
    values = np.array([0.0, 0.5, 1.0, 2.0, 3.0])
    groups = np.zeros(5, dtype=np.int64)
    _shift(values, groups, np.ones(5, bool), np.array([0.8]), np.array([5]), 0.0, 10.0)
    assert values.min() >= 0.0
    assert abs(values.mean() - 0.8) < 1e-9
    assert values[0] == 0.0  # at the bound: not moved


def test_whole_numbers_stay_whole_in_range_and_keep_each_groups_mean_without_bias():
    """Each group's total is off the wanted one by the last stochastic rounding only:
    less than one step, mean 0, variance f(1 - f) <= 1/4 (f its fraction), so the mean
    error over G groups has a standard error of at most 0.5 / sqrt(G)."""
    rng = np.random.default_rng(1)
    sizes = rng.integers(20, 60, size=2000)
    groups = _groups(sizes)
    values = rng.integers(1, 6, size=len(groups)).astype(float)
    wanted = group_means(values, groups, len(sizes)) + rng.normal(0, 0.3, size=len(sizes))
    _steps(values, groups, np.ones(len(values), bool), wanted, sizes, 1.0, 8.0, 1.0, rng)
    assert np.array_equal(values, np.round(values))
    assert values.min() >= 1 and values.max() <= 8
    error = (group_means(values, groups, len(sizes)) - wanted) * sizes
    assert np.abs(error).max() < 1
    assert abs(error.mean()) <= 4 * 0.5 / np.sqrt(len(sizes)), error.mean()


def test_the_wanted_means_have_the_sources_moments_with_the_parents_columns():
    rng = np.random.default_rng(2)
    source = rng.multivariate_normal([1, 2, 3], [[2, 0.8, 0.3], [0.8, 1, 0.2], [0.3, 0.2, 1.5]], 40)
    own = source[:, :1] + rng.normal(0, 0.01, size=(40, 1))  # its moments matched below
    own = (own - own.mean()) / own.std(ddof=1) * source[:, 0].std(ddof=1) + source[:, 0].mean()
    values = source[:, 1:] + rng.normal(0, 0.3, size=(40, 2))
    made = np.column_stack([own, joint_moments(source, own, values)])
    np.testing.assert_allclose(made.mean(axis=0), source.mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(np.cov(made, rowvar=False), np.cov(source, rowvar=False), atol=1e-9)


def test_a_row_whose_shift_would_break_a_rule_is_put_back():
    source = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "cap": [1.5, 2.0, 9.0, 9.0]})
    wide = pd.DataFrame({"y": [0.0, 10.0], "cap": [0.0, 10.0]})  # bounds far off
    reference = Reference.of(wide, SynthesisOptions(semantics=False, detect_rules=False))
    rule = Linear(coefs=(("y", 1.0), ("cap", -1.0)), op="<=", text="y <= cap")
    reference = Reference(**{**reference.__dict__, "rules": (rule,)})
    frame = source.copy()
    groups = np.zeros(4, dtype=np.int64)
    source_groups = np.zeros(4, dtype=np.int64)
    shifted = source.assign(y=source.y + 1)  # a source whose children's mean is 1 more
    match_children_means(
        frame,
        shifted,
        ["y"],
        groups,
        np.zeros(1, dtype=np.int64),
        (np.zeros((1, 0)), np.zeros((1, 0))),
        source_groups,
        reference,
        SynthesisOptions(semantics=False),
        np.random.default_rng(0),
    )
    assert (frame.y <= frame.cap).all()
    assert frame.y.tolist()[:2] == [1.0, 2.0]  # put back: 2.0 and 3.0 broke y <= cap
    assert frame.y.tolist()[2:] == [4.0, 5.0]


def _relation(tables: dict) -> float:
    """The correlation of the second parent's z with its children's mean y."""
    means = tables["children"].groupby("lid")["y"].mean()
    return float(np.corrcoef(tables["lookups"].set_index("lid").z.loc[means.index], means)[0, 1])


def test_a_second_parents_relation_with_its_childrens_mean_is_kept_in_every_generation():
    """Exactly, for a continuous column without bounds; without the matching it walks."""
    tables = two_parent_tables(children=600, lookups=30)
    options = SynthesisOptions(bounds=Bounds.NONE, round_decimals=False, semantics=False)
    real = _relation(tables)
    for match, keeps in ((True, True), (False, False)):
        plan = RelationalPlan.of(tables, METADATA, options, match_children=match)
        found = [_relation(g.tables) for g in run_relational(tables, plan, 3, seed=0)]
        assert np.allclose(found, real, atol=1e-9) is keeps, (real, found)


def test_the_steps_of_whole_numbers_leave_the_spread():
    """A step up on a row at x moves the group's sum of squares about its mean m by
    about 2 (x - m) + 1: the steps go first to the rows nearest m - 1/2 (m + 1/2 for
    steps down), where that is between -1 and 1 and near 0 on average (-0.26 here);
    on rows drawn at random it is 1 less the share of rows stepped (+0.70 in this
    setup, simulated), the alternative the test tells apart (the standard error over
    these thousands of steps is about 0.01)."""
    rng = np.random.default_rng(3)
    sizes = rng.integers(50, 200, size=1000)
    groups = _groups(sizes)
    values = rng.integers(1, 6, size=len(groups)).astype(float)
    before = values.copy()
    wanted = group_means(values, groups, len(sizes)) + rng.uniform(-0.4, 0.4, size=len(sizes))
    _steps(values, groups, np.ones(len(values), bool), wanted, sizes, 1.0, 8.0, 1.0, rng)

    def squares(x: np.ndarray) -> np.ndarray:
        return np.bincount(groups, (x - group_means(x, groups, len(sizes))[groups]) ** 2)

    placed = np.abs(values - before).sum()
    per_step = (squares(values) - squares(before)).sum() / placed
    assert abs(per_step) < 0.5, per_step


@pytest.mark.parametrize("sorted_rows", [65_536, 16])  # one sort; rounds of bins first
def test_the_nearest_rows_per_group_are_those_a_full_sort_gives(monkeypatch, sorted_rows):
    """_nearest counts rows in bins of the gap and sorts only what each group's last
    bin leaves, round after round: it must pick exactly the rows a sort of every row by
    (group, gap) picks, also when the gaps are a few values apart with a small jitter
    (whole numbers: most rows in one bin)."""
    from mixsynth.relational import means
    from mixsynth.relational.means import _nearest

    monkeypatch.setattr(means, "SORTED_ROWS", sorted_rows)
    rng = np.random.default_rng(0)
    for _ in range(200):
        size, n = int(rng.integers(1, 30)), int(rng.integers(1, 3000))
        groups, gap = rng.integers(0, size, n), rng.random(n) * rng.choice([1, 100])
        if rng.random() < 0.5:
            gap = rng.integers(0, 4, n) + rng.random(n) * 1e-6
        wanted = (rng.random(size) * (np.bincount(groups, minlength=size) + 3)).astype(np.int64)
        order = np.lexsort((gap, groups))
        ranked = groups[order]
        first = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        place = np.arange(n) - np.repeat(first, np.diff(np.r_[first, n]))
        expected = np.sort(order[place < wanted[ranked]])
        assert np.array_equal(np.sort(_nearest(groups, gap, wanted)), expected)
