r"""Children's means per second parent, matched with the parent's columns in each
generation (docs/multi-table.md, "The method" and "Over generations").

A child's partner shares its second parent, and the second parent is mixed with its
neighbours, so each second parent's children's mean walked over generations, and
with it the relation of the parent's columns with that mean. Each synthetic second
parent gets wanted means (:func:`_wanted`): its dominant donor's children's means,
moved with the parent by the source's least-squares slope, then given, with the
parent's columns, the source's mean vector and covariance (:func:`joint_moments`).
Its children are shifted to them, one shift per group and column, the spread within
it kept. A column on a grid (whole numbers, decimals) moves whole steps, the last
ones on the rows where they leave the spread as it was; no value leaves the input's
range (rows at a bound do not move, the others take their share); rows on the
column's point mass do not move; a row whose shift would break a rule the table
keeps is put back as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mixsynth.engine.moments import square_roots
from mixsynth.rules.data import RuleData

if TYPE_CHECKING:
    import pandas as pd

    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.engine.reference import Reference

#: The most values a parent's copied column may have to be matched with (as 0/1 columns).
MAX_LEVELS = 10
#: Rounds of placing the steps that rows at a bound could not take.
ROUNDS = 50


def parent_figures(
    source: pd.DataFrame, made: pd.DataFrame, numeric: list[str], copied: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The columns the children's means are matched with, of the source's and the
    synthetic parents: the numeric ones (missing at the source's mean), and a 0/1
    column for each value but the first of each copied column of at most
    :data:`MAX_LEVELS` values in the source (so that the children's means keep their
    association with the parent's categories, which its numeric columns may leave)."""
    import pandas as pd

    def numbers(frame: pd.DataFrame) -> np.ndarray:
        return (
            frame[numeric]
            .apply(pd.to_numeric, errors="coerce")
            .to_numpy(dtype=float, na_value=np.nan)
        )

    blocks = [numbers(source), numbers(made)]
    middle = np.nanmean(blocks[0], axis=0) if numeric else np.zeros(0)
    blocks = [np.where(np.isnan(b), middle, b) for b in blocks]
    for column in copied:
        levels = np.unique(source[column].astype(str).to_numpy(dtype=object))
        if 1 < len(levels) <= MAX_LEVELS:
            for k, frame in enumerate((source, made)):
                values = frame[column].astype(str).to_numpy(dtype=object)
                codes = values[:, None] == levels[None, 1:]
                blocks[k] = np.column_stack([blocks[k], codes.astype(float)])
    return blocks[0], blocks[1]


def group_means(values: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """The mean of ``values`` (NaN left out) of each group ``0 .. size - 1`` (NaN for
    a group without values); rows of group -1 belong to none."""
    keep = (groups >= 0) & ~np.isnan(values)
    bins = np.where(keep, groups, size)  # rows left out counted in one more bin, not copied out
    counts = np.bincount(bins, minlength=size + 1)[:size]
    sums = np.bincount(bins, weights=np.where(keep, values, 0.0), minlength=size + 1)[:size]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def match_children_means(
    frame: pd.DataFrame,
    source: pd.DataFrame,
    columns: list[str],
    groups: np.ndarray,
    dominant: np.ndarray,
    parent_columns: tuple[np.ndarray, np.ndarray],
    source_groups: np.ndarray,
    reference: Reference,
    options: SynthesisOptions,
    rng: np.random.Generator,
) -> None:
    """Shift ``frame``'s ``columns`` (in place) so that the rows of each group
    (``groups``: each row's synthetic second parent, -1 for none) have that parent's
    wanted means (:func:`_wanted`), from the ``source`` rows' means per real second
    parent (``source_groups``, -1 for none), each synthetic parent's ``dominant`` donor
    and the parents' columns (``parent_columns``: the source's and the synthetic ones,
    :func:`parent_figures`)."""
    import pandas as pd

    columns = [
        c
        for c in columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    if len(frame) == 0 or not columns:
        return
    rules = [r for r in reference.rules if set(r.columns) & set(columns)]
    before = frame[columns].copy() if rules else None
    size = int(max(source_groups.max(initial=-1), dominant.max(initial=-1))) + 1
    means = np.column_stack(
        [
            group_means(
                pd.to_numeric(source[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
                source_groups,
                size,
            )
            for c in columns
        ]
    )
    targets = _wanted(means, dominant, *parent_columns)
    for k, name in enumerate(columns):
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan, copy=True
        )
        wanted = targets[:, k]
        column = reference.semantics.columns[str(name)]
        low, high = reference.ranges.get(name, (-np.inf, np.inf))
        movable = (groups >= 0) & ~np.isnan(values)
        if column.point_mass is not None:
            movable &= values != column.point_mass
        spec = next(s for s in reference.schema if s.name == name)
        step = None
        if spec.kind.is_integral:
            step = 1.0
        elif column.decimals is not None and options.round_decimals:
            step = 10.0**-column.decimals
        have = np.where(groups >= 0, groups, 0)
        counts = np.bincount(have[~np.isnan(values) & (groups >= 0)], minlength=len(wanted))
        if step is None:
            _shift(values, groups, movable, wanted, counts, low, high)
        else:
            _steps(values, groups, movable, wanted, counts, low, high, step, rng)
        frame[name] = pd.Series(values, index=frame.index).astype(frame[name].dtype)
    if before is not None:
        _put_back_broken(frame, before, rules)


def _wanted(
    means: np.ndarray, dominant: np.ndarray, source: np.ndarray, made: np.ndarray
) -> np.ndarray:
    """Each synthetic parent's children's means (one column per child column): its
    dominant donor's children's means, moved by the least-squares slope of the source's
    children's means on the parent's numeric columns times the parent's own move from
    its donor (``source``, ``made``: those columns of the source's and the synthetic
    parents); then, with :func:`joint_moments`, their mean vector, covariance and
    covariance with the parent's columns made the source's."""
    wanted = means[dominant]
    known = ~np.isnan(means).any(axis=1)
    p = source.shape[1]
    if known.sum() <= p + means.shape[1] + 1:
        return wanted
    if p:
        design = np.column_stack([np.ones(int(known.sum())), source[known]])
        slope = np.linalg.lstsq(design, means[known], rcond=None)[0][1:]
        wanted = wanted + (made - source[dominant]) @ slope
    made_known = ~np.isnan(wanted).any(axis=1)
    if made_known.sum() > p + means.shape[1] + 1:
        wanted[made_known] = joint_moments(
            np.column_stack([source[known], means[known]]), made[made_known], wanted[made_known]
        )
    return wanted


def joint_moments(source: np.ndarray, own: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` moved by an affine map of ``own`` and themselves so that ``[own,
    values]`` have the mean vector and covariance of ``source`` (its first columns the
    own ones) as far as ``own``'s already match: the part of ``values`` that ``own``
    explains is the source's regression, the rest is recoloured to the source's
    residual covariance."""
    p = own.shape[1]
    mean = source.mean(axis=0)
    cov = np.cov(source, rowvar=False).reshape(source.shape[1], source.shape[1])
    if p:
        slope = np.linalg.lstsq(cov[:p, :p], cov[:p, p:], rcond=None)[0]
        residual_cov = cov[p:, p:] - cov[p:, :p] @ slope
        mine = np.column_stack([np.ones(len(own)), own - own.mean(axis=0)])
        residual = values - mine @ np.linalg.lstsq(mine, values, rcond=None)[0]
        explained = mean[p:] + (own - own.mean(axis=0)) @ slope
    else:
        residual_cov = cov
        residual = values - values.mean(axis=0)
        explained = np.broadcast_to(mean, values.shape)
    mine_cov = np.atleast_2d(np.cov(residual, rowvar=False))
    _, whiten = square_roots(mine_cov)
    colour, _ = square_roots(np.atleast_2d(residual_cov))
    return explained + residual @ whiten @ colour


def _missing(values, groups, wanted, counts) -> np.ndarray:
    """What each group's values lack in total to have the wanted mean."""
    sums = np.bincount(
        np.where(groups >= 0, groups, 0),
        weights=np.where((groups >= 0) & ~np.isnan(values), values, 0.0),
        minlength=len(wanted),
    )
    return np.nan_to_num(wanted * counts - sums)


def _shift(values, groups, movable, wanted, counts, low, high) -> None:
    """A continuous column: each group's movable rows shifted alike, rows at a bound
    kept there and the rest taking their share, in rounds until no row meets a bound."""
    for _ in range(ROUNDS):
        need = _missing(values, groups, wanted, counts)
        up = need[np.maximum(groups, 0)] > 0
        free = movable & np.where(up, values < high, values > low)
        room = np.bincount(groups[free], minlength=len(wanted))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(room > 0, need / room, 0.0)
        moved = values[free] + share[groups[free]]
        beyond = (moved < low) | (moved > high)
        values[free] = np.clip(moved, low, high)
        if not beyond.any():
            return


def _steps(values, groups, movable, wanted, counts, low, high, step, rng) -> None:
    """A column on a grid of ``step``: every movable row of a group shifted by the
    whole steps nearest its share; then what each group's total still lacks, rounded
    stochastically to whole steps, placed one step a row at a time on rows with room,
    those nearest half a step below the group's mean first for a step up (above it
    for a step down), so that the steps leave the spread as it was (a step up on a
    row at x moves the sum of squares about the mean m by 2(x - m) + step; rows drawn
    at random add step² a step: the shop's quantities' variance +9% after 10
    generations, measured)."""
    have = np.bincount(groups[movable], minlength=len(wanted))
    with np.errstate(invalid="ignore", divide="ignore"):
        whole = np.where(
            have > 0, np.round(_missing(values, groups, wanted, counts) / step / have), 0
        )
    values[movable] = np.clip(values[movable] + whole[groups[movable]] * step, low, high)
    need = _missing(values, groups, wanted, counts) / step
    steps = np.floor(need + rng.random(len(need))).astype(np.int64)
    for _ in range(ROUNDS):
        if not steps.any():
            return
        sign_of = np.sign(steps[np.maximum(groups, 0)])
        free = movable & np.where(
            sign_of > 0, values + step <= high + 1e-9, values - step >= low - 1e-9
        )
        rows = np.flatnonzero(free & (sign_of != 0))
        if len(rows) == 0:
            return
        mean = group_means(values, groups, len(wanted))[groups[rows]]
        gap = np.abs(values[rows] - (mean - sign_of[rows] * step / 2)) / step
        gap += rng.random(len(rows)) * 1e-6  # ties at random
        chosen = rows[_nearest(groups[rows], gap, np.abs(steps))]
        sign = np.sign(steps[groups[chosen]])
        values[chosen] = np.round((values[chosen] + sign * step) / step) * step
        steps -= np.bincount(groups[chosen], weights=sign, minlength=len(steps)).astype(np.int64)


#: Bins of the gap a group's rows are counted in before the nearest are picked.
GAP_BINS = 256
#: Rows left undecided that :func:`_nearest` sorts instead of counting in bins again.
SORTED_ROWS = 65_536


def _nearest(groups: np.ndarray, gap: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of the ``wanted[g]`` rows of smallest ``gap`` in each group ``g``.
    The rows are counted per group in bins of the gap (each group's bins spanning its
    rows' gaps): those in bins below the bin where the group's wanted count is reached
    are taken, those above left, and the rows of that bin counted again in bins of their
    own range, until few enough are left to sort. A sort of every row took a second per
    1.6M children (the shop's items), most of the matching's time; a single round of
    bins 2.4 s at 16M items, whose quantities' gaps are a few values apart (with a
    jitter of a millionth) and fell almost all in one bin."""
    size = len(wanted)
    need = wanted.astype(np.int64, copy=True)
    rows = None  # every row, without an index of them
    taken = []
    while len(gap if rows is None else rows) > SORTED_ROWS:
        group, value = (groups, gap) if rows is None else (groups[rows], gap[rows])
        bins = int(min(GAP_BINS, max(1, len(value) // max(size, 1))))
        if bins == 1:
            break
        low, high = np.full(size, np.inf), np.full(size, -np.inf)
        np.minimum.at(low, group, value)
        np.maximum.at(high, group, value)
        with np.errstate(invalid="ignore", divide="ignore"):  # a group of one value: bin 0
            scale = np.where(high > low, bins / (high - low), 0.0)
        binned = np.minimum(((value - low[group]) * scale[group]).astype(np.int64), bins - 1)
        counts = np.bincount(group * bins + binned, minlength=size * bins).reshape(size, bins)
        filled = np.cumsum(counts, axis=1)
        last = np.where(
            filled[:, -1] >= need, np.argmax(filled >= need[:, None], axis=1), bins - 1
        )  # the bin in which each group's wanted count is reached
        before = np.where(last > 0, filled[np.arange(size), np.maximum(last - 1, 0)], 0)
        cut = last[group]
        inside, edge = binned < cut, binned == cut
        taken.append(np.flatnonzero(inside) if rows is None else rows[inside])
        need = need - before
        edge &= need[group] > 0
        if not inside.any() and edge.all():  # no row decided: sort them
            break
        rows = np.flatnonzero(edge) if rows is None else rows[edge]
    if rows is None:
        rows = np.arange(len(gap))
    order = rows[np.lexsort((gap[rows], groups[rows]))]
    ranked = groups[order]
    first = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    place = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
    return np.concatenate([*taken, order[place < need[ranked]]])


def _put_back_broken(frame: pd.DataFrame, before: pd.DataFrame, rules: list) -> None:
    """Rows where one of ``rules`` held before the shift and not after get their values
    back."""
    old, new = RuleData(frame.assign(**before)), RuleData(frame)
    broken = np.zeros(len(frame), dtype=bool)
    for rule in rules:
        broken |= old.holds(rule) & ~new.holds(rule)
    if broken.any():
        frame.loc[broken, list(before.columns)] = before[broken]
