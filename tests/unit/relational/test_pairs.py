"""Who mixes with whom across linked tables (mixsynth/relational/pairs.py): the count
groups parents are paired within, second parents' nearest partners, and the groups a
child table's pairs carry."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mixsynth.engine.kernel import Pairs
from mixsynth.engine.options import SynthesisOptions
from mixsynth.relational.pairs import (
    Family,
    _find,
    children_pairs,
    count_groups,
    nearest_others,
    neighbour_pairs,
)


def test_count_groups_hold_equal_counts_merged_up_to_the_smallest_size():
    rng = np.random.default_rng(0)
    counts = rng.poisson(3, size=500)
    groups = count_groups(counts, smallest=30)
    sizes = np.bincount(groups)
    assert sizes.min() >= 30
    # a group is a run of consecutive counts, and groups are ordered by count
    assert len(sizes) > 3
    for g in range(len(sizes) - 1):
        assert counts[groups == g].max() < counts[groups == g + 1].min()


def test_small_counts_join_the_next_and_a_small_last_group_the_one_before():
    """10 parents without children and 40 with one fill a group (50); 35 with two fill
    the next; 5, 12 and 3 with three to five (20) are too few and join it."""
    frequencies = {0: 10, 1: 40, 2: 35, 3: 5, 4: 12, 5: 3}
    counts = np.repeat(list(frequencies), list(frequencies.values()))
    groups = count_groups(counts, smallest=30)
    assert {k: int(groups[counts == k][0]) for k in frequencies} == {
        0: 0,
        1: 0,
        2: 1,
        3: 1,
        4: 1,
        5: 1,
    }


def test_fewer_parents_than_the_smallest_group_are_one_group():
    assert set(count_groups(np.array([0, 5, 9, 1]), smallest=30)) == {0}


def test_children_are_grouped_by_their_second_parent_for_the_engines_work():
    """Copy repair and partner redraws act within the pairs' groups: a child's group is
    its second parent (one group for the children without one), so a repair never
    moves a value from one product's items to another's."""
    second = np.array([2, 0, 2, -1, 1, 0, -1])
    family = Family.of(pd.Series([10, 11]), pd.Series([10, 10, 11, 11, 11, 10, 10]))
    parents = Pairs(np.array([0, 1]), np.array([1, 0]), np.array([0.9, 0.8]), np.zeros(2, int))
    (pairs, _), _ = children_pairs(
        family, parents, None, 0, SynthesisOptions(), np.random.default_rng(0), second
    )
    codes = pairs.group_codes
    assert len(codes) == len(second)
    for a in range(len(second)):
        for b in range(len(second)):
            assert (codes[a] == codes[b]) == (second[a] == second[b])
    # and the partner shares the dominant child's second parent, where it has one
    has = second[pairs.dominant] >= 0
    assert has.sum() == 5
    assert (second[pairs.other][has] == second[pairs.dominant][has]).all()


def test_a_second_parents_partner_is_one_of_its_nearest_rows():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(50, 2))
    nearest = nearest_others(features, 3)
    assert nearest.shape == (50, 3)
    assert (nearest != np.arange(50)[:, None]).all()
    distance = np.linalg.norm(features[:, None] - features[None], axis=2)
    np.fill_diagonal(distance, np.inf)
    assert (np.sort(nearest, axis=1) == np.sort(np.argsort(distance, axis=1)[:, :3], axis=1)).all()
    pairs, _ = neighbour_pairs(features, 100, SynthesisOptions(), rng)
    assert (np.bincount(pairs.dominant, minlength=50) == 2).all()  # balanced anchors
    assert all(o in nearest[d] for d, o in zip(pairs.dominant, pairs.other, strict=True))


def test_a_partner_familys_second_parents_are_found_by_bitmap_and_by_search_alike():
    """The codes (first parent, second parent) a partner child is looked up among: read
    from a bitmap when it is small, else by binary search; both find exactly the codes
    present, at their positions."""
    rng = np.random.default_rng(0)
    codes = np.unique(rng.integers(0, 5_000, size=800))  # 100 parents x 50 second ones
    wanted = rng.integers(0, 5_000, size=3_000)
    present = np.isin(wanted, codes)
    assert 0 < present.sum() < len(wanted)
    for parents in (100, 2_000):  # the bitmap, then the search (more parents than codes)
        found, slot = _find(codes, wanted, parents, 50)
        assert (found == present).all()
        assert (codes[slot] == wanted[present]).all()


def test_a_family_holds_its_parents_children_in_table_order_for_few_and_many_parents():
    """Children grouped by parent (sorted by radix in a small integer type when the
    parents are few): each parent's children in table order, the unlinked apart."""
    rng = np.random.default_rng(0)
    for parents in (1, 40, 70_000):  # one; a uint8; past a uint16 (int64)
        position = rng.integers(-1, parents, 20_000)
        family = Family.at(position, parents)
        linked = np.flatnonzero(position >= 0)
        assert (family.rows == linked[np.argsort(position[linked], kind="stable")]).all()
        assert (family.counts == np.bincount(position[linked], minlength=parents)).all()
        assert (family.unlinked == np.flatnonzero(position < 0)).all()
