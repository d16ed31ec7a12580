"""Who donates what: copied columns split between the two donors (``split_copied``;
docs/privacy.md, "Copied columns"), and partners too close to their anchor redrawn
under a privacy margin (:func:`redraw_close_partners`).

Copying every category, code and boolean of a synthetic row from its dominant donor
makes the row carry that real row's whole combination of them: on a table with several
such columns the combination alone finds the donor, whatever the weights do to the
numbers. Here the copied columns are cut into groups of associated columns (Cramér's
V at least :data:`COPY_GROUP_V`, joined transitively), and each row takes each group
from its dominant donor or its partner, at random with probability 1/2 (partners are
uniform, so every copied column keeps its distribution in expectation):

- the groups that explain a mixed column (correlation ratio eta^2 at least
  :data:`ANCHOR_ETA2`), the ``--by`` columns and the ``--keep-associations`` columns
  stay with the dominant donor, whose numbers dominate the row: the number-category
  associations shrink by kappa per generation, as without the split;
- inside a group, the joint distribution is a real row's; between groups, only weak
  associations (V under :data:`COPY_GROUP_V`) are given up, halved per generation.

Figures are computed on at most :data:`GROUP_SAMPLE_ROWS` rows of the original input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from mixsynth.columns import columns_of
from mixsynth.engine.copies import category_codes
from mixsynth.engine.kernel import Pairs
from mixsynth.semantics.inference import cramers_v, eta_squared

#: Copied columns at least this associated (Cramér's V, corrected for chance) are taken
#: from one donor together.
COPY_GROUP_V = 0.3
#: A copied column explaining this share of a mixed column's variance (corrected for
#: chance) stays with the dominant donor (the threshold of ``--keep-associations``).
ANCHOR_ETA2 = 0.05
#: Rows the association figures are computed on (a seeded sample of larger tables).
GROUP_SAMPLE_ROWS = 20_000


def copy_groups(
    table: Any,
    copied: Sequence[Any],
    numeric: dict[Any, np.ndarray],
    anchored: Sequence[Any] = (),
    units: Sequence[tuple[Any, ...]] = (),
    ties: Sequence[tuple[Any, Any]] = (),
) -> tuple[tuple[Any, ...], ...]:
    """The groups of ``copied`` columns each row may take from either donor.

    ``numeric`` holds the mixed numerical columns as float64 (NaN where missing or on
    a point mass; none with ``copy_neighbours``, whose rows follow them); ``anchored``
    columns (``--by``, kept associations) and every group holding one of them or a
    column that explains a numerical one are left out: they come from the dominant donor.
    ``units`` are columns a rule keeps together (a unique key: month and day): each
    lands whole in one group, its copied columns joined with their associates, its
    others (a day mixed no more) added to that group. ``ties`` are pairs of columns one
    of which names the other (:class:`~mixsynth.rules.model.Naming`): one group, whatever
    their association (none, by Cramér's V, where the naming column is unique).
    """
    sample = association_rows(columns_of(table).rows)
    found = {name: category_codes(table, name) for name in copied}
    copied = [name for name in copied if found[name] is not None]  # nested: left whole
    if not copied and not units:
        return ()
    codes = {name: values[sample] for name in copied if (values := found[name]) is not None}
    numbers = [values[sample] for values in numeric.values()]
    # Union-find over at most a few dozen columns (scipy's csgraph costs 0.8 s to import).
    parent = list(range(len(copied)))

    def root(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    for a in range(len(copied)):
        for b in range(a + 1, len(copied)):
            if association(codes[copied[a]], codes[copied[b]]) >= COPY_GROUP_V:
                parent[root(b)] = root(a)
    for a, b in ties:
        if a in copied and b in copied:
            parent[root(copied.index(b))] = root(copied.index(a))
    members = [[copied.index(name) for name in unit if name in copied] for unit in units]
    for ks in members:  # a unit's copied columns: one group
        for k in ks[1:]:
            parent[root(k)] = root(ks[0])
    held = {
        root(k)
        for k, name in enumerate(copied)
        if name in anchored
        or any(explained(values, codes[name]) >= ANCHOR_ETA2 for values in numbers)
    }
    groups: dict[int, list[Any]] = {}
    for k, name in enumerate(copied):
        if root(k) not in held:
            groups.setdefault(root(k), []).append(name)
    anchors = set(anchored)
    alone = []  # units with no copied column: a group of their own
    for unit, ks in zip(units, members, strict=True):
        if ks and root(ks[0]) in groups:  # its others (a day mixed no more) with them
            groups[root(ks[0])] += [name for name in unit if name not in copied]
        elif not ks and not anchors & set(unit):
            alone.append(tuple(unit))
    return tuple(tuple(group) for group in groups.values()) + tuple(alone)


def association_rows(rows: int) -> np.ndarray:
    """The rows association figures are computed on: every row, or a seeded sample of
    :data:`GROUP_SAMPLE_ROWS` of them (the same for every caller)."""
    if rows <= GROUP_SAMPLE_ROWS:
        return np.arange(rows)
    return np.sort(np.random.default_rng(0).choice(rows, GROUP_SAMPLE_ROWS, replace=False))


def association(a: np.ndarray, b: np.ndarray) -> float:
    """Cramér's V of two code columns, corrected for chance (Bergsma 2013): a column of
    150 zip codes has V near 0.4 with anything on 1,000 rows by chance alone."""
    width = int(b.max()) + 1
    table = np.bincount(a * width + b, minlength=(int(a.max()) + 1) * width).reshape(-1, width)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    v = cramers_v(table)
    if np.isnan(v):
        return 0.0
    n, (r, c) = table.sum(), table.shape
    phi2 = max(0.0, v * v * (min(r, c) - 1) - (r - 1) * (c - 1) / (n - 1))
    r_, c_ = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)
    return float(np.sqrt(phi2 / (min(r_, c_) - 1))) if min(r_, c_) > 1 else 0.0


def explained(values: np.ndarray, codes: np.ndarray) -> float:
    """eta^2 corrected for chance (epsilon^2): k groups explain (k - 1)/(n - 1) of any
    column's variance by chance alone."""
    eta2 = eta_squared(values, codes)
    present = codes[np.isfinite(values)]
    n, k = present.size, np.unique(present).size
    if np.isnan(eta2) or n <= k:
        return 0.0
    return 1 - (1 - eta2) * (n - 1) / (n - k)


#: Rows whose nearest other row is looked up to set the closeness threshold.
NEAREST_SAMPLE_ROWS = 500
#: Rows it is looked up among, at most (all of them: 30 s on 10^6 rows x 10 columns).
NEAREST_AMONG_ROWS = 20_000
#: Redraws of a partner that is too close to its anchor, at most.
PARTNER_REDRAWS = 3


def redraw_close_partners(
    rng: np.random.Generator, features: np.ndarray, pairs: Pairs
) -> tuple[Pairs, float, int]:
    """Partners nearer their anchor than a typical row's nearest neighbour, redrawn.

    A margin keeps a synthetic row at least D times its donors' gap away from both,
    which is no distance at all when the donors are near-duplicates. ``features`` are
    the mixed columns scaled to their ranges (one row per source row, float32);
    distances are mean absolute differences, as the DCR's. The threshold is the median
    distance from a row to its nearest other row (for a seeded sample of
    :data:`NEAREST_SAMPLE_ROWS` rows, among at most :data:`NEAREST_AMONG_ROWS`: a sparser
    sample on larger tables, so a larger threshold), what a fresh real row typically
    has; a partner closer than that, or at distance 0, is redrawn uniformly among the other rows of
    its group, up to :data:`PARTNER_REDRAWS` times. Returns the pairs, the threshold
    and how many partners were redrawn at least once.
    """
    from scipy.spatial.distance import cdist

    n, width = features.shape
    order = np.random.default_rng(0).permutation(n)
    among = features[order[:NEAREST_AMONG_ROWS]]
    # Brute force: a k-d tree is no faster in many dimensions (4 s for this in 10).
    distances = cdist(features[order[:NEAREST_SAMPLE_ROWS]], among, "cityblock")
    queries = np.arange(len(distances))
    distances[queries, queries] = np.inf  # the queries are the first rows of ``among``
    threshold = float(np.median(distances.min(axis=1))) / width
    codes = pairs.group_codes
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes)
    starts = np.cumsum(counts) - counts
    other = pairs.other.copy()
    rows = np.arange(len(other))
    redrawn = np.zeros(len(other), dtype=bool)
    for _ in range(PARTNER_REDRAWS):
        gap = np.abs(features[pairs.dominant[rows]] - features[other[rows]]).mean(axis=1)
        rows = rows[(gap < threshold) | (gap == 0)]
        if rows.size == 0:
            break
        redrawn[rows] = True
        dominant = pairs.dominant[rows]
        group = codes[dominant]
        others = np.maximum(counts[group] - 1, 1)
        drawn = order[starts[group] + np.floor(rng.random(rows.size) * others).astype(np.int64)]
        last = order[starts[group] + counts[group] - 1]
        other[rows] = np.where(drawn == dominant, last, drawn)
    return dataclasses.replace(pairs, other=other), threshold, int(redrawn.sum())
