"""``generate --balance``: one table instead of generations, the real rows and each
class's new rows, mixed inside the class (:mod:`mixsynth.engine.balance` makes them).

Apart from the generate job's flow because it is another kind of run: its own
refusals and its own single output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mixsynth.columns import group_codes
from mixsynth.engine.balance import new_rows_per_class, oversample
from mixsynth.engine.memory import generation_rngs
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.errors import InputError, OptionError
from mixsynth.io import TableFormat, table_writer


def check_balance(
    balance: tuple[str, str | float] | None,
    only_new: bool,
    *,
    generations: int,
    out_dir: Path | None,
    rows: int | None,
    report: str | None,
    output: str | None,
) -> None:
    """--balance makes one table (real rows + new ones); refuse what does not fit."""
    if balance is None:
        if only_new:
            raise OptionError("--only-new needs --balance", "give --balance COLUMN")
        return
    clashes = {
        "--generations": generations > 1,
        "--out-dir": out_dir is not None,
        "--rows": rows is not None,
        "--report": report is not None,
    }
    for option, clash in clashes.items():
        if clash:
            raise OptionError(
                f"--balance cannot be combined with {option}",
                "--balance writes one table: the real rows and the new ones of each class",
            )
    if output is None:
        raise OptionError("--balance needs -o OUTPUT", "give -o OUTPUT (- for stdout)")


def write_balanced(
    table: Any,
    reference: Reference,
    balance: tuple[str, str | float],
    options: SynthesisOptions,
    seed: int,
    output: str,
    fmt: TableFormat,
    only_new: bool,
) -> None:
    """The real rows (unless ``only_new``), then each class's new rows, mixed inside it."""
    column, strategy = balance
    spec = next((s for s in reference.schema if s.name == column), None)
    if spec is None:
        raise OptionError(
            f"--balance column {column!r} is not in the table",
            f"columns are: {', '.join(s.name for s in reference.schema)}",
        )
    if spec.missing:
        raise InputError(
            f"--balance column {column!r} has {spec.missing} missing value(s)",
            "every row needs a class: drop or fill those rows first",
        )
    codes = group_codes(table, (column,))
    counts = np.bincount(codes)
    new = new_rows_per_class(np.arange(len(counts)), counts, strategy)
    made = oversample(table, codes, new, options, generation_rngs(seed, 1)[0], reference)
    parts = [] if only_new else [table]
    parts += [] if made is None else [made]
    with table_writer(output, fmt, table.schema) as write:
        for part in parts or [table.slice(0, 0)]:
            write(part)
