"""Reading tables: CSV and Parquet, files or stdin, into Arrow (what ``generate``
uses, no pandas) or a pandas DataFrame (``compare``). The Arrow schema of the input is
kept, so the output is written with exactly the input's column types."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from mixsynth.choices import STDIO, TableFormat, format_from_suffix
from mixsynth.columns import duplicated_names
from mixsynth.errors import InputError, MixsynthError, warn
from mixsynth.io.convert import arrow_to_frame
from mixsynth.io.csv_read import (
    blank_text,
    integers_beyond_int64_as_text,
    leading_zeros_as_text,
    read_csv_checked,
)
from mixsynth.io.source import (
    PARQUET_MAGIC,
    compressed_format,
    first_line,
    head_of,
    raise_if_out_of_memory,
    source_bytes,
)

if TYPE_CHECKING:  # pandas is imported only where frames are made (0.25 s of start-up)
    import pandas as pd


@dataclass
class Table:
    """A table read from a file, with the Arrow schema it was stored with."""

    frame: pd.DataFrame
    arrow_schema: pa.Schema
    format: TableFormat


@dataclass
class ArrowTable:
    """A table read from a file as Arrow, and the format it was stored in."""

    table: pa.Table
    format: TableFormat


def check_input(source: str, fmt: TableFormat | None = None) -> TableFormat:
    """The input's format, after checking that the file exists and can be read.

    The path is checked before its suffix, so a missing file or a folder is reported as
    such rather than as an unknown format.
    """
    if source == STDIO:
        return fmt or TableFormat.CSV
    path = Path(source)
    if not path.exists():
        raise InputError(f"input file {source!r} does not exist", "check the path")
    if path.is_dir():
        raise InputError(
            f"input {source!r} is a directory, not a table file", "give a .csv or .parquet file"
        )
    if not os.access(path, os.R_OK):
        raise InputError(f"input file {source!r} is not readable", "check its permissions")
    if fmt is not None:
        return fmt
    try:
        return format_from_suffix(source, "--input-format")
    except MixsynthError:
        # data.csv.gz: that it is compressed is the more useful thing to say.
        compressed = compressed_format(head_of(source, 16)) if path.is_file() else None
        if compressed is None:
            raise
        raise InputError(f"{source!r} is {compressed.message}", compressed.hint) from None


def read_table(
    source: str,
    fmt: TableFormat | None = None,
    encoding: str = "utf-8",
    schema: pa.Schema | None = None,
) -> Table:
    """Read CSV or Parquet into a pandas DataFrame (see :func:`read_arrow`)."""
    read = read_arrow(source, fmt, encoding, schema)
    stored_schema = read.table.schema  # arrow_to_frame consumes the table (self_destruct)
    frame = arrow_to_frame(read.table, consume=True)
    pa.default_memory_pool().release_unused()  # the Arrow columns just handed over
    return Table(frame=frame, arrow_schema=stored_schema, format=read.format)


def read_arrow(
    source: str,
    fmt: TableFormat | None = None,
    encoding: str = "utf-8",
    schema: pa.Schema | None = None,
) -> ArrowTable:
    """Read CSV or Parquet (``-`` = stdin, CSV unless ``fmt`` says otherwise) as Arrow.

    ``schema`` fixes the CSV column types instead of inferring them (used to re-read
    mixsynth's own output exactly as it was written). Every problem with the file is
    a :class:`MixsynthError` saying what is wrong, where, and what to do.
    """
    fmt = check_input(source, fmt)
    data = source_bytes(source)
    name = "stdin" if source == STDIO else repr(source)
    head = head_of(data)
    if not head or (fmt is TableFormat.CSV and blank_text(data, head)):
        what = "is empty" if not head else "is empty (nothing but blank lines and spaces)"
        raise InputError(f"{name} {what}", "give a table with a header row and data rows")
    compressed = compressed_format(head)
    if compressed is not None:
        raise InputError(f"{name} is {compressed.message}", compressed.hint)
    looks_parquet = head.startswith(PARQUET_MAGIC)
    if fmt is TableFormat.CSV and looks_parquet:
        raise InputError(
            f"{name} is a Parquet file, not CSV", "give --input-format parquet or rename it"
        )
    if fmt is TableFormat.PARQUET and not looks_parquet:
        raise InputError(
            f"{name} is not a Parquet file (no PAR1 magic bytes)",
            "if it is CSV, give --input-format csv or rename it .csv",
        )
    if fmt is TableFormat.CSV:
        arrow = read_csv_checked(data, name, head, encoding, schema)
    else:
        try:
            arrow = _read_parquet(data)
        except (pa.ArrowException, OSError) as error:
            raise_if_out_of_memory(error)
            raise InputError(
                f"{name} is not a readable Parquet file: {first_line(error)}",
                "it may be truncated or corrupted; write it again",
            ) from None
    if arrow.num_columns == 0:
        raise InputError(f"{name} has no columns", "give a table with a header row")
    if arrow.num_rows == 0:
        raise InputError(f"{name} has a header but no rows", "give at least one data row")
    duplicates = duplicated_names(arrow.column_names)
    if duplicates:
        raise InputError(
            f"{name} has duplicate column names: {', '.join(repr(n) for n in duplicates)}",
            "rename the columns so that each name is unique",
        )
    if fmt is TableFormat.CSV and schema is None:
        arrow = integers_beyond_int64_as_text(data, encoding, arrow)
        arrow = leading_zeros_as_text(data, encoding, arrow)
        _warn_if_another_delimiter(name, arrow.column_names)
    # The reader's threads leave freed buffers in their allocator arenas (as much again
    # as the table, for CSV); given back now, they do not add to the peak of what follows.
    pa.default_memory_pool().release_unused()
    return ArrowTable(table=arrow, format=fmt)


def _warn_if_another_delimiter(name: str, columns: list[str]) -> None:
    """One column whose name holds ';', a tab or '|' is most likely another delimiter."""
    if len(columns) != 1:
        return
    for delimiter, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if delimiter in columns[0]:
            warn(
                f"{name} has a single column, named {columns[0]!r}: if its fields are "
                f"separated by {label}, convert them to commas (as it is, the whole line "
                "is one text value, copied from donor rows)",
                stacklevel=3,
            )
            return


def _read_parquet(data: pa.Buffer | str) -> pa.Table:
    from pyarrow import parquet

    # ParquetFile, not read_table: it reads duplicate column names, which are then
    # reported clearly instead of as a field-lookup failure.
    return parquet.ParquetFile(
        pa.BufferReader(data) if isinstance(data, pa.Buffer) else data
    ).read()
