r"""The mixup kernel and the pairing schemes: who mixes with whom, with what weight.

One synthetic row is

.. math:: \tilde x = \lambda x_i + (1 - \lambda) x_j = x_o + w (x_d - x_o),

with one weight :math:`\lambda` per row shared by every mixed column,
:math:`w = \max(\lambda, 1 - \lambda)`, :math:`d` the dominant donor and :math:`o`
the other one. mixsynth makes the *anchor* (drawn by the pairing scheme) the dominant
donor and the uniformly drawn *partner* the other: since the two rows of a pair are
exchangeable and independent of :math:`\lambda`, this is the same law as docs/theory.md's
(i, j) pair, and with balanced anchors every source row is the dominant donor equally
often. Copied columns (categories, booleans, strings) and missingness come from the
dominant donor, so with as many rows as the source they are reproduced exactly.

With four donors (``--donors 4``) each row's pair is mixed with weight 1/2 and adds
``c (x_3 - x_4)`` of two more distinct rows of its group (:func:`difference_term`).

The kernel is a pure function of arrays, indices and weights, so that a streaming or
partitioned engine can call it on chunks. Tables may be pandas DataFrames or pyarrow
Tables (:mod:`mixsynth.columns`): a generation has the type of its source.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from mixsynth.choices import Pairing
from mixsynth.engine.weights import FourDonorWeights, WeightDistribution

#: Rows per block in the kernel: small enough for a block and its buffer to stay in cache.
KERNEL_BLOCK_ROWS = 4096


def mixup_kernel(
    x: np.ndarray,
    dominant: np.ndarray,
    other: np.ndarray,
    w: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``x[other] + w * (x[dominant] - x[other])`` for every column of ``x`` (n x p).

    ``x`` and the result are row-major, so each gather fetches whole rows (a few cache
    lines) rather than p scattered values, and writes them in order. Rows are done in
    blocks: the dominant rows are gathered straight into the result, the other rows
    into one buffer that stays in cache, then three in-place passes; no full-size
    temporaries. ``out`` (row-major, rows x p) may be given. A column-major result
    would cost a transposing store per block: 2.4 ms against 1.0 ms at 10^4 x 20.
    """
    rows, n_cols = len(dominant), x.shape[1]
    if out is None:
        out = np.empty((rows, n_cols), dtype=np.float64)
    if n_cols == 1:
        # One column: its gathers already write in order, so whole-length passes beat
        # blocks (131,072 rows of 10^6: 1.6 ms against 2.2 ms).
        column, mixed = x[:, 0], out[:, 0]
        partner = column.take(other)
        np.take(column, dominant, out=mixed)
        mixed -= partner
        mixed *= w
        mixed += partner
        return out
    block = min(KERNEL_BLOCK_ROWS, max(rows, 1))
    buffer = np.empty((block, n_cols), dtype=np.float64)
    for start in range(0, rows, block):
        stop = min(start + block, rows)
        mixed, partner = out[start:stop], buffer[: stop - start]
        np.take(x, dominant[start:stop], axis=0, out=mixed)
        np.take(x, other[start:stop], axis=0, out=partner)
        mixed -= partner
        mixed *= w[start:stop, None]
        mixed += partner
    return out


def balanced_anchors(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """A tiling of 0..n-1: every row an anchor floor(size/n) times, the rest at random."""
    full, rest = divmod(size, n)
    tiles = np.tile(np.arange(n), full)
    return np.concatenate([tiles, rng.choice(n, rest, replace=False)]) if rest else tiles


def allocate_rows(sizes: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` rows over groups proportionally to ``sizes`` (largest remainder)."""
    quota = sizes * (total / sizes.sum())
    counts = np.floor(quota).astype(np.int64)
    short = total - counts.sum()
    if short:
        counts[np.argsort(-(quota - counts), kind="stable")[:short]] += 1
    return counts


@dataclass(frozen=True)
class Pairs:
    """Who mixes with whom for every output row; with four donors (``--donors 4``)
    also the two rows whose difference each row adds, times ``spread``."""

    dominant: np.ndarray
    other: np.ndarray
    w: np.ndarray  #: max(lam, 1 - lam) of each row
    group_codes: np.ndarray  #: group of each *source* row
    third: np.ndarray | None = None  #: the difference's first row (four donors)
    fourth: np.ndarray | None = None  #: its second row
    spread: np.ndarray | None = None  #: its weight c per row (0: a two-row row)

    def rows(self, rows: slice | np.ndarray) -> Pairs:
        """The pairs of a slice (or an index) of output rows."""
        if self.spread is None:
            return Pairs(self.dominant[rows], self.other[rows], self.w[rows], self.group_codes)
        assert self.third is not None and self.fourth is not None
        return Pairs(
            self.dominant[rows],
            self.other[rows],
            self.w[rows],
            self.group_codes,
            self.third[rows],
            self.fourth[rows],
            self.spread[rows],
        )


def draw_pairs(
    rng: np.random.Generator,
    codes: np.ndarray,
    rows: int,
    pairing: Pairing,
    weights_for_group,
) -> tuple[Pairs, WeightDistribution]:
    """Anchors, partners and weights inside each group, in shuffled output order."""
    sizes = np.bincount(codes)
    if len(sizes) == 1:  # no groups: draw straight in output order, no sort or shuffle
        n = len(codes)
        if pairing is Pairing.BALANCED:
            anchor = balanced_anchors(rng, n, rows)
            rng.shuffle(anchor)
        else:
            anchor = rng.integers(n, size=rows)
        partner = other_rows(rng, anchor, n)
        weights = weights_for_group(n, rows)
        w = _dominant_weight(weights.sample(rng, rows))
        pairs = Pairs(dominant=anchor, other=partner, w=w, group_codes=codes)
        if isinstance(weights, FourDonorWeights):
            third, fourth = difference_rows(rng, anchor, partner, n)
            spread = np.full(rows, weights.spread)
            pairs = dataclasses.replace(pairs, third=third, fourth=fourth, spread=spread)
        return pairs, weights
    order = np.argsort(codes, kind="stable")
    counts = allocate_rows(sizes, rows)
    solved: dict[tuple[int, int], WeightDistribution] = {}  # groups of one size share weights
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    anchors, partners, lams, differences = [], [], [], []
    largest = None
    for group in np.flatnonzero(counts):
        members = order[starts[group] : starts[group] + sizes[group]]
        n, size = sizes[group], counts[group]
        if pairing is Pairing.BALANCED:
            anchor = balanced_anchors(rng, n, size)
        else:
            anchor = rng.integers(n, size=size)
        partner = other_rows(rng, anchor, n)
        anchors.append(members[anchor])
        partners.append(members[partner])
        key = (int(n), int(size))
        if key not in solved:
            solved[key] = weights_for_group(*key)
        weights = solved[key]
        lams.append(weights.sample(rng, int(size)))
        if isinstance(weights, FourDonorWeights):
            third, fourth = difference_rows(rng, anchor, partner, n)
            differences.append((members[third], members[fourth], np.full(size, weights.spread)))
        else:  # a group too small for four donors: two-row rows (no difference)
            differences.append((members[anchor], members[anchor], np.zeros(size)))
        if largest is None or n > largest[0]:
            largest = (n, weights)
    shuffle = rng.permutation(rows)
    pairs = Pairs(
        dominant=np.concatenate(anchors)[shuffle],
        other=np.concatenate(partners)[shuffle],
        w=_dominant_weight(np.concatenate(lams)[shuffle]),
        group_codes=codes,
    )
    if any(spread.any() for *_, spread in differences):
        third, fourth, spread = (
            np.concatenate(parts)[shuffle] for parts in zip(*differences, strict=True)
        )
        pairs = dataclasses.replace(pairs, third=third, fourth=fourth, spread=spread)
    return pairs, largest[1]


def difference_rows(
    rng: np.random.Generator, anchor: np.ndarray, partner: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two more rows for each (anchor, partner), all four distinct: the third uniform
    over the n - 2 other rows, the fourth over the n - 3 left (n >= 4). Distinct rows
    drawn without replacement are what make the squared weights summing to 1 keep the
    variance exactly (docs/privacy.md)."""
    third = _skip(rng.integers(n - 2, size=len(anchor)), anchor, partner)
    fourth = _skip(rng.integers(n - 3, size=len(anchor)), anchor, partner, third)
    return third, fourth


def _skip(draw: np.ndarray, *taken: np.ndarray) -> np.ndarray:
    """Uniform draws over 0..n-1-k mapped onto 0..n-1 minus each row's k distinct
    ``taken`` rows: step past each taken row, in increasing order, at or below the draw."""
    for row in np.sort(np.stack(taken), axis=0):
        draw += draw >= row
    return draw


def other_rows(rng: np.random.Generator, anchor: np.ndarray, n: int) -> np.ndarray:
    """A partner for each anchor, uniform over the n - 1 other rows: a row never mixes
    with itself (that would copy it whatever the weight). A single row is its own
    partner (the caller warns that its rows are copies)."""
    if n < 2:
        return np.zeros_like(anchor)
    partner = rng.integers(n - 1, size=len(anchor))
    partner += partner >= anchor
    return partner


def _dominant_weight(lam: np.ndarray) -> np.ndarray:
    """max(lam, 1 - lam), in place as 1/2 + |lam - 1/2|."""
    lam -= 0.5
    np.abs(lam, out=lam)
    lam += 0.5
    return lam


@dataclass(frozen=True)
class ObservedRows:
    """The observed rows of a column with missing values, sorted by group: where
    :func:`replacement_partners` draws replacement partners from."""

    observed: np.ndarray  #: True where the column has a value
    sorted_rows: np.ndarray  #: observed row numbers, group by group
    counts: np.ndarray  #: observed rows per group
    starts: np.ndarray  #: where each group begins in ``sorted_rows``

    @classmethod
    def of(cls, x: np.ndarray, group_codes: np.ndarray, groups: int) -> ObservedRows:
        observed = ~np.isnan(x)
        rows = np.flatnonzero(observed)
        if len(x) < 2**31:  # half the memory, kept for a whole generation
            rows = rows.astype(np.int32)
        if groups == 1:  # already in order
            return cls(observed, rows, np.array([rows.size]), np.zeros(1, dtype=np.int64))
        codes = group_codes[rows]
        counts = np.bincount(codes)
        rows = rows[np.argsort(codes, kind="stable")]
        return cls(observed, rows, counts, np.cumsum(counts) - counts)


def replacement_partners(
    uniforms: np.ndarray, dominant: np.ndarray, group_codes: np.ndarray, rows: ObservedRows
) -> np.ndarray:
    """A replacement partner for each ``dominant`` donor whose drawn partner misses the
    column's value, one of ``uniforms`` each: uniform among the observed rows of its
    group other than itself (a draw among all but the group's last observed row that
    hits the donor takes that last row instead), so the observed values still follow
    the theory (missingness itself comes from the dominant donor)."""
    group = group_codes[dominant]
    others = np.maximum(rows.counts[group] - 1, 1)
    draw = rows.starts[group] + np.floor(uniforms * others).astype(np.int64)
    last = rows.starts[group] + rows.counts[group] - 1
    drawn = rows.sorted_rows[draw]
    return np.where(drawn == dominant, rows.sorted_rows[last], drawn)


def difference_term(
    rng: np.random.Generator, x: np.ndarray, pairs: Pairs, rows: ObservedRows | None
) -> np.ndarray:
    """Each row's ``spread * (x[third] - x[fourth])`` (four donors). Where either row is
    missing (or on a point mass), two distinct observed rows of the dominant donor's
    group are drawn instead (none if the group has fewer than two: no term)."""
    assert pairs.spread is not None and pairs.third is not None and pairs.fourth is not None
    term = x.take(pairs.third)
    term -= x.take(pairs.fourth)
    if rows is not None:
        # Only where the dominant donor is observed: elsewhere the row stays missing.
        need = np.flatnonzero(np.isnan(term) & (pairs.spread > 0) & rows.observed[pairs.dominant])
        if need.size:
            group = pairs.group_codes[pairs.dominant[need]]
            count, start = rows.counts[group], rows.starts[group]
            first = np.floor(rng.random(need.size) * count).astype(np.int64)
            second = np.floor(rng.random(need.size) * np.maximum(count - 1, 0)).astype(np.int64)
            second += second >= first
            enough = count >= 2
            start, first, second = start[enough], first[enough], second[enough]
            term[need] = 0.0
            term[need[enough]] = (
                x[rows.sorted_rows[start + first]] - x[rows.sorted_rows[start + second]]
            )
    term *= pairs.spread
    return term


def block_cycle(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """For each row, the next row of its block (``labels``), the block's rows in a random
    cycle (a block of one row: the row itself). Taking the next row's values permutes
    them within each block, so every block keeps its values' counts."""
    order = np.lexsort((rng.random(len(labels)), labels))
    ranked = labels[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    ends = np.r_[starts[1:], len(order)]
    following = np.arange(1, len(order) + 1)
    following[ends - 1] = starts  # the last row of a block takes from its first
    nxt = np.empty(len(labels), dtype=np.int64)
    nxt[order] = order[following]
    return nxt
