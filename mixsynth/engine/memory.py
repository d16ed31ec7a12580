"""The in-memory engine: one generation made slice by slice
(:class:`GenerationStream`), and the generations loop (:func:`run_generations`)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.choices import THREADS, Pairing
from mixsynth.columns import (
    ColumnSpec,
    columns_of,
    group_codes,
)
from mixsynth.engine.finishing import finish_column
from mixsynth.engine.kernel import (
    ObservedRows,
    Pairs,
    difference_term,
    draw_pairs,
    mixup_kernel,
    replacement_partners,
)
from mixsynth.engine.matching import WholeColumnMatching
from mixsynth.engine.neighbours import GroupDonors
from mixsynth.engine.options import Generation, SynthesisOptions
from mixsynth.engine.pinning import leveraged_pairs, pinned_weights, pins_variances
from mixsynth.engine.reference import Reference
from mixsynth.engine.ruled import RuleKeeping, rule_plan
from mixsynth.engine.weights import AnyWeights
from mixsynth.errors import OptionError, warn
from mixsynth.rules import naming_ties, placing
from mixsynth.semantics.treatments import kept_placeholders, made_up_values, mass_rows

if TYPE_CHECKING:
    from mixsynth.columns.kinds import DataTable
    from mixsynth.engine.copies import CopyCheck
    from mixsynth.engine.moments import MomentMatch

#: Output rows made per slice (see GenerationStream): a power of two near 10^5, large
#: enough that per-slice overheads vanish and that integer rounding's variance
#: compensation, estimated per slice, is precise.
SLICE_ROWS = 1 << 17


def synthesize(
    table: DataTable,
    options: SynthesisOptions,
    rng: np.random.Generator,
    reference: Reference | None = None,
    index: int = 1,
    pairs: tuple[Pairs, AnyWeights] | None = None,
) -> Generation:
    """One generation: ``options.rows`` (default all) rows mixed from ``table``.

    ``table`` is a pandas DataFrame or a pyarrow Table; the generation is of the same type.
    ``pairs``: who mixes with whom and the weights they were drawn from, given by the
    caller (the relational engine pairs children by their parents' pairs) instead of
    drawn here; one output row per pair.
    """
    stream = GenerationStream(table, options, rng, reference, index, pairs)
    return stream.finish(stream.source.concat(list(stream)))


#: Below this many mixed values a generation is made on the calling thread: starting
#: threads costs more than they save (a 20-row table: 8 ms against 16-23 ms, measured).
THREADED_VALUES = 1 << 15


class _InlineExecutor(Executor):
    """Runs each task at once on the calling thread (the executor of small tables)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to result(), as a thread pool does
            future.set_exception(error)
        return future


class GenerationStream(RuleKeeping, WholeColumnMatching):
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
        table: DataTable,
        options: SynthesisOptions,
        rng: np.random.Generator,
        reference: Reference | None = None,
        index: int = 1,
        pairs: tuple[Pairs, AnyWeights] | None = None,
    ) -> None:
        options.check()
        if options.privacy_target is not None:
            raise OptionError(
                "privacy_target picks a margin before synthesis; a generation cannot use it",
                "resolve it with mixsynth.jobs.target.choose_privacy_settings (the generate "
                "command and MixupSynthesizer.fit do)",
            )
        self.options, self.index = options, index
        self.reference = reference or Reference.of(table, options)
        self.source = columns_of(table)
        if pairs is not None:
            codes = pairs[0].group_codes
        elif self.reference.association_columns:
            from mixsynth.engine.associations import pooled_group_codes

            codes = pooled_group_codes(table, options.by, self.reference.association_columns)
        else:
            codes = group_codes(table, options.by)
        sizes = np.bincount(codes)
        self.groups_count = len(sizes)
        if self.source.rows == 1:
            warn("the table has a single row; every synthetic row is a copy of it", stacklevel=3)
        elif options.by and (sizes == 1).any():
            warn(
                f"{int((sizes == 1).sum())} --by group(s) have a single row; "
                "their synthetic rows are copies of it",
                stacklevel=3,
            )
        if pairs is not None:
            self.pairs, self.weights = pairs
            self.rows = len(self.pairs.dominant)
        else:
            self.rows = options.rows or self.source.rows
            self.pairs, self.weights = draw_pairs(
                rng, codes, self.rows, options.pairing, lambda n, size: options.weights_for(n, size)
            )
        self.plan = rule_plan(self.reference, self.source)
        kept = self.plan.copied if self.plan else ()
        self.mixed = [s for s in self.reference.schema if s.kind.is_mixed and s.name not in kept]
        self.partners_redrawn = 0  #: partners too close to their anchor (a margin's)
        if options.privacy_margin and self.mixed and self.source.rows > 2:
            self._redraw_close_partners(rng)
        self._sources: dict = {}
        # Replacement partners, drawn before the pin and the rules' limits see the rows.
        self._partner_rng = rng.spawn(1)[0] if self._has_missing() else None
        self._replaced = self._replacement_partners()
        pinned = pins_variances(options, self.weights)
        if pairs is None and self.mixed and (pinned or self.groups_count == 1):
            sources = [self._column_source(spec)[0] for spec in self.mixed]
            # Which rows step outwards: each mixed column's variance its source's; or a
            # row holding much of a column's variance: its weight's square, not a draw.
            everywhere = slice(None)
            others = [self._others(s.name, self.pairs.other, everywhere) for s in self.mixed]
            self.pairs = (
                dataclasses.replace(self.pairs, w=pinned_weights(sources, self.pairs, others))
                if pinned
                else leveraged_pairs(rng, sources, self.pairs, self.weights)
            )
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
        if self.reference.email_ties:  # addresses made from the row's made-up names
            from mixsynth.semantics.emails import made_from_names

            self.made_up = made_from_names(
                self.made_up, self.reference.email_ties, rng.spawn(1)[0], made_up
            )
        # Where each free group of copied columns comes from (donors.py, neighbours.py).
        self._group_donors = GroupDonors(
            rng.spawn(1)[0],
            self.rows,
            self.source.table,
            self.reference.copy_groups,
            options.copy_neighbours,
            lambda: [self._as_written(spec) for spec in self.mixed],
            kept,
            frozenset(name for rule in placing(self.reference.rules) for name in rule.columns),
            naming_ties(self.reference.rules),
        )
        self.outside = {str(name): [0, 0] for name in names}  #: [outside range, observed]
        self._missing: dict = {}
        self._placeholders: dict = {}  #: made-up columns' stand-ins, by source row
        self._matched: dict[Any, np.ndarray] = {}  #: whole mixed columns (match_*)
        self.moment_match: MomentMatch | None = None  #: how the moments were matched, once iterated
        self._copy_check: CopyCheck | None = None
        self.copies_broken = 0  #: rows that came out equal to a donor and were repaired
        self.copies_left = 0  #: rows to repair still equal to a real row (every try failed)
        self.rule_folds = self.rule_repairs = 0  #: weights folded or swapped, rows repaired (rules)
        self._groups: list = []  #: (column, its group of inequalities: ruled.WeightGroup)
        self._uniforms: np.ndarray | None = None  #: shared by ordered columns' rounding
        self._raws: dict[Any, np.ndarray] = {}  #: source columns as rules see them
        if self.plan is not None:
            self._say_repeats()
            self._keep_rules(rng, codes)
        self._copy_rng = rng.spawn(1)[0]  #: last, so that the streams above stay as they were

    def _has_missing(self) -> bool:
        return any(self._column_source(spec)[1] is not None for spec in self.mixed)

    def _replacement_partners(self) -> dict[Any, tuple[np.ndarray, np.ndarray]]:
        """For each mixed column with missing values (or a point mass), the rows whose
        other donor misses its value while the dominant donor has one, and the partner
        each mixes with instead (:func:`~.kernel.replacement_partners`). Drawn once,
        before the pin and the rules' limits: drawn after them, such rows were out of
        their sight, so a column missing a fifth of its values was pinned on the rest
        only and walked (ISLR's Hitters' salary: 0.74-0.82 of its variance after 10
        generations at margin 0.3), and its orders did not limit them."""
        if self._partner_rng is None:
            return {}
        found = {}
        dominant, other = self.pairs.dominant, self.pairs.other
        for spec in self.mixed:
            observed = self._column_source(spec)[1]
            if observed is None:
                continue
            need = np.flatnonzero(observed.observed[dominant] & ~observed.observed[other])
            if need.size:
                draws = self._partner_rng.random(need.size)
                partners = replacement_partners(
                    draws, dominant[need], self.pairs.group_codes, observed
                )
                found[spec.name] = (need, partners)
        return self._shared_in_rule_groups(found)

    def _shared_in_rule_groups(self, found: dict) -> dict:
        """``found`` with one replacement partner per row for all the columns of a group
        tied by inequalities: a row whose other donor misses one of them takes, for the
        whole group, a partner that has them all. Mixed column by column with different
        partners, the row's other side was no real row, held no rule, and the limits
        (which assume both donors hold every rule) missed it: on MASS's Aids2, a death
        date mixed with a replacement partner where the partner's was the study's end
        (censored) and the diagnosis with the partner itself broke `diag <= death` in 1.3 %
        of the rows, which then took their donor's values: +0.7 % of the diagnosis
        date's variance a generation."""
        if self.plan is None or not found or self._partner_rng is None:
            return found
        dominant = self.pairs.dominant
        specs = {str(spec.name): spec for spec in self.mixed}
        for rules in self.plan.weight_groups:
            group = [specs[n] for n in self.plan.group_columns(rules) if n in specs]
            if not any(spec.name in found for spec in group):
                continue
            values = np.zeros(self.source.rows)
            for spec in group:  # NaN where any of the group's columns lacks a value
                values[np.isnan(self._column_source(spec)[0])] = np.nan
            whole = ObservedRows.of(values, self.pairs.group_codes, self.groups_count)
            counts = np.zeros(self.groups_count, dtype=np.int64)  # groups none of whose
            counts[: whole.counts.size] = whole.counts  # rows has them all: none
            need = np.unique(np.concatenate([found[s.name][0] for s in group if s.name in found]))
            need = need[counts[self.pairs.group_codes[dominant[need]]] > 1]
            if need.size == 0:
                continue
            partners = replacement_partners(
                self._partner_rng.random(need.size), dominant[need], self.pairs.group_codes, whole
            )
            for spec in group:
                rows, chosen = found.get(spec.name, (need[:0], partners[:0]))
                rows, chosen = np.concatenate([rows, need]), np.concatenate([chosen, partners])
                order = np.argsort(rows, kind="stable")
                rows, chosen = rows[order], chosen[order]
                last = np.ones(rows.size, dtype=bool)  # the group's partner wins its rows
                last[:-1] = rows[1:] != rows[:-1]
                found[spec.name] = (rows[last], chosen[last])
        return found

    def _others(self, name: Any, other: np.ndarray, at: slice | np.ndarray) -> np.ndarray:
        """``other``, the other donors of the generation's rows ``at`` (a slice or row
        numbers), with column ``name``'s replacement partners in place."""
        replaced = self._replaced.get(name)
        if replaced is None:
            return other
        need, partners = replaced
        if isinstance(at, slice):
            start = at.start or 0
            stop = self.rows if at.stop is None else at.stop
            low, high = np.searchsorted(need, (start, stop))
            if low == high:
                return other
            other = other.copy()
            other[need[low:high] - start] = partners[low:high]
            return other
        position = np.minimum(np.searchsorted(need, at), need.size - 1)
        hit = need[position] == at
        if not hit.any():
            return other
        other = other.copy()
        other[hit] = partners[position[hit]]
        return other

    def _redraw_close_partners(self, rng: np.random.Generator) -> None:
        """Under a margin, near-duplicate donors are no pair (:mod:`.donors`)."""
        from mixsynth.engine.donors import redraw_close_partners

        features = np.empty((self.source.rows, len(self.mixed)), dtype=np.float32)
        for k, spec in enumerate(self.mixed):
            values = self.source.encode(spec.name, spec.kind, self.reference.encodings[spec.name])
            low, high = self.reference.ranges[spec.name]
            span = high - low if np.isfinite(high - low) and high > low else 1.0
            features[:, k] = np.nan_to_num((values - low) / span, nan=0.5)
        self.pairs, _, self.partners_redrawn = redraw_close_partners(
            rng.spawn(1)[0], features, self.pairs
        )

    def __iter__(self) -> Iterator[Any]:
        small = self.rows * max(1, len(self.mixed)) < THREADED_VALUES
        with _InlineExecutor() if small else ThreadPoolExecutor(max_workers=THREADS) as pool:
            if self.options.match_moments or self.options.matches_shapes:
                self._match_whole_columns(pool)
            for start in range(0, self.rows, SLICE_ROWS):
                yield self._slice(pool, slice(start, min(start + SLICE_ROWS, self.rows)))
        self._sources.clear()
        self._raws.clear()
        self._matched.clear()
        self._copy_check = None
        # The group donors' callback refers back to this stream: left in place, the
        # stream and every array it holds would wait for the cyclic garbage collector
        # (on mixed 1M rows, 150 MiB more per generation of run_generations).
        self._group_donors.sources = list

    def _slice(self, pool: Executor, rows: slice) -> DataTable:
        pairs = self.pairs.rows(rows)
        if self.plan is None:
            mixing = {
                spec.name: pool.submit(self._mix_column, spec, pairs, rows) for spec in self.mixed
            }
            mixed = {name: task.result() for name, task in mixing.items()}
        else:
            mixed = self._mix_keeping_rules(pool, pairs, rows)
        donors = dict.fromkeys(self.copied, pairs.dominant)
        donors.update(
            self._group_donors.donors([mixed[spec.name] for spec in self.mixed], pairs, rows)
        )
        if self.plan is not None:  # first: copy repair moves a rule's columns together
            self._check_rules(mixed, pairs, donors)
        if not self.options.keep_copies and self.source.rows > 1:
            self._break_copies(mixed, donors, pairs)
        decoding = {
            spec.name: pool.submit(
                self.source.decode,
                mixed[spec.name],
                spec.name,
                spec.kind,
                self.reference.encodings[spec.name],
            )
            for spec in self.mixed
        }
        by_donor: dict[int, tuple[np.ndarray, list]] = {}  # columns of one donor taken together
        for name, rows_taken in donors.items():
            by_donor.setdefault(id(rows_taken), (rows_taken, []))[1].append(name)
        copying = [
            pool.submit(self.source.take, names, taken) for taken, names in by_donor.values()
        ]
        columns = {}
        for task in copying:
            columns.update(task.result())
        columns.update({name: task.result() for name, task in decoding.items()})
        for name, values in self.made_up.items():
            # Missing where the dominant donor is missing, as for every other column;
            # a stand-in for a missing value ("none") where the donor holds one.
            missing = self._missing_rows(name)
            made = values[rows]
            found = self.reference.semantics.columns[str(name)].placeholders
            if found:
                codes = self._placeholder_codes(name, found)[pairs.dominant]
                made = kept_placeholders(made, codes, found)
            columns[name] = self.source.made_up(
                name, made, None if missing is None else missing[pairs.dominant]
            )
        return self.source.build(columns)

    def _placeholder_codes(self, name: Any, found: tuple[str, ...]) -> np.ndarray:
        """Each source row's stand-in for a missing value, as its place in ``found``,
        the column's placeholders (-1: none); made once."""
        if name not in self._placeholders:
            self._placeholders[name] = self.source.codes_in(name, found)
        return self._placeholders[name]

    def _break_copies(self, mixed: dict, donors: dict, pairs: Pairs) -> None:
        """No row left equal to one of its donors (:mod:`.copies`)."""
        from mixsynth.engine.copies import CopyCheck

        if self._copy_check is None:
            swapped = self.options.split_copied or self.options.copy_neighbours > 0
            sources = {spec.name: self._as_written(spec) for spec in self.mixed}  # once
            # A naming fixes no place: its columns move together (the plan's units).
            ruled = [
                name
                for rule in placing(self.plan.rules if self.plan else [])
                for name in rule.columns
            ]
            self._copy_check = CopyCheck(
                self.source.table,
                self.copied,
                swapped,
                sources,
                self._copy_rng,
                fixed=(*self.options.by, *ruled),  # groups and rules' columns stay as taken
                real_source=self.index == 1,
                strict=self.options.all_rows_new,
            )
        units = self._copy_units(mixed)
        self.copies_broken += self._copy_check.break_up(mixed, donors, pairs, *units)
        self.copies_left = self._copy_check.left

    def _as_written(self, spec: ColumnSpec) -> np.ndarray:
        """The source column in the encoding of the finished values: on its point mass."""
        source, _, at_mass = self._column_source(spec)
        if at_mass is not None:
            mass = self.reference.semantics.columns[str(spec.name)].point_mass
            assert mass is not None  # at_mass is only found for columns with one
            source = np.where(at_mass, mass, source)
        return source

    def _missing_rows(self, name: Any) -> np.ndarray | None:
        if name not in self._missing:
            self._missing[name] = self.source.missing_rows(name)
        return self._missing[name]

    def _mixed_values(
        self,
        spec: ColumnSpec,
        pairs: Pairs,
        rng: np.random.Generator | None = None,
        difference: bool = True,
        rows: slice = slice(None),
    ) -> np.ndarray:
        """The column mixed for ``pairs`` (the generation's ``rows``), before bounds and
        rounding; NaN where the dominant donor is missing or on the point mass, a row
        whose other donor is mixing with its replacement partner. With four donors the
        difference term is added unless ``difference`` is False (the two-row mix,
        which keeps the inequalities both donors hold)."""
        source, observed_rows, _ = self._column_source(spec)
        other = self._others(spec.name, pairs.other, rows)
        values = mixup_kernel(source[:, None], pairs.dominant, other, pairs.w)[:, 0]
        rng = rng or self.rngs[spec.name]
        if difference and pairs.spread is not None:
            values += difference_term(rng, source, pairs, observed_rows)
        return values

    def _mix_column(
        self, spec: ColumnSpec, pairs: Pairs, rows: slice, values: np.ndarray | None = None
    ) -> np.ndarray:
        """One mixed column over one slice: mixed (or taken from the moment-matched
        columns, or given as ``values``) and finished, in the column's float64 encoding.

        A point mass is held out like a missing value: rows whose dominant donor sits
        on it get it back, and the other rows mix only among values off it.
        """
        source, _, at_mass = self._column_source(spec)
        rng = self.rngs[spec.name]
        # Overflow and inf - inf are expected here: finish_column replaces them.
        with np.errstate(over="ignore", invalid="ignore"):
            bounded = bool(self._matched) or values is not None
            if spec.name in self._matched:
                values = self._matched[spec.name][rows].copy()
            elif values is None:
                values = self._mixed_values(spec, pairs, rows=rows)
            outside, observed = finish_column(
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

    def finish(self, table: DataTable) -> Generation:
        """The generation, once iterated; ``table`` is its rows (e.g. the slices joined)."""
        if self.copies_left:
            warn(
                "some synthetic rows still equal a real row: every combination of copied "
                "values tried near theirs is a real one (a table of a few codes); mixsynth "
                "compare counts them",
                stacklevel=2,
            )
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
            rule_folds=self.rule_folds,
            rule_repairs=self.rule_repairs,
        )


def fresh_seed() -> int:
    """A seed drawn from the system's entropy, short enough to type back as ``--seed``."""
    entropy = np.random.SeedSequence().entropy
    assert isinstance(entropy, int)  # drawn, not given
    return entropy % 2**32


def check_memory(rows: int, columns: int, option: str = "--rows") -> None:
    """Refuse a --rows (``option``) that cannot fit, rather than be killed for it half-way.

    Each synthetic row needs at least 8 bytes per column plus its pairing (two donor
    indices, a weight and a sort key): a lower bound, so nothing feasible is refused.
    """
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: cannot tell
        return
    needed = rows * (columns + 4) * 8
    if needed > physical:
        raise OptionError(
            f"{rows} rows need at least {needed / 2**30:.3g} GiB, more than this "
            f"machine's {physical / 2**30:.3g} GiB",
            f"give fewer {option}",
        )


def generation_rngs(seed: int, generations: int) -> list[np.random.Generator]:
    """One independent generator per generation, so a run can resume at any generation."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(generations)]


def run_generations(
    frame: DataTable,
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
