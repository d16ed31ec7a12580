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
(``split_copied``): where every column is copied from one donor, every row is its
donor's combination, and swapping codes to change that would scramble the table's
associations (measured on a table of codes: overall quality 1.0 -> 0.93 at generation
1); there, splitting the copied columns is what makes new rows (docs/privacy.md).

A row equal to a real row that is *not* its donor is left alone: on a table of a few
codes, a fresh real sample has such rows too (a coincidence, not a copy). A table of a
single compared column is left alone: any value there is some real row's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mixsynth.columns import group_codes
from mixsynth.engine.kernel import Pairs
from mixsynth.engine.shapes import Comparison, break_copies, copy_steps


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
        self, table: Any, copied: list, swapped: bool, sources: dict[Any, np.ndarray]
    ) -> None:
        self.table, self.swapped = table, swapped
        self.sources = sources  #: the mixed source columns, as outputs are compared
        self.names = list(copied)
        self._codes: dict[Any, np.ndarray | None] = {}  #: float64 codes, None: no codes
        self.holders: dict[Any, np.ndarray] = {}  #: a source row holding each code
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
            return 0
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
