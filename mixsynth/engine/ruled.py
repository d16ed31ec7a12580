"""What a generation does to keep the rules (:mod:`mixsynth.rules`), as a part of
:class:`~mixsynth.engine.memory.GenerationStream`: partners near in time, weights inside
each pair's interval, the ordered columns mixed, spread and kept on their orders, the
equalities recomputed and every row checked (docs/rules.md)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np

from mixsynth.choices import Bounds, Pairing
from mixsynth.columns import ColumnSpec
from mixsynth.engine.kernel import Pairs
from mixsynth.engine.reference import Reference
from mixsynth.errors import warn
from mixsynth.rules.data import seconds_per_unit
from mixsynth.rules.keep import restore_spread
from mixsynth.semantics.treatments import bound_keeping_variance


class RuleKeeping:
    """The rule-keeping steps of a GenerationStream (which holds the state they use:
    ``plan``, ``pairs``, ``reference``, ``source``, ``rngs``, ...)."""

    plan: Any
    pairs: Pairs
    reference: Reference
    source: Any
    options: Any
    rows: int
    mixed: list[ColumnSpec]
    rngs: dict
    outside: dict
    rule_swaps: int
    rule_repairs: int
    _free_w: np.ndarray | None
    _uniforms: np.ndarray | None
    _raws: dict
    _sources: dict
    _matched: dict
    # GenerationStream's own steps, which these build on.
    _column_source: Callable[..., Any]
    _mixed_values: Callable[..., np.ndarray]
    _mix_column: Callable[..., np.ndarray]

    def _say_repeats(self) -> None:
        """Columns unique together stay unique only when each real row is a dominant
        donor at most once: balanced anchors, at most as many rows as the source."""
        unique = [r for r in self.plan.rules if r.kind in ("unique", "time index")]
        if not unique:
            return
        if self.rows > self.source.rows or self.options.pairing is not Pairing.BALANCED:
            why = (
                f"{self.rows} rows from {self.source.rows}"
                if self.rows > self.source.rows
                else "--pairing iid"
            )
            warn(
                f"{unique[0].describe()}: with {why}, some real combinations repeat "
                "(give at most as many rows as the input, balanced pairing)",
                stacklevel=4,
            )

    def _keep_rules(self, rng: np.random.Generator, codes: np.ndarray) -> None:
        """Partners near in time along a time index, then each pair's weight inside its
        exact interval (:mod:`mixsynth.rules.keep`)."""
        from mixsynth.rules.keep import limit_weights, near_partners

        index = self.plan.time_index
        if index is not None:
            spec = next(s for s in self.reference.schema if s.name == index.column)
            encoding = self.reference.encodings[spec.name]
            time = np.asarray(self.source.encode(spec.name, spec.kind, encoding))
            blocks = codes * (int(time.size) + 1)
            if index.entity:
                blocks = blocks + self.source.group_keys(list(index.entity))
            other = near_partners(rng, self.pairs.dominant, time, blocks)
            self.pairs = Pairs(self.pairs.dominant, other, self.pairs.w, self.pairs.group_codes)
        if self.plan.inequalities:
            self._uniforms = rng.random(self.rows)
            raw = {name: self._raw(name) for name in self.plan.limited}
            limit = self.plan.weight_limits(raw, self.pairs.dominant, self.pairs.other)
            free = self.pairs.w.copy()
            self.rule_swaps = limit_weights(rng, self.pairs.w, limit)
            if self.rule_swaps:
                self._free_w = free

    def _raw(self, name: Any) -> np.ndarray:
        """A column's encoded source values, point mass included (a donor's own); for a
        copied column stored as numbers, its values as numbers. Made once, kept."""
        if name not in self._raws:
            self._raws[name] = self._raw_values(name)
        return self._raws[name]

    def _raw_values(self, name: Any) -> np.ndarray:
        if name not in self.reference.encodings:
            if name not in self._sources:
                kind = self.source.kind(name)
                values = self.source.encode(name, kind, self.source.encoding(name, kind))
                self._sources[name] = (np.asarray(values, dtype=np.float64), None, None)
            return self._sources[name][0]
        spec = next(s for s in self.reference.schema if s.name == name)
        source, _, at_mass = self._column_source(spec)
        if at_mass is None:
            return source
        point_mass = self.reference.semantics.columns[str(name)].point_mass
        return np.asarray(np.where(at_mass, point_mass, source))

    def _mix_keeping_rules(self, pool: Executor, pairs: Pairs, rows: slice) -> dict:
        """The slice's mixed columns as in :meth:`_mix_column` (finished, float64), the
        columns tied by orders mixed and kept on them first (:meth:`_ordered_columns`)."""
        ordered = [
            spec
            for spec in self.mixed
            if str(spec.name) in self.plan.limited and spec.name not in self._matched
        ]
        mixed = self._ordered_columns(pool, ordered, pairs, rows) if ordered else {}
        tasks = {
            spec.name: pool.submit(self._mix_column, spec, pairs, rows, mixed.get(spec.name))
            for spec in self.mixed
        }
        return {name: task.result() for name, task in tasks.items()}

    def _check_rules(self, values: dict, pairs: Pairs) -> None:
        """The rules kept on the whole rows of a slice, in place: equalities recomputed,
        then rows still breaking a rule repaired from their dominant donor."""
        tied = {name for rule in self.plan.checked for name in rule.columns}
        raw = {name: self._raw(name) for name in tied}
        rows = dict(values)
        for name in tied - set(values):  # copied: the dominant donor's
            rows[name] = raw[name][pairs.dominant]
        self.plan.recompute(rows)
        self.rule_repairs += self.plan.repair(rows, raw, pairs.dominant)

    def _ordered_columns(
        self, pool: Executor, ordered: list[ColumnSpec], pairs: Pairs, rows: slice
    ) -> dict[Any, np.ndarray]:
        """The columns tied by orders over one slice, mixed with the limited weights, given
        back the spread they have with the weights as drawn, kept in range; then the
        rows that those two per-column steps bent past an order (the rows on an edge)
        take the limited mix of their group again, clipped into range (clipping keeps
        orders, folding reverses them). Rounded later, with shared uniforms."""
        tasks = {spec.name: pool.submit(self._both_mixes, spec, pairs, rows) for spec in ordered}
        limited = {name: task.result()[0] for name, task in tasks.items()}
        free = {name: task.result()[1] for name, task in tasks.items()}
        values = {name: column.copy() for name, column in limited.items()}
        with np.errstate(over="ignore", invalid="ignore"):
            for spec in ordered:
                target = free[spec.name]
                if target is not None:
                    restore_spread(values[spec.name], *target)
                counts = bound_keeping_variance(
                    values[spec.name], *self.reference.ranges[spec.name], self.options.bounds
                )
                self.outside[str(spec.name)][0] += counts[0]
                self.outside[str(spec.name)][1] += counts[1]
            self.rule_repairs += self.plan.unbreak(values, limited)
            if self.options.bounds is not Bounds.NONE:
                for spec in ordered:
                    np.clip(
                        values[spec.name], *self.reference.ranges[spec.name], out=values[spec.name]
                    )
        return values

    def _both_mixes(
        self, spec: ColumnSpec, pairs: Pairs, rows: slice
    ) -> tuple[np.ndarray, tuple[float, float] | None]:
        """A ruled column mixed with the limited weights (overflows replaced), and the
        mean and standard deviation it has with the weights as drawn (None: the same).

        Only the rows whose weight was swapped differ, so those are mixed again; a column
        with missing values (replacement partners) is mixed again whole, with a twin of
        its random stream for the same partners."""
        source, observed_rows, _ = self._column_source(spec)
        twin = copy.deepcopy(self.rngs[spec.name]) if observed_rows is not None else None
        with np.errstate(over="ignore", invalid="ignore"):
            values = self._mixed_values(spec, pairs)
            replace_non_finite(values, source, pairs)
            if self._free_w is None:
                return values, None
            drawn = self._free_w[rows]
            if observed_rows is not None:
                free = Pairs(pairs.dominant, pairs.other, drawn, pairs.group_codes)
                whole = self._mixed_values(spec, free, twin)
                body = whole[np.isfinite(whole)]
                return values, (float(body.mean()), float(body.std()))
            changed = np.flatnonzero(drawn != pairs.w)
            partner = source[pairs.other[changed]]
            again = partner + drawn[changed] * (source[pairs.dominant[changed]] - partner)
            before = values[changed]
            count = values.size
            total = values.sum() - before.sum() + again.sum()
            # Not np.dot: BLAS threads spin on a busy machine (25 ms a call, measured).
            squares = np.square(values).sum() - np.square(before).sum() + np.square(again).sum()
        mean = total / count
        return values, (float(mean), float(np.sqrt(max(squares / count - mean * mean, 0.0))))

    def _shared_uniforms(self, spec: ColumnSpec, rows: slice) -> np.ndarray | None:
        """The uniforms a column tied by an order rounds with: one per row, the same for
        every such column, so rounding keeps each row's order (stochastic_round)."""
        if self._uniforms is None or str(spec.name) not in self.plan.limited:
            return None
        return self._uniforms[rows]


def rule_plan(reference: Reference, source: Any) -> Any:
    """The reference's rules compiled against its encodings (a copied column stored as
    numbers with its own), or None without rules."""
    if not reference.rules:
        return None
    from mixsynth.rules.keep import RulePlan, Scale

    scales = {}
    for name in source.names:
        kind = source.kind(name)
        if kind.is_mixed:
            encoding = reference.encodings.get(name) or source.encoding(name, kind)
            scales[str(name)] = Scale(float(encoding.offset), seconds_per_unit(source.dtype(name)))
    mixed = {str(spec.name) for spec in reference.schema if spec.kind.is_mixed}
    return RulePlan.of(list(reference.rules), scales, mixed)


def replace_non_finite(values: np.ndarray, source: np.ndarray, pairs: Pairs) -> None:
    """An overflow (inf, or inf - inf) takes the dominant donor's value; NaN where the
    dominant donor is missing stays (the donor's own NaN)."""
    bad = ~np.isfinite(values)
    if bad.any():
        values[bad] = source[pairs.dominant[bad]]
