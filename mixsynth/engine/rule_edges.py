"""What keeps the rows of a group of columns tied by orders on their rules without
losing the variance the group's spread gave back (docs/rules.md, steps 3 and 4): the
rows moved back onto their rules given the variance back over a few rounds, and the rows
rounding takes past an order found, with the side each of their columns rounds to."""

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
    return repairs


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
