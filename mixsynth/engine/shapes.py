"""Shape matching (``--match-shapes``): each mixed column, after mixing, takes the
values of the table it was made from, in the order mixup ranked its rows.

Mixup keeps the first two moments, not the shape: every generation convolves a column
with its own spread (docs/theory.md, "Beyond two moments": the fourth moment grows by E[u²](2μ4 + 6σ⁴)),
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

``shapes_between`` (what the privacy target's trials use) maps onto values between
the source's instead (:func:`quantiles_between`): the same shape up to the
interpolation, and no value a real one, so that a rare value cannot single out its row.

The ranks, hence the rank correlations between columns, are those mixup made; Pearson
correlations move a little, which ``--match-moments`` then corrects (the engine
alternates the two). The map is done within the groups rows are paired in (``--by``
and the categories of ``--keep-associations``), so that each group's conditional
distribution keeps its shape. Missing values and a point mass (held out as NaN) stay
as they are; only observed mixed values are mapped, onto the source's observed values
of the same group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: A column a copy must match too, never swapped: given rows of the output (the ones
#: still equal to their donors in every column before it) and their donor rows, where
#: the row's value is the donor's (:class:`~mixsynth.engine.copies.CopyCheck`).
Comparison = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ShapeTarget:
    """A source column's observed values sorted by (group, value): what the outputs
    made from it are mapped onto, sorted once however often they are."""

    values: np.ndarray
    groups: np.ndarray

    @classmethod
    def of(cls, source: np.ndarray, groups: np.ndarray) -> ShapeTarget:
        """NaN (missing, or a point mass held out) is left out."""
        observed = ~np.isnan(source)
        values, value_groups = source[observed], groups[observed]
        if _one_group(value_groups):
            return cls(np.sort(values), value_groups)
        order = np.lexsort((values, value_groups))
        return cls(values[order], value_groups[order])


def match_shapes(
    target: ShapeTarget,
    output: np.ndarray,
    output_groups: np.ndarray,
    rng: np.random.Generator,
    between: bool = False,
) -> int:
    """Map ``output`` in place onto ``target``'s values within each group.

    ``output_groups`` is the group code of each output row; NaN marks a value that is
    not mapped, and ``rng`` ranks ties. ``between``: onto values between the source's
    (:func:`quantiles_between`), not onto its quantiles. Returns how many values were
    mapped: a group without observed source values keeps its output. One sort of the
    output by (group, value), then a slice per group.
    """
    rows = np.flatnonzero(~np.isnan(output))
    groups = output_groups[rows]
    order = _group_value_order(groups, output[rows], rng)
    present, starts, counts = np.unique(groups[order], return_index=True, return_counts=True)
    lows = np.searchsorted(target.groups, present, side="left")
    highs = np.searchsorted(target.groups, present, side="right")
    mapped = 0
    for start, m, low, high in zip(starts, counts, lows, highs, strict=True):
        if high == low:
            continue
        targets = rows[order[start : start + m]]
        source = target.values[low:high]
        output[targets] = quantiles_between(source, m, rng) if between else quantiles(source, m)
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


def quantiles_between(sorted_source: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """m values spread like the source but between its values (what the privacy
    target's trials use: a value equal to a real one can single out its row), in
    increasing order: Q at the stratified positions (r + U_r)/m, U_r uniform,
    r = 0..m-1, where Q joins the source's n values placed at (i + 1/2)/n linearly and
    goes on half a gap past its minimum and maximum at 0 and 1 (:func:`extended`).

    The value of rank r lies between the source's values of ranks about rn/m - 1/2 and
    (r + 1)n/m - 1/2, so the distribution functions differ by at most 1/m + 1/n. The moments
    are Q(U)'s in expectation (stratified positions are unbiased): the mean is the
    source's and the variance within about 1% of it from 300 values (closed form and
    figures: docs/privacy.md). No position lands on a source value but with
    probability 0; values equal real ones only where neighbours are equal (ties,
    discrete columns) or the column's rounding makes them so."""
    positions, values = extended(sorted_source)
    return np.interp((np.arange(m) + rng.random(m)) / m, positions, values)


def extended(sorted_source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points :func:`quantiles_between` joins: the source's values at (i + 1/2)/n,
    and at 0 and 1 the minimum and maximum moved out by half their neighbouring gap
    (joined to the ends, the minimum and maximum would get half a value's share of
    the positions, and a heavy tail loses 14% of its variance on 300 lognormal
    values; extended, the end pieces lose nothing)."""
    n = len(sorted_source)
    if n == 1:
        return np.array([0.0, 1.0]), np.repeat(sorted_source, 2).astype(float)
    low = sorted_source[0] - (sorted_source[1] - sorted_source[0]) / 2
    high = sorted_source[-1] + (sorted_source[-1] - sorted_source[-2]) / 2
    positions = np.concatenate([[0.0], (np.arange(n) + 0.5) / n, [1.0]])
    return positions, np.concatenate([[low], sorted_source, [high]])


#: Passes over the columns that break up copied rows (a swap can hand a row that was
#: broken up its donor's value back; a few passes leave none in practice).
MAX_COPY_PASSES = 4


@dataclass(frozen=True)
class CopyStep:
    """One swap of a pass of :func:`break_copies`: the rows still copies swap their
    ``output`` value with rows of a neighbouring value; ``along`` are arrays whose rows
    move with it (the other columns a rule ties to it), and ``keeps`` tells which of
    given rows still hold their rules after a swap (a swap that breaks one is undone)."""

    output: np.ndarray
    along: tuple[np.ndarray, ...] = ()
    keeps: Callable[[np.ndarray], np.ndarray] | None = None


def break_copies(
    outputs: list[np.ndarray],
    sources: list[np.ndarray],
    donors: Sequence[np.ndarray],
    output_groups: np.ndarray,
    compared: Sequence[Comparison] = (),
    steps: Sequence[CopyStep] | None = None,
) -> int:
    """Rows whose every value is one donor's own (a real row copied: a weight near 0
    puts a row's ranks next to its donor's and the map then hands it the donor's
    values; or rounding and copied columns give a row back its donor) swap their value
    with a row of a neighbouring distinct value of their group, column after column, up to
    :data:`MAX_COPY_PASSES` passes: each column keeps its values, and the row is no
    longer a real one. ``donors`` are the donor rows to compare with (the dominant
    donors, and the partners); ``compared`` are more columns a copy must match too,
    which are never swapped, each asked only about the rows still equal in every
    column before it. ``steps`` are the swaps of a pass (default: each output alone;
    with rules, :func:`copy_steps`). Returns how many rows were copies."""

    def copies(among: np.ndarray | None = None) -> np.ndarray:
        """Rows (of ``among``, sorted; default all) equal to one of their donors in every
        checked column. Column by column, only the rows still equal so far are compared:
        after the first column of mixed values hardly any are left, so a slice costs
        about one column's comparison, not one per column and donor (1M rows x 10
        columns: 1.3 s -> a tenth of it)."""
        found = np.zeros(len(output_groups), dtype=bool)
        for rows in donors:
            if among is None:  # every row, without an index of all rows
                candidates = np.flatnonzero(same_values(outputs[0], sources[0][rows]))
            else:
                candidates = among[same_values(outputs[0][among], sources[0][rows[among]])]
            for output, source in zip(outputs[1:], sources[1:], strict=True):
                if candidates.size == 0:
                    break
                candidates = candidates[same_values(output[candidates], source[rows[candidates]])]
            for equal in compared:
                if candidates.size == 0:
                    break
                candidates = candidates[equal(candidates, rows[candidates])]
            found[candidates] = True
        return np.flatnonzero(found)

    found = copies() if outputs else np.empty(0, dtype=np.int64)
    rows = found
    steps = list(steps) if steps is not None else [CopyStep(output) for output in outputs]
    for turn, step in enumerate(steps * MAX_COPY_PASSES):
        if rows.size == 0:
            break
        # Up one pass, down the next (and the next step the other way): a row moved up
        # is not handed its value back.
        downwards = (turn // len(steps) + turn % len(steps)) % 2 == 1
        mine, theirs = _swap_with_neighbouring_values(step.output, output_groups, rows, downwards)
        for values in step.along:
            values[mine], values[theirs] = values[theirs], values[mine]
        if step.keeps is not None and mine.size:
            undo = ~(step.keeps(mine) & step.keeps(theirs))
            back, forth = mine[undo], theirs[undo]
            step.output[back], step.output[forth] = step.output[forth], step.output[back]
        # only the rows a swap touched can have become copies, or stopped being ones
        rows = copies(np.union1d(rows, np.concatenate([mine, theirs])))
    return len(found)


def copy_steps(
    names: Sequence[Any],
    arrays: dict[Any, np.ndarray],
    units: Sequence[Sequence[Any]] = (),
    alone: dict[Any, Callable[[np.ndarray], np.ndarray]] | None = None,
) -> list[CopyStep]:
    """The steps of a pass of :func:`break_copies` over the columns ``names``: a column
    no rule ties moves alone; a column of a unit (columns tied by rules) moves alone only
    if ``alone`` gives it a check (its swaps that break a rule undone: an order's
    columns); last, each unit moves whole, led by its first column in ``names``, its
    other ``arrays`` along (each once: copied columns share their donor rows)."""
    alone = alone or {}
    unit_of = {name: unit for unit in units for name in unit}
    steps = [
        CopyStep(arrays[name], keeps=alone.get(name))
        for name in names
        if name not in unit_of or name in alone
    ]
    for unit in units:
        leader = next((name for name in names if name in unit), None)
        if leader is not None:
            along = {id(arrays[n]): arrays[n] for n in unit if n != leader and n in arrays}
            steps.append(CopyStep(arrays[leader], tuple(along.values())))
    return steps


def _by_group_and_value(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``np.lexsort((values, groups))`` (NaN last within each group, ties in row order)
    as two stable sorts, the groups' by radix when they are small codes (one group: no
    second sort): 11.7 ms instead of 20.4 ms on 131,072 rows of 40 groups, and copy
    repair sorts each slice once per column and pass."""
    order = np.argsort(values, kind="stable")
    keys = groups[order]
    if len(keys) == 0 or keys.min() == keys.max():
        return order
    if keys.min() >= 0 and keys.max() <= np.iinfo(np.uint16).max:
        keys = keys.astype(np.uint16)
    return order[np.argsort(keys, kind="stable")]


def _swap_with_neighbouring_values(
    output: np.ndarray, groups: np.ndarray, rows: np.ndarray, downwards: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` swap their value with rows of the next distinct value of their group (of
    the previous one where the next has too few rows), in place: the k-th of a value's
    rows to change takes the k-th row of the neighbouring value, so that a value held by
    many rows (a code, a price to the cent on a large table) has every copy broken up,
    not one per value. A row takes part in one swap per pass; swaps that would share a
    row are made one by one after the others. Returns the rows swapped and their
    partners (no row twice)."""
    order = _by_group_and_value(output, groups)
    ranked, ranked_groups = output[order], groups[order]
    size = len(order)
    position = np.empty(size, dtype=np.int64)
    position[order] = np.arange(size)
    # Runs of one (group, value) in rank order (NaN equals nothing: runs of one).
    starts_run = np.ones(size, dtype=bool)
    starts_run[1:] = (ranked_groups[1:] != ranked_groups[:-1]) | (ranked[1:] != ranked[:-1])
    run_starts = np.flatnonzero(starts_run)
    run_ends = np.append(run_starts[1:], size)
    rows = rows[~np.isnan(output[rows])]
    if rows.size == 0:
        return rows, rows
    run = np.cumsum(starts_run)[position[rows]] - 1
    by_run = np.lexsort((rows, run))
    rows, run = rows[by_run], run[by_run]
    first = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
    k = np.arange(rows.size) - np.repeat(first, np.diff(np.r_[first, rows.size]))
    group = groups[rows]
    above = run_ends[run] + k  # the k-th row of the next run
    next_end = np.append(run_ends[1:], size)[run]
    above_ok = above < next_end
    above_ok[above_ok] &= ranked_groups[above[above_ok]] == group[above_ok]
    above_ok[above_ok] &= ~np.isnan(ranked[above[above_ok]])
    below = run_starts[run] - 1 - k  # the k-th row of the previous run, from its top
    previous_start = np.r_[0, run_starts][run]
    below_ok = (run > 0) & (below >= previous_start)
    below_ok[below_ok] &= ranked_groups[below[below_ok]] == group[below_ok]
    movable = above_ok | below_ok
    preferred = np.where(below_ok, below, above) if downwards else np.where(above_ok, above, below)
    others = order[preferred[movable]]
    movers = rows[movable]
    ids, counts = np.unique(np.concatenate([movers, others]), return_counts=True)
    alone = counts[np.searchsorted(ids, movers)] == 1
    alone &= counts[np.searchsorted(ids, others)] == 1
    swapped, partners = movers[alone], others[alone]
    mine = output[swapped]
    output[swapped] = output[partners]
    output[partners] = mine
    # The rest (swaps that would share a row, values without a neighbour that long),
    # one by one as the first of them would be: the nearest distinct value not taken.
    touched = set(swapped.tolist()) | set(partners.tolist())
    one_by_one: list[tuple[int, int]] = []
    # A row whose value is the only one of its group has no neighbour to swap with:
    # left out here (on a linked table's children grouped by product, a product's one
    # price held every row of a pass in this loop: 100,000 searches at 6.5M rows).
    after, before = np.minimum(run_ends[run], size - 1), np.maximum(run_starts[run] - 1, 0)
    has_next = (run_ends[run] < size) & (ranked_groups[after] == group) & ~np.isnan(ranked[after])
    has_previous = (run_starts[run] > 0) & (ranked_groups[before] == group)
    for row in np.setdiff1d(rows[has_next | has_previous], swapped):
        if row in touched:
            continue
        value = output[row]
        low = np.searchsorted(ranked_groups, groups[row], side="left")
        high = np.searchsorted(ranked_groups, groups[row], side="right")
        segment = ranked[low:high]
        up = low + np.searchsorted(segment, value, side="right")
        down = low + np.searchsorted(segment, value, side="left") - 1
        if up < high and not np.isnan(ranked[up]) and order[up] not in touched:
            other = order[up]
        elif down >= low and order[down] not in touched:
            other = order[down]
        else:
            continue
        output[row], output[other] = output[other], output[row]
        touched.update((int(row), int(other)))
        one_by_one.append((int(row), int(other)))
    if one_by_one:
        mine_rows, their_rows = np.array(one_by_one, dtype=np.int64).T
        return np.concatenate([swapped, mine_rows]), np.concatenate([partners, their_rows])
    return swapped, partners


def same_values(mine: np.ndarray, donor: np.ndarray) -> np.ndarray:
    """Where a value equals its donor's, missing (NaN) equal to missing."""
    same = mine == donor
    missing = np.isnan(mine)
    if missing.any():
        same |= missing & np.isnan(donor)
    return same
