"""No synthetic row is a copy of one of its donors (docs/privacy.md).

A row can come out equal to a real row even though it was mixed: integer and decimal
rounding snap a value back onto its donor's when the two donors are close, a point
mass and every copied column come from a donor, and a weight near 0 or 1 leaves the
rest within rounding of it. Such a row is a real record released as it is. After a
slice is mixed and finished, every row is compared with its dominant donor and its
partner over all the columns that are not made up (mixed values as finished, copied
columns as category codes); a row equal to either one swaps a value with a row of
a neighbouring distinct value of its group (:func:`~mixsynth.engine.shapes.break_copies`,
the same repair ``--match-shapes`` uses), so that every column keeps its values, and
with them its distribution and variance exactly.

Only mixed values are swapped, unless the copied columns are split between the donors
(``split_copied``) or taken from near rows: where every column is copied from one
donor, swapping codes would scramble the table's associations (a table of codes:
quality 1.0 -> 0.93). There a row equal to a real row whose combination no other real
row has (a unique record, the one a copy releases) takes one copied column at a time
from another real row until its combination is no real row's
(:meth:`CopyCheck.new_combinations`): first the value of another such row that goes
with its other values (a permutation among those rows, so that every column keeps its
counts), then any real row's. A row on a combination k real rows share is left with probability
(k - 1)/k, which leaves the share of the real rows that repeat an earlier one, under a
fresh sample's rate (docs/privacy.md), and (k - 1)/(k + 1) on a table of codes only,
whose every row is its donor's combination; ``all_rows_new`` changes those too. Only where
the source is the real table (generation 1): a copy of a synthetic row releases no
record.

A row equal to a real row that is *not* its donor is left alone: on a table of a few
codes, a fresh real sample has such rows too (a coincidence, not a copy). Except a row a
swap moved (it can land on another real row that shares its donor's codes) and, where
the copied columns come from other rows (near rows, split) or every mixed column is
coarse (ages, counts: :data:`COARSE_VALUES`), a row whose mixed values are all real
ones (its codes are a third real row's, or its age another real row's that has its
donor's codes): those are checked against every real combination, as above. A table of
a single compared column is left alone: any value there is some real row's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from mixsynth.columns import group_codes
from mixsynth.engine.kernel import Pairs, block_cycle
from mixsynth.engine.shapes import Comparison, break_copies, copy_steps, same_values


def category_codes(table: Any, name: Any) -> np.ndarray | None:
    """A copied column's values as integer codes (first appearance order; missing is a
    value), or None for values that have no codes: lists, structs, maps (nested Parquet
    columns), which are copied as they are and left out of comparisons."""
    import pyarrow as pa

    try:
        return group_codes(table, [name])
    except (TypeError, pa.ArrowNotImplementedError):
        return None


class CopyCheck:
    """The source's copied columns as codes (and a row holding each code), for
    comparing and repairing output rows; made once per generation.

    A column's codes are made when a comparison first reaches it: rows are compared
    column by column, mixed columns first, and past a few mixed columns no row is left
    equal to its donor (1M rows of 7 mixed columns: none of the 262,144 comparisons of
    a slice reaches the copied columns), so the codes, 0.02-0.07 s per 1M-row column,
    are then never made. Swapped codes (``split_copied``) are all made at once.
    """

    def __init__(
        self,
        table: Any,
        copied: list,
        swapped: bool,
        sources: dict[Any, np.ndarray],
        rng: np.random.Generator,
        fixed: tuple = (),
        real_source: bool = True,
        strict: bool = False,
    ) -> None:
        self.table, self.swapped, self.rng = table, swapped, rng
        self.real_source = real_source  #: the source holds real rows (generation 1)
        #: Every row equal to any real row changes, shared combinations too (``all_rows_new``).
        self.strict = strict
        self.left = 0  #: rows still equal to a real row after every try
        self._coarse_columns: bool | None = None  #: every mixed column coarse (once known)
        self.fixed = set(fixed)  #: copied columns never changed (``by`` groups, rules' keys)
        self.sources = sources  #: the mixed source columns, as outputs are compared
        self.names = list(copied)
        self._codes: dict[Any, np.ndarray | None] = {}  #: float64 codes, None: no codes
        self.holders: dict[Any, np.ndarray] = {}  #: a source row holding each code
        #: Hashes of the real rows' combinations (sorted) and how many rows hold each.
        self._combinations: tuple[np.ndarray, np.ndarray] | None = None
        #: Each unit's most associated copied column outside it (None: not yet).
        self._associated: dict[tuple, Any] | None = None
        #: Copied columns that change together (:meth:`_ties`; None: not yet).
        self._units: list[tuple] | None = None
        #: Each mixed source column's distinct values, sorted (:meth:`_real_value`).
        self._sorted_values: dict[Any, np.ndarray] = {}
        if swapped:
            self.resolve()

    def codes(self, name: Any) -> np.ndarray | None:
        """A copied column's codes as float64, made on first use (None: no codes)."""
        if name not in self._codes:
            codes = category_codes(self.table, name)
            self._codes[name] = None if codes is None else codes.astype(np.float64)
            if codes is not None and self.swapped:  # only swapped codes need a holder
                self.holders[name] = np.unique(codes, return_index=True)[1]
        return self._codes[name]

    def resolve(self) -> list:
        """The copied columns that have codes (making every column's)."""
        return [name for name in self.names if self.codes(name) is not None]

    def _resolved(self, name: Any) -> np.ndarray:
        codes = self.codes(name)
        assert codes is not None  # resolve() keeps only columns with codes
        return codes

    def _comparison(self, name: Any, taken: np.ndarray) -> Comparison:
        """Whether output rows' values of copied column ``name``, taken from source rows
        ``taken``, are their donors'; a column without codes is not compared."""

        def equal(candidates: np.ndarray, donor_rows: np.ndarray) -> np.ndarray:
            codes = self.codes(name)
            if codes is None:
                return np.ones(len(candidates), dtype=bool)
            return codes[taken[candidates]] == codes[donor_rows]

        return equal

    def break_up(
        self,
        mixed: dict[Any, np.ndarray],
        donors: dict[Any, np.ndarray],
        pairs: Pairs,
        units: Sequence[Sequence[Any]] = (),
        alone: dict[Any, Callable[[np.ndarray], np.ndarray]] | None = None,
    ) -> int:
        """Repair the rows of one slice that equal a donor, in place: ``mixed`` holds
        the finished mixed values (compared with :attr:`sources`, the source columns in
        the same encoding, point masses included) and ``donors`` the row each copied
        column is taken from (replaced for the columns whose values moved). The columns
        of each of ``units`` (tied by rules: docs/rules.md) move together, led by their
        first mixed column, their copied ones by their donor rows (a unit without a
        mixed column moves only where codes are swapped, whole), after each of their
        columns that ``alone`` checks has moved alone (:func:`.shapes.copy_steps`).
        Returns how many rows were copies."""
        # Whether a table has two compared columns, and swapped codes, need every
        # column's codes; with two mixed columns, comparisons ask for them as they go.
        copied = self.resolve() if self.swapped or len(mixed) < 2 else self.names
        if len(mixed) + len(copied) < 2:
            return 0
        names = list(mixed)
        led = [unit for unit in units if any(name in mixed for name in unit)]
        tied = {name for unit in led for name in unit}
        # Swapped codes: the copied columns of no unit with a mixed column (those move
        # with it, by their donor rows; a unit of codes moves whole, led by its first).
        swapped = [name for name in copied if name not in tied] if self.swapped else []
        codes = [self._resolved(name) for name in swapped]
        moved = {name: source[donors[name]] for name, source in zip(swapped, codes, strict=True)}
        along = self._moving_donors(led, mixed, donors)
        steps = copy_steps(names + swapped, {**mixed, **moved, **along}, units, alone)
        outputs = [mixed[name] for name in names] + list(moved.values())
        columns = [self.sources[name] for name in names] + codes
        compared = [self._comparison(name, donors[name]) for name in copied if name not in swapped]
        if not outputs:
            return self.new_combinations(mixed, donors, pairs, any_real=True)
        # The mixed values before the swaps: a swap can put a row on another real row.
        repairs = bool(copied) and self.real_source  # new_combinations, below
        before = [values.copy() for values in outputs[: len(names)]] if repairs else []
        found = break_copies(
            outputs,
            columns,
            [pairs.dominant, pairs.other],
            pairs.group_codes[pairs.dominant],
            compared=compared,
            steps=steps,
        )
        if found and swapped:
            for name, source in zip(swapped, codes, strict=True):
                changed = moved[name] != source[donors[name]]
                if changed.any():
                    rows = donors[name].copy()
                    rows[changed] = self.holders[name][moved[name][changed].astype(np.int64)]
                    donors[name] = rows
        if repairs:  # the rows the swaps left copies or moved
            moved_rows = None
            if found and names:
                touched = [
                    ~same_values(mixed[name], old) for name, old in zip(names, before, strict=True)
                ]
                moved_rows = np.flatnonzero(np.any(touched, axis=0))
            # Copied columns from other rows' donors: a row can be a third real row.
            any_real = self.swapped or self._coarse(names)
            new = self.new_combinations(mixed, donors, pairs, moved_rows, any_real=any_real)
            found += new if self.swapped and not names else 0
        return found

    @staticmethod
    def _moving_donors(
        units: Sequence[Sequence[Any]], mixed: dict[Any, np.ndarray], donors: dict[Any, np.ndarray]
    ) -> dict[Any, np.ndarray]:
        """The donor rows of the copied columns of units that move (have a mixed column),
        each made a copy of its own in ``donors`` (they are shared with the pairs), to
        move with the unit's leader: by unit, a copied column's key in the result."""
        moving = {}
        for unit in units:
            if not any(name in mixed for name in unit):
                continue
            rows: dict[int, np.ndarray] = {}
            for name in unit:
                if name in donors and name not in mixed:
                    taken = rows.setdefault(id(donors[name]), donors[name].copy())
                    donors[name] = moving[name] = taken
        return moving

    def new_combinations(
        self,
        mixed: dict[Any, np.ndarray],
        donors: dict[Any, np.ndarray],
        pairs: Pairs,
        moved_rows: np.ndarray | None = None,
        any_real: bool = False,
    ) -> int:
        """Rows still equal to a donor, or to another real row where a swap moved their
        mixed values (``moved_rows``) or, where the copied columns come from other rows
        (``any_real``), rows whose mixed values are all real ones, whose combination is
        unique among the real rows (or held by k of them, with probability 1/k) take
        the columns of one unit (:meth:`_ties`) from another row, up to
        :data:`COMBINATION_TRIES` times, until their combination is no real row's: from
        another such row sharing their value of the unit's most associated column first
        (a permutation among them: :meth:`_cycle`), then swapped with a new row that
        stays new (:meth:`_swap_with`), and in the last :data:`FREE_TRIES` tries
        from any real row (:data:`STRICT_FREE_TRIES` with ``all_rows_new``); ``donors``
        is updated in place. Returns how many rows were such copies."""
        if not self.real_source:
            return 0
        names = list(mixed)
        copied = self.resolve()
        units = [unit for unit in self._ties(copied) if not set(unit) & self.fixed]
        if not units:
            return 0
        candidates = np.arange(len(pairs.dominant))
        if any_real:  # rows whose every mixed value is a real one
            for name in names:
                candidates = candidates[self._real_value(name, mixed[name][candidates])]
        else:  # rows equal to their dominant donor
            for name in names:
                source = self.sources[name][pairs.dominant[candidates]]
                candidates = candidates[same_values(mixed[name][candidates], source)]
            for name in copied:
                rows = donors[name][candidates]
                codes = self._resolved(name)
                candidates = candidates[codes[rows] == codes[pairs.dominant[candidates]]]
        if moved_rows is not None:
            candidates = np.union1d(candidates, moved_rows)
        if candidates.size == 0:
            return 0
        hashes, holders = self._real_combinations(names, copied)
        combinations = self._hashes(mixed, donors, names, copied, candidates)
        position = np.minimum(np.searchsorted(hashes, combinations), len(hashes) - 1)
        real = hashes[position] == combinations
        # A combination k real rows hold is kept with probability (k - 1)/k: as many
        # rows as the real rows' duplicates, under a fresh sample's rate (see above). On
        # a table of codes only, (k - 1)/(k + 1): there every row is its donor's
        # combination, and (k - 1)/k left a split's copies above a fresh half's on 2 of 20.
        kept = real & (holders[position] > 1) & (not self.strict)
        drawn = kept.copy()
        if names:  # all mixed values missing: a shared combination stays (missing counts)
            drawn &= ~np.all([np.isnan(mixed[name][candidates]) for name in names], axis=0)
        spare = 1 if names else 2  # rows of a shared combination changed
        draws = self.rng.random(int(drawn.sum()))
        kept[drawn] = draws * (holders[position][drawn] + spare - 1) >= spare
        rows = candidates[real & ~kept]
        if rows.size == 0:
            return 0
        donors.update({name: donors[name].copy() for unit in units for name in unit})
        remaining = rows
        tries = STRICT_TRIES if self.strict else COMBINATION_TRIES
        free = STRICT_FREE_TRIES if self.strict else FREE_TRIES
        for attempt in range(tries):
            picked = self.rng.integers(0, len(units), size=len(remaining))
            others = np.setdiff1d(np.arange(len(pairs.dominant)), remaining)
            for k, unit in enumerate(units):
                chosen = remaining[picked == k]
                if not chosen.size:
                    continue
                if attempt < CONDITIONAL_TRIES:  # another such row's: counts kept
                    following = chosen[self._cycle(unit, copied, donors, chosen)]
                    for name in unit:  # a unit's values from one row: a real pair
                        donors[name][chosen] = donors[name][following]
                    continue
                # Such rows keep giving real rows: a swap with a new row that stays new
                # (counts kept; the row walks on from there); last, any real row's.
                if attempt < tries - free and others.size:
                    real_rows = partial(self._real_rows, mixed, donors, names, copied, hashes)
                    self._swap_with(unit, chosen, others, donors, real_rows)
                    continue
                taken = self.rng.integers(0, len(self._resolved(unit[0])), size=len(chosen))
                for name in unit:
                    donors[name][chosen] = taken
            remaining = remaining[self._real_rows(mixed, donors, names, copied, hashes, remaining)]
            if remaining.size == 0:
                break
        self.left += remaining.size
        return len(rows)

    def _distinct(self, name: Any) -> np.ndarray:
        """A mixed source column's distinct values (missing left out), sorted."""
        if name not in self._sorted_values:
            from mixsynth.columns.arrow import distinct_floats

            # The few distinct values sorted, not every value (np.unique: 0.07 s per
            # 1M-row column).
            self._sorted_values[name] = np.sort(distinct_floats(self.sources[name]))
        return self._sorted_values[name]

    def _coarse(self, names: list) -> bool:
        """Whether every mixed column takes at most :data:`COARSE_VALUES` values, each
        held by :data:`COARSE_REPEATS` rows or more on average (ages, counts): there a
        row can land on a real row other than its donors by chance (an age that another
        real row with the donor's codes has), so every row is checked. A column of finer
        values makes such a chance negligible, and the check of every row cost 1.0 ->
        2.1 s of CPU on 1M rows of prices to the cent."""
        if self._coarse_columns is None:
            most = min(COARSE_VALUES, len(self.table) // COARSE_REPEATS)
            self._coarse_columns = all(self._few_values(name, most) for name in names)
        return self._coarse_columns

    def _few_values(self, name: Any, most: int) -> bool:
        """Whether a mixed source column has at most ``most`` distinct values; a sample of
        it first, since a column of many values shows them there, and the whole column's
        distinct values cost 0.08 s per 1M rows of prices."""
        from mixsynth.columns.arrow import distinct_floats

        source = self.sources[name]
        if distinct_floats(source[:: max(1, len(source) // FEW_VALUES_SAMPLE)]).size > most:
            return False
        return self._distinct(name).size <= most

    def _real_value(self, name: Any, values: np.ndarray) -> np.ndarray:
        """Whether each of ``values`` is one of the source column's values (missing
        where the source has a missing value)."""
        known = self._distinct(name)
        found = np.zeros(len(values), dtype=bool)
        if known.size:
            at = np.minimum(np.searchsorted(known, values), known.size - 1)
            found = known[at] == values
        missing = np.isnan(values)
        if missing.any() and np.isnan(self.sources[name]).any():
            found |= missing
        return found

    def _ties(self, copied: list) -> list[tuple]:
        """The copied columns in units that change together: columns joined by a value
        that fixes another's in every real row (a city its state, :func:`_fixes`), so
        that a new combination never pairs a city with a state no real row has; other
        columns alone."""
        if self._units is None:
            codes = {name: self._resolved(name) for name in copied}
            parent = {name: name for name in copied}

            def root(name: Any) -> Any:
                while parent[name] != name:
                    name = parent[name]
                return name

            for first, second in _fixes(codes, self.rng):
                parent[root(first)] = root(second)
            units: dict[Any, list] = {}
            for name in copied:
                units.setdefault(root(name), []).append(name)
            self._units = [tuple(unit) for unit in units.values()]
        return self._units

    def _real_rows(
        self,
        mixed: dict,
        donors: dict,
        names: list,
        copied: list,
        hashes: np.ndarray,
        rows: np.ndarray,
    ) -> np.ndarray:
        """Whether each output row of ``rows`` is on a real combination (``hashes``: the
        real rows', sorted)."""
        taken = self._hashes(mixed, donors, names, copied, rows)
        at = np.minimum(np.searchsorted(hashes, taken), len(hashes) - 1)
        return hashes[at] == taken

    def _swap_with(
        self,
        unit: tuple,
        rows: np.ndarray,
        others: np.ndarray,
        donors: dict,
        real_rows: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        """Output ``rows`` swap the values of ``unit`` with random ``others`` (the rows
        not being repaired) holding another value of its first column, each swap undone
        where the other row comes out on a real combination: the unit's counts stay as
        they are, and a row still on one walks on from its new values at the next try,
        as a row taking any real row's value does, without moving the counts. A row
        whose partner another row drew first waits for the next try."""
        codes = self._resolved(unit[0])
        own = codes[donors[unit[0]][rows]].astype(np.int64)
        held = codes[donors[unit[0]][others]].astype(np.int64)
        order = np.argsort(held, kind="stable")
        counts = np.bincount(held, minlength=int(max(held.max(), own.max())) + 1)
        starts = np.cumsum(counts) - counts
        left = others.size - counts[own]  # the others holding another value
        drawn = np.floor(self.rng.random(rows.size) * left).astype(np.int64)
        place = np.where(drawn < starts[own], drawn, drawn + counts[own])
        partners = others[order[np.minimum(place, others.size - 1)]]
        usable = (left > 0) & first_of_each(partners)
        rows, partners = rows[usable], partners[usable]
        before = {n: (donors[n][rows].copy(), donors[n][partners].copy()) for n in unit}
        for name, (mine, theirs) in before.items():
            donors[name][rows], donors[name][partners] = theirs, mine
        undone = real_rows(partners)
        for name, (mine, theirs) in before.items():
            donors[name][rows[undone]], donors[name][partners[undone]] = (
                mine[undone],
                theirs[undone],
            )

    def _cycle(self, unit: tuple, copied: list, donors: dict, rows: np.ndarray) -> np.ndarray:
        """For output ``rows`` (each on a real combination), the position among them of
        the row whose values of ``unit`` each takes: the next in a random cycle of the
        rows holding the same value of the copied column outside the unit most
        associated with it (so that the pair keeps its association), of all of them
        where it has none. A permutation: the unit's counts, and their pairs with the
        associated column, stay as mixing made them. Drawn from any real row of that
        value instead (until 2026-12-08), the rows that became new were mostly those
        given a rarer value, and on AER's Arrests at the privacy target (every row new)
        the share of arrestees released fell from 0.829 to 0.755."""
        if self._associated is None:
            columns = {other: self._resolved(other) for other in copied}
            self._associated = _most_associated(columns, self._ties(copied), self.rng)
        given = self._associated.get(unit)
        labels = (
            np.zeros(len(rows), dtype=np.int64)
            if given is None
            else self._resolved(given)[donors[given][rows]].astype(np.int64)
        )
        return block_cycle(self.rng, labels)

    def _real_combinations(self, names: list, copied: list) -> tuple[np.ndarray, np.ndarray]:
        """The real rows' combination hashes, sorted, and how many real rows hold each;
        made once per generation, when a copy first needs them."""
        if self._combinations is None:
            columns = [self.sources[name] for name in names]
            columns += [self._resolved(name) for name in copied]
            self._combinations = np.unique(row_hashes(columns), return_counts=True)
        return self._combinations

    def _hashes(
        self, mixed: dict, donors: dict, names: list, copied: list, rows: np.ndarray
    ) -> np.ndarray:
        """The combination hashes of output ``rows``."""
        columns = [mixed[name][rows] for name in names]
        columns += [self._resolved(name)[donors[name][rows]] for name in copied]
        return row_hashes(columns)


#: The most distinct values of a mixed column for which a row is checked against every
#: real row, not only its donors (:meth:`CopyCheck._coarse`).
COARSE_VALUES = 256
#: ... each held by this many real rows on average: on a small table every column has
#: few values, but a value held by one row is no coincidence waiting to happen.
COARSE_REPEATS = 4
#: Values of a mixed column looked at before its distinct values are all counted.
FEW_VALUES_SAMPLE = 4096

#: Copied columns a row tries, one at a time, for a combination no real row has: the
#: first tries take another such row's value that goes with the row's others, the next
#: swap with a new row (both keep every column's counts), the last ones take any real
#: row's value.
COMBINATION_TRIES = 80
CONDITIONAL_TRIES = 16
FREE_TRIES = 32
#: With ``all_rows_new`` (rows on shared combinations change too, on tables where most
#: nearby combinations are real ones) the random walk goes on longer: a few rows of a
#: 400-row table of 235 combinations were still real after 32 tries.
STRICT_TRIES = 448
#: Of those, the last ones that take any real row's value (a random walk to a rare
#: combination: on a table of skewed codes whose rows half repeat another, 18 % of the
#: rows were left after the swaps, a few still after 64 tries).
STRICT_FREE_TRIES = 256


def row_hashes(columns: list[np.ndarray]) -> np.ndarray:
    """A 64-bit hash of each row of float64 ``columns`` (NaN equal to NaN, -0 to 0);
    two different rows share one with a chance near 2^-64."""
    hashes = np.zeros(len(columns[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in columns:
            values = np.where(np.isnan(column), np.nan, column + 0.0)
            bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
            hashes = (hashes ^ bits) * np.uint64(0x100000001B3) + np.uint64(0x9E3779B97F4A7C15)
            hashes ^= hashes >> np.uint64(29)
    return hashes


#: Rows the association between copied columns is measured on.
ASSOCIATION_ROWS = 5_000


def first_of_each(values: np.ndarray) -> np.ndarray:
    """Where each value occurs for the first time."""
    first = np.zeros(values.size, dtype=bool)
    first[np.unique(values, return_index=True)[1]] = True
    return first


def _most_associated(
    codes: dict[Any, np.ndarray], units: list[tuple], rng: np.random.Generator
) -> dict[tuple, Any]:
    """For each unit of columns, the column outside it most associated with one of its
    columns, by Cramér's V on a sample of rows (units with no associated column are
    left out)."""
    from scipy.stats.contingency import association, crosstab

    size = len(next(iter(codes.values())))
    sample = rng.choice(size, min(size, ASSOCIATION_ROWS), replace=False)
    names = list(codes)
    scores = np.zeros((len(names), len(names)))
    for i, first in enumerate(names):
        for j in range(i + 1, len(names)):
            table = crosstab(codes[first][sample], codes[names[j]][sample]).count
            if min(table.shape) > 1:
                scores[i, j] = scores[j, i] = association(table, method="cramer")
    found = {}
    for unit in units:
        inside = [names.index(name) for name in unit]
        outside = [j for j in range(len(names)) if j not in inside]
        if outside:
            best = scores[np.ix_(inside, outside)].max(axis=0)
            if best.max() > 0:
                found[unit] = names[outside[int(np.argmax(best))]]
    return found


#: A column with more distinct values than this share of the rows (a near key) fixes
#: every other by chance, so it fixes none here.
MAX_FIXING_SHARE = 0.5


def _fixes(codes: dict[Any, np.ndarray], rng: np.random.Generator) -> list[tuple[Any, Any]]:
    """Pairs (a, b) of columns where a's value fixes b's in every row (each city has one
    state), b not constant and a no near key: found on a sample of rows, then confirmed
    on every row."""
    size = len(next(iter(codes.values())))
    sample = rng.choice(size, min(size, ASSOCIATION_ROWS), replace=False)
    distinct = {name: np.unique(values).size for name, values in codes.items()}

    def fixes(a: np.ndarray, b: np.ndarray, distinct_a: int) -> bool:
        pairs = a.astype(np.int64) * (int(b.max()) + 1) + b.astype(np.int64)
        return np.unique(pairs).size == distinct_a

    found = []
    for a, a_codes in codes.items():
        if not 1 < distinct[a] <= MAX_FIXING_SHARE * size:
            continue
        sampled = np.unique(a_codes[sample]).size
        for b, b_codes in codes.items():
            if b == a or distinct[b] < 2:
                continue
            on_sample = fixes(a_codes[sample], b_codes[sample], sampled)
            if on_sample and fixes(a_codes, b_codes, distinct[a]):
                found.append((a, b))
    return found
