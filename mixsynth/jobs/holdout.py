"""``generate --holdout``: real rows kept out of synthesis, so that the report measures
privacy and utility against rows the synthesizer never saw."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from mixsynth.errors import InputError, OptionError
from mixsynth.io import TableFormat, read_arrow, write_table
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
        raise OptionError(
            f"--holdout {text} is not a share of the rows between 0 and 1",
            "give e.g. --holdout 0.3, or a file of held-out rows",
        )
    return share


def hold_out(
    source: Any,
    holdout: float | str | None,
    seed: int,
    input_format: TableFormat | None,
    encoding: str,
) -> tuple[Any, Any]:
    """(the input to synthesize from, the held-out rows or None), Arrow. A share splits
    the input's rows with the seed (those of :func:`mixsynth.metrics.split_holdout`); a
    file is read as the held-out rows and must have the input's columns."""
    if holdout is None:
        return source, None
    table = source.table
    if isinstance(holdout, float):
        kept, held = holdout_rows(table.num_rows, holdout, seed)
        return dataclasses.replace(source, table=table.take(kept)), table.take(held)
    rows = read_arrow(holdout, input_format, encoding).table
    if rows.num_rows == 0:
        raise InputError(f"--holdout {holdout!r} has no rows", "give at least one held-out row")
    if sorted(rows.column_names) != sorted(table.column_names):
        missing = sorted(set(table.column_names) - set(rows.column_names))
        what = f"lacks column {missing[0]!r}" if missing else "has columns the input has not"
        raise InputError(
            f"--holdout {holdout!r} {what}",
            "give held-out rows of the same table, with the same columns",
        )
    return source, rows.select(table.column_names)


def write_held_out(
    held: Any, holdout: float | str | None, out_dir: Path | None, fmt: TableFormat
) -> None:
    """The rows a share held out, beside the generations in --out-dir (a file given
    as the holdout is not copied)."""
    if out_dir is not None and isinstance(holdout, float):
        write_table(held, str(holdout_file(out_dir, fmt)), fmt, held.schema)


def holdout_file(out_dir: Path, fmt: TableFormat) -> Path:
    """Where ``--holdout SHARE`` writes the held-out rows in --out-dir."""
    return out_dir / f"{HOLDOUT_STEM}.{fmt.value}"


def check_holdout(
    holdout: float | str | None,
    *,
    balance: bool,
    where: bool,
    report: bool,
    out_dir: Path | None,
) -> None:
    """--holdout only serves the report (and, as a share, the rows written beside)."""
    if holdout is None:
        return
    if balance or where:
        raise OptionError(
            f"--holdout cannot be combined with {'--balance' if balance else '--where'}",
            "split the table first and compare with 'mixsynth compare --holdout'",
        )
    if not report and not (isinstance(holdout, float) and out_dir is not None):
        raise OptionError(
            "--holdout needs --report (or, as a share, --out-dir, where the held-out rows "
            "are written)",
            "give --report PATH",
        )
