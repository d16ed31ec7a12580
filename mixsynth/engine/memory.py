"""The in-memory engine: one generation made slice by slice
(:class:`GenerationStream`), and the generations loop (:func:`run_generations`)."""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from mixsynth.choices import THREADS, Bounds, Pairing
from mixsynth.columns import (
    ColumnSpec,
    columns_of,
    group_codes,
)
from mixsynth.engine.kernel import (
    ObservedRows,
    Pairs,
    draw_pairs,
    mixup_kernel,
    repair_missing_partners,
)
from mixsynth.engine.options import Generation, SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.errors import MixsynthError, MixsynthWarning
from mixsynth.rules.data import seconds_per_unit
from mixsynth.rules.keep import restore_spread
from mixsynth.semantics.treatments import (
    bound_keeping_variance,
    made_up_values,
    mass_rows,
    round_to_decimals,
    stochastic_round,
)

#: Output rows made per slice (see GenerationStream): a power of two near 10^5, large
#: enough that per-slice overheads vanish and that integer rounding's variance
#: compensation, estimated per slice, is precise.
SLICE_ROWS = 1 << 17
#: Rounds of shape matching, moment correction and bounds with ``match_moments``.
MATCH_ROUNDS = 3


def synthesize(
    table: Any,
    options: SynthesisOptions,
    rng: np.random.Generator,
    reference: Reference | None = None,
    index: int = 1,
) -> Generation:
    """One generation: ``options.rows`` (default all) rows mixed from ``table``.

    ``table`` is a pandas DataFrame or a pyarrow Table; the generation is of the same type.
    """
    stream = GenerationStream(table, options, rng, reference, index)
    return stream.finish(stream.source.concat(list(stream)))


#: Below this many mixed values a generation is made on the calling thread: starting
#: threads costs more than they save (a 20-row table: 8 ms against 16-23 ms, measured).
THREADED_VALUES = 1 << 15


class InlineExecutor(Executor):
    """Runs each task at once on the calling thread (the executor of small tables)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to result(), as a thread pool does
            future.set_exception(error)
        return future


class GenerationStream:
    """One generation, made slice by slice: iterating yields its rows in order, as
    tables of the source's type, and :meth:`finish` then describes the whole.

    All pairs and weights are drawn first; then each slice of ``SLICE_ROWS`` rows is
    mixed on :data:`THREADS` threads, a column per task, each mixed column from its own
    random stream. A writer can so store a slice while the next one is made, and the
    temporary arrays stay the size of a slice, not of the table. Each column is
    gathered from its own float64 vector, not a row-major copy of the table: the same
    speed on 1M x 20 (0.45 s either way), and 80 MiB less memory.
    """

    def __init__(
        self,
        table: Any,
        options: SynthesisOptions,
        rng: np.random.Generator,
        reference: Reference | None = None,
        index: int = 1,
    ) -> None:
        options.check()
        self.options, self.index = options, index
        self.reference = reference or Reference.of(table, options)
        self.source = columns_of(table)
        if self.reference.association_columns:
            from mixsynth.engine.associations import pooled_group_codes

            codes = pooled_group_codes(table, options.by, self.reference.association_columns)
        else:
            codes = group_codes(table, options.by)
        sizes = np.bincount(codes)
        self.groups_count = len(sizes)
        if self.source.rows == 1:
            warnings.warn(
                "the table has a single row; every synthetic row is a copy of it",
                MixsynthWarning,
                stacklevel=3,
            )
        elif options.by and (sizes == 1).any():
            warnings.warn(
                f"{int((sizes == 1).sum())} --by group(s) have a single row; "
                "their synthetic rows are copies of it",
                MixsynthWarning,
                stacklevel=3,
            )
        self.rows = options.rows or self.source.rows
        self.pairs, self.weights = draw_pairs(
            rng, codes, self.rows, options.pairing, lambda n, size: options.weights_for(n, size)
        )
        self.plan = rule_plan(self.reference, self.source)
        kept = self.plan.copied if self.plan else ()
        self.mixed = [s for s in self.reference.schema if s.kind.is_mixed and s.name not in kept]
        made_up = self.reference.real_values
        self.copied = [
            s.name
            for s in self.reference.schema
            if (not s.kind.is_mixed or s.name in kept) and s.name not in made_up
        ]
        names = [s.name for s in self.mixed]
        self.rngs = dict(zip(names, rng.spawn(len(names)), strict=True))
        # Made-up columns draw after the mixed ones, so that these keep their streams.
        self.made_up = {
            name: made_up_values(
                self.reference.semantics.columns[str(name)],
                self.rows,
                column_rng,
                self.reference.real_values[name],
                options.locale,
            )
            for name, column_rng in zip(made_up, rng.spawn(len(made_up)), strict=True)
        }
        self.outside = {str(name): [0, 0] for name in names}  #: [outside range, observed]
        self._sources: dict = {}
        self._missing: dict = {}
        self._matched: dict[Any, np.ndarray] = {}  #: whole mixed columns (match_*)
        self.moment_match = None  #: how the moments were matched, once iterated
        self.rule_swaps = self.rule_repairs = 0  #: weights swapped, rows repaired (rules)
        self._free_w: np.ndarray | None = None  #: the weights as drawn, before rules
        self._uniforms: np.ndarray | None = None  #: shared by ordered columns' rounding
        self._raws: dict[Any, np.ndarray] = {}  #: source columns as rules see them
        if self.plan is not None:
            self._say_repeats()
            self._keep_rules(rng, codes)

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
        return np.where(at_mass, self.reference.semantics.columns[str(name)].point_mass, source)

    def __iter__(self) -> Iterator[Any]:
        small = self.rows * max(1, len(self.mixed)) < THREADED_VALUES
        with InlineExecutor() if small else ThreadPoolExecutor(max_workers=THREADS) as pool:
            if self.options.match_moments or self.options.match_shapes:
                self._match_whole_columns(pool)
            for start in range(0, self.rows, SLICE_ROWS):
                yield self._slice(pool, slice(start, min(start + SLICE_ROWS, self.rows)))
        self._sources.clear()
        self._raws.clear()
        self._matched.clear()

    def _slice(self, pool: Executor, rows: slice) -> Any:
        pairs = self.pairs.rows(rows)
        if self.plan is None:
            mixing = {
                spec.name: pool.submit(self._mix_column, spec, pairs, rows) for spec in self.mixed
            }
        else:
            mixing = self._mix_keeping_rules(pool, pairs, rows)
        copying = pool.submit(self.source.take, self.copied, pairs.dominant)
        columns = copying.result()
        columns.update({name: task.result() for name, task in mixing.items()})
        for name, values in self.made_up.items():
            # Missing where the dominant donor is missing, as for every other column.
            missing = self._missing_rows(name)
            columns[name] = self.source.made_up(
                name, values[rows], None if missing is None else missing[pairs.dominant]
            )
        return self.source.build(columns)

    def _missing_rows(self, name: Any) -> np.ndarray | None:
        if name not in self._missing:
            self._missing[name] = self.source.missing_rows(name)
        return self._missing[name]

    def _mixed_values(
        self, spec: ColumnSpec, pairs: Pairs, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """The column mixed for ``pairs``, before bounds and rounding; NaN where the
        dominant donor is missing or on the point mass."""
        source, observed_rows, _ = self._column_source(spec)
        values = mixup_kernel(source[:, None], pairs.dominant, pairs.other, pairs.w)[:, 0]
        if observed_rows is not None:
            rng = rng or self.rngs[spec.name]
            repair_missing_partners(rng, source, values, pairs, observed_rows)
        return values

    def _match_whole_columns(self, pool: Executor) -> None:
        """Every mixed column of the whole generation, matched to the source: its
        shape within the pairing groups (``match_shapes``, :mod:`.shapes`), then its
        mean vector and covariance (``match_moments``, :mod:`.moments`), then kept in
        range. With both, the three steps alternate :data:`MATCH_ROUNDS` times,
        moments and bounds last: each step bends the others' result a little, and the
        next round is a smaller move (measured: docs/structure.md). The slices take
        their rows from here. Holds the mixed columns in memory."""

        def mixed(spec: ColumnSpec) -> np.ndarray:
            with np.errstate(over="ignore", invalid="ignore"):
                values = self._mixed_values(spec, self.pairs)
                _replace_non_finite(values, self._column_source(spec)[0], self.pairs)
            return values

        tasks = {spec.name: pool.submit(mixed, spec) for spec in self.mixed}
        self._matched = {name: task.result() for name, task in tasks.items()}
        # Mixed with weights inside each pair's interval, these keep every order: the
        # rows that matching bends past an order get them back (RulePlan.unbreak).
        unmatched = {}
        if self.plan is not None and self.plan.inequalities:
            unmatched = {n: v.copy() for n, v in self._matched.items() if n in self.plan.limited}
        sources = {spec.name: self._column_source(spec)[0] for spec in self.mixed}
        targets = self._shape_targets(sources, pool) if self.options.match_shapes else {}
        for round_ in range(MATCH_ROUNDS if self.options.match_moments else 1):
            if self.options.match_shapes:
                self._match_shapes(sources, targets, pool)
            if self.options.match_moments:
                from mixsynth.engine.moments import match_moments

                self.moment_match = match_moments(sources, self._matched)
            for spec in self.mixed:
                counts = bound_keeping_variance(
                    self._matched[spec.name],
                    *self.reference.ranges[spec.name],
                    self.options.bounds,
                )
                if round_ == 0:
                    self.outside[str(spec.name)] = list(counts)
            if unmatched:  # each round, so that the next one matches what it left
                repaired = self.plan.unbreak(self._matched, unmatched)
        if unmatched:
            self.rule_repairs += repaired

    def _shape_targets(self, sources: dict[Any, np.ndarray], pool: Executor) -> dict[Any, Any]:
        """Each source column sorted by pairing group and value, once for every round."""
        from mixsynth.engine.shapes import ShapeTarget

        codes = self.pairs.group_codes
        tasks = {
            name: pool.submit(ShapeTarget.of, source, codes) for name, source in sources.items()
        }
        return {name: task.result() for name, task in tasks.items()}

    def _match_shapes(
        self, sources: dict[Any, np.ndarray], targets: dict[Any, Any], pool: Executor
    ) -> None:
        """Each mixed column mapped by rank onto its source's values, within the
        groups rows were paired in (an output row's group is its dominant donor's),
        a column per task (numpy's sorts release the GIL); then no row left a copy of
        its donor (:func:`~mixsynth.engine.shapes.break_copies`)."""
        from mixsynth.engine.shapes import break_copies, match_shapes

        output_codes = self.pairs.group_codes[self.pairs.dominant]
        names = [spec.name for spec in self.mixed]
        tasks = [
            pool.submit(
                match_shapes, targets[name], self._matched[name], output_codes, self.rngs[name]
            )
            for name in names
        ]
        for task in tasks:
            task.result()
        break_copies(
            [self._matched[name] for name in names],
            [sources[name] for name in names],
            self.pairs.dominant,
            output_codes,
        )

    def _mix_keeping_rules(self, pool: Executor, pairs: Pairs, rows: slice) -> dict:
        """The slice's mixed columns as in :meth:`_mix_column`, then the rules kept on
        the whole rows (equalities recomputed, breaking rows repaired), then decoded."""
        ordered = [
            spec
            for spec in self.mixed
            if str(spec.name) in self.plan.limited and spec.name not in self._matched
        ]
        mixed = self._ordered_columns(pool, ordered, pairs, rows) if ordered else {}
        tasks = {
            spec.name: pool.submit(self._finished, spec, pairs, rows, mixed.get(spec.name))
            for spec in self.mixed
        }
        values = {name: task.result() for name, task in tasks.items()}
        tied = {name for rule in self.plan.checked for name in rule.columns}
        raw = {name: self._raw(name) for name in tied}
        for name in tied - set(values):  # copied: the dominant donor's
            values[name] = raw[name][pairs.dominant]
        self.plan.recompute(values)
        self.rule_repairs += self.plan.repair(values, raw, pairs.dominant)
        return {
            spec.name: pool.submit(self._decode, spec, values[spec.name]) for spec in self.mixed
        }

    def _mix_column(self, spec: ColumnSpec, pairs: Pairs, rows: slice) -> Any:
        """One mixed column over one slice, finished and decoded."""
        return self._decode(spec, self._finished(spec, pairs, rows))

    def _decode(self, spec: ColumnSpec, values: np.ndarray) -> Any:
        encoding = self.reference.encodings[spec.name]
        return self.source.decode(values, spec.name, spec.kind, encoding)

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
                if free[spec.name] is not None:
                    restore_spread(values[spec.name], *free[spec.name])
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
            _replace_non_finite(values, source, pairs)
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

    def _finished(
        self, spec: ColumnSpec, pairs: Pairs, rows: slice, values: np.ndarray | None = None
    ) -> np.ndarray:
        """One mixed column over one slice: mixed (or taken from the moment-matched
        columns, or given as ``values``) and finished, as float64.

        A point mass is held out like a missing value: rows whose dominant donor sits
        on it get it back, and the other rows mix only among values off it.
        """
        source, _, at_mass = self._column_source(spec)
        rng = self.rngs[spec.name]
        # Overflow and inf - inf are expected here: _finish_column replaces them.
        with np.errstate(over="ignore", invalid="ignore"):
            bounded = bool(self._matched) or values is not None
            if spec.name in self._matched:
                values = self._matched[spec.name][rows].copy()
            elif values is None:
                values = self._mixed_values(spec, pairs)
            outside, observed = _finish_column(
                rng,
                values,
                source,
                pairs,
                spec,
                self.reference,
                self.options,
                bounded=bounded,
                calendar=self.plan.calendar.get(str(spec.name)) if self.plan else None,
                uniforms=self._shared_uniforms(spec, rows),
            )
        if at_mass is not None:
            values[at_mass[pairs.dominant]] = self.reference.semantics.columns[
                str(spec.name)
            ].point_mass
        self.outside[str(spec.name)][0] += outside
        self.outside[str(spec.name)][1] += observed
        return values

    def _shared_uniforms(self, spec: ColumnSpec, rows: slice) -> np.ndarray | None:
        """The uniforms a column tied by an order rounds with: one per row, the same for
        every such column, so rounding keeps each row's order (stochastic_round)."""
        if self._uniforms is None or str(spec.name) not in self.plan.limited:
            return None
        return self._uniforms[rows]

    def _column_source(
        self, spec: ColumnSpec
    ) -> tuple[np.ndarray, ObservedRows | None, np.ndarray | None]:
        """The column as float64 (a view of the table's memory where it can be), where
        its values are observed, and where it sits on its point mass (held out as NaN);
        made by its first slice, kept for the rest."""
        if spec.name not in self._sources:
            encoding = self.reference.encodings[spec.name]
            source = np.ascontiguousarray(self.source.encode(spec.name, spec.kind, encoding))
            at_mass = mass_rows(source, self.reference.semantics.columns[str(spec.name)].point_mass)
            if at_mass is not None:
                source = np.where(at_mass, np.nan, source)
            observed_rows = None
            if np.isnan(source).any():
                observed_rows = ObservedRows.of(source, self.pairs.group_codes, self.groups_count)
            self._sources[spec.name] = (source, observed_rows, at_mass)
        return self._sources[spec.name]

    def finish(self, table: Any) -> Generation:
        """The generation, once iterated; ``table`` is its rows (e.g. the slices joined)."""
        return Generation(
            index=self.index,
            frame=table,
            weights=self.weights,
            out_of_range={
                name: outside / observed if observed else 0.0
                for name, (outside, observed) in self.outside.items()
            },
            source_rows=self.source.rows,
            balanced=self.options.pairing is Pairing.BALANCED,
            rule_swaps=self.rule_swaps,
            rule_repairs=self.rule_repairs,
        )


def _finish_column(
    rng: np.random.Generator,
    values: np.ndarray,
    source: np.ndarray,
    pairs: Pairs,
    spec: ColumnSpec,
    reference: Reference,
    options: SynthesisOptions,
    bounded: bool = False,
    calendar: str | None = None,
    uniforms: np.ndarray | None = None,
) -> tuple[int, int]:
    """Non-finite fallback, bounds, rounding and representability, in place.

    Returns how many values were outside the original input's range before bounds,
    out of how many observed ones (0, 0 when ``bounded``: the values were already
    kept in range, and counted, by the moment matching).
    """
    counts = (0, 0)
    if not bounded:
        _replace_non_finite(values, source, pairs)
        counts = bound_keeping_variance(values, *reference.ranges[spec.name], options.bounds)
    decimals = reference.semantics.columns[str(spec.name)].decimals
    grid = reference.time_grids.get(spec.name)
    if calendar is not None:  # on 1 January or the 1st of a month (a rule)
        from mixsynth.rules.keep import round_calendar

        unit = seconds_per_unit(spec.dtype)
        offset = reference.encodings[spec.name].offset
        values[:] = round_calendar(rng, (values + offset) * unit, calendar) / unit - offset
    elif grid is not None:  # whole days (a date stored as a timestamp), seconds, ...
        values /= grid
        stochastic_round(rng, values, uniforms)
        values *= grid
    elif spec.kind.is_integral:
        stochastic_round(rng, values, uniforms)
    elif decimals is not None and options.round_decimals:
        round_to_decimals(rng, values, decimals, uniforms)
    encoding = reference.encodings[spec.name]
    unrepresentable = (values < encoding.lower) | (values > encoding.upper)
    if unrepresentable.any():
        values[unrepresentable] = source[pairs.dominant[unrepresentable]]
        if spec.kind.is_integral:
            # float64 rounds a donor at int64's very ends (2**63 - 1) past them.
            np.clip(values, encoding.lower, encoding.upper, out=values)
    return counts


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


def _replace_non_finite(values: np.ndarray, source: np.ndarray, pairs: Pairs) -> None:
    """An overflow (inf, or inf - inf) takes the dominant donor's value; NaN where the
    dominant donor is missing stays (the donor's own NaN)."""
    bad = ~np.isfinite(values)
    if bad.any():
        values[bad] = source[pairs.dominant[bad]]


def check_memory(rows: int, columns: int) -> None:
    """Refuse a --rows that cannot fit, rather than be killed for it half-way.

    Each synthetic row needs at least 8 bytes per column plus its pairing (two donor
    indices, a weight and a sort key): a lower bound, so nothing feasible is refused.
    """
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: cannot tell
        return
    needed = rows * (columns + 4) * 8
    if needed > physical:
        raise MixsynthError(
            f"{rows} rows need at least {needed / 2**30:.3g} GiB, more than this "
            f"machine's {physical / 2**30:.3g} GiB",
            "give fewer --rows",
        )


def generation_rngs(seed: int, generations: int) -> list[np.random.Generator]:
    """One independent generator per generation, so a run can resume at any generation."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(generations)]


def run_generations(
    frame: Any,
    options: SynthesisOptions,
    generations: int,
    seed: int,
    reference: Reference | None = None,
    start: int = 0,
) -> Iterator[Generation]:
    """Generations ``start + 1 .. generations``, each made only from the previous one.

    ``frame`` (a DataFrame or a pyarrow Table) is generation ``start`` (the real data
    when ``start`` is 0) and ``reference`` the original input's (computed from
    ``frame`` if not given).
    """
    options.check()
    reference = reference or Reference.of(frame, options)
    rngs = generation_rngs(seed, generations)
    for index in range(start + 1, generations + 1):
        generation = synthesize(frame, options, rngs[index - 1], reference, index)
        frame = generation.frame
        yield generation
