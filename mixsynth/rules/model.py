"""The rules a table obeys, as values: what each says, which columns it ties, and
whether a row holds it.

A rule is checked on *values*: a mapping from column name to a float64 vector in the
column's native scale (numbers as they are, times in seconds since the epoch, missing
as NaN), or to any vector for copied columns (:class:`~mixsynth.rules.data.RuleData`).
A missing value holds every rule, as in SDV: a rule speaks of the values present.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixsynth.rules.formula import evaluate

#: How a linear rule compares its form with 0.
OPERATORS = ("<=", "<", "==")


@dataclass(frozen=True)
class Linear:
    """``sum(coefs[c] * c) + const OP 0``: an order (``a <= b``), a bound (``a >= 0``)
    or an affine equality (``total = a + b``). Mixup keeps an equality for every weight
    and an inequality for weights inside each pair's exact interval (THEORY.md §10).

    ``target`` (equalities) is the column recomputed from the others after rounding,
    ``decimals`` its decimal places (None: full precision): the rule then holds to half
    a unit of that place.
    """

    coefs: tuple[tuple[str, float], ...]
    const: float = 0.0
    op: str = "<="
    text: str = ""
    target: str | None = None
    decimals: int | None = None
    origin: str = "declared"
    #: A strict order found in the data is kept as ``form + margin <= 0``, ``margin`` the
    #: smallest real gap: mixing keeps that, and rounding on one grid keeps a gap of
    #: whole steps, where ``form < 0`` could round to equal. The rule stated and checked
    #: in reports is ``form < 0``.
    margin: float = 0.0

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.coefs)

    @property
    def kept(self) -> Linear:
        """The form the engine keeps (the rule itself, or with its margin)."""
        if not self.margin:
            return self
        return dataclasses.replace(self, const=self.const + self.margin, op="<=", margin=0.0)

    @property
    def kind(self) -> str:
        if self.op == "==":
            return "equality"
        signs = sorted(coef for _, coef in self.coefs)
        return "order" if signs == [-1.0, 1.0] else "inequality"

    def form(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """The left-hand side ``sum(coefs * values) + const`` of every row."""
        total = np.full(len(next(iter(values.values()))), self.const, dtype=np.float64)
        term = None  # a coefficient of 1 or -1 adds or subtracts the column (as exactly)
        for name, coef in self.coefs:
            if coef == 1:
                total += values[name]
            elif coef == -1:
                total -= values[name]
            else:
                term = np.multiply(values[name], coef, out=term)
                total += term
        return total

    def tolerance(self, values: dict[str, np.ndarray]) -> float | np.ndarray:
        """How far from 0 an equality may be: half a unit of the target's last decimal
        (the input rounded it), else float64's error on the terms."""
        scale = np.full(len(values[self.coefs[0][0]]), abs(self.const))
        for name, coef in self.coefs:
            scale += abs(coef) * np.abs(values[name])
        slack = 1e-9 * scale
        if self.target is not None and self.decimals is not None:
            weight = abs(dict(self.coefs)[self.target])
            return weight * 0.5 * 10.0 ** (-self.decimals) * (1 + 1e-6) + slack
        return slack

    def holds(self, values: dict[str, np.ndarray]) -> np.ndarray:
        return ~self.breaks(values)

    def breaks(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """Where each row breaks the rule (a NaN form, a value missing, compares false)."""
        form = self.form(values)
        with np.errstate(invalid="ignore"):
            if self.op == "<":
                return form >= 0
            # Within the tolerance's floor, or at most 0: holds, whatever the tolerance;
            # the tolerance (a pass per term) is worked out for the other rows only.
            if self.op == "==":
                np.abs(form, out=form)
            broken = form > self._floor()
            if self.op == "==" or self.const:  # a constant brings float64's error on the terms
                rows = np.flatnonzero(broken)
                if rows.size:
                    tolerance = self.tolerance({n: v[rows] for n, v in values.items()})
                    broken[rows] = form[rows] > tolerance
        return broken

    def _floor(self) -> float:
        """The least of :meth:`tolerance` over rows (half a unit of the target's place)."""
        if self.op == "==" and self.target is not None and self.decimals is not None:
            return abs(dict(self.coefs)[self.target]) * 0.5 * 10.0 ** (-self.decimals)
        return 0.0

    def describe(self) -> str:
        return self.text or _linear_text(self)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.describe(), "columns": list(self.columns)}


def _linear_text(rule: Linear) -> str:
    """``a <= b``, ``total = a + b - c``: the rule as people write it."""
    coefs = dict(rule.coefs)
    if rule.target is not None:
        weight = coefs[rule.target]
        terms = [(name, -coef / weight) for name, coef in rule.coefs if name != rule.target]
        return f"{rule.target} = {_terms(terms, -rule.const / weight)}"
    left = [(n, c) for n, c in rule.coefs if c > 0]
    right = [(n, -c) for n, c in rule.coefs if c < 0]
    op = {"<=": "<=", "<": "<"}[rule.op]
    return f"{_terms(left, max(rule.const, 0))} {op} {_terms(right, max(-rule.const, 0))}"


def _terms(terms: list[tuple[str, float]], const: float) -> str:
    parts = []
    for name, coef in terms:
        magnitude = abs(coef)
        body = name if magnitude == 1 else f"{magnitude:.10g} * {name}"
        parts.append(("- " if coef < 0 else "+ ") + body)
    if const or not parts:
        parts.append(("- " if const < 0 else "+ ") + f"{abs(const):.10g}")
    text = " ".join(parts)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


@dataclass(frozen=True)
class Unique:
    """The columns are unique together (a firm-year panel). Kept by copying them from
    the dominant donor (or, with ``copy_neighbours``, a near row's, a permutation of
    them): with balanced anchors and at most as many rows as the source, each real
    combination is used once."""

    columns: tuple[str, ...]
    origin: str = "declared"
    kind: str = "unique"

    def holds(self, values: dict[str, np.ndarray]) -> np.ndarray:
        return ~_duplicated([values[name] for name in self.columns])

    def describe(self) -> str:
        return f"unique together: {', '.join(self.columns)}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.describe(), "columns": list(self.columns)}


@dataclass(frozen=True)
class TimeIndex:
    """Dates (or whole years) that order the rows, one row per step, within each
    ``entity`` (a firm of a panel) or in the whole table. Kept: the column is copied from
    the dominant donor and partners are drawn near in time within the entity."""

    column: str
    entity: tuple[str, ...] = ()
    step: str = ""  #: the usual step between rows, e.g. "1 day"
    origin: str = "detected"
    kind: str = "time index"

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.entity, self.column)

    def holds(self, values: dict[str, np.ndarray]) -> np.ndarray:
        return Unique(self.columns).holds(values)

    def describe(self) -> str:
        per = f" per {', '.join(self.entity)}" if self.entity else ""
        return f"time index: {self.column}{per}" + (f", every {self.step}" if self.step else "")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.describe(), "columns": list(self.columns)}


#: Calendar grids a time column may sit on, with the check of one datetime64[s] vector.
GRIDS = ("yearly", "monthly", "weekly", "daily", "hourly")


@dataclass(frozen=True)
class Grid:
    """Every value of a time column on a calendar grid: 1 January (yearly), the 1st
    (monthly), one weekday at midnight (weekly), midnight (daily), whole hours."""

    column: str
    grid: str
    origin: str = "detected"
    kind: str = "grid"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def holds(self, values: dict[str, np.ndarray]) -> np.ndarray:
        return on_grid(values[self.column], self.grid, self.anchor(values[self.column]))

    def anchor(self, seconds: np.ndarray) -> float:
        """A weekly grid's weekday: the first value's."""
        present = np.isfinite(seconds[:1]) if seconds.size else np.zeros(0, dtype=bool)
        if not present.any():  # the first is missing (rarely): look further
            present = np.isfinite(seconds)
            if not present.any():
                return 0.0
        return float(seconds[int(np.argmax(present))])

    def describe(self) -> str:
        where = {
            "yearly": "on 1 January",
            "monthly": "on the 1st",
            "weekly": "one weekday",
            "daily": "at midnight",
            "hourly": "on the hour",
        }[self.grid]
        return f"{self.column}: {self.grid}, {where}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.describe(), "columns": [self.column]}


def on_grid(seconds: np.ndarray, grid: str, anchor: float = 0.0) -> np.ndarray:
    """Where times (seconds since the epoch, NaN missing) sit on ``grid``."""
    ok = np.isnan(seconds)
    finite = ~ok if ok.any() else slice(None)
    whole = seconds[finite]
    if grid in ("yearly", "monthly"):
        stamps = whole.astype("datetime64[s]")
        start = stamps.astype("datetime64[Y]" if grid == "yearly" else "datetime64[M]")
        ok[finite] = stamps == start.astype("datetime64[s]")
    else:
        step = {"weekly": 7 * 86_400, "daily": 86_400, "hourly": 3_600}[grid]
        whole = whole - anchor if grid == "weekly" else whole
        points = whole / step
        np.floor(points, out=points)  # then times the step: faster than np.mod
        points *= step
        if isinstance(finite, slice):
            np.equal(points, whole, out=ok)
        else:
            ok[finite] = points == whole
    return ok


@dataclass(frozen=True)
class Together:
    """Columns whose combinations occur only as in real rows (city and state): kept by
    copying them all from one donor (SDV's FixedCombinations)."""

    columns: tuple[str, ...]
    origin: str = "declared"
    kind: str = "combination"

    def holds(self, values: dict[str, np.ndarray]) -> np.ndarray:
        # Checked against the real combinations by RuleData.combinations.
        return np.ones(len(values[self.columns[0]]), dtype=bool)

    def describe(self) -> str:
        return f"fixed combinations: {', '.join(self.columns)}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.describe(), "columns": list(self.columns)}


@dataclass(frozen=True)
class Increments:
    """Every value a multiple of ``step`` (SDV's FixedIncrements)."""

    column: str
    step: float
    origin: str = "declared"
    kind: str = "increments"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def holds(self, values: dict[str, np.ndarray]) -> np.ndarray:
        x = values[self.column] / self.step
        with np.errstate(invalid="ignore"):
            return (np.abs(x - np.round(x)) <= 1e-9 * np.maximum(1, np.abs(x))) | np.isnan(x)

    def describe(self) -> str:
        return f"{self.column}: multiples of {self.step:g}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.describe(), "columns": [self.column]}


#: Parts of a date a column may be: the year, the quarter (1-4), the month (1-12), the day
#: of the month (1-31) and the day of the week (Monday 0, as pandas' ``dayofweek``).
PARTS = ("year", "quarter", "month", "day", "weekday")


def date_part(seconds: np.ndarray, part: str) -> np.ndarray:
    """``part`` of times in seconds since the epoch (UTC), float64, NaN where missing
    (numpy's calendar units: a floor to the year, month or day)."""
    missing = np.isnan(seconds)
    stamps = np.floor(np.where(missing, 0, seconds)).astype("datetime64[s]")
    if part == "year":
        values = stamps.astype("datetime64[Y]").astype(np.int64) + 1970
    elif part in ("month", "quarter"):
        values = stamps.astype("datetime64[M]").astype(np.int64) % 12 + 1
        if part == "quarter":
            values = (values - 1) // 3 + 1
    elif part == "day":
        days = stamps.astype("datetime64[D]")
        values = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    else:  # weekday: 1970-01-01 was a Thursday (3)
        values = (stamps.astype("datetime64[D]").astype(np.int64) + 3) % 7
    result = values.astype(np.float64)
    result[missing] = np.nan
    return result


@dataclass(frozen=True)
class DatePart:
    """``target = part(date)``: a number column that is a part of a time column (a
    signup year and its signup date). Kept: the target recomputed from the finished
    synthetic date in every row (a copied target takes its value from a real row that
    has it)."""

    target: str
    part: str
    date: str
    origin: str = "declared"
    kind: str = "date part"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.target, self.date)

    def holds(self, values: dict[str, np.ndarray]) -> np.ndarray:
        target, part = values[self.target], date_part(values[self.date], self.part)
        return (target == part) | np.isnan(target) | np.isnan(part)

    def describe(self) -> str:
        return f"{self.target} = {self.part}({self.date})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.describe(), "columns": list(self.columns)}


@dataclass(frozen=True)
class Formula:
    """A rule mixsynth cannot keep (not linear: ``subtotal = quantity * price``): only
    reported, with how often it holds."""

    text: str
    columns: tuple[str, ...]
    origin: str = "declared"
    kind: str = "formula"

    def holds(self, values: dict[str, np.ndarray]) -> np.ndarray:
        return evaluate(self.text, values)

    def describe(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.text, "columns": list(self.columns)}


@dataclass(frozen=True)
class Naming:
    """A text column whose every value holds another column's value as whole words
    (``Make`` "Chevrolet Camaro" holds ``Manufacturer`` "Chevrolet"), found in the data
    (:mod:`mixsynth.rules.names`). Kept by taking copied columns along the ties: the
    named column from the naming one's real row, or the other way round
    (:mod:`mixsynth.engine.neighbours`); checked on the text (:meth:`holds_text`)."""

    whole: str
    part: str
    origin: str = "detected"
    kind: str = "names"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.whole, self.part)

    def holds(self, values: dict[str, np.ndarray]) -> np.ndarray:
        # Codes say nothing of the text: checked by holds_text.
        return np.ones(len(values[self.whole]), dtype=bool)

    @staticmethod
    def holds_text(wholes: list[str | None], parts: list[str | None]) -> np.ndarray:
        """Where each row holds the rule (a missing value holds it)."""
        return np.array(
            [
                w is None or p is None or names_value(w, p)
                for w, p in zip(wholes, parts, strict=True)
            ],
            dtype=bool,
        )

    def describe(self) -> str:
        return f"{self.whole} names {self.part}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.describe(), "columns": list(self.columns)}


def placing(rules: Any) -> list[Rule]:
    """The rules that fix which row their columns come from (every kind but a naming,
    whose columns are tied in the copied columns' groups instead: :func:`naming_ties`)."""
    return [rule for rule in rules if not isinstance(rule, Naming)]


def naming_ties(rules: Any) -> tuple[tuple[str, str], ...]:
    """The (naming, named) columns of the namings among ``rules``: ties that copied
    columns taken apart follow (every other rule fixes where its columns come from)."""
    return tuple((rule.whole, rule.part) for rule in rules if isinstance(rule, Naming))


def names_value(whole: str, part: str) -> bool:
    """``part`` is whole words of ``whole``: found in it, with no letter or digit just
    before or after ("Camaro" in "Chevrolet Camaro", not "Ford" in "Fordham")."""
    start = whole.find(part) if part else -1
    while start >= 0:
        end = start + len(part)
        before = start == 0 or not whole[start - 1].isalnum()
        after = end == len(whole) or not whole[end].isalnum()
        if before and after:
            return True
        start = whole.find(part, start + 1)
    return False


Rule = Linear | Unique | TimeIndex | Grid | Together | Increments | DatePart | Formula | Naming


def common_rules(parts: list[tuple]) -> tuple:
    """The rules every part holds (the partitions of a Dask run, each with its own rules
    found): the same rule in each, a strict order with the smallest of its margins."""
    if not parts:
        return ()
    common = []
    for rule in parts[0]:
        found = [
            next((r for r in rules if r.describe() == rule.describe()), None) for rules in parts[1:]
        ]
        same = [other for other in found if other is not None]
        if len(same) < len(found):
            continue
        if isinstance(rule, Linear) and rule.margin:
            smallest = min([rule.margin] + [other.margin for other in same])
            common.append(dataclasses.replace(rule, margin=smallest))
        elif all(other == rule for other in same):
            common.append(rule)
    return tuple(common)


def _duplicated(vectors: list[np.ndarray]) -> np.ndarray:
    """Rows whose combination of values occurred in an earlier row (missing counts as a
    value of its own)."""
    codes = np.zeros(len(vectors[0]), dtype=np.int64)
    for vector in vectors:
        _, inverse = np.unique(_comparable(vector), return_inverse=True)
        codes = codes * (int(inverse.max(initial=0)) + 1) + inverse.ravel()
        _, codes = np.unique(codes, return_inverse=True)
        codes = codes.ravel()
    _, first = np.unique(codes, return_index=True)
    duplicated = np.ones(len(codes), dtype=bool)
    duplicated[first] = False
    return duplicated


def _comparable(vector: np.ndarray) -> np.ndarray:
    """A vector np.unique can sort: floats as they are (NaN equal to NaN), objects as text."""
    if vector.dtype.kind in "fiub":
        return vector
    return np.array([repr(value) for value in vector])
