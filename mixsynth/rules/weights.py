"""A group of columns tied by inequalities gets weights of its own, each inside its
pair's exact interval (THEORY.md section 10, docs/rules.md): the limits of the ranges,
the folds (swaps under a privacy margin) that bring a weight back under its limit, and
the spread that gives the group back the variance of the weights as drawn. The rules'
own limits are :meth:`.keep.RulePlan.weight_limits`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

#: Rounds of weight swaps (under a privacy margin) before a last clip of those left over.
SWAP_ROUNDS = 16
#: Rows a group's weights are spread on (:func:`spread_weights`).
SPREAD_SAMPLE = 1 << 16
#: A column's mean and spread are given back only when off by more than this (in its
#: standard deviations, and as a factor): a smaller move would bend the rows on the
#: edge of an order (equal dates) for nothing.
NEGLIGIBLE = 1e-3
#: The largest spread factor tried: past it the rows are at their limits anyway.
MAX_SPREAD_FACTOR = 64.0
#: A row's limit is moved this share of its way back towards 1 (:func:`inside_edge`).
EDGE = 1e-6
#: Rounds of giving back what moving rows back onto their rules took (:func:`regain`).
REGAIN_ROUNDS = 8
#: ... each while a column's spread is off by more than this factor: the NEGLIGIBLE of
#: the spread (a 0.2 % variance) left the concavity columns of breast cancer 0.2 % short
#: a generation at ``--privacy-margin 0.3``.
REGAIN_NEGLIGIBLE = 1e-4


def fold_weights(w: np.ndarray, limit: np.ndarray, known: np.ndarray | None = None) -> int:
    """Weights above their row's ``limit`` folded back below it, in place: ``w -> 2U - w``,
    the row mirrored at its rule's (or range's) edge as a column past its bound is, and
    the group's other columns with it, so every rule holds (``U >= 1``, and a weight in
    [0, 1] keeps them all). A row whose limit is NaN (unknown: a donor missing, mixed
    with a replacement partner) keeps its weight (``known``: where the limit is not NaN,
    if made already). Returns how many rows were folded.

    A fold moves a row's weight by twice its overshoot, so the row stays near the weight
    its other columns are mixed with; swapping weights with random rows
    (:func:`swap_weights`, the default's way until 2026-12-08) kept the multiset but
    gave a fifth to a half of the rows of tables whose skewed columns sit near their
    lower bound a weight unrelated to their other columns': ISLR's Hitters, MASS's
    Boston and ISLR's College lost 0.04-0.06 of their mean absolute correlation over 10
    generations, 0.01-0.02 folded (docs/rules.md). Under a privacy margin a fold from
    the outer arm lands on the inner one, far from its weight, and the columns kept in
    range lost 16 % of their variance over 10 generations: there the weights are
    swapped."""
    past = w > limit
    if known is not None:
        past &= known
    over = np.flatnonzero(past)
    if over.size == 0:
        return 0
    w[over] = np.maximum(2 * limit[over] - w[over], 0.0)
    return int(over.size)


def swap_weights(
    rng: np.random.Generator, w: np.ndarray, limit: np.ndarray, known: np.ndarray | None = None
) -> int:
    """Weights above their row's ``limit`` swapped with random rows that can take them,
    in place, under a privacy margin (:func:`fold_weights` without one): the multiset of
    weights is unchanged, so is ``E[u]``, and every weight keeps the margin. A row with ``w <= 1``
    fits any limit (``U >= 1``): the rows over their limit take, in turn, the next rows
    of a random order of those, and swap where that row's limit takes the larger weight.
    Rows left after :data:`SWAP_ROUNDS` rounds (none in practice) are clipped to their
    limit. A row whose limit is NaN (unknown: a donor missing, mixed with a replacement
    partner) keeps its weight (``known``: where the limit is not NaN, if made already).
    Returns how many rows changed weight."""
    over = np.flatnonzero(w > limit)
    if over.size == 0:
        return 0
    takers = np.flatnonzero((w <= 1) & (~np.isnan(limit) if known is None else known))
    takers = takers[rng.permutation(takers.size)]
    used = swapped = 0
    for _ in range(SWAP_ROUNDS):
        if over.size == 0 or used >= takers.size:
            break
        pick = takers[used : used + over.size]
        used += pick.size
        rows = over[: pick.size]
        fits = limit[pick] >= w[rows]
        rows, pick = rows[fits], pick[fits]
        w[rows], w[pick] = w[pick], w[rows].copy()
        swapped += 2 * rows.size
        over = over[w[over] > limit[over]]
    w[over] = limit[over]
    return swapped + over.size


def inside_edge(limit: np.ndarray) -> None:
    """``limit`` moved, in place, a millionth (:data:`EDGE`) of its way back to 1: a row
    mixed at its limit lies on the edge of its rule (``a == b``), where float64's error on
    the mix broke it in about half the rows, which then took their dominant donor's
    values (:meth:`.keep.RulePlan.repair`), the rows that extrapolate most: breast
    cancer's concavity columns lost 1 % of their variance a generation at
    ``--privacy-margin 0.3``. So the row lies ``EDGE`` times its dominant donor's own
    distance from the edge inside it (none when that donor is on the edge, limit 1)."""
    edge = np.isfinite(limit)  # no limit (inf) or unknown (NaN): none to keep inside
    limit[edge] -= EDGE * (limit[edge] - 1)


def range_limits(
    limit: np.ndarray, step: np.ndarray, other: np.ndarray, low: float, high: float
) -> None:
    """``limit`` lowered, in place, to each row's largest weight that keeps its mixed
    value (``other + w * step``, ``step`` the dominant donor's value minus ``other``)
    inside ``[low, high]``: a range is two inequalities that both donors hold, so the
    limit stays at least 1. The columns tied by rules are kept in range by their
    weights, not folded back one by one (which would reverse two values past the same
    end)."""
    end = np.where(step > 0, high, low)
    end -= other
    with np.errstate(invalid="ignore", divide="ignore"):
        end /= step
    np.fmin(limit, end, out=limit, where=step != 0)  # a step of 0: no limit


def extend_weights(
    w: np.ndarray, limit: np.ndarray, factor: float, known: np.ndarray | None = None
) -> np.ndarray:
    """Extrapolating weights (``w > 1``) moved ``factor`` times as far past 1, each kept
    at most its row's ``limit``: every rule still holds (the weight stays inside its
    pair's interval), a privacy margin too (a weight only grows past 1), and the rows
    with room extrapolate a little more for those a rule held back. A NaN limit
    (unknown, :func:`fold_weights`; ``known``: where it is not) keeps the weight."""
    if factor == 1:
        return w
    return _extension(w, limit, known)(factor)


def _extension(
    w: np.ndarray, limit: np.ndarray, known: np.ndarray | None = None
) -> Callable[[float], np.ndarray]:
    """:func:`extend_weights` of ``w`` at any factor, with what no factor changes made
    once (the spread's solver tries a dozen)."""
    extended = (w > 1) & (~np.isnan(limit) if known is None else known)
    excess = w - 1

    def at(factor: float) -> np.ndarray:
        if factor == 1:
            return w
        moved = factor * excess
        moved += 1
        np.minimum(limit, moved, out=moved)
        return np.where(extended, moved, w)

    return at


@dataclass(frozen=True)
class Spread:
    """``values -> mean + scale * (values - kept_mean)``: a column mixed with limited
    weights given back the mean and variance it has with the weights as drawn."""

    kept_mean: float
    mean: float
    scale: float

    def apply(self, values: np.ndarray, rows: np.ndarray) -> None:
        """At ``rows`` (those mixed with limited weights), in place."""
        if rows.all():  # no donor missing: in place, no copies
            values -= self.kept_mean
            values *= self.scale
            values += self.mean
        else:
            values[rows] = self.mean + self.scale * (values[rows] - self.kept_mean)


def spread_weights(
    steps: list[np.ndarray],
    at_other: list[np.ndarray],
    drawn: np.ndarray,
    kept: np.ndarray,
    limit: np.ndarray,
) -> tuple[float, list[Spread | None]]:
    """How a group of columns tied by inequalities, mixed with their limited weights
    ``kept`` (donors' values: ``steps``, dominant minus other, and ``at_other``; a sample
    of the rows), gets
    back the variance it has with the weights as ``drawn``: first by its weights
    (the factor for :func:`extend_weights`, one for the group, which keeps every rule:
    their mean variance ratio becomes 1), then what is left column by column
    (:class:`Spread`: mean and variance, None when negligible; a row this bends past a
    rule takes its mix back, :meth:`.keep.RulePlan.unbreak`).

    Limited weights stay the drawn multiset (``E[u]`` unchanged), but the rows a rule
    or a range holds back are those that extrapolate along wide pairs: without this the
    group loses 1-2 % of its variance a generation at wide weights, and its mean moves
    when one end of a range holds more rows back than the other (measured:
    bench_rules.py). The factor is solved with scipy's ``brentq``."""
    mixes = []  # each column's rows with both donors known (None: all), partner, step
    for step, partner in zip(steps, at_other, strict=True):
        known = np.isfinite(step)
        rows = None if known.all() else np.flatnonzero(known)
        if rows is not None:
            partner, step = partner[rows], step[rows]
        if step.size > 1:
            variance = float(np.var(partner + (drawn if rows is None else drawn[rows]) * step))
            if variance > 0:
                mixes.append((rows, partner, step, variance))

    extend = _extension(kept, limit)

    def shortfall(factor: float) -> float:
        w = extend(factor)
        ratios = [np.var(p + (w if r is None else w[r]) * s) / v for r, p, s, v in mixes]
        return float(np.mean(ratios)) - 1 if ratios else 0.0

    factor = 1.0
    short = shortfall(1.0)
    if np.isfinite(short) and short < 0:
        high = 2.0
        while (short := shortfall(high)) < 0 and high < MAX_SPREAD_FACTOR:
            high *= 2
        # Past MAX_SPREAD_FACTOR every row is at its limit: as far as the rules allow.
        factor = float(brentq(shortfall, 1.0, high, xtol=1e-4)) if short >= 0 else high
    w = extend(factor)
    known = ~np.isnan(limit)  # the rows a Spread is applied to (the others: as drawn)
    spreads: list[Spread | None] = []
    for step, partner in zip(steps, at_other, strict=True):
        free, mixed = partner + drawn * step, partner + w * step
        body = known & np.isfinite(free) & np.isfinite(mixed)
        spreads.append(_spread(free[body], mixed[body]))
    return factor, spreads


def moments(column: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray | None, float, float]:
    """The ``rows`` of ``column`` that hold a number (None: every row), their mean and
    variance: what :func:`regain` gives back."""
    finite = rows & np.isfinite(column)
    body = None if finite.all() else finite
    values = column if body is None else column[body]
    if values.size < 2:  # nothing to give back
        return body, float("nan"), float("nan")
    return body, float(values.mean()), float(values.var())


def regain(column: np.ndarray, target: tuple[np.ndarray | None, float, float]) -> bool:
    """``column`` given back, in place, the ``target`` :func:`moments` it had before a
    step that moved some of its rows back towards their mix
    (:meth:`.keep.RulePlan.unbreak`); whether it moved (not when negligible)."""
    body, mean, variance = target
    values = column if body is None else column[body]
    if values.size < 2:
        return False
    kept_mean, kept_variance = float(values.mean()), float(values.var())
    spread = _spread_of(mean, variance, kept_mean, kept_variance, REGAIN_NEGLIGIBLE)
    if spread is None:
        return False
    spread.apply(column, np.ones(column.size, dtype=bool) if body is None else body)
    return True


def _spread(free: np.ndarray, mixed: np.ndarray, negligible: float = NEGLIGIBLE) -> Spread | None:
    """What gives ``mixed`` the mean and variance of ``free`` (None: nothing to give,
    both off by less than ``negligible``)."""
    if free.size < 2:
        return None
    return _spread_of(
        float(free.mean()), float(free.var()), float(mixed.mean()), float(mixed.var()), negligible
    )


def _spread_of(
    mean: float,
    variance: float,
    kept_mean: float,
    kept_variance: float,
    negligible: float,
) -> Spread | None:
    """What moves a column of ``kept_mean`` and ``kept_variance`` to ``mean`` and
    ``variance`` (None: nothing to give, both off by less than ``negligible``)."""
    if not (variance > 0 and kept_variance > 0):
        return None
    scale = float(np.sqrt(variance / kept_variance))
    shift = abs(mean - kept_mean) / np.sqrt(variance)
    if not (np.isfinite(scale) and np.isfinite(shift)):
        return None
    if abs(scale - 1) < negligible and shift < negligible:
        return None
    return Spread(kept_mean, mean, scale)
