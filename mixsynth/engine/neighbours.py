"""Copied columns taken from near rows (``copy_neighbours=K``; docs/privacy.md,
"Copied columns from near rows").

Copying every category, code and boolean of a synthetic row from one of its donors
makes the row carry that donor's combination of them, and on a table with several
copied columns the combination alone finds the donor (splitting them between the two
donors, ``split_copied``, still leaves one of two real rows' values in each group).
Here the synthetic rows of a slice are cut into *blocks* of ``K`` to ``2K`` rows near
each other in the mixed columns (standardized; halved at the median of the widest
column until small enough, within each pairing group). A group of associated copied
columns (:func:`~mixsynth.engine.donors.copy_groups`) is taken column by column along
the maximum spanning tree of their associations (:func:`group_parts`): its root from
the dominant donor of *another* row of the block (the block's donors shuffled and
shifted by one), each child from the donor of another row of a block cut among the
rows of its parent's value (their donors shuffled and shifted alike). A rule's key is
taken whole, from the root's donor. So:

- every copied column, and every tree edge's pairs of values, keep their counts
  exactly: the dominant donors tile the source (each row anchors once) and are only
  permuted among the rows, a child's among rows that share the parent's value;
- a column follows the row's numbers (its donor is a real row near them), so the
  number-category associations are kept and need not stay with the dominant donor;
- no row carries its donor's combination, nor, in a group, one real row's: the
  associations the tree leaves out are kept through it (two children of one parent:
  as far as the parent explains them), and between groups only weak ones (Cramér's V
  under :data:`~mixsynth.engine.donors.COPY_GROUP_V`) are given up. Taken whole from
  one row, the group carried that row's combination: on CPS1985 (gender, occupation,
  sector) anonymeter inferred gender +0.186 over real held-out rows, now -0.051
  (docs/privacy.md).

Measured first, the other way round (each group from one of the ``K`` real rows nearest
the synthetic row, sklearn's NearestNeighbors) drifted the copied columns' counts
generation after generation (rows near the centre are everybody's neighbours: the
total variation distance of penguins' ``species`` reached 0.21 at generation 10).
A table with no mixed column has nothing to be near: each pairing group is one block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixsynth.columns import group_codes
from mixsynth.engine.donors import ANCHOR_ETA2, association, association_rows, explained
from mixsynth.engine.kernel import Pairs, block_cycle


def block_labels(features: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """A block number for each row: rows of one pairing group (``codes``) near each
    other in ``features``, ``size`` to ``2 * size - 1`` rows a block (a group smaller
    than that is one block)."""
    labels = np.empty(len(codes), dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    pending = list(np.split(order, bounds))
    block = 0
    while pending:
        rows = pending.pop()
        if len(rows) < 2 * size or features.shape[1] == 0:
            labels[rows] = block
            block += 1
            continue
        values = features[rows]
        spans = values.max(axis=0) - values.min(axis=0)
        widest = int(np.argmax(spans))
        if spans[widest] == 0:  # all alike: nothing to be nearer
            labels[rows] = block
            block += 1
            continue
        ranked = rows[np.argsort(values[:, widest], kind="stable")]
        pending += [ranked[: len(ranked) // 2], ranked[len(ranked) // 2 :]]
    return labels


def shifted_donors(
    rng: np.random.Generator, labels: np.ndarray, dominant: np.ndarray
) -> np.ndarray:
    """Each row's donor for one group: the dominant donor of the next row of its block,
    the block's rows in a random cycle (a row of a block of one keeps its own)."""
    return dominant[block_cycle(rng, labels)]


@dataclass(frozen=True)
class Part:
    """Columns of a group taken from one real row: the whole group, or one column of it
    following its ``parent`` part (an index into the group's parts; None: the root)."""

    columns: tuple[Any, ...]
    codes: np.ndarray  #: the part's codes on the source rows
    parent: int | None = None
    #: Other codes that say what the part explains (a key's years: its prices), beside
    #: ``codes``: a mixed column is weighted by the most any of them explains.
    explaining: tuple[np.ndarray, ...] = ()


#: The strength of a tie between a column and one it names: above any Cramér's V, so
#: the tree takes it first (where the naming column is unique, V is 0).
TIED = 2.0


def group_parts(table: Any, group: tuple, ties: Sequence[tuple[Any, Any]] = ()) -> list[Part]:
    """A group of copied columns as parts: one part per column along the maximum
    spanning tree of their associations (Cramér's V, corrected; :data:`TIED` for a
    column and one it names), rooted at the column with the most values. A child takes
    its value from a row with its parent's value, so each tree edge keeps its real pairs
    (and their counts) while the row's whole combination is no real row's."""
    if len(group) == 1:
        return [Part(tuple(group), group_codes(table, list(group)))]
    codes = {name: group_codes(table, [name]) for name in group}
    sample = association_rows(len(codes[group[0]]))
    root = max(group, key=lambda name: int(codes[name].max()))
    order = [root]
    parents: list[int | None] = [None]
    tied = {frozenset(tie) for tie in ties}

    def tie(a: Any, b: Any) -> float:
        if frozenset((a, b)) in tied:
            return TIED
        return association(codes[a][sample], codes[b][sample])

    strength = {name: (tie(root, name), 0) for name in group}
    while len(order) < len(group):
        name = max((n for n in group if n not in order), key=lambda n: strength[n][0])
        order.append(name)
        parents.append(strength[name][1])
        for other in group:
            if other not in order:
                v = tie(name, other)
                if v > strength[other][0]:
                    strength[other] = (v, len(order) - 1)
    return [Part((name,), codes[name], parent) for name, parent in zip(order, parents, strict=True)]


class NeighbourDonors:
    """The real rows each part of a group of copied columns is taken from, slice by
    slice.

    ``sources``: the source's mixed columns as float64 (their mean and standard
    deviation standardize the synthetic rows; missing values sit at the mean);
    ``groups``: each group's parts (:func:`group_parts`); ``size``: the rows a block
    holds at least. Near means near in the columns a part explains: each standardized
    column is weighted by the part's correlation ratio with it where that explains
    at least :data:`~mixsynth.engine.donors.ANCHOR_ETA2` of it (corrected for chance),
    and left out elsewhere; a part that explains no column is shuffled across its
    pairing group (a child: across the rows of its parent's value).
    """

    def __init__(self, sources: list[np.ndarray], groups: list[list[Part]], size: int) -> None:
        self.scales = [_scale(values) for values in sources]
        self.groups = groups
        #: For each group, each part's weight of every mixed column.
        self.weights = [
            [
                np.array(
                    [
                        max(_weight(values, c) for c in (part.codes, *part.explaining))
                        for values in sources
                    ],
                    np.float32,
                )
                for part in parts
            ]
            for parts in groups
        ]
        self.size = size

    def donors(
        self,
        rng: np.random.Generator,
        mixed: list[np.ndarray],
        dominant: np.ndarray,
        codes: np.ndarray,
    ) -> dict[Any, np.ndarray]:
        """For each copied column of the groups, the source row each synthetic row
        (``mixed``: its finished mixed columns; ``dominant``: its dominant donor,
        ``codes``: its pairing group) takes it from."""
        features = np.zeros((len(dominant), len(mixed)), dtype=np.float32)
        for k, (values, (centre, scale)) in enumerate(zip(mixed, self.scales, strict=True)):
            features[:, k] = np.nan_to_num((values - centre) / scale, nan=0.0)
        chosen: dict[Any, np.ndarray] = {}
        for parts, weights in zip(self.groups, self.weights, strict=True):
            taken: list[np.ndarray] = []
            for part, w in zip(parts, weights, strict=True):
                used = np.flatnonzero(w)
                if part.parent is None:
                    anchors, blocks = dominant, codes
                else:  # rows of one value of the parent, whose donors they swap
                    parent = parts[part.parent]
                    anchors = taken[part.parent]
                    blocks = codes * (int(parent.codes.max()) + 1) + parent.codes[anchors]
                labels = block_labels(features[:, used] * w[used], blocks, self.size)
                taken.append(shifted_donors(rng, labels, anchors))
                chosen.update(dict.fromkeys(part.columns, taken[-1]))
        return chosen


class GroupDonors:
    """The row each free group of copied columns (``Reference.copy_groups``) of a
    generation comes from: either donor at random (``split_copied``, :mod:`.donors`) or
    near rows' dominant donors (``copy_neighbours``), drawn with ``rng``.

    ``sources`` gives the source's mixed columns as written (on their point masses),
    asked for once, at the first slice, and only with ``copy_neighbours``. Columns in
    ``numbers`` (a unique key's day, mixed but for its rule) are left out of what a
    group explains: unique in each row, with them a key's group would explain nothing;
    a group holding one of them or of ``ruled`` (a key's columns) is taken whole;
    ``ties`` (a column and one it names) are the first edges of a group's tree.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        rows: int,
        table: Any,
        groups: tuple,
        neighbours: int,
        sources: Callable[[], list[np.ndarray]],
        numbers: tuple = (),
        ruled: frozenset = frozenset(),
        ties: Sequence[tuple[Any, Any]] = (),
    ) -> None:
        self.rng, self.table, self.groups = rng, table, groups
        self.neighbours, self.sources = neighbours, sources
        self.numbers, self.ruled, self.ties = numbers, ruled, ties
        #: Split: for each group, whether each row takes it from its partner.
        self.take_other = [] if neighbours else [rng.random(rows) < 0.5 for _ in groups]
        self._near: NeighbourDonors | None = None

    def donors(self, mixed: list[np.ndarray], pairs: Pairs, rows: slice) -> dict[Any, np.ndarray]:
        """Each grouped column's donor rows for one slice (``pairs``: its pairs,
        ``mixed``: its finished mixed columns, in the order of ``sources``)."""
        if not self.neighbours:
            chosen: dict[Any, np.ndarray] = {}
            for group, flags in zip(self.groups, self.take_other, strict=True):
                taken = np.where(flags[rows], pairs.other, pairs.dominant)
                chosen.update(dict.fromkeys(group, taken))
            return chosen
        if self._near is None:
            parts = []
            for group in self.groups:
                near = [name for name in group if name not in self.numbers]
                if len(near) < len(group) or self.ruled & set(group):  # a key: whole
                    # Its numbers, each alone, say what it explains too (a panel's year:
                    # the prices of that year); whole, unique in each row, nothing.
                    alone = tuple(group_codes(self.table, [n]) for n in group if n not in near)
                    parts.append([Part(tuple(group), group_codes(self.table, near), None, alone)])
                else:
                    parts.append(group_parts(self.table, group, self.ties))
            self._near = NeighbourDonors(self.sources(), parts, self.neighbours)
        return self._near.donors(self.rng, mixed, pairs.dominant, pairs.group_codes[pairs.dominant])


def _weight(values: np.ndarray, codes: np.ndarray) -> float:
    """How much a part's codes weigh a mixed column in nearness: the square root of the
    share of its variance they explain, where that is at least ANCHOR_ETA2."""
    share = explained(values, codes)
    return float(np.sqrt(share)) if share >= ANCHOR_ETA2 else 0.0


def _scale(values: np.ndarray) -> tuple[float, float]:
    """A column's centre and scale (mean and standard deviation; 1 if constant)."""
    observed = values[np.isfinite(values)]
    if observed.size == 0:
        return 0.0, 1.0
    spread = float(observed.std())
    return float(observed.mean()), spread if spread > 0 else 1.0
