r"""How the engine keeps the rules in every synthetic row (THEORY.md §10, docs/rules.md).

Mixed values are ``x_o + w (x_d - x_o)`` (dominant donor d, other o, ``w >= 1/2``).

- **Inequalities** ``g(x) <= 0``: ``g`` of the mixed row is ``g_o + w (g_d - g_o)``,
  so a pair whose donors both hold the rule keeps it for ``w <= U = -g_o / (g_d - g_o)``
  when ``g_d > g_o`` (``U >= 1``; no limit otherwise); a column's range is two more.
  The columns tied by inequalities form groups (:attr:`RulePlan.weight_groups`), each
  mixed with weights of their own (:mod:`mixsynth.rules.weights`): the rows whose weight
  passes their ``U`` is *folded* back under it (``w -> 2U - w``, as a value past its
  bound is folded: the row stays near the weight of its other columns; under a privacy
  margin it is swapped with a row that can take it), then the extrapolating weights are
  pushed further past 1 within their limits to give the group back its variance, and what is left column
  by column.
- **Equalities** hold for every weight; rounding would break them, so the target column
  is recomputed from the others after they are rounded, then rounded to its own place.
- **Unique together, time index, fixed combinations**: the columns are copied from the
  dominant donor; a time index's partners are drawn near in time
  (:func:`~mixsynth.rules.dates.near_partners`). With copied columns from near rows
  (``copy_neighbours``) a unique key or fixed combination that no other rule names is
  taken whole from a near row's donor instead (:mod:`mixsynth.engine.neighbours`).
- **Parts of a date** (``year = year(date)``): recomputed from the finished date; a part
  copied from the dominant donor (a time index) brings its date along.
- **Calendar grids**: yearly and monthly values rounded on the calendar
  (:func:`~mixsynth.rules.dates.round_calendar`); shorter steps are the engine's time
  grids.
- A row a per-column step bends past an order (a column's spread, bounds, moment or
  shape matching) moves back towards its limited mix as far as needed
  (:meth:`RulePlan.unbreak`); after rounding, a row that breaks a rule takes the columns
  tied to it by rules from its dominant donor, which holds them all
  (:meth:`RulePlan.repair`). Copy repair comes last and moves the columns a rule ties
  together as one (:attr:`RulePlan.units`, :meth:`RulePlan.alone`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from mixsynth.rules.model import Grid, Increments, Linear, Rule, TimeIndex, Together, Unique


@dataclass(frozen=True)
class Scale:
    """native = (encoded + offset) * factor: a mixed column's encoding, for rules."""

    offset: float = 0.0
    factor: float = 1.0


@dataclass
class RulePlan:
    """The rules a generation keeps, compiled against the mixed columns' encodings."""

    rules: list[Rule]
    scales: dict[str, Scale]  #: of every column stored as numbers or times
    mixed: frozenset = frozenset()  #: the columns mixed (not copied from the donor)
    copied: tuple[str, ...] = ()  #: mixed columns copied from the dominant donor
    time_index: TimeIndex | None = None
    calendar: dict[str, str] = field(default_factory=dict)  #: column -> yearly/monthly
    checked: list[Rule] = field(default_factory=list)  #: rules checked after mixing
    components: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parts: list = field(default_factory=list)  #: parts of dates, recomputed last
    lookup: dict = field(default_factory=dict)  #: a copied part's real values, a row of each

    @classmethod
    def of(cls, rules: list[Rule], scales: dict[str, Scale], mixed: set[str]) -> RulePlan:
        """Rules on columns stored as numbers (``scales``), of which ``mixed`` are mixed."""
        copied: list[str] = []
        time_index = None
        for rule in rules:
            if isinstance(rule, Unique | Together | TimeIndex):
                copied += [name for name in rule.columns if name in mixed and name not in copied]
                if isinstance(rule, TimeIndex) and time_index is None:
                    time_index = rule
        parts = [r for r in rules if r.kind == "date part" and set(r.columns) <= set(scales)]
        ties = [part.columns for part in parts]  # (target, date)
        copied += [date for target, date in ties if target in copied and date in mixed]
        mixed = set(mixed) - set(copied)
        calendar = {}
        checked: list[Rule] = []
        for rule in rules:
            if isinstance(rule, Grid) and rule.column in mixed:
                # Kept exactly by rounding onto the grid (the engine's time grids for
                # steps of a week and less), so not checked again.
                if rule.grid in ("yearly", "monthly"):
                    calendar[rule.column] = rule.grid
            elif isinstance(rule, Linear | Increments) and set(rule.columns) <= set(scales):
                target = rule.target if isinstance(rule, Linear) else None
                if set(rule.columns) & mixed and (target is None or target in mixed):
                    checked.append(rule.kept if isinstance(rule, Linear) else rule)
        components = _components([r.columns for r in checked])
        return cls(
            rules,
            scales,
            frozenset(mixed),
            tuple(copied),
            time_index,
            calendar,
            checked,
            components,
            parts,
        )

    @cached_property
    def inequalities(self) -> list[Linear]:
        """Made once: each slice asks, column by column (3,000 columns: 2.5 s a run)."""
        return [
            r
            for r in self.checked
            if isinstance(r, Linear) and r.op != "==" and set(r.columns) <= self.mixed
        ]

    @cached_property
    def limited(self) -> frozenset[str]:
        """The columns of the inequalities that limit weights."""
        return frozenset(name for rule in self.inequalities for name in rule.columns)

    @property
    def units(self) -> list[tuple[str, ...]]:
        """Columns that copy repair moves together from row to row: those tied by a kept
        rule (every kind but a formula), so that a row takes all of them from another
        output row, which holds its rules, or none (a unique key's tuples are only
        permuted; a part stays its date's)."""
        kept = [rule.columns for rule in self.rules if rule.kind != "formula"]
        return sorted({unit for unit in _components(kept).values() if len(unit) > 1})

    def alone(self, values: dict[str, np.ndarray]) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
        """For copy repair: the columns of ``values`` (encoded, mixed) that may move alone,
        those of units tied only by orders of mixed columns (a swap keeps a rule of one
        column), each with the check of its unit's orders at given rows (a swap that
        breaks one is undone). A unit with an equality, a part or a copied column moves
        whole."""
        checks: dict[str, Callable[[np.ndarray], np.ndarray]] = {}
        for unit in self.units:
            rules = [r for r in self.rules if set(r.columns) & set(unit)]
            if not set(unit) <= set(values) or not all(
                (isinstance(r, Linear) and r.op != "==") or len(r.columns) == 1 for r in rules
            ):
                continue
            kept = [r.kept for r in rules if isinstance(r, Linear) and len(r.columns) > 1]
            checks.update(dict.fromkeys(unit, self._orders_check(kept, values)))
        return checks

    def _orders_check(
        self, kept: list[Linear], values: dict[str, np.ndarray]
    ) -> Callable[[np.ndarray], np.ndarray]:
        """Whether the orders ``kept`` hold at given rows of ``values``."""

        def check(rows: np.ndarray) -> np.ndarray:
            holds = np.ones(rows.size, dtype=bool)
            for rule in kept:
                holds &= rule.holds({n: self.native(n, values[n][rows]) for n in rule.columns})
            return holds

        return check

    @property
    def equalities(self) -> list[Linear]:
        return [r for r in self.checked if isinstance(r, Linear) and r.op == "=="]

    def native(self, name: str, encoded: np.ndarray) -> np.ndarray:
        scale = self.scales[name]
        if scale.offset == 0 and scale.factor == 1:
            return encoded
        native = encoded + scale.offset
        native *= scale.factor
        return native

    def encoded(self, name: str, native: np.ndarray) -> np.ndarray:
        scale = self.scales[name]
        if scale.offset == 0 and scale.factor == 1:
            return native
        return native / scale.factor - scale.offset

    @property
    def weight_groups(self) -> list[list[Linear]]:
        """The inequalities in groups that share no column: each group's columns are
        mixed with weights of their own, limited by that group's rules only."""
        groups: dict[str, list[Linear]] = {}
        parts = _components([rule.columns for rule in self.inequalities])
        for rule in self.inequalities:
            groups.setdefault(min(parts[rule.columns[0]]), []).append(rule)
        return list(groups.values())

    @staticmethod
    def group_columns(rules: list[Linear]) -> list[str]:
        """The columns of a group of :attr:`weight_groups`, in order."""
        return sorted({name for rule in rules for name in rule.columns})

    def weight_limits(
        self,
        steps: dict[str, np.ndarray],
        at_other: dict[str, np.ndarray],
        rules: list[Linear],
    ) -> np.ndarray:
        """Each row's largest weight that keeps every rule of ``rules`` (inequalities),
        from its donors' encoded values (``steps``: dominant minus other, and the
        other's): ``U`` above (inf: none). A rule a donor misses a value of does not
        limit the row (its value comes from a replacement partner, or is missing, and
        the row's check says whether it holds), the others still do: NaN only where no
        rule is known. One missing salary in a group of thirteen ordered baseball
        figures had freed a third of the rows of every order (docs/rules.md)."""
        limit = None
        for rule in rules:
            rise = self._encoded_form(rule, steps, constant=False)  # g_d - g_o
            room = self._encoded_form(rule, at_other, negate=True)  # -g_o
            with np.errstate(invalid="ignore", divide="ignore"):
                room /= rise
                # U = -g_o / rise only where g rises to the dominant donor; a NaN rise
                # (a donor missing) compares false, so its row keeps the NaN quotient,
                # which fmin passes over for the other rules' limits.
                bound = np.where(rise <= 0, np.inf, room)
            if limit is None:
                limit = bound
            else:
                np.fmin(limit, bound, out=limit)
        assert limit is not None  # a group holds at least one rule
        return limit

    def _encoded_form(
        self,
        rule: Linear,
        values: dict[str, np.ndarray],
        constant: bool = True,
        negate: bool = False,
    ) -> np.ndarray:
        """``rule.form`` of native values (``-form`` with ``negate``), from encoded ones:
        the scales folded into the coefficients (one pass per column, no native copies;
        a coefficient of 1 or -1 adds or subtracts the column, as exactly); without the
        ``constant`` for differences of values (the offsets cancel)."""
        const = rule.const
        total = None
        for name, coef in rule.coefs:
            scale = self.scales[name]
            const += coef * scale.factor * scale.offset
            factor = -(coef * scale.factor) if negate else coef * scale.factor
            column = values[name]
            if total is None:
                total = column.copy() if factor == 1 else factor * column
            elif factor == 1:
                total += column
            elif factor == -1:
                total -= column
            else:
                total += factor * column
        assert total is not None  # a rule names at least one column
        if constant:
            total += -const if negate else const
        return total

    def equalities_first(self) -> list[Linear]:
        """Equalities in an order where each target is computed before it is used."""
        pending, done, order = list(self.equalities), set(), []
        while pending:
            ready = [
                r
                for r in pending
                if not (set(r.columns) - {r.target}) & {p.target for p in pending if p is not r}
            ]
            ready = ready or pending[:1]
            for rule in ready:
                order.append(rule)
                pending.remove(rule)
                done.add(rule.target)
        return order

    def recompute(self, values: dict[str, np.ndarray]) -> None:
        """Each column with fixed increments rounded to the nearest multiple, then each
        equality's target from its other columns, rounded to its place, in place (encoded
        values)."""
        for rule in self.checked:
            if isinstance(rule, Increments) and rule.column in self.mixed:
                native = self.native(rule.column, values[rule.column])
                steps = np.round(native / rule.step) * rule.step
                values[rule.column][:] = self.encoded(rule.column, steps)
        for rule in self.equalities_first():
            target = rule.target
            if target is None:  # every equality of the plan has one (RulePlan.of)
                continue
            others = Linear(tuple(c for c in rule.coefs if c[0] != target), rule.const)
            native = (
                others.form({n: self.native(n, values[n]) for n in others.columns})
                if others.coefs
                else np.full(len(values[target]), rule.const)  # a column equal to a constant
            )
            np.negative(native, out=native)
            native /= dict(rule.coefs)[target]
            if rule.decimals is not None:
                np.round(native, rule.decimals, out=native)
            present = ~np.isnan(values[target])
            np.copyto(values[target], self.encoded(target, native), where=present)

    def unbreak(
        self,
        values: dict[str, np.ndarray],
        fallback: dict[str, np.ndarray],
        moved: set[str] | None = None,
    ) -> int:
        """Rows of ``values`` (before rounding) that break an inequality moved back
        towards ``fallback`` (the mix with limited weights, before a column's spread is
        given back, bounds kept or moments and shapes matched: it keeps them all) only
        as far as their group's rules need: each rule's form is affine along the way,
        so the row stops where the first rule it broke holds again (a row still broken
        by float64's error takes ``fallback`` whole). Convex, so ranges both hold are
        kept too. Only the groups of the ``moved`` columns (default: all) are looked at.
        How many rows moved."""
        size = len(next(iter(values.values())))
        taken_back = np.zeros(size, dtype=bool)
        for rules in self.weight_groups:
            if moved is not None and not moved & {c for r in rules for c in r.columns}:
                continue
            names = [n for n in dict.fromkeys(c for r in rules for c in r.columns) if n in fallback]
            natives: dict[str, np.ndarray] = {}
            found: list[tuple[np.ndarray, np.ndarray]] = []  # rows breaking a rule, their way
            for rule in rules:
                native = {n: self._native_of(natives, n, values) for n in rule.columns}
                rows = np.flatnonzero(rule.breaks(native))
                if rows.size == 0:
                    continue
                g_v = rule.form({n: v[rows] for n, v in native.items()})
                g_f = rule.form({n: self.native(n, fallback[n][rows]) for n in rule.columns})
                with np.errstate(invalid="ignore", divide="ignore"):
                    way = np.where(g_v > g_f, g_f / (g_f - g_v), 0.0)
                found.append((rows, np.clip(np.nan_to_num(way), 0.0, 1.0)))
            rows, share = _least_share(found)
            if rows.size == 0:
                continue
            taken_back[rows] = True
            for name in names:
                back = fallback[name][rows]
                values[name][rows] = back + share * (values[name][rows] - back)
            for rule in rules:  # float64's error at the edge: the fallback whole
                native = {n: self.native(n, values[n][rows]) for n in rule.columns}
                still = rows[rule.breaks(native)]
                for name in names:
                    values[name][still] = fallback[name][still]
        return int(taken_back.sum())

    def repair(
        self, values: dict[str, np.ndarray], raw: dict[str, np.ndarray], dominant: np.ndarray
    ) -> int:
        """Rows breaking an inequality take its component's columns from their dominant
        donor (``raw``: the source's encoded columns, point masses included), which holds
        every rule of it; how many rows. Equalities and increments are not looked at:
        :meth:`recompute` has just made them hold, and a repair takes whole components."""
        broken_rows = np.zeros(len(dominant), dtype=bool)
        natives: dict[str, np.ndarray] = {}
        for rule in self.checked:
            if not isinstance(rule, Linear) or rule.op == "==":
                continue
            native = {n: self._native_of(natives, n, values) for n in rule.columns}
            broken = rule.breaks(native)
            if broken.any():
                broken_rows |= broken
                rows = np.flatnonzero(broken)
                for name in self.components[rule.columns[0]]:
                    if name in self.mixed:  # the others are the donor's already
                        values[name][rows] = raw[name][dominant[rows]]
                        natives.pop(name, None)
        return int(broken_rows.sum())

    def _native_of(
        self, natives: dict[str, np.ndarray], name: str, values: dict[str, np.ndarray]
    ) -> np.ndarray:
        """``values[name]`` in native units, made once per pass over the rules."""
        if name not in natives:
            natives[name] = self.native(name, values[name])
        return natives[name]


def _least_share(found: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``found`` (each rule's breaking rows, ascending, and how far along
    the way back each holds it again) whose least share is below 1, with that share."""
    if not found:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    rows, share = found[0]
    if len(found) > 1:  # a row breaking several rules stops where all hold again
        rows, share = np.concatenate([r for r, _ in found]), np.concatenate([s for _, s in found])
        order = np.lexsort((share, rows))
        rows, share = rows[order], share[order]
        first = np.ones(rows.size, dtype=bool)
        np.not_equal(rows[1:], rows[:-1], out=first[1:])
        rows, share = rows[first], share[first]
    below = share < 1
    return rows[below], share[below]


def _components(groups: list[tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Columns tied together by rules (connected components), for each column."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    for group in groups:
        first = root(group[0])  # a rule of one column (price > 0) is a component alone
        for name in group[1:]:
            parent[root(name)] = first
    members: dict[str, list[str]] = {}
    for name in list(parent):
        members.setdefault(root(name), []).append(name)
    return {name: tuple(members[root(name)]) for name in parent}
