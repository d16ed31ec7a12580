"""Reading and writing tables: CSV and Parquet, files or stdin/stdout, atomic writes.

pyarrow does the parsing and writing (pandas' own ``to_csv`` is ~8x slower). The
Arrow schema of the input is kept, so the output is written with exactly the input's
column types: integers with missing values stay integers, dates stay dates.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa

from mixsynth.choices import STDIO, TableFormat, format_from_suffix
from mixsynth.errors import MixsynthError
from mixsynth.schema import check_columns

PARQUET_MAGIC = b"PAR1"




@dataclass
class Table:
    """A table read from a file, with the Arrow schema it was stored with."""

    frame: pd.DataFrame
    arrow_schema: pa.Schema
    format: TableFormat


def _source_bytes(source: str) -> pa.Buffer | str:
    if source == STDIO:
        return pa.py_buffer(sys.stdin.buffer.read())
    path = Path(source)
    if not path.exists():
        raise MixsynthError(f"input file {source!r} does not exist", "check the path")
    if path.is_dir():
        raise MixsynthError(f"input {source!r} is a directory, not a table file")
    if not os.access(path, os.R_OK):
        raise MixsynthError(f"input file {source!r} is not readable", "check its permissions")
    return source


def _starts_with(source: pa.Buffer | str, magic: bytes) -> bool:
    if isinstance(source, pa.Buffer):
        return source.to_pybytes()[: len(magic)] == magic
    with open(source, "rb") as handle:
        return handle.read(len(magic)) == magic


def read_table(
    source: str,
    fmt: TableFormat | None = None,
    encoding: str = "utf-8",
    schema: pa.Schema | None = None,
) -> Table:
    """Read CSV or Parquet (``-`` = stdin, CSV unless ``fmt`` says otherwise).

    ``schema`` fixes the CSV column types instead of inferring them (used to re-read
    mixsynth's own output exactly as it was written).
    """
    if fmt is None:
        fmt = TableFormat.CSV if source == STDIO else format_from_suffix(source, "--input-format")
    data = _source_bytes(source)
    looks_parquet = _starts_with(data, PARQUET_MAGIC)
    name = "stdin" if source == STDIO else repr(source)
    if fmt is TableFormat.CSV and looks_parquet:
        raise MixsynthError(
            f"{name} is a Parquet file, not CSV", "give --input-format parquet or rename it"
        )
    if fmt is TableFormat.PARQUET and not looks_parquet:
        raise MixsynthError(
            f"{name} is not a Parquet file", "if it is CSV, give --input-format csv"
        )
    try:
        arrow = _read_csv(data, encoding, schema) if fmt is TableFormat.CSV else _read_parquet(data)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeError) as error:
        raise _read_error(name, fmt, error) from None
    if arrow.num_columns == 0:
        raise MixsynthError(f"{name} has no columns", "give a table with a header row")
    if arrow.num_rows == 0:
        raise MixsynthError(f"{name} has a header but no rows", "give at least one data row")
    frame = arrow_to_frame(arrow)
    check_columns(frame)
    return Table(frame=frame, arrow_schema=arrow.schema, format=fmt)


def _read_csv(data: pa.Buffer | str, encoding: str, schema: pa.Schema | None) -> pa.Table:
    from pyarrow import csv

    types = {f.name: f.type for f in schema} if schema is not None else None
    return csv.read_csv(
        data,
        read_options=csv.ReadOptions(encoding=encoding),
        parse_options=csv.ParseOptions(newlines_in_values=True),
        # Empty cells in text columns are missing values, as in pandas.
        convert_options=csv.ConvertOptions(strings_can_be_null=True, column_types=types),
    )


def _read_parquet(data: pa.Buffer | str) -> pa.Table:
    from pyarrow import parquet

    return parquet.read_table(pa.BufferReader(data) if isinstance(data, pa.Buffer) else data)


def _read_error(name: str, fmt: TableFormat, error: Exception) -> MixsynthError:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "UTF8" in text or "UTF-8" in text or isinstance(error, UnicodeError):
        return MixsynthError(
            f"{name} is not valid UTF-8 text",
            "give its encoding, e.g. --encoding latin-1 (or cp1252)",
        )
    if "Empty CSV file" in text:
        return MixsynthError(f"{name} is empty", "give a CSV file with a header row")
    return MixsynthError(f"cannot read {name} as {fmt.value}: {text}")


def arrow_to_frame(arrow: pa.Table) -> pd.DataFrame:
    """pandas view of an Arrow table; integers with missing values become nullable Int64."""
    frame = arrow.to_pandas(date_as_object=False)
    for position, field in enumerate(arrow.schema):
        if pa.types.is_integer(field.type) and frame.dtypes.iloc[position].kind == "f":
            frame.isetitem(position, frame.iloc[:, position].astype("Int64"))
    return frame


def frame_to_arrow(frame: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """Arrow table of a DataFrame, with the input's exact column types when known."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if schema is None:
        return table
    columns = []
    for column, field in zip(table.columns, schema, strict=True):
        if column.type != field.type:
            if pa.types.is_date(field.type) and pa.types.is_timestamp(column.type):
                import pyarrow.compute as pc

                column = pc.round_temporal(column, unit="day")
            column = column.cast(field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _csv_ready(table: pa.Table) -> pa.Table:
    """Text fixes so that a CSV reader gets back what was written.

    Whole-valued float columns print as '3.0', not '3', so they stay floats.
    """
    import pyarrow.compute as pc

    for position, field in enumerate(table.schema):
        if not pa.types.is_floating(field.type):
            continue
        column = table.column(position)
        finite = pc.is_finite(column)
        whole = pc.equal(pc.floor(column), column)
        if not pc.all(pc.or_kleene(pc.invert(finite), whole)).as_py():
            continue
        text = pc.cast(column, pa.string())
        plain = pc.and_(finite, pc.invert(pc.match_substring_regex(text, r"[.eE]")))
        text = pc.if_else(plain, pc.binary_join_element_wise(text, ".0", ""), text)
        table = table.set_column(position, field.name, text)
    if table.num_columns == 1 and table.column(0).null_count:
        # A one-column row that is missing would be a blank line, which readers skip:
        # write it as a quoted empty string, which they read as missing.
        text = pc.fill_null(pc.cast(table.column(0), pa.string()), "")
        table = table.set_column(0, table.schema[0].name, text)
    return table


def _write_to(handle: IO[bytes] | str, table: pa.Table, fmt: TableFormat) -> None:
    if fmt is TableFormat.CSV:
        from pyarrow import csv

        csv.write_csv(_csv_ready(table), handle, csv.WriteOptions(quoting_style="needed"))
    else:
        from pyarrow import parquet

        parquet.write_table(table, handle)


def check_output(dest: str, force: bool, inputs: tuple[str, ...] = ()) -> None:
    """Refuse to overwrite an existing file without ``force``, or any input ever."""
    if dest == STDIO:
        return
    path = Path(dest)
    for source in inputs:
        if source != STDIO and Path(source).exists() and path.exists() and path.samefile(source):
            raise MixsynthError(
                f"output {dest!r} is the input file", "write the output to another path"
            )
    if path.is_dir():
        raise MixsynthError(f"output {dest!r} is a directory", "give a file name")
    if path.exists() and not force:
        raise MixsynthError(f"output {dest!r} already exists", "give --force to overwrite it")
    if not path.parent.exists():
        raise MixsynthError(f"the folder of output {dest!r} does not exist", "create it first")


def write_table(
    frame: pd.DataFrame, dest: str, fmt: TableFormat, schema: pa.Schema | None = None
) -> None:
    """Write atomically: to a temporary file beside ``dest``, renamed when complete."""
    table = frame_to_arrow(frame, schema)
    if dest == STDIO:
        _write_to(sys.stdout.buffer, table, fmt)
        sys.stdout.buffer.flush()
        return
    with atomic_path(dest) as temporary:
        _write_to(temporary, table, fmt)


@contextlib.contextmanager
def atomic_path(dest: str) -> Iterator[str]:
    """A temporary path beside ``dest``; renamed onto it only if the block succeeds.

    On any failure, Ctrl-C included, the temporary file is removed and ``dest`` is
    left as it was.
    """
    target = Path(dest)
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    os.close(descriptor)
    try:
        yield temporary
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600 files
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
