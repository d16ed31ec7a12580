"""Copied columns taken from near rows (``copy_neighbours=K``; docs/privacy.md,
"Copied columns from near rows").

Copying every category, code and boolean of a synthetic row from one of its donors
makes the row carry that donor's combination of them, and on a table with several
copied columns the combination alone finds the donor (splitting them between the two
donors, ``split_copied``, still leaves one of two real rows' values in each group).
Here the synthetic rows of a slice are cut into *blocks* of ``K`` to ``2K`` rows near
each other in the mixed columns (standardized; halved at the median of the widest
column until small enough, within each pairing group), and each group of associated
copied columns (:func:`~mixsynth.engine.donors.copy_groups`) of a row is taken from the
dominant donor of *another* row of its block: the block's donors are shuffled and
shifted by one, for each group anew. So:

- every copied column keeps its counts exactly: the dominant donors tile the source
  (each row anchors once) and are only permuted among the rows;
- a group follows the row's numbers (its donor is a real row near them), so the
  number-category associations are kept and need not stay with the dominant donor;
- no row carries its donor's combination; inside a group the values are one real row's,
  and between groups only weak associations (Cramér's V under
  :data:`~mixsynth.engine.donors.COPY_GROUP_V`) are given up.

Measured first, the other way round (each group from one of the ``K`` real rows nearest
the synthetic row, sklearn's NearestNeighbors) drifted the copied columns' counts
generation after generation (rows near the centre are everybody's neighbours: the
total variation distance of penguins' ``species`` reached 0.21 at generation 10).
A table with no mixed column has nothing to be near: each pairing group is one block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mixsynth.columns import group_codes
from mixsynth.engine.donors import ANCHOR_ETA2, explained
from mixsynth.engine.kernel import Pairs


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
    order = np.lexsort((rng.random(len(labels)), labels))
    ranked = labels[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    ends = np.r_[starts[1:], len(order)]
    following = np.arange(1, len(order) + 1)
    following[ends - 1] = starts  # the last row of a block takes from its first
    donors = np.empty_like(dominant)
    donors[order] = dominant[order[following]]
    return donors


class NeighbourDonors:
    """The real rows each group of copied columns is taken from, slice by slice.

    ``sources``: the source's mixed columns as float64 (their mean and standard
    deviation standardize the synthetic rows; missing values sit at the mean);
    ``groups``: each group's codes on the source rows; ``size``: the rows a block
    holds at least. Near means near in the columns a group explains: each standardized
    column is weighted by the group's correlation ratio with it where that explains
    at least :data:`~mixsynth.engine.donors.ANCHOR_ETA2` of it (corrected for chance),
    and left out elsewhere; a group that explains no column is shuffled across its
    pairing group.
    """

    def __init__(self, sources: list[np.ndarray], groups: list[np.ndarray], size: int) -> None:
        self.scales = [_scale(values) for values in sources]
        self.weights = np.zeros((len(groups), len(sources)), dtype=np.float32)
        for g, codes in enumerate(groups):
            for k, values in enumerate(sources):
                share = explained(values, codes)
                if share >= ANCHOR_ETA2:
                    self.weights[g, k] = np.sqrt(share)
        self.size = size

    def donors(
        self,
        rng: np.random.Generator,
        mixed: list[np.ndarray],
        dominant: np.ndarray,
        codes: np.ndarray,
    ) -> list[np.ndarray]:
        """For each group, the source row each synthetic row (``mixed``: its finished
        mixed columns; ``dominant``: its dominant donor, ``codes``: its pairing group)
        takes that group from."""
        features = np.zeros((len(dominant), len(mixed)), dtype=np.float32)
        for k, (values, (centre, scale)) in enumerate(zip(mixed, self.scales, strict=True)):
            features[:, k] = np.nan_to_num((values - centre) / scale, nan=0.0)
        chosen = []
        for weights in self.weights:
            used = np.flatnonzero(weights)
            labels = block_labels(features[:, used] * weights[used], codes, self.size)
            chosen.append(shifted_donors(rng, labels, dominant))
        return chosen


class GroupDonors:
    """The row each free group of copied columns (``Reference.copy_groups``) of a
    generation comes from: either donor at random (``split_copied``, :mod:`.donors`) or
    a near row's dominant donor (``copy_neighbours``), drawn with ``rng``.

    ``sources`` gives the source's mixed columns as written (on their point masses),
    asked for once, at the first slice, and only with ``copy_neighbours``. Columns in
    ``numbers`` (a unique key's day, mixed but for its rule) are left out of what a
    group explains: unique in each row, with them a key's group would explain nothing.
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
    ) -> None:
        self.rng, self.table, self.groups = rng, table, groups
        self.neighbours, self.sources, self.numbers = neighbours, sources, numbers
        #: Split: for each group, whether each row takes it from its partner.
        self.take_other = [] if neighbours else [rng.random(rows) < 0.5 for _ in groups]
        self._near: NeighbourDonors | None = None

    def donors(self, mixed: list[np.ndarray], pairs: Pairs, rows: slice) -> list[np.ndarray]:
        """Each group's donor rows for one slice (``pairs``: its pairs, ``mixed``: its
        finished mixed columns, in the order of ``sources``)."""
        if not self.neighbours:
            return [np.where(flags[rows], pairs.other, pairs.dominant) for flags in self.take_other]
        if self._near is None:
            codes = [
                group_codes(self.table, [name for name in group if name not in self.numbers])
                for group in self.groups
            ]
            self._near = NeighbourDonors(self.sources(), codes, self.neighbours)
        return self._near.donors(self.rng, mixed, pairs.dominant, pairs.group_codes[pairs.dominant])


def _scale(values: np.ndarray) -> tuple[float, float]:
    """A column's centre and scale (mean and standard deviation; 1 if constant)."""
    observed = values[np.isfinite(values)]
    if observed.size == 0:
        return 0.0, 1.0
    spread = float(observed.std())
    return float(observed.mean()), spread if spread > 0 else 1.0
