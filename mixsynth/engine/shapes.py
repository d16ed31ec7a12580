"""Shape matching (``--match-shapes``): each mixed column, after mixing, takes the
values of the table it was made from, in the order mixup ranked its rows.

Mixup keeps the first two moments, not the shape: every generation convolves a column
with its own spread (THEORY.md section 5: the fourth moment grows by E[u²](2μ4 + 6σ⁴)),
and the change compounds over generations, within each category as well as overall;
a category-by-number contingency table sees it first. Matching the shape stops that
drift. The output value of rank r among m (ties ranked at random) is replaced by the
source's quantile at (r - 1/2)/m, the source's sorted values placed at (i - 1/2)/n and
joined linearly:

- with as many output rows as source rows (the default), the column's values are
  exactly the source's, reordered: its distribution is the source's, over any number
  of generations, and the variance is kept exactly;
- with other row counts, each value is interpolated between two neighbouring source
  values: the distribution functions differ by at most 1/m + 1/n.

Rows are new, values are not: each synthetic row still combines its donors' ranks,
but every value of a mixed column is one of the real values of that column, including
its minimum and maximum. The closeness of synthetic rows to real ones (DCR) is what
tells whether that matters for a table: it is measured in docs/structure.md.

The ranks, hence the rank correlations between columns, are those mixup made; Pearson
correlations move a little, which ``--match-moments`` then corrects (the engine
alternates the two). The map is done within the groups rows are paired in (``--by``
and the categories of ``--keep-associations``), so that each group's conditional
distribution keeps its shape. Missing values and a point mass (held out as NaN) stay
as they are; only observed mixed values are mapped, onto the source's observed values
of the same group.
"""

from __future__ import annotations

import numpy as np


def match_shapes(
    source: np.ndarray,
    output: np.ndarray,
    source_groups: np.ndarray,
    output_groups: np.ndarray,
    rng: np.random.Generator,
) -> int:
    """Map ``output`` in place onto ``source``'s values within each group.

    ``source_groups`` and ``output_groups`` are the group code of each row (integers);
    NaN marks a value that is not mapped, and ``rng`` ranks ties. Returns how many
    values were mapped: a group without observed source values keeps its output.
    One sort of each side by (group, value), then a slice per group.
    """
    rows = np.flatnonzero(~np.isnan(output))
    order = _group_value_order(output_groups[rows], output[rows], rng)
    groups = output_groups[rows]
    observed = ~np.isnan(source)
    known, known_groups = source[observed], source_groups[observed]
    if _one_group(known_groups):
        known = np.sort(known)
    else:
        known_order = np.lexsort((known, known_groups))
        known, known_groups = known[known_order], known_groups[known_order]
    present, starts, counts = np.unique(groups[order], return_index=True, return_counts=True)
    lows = np.searchsorted(known_groups, present, side="left")
    highs = np.searchsorted(known_groups, present, side="right")
    mapped = 0
    for start, m, low, high in zip(starts, counts, lows, highs, strict=True):
        if high == low:
            continue
        targets = rows[order[start : start + m]]
        output[targets] = quantiles(known[low:high], m)
        mapped += m
    return mapped


def _group_value_order(
    groups: np.ndarray, values: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The order that sorts by group, then value, ties in the order of a seeded
    permutation (not by position)."""
    shuffled = rng.permutation(len(values))
    order = shuffled[np.argsort(values[shuffled])]
    if not _one_group(groups):
        order = order[np.argsort(groups[order], kind="stable")]
    return order


def _one_group(groups: np.ndarray) -> bool:
    return len(groups) == 0 or groups.min() == groups.max()


def quantiles(sorted_source: np.ndarray, m: int) -> np.ndarray:
    """The source's quantiles at (r - 1/2)/m, r = 1..m: its n values placed at
    (i - 1/2)/n and joined linearly (exactly its values when m = n)."""
    n = len(sorted_source)
    return np.interp((np.arange(m) + 0.5) / m, (np.arange(n) + 0.5) / n, sorted_source)
