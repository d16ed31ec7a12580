"""What keeps the rows of a group of columns tied by orders on their rules without
losing the variance the group's spread gave back (docs/rules.md, steps 3 and 4): the
rows moved back onto their rules given the variance back over a few rounds, then on the
rows free to move, and the rows rounding takes past an order found, with the side each
of their columns rounds to."""

from __future__ import annotations

from typing import Any

import numpy as np

from mixsynth.semantics.treatments import bound_keeping_variance


def unbreak_keeping_variance(
    plan: Any,
    values: dict,
    limited: dict,
    known: dict,
    moved: set[str],
    ranges: dict[str, tuple[float, float]],
    options: Any,
) -> int:
    """The rows bent past a rule moved back towards their limited mix
    (:meth:`~mixsynth.rules.keep.RulePlan.unbreak`), which takes back some of the
    variance the spread gave (the rows moved back extrapolate most): 1.4-2.2 % a
    generation in breast cancer's concavity columns at ``--privacy-margin 0.3``. So each
    column is given back its mean and variance as spread (:func:`.weights.regain`), kept
    in its range and moved back again, a few rounds
    (:data:`~mixsynth.rules.weights.REGAIN_ROUNDS`), ending with rows moved back. How
    many rows were moved back, summed over the rounds."""
    from mixsynth.rules.weights import REGAIN_ROUNDS, moments, regain

    spread = {name: moments(column, known[name]) for name, column in values.items()}
    repairs = plan.unbreak(values, limited, moved)
    for _ in range(REGAIN_ROUNDS):
        if not repairs:
            break
        moved = set()
        for name, column in values.items():
            if regain(column, spread[name]):
                bound_keeping_variance(column, *ranges[name], options.bounds)
                moved.add(str(name))
        if not moved:
            break
        again = plan.unbreak(values, limited, moved)
        repairs += again
        if not again:
            break
    if repairs:  # the rounds end with rows moved back: what they took, from the free rows
        for name in values:
            regain_where_free(plan, values, name, spread[name], ranges[name])
    return repairs


#: A column is given back its moments on the rows free to move only while they are at
#: least this share of its rows, and its spread is scaled by at most this much: a few
#: rows stretched far would be outliers of their own.
FREE_SHARE, MAX_FREE_SCALE = 0.5, 1.5
#: Times the free rows are found again (each scale frees fewer) before giving up.
FREE_ROUNDS = 8


def regain_where_free(
    plan: Any,
    values: dict,
    name: str,
    target: tuple[np.ndarray | None, float, float],
    bounds: tuple[float, float],
) -> bool:
    """``values[name]`` given back the ``target`` moments (:func:`.weights.moments`) by
    moving only rows the move keeps on every order of the column and in its range,
    the others left where they are: a web of orders (a player's season and career
    figures, equal in a first season) holds many rows on an edge that scaling the
    whole column about its mean bends past it, and moving them back takes 1-3 % of
    the variance a generation (docs/rules.md). The free rows are found again at each
    scale until none of them breaks; whether the column moved."""
    body, mean, variance = target
    column = values[name]
    rows = np.flatnonzero(np.isfinite(column) if body is None else body & np.isfinite(column))
    if rows.size < 4 or not variance > 0:
        return False
    current = column[rows]
    if abs(float(current.var()) / variance - 1) < 1e-3:
        return False
    rules = [rule for group in plan.weight_groups for rule in group if name in rule.columns]
    low, high = bounds
    free = np.ones(rows.size, dtype=bool)
    for _ in range(FREE_ROUNDS):
        moved = _free_move(current, free, mean, variance)
        if moved is None:
            return False
        keeps = (moved >= low) & (moved <= high)  # an open end is an infinity
        for rule in rules:
            native = {n: plan.native(n, values[n][rows]) for n in rule.columns if n != name}
            native[name] = plan.native(name, moved)
            keeps &= ~rule.breaks(native)
        if keeps[free].all():
            column[rows[free]] = moved[free]
            return True
        free &= keeps
    return False


def _free_move(
    current: np.ndarray, free: np.ndarray, mean: float, variance: float
) -> np.ndarray | None:
    """``current`` with its ``free`` rows moved (shifted and scaled about their mean) so
    that all of them have ``mean`` and ``variance``; None when too few rows are free or
    the scale would pass MAX_FREE_SCALE."""
    n, n_free = current.size, int(free.sum())
    if n_free < max(2, FREE_SHARE * n):
        return None
    fixed = current[~free]
    m_free, v_free = float(current[free].mean()), float(current[free].var())
    shift = (n * mean - float(fixed.sum())) / n_free  # the free rows' new mean
    rest = float(((fixed - mean) ** 2).sum()) if fixed.size else 0.0
    scale2 = (
        (n * variance - n_free * (shift - mean) ** 2 - rest) / (n_free * v_free) if v_free else -1
    )
    if not 0 < scale2 <= MAX_FREE_SCALE**2:
        return None
    moved = current.copy()
    moved[free] = shift + np.sqrt(scale2) * (current[free] - m_free)
    return moved


def rounding_sides(plan: Any, finished: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """For each column of ``finished`` (rounded, by name) tied by an order of ``plan``,
    the side each row breaking one of its orders rounds to for it to hold: -1 down where
    the column adds to the rule's form, +1 up where it takes from it, 0 elsewhere (and
    where an earlier rule chose already: a middle column of a chain may need both)."""
    size = len(next(iter(finished.values()))) if finished else 0
    sides: dict[str, np.ndarray] = {}
    natives: dict[str, np.ndarray] = {}  # each column in native units, made once
    for rules in plan.weight_groups:
        for rule in rules:
            if not set(rule.columns) <= finished.keys() or rule.op == "==":
                continue
            for name in rule.columns:
                if name not in natives:
                    natives[name] = plan.native(name, finished[name])
            broken = np.flatnonzero(rule.breaks({n: natives[n] for n in rule.columns}))
            for name, coef in rule.coefs:
                side = sides.setdefault(name, np.zeros(size, dtype=np.int8))
                free = broken[side[broken] == 0]
                side[free] = -1 if coef > 0 else 1
    return sides
