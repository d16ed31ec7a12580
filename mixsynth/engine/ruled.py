"""What a generation does to keep the rules (:mod:`mixsynth.rules`), as a part of
:class:`~mixsynth.engine.memory.GenerationStream`: partners near in time, the columns tied by
inequalities mixed with weights of their own inside each pair's interval and kept on
their orders, the equalities recomputed and every row checked (docs/rules.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixsynth.choices import Bounds, Pairing
from mixsynth.columns import ColumnSpec
from mixsynth.engine.finishing import finish_column, replace_non_finite
from mixsynth.engine.kernel import Pairs, difference_term
from mixsynth.engine.reference import Reference
from mixsynth.errors import warn
from mixsynth.rules.data import seconds_per_unit
from mixsynth.semantics.treatments import bound_keeping_variance


@dataclass
class WeightGroup:
    """Columns tied by inequalities, mixed with weights of their own (docs/rules.md)."""

    rules: list  #: its inequalities
    specs: list[ColumnSpec]  #: its columns
    sources: list[np.ndarray]  #: their encoded sources (NaN: missing, point mass)
    rng: np.random.Generator  #: for its weight swaps under a privacy margin, slice after slice
    factor: float = 1.0  #: its weights' spread (weights.spread_weights)
    spreads: list = field(default_factory=list)  #: each column's Spread (or None)
    whole: np.ndarray | None = None  #: its weights for every row (small tables, matching)


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
    rule_folds: int
    rule_repairs: int
    _groups: list[tuple[str, WeightGroup]]
    _computed: frozenset = frozenset()  #: equalities' targets, computed, not mixed
    _uniforms: np.ndarray | None
    _raws: dict
    _sources: dict
    _matched: dict
    # GenerationStream's own steps, which these build on.
    _column_source: Callable[..., Any]
    _others: Callable[..., np.ndarray]
    _replaced: dict
    _replacement_partners: Callable[[], dict]
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
        """Partners near in time along a time index, then the weights of each group of
        columns tied by inequalities, each inside its pair's exact interval and spread
        back to the variance of the weights as drawn (:mod:`mixsynth.rules.keep`, :mod:`mixsynth.rules.weights`). The
        other columns keep the weights as drawn."""
        from mixsynth.rules.dates import near_partners
        from mixsynth.rules.weights import SPREAD_SAMPLE, extend_weights, spread_weights

        self._computed = self._computed_targets()
        for name in self._computed:  # never mixed: no share outside the range to report
            self.outside.pop(str(name), None)
        index = self.plan.time_index
        if index is not None:
            spec = next(s for s in self.reference.schema if s.name == index.column)
            encoding = self.reference.encodings[spec.name]
            time = np.asarray(self.source.encode(spec.name, spec.kind, encoding))
            blocks = codes * (int(time.size) + 1)
            if index.entity:
                blocks = blocks + self.source.group_keys(list(index.entity))
            other = near_partners(rng, self.pairs.dominant, time, blocks)
            self.pairs = dataclasses.replace(self.pairs, other=other)
            self._replaced = self._replacement_partners()  # for the new partners
        if not self.plan.inequalities:
            return
        self._uniforms = rng.random(self.rows)
        # Each group's spread is solved once on a sample of the rows (or all of them).
        sample, pairs = None, self.pairs
        if self.rows > SPREAD_SAMPLE:
            sample = np.sort(rng.choice(self.rows, SPREAD_SAMPLE, replace=False))
            pairs = Pairs(
                pairs.dominant[sample], pairs.other[sample], pairs.w[sample], pairs.group_codes
            )
        for rules in self.plan.weight_groups:
            names = self.plan.group_columns(rules)
            group = WeightGroup(
                rules,
                [self._spec(name) for name in names],
                [self._column_source(self._spec(name))[0] for name in names],
                rng.spawn(1)[0],
            )
            everywhere = slice(None) if sample is None else sample
            w, limit, known, steps, rows_o, changed = self._group_weights(
                group, pairs, at=everywhere
            )
            group.factor, group.spreads = spread_weights(steps, rows_o, pairs.w, w, limit)
            if sample is None:  # solved on every row: these very weights are used
                group.whole = extend_weights(w, limit, group.factor, known)
                self.rule_folds += changed
            self._groups.extend((name, group) for name in names)

    def _computed_targets(self) -> frozenset:
        """The mixed columns an equality recomputes in every row where the dominant donor
        holds a value (:meth:`_check_rules`): mixing them would be thrown away, so each
        slice only takes the dominant donor's value, whose missing rows stay missing as a
        mix's do. Mixed after all when their mix is looked at before: by moment or shape
        matching, or by copy neighbours, which pick donors by the mixed values."""
        options = self.options
        if options.match_moments or options.matches_shapes or options.copy_neighbours:
            return frozenset()
        targets = {rule.target for rule in self.plan.equalities}
        return frozenset(spec.name for spec in self.mixed if str(spec.name) in targets)

    def _group_weights(
        self,
        group: WeightGroup,
        pairs: Pairs,
        rows: slice | None = None,
        at: slice | np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray], int]:
        """A group's weights for ``pairs``, each inside its pair's interval: the rows over
        their limit folded back under it (:func:`~mixsynth.rules.weights.fold_weights`;
        under a privacy margin swapped with rows that can take their weight), then spread
        by the group's factor; with each row's limit (NaN:
        unknown, a donor missing or on a point mass in every rule: its weight kept),
        where it is known,
        the donors' values (each column's steps, dominant minus other, and the others',
        gathered once for the limits and the mix) and the rows folded. ``at``: the synthetic
        rows ``pairs`` are (default ``rows``, else all), for the replacement partners of
        donors missing a value, drawn before the limits so that their rules limit the
        row too (:meth:`~mixsynth.engine.memory.GenerationStream._others`)."""
        from mixsynth.rules.weights import (
            extend_weights,
            fold_weights,
            inside_edge,
            range_limits,
            swap_weights,
        )

        at = (slice(None) if rows is None else rows) if at is None else at
        rows_o = [
            source.take(self._others(spec.name, pairs.other, at))
            for spec, source in zip(group.specs, group.sources, strict=True)
        ]
        steps = [source.take(pairs.dominant) for source in group.sources]
        with np.errstate(invalid="ignore"):
            for step, partner in zip(steps, rows_o, strict=True):
                step -= partner
        names = [str(spec.name) for spec in group.specs]
        limit = self.plan.weight_limits(
            dict(zip(names, steps, strict=True)),
            dict(zip(names, rows_o, strict=True)),
            group.rules,
        )
        unknown = np.isnan(limit)
        if self.options.bounds is not Bounds.NONE:
            for spec, step, values_o in zip(group.specs, steps, rows_o, strict=True):
                low, high = self.reference.ranges[spec.name]
                if np.isfinite(low) and np.isfinite(high):
                    range_limits(limit, step, values_o, low, high)
            limit[unknown] = np.nan
        inside_edge(limit)
        known = np.logical_not(unknown, out=unknown)
        if rows is not None and group.whole is not None:  # made for every row already
            return group.whole[rows], limit, known, steps, rows_o, 0
        w = pairs.w.copy()
        if self.options.privacy_margin:  # a fold would cross the margin's gap
            changed = swap_weights(group.rng, w, limit, known)
        else:
            changed = fold_weights(w, limit, known)
        return extend_weights(w, limit, group.factor, known), limit, known, steps, rows_o, changed

    def _spec(self, name: str) -> ColumnSpec:
        return next(s for s in self.reference.schema if str(s.name) == name)

    def _rule_pairs(self, spec: ColumnSpec, pairs: Pairs) -> Pairs:
        """The whole generation's ``pairs`` with the weights of the column's group of
        inequalities, if it is in one (for moment and shape matching)."""
        group = dict(self._groups).get(str(spec.name))
        if group is None:
            return pairs
        assert group.whole is not None  # made by _whole_columns before its threads start
        return dataclasses.replace(pairs, w=group.whole)

    def _whole_columns(self, pool: Executor) -> dict[Any, np.ndarray]:
        """Every mixed column over the whole generation, before matching, each with the
        weights of its group of inequalities; with four donors the rows the difference
        takes past an order moved back towards the two-row mix (RulePlan.unbreak)."""
        ordered = self.plan.limited if self.plan is not None and self.plan.inequalities else ()
        two_row: dict[Any, np.ndarray] = {}  # four donors: the fallback of ordered columns
        # Each group's weights once, in turn, from its own stream: a column's thread making
        # them as it needs them raced its group's other columns (a seed gave two outputs).
        for group in {id(g): g for _, g in self._groups}.values():
            if group.whole is None:
                group.whole, *_, changed = self._group_weights(group, self.pairs)
                self.rule_folds += changed

        def mixed(spec: ColumnSpec) -> np.ndarray:
            pairs = self._rule_pairs(spec, self.pairs)
            source, observed_rows, _ = self._column_source(spec)
            with np.errstate(over="ignore", invalid="ignore"):
                values = self._mixed_values(spec, pairs, difference=False)
                if pairs.spread is not None:
                    if str(spec.name) in ordered:
                        two_row[spec.name] = values.copy()
                        replace_non_finite(two_row[spec.name], source, self.pairs)
                    values += difference_term(self.rngs[spec.name], source, pairs, observed_rows)
                replace_non_finite(values, source, self.pairs)
            return values

        tasks = {spec.name: pool.submit(mixed, spec) for spec in self.mixed}
        columns = {name: task.result() for name, task in tasks.items()}
        if two_row:
            self.rule_repairs += self.plan.unbreak(columns, two_row)
        return columns

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
        # The other columns first: they are mixed while the orders are kept.
        tasks = {
            spec.name: pool.submit(self._mix_column, spec, pairs, rows)
            for spec in self.mixed
            if spec not in ordered and spec.name not in self._computed
        }
        mixed = self._ordered_columns(pool, ordered, pairs, rows) if ordered else {}
        unrounded = {name: column.copy() for name, column in mixed.items()}
        for spec in ordered:
            tasks[spec.name] = pool.submit(self._mix_column, spec, pairs, rows, mixed[spec.name])
        finished = {
            spec.name: self._raw(spec.name)[pairs.dominant]  # recomputed (_check_rules)
            if spec.name in self._computed
            else tasks[spec.name].result()
            for spec in self.mixed
        }
        if ordered:
            self._round_apart(ordered, unrounded, finished, pairs, rows)
        return finished

    def _round_apart(
        self, ordered: list[ColumnSpec], unrounded: dict, finished: dict, pairs: Pairs, rows: slice
    ) -> None:
        """Rows that rounding took past an order rounded again, in place, from the same
        values with the same shrink, each column towards its side of the order
        (:func:`.rule_edges.rounding_sides`): shared uniforms keep an order only on one
        grid, and a row on its edge (``a == b``, ``a`` on 6 decimals, ``b`` on 5) broke it
        half the time and took its donor's values back (:meth:`_check_rules`: breast
        cancer's concavity columns lost 1-1.8 % of their variance a generation at
        ``--privacy-margin 0.3``). Calendar columns (their own draws) are left to that."""
        from mixsynth.engine.rule_edges import rounding_sides

        specs = {str(spec.name): spec for spec in ordered if str(spec.name) in finished}
        sides = rounding_sides(
            self.plan, {name: finished[spec.name] for name, spec in specs.items()}
        )
        for name, side in sides.items():
            spec = specs[name]
            uniforms = self._shared_uniforms(spec, rows)
            if not side.any() or uniforms is None or str(name) in self.plan.calendar:
                continue
            at = side != 0
            at_mass = self._column_source(spec)[2]
            if at_mass is not None:  # the point mass, as _mix_column gives it back
                at &= ~at_mass[pairs.dominant]
            at = np.flatnonzero(at)  # rounding is row by row: only these rows again
            uniforms = np.where(side[at] < 0, 0.0, np.nextafter(1.0, 0.0))  # down, up
            values = unrounded[spec.name][at]
            with np.errstate(over="ignore", invalid="ignore"):
                finish_column(
                    self.rngs[spec.name],
                    values,
                    self._column_source(spec)[0],
                    pairs.rows(at),
                    spec,
                    self.reference,
                    self.options,
                    bounded=True,
                    uniforms=uniforms,
                )
            finished[spec.name][at] = values

    def _check_rules(self, values: dict, pairs: Pairs, donors: dict) -> None:
        """The rules kept on the whole rows of a slice, in place: equalities recomputed,
        then rows still breaking a rule repaired from their dominant donor, then the
        parts of dates computed from the finished dates (``donors``: the rows each
        copied column is taken from, changed for a copied part). Before copy repair,
        which moves the columns a rule ties together from row to row, so breaks none."""
        tied = {name for rule in self.plan.checked for name in rule.columns}
        raw = {name: self._raw(name) for name in tied}
        rows = dict(values)
        for name in tied - set(values):  # copied: the dominant donor's
            rows[name] = raw[name][pairs.dominant]
        self.plan.recompute(rows)
        self.rule_repairs += self.plan.repair(rows, raw, pairs.dominant)
        for rule in self.plan.parts:
            self._keep_part(rule, values, pairs, donors)

    def _copy_units(self, mixed: dict) -> tuple[list, dict | None]:
        """The columns copy repair moves together, and those of orders that may move alone
        (:attr:`~mixsynth.rules.keep.RulePlan.units`, ``alone``)."""
        if self.plan is None:
            return [], None
        return self.plan.units, self.plan.alone(mixed)

    def _keep_part(self, rule: Any, values: dict, pairs: Pairs, donors: dict) -> None:
        """``rule.target`` set to the part of the finished date in every row: a mixed
        target written (encoded), a copied one taken from a real row with that value, so
        it keeps real values. A row whose part no real row has (a date extrapolated past
        the real years) takes its date, with the columns tied to it by rules, and its
        part from its dominant donor, which holds the rule."""
        from mixsynth.rules.model import date_part

        plan = self.plan
        if rule.date in values:
            date = values[rule.date]
        else:  # copied: from its donor
            date = self._raw(rule.date)[donors.get(rule.date, pairs.dominant)]
        # As decoding does: whole units, truncated (the values are rounded already).
        part = date_part(plan.native(rule.date, np.trunc(date)), rule.part)
        if rule.target in values:
            target = values[rule.target]
            present = ~np.isnan(target) & ~np.isnan(part)
            target[present] = plan.encoded(rule.target, part[present])
            return
        real = plan.native(rule.target, self._raw(rule.target))
        taken = donors.get(rule.target, pairs.dominant)
        current = real[taken]
        with np.errstate(invalid="ignore"):
            wrong = np.flatnonzero(~np.isnan(part) & ~np.isnan(current) & (current != part))
        if wrong.size == 0:
            return
        if rule.target not in plan.lookup:  # each real value and a row that has it, once
            plan.lookup[rule.target] = np.unique(real, return_index=True)
        known, first = plan.lookup[rule.target]
        at = np.minimum(np.searchsorted(known, part[wrong]), known.size - 1)
        found = known[at] == part[wrong]
        taken = taken.copy()
        taken[wrong[found]] = first[at[found]]
        lost = wrong[~found]
        if lost.size:
            taken[lost] = pairs.dominant[lost]
            for name in plan.components.get(rule.date, (rule.date,)):
                if name in values:
                    values[name][lost] = self._raw(name)[pairs.dominant[lost]]
            if rule.date in donors:
                donors[rule.date] = donors[rule.date].copy()
                donors[rule.date][lost] = pairs.dominant[lost]
            self.rule_repairs += int(lost.size)
        donors[rule.target] = taken

    def _ordered_columns(
        self, pool: Executor, ordered: list[ColumnSpec], pairs: Pairs, rows: slice
    ) -> dict[Any, np.ndarray]:
        """The columns tied by inequalities over one slice, each group mixed with its own
        weights (:meth:`_group_weights`), given back its mean and spread, kept in range;
        the rows those per-column steps bent past an order move back towards the mix,
        in range too, as far as their orders need. Rounded later, with shared uniforms."""
        wanted = {spec.name for spec in ordered}
        groups = {id(group): group for _, group in self._groups}.values()
        tasks = [pool.submit(self._mix_group, group, pairs, rows) for group in groups]
        values: dict[Any, np.ndarray] = {}
        known: dict[Any, np.ndarray] = {}
        for task in tasks:
            mixed, rows_known, changed, repairs = task.result()
            self.rule_folds += changed
            self.rule_repairs += repairs
            for name, column in mixed.items():
                if name in wanted:
                    values[name], known[name] = column, rows_known
        limited = {name: column.copy() for name, column in values.items()}
        bounded = self.options.bounds is not Bounds.NONE
        spreads = dict(self._spreads_of())
        with np.errstate(over="ignore", invalid="ignore"):
            moved = set()
            for spec in ordered:
                given = spreads.get(str(spec.name))
                if given is not None:
                    given.apply(values[spec.name], known[spec.name])
                    moved.add(str(spec.name))
            for spec in ordered:
                counts = bound_keeping_variance(
                    values[spec.name], *self.reference.ranges[spec.name], self.options.bounds
                )
                self.outside[str(spec.name)][0] += counts[0]
                self.outside[str(spec.name)][1] += counts[1]
                if bounded and counts[0]:
                    moved.add(str(spec.name))
            if moved and self.options.privacy_margin:  # its rows extrapolate most
                from mixsynth.engine.rule_edges import unbreak_keeping_variance

                self.rule_repairs += unbreak_keeping_variance(
                    self.plan, values, limited, known, moved, self.reference.ranges, self.options
                )
            elif moved:  # only the groups whose columns moved; between two in-range mixes
                self.rule_repairs += self.plan.unbreak(values, limited, moved)
        return values

    def _spreads_of(self) -> list[tuple[str, Any]]:
        return [
            (str(spec.name), spread)
            for group in {id(g): g for _, g in self._groups}.values()
            for spec, spread in zip(group.specs, group.spreads, strict=True)
        ]

    def _mix_group(
        self, group: WeightGroup, pairs: Pairs, rows: slice
    ) -> tuple[dict, np.ndarray, int, int]:
        """A group's columns over one slice, mixed with the group's weights from its
        donors' values (gathered once for the limits and the mix; a donor missing or on
        a point mass replaced by the column's partner, as every column's is); overflows
        take the dominant donor's value. With four donors the difference is added and
        the rows it takes past an order moved back towards the two-row mix. Returns the
        columns, the rows whose limits are known, the rows folded and the rows moved back."""
        w, _, known, steps, rows_o, changed = self._group_weights(group, pairs, rows=rows)
        limited = dataclasses.replace(pairs, w=w)
        mixed, two_row = {}, {}
        with np.errstate(over="ignore", invalid="ignore"):
            for spec, values, partner in zip(group.specs, steps, rows_o, strict=True):
                values *= w  # the step, mixed in place
                values += partner
                source, observed_rows, _ = self._column_source(spec)
                replace_non_finite(values, source, limited)
                if pairs.spread is not None:  # four donors: the difference, orders kept
                    two_row[spec.name] = values.copy()
                    values += difference_term(self.rngs[spec.name], source, pairs, observed_rows)
                    replace_non_finite(values, source, limited)
                mixed[spec.name] = values
        repairs = 0
        if two_row:  # rows it takes past an order move back towards the pair's mix
            repairs = self.plan.unbreak(mixed, two_row, set(map(str, two_row)))
        return mixed, known, changed, repairs

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
