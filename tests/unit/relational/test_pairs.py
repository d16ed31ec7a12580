"""Who mixes with whom across linked tables (mixsynth/relational/pairs.py): the count
groups parents are paired within."""

from __future__ import annotations

import numpy as np

from mixsynth.relational.pairs import count_groups


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
