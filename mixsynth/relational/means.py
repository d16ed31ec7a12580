r"""Children's means per second parent, matched to their source's in each generation
(docs/multi-table.md, "Over generations: bias and random walk").

A child's partner shares its second parent, so each second parent's children are mixed
among themselves and rounded each generation, and their mean walks: a relation of the
second parent with its children's mean walks with it. Each synthetic second parent's
children are shifted, column by column, so that their mean is the source's mean of the
children of the row it was made from (its dominant donor), as a parent table's moments
are matched: one shift per group, the spread within it kept. A column kept on a grid
(whole numbers, decimals) moves whole steps of its grid on rows drawn at random, as
many as the shift asks (rounded stochastically); no value leaves the input's range
(the rows at a bound do not move, the others take their share); rows on the column's
point mass do not move; a row whose shift would break a rule the table keeps is put
back as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mixsynth.rules.data import RuleData

if TYPE_CHECKING:
    import pandas as pd

    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.engine.reference import Reference

#: Rounds of placing the steps that rows at a bound could not take.
ROUNDS = 50


def group_means(values: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """The mean of ``values`` (NaN left out) of each group ``0 .. size - 1`` (NaN for
    a group without values); rows of group -1 belong to none."""
    keep = (groups >= 0) & ~np.isnan(values)
    counts = np.bincount(groups[keep], minlength=size)
    sums = np.bincount(groups[keep], weights=values[keep], minlength=size)
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
    """Shift ``frame``'s ``columns`` (in place) so that the rows of each group (``groups``:
    each row's synthetic second parent, -1 for none) have the mean of the ``source``
    rows of that group's real row (``target_rows[group]``; ``source_groups``: each
    source row's real second parent, -1 for none)."""
    import pandas as pd

    columns = [
        c
        for c in columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    if len(frame) == 0 or not columns:
        return
    before = frame[columns].copy()
    size = int(max(source_groups.max(initial=-1), dominant.max(initial=-1))) + 1
    for name in columns:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan, copy=True
        )
        real = pd.to_numeric(source[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        wanted = _wanted(group_means(real, source_groups, size), dominant, *parent_columns)
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
    _put_back_broken(frame, before, reference)


def _wanted(
    means: np.ndarray, dominant: np.ndarray, source: np.ndarray, made: np.ndarray
) -> np.ndarray:
    """Each synthetic parent's children's mean: its dominant donor's children's mean,
    moved by the least-squares slope of the source's children's means on the parent's
    numeric columns times the parent's own move from its donor (``source``, ``made``:
    those columns of the source's and the synthetic parents)."""
    wanted = means[dominant]
    known = ~np.isnan(means)
    if source.shape[1] == 0 or known.sum() <= source.shape[1] + 1:
        return wanted
    design = np.column_stack([np.ones(int(known.sum())), source[known]])
    slope = np.linalg.lstsq(design, means[known], rcond=None)[0][1:]
    return wanted + (made - source[dominant]) @ slope


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
    kept there and the rest taking their share, in a few rounds."""
    for _ in range(ROUNDS):
        need = _missing(values, groups, wanted, counts)
        up = need[np.maximum(groups, 0)] > 0
        free = movable & np.where(up, values < high, values > low)
        room = np.bincount(groups[free], minlength=len(wanted))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(room > 0, need / room, 0.0)
        if not np.abs(share[groups[free]]).max(initial=0.0) > 1e-12:
            return
        values[free] = np.clip(values[free] + share[groups[free]], low, high)


def _steps(values, groups, movable, wanted, counts, low, high, step, rng) -> None:
    """A column on a grid of ``step``: each group's missing total, rounded
    stochastically to whole steps, placed one step a row at a time on rows drawn at
    random among those with room."""
    need = _missing(values, groups, wanted, counts) / step
    steps = np.floor(need + rng.random(len(need))).astype(np.int64)
    for _ in range(ROUNDS):
        if not steps.any():
            return
        up = steps[np.maximum(groups, 0)] > 0
        free = movable & np.where(up, values + step <= high + 1e-9, values - step >= low - 1e-9)
        rows = np.flatnonzero(free & (steps[np.maximum(groups, 0)] != 0))
        if len(rows) == 0:
            return
        order = rows[np.lexsort((rng.random(len(rows)), groups[rows]))]
        ranked = groups[order]
        first = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        place = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
        chosen = order[place < np.abs(steps[ranked])]
        sign = np.sign(steps[groups[chosen]])
        values[chosen] = np.round((values[chosen] + sign * step) / step) * step
        steps -= np.bincount(groups[chosen], weights=sign, minlength=len(steps)).astype(np.int64)


def _put_back_broken(frame: pd.DataFrame, before: pd.DataFrame, reference: Reference) -> None:
    """Rows where a rule held before the shift and not after get their values back."""
    rules = [r for r in reference.rules if set(r.columns) & set(before.columns)]
    if not rules:
        return
    old, new = RuleData(frame.assign(**before)), RuleData(frame)
    broken = np.zeros(len(frame), dtype=bool)
    for rule in rules:
        broken |= old.holds(rule) & ~new.holds(rule)
    if broken.any():
        frame.loc[broken, list(before.columns)] = before[broken]
