r"""Margin weights that pin each generation's variances (``privacy_margin``).

Margin weights keep every variance in expectation, but each generation's sample
variance is a noisy step, and over generations the steps add up to a random walk that
one run on a small table feels (docs/theory.md, "A margin's wider walk"). With the
dominant weight w = 1 + v, a row is :math:`\tilde x = x_d + v\,(x_d - x_o)`, and on the
four-point weights v is :math:`-D` (the inner arm, probability q) or :math:`+D` (the
outer arm). Its square adds :math:`2 v\, z_d (z_d - z_o)` to a column's sum of squares
(z centred): with n rows and the arms drawn independently, a step of standard
deviation about :math:`2\,\mathrm{sd}(v)\sqrt{E[z_d^2 (z_d - z_o)^2]/n}` on the
variance ratio, :math:`\mathrm{sd}(v) = D\sqrt{1 - D^2}`: 0.12 for D = 0.3 on 89 normal
rows, more than twice the default weights' step (both tested).

The arms need not be independent. Which rows take the outer arm is chosen as a
*balanced design*: the arms as drawn, then exchanged, an inner row with an outer row
at a time (so as many rows take each arm as were drawn), each exchange the one that
brings the sample variances (ddof=1) of the mixed columns closest to their source's
(sum of squared relative errors), until each is within :data:`PIN_TOLERANCE` of it
or no exchange helps. Then the nearest point reached is kept: the arms alone cannot
always reach every target (pairs drawn far apart in one column and near in another:
on 150 rows x 4 correlated normal columns, 89.5% of 400 generations end within 0.1%
of every target, 97% within 1%, the worst 24% away in one column), and the next
generation pins from there. Every row keeps
a weight of its arm, so its distance from both donors (at least D times their gap)
and everything else about the weights (their values, the share of each arm, kappa)
stay as they were; only which rows step outwards is no longer independent of the
rows' values.

The default weights have a step of their own where one row holds much of a column's
variance (a debt ratio of 3.0 among values under 1.2: 42% of the column's sum of
squares on a 70% split of AER's HMDA). That row is the dominant donor of one synthetic
row, with weight w, and its square enters the output's as w^2 times its own: one draw
of w decides the variance ratio (w = 0.59 gave 0.70, w = 1.05 gave 1.05; over 30
seeds a standard deviation of 0.087, now 0.016). Such rows (:data:`LEVERAGE_SHARE` of a mixed
column's sum of squares or more) take w = sqrt(E[w^2]) instead of a draw
(:func:`leveraged_pairs`): their expected share is the same, without the draw's
spread, and every other row keeps its draw. A fixed w leaves the row's partner the
weight (1 - w)^2 instead of E[(1 - w)^2], 2 (w - kappa) less, which took 2 (w - kappa)/(n - 1)
of every column's variance per such row and generation (wine, 20 of 125 rows: 0.0027 a
generation, 0.970 after 10); the row gets it back as four donors do, with
``t (x_3 - x_4)`` of two more distinct rows, t^2 = w - kappa (docs/theory.md).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mixsynth.engine.kernel import Pairs, difference_rows
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import AnyWeights, MarginWeights, WeightDistribution

#: Rows whose arm may be exchanged (the first in output order, which is random): each
#: exchange moves a column's sum of squares by about one row's square, so a few
#: thousand rows reach the target of any table pinned (PIN_MAX_ROWS), and each
#: exchange costs the same on larger ones.
PIN_ROWS = 1 << 12
#: Each column's sample variance is pinned to within this share of its source's: 10
#: generations then stay within about 1% (sqrt(10) x 0.001 as a walk, 0.01 at worst).
PIN_TOLERANCE = 1e-3
#: Groups (or tables) of more output rows keep their arms as drawn: one generation's
#: step of the variance ratio has then a standard deviation under 2D sqrt(4/n) = 0.007
#: at margin 0.3 (normal columns), 0.02 over 10 generations, and the search would
#: cost more than the mixing (0.7 s on 20,000 x 20 on a busy machine).
PIN_MAX_ROWS = 1 << 15
#: Exchanges tried at most, per generation (or pairing group).
PIN_EXCHANGES = 2000
#: Inner rows tried first in an exchange once the greedy one no longer helps.
PIN_CANDIDATES = 32
#: Pairing groups (``by``) of fewer source rows keep their arms as drawn (their
#: variance kept in expectation only): a group's search costs about a millisecond, and
#: such groups can be thousands.
PIN_MIN_ROWS = 30


#: A row holding this share of a mixed column's sum of squares (about its mean) or more
#: takes the root mean square weight: its draw alone moves that column's variance ratio
#: by up to about this share (w^2 from 0.25 to 1.1 with the default weights). Normal
#: values reach it only on small tables (the largest of 100 holds 6-9%).
LEVERAGE_SHARE = 0.05


def leveraged_pairs(
    rng: np.random.Generator, sources: list[np.ndarray], pairs: Pairs, weights: AnyWeights
) -> Pairs:
    """``pairs`` with w = sqrt(E[w^2]) for the rows whose dominant donor holds
    :data:`LEVERAGE_SHARE` of a mixed column's sum of squares (the generalized method's
    expanded Beta weights, one pairing group, four rows or more), each such row with the
    difference of two more rows that gives its partner's lost term back; the same pairs
    when no row does. Vanilla weights stay plain mixup: every row between its donors."""
    rows_in = len(sources[0])
    if not isinstance(weights, WeightDistribution) or weights.is_vanilla:
        return pairs
    if pairs.spread is not None or rows_in < 4:
        return pairs
    heavy = np.zeros(rows_in, dtype=bool)  # one flag per source row
    for values in sources:
        present = values[~np.isnan(values)] if np.isnan(values).any() else values
        if present.size < 2:
            continue
        # The sum of squares without a centred copy (0.14 -> 0.02 s on 1M x 20): the
        # mask is made only where the farthest value could reach the share.
        mean = float(present.mean())
        total = float(present @ present) - present.size * mean * mean
        if total <= 1e-8 * present.size * mean * mean:  # cancellation: measured centred
            centred = present - mean
            total = float(centred @ centred)
        peak = max(float(present.max()) - mean, mean - float(present.min()))
        if total > 0 and peak * peak >= LEVERAGE_SHARE * total:
            heavy |= np.nan_to_num((values - mean) ** 2) >= LEVERAGE_SHARE * total
    rows = np.flatnonzero(heavy[pairs.dominant])
    if not rows.size:
        return pairs
    root = np.sqrt(weights.dominant_square())
    w = pairs.w.copy()
    w[rows] = root
    # Elsewhere the difference is the dominant donor minus itself: no term.
    third, fourth = pairs.dominant.copy(), pairs.dominant.copy()
    third[rows], fourth[rows] = difference_rows(
        rng.spawn(1)[0], pairs.dominant[rows], pairs.other[rows], rows_in
    )
    spread = np.zeros(len(w))
    spread[rows] = np.sqrt(max(root - weights.kappa(), 0.0))
    return dataclasses.replace(pairs, w=w, third=third, fourth=fourth, spread=spread)


def pins_variances(options: SynthesisOptions, weights: AnyWeights) -> bool:
    """A margin's arms are pinned unless matching pins more (moments, shapes)."""
    return (
        bool(options.privacy_margin)
        and isinstance(weights, MarginWeights)
        and not (options.match_moments or options.matches_shapes)
    )


def pinned_weights(sources: list[np.ndarray], pairs: Pairs, others: list[np.ndarray]) -> np.ndarray:
    """``pairs.w`` with the arms chosen by :func:`pinned_arms` within each pairing group
    of at least :data:`PIN_MIN_ROWS` source rows (an output row's group is its dominant
    donor's), each group's variances pinned to its own source rows'. ``others``: each
    column's other donors (a replacement partner where the drawn one misses its value)."""
    codes = pairs.group_codes
    sizes = np.bincount(codes)
    if len(sizes) == 1:
        if sizes[0] < PIN_MIN_ROWS:
            return pairs.w
        return pinned_arms(sources, pairs.dominant, pairs.other, pairs.w, others=others)
    w = pairs.w.copy()
    output = codes[pairs.dominant]
    made = np.bincount(output, minlength=len(sizes))
    members = np.split(np.argsort(codes, kind="stable"), np.cumsum(sizes)[:-1])
    rows = np.split(np.argsort(output, kind="stable"), np.cumsum(made)[:-1])
    for group in np.flatnonzero(sizes >= PIN_MIN_ROWS):
        these = rows[group]
        w[these] = pinned_arms(
            sources,
            pairs.dominant[these],
            pairs.other[these],
            w[these],
            members[group],
            others=[other[these] for other in others],
        )
    return w


def pinned_arms(
    sources: list[np.ndarray],
    dominant: np.ndarray,
    other: np.ndarray,
    w: np.ndarray,
    members: np.ndarray | None = None,
    others: list[np.ndarray] | None = None,
) -> np.ndarray:
    """The dominant weights ``w`` with the arms of some inner and outer rows exchanged
    (a row's w goes to its mirror 2 - w about 1), so that each column of ``sources``
    (float64, NaN where a value is missing or held out), mixed as
    ``x_other + w (x_dominant - x_other)``, has the sample variance of its observed
    source values (of the source rows ``members``, all by default: a pairing group's).
    Rows with a missing donor do not count for that column; columns with fewer than 3
    such rows or no spread are left out. ``others``: each column's other donors where
    they differ from ``other`` (replacement partners drawn before the pin, so that it
    sees those rows too).

    Mirroring w about 1 keeps a four-point weight on the lattice {1 - D, 1 + D}; a
    smooth arm's w lands on the other arm's mirror image of it (outer weights past 3/2,
    whose mirror would fall inside the margin, are not mirrored).
    """
    moved = min(len(w), PIN_ROWS)
    if len(w) > PIN_MAX_ROWS:
        return w
    columns = [
        c
        for c in (
            _Column.of(s, dominant, o, w, moved, members)
            for s, o in zip(sources, others or [other] * len(sources), strict=True)
        )
        if c is not None
    ]
    if not columns or moved == 0:
        return w
    value = np.column_stack([c.value for c in columns])  # the moved rows' mixed values
    change = np.column_stack([c.change for c in columns])  # what mirroring w adds to them
    counts = np.array([c.count for c in columns], dtype=float)
    total = np.array([c.total for c in columns])
    squares = np.array([c.squares for c in columns])
    outer = w[:moved] > 1
    # A smooth outer arm's w past 3/2 would mirror below 1/2, into the margin: it stays.
    # So does a row whose partner is missing (or on a point mass) in some column with
    # no replacement partner given (``others``): the search cannot see what the row's
    # mirror does there, and, free to mirror it as the other half of an exchange, it
    # shifted such rows towards the inner arm whenever it needed more variance
    # elsewhere (penguins at margin 0.3: 0.9905 after 10 generations). The engine gives
    # the partners (drawn before the pin), so it sees every row. A row whose dominant
    # donor is missing stays missing (or on the mass): free.
    frozen = (w[:moved] > 1.5) | np.logical_or.reduce([c.replaced for c in columns])
    mirrored = np.zeros(moved, dtype=bool)

    def residual(total: np.ndarray, squares: np.ndarray) -> np.ndarray:
        """Each column's sample variance over its target (1, standardised) minus 1."""
        return (squares - total * total / counts) / (counts - 1) - 1

    # Mirroring row r adds gain_r to the squares and change_r to the total, so the
    # residual by  fixed_r - pull_r * total:  two arrays, updated only where rows flip.
    gain = (2 * value + change) * change
    fixed_part = (gain - change * change / counts) / (counts - 1)
    pull = 2 * change / (counts * (counts - 1))

    def scores(total: np.ndarray, now: np.ndarray, side: np.ndarray) -> np.ndarray:
        """Each row's sum of squared residuals once mirrored (inf off ``side``)."""
        after = np.square(now + fixed_part - pull * total).sum(axis=1)
        after[~side | frozen] = np.inf
        return after

    def exchange(firsts: int) -> tuple[float, list[int], tuple]:
        """The best exchange found from the ``firsts`` best inner rows to mirror alone,
        each with the outer row that then helps most: its score, rows and sums."""
        now = residual(total, squares)
        alone = scores(total, now, ~outer)
        best: tuple[float, list[int], tuple] = (np.inf, [], ())
        for first in np.argsort(alone)[:firsts]:
            if not np.isfinite(alone[first]):
                break
            state = (total + change[first], squares + gain[first])
            then = scores(state[0], residual(*state), outer)
            second = int(np.argmin(then))
            if then[second] < best[0]:
                pair = (state[0] + change[second], state[1] + gain[second])
                best = (float(then[second]), [int(first), second], pair)
        return best

    for _ in range(PIN_EXCHANGES):
        now = residual(total, squares)
        if np.abs(now).max() <= PIN_TOLERANCE:
            break
        # The plain greedy exchange first; when it no longer helps, a wider search.
        found, rows, state = exchange(1)
        if found >= now @ now:
            found, rows, state = exchange(PIN_CANDIDATES)
        if found >= now @ now:  # no exchange helps
            break
        total, squares = state
        for row in rows:  # mirrored: the row's value moves, and its next mirror undoes it
            value[row] += change[row]
            change[row] = -change[row]
            gain[row] = -gain[row]
            fixed_part[row] = (gain[row] - change[row] ** 2 / counts) / (counts - 1)
            pull[row] = -pull[row]
        outer[rows] = ~outer[rows]
        mirrored[rows] = ~mirrored[rows]
    w = w.copy()
    w[:moved][mirrored] = 2 - w[:moved][mirrored]
    return w


class _Column:
    """One column's part of the design, standardised by its source's mean and
    deviation: the moved rows' mixed values and what mirroring each row's weight
    adds to them (0 where the column does not count), and the sums over all rows."""

    value: np.ndarray
    change: np.ndarray
    replaced: np.ndarray  #: the moved rows whose partner is replaced here (missing)
    total: float
    squares: float
    count: int

    @classmethod
    def of(
        cls,
        source: np.ndarray,
        dominant: np.ndarray,
        other: np.ndarray,
        w: np.ndarray,
        moved: int,
        members: np.ndarray | None,
    ) -> _Column | None:
        observed = source if members is None else source[members]
        observed = observed[np.isfinite(observed)]
        if observed.size < 3 or not np.ptp(observed) > 0:
            return None
        mean, deviation = observed.mean(), observed.std(ddof=1)
        near, mixed = source.take(dominant), source.take(other)
        replaced = ~np.isnan(near) & np.isnan(mixed)
        gap = near - mixed
        mixed += w * gap  # the row as drawn
        counted = np.isfinite(mixed)
        count = int(counted.sum())
        if count < 3:
            return None
        mixed -= mean
        mixed /= deviation
        mixed[~counted] = 0.0
        column = cls()
        column.count = count
        column.total, column.squares = float(mixed.sum()), float(mixed @ mixed)
        column.value = mixed[:moved]
        # Mirroring w about 1 turns v = w - 1 into -v: the value moves by -2 v gap.
        change = -2 * (w[:moved] - 1) * gap[:moved] / deviation
        column.change = np.where(counted[:moved], change, 0.0)
        column.replaced = replaced[:moved]
        return column
