r"""Who mixes with whom across linked tables (docs/multi-table.md, "The method").

A parent table is paired within groups of parents with about as many children, so
that its columns keep their covariance with the number of children; a child table's
pairs follow its parents' (each synthetic parent gets its dominant donor's children,
each mixed with a partner child from the other donor's family, with the parent's
weight); a partner child shares its dominant child's second parent where it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mixsynth.choices import Pairing
from mixsynth.columns.kinds import first_appearance_codes
from mixsynth.engine.associations import ASSOCIATION_MIN_GROUP
from mixsynth.engine.kernel import Pairs, balanced_anchors, draw_pairs
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import AnyWeights

if TYPE_CHECKING:
    import pandas as pd

    from mixsynth.relational.metadata import Relationship

#: The fewest parents a group of equal child counts is paired within (smaller groups
#: are merged with the next larger counts): every parent has partners enough to mix
#: with, as the engine's --keep-associations asks of a group (20 rows) and more.
MIN_COUNT_GROUP = 30
#: A second parent's partner is drawn among this many of its nearest rows.
PARTNER_NEIGHBOURS = 3


@dataclass(frozen=True)
class Family:
    """A child table's rows grouped by their parent row (in the parent's row order)."""

    rows: np.ndarray  #: child row numbers, parent by parent, each family in table order
    starts: np.ndarray  #: where each parent row's children begin in ``rows``
    counts: np.ndarray  #: children of each parent row
    unlinked: np.ndarray  #: child rows whose key is missing or names no parent row

    @classmethod
    def of(cls, parent_keys: pd.Series, foreign_keys: pd.Series) -> Family:
        import pandas as pd

        return cls.at(pd.Index(parent_keys).get_indexer(foreign_keys), len(parent_keys))

    @classmethod
    def at(cls, position: np.ndarray, parents: int) -> Family:
        """From each child row's parent row (``position``, -1: none) among ``parents``;
        sorted in the smallest integer type, which numpy sorts by radix when it is 16 bits
        or less (16M items by their 40 products: 2 s in int64)."""
        linked = np.flatnonzero(position >= 0)
        counts = np.bincount(position[linked], minlength=parents)
        keys = position[linked].astype(np.min_scalar_type(max(parents - 1, 0)))
        rows = linked[np.argsort(keys, kind="stable")]
        return cls(rows, np.cumsum(counts) - counts, counts, np.flatnonzero(position < 0))


class Links:
    """Each relationship's child rows' parent rows (-1: none) in ``tables``, and its
    :class:`Family`, found once: a generation asks for them up to seven times, and a
    lookup of 16M items' keys among 5M orders' takes about a second."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables
        self._positions: dict[Relationship, np.ndarray] = {}
        self._families: dict[Relationship, Family] = {}

    def position(self, r: Relationship) -> np.ndarray:
        """Each child row's parent row along ``r`` (-1: missing or no such parent)."""
        if r not in self._positions:
            import pandas as pd

            parent_keys = pd.Index(self.tables[r.parent][r.parent_key])
            self._positions[r] = parent_keys.get_indexer(self.tables[r.child][r.foreign_key])
        return self._positions[r]

    def family(self, r: Relationship) -> Family:
        """The child table's rows grouped by their parent row along ``r``."""
        if r not in self._families:
            self._families[r] = Family.at(self.position(r), len(self.tables[r.parent]))
        return self._families[r]


def count_groups(counts: np.ndarray, smallest: int = MIN_COUNT_GROUP) -> np.ndarray:
    """Each parent's group: parents with the same number of children, consecutive
    counts merged until every group holds at least ``smallest`` parents (all parents
    one group when there are fewer)."""
    values, sizes = np.unique(counts, return_counts=True)
    group = np.zeros(len(values), dtype=np.int64)
    current, filled = 0, 0
    for k, size in enumerate(sizes):
        if filled >= smallest:
            current, filled = current + 1, 0
        group[k], filled = current, filled + size
    if filled < smallest and current > 0:  # the last group too small: into the one before
        group[group == current] = current - 1
    return group[np.searchsorted(values, counts)]


def parent_pairs(
    counts: np.ndarray,
    rows: int,
    options: SynthesisOptions,
    rng: np.random.Generator,
    associations: np.ndarray | None = None,
) -> tuple[Pairs, AnyWeights]:
    """A parent table's pairs, drawn as the engine draws them but within groups of
    parents with about as many children (:func:`count_groups`): a parent column then
    keeps its covariance with the number of children, which comes whole from the
    dominant donor, instead of losing a share kappa each generation. With
    ``--keep-associations`` (``associations``: the codes of its columns) each count
    group is split by them as the engine splits a ``--by`` group, combinations under
    its minimum pooled back into the count group."""
    groups = count_groups(counts)
    if associations is not None:
        fine = first_appearance_codes(groups * (int(associations.max()) + 1) + associations)
        small = np.bincount(fine)[fine] < ASSOCIATION_MIN_GROUP
        groups = first_appearance_codes(np.where(small, fine.max() + 1 + groups, fine))
    return draw_pairs(
        rng, groups, rows, options.pairing, lambda n, size: options.weights_for(n, size)
    )


def neighbour_pairs(
    features: np.ndarray,
    rows: int,
    options: SynthesisOptions,
    rng: np.random.Generator,
    neighbours: int = PARTNER_NEIGHBOURS,
) -> tuple[Pairs, AnyWeights]:
    """A second parent table's pairs: anchors as the engine draws them (balanced by
    default), each partner drawn uniformly among the anchor's ``neighbours`` nearest
    other rows in ``features`` (its standardized columns and children's figures,
    :func:`parent_features`). Its children cannot share its weight (they follow their
    first parent's), so what it is and what its children are stay linked only if its
    partner resembles it in both (docs/multi-table.md, statement 9)."""
    n = len(features)
    if options.pairing is Pairing.BALANCED:
        anchor = balanced_anchors(rng, n, rows)
        rng.shuffle(anchor)
    else:
        anchor = rng.integers(n, size=rows)
    partner = nearest_others(features, neighbours)[anchor, rng.integers(neighbours, size=rows)]
    weights = options.weights_for(n, rows)
    lam = weights.sample(rng, rows)
    w = np.maximum(lam, 1 - lam)
    return Pairs(anchor, partner, w, np.zeros(n, dtype=np.int64)), weights


def nearest_others(features: np.ndarray, neighbours: int) -> np.ndarray:
    """Each row's ``neighbours`` nearest other rows (Euclidean), one row per line; with
    fewer rows, every other row, repeated to fill the line (a single row: itself)."""
    from scipy.spatial import cKDTree  # imported already; sklearn's import is 0.7 s

    n = len(features)
    k = min(neighbours, n - 1)
    if k < 1:
        return np.zeros((n, neighbours), dtype=np.int64)
    # k + 1 found: the row itself is dropped wherever ties put it
    _, nearest = cKDTree(features).query(features, k=k + 1)
    itself = nearest == np.arange(n)[:, None]
    keep = np.argsort(itself, axis=1, kind="stable")[:, :k]
    others = np.take_along_axis(nearest, keep, axis=1)
    return np.resize(others.T, (neighbours, n)).T if k < neighbours else others


def parent_features(
    parent: pd.DataFrame,
    columns: list[str],
    children: list[tuple[np.ndarray, pd.DataFrame | None]],
) -> np.ndarray:
    """Each parent row's figures, each standardized (missing ones, and values that are
    not numbers, at the mean): its numeric ``columns``, and for each child relationship
    (``children``: the number of children of each parent row, and the mean of each
    numeric child column, NaN for a parent without children) those counts and means."""
    import pandas as pd

    own = parent[columns].apply(pd.to_numeric, errors="coerce")
    blocks = [own.to_numpy(dtype=float, na_value=np.nan)] if columns else []
    for counts, means in children:
        blocks.append(counts[:, None].astype(float))
        if means is not None and means.shape[1]:
            blocks.append(means.to_numpy(dtype=float, na_value=np.nan))
    features = np.column_stack(blocks)
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = features - np.nanmean(features, axis=0)
        scaled = centred / np.nanstd(features, axis=0)
    return np.nan_to_num(scaled, nan=0.0, posinf=0.0, neginf=0.0)


def children_pairs(
    family: Family,
    parent_pairs: Pairs,
    weights: AnyWeights,
    unlinked_rows: int,
    options: SynthesisOptions,
    rng: np.random.Generator,
    second: np.ndarray | None = None,
) -> tuple[tuple[Pairs, AnyWeights], np.ndarray]:
    """The children of the synthetic parents, in parent order: each synthetic parent
    gets every child of its dominant donor, each mixed with a partner child drawn from
    its other donor's children, with the parent's weight. With a second parent
    (``second``: each real child's row in its second parent table, -1 for none) the
    partner is drawn among the other donor's children of the same second parent; when
    it has none, among the children of that second parent (any family); without
    either, among the other donor's children (of any parent when it has none). Then the
    children with no parent, mixed among themselves (balanced anchors). Returns the
    pairs and weights, and each output row's synthetic parent (-1: none)."""
    dominant_parent, other_parent = parent_pairs.dominant, parent_pairs.other
    counts = family.counts[dominant_parent]
    total = int(counts.sum())
    synthetic_parent = np.repeat(np.arange(len(dominant_parent)), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    dominant = family.rows[family.starts[dominant_parent[synthetic_parent]] + offset]
    partner_parent = other_parent[synthetic_parent]
    other = _draw(family.rows, family.starts, family.counts, partner_parent, rng)
    orphans = family.counts[partner_parent] == 0
    if orphans.any():
        other[orphans] = family.rows[rng.integers(len(family.rows), size=int(orphans.sum()))]
    if second is not None and total:
        _match_second_parent(family, second, dominant, partner_parent, other, rng)
    w = parent_pairs.w[synthetic_parent]
    if unlinked_rows and len(family.unlinked):
        n = len(family.unlinked)
        anchors = balanced_anchors(rng, n, unlinked_rows)
        rng.shuffle(anchors)
        dominant = np.concatenate([dominant, family.unlinked[anchors]])
        other = np.concatenate([other, family.unlinked[rng.integers(n, size=unlinked_rows)]])
        lam = options.weights_for(n, unlinked_rows).sample(rng, unlinked_rows)
        w = np.concatenate([w, np.maximum(lam, 1 - lam)])  # the dominant donor's weight
        synthetic_parent = np.concatenate([synthetic_parent, np.full(unlinked_rows, -1)])
    return (Pairs(dominant, other, w, _second_groups(family, second)), weights), synthetic_parent


def _second_groups(family: Family, second: np.ndarray | None) -> np.ndarray:
    """Each real child's group for the engine's work within groups (copy repair,
    missing partners, partner redraws): its second parent (children without one
    together), since its partner shares it; one group without a second parent. Copy
    repair then swaps values between children of one second parent only, so each
    second parent keeps its children's values (a repair across them moved quantities
    from cheap products' items to others', a bias of -0.3 in the correlation of a
    product's list price with its items' mean quantity on the shop)."""
    rows = len(family.rows) + len(family.unlinked)
    if second is None:
        return np.zeros(rows, dtype=np.int64)
    return first_appearance_codes(np.where(second >= 0, second, -1))


def _draw(
    rows: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    group: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """A uniformly drawn row of each ``group`` (rows grouped at ``starts``, ``counts``
    long); an arbitrary one where the group is empty (the caller replaces those)."""
    available = counts[group]
    draw = np.floor(rng.random(len(group)) * available).astype(np.int64)
    return rows[np.minimum(starts[group] + draw, len(rows) - 1)]


def _match_second_parent(
    family: Family,
    second: np.ndarray,
    dominant: np.ndarray,
    partner_parent: np.ndarray,
    other: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Replace ``other`` (in place) by a partner of the same second parent as its
    dominant child: a child of the partner parent when it has one, else a child of that
    second parent from any family (docs/multi-table.md, "A child with two parents")."""
    linked = family.rows[second[family.rows] >= 0]
    if len(linked) == 0:
        return
    size = int(second.max()) + 1
    first = np.empty(len(second), dtype=np.int64)
    first[family.rows] = np.repeat(np.arange(len(family.counts)), family.counts)
    # children grouped by (first parent, second parent): ``linked`` is in first parent
    # order already, so this stable sort only orders each family
    both = first[linked] * size + second[linked]
    order = np.argsort(both, kind="stable")
    ranked = both[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    codes, counts = ranked[starts], np.diff(starts, append=len(ranked))
    # and by second parent alone; in the smallest integer type, which numpy sorts by
    # radix (a few hundredths of a second for 6.5M children of 40 products, not 0.6 s)
    by_second = np.argsort(second[linked].astype(np.min_scalar_type(size)), kind="stable")
    second_counts = np.bincount(second[linked], minlength=size)
    second_starts = np.cumsum(second_counts) - second_counts
    wanted = second[dominant]
    has = wanted >= 0
    code = partner_parent * size + np.maximum(wanted, 0)
    matched, slot = _find(codes, code[has], len(family.counts), size)
    matched_rows = np.flatnonzero(has)[matched]
    other[matched_rows] = _draw(linked[order], starts, counts, slot, rng)
    elsewhere = has.copy()
    elsewhere[matched_rows] = False
    other[elsewhere] = _draw(
        linked[by_second], second_starts, second_counts, wanted[elsewhere], rng
    )


def _find(
    codes: np.ndarray, wanted: np.ndarray, parents: int, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``wanted`` are among the sorted, distinct ``codes`` (``parent * size +
    second``, ``parents`` parents), and the positions of those that are. Presence is
    read from a bitmap of one bit a code when it is no larger than the codes
    themselves: a binary search of every child took 1.5 s at 6.5M children (a cache
    miss a step), while most find no code (a partner order rarely holds the product:
    8% on the shop); each that does then steps through its parent's few codes."""
    if parents * size > 64 * len(codes):
        slot = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
        found = codes[slot] == wanted
        return found, slot[found]
    bits = np.zeros(parents * size // 8 + 1, dtype=np.uint8)
    np.bitwise_or.at(bits, codes >> 3, np.left_shift(np.uint8(1), (codes & 7).astype(np.uint8)))
    found = (bits[wanted >> 3] >> (wanted & 7).astype(np.uint8)) & 1 == 1
    sought = wanted[found]
    per_parent = np.bincount(codes // size, minlength=parents)
    slot = (np.cumsum(per_parent) - per_parent)[sought // size]
    left = np.flatnonzero(codes[slot] != sought)
    while left.size:
        slot[left] += 1
        left = left[codes[slot[left]] != sought[left]]
    return found, slot


def second_parents(links: Links, parents: list[Relationship]) -> np.ndarray | None:
    """Each real child's row in the table of its second relationship (-1: none)."""
    return links.position(parents[1]) if len(parents) > 1 else None
