"""``generate --holdout``: real rows kept out of synthesis, so that the report measures
privacy and utility against rows the synthesizer never saw."""

from __future__ import annotations

from typing import Any

from mixsynth.errors import MixsynthError
from mixsynth.io import TableFormat, read_arrow
from mixsynth.io.split import holdout_rows

#: The held-out rows of ``--holdout SHARE`` in --out-dir, beside the generations.
HOLDOUT_STEM = "holdout"


def parse_holdout(text: str) -> float | str:
    """``--holdout``: a share of the input's rows (a number between 0 and 1) or a file."""
    try:
        share = float(text)
    except ValueError:
        return text
    if not 0 < share < 1:
        raise MixsynthError(
            f"--holdout {text} is not a share of the rows between 0 and 1",
            "give e.g. --holdout 0.3, or a file of held-out rows",
        )
    return share


def hold_out(
    table: Any,
    holdout: float | str,
    seed: int,
    input_format: TableFormat | None,
    encoding: str,
) -> tuple[Any, Any]:
    """(rows to synthesize from, held-out rows), Arrow tables. A share splits the input
    with the seed (the rows of :func:`mixsynth.metrics.split_holdout`); a file is read
    as the held-out rows and must have the input's columns."""
    if isinstance(holdout, float):
        kept, held = holdout_rows(table.num_rows, holdout, seed)
        return table.take(kept), table.take(held)
    held = read_arrow(holdout, input_format, encoding).table
    if held.num_rows == 0:
        raise MixsynthError(f"--holdout {holdout!r} has no rows", "give at least one held-out row")
    if sorted(held.column_names) != sorted(table.column_names):
        missing = sorted(set(table.column_names) - set(held.column_names))
        what = f"lacks column {missing[0]!r}" if missing else "has columns the input has not"
        raise MixsynthError(
            f"--holdout {holdout!r} {what}",
            "give held-out rows of the same table, with the same columns",
        )
    return table, held.select(table.column_names)
