"""No synthetic row is a copy of one of its donors (docs/privacy.md).

A row can come out equal to a real row even though it was mixed: integer and decimal
rounding snap a value back onto its donor's when the two donors are close, a point
mass and every copied column come from a donor, and a weight near 0 or 1 leaves the
rest within rounding of it. Such a row is a real record released as it is. After a
slice is mixed and finished, every row is compared with its dominant donor and its
partner over all the columns that are not made up (mixed values as finished, copied
columns as category codes); a row equal to either one swaps a value with the row of
the next distinct value of its group (:func:`~mixsynth.engine.shapes.break_copies`,
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

from typing import Any

import numpy as np

from mixsynth.columns import group_codes
from mixsynth.engine.kernel import Pairs


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
    comparing and repairing output rows; made once per generation."""

    def __init__(self, table: Any, copied: list, swapped: bool) -> None:
        self.swapped = swapped
        self.codes: dict[Any, np.ndarray] = {}
        self.holders: dict[Any, np.ndarray] = {}  #: a source row holding each code
        for name in copied:
            codes = category_codes(table, name)
            if codes is not None:
                self.codes[name] = codes.astype(np.float64)
                if swapped:  # only swapped codes need a row that holds them
                    self.holders[name] = np.unique(codes, return_index=True)[1]
        self.copied = list(self.codes)

    def break_up(
        self,
        mixed: dict[Any, np.ndarray],
        sources: dict[Any, np.ndarray],
        donors: dict[Any, np.ndarray],
        pairs: Pairs,
    ) -> int:
        """Repair the rows of one slice that equal a donor, in place: ``mixed`` holds
        the finished mixed values (compared with ``sources``, the source columns in the
        same encoding, point masses included) and ``donors`` the row each copied column
        is taken from (replaced for the columns whose values moved). Returns how many
        rows were copies."""
        from mixsynth.engine.shapes import break_copies

        if len(mixed) + len(self.copied) < 2:
            return 0
        names = list(mixed)
        codes = [(self.codes[name][donors[name]], self.codes[name]) for name in self.copied]
        outputs = [mixed[name] for name in names]
        columns = [sources[name] for name in names]
        if self.swapped:
            outputs += [output for output, _ in codes]
            columns += [source for _, source in codes]
        if not outputs:
            return 0
        found = break_copies(
            outputs,
            columns,
            [pairs.dominant, pairs.other],
            pairs.group_codes[pairs.dominant],
            compared=() if self.swapped else codes,
        )
        if found and self.swapped:
            for name, moved_codes in zip(self.copied, outputs[len(names) :], strict=True):
                moved = moved_codes != self.codes[name][donors[name]]
                if moved.any():
                    rows = donors[name].copy()
                    rows[moved] = self.holders[name][moved_codes[moved].astype(np.int64)]
                    donors[name] = rows
        return found
