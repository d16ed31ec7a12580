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
(:meth:`CopyCheck.new_combinations`): first a value that goes with its other values,
then any value. A row on a combination k real rows share is left with probability
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
from typing import Any

import numpy as np

from mixsynth.columns import group_codes
from mixsynth.engine.kernel import Pairs
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
        #: An associated column's codes, its rows sorted by code, where each code starts
        #: and how many rows hold it (:meth:`_conditional_rows`).
        self._holders_by_code: dict[Any, tuple[np.ndarray, ...]] = {}
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
        the columns of one unit (:meth:`_ties`) from another real row, up to
        :data:`COMBINATION_TRIES` times, until their combination is no real row's: a
        row sharing their value of the unit's most associated column first, any row
        after :data:`CONDITIONAL_TRIES`; ``donors`` is updated in place. Returns how
        many rows were such copies."""
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
        for attempt in range(STRICT_TRIES if self.strict else COMBINATION_TRIES):
            picked = self.rng.integers(0, len(units), size=len(remaining))
            for k, unit in enumerate(units):
                chosen = remaining[picked == k]
                if not chosen.size:
                    continue
                if attempt < CONDITIONAL_TRIES:
                    taken = self._conditional_rows(unit, copied, donors, chosen)
                else:  # the associated value keeps giving real rows: any row's values
                    taken = self.rng.integers(0, len(self._resolved(unit[0])), size=len(chosen))
                for name in unit:  # a unit's values from one real row: a real pair
                    donors[name][chosen] = taken
            taken = self._hashes(mixed, donors, names, copied, remaining)
            at = np.minimum(np.searchsorted(hashes, taken), len(hashes) - 1)
            remaining = remaining[hashes[at] == taken]
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

    def _conditional_rows(
        self, unit: tuple, copied: list, donors: dict, rows: np.ndarray
    ) -> np.ndarray:
        """For output ``rows``, real rows to take the columns of ``unit`` from: random
        rows holding the output row's value of the copied column outside the unit most
        associated with it (so that the pair keeps its association), any random rows
        where it has no associated column."""
        if self._associated is None:
            columns = {other: self._resolved(other) for other in copied}
            self._associated = _most_associated(columns, self._ties(copied), self.rng)
        given = self._associated.get(unit)
        if given is None:
            return self.rng.integers(0, len(self._resolved(unit[0])), size=len(rows))
        if given not in self._holders_by_code:  # sorted once, tried up to 16 times a slice
            codes = self._resolved(given).astype(np.int64)
            counts = np.bincount(codes)
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            self._holders_by_code[given] = codes, np.argsort(codes, kind="stable"), starts, counts
        codes, order, starts, counts = self._holders_by_code[given]
        wanted = codes[donors[given][rows]]
        return order[
            starts[wanted] + (self.rng.random(len(rows)) * counts[wanted]).astype(np.int64)
        ]

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
#: first tries take a value that goes with the row's others, the last ones any value.
COMBINATION_TRIES = 32
CONDITIONAL_TRIES = 16
#: With ``all_rows_new`` (rows on shared combinations change too, on tables where most
#: nearby combinations are real ones) the random walk goes on longer: a few rows of a
#: 400-row table of 235 combinations were still real after 32 tries.
STRICT_TRIES = 256


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
