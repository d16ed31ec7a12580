"""What a generation does to keep the rules (:mod:`mixsynth.rules`), as a part of
:class:`~mixsynth.engine.memory.GenerationStream`: partners near in time, the columns tied by
inequalities mixed with weights of their own inside each pair's interval and kept on
their orders, the equalities recomputed and every row checked (docs/rules.md)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np

from mixsynth.choices import Bounds, Pairing
from mixsynth.columns import ColumnSpec
from mixsynth.engine.kernel import Pairs
from mixsynth.engine.reference import Reference
from mixsynth.errors import MixsynthWarning
from mixsynth.rules.data import seconds_per_unit
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
    _rule_w: dict[str, np.ndarray]
    _spreads: dict[str, Any]
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
            warnings.warn(
                f"{unique[0].describe()}: with {why}, some real combinations repeat "
                "(give at most as many rows as the input, balanced pairing)",
                MixsynthWarning,
                stacklevel=4,
            )

    def _keep_rules(self, rng: np.random.Generator, codes: np.ndarray) -> None:
        """Partners near in time along a time index, then the weights of each group of
        columns tied by inequalities, each inside its pair's exact interval and spread
        back to the variance of the weights as drawn (:mod:`mixsynth.rules.keep`). The
        other columns keep the weights as drawn."""
        from mixsynth.rules.keep import (
            limit_weights,
            near_partners,
            range_limits,
            spread_weights,
        )

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
        if not self.plan.inequalities:
            return
        self._uniforms = rng.random(self.rows)
        dominant, other, drawn = self.pairs.dominant, self.pairs.other, self.pairs.w
        for rules in self.plan.weight_groups:
            names = sorted({name for rule in rules for name in rule.columns})
            specs = [self._spec(name) for name in names]
            # Each column's donors' values, once (NaN: missing or on a point mass, mixed
            # with a replacement partner: the row's limit is unknown, its weight kept).
            # Gathered as rows of one matrix: a random read fetches every column at once.
            stacked = np.column_stack([self._column_source(spec)[0] for spec in specs])
            rows_d, rows_o = stacked.take(dominant, axis=0), stacked.take(other, axis=0)
            at_dominant = list(rows_d.T)
            at_other = list(rows_o.T)
            limit = self.plan.weight_limits(
                dict(zip(names, at_dominant, strict=True)),
                dict(zip(names, at_other, strict=True)),
                rules,
            )
            if self.options.bounds is not Bounds.NONE:
                for spec, values_d, values_o in zip(specs, at_dominant, at_other, strict=True):
                    low, high = self.reference.ranges[spec.name]
                    if np.isfinite(low) and np.isfinite(high):
                        range_limits(limit, values_d, values_o, low, high)
            w = drawn.copy()
            self.rule_swaps += limit_weights(rng, w, limit)
            w, spreads = spread_weights(at_dominant, at_other, drawn, w, limit, rng)
            known = ~np.isnan(limit)
            for name, spread in zip(names, spreads, strict=True):
                self._spreads[name] = (spread, known)
                self._rule_w[name] = w

    def _spec(self, name: str) -> ColumnSpec:
        return next(s for s in self.reference.schema if str(s.name) == name)

    def _rule_pairs(self, spec: ColumnSpec, pairs: Pairs, rows: slice | None = None) -> Pairs:
        """``pairs`` (a slice's, at ``rows``; or the whole generation's) with the weights
        of the column's group of inequalities, if it is in one."""
        w = self._rule_w.get(str(spec.name))
        if w is None:
            return pairs
        return Pairs(pairs.dominant, pairs.other, w if rows is None else w[rows], pairs.group_codes)

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
        """The columns tied by inequalities over one slice, mixed with their group's
        weights and kept in range; the rows that bounds bent past an order (a value
        folded back reverses two values past the same end) take the mix again, clipped
        into range (clipping keeps orders). Rounded later, with shared uniforms."""
        tasks = {spec.name: pool.submit(self._limited_mix, spec, pairs, rows) for spec in ordered}
        values = {name: task.result() for name, task in tasks.items()}
        limited = {name: column.copy() for name, column in values.items()}
        bounded = self.options.bounds is not Bounds.NONE
        with np.errstate(over="ignore", invalid="ignore"):
            spread = False
            for spec in ordered:
                given, known = self._spreads[str(spec.name)]
                if given is not None:
                    given.apply(values[spec.name], known[rows])
                    spread = True
            if spread:
                self.rule_repairs += self.plan.unbreak(values, limited)
            bent = False
            for spec in ordered:
                counts = bound_keeping_variance(
                    values[spec.name], *self.reference.ranges[spec.name], self.options.bounds
                )
                self.outside[str(spec.name)][0] += counts[0]
                self.outside[str(spec.name)][1] += counts[1]
                bent = bent or (bounded and bool(counts[0]))
            if bent:
                self.rule_repairs += self.plan.unbreak(values, limited)
                for spec in ordered:
                    np.clip(
                        values[spec.name], *self.reference.ranges[spec.name], out=values[spec.name]
                    )
        return values

    def _limited_mix(self, spec: ColumnSpec, pairs: Pairs, rows: slice) -> np.ndarray:
        """A column tied by inequalities mixed with its group's weights, overflows
        replaced by the dominant donor's value."""
        source = self._column_source(spec)[0]
        with np.errstate(over="ignore", invalid="ignore"):
            values = self._mixed_values(spec, self._rule_pairs(spec, pairs, rows))
            replace_non_finite(values, source, pairs)
        return values

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
