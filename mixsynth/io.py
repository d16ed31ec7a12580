"""Reading and writing tables: CSV and Parquet, files or stdin/stdout, atomic writes.

pyarrow does the parsing and writing (pandas' own ``to_csv`` is ~8x slower). The
Arrow schema of the input is kept, so the output is written with exactly the input's
column types: integers with missing values stay integers, dates stay dates.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import secrets
import sys
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pyarrow as pa

from mixsynth.choices import STDIO, THREADS, TableFormat, format_from_suffix
from mixsynth.columns import duplicated_names
from mixsynth.errors import MixsynthError, MixsynthWarning

if TYPE_CHECKING:  # pandas is imported only where frames are made (0.25 s of start-up)
    import pandas as pd

PARQUET_MAGIC = b"PAR1"
#: Rows per slice when CSV is formatted on several threads (a few MiB of text each).
CSV_SLICE_ROWS = 1 << 14
#: How much of an input is sniffed for magic numbers, byte-order marks and binary data.
HEAD_BYTES = 1 << 16
#: Byte-order marks of text that is not UTF-8 (UTF-32 first: its LE mark starts like UTF-16's).
TEXT_BOMS = {
    b"\xff\xfe\x00\x00": "utf-32",
    b"\x00\x00\xfe\xff": "utf-32",
    b"\xff\xfe": "utf-16",
    b"\xfe\xff": "utf-16",
}


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
        raise MixsynthError(f"input file {source!r} does not exist", "check the path")
    if path.is_dir():
        raise MixsynthError(
            f"input {source!r} is a directory, not a table file", "give a .csv or .parquet file"
        )
    if not os.access(path, os.R_OK):
        raise MixsynthError(f"input file {source!r} is not readable", "check its permissions")
    if fmt is not None:
        return fmt
    try:
        return format_from_suffix(source, "--input-format")
    except MixsynthError:
        # data.csv.gz: that it is compressed is the more useful thing to say.
        compressed = _compressed(_head(source, 16)) if path.is_file() else None
        if compressed is None:
            raise
        raise MixsynthError(f"{source!r} is {compressed.message}", compressed.hint) from None


def _source_bytes(source: str) -> pa.Buffer | str:
    """The input for pyarrow: a path, or the bytes of stdin and of anything that is not
    a regular file (a pipe such as bash's ``<(...)`` can be read only once, in order)."""
    if source == STDIO:
        return pa.py_buffer(stdin_bytes())
    if not Path(source).is_file():
        with open(source, "rb") as handle:
            return pa.py_buffer(handle.read())
    return source


def stdin_bytes() -> bytes:
    """All of stdin; a closed stdin (``<&-``) is a bad input, not a crash."""
    if sys.stdin is None:
        raise MixsynthError("stdin is closed", "pipe a table in, or give a file path")
    return sys.stdin.buffer.read()


def stdout_buffer() -> IO[bytes]:
    """stdout as bytes; a closed stdout (``>&-``) is a bad usage, not a crash."""
    if sys.stdout is None:
        raise MixsynthError(
            "stdout is closed, so nothing can be written to it", "give a file path instead of -"
        )
    return sys.stdout.buffer


def _compressed(head: bytes) -> MixsynthError | None:
    """A clear error for compressed files and archives, which look like binary garbage."""
    kinds = {
        b"\x1f\x8b": ("gzip-compressed", "decompress it first, e.g. gunzip -k FILE"),
        b"PK\x03\x04": ("a zip archive (an Excel .xlsx?)", "unzip it, or export it as CSV"),
        b"\xfd7zXZ\x00": ("xz-compressed", "decompress it first, e.g. unxz -k FILE"),
        b"\x28\xb5\x2f\xfd": ("zstd-compressed", "decompress it first, e.g. unzstd FILE"),
    }
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        kinds[head[:3]] = ("bzip2-compressed", "decompress it first, e.g. bunzip2 -k FILE")
    for magic, (what, hint) in kinds.items():
        if head.startswith(magic):
            return MixsynthError(what, hint)
    return None


def _head(source: pa.Buffer | str, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes, for sniffing magic numbers, BOMs and binary data."""
    if isinstance(source, pa.Buffer):
        return source[:size].to_pybytes()
    try:
        with open(source, "rb") as handle:
            return handle.read(size)
    except OSError as error:
        raise MixsynthError(f"cannot read {source!r}: {error.strerror or error}") from None


def _all_bytes(source: pa.Buffer | str) -> bytes:
    """The whole input, only to locate a problem already found (never on success)."""
    if isinstance(source, pa.Buffer):
        return source.to_pybytes()
    with open(source, "rb") as handle:
        return handle.read()


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
    data = _source_bytes(source)
    name = "stdin" if source == STDIO else repr(source)
    head = _head(data)
    if not head or (fmt is TableFormat.CSV and _blank(data, head)):
        what = "is empty" if not head else "is empty (nothing but blank lines and spaces)"
        raise MixsynthError(f"{name} {what}", "give a table with a header row and data rows")
    compressed = _compressed(head)
    if compressed is not None:
        raise MixsynthError(f"{name} is {compressed.message}", compressed.hint)
    looks_parquet = head.startswith(PARQUET_MAGIC)
    if fmt is TableFormat.CSV and looks_parquet:
        raise MixsynthError(
            f"{name} is a Parquet file, not CSV", "give --input-format parquet or rename it"
        )
    if fmt is TableFormat.PARQUET and not looks_parquet:
        raise MixsynthError(
            f"{name} is not a Parquet file (no PAR1 magic bytes)",
            "if it is CSV, give --input-format csv or rename it .csv",
        )
    if fmt is TableFormat.CSV:
        arrow = _read_csv_checked(data, name, head, encoding, schema)
    else:
        try:
            arrow = _read_parquet(data)
        except (pa.ArrowException, OSError) as error:
            _raise_if_out_of_memory(error)
            raise MixsynthError(
                f"{name} is not a readable Parquet file: {_first_line(error)}",
                "it may be truncated or corrupted; write it again",
            ) from None
    if arrow.num_columns == 0:
        raise MixsynthError(f"{name} has no columns", "give a table with a header row")
    if arrow.num_rows == 0:
        raise MixsynthError(f"{name} has a header but no rows", "give at least one data row")
    duplicates = duplicated_names(arrow.column_names)
    if duplicates:
        raise MixsynthError(
            f"{name} has duplicate column names: {', '.join(repr(n) for n in duplicates)}",
            "rename the columns so that each name is unique",
        )
    if fmt is TableFormat.CSV and schema is None:
        arrow = _integers_beyond_int64_as_text(data, encoding, arrow)
        arrow = _leading_zeros_as_text(data, encoding, arrow)
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
            warnings.warn(
                f"{name} has a single column, named {columns[0]!r}: if its fields are "
                f"separated by {label}, convert them to commas (as it is, the whole line "
                "is one text value, copied from donor rows)",
                MixsynthWarning,
                stacklevel=3,
            )
            return


def _raise_if_out_of_memory(error: BaseException) -> None:
    """Arrow's ways of saying it ran out of memory (an allocation, a worker thread that
    could not start) are MemoryError, which the CLI reports as one line like any other."""
    if isinstance(error, pa.ArrowMemoryError) or "Failed to launch worker thread" in str(error):
        raise MemoryError(str(error)) from None


def _first_line(error: BaseException, limit: int = 200) -> str:
    """An exception's text as one short line."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_csv_checked(
    data: pa.Buffer | str, name: str, head: bytes, encoding: str, schema: pa.Schema | None
) -> pa.Table:
    """pyarrow's CSV reader, with every way it can fail or silently mangle turned into
    a clear error: unknown encodings, UTF-16 and binary files, invalid UTF-8 (which
    pyarrow would read as a binary column), bad rows (with their line number)."""
    utf8 = check_encoding(encoding) == "utf-8"
    if utf8:
        for bom, codec in TEXT_BOMS.items():
            if head.startswith(bom):
                raise MixsynthError(
                    f"{name} is {codec} text, not UTF-8", f"give --encoding {codec}"
                )
        if _looks_binary(head):
            raise MixsynthError(
                f"{name} is a binary file, not CSV text",
                "give a CSV or Parquet table, or --encoding utf-16 if it is UTF-16 text",
            )
        # The header: the first line that is not empty (pyarrow skips empty lines); a
        # head cut inside a long header may end mid-character.
        text = head.lstrip(b"\r\n")
        header = text.split(b"\n", 1)[0] if b"\n" in text or len(head) < HEAD_BYTES else text[:-3]
        try:
            header.decode("utf-8")
        except UnicodeDecodeError:
            raise _not_utf8(name, head.count(b"\n", 0, len(head) - len(text)) + 1) from None
    try:
        try:
            arrow = _read_csv(data, encoding, schema)
        except pa.ArrowInvalid as error:
            if "straddling" not in str(error):
                raise
            # A row longer than pyarrow's block (1 MiB): read again in one block.
            size = len(data) if isinstance(data, pa.Buffer) else os.path.getsize(data)
            arrow = _read_csv(data, encoding, schema, block_size=size + 1)
    except UnicodeError as error:
        raise MixsynthError(
            f"{name} is not valid {encoding} text: {_first_line(error)}",
            "give the file's encoding with --encoding",
        ) from None
    except (pa.ArrowException, OSError) as error:
        _raise_if_out_of_memory(error)
        raise _csv_error(data, name, error, encoding) from None
    try:
        arrow.schema.names  # noqa: B018 (pyarrow decodes the names here)
    except UnicodeDecodeError:  # a header the check above could not see (a cut head)
        raise _not_utf8(name, _first_invalid_utf8_line(_all_bytes(data))) from None
    if utf8 and any(pa.types.is_binary(field.type) for field in arrow.schema):
        raise _not_utf8(name, _first_invalid_utf8_line(_all_bytes(data)))
    return arrow


def check_encoding(encoding: str) -> str:
    """The codec's name, after refusing unknown codecs and those that are not text
    encodings (``rot13``, ``hex``, ``zlib``: bytes to bytes or str to str)."""
    hint = "give e.g. --encoding utf-8, latin-1 or cp1252"
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError):  # ValueError: a name holding NUL
        raise MixsynthError(f"unknown encoding {encoding!r}", hint) from None
    if not getattr(info, "_is_text_encoding", True):  # as str.encode and open() check
        raise MixsynthError(f"{encoding!r} is not a text encoding", hint)
    return info.name


def _blank(data: pa.Buffer | str, head: bytes) -> bool:
    """Nothing but spaces and line breaks: no header, no rows, whatever a reader makes
    of it (pyarrow reads a one-row table with a column named '   ')."""
    if head.strip():
        return False
    if len(head) < HEAD_BYTES:
        return True
    if isinstance(data, pa.Buffer):
        return not data.to_pybytes().strip()
    with open(data, "rb") as handle:
        while chunk := handle.read(1 << 20):
            if chunk.strip():
                return False
    return True


def _looks_binary(head: bytes) -> bool:
    """NUL bytes that text would not hold: many (UTF-16 without a BOM), or any in
    bytes that are not UTF-8 either. A NUL inside valid UTF-8 text is data."""
    nuls = head.count(b"\x00")
    if not nuls:
        return False
    if nuls * 10 > len(head):
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A head cut mid-character is still text.
        return not (len(head) == HEAD_BYTES and error.start >= len(head) - 3)
    return False


def _read_csv(
    data: pa.Buffer | str,
    encoding: str,
    schema: pa.Schema | None,
    block_size: int | None = None,
) -> pa.Table:
    from pyarrow import csv

    types = None
    if schema is not None:
        # pyarrow's CSV reader makes dictionaries with int32 indices only: read those,
        # then cast to the schema's own index type below.
        types = {
            f.name: pa.dictionary(pa.int32(), f.type.value_type)
            if pa.types.is_dictionary(f.type)
            else f.type
            for f in schema
        }
    options = {
        "parse_options": csv.ParseOptions(newlines_in_values=True),
        # Empty cells in text columns are missing values, as in pandas. In mixsynth's
        # own output a quoted "" is an empty string (the writer quotes it; one-column
        # tables excepted, whose missing values are written as "", see _csv_ready).
        "convert_options": csv.ConvertOptions(
            strings_can_be_null=True,
            quoted_strings_can_be_null=schema is None or len(schema) == 1,
            column_types=types,
        ),
    }
    table = None
    if block_size is None:
        table = _read_csv_streaming(data, encoding, options)
    if table is None:
        read = {"encoding": encoding}
        if block_size is not None:
            read["block_size"] = min(block_size, 2**31 - 1)
        table = csv.read_csv(data, read_options=csv.ReadOptions(**read), **options)
    for position, field in enumerate(schema or ()):
        if pa.types.is_dictionary(field.type) and table.schema.field(position).type != field.type:
            table = table.set_column(position, field, table.column(position).cast(field.type))
    return table


#: Bytes of CSV text per block of the streaming reader: more for wide tables, whose
#: rows are long (1 MiB holds 55 rows of 1,000 columns; every block is a chunk).
CSV_BLOCK_BYTES = 1 << 20
CSV_MAX_BLOCK_BYTES = 4 << 20


def _read_csv_streaming(data: pa.Buffer | str, encoding: str, options: dict) -> pa.Table | None:
    """The table read block by block, each block converted and its text let go: a peak
    of about 3.5x the table instead of read_csv's 5.5-7x, which keeps every block's text
    until the whole file is read (for 30% more time on narrow tables).

    The streaming reader fixes each column's type on the first block; where a later
    block does not fit it (an integer column with a decimal point further down), None
    says to read again with read_csv, which infers types over the whole file."""
    from pyarrow import csv

    source = pa.BufferReader(data) if isinstance(data, pa.Buffer) else data
    head = data[:HEAD_BYTES].to_pybytes() if isinstance(data, pa.Buffer) else None
    if head is None:
        with open(data, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    columns = head.split(b"\n", 1)[0].count(b",") + 1
    block = min(CSV_MAX_BLOCK_BYTES, CSV_BLOCK_BYTES * -(-columns // 250))
    try:
        reader = csv.open_csv(
            source, read_options=csv.ReadOptions(encoding=encoding, block_size=block), **options
        )
        return pa.Table.from_batches(list(reader), schema=reader.schema)
    except pa.ArrowInvalid as error:
        if "conversion error" in str(error):
            return None
        raise


def _read_parquet(data: pa.Buffer | str) -> pa.Table:
    from pyarrow import parquet

    # ParquetFile, not read_table: it reads duplicate column names, which are then
    # reported clearly instead of as a field-lookup failure.
    return parquet.ParquetFile(
        pa.BufferReader(data) if isinstance(data, pa.Buffer) else data
    ).read()


def _not_utf8(name: str, line: int | None) -> MixsynthError:
    where = f" (line {line})" if line else ""
    return MixsynthError(
        f"{name} is not valid UTF-8 text{where}",
        "give its encoding, e.g. --encoding latin-1 or --encoding cp1252",
    )


def _first_invalid_utf8_line(data: bytes) -> int | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return data.count(b"\n", 0, error.start) + 1
    return None


def _csv_error(
    data: pa.Buffer | str, name: str, error: BaseException, encoding: str
) -> MixsynthError:
    """A parse error, located by line (pyarrow says what is wrong but not where)."""
    text = _first_line(error)
    if "Empty CSV file" in text:
        return MixsynthError(f"{name} is empty", "give a CSV file with a header row")
    if "Expected" not in text or "columns" not in text:
        return MixsynthError(f"cannot read {name} as CSV: {text}")
    found = _first_ragged_row(_all_bytes(data).decode(encoding, "replace"))
    if found is None:
        return MixsynthError(f"cannot read {name} as CSV: {text}")
    line, expected, actual = found
    return MixsynthError(
        f"{name}, line {line}: expected {expected} fields like the header, found {actual}",
        "quote fields that contain the delimiter, or fix that row",
    )


def _first_ragged_row(text: str) -> tuple[int, int, int] | None:
    """(line, header fields, fields) of the first row whose width differs from the
    header's, by Python's csv module (only on the error path; it is slow)."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""))
    width, lines_read = None, 0
    try:
        for row in reader:
            start, lines_read = lines_read + 1, reader.line_num
            if not row:
                continue  # blank lines are skipped, as pyarrow does
            if width is None:
                width = len(row)
            elif len(row) != width:
                return start, width, len(row)
    except csv.Error:  # e.g. a field beyond its size limit: the line stays unknown
        return None
    return None


def _integers_beyond_int64_as_text(
    data: pa.Buffer | str, encoding: str, arrow: pa.Table
) -> pa.Table:
    """Columns of whole numbers too large for int64 are kept as their text.

    pyarrow reads them as float64, which silently rounds them (99999999999999999999
    becomes 1e+20). Kept as text, they are copied exactly from donor rows, like
    identifiers; a column that also holds decimals stays a float column.
    """
    import pyarrow.compute as pc
    from pyarrow import csv

    for position, field in enumerate(arrow.schema):
        if not pa.types.is_floating(field.type):
            continue
        column = arrow.column(position)
        extremes = pc.min_max(column)  # NaN is skipped
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        if low is None or not (2.0**63 <= max(-low, high) < float("inf")):
            continue
        text = csv.read_csv(
            data,
            read_options=csv.ReadOptions(encoding=encoding),
            parse_options=csv.ParseOptions(newlines_in_values=True),
            convert_options=csv.ConvertOptions(
                include_columns=[field.name],
                column_types={field.name: pa.string()},
                strings_can_be_null=True,
            ),
        ).column(0)
        if pc.all(pc.match_substring_regex(pc.utf8_trim_whitespace(text), r"^[+-]?\d+$")).as_py():
            arrow = arrow.set_column(position, pa.field(field.name, pa.string()), text)
    return arrow


#: How much of a CSV is looked at for digit strings with leading zeros (zip codes).
LEADING_ZERO_SNIFF_BYTES = 1 << 22
#: Number-looking text that would lose information as a number: a leading zero
#: (02139, 007.5) or an international phone number's + (+447700900123).
DIGITS_AS_TEXT = r"^\s*([+-]?0\d|\+\d{7,}\s*$)"


def _leading_zeros_as_text(data: pa.Buffer | str, encoding: str, arrow: pa.Table) -> pa.Table:
    """Columns read as numbers whose text has leading zeros (zip codes such as 02139,
    account numbers) or is an international phone number (+447700900123) are kept as
    their text, value for value: as numbers they would lose the zero or the + and be
    mixed into codes that do not exist.

    The text of the integer columns is looked at in the first
    :data:`LEADING_ZERO_SNIFF_BYTES` of the file (all of it for most tables); a column
    found there is re-read whole as text.
    """
    import pyarrow.compute as pc
    from pyarrow import csv

    integers = [
        f.name for f in arrow.schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
    ]
    if not integers:
        return arrow

    def as_text(source: pa.Buffer | str, names: list[str]) -> pa.Table:
        return csv.read_csv(
            source,
            read_options=csv.ReadOptions(encoding=encoding),
            parse_options=csv.ParseOptions(newlines_in_values=True),
            convert_options=csv.ConvertOptions(
                include_columns=names,
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
            ),
        )

    head = _head(data, LEADING_ZERO_SNIFF_BYTES)
    if len(head) == LEADING_ZERO_SNIFF_BYTES:  # cut after the last complete line
        head = head[: head.rfind(b"\n") + 1]
    try:
        sample = as_text(pa.py_buffer(head), integers)
    except (pa.ArrowException, OSError):  # a quoted newline cut in two: read it all
        sample = as_text(data, integers)
    padded = [
        name
        for name in integers
        if pc.any(pc.match_substring_regex(sample.column(name), DIGITS_AS_TEXT)).as_py()
    ]
    if not padded:
        return arrow
    text = as_text(data, padded) if sample.num_rows != arrow.num_rows else sample
    for name in padded:
        position = arrow.schema.get_field_index(name)
        arrow = arrow.set_column(position, pa.field(name, pa.string()), text.column(name))
    return arrow


def arrow_to_frame(arrow: pa.Table, consume: bool = False) -> pd.DataFrame:
    """pandas view of an Arrow table; integers with missing values become nullable integers.

    Those are converted straight from Arrow (Int64, UInt8, ...), not through the float64
    pandas would make of them, which cannot hold values near 2**63 exactly. With
    ``consume``, the Arrow table is freed column by column as it is converted (the
    caller must not use it again).
    """
    arrow = _index_as_columns(arrow)
    nullable = {
        position: arrow.column(position).to_pandas(types_mapper=_nullable_integer)
        for position, field in enumerate(arrow.schema)
        if pa.types.is_integer(field.type) and arrow.column(position).null_count
    }
    # split_blocks (+ self_destruct): columns are handed over, not copied into one block.
    frame = arrow.to_pandas(date_as_object=False, split_blocks=True, self_destruct=consume)
    for position, series in nullable.items():
        frame.isetitem(position, series)
    return frame


def _nullable_integer(data_type: pa.DataType):
    """pandas' nullable dtype for an Arrow integer type: int64 -> Int64, uint8 -> UInt8."""
    if not pa.types.is_integer(data_type):
        return None
    import pandas as pd

    name = str(data_type)
    return pd.api.types.pandas_dtype(
        "U" + name[1:].capitalize() if name.startswith("u") else name.capitalize()
    )


def _index_as_columns(arrow: pa.Table) -> pa.Table:
    """Drop pandas' index bookkeeping, so a stored index stays an ordinary column.

    A Parquet file written by pandas with a named index would otherwise turn that
    column into the DataFrame's index, and the frame would have fewer columns than the
    file (and the output would lose it).
    """
    metadata = arrow.schema.metadata or {}
    if b"pandas" not in metadata:
        return arrow
    import json

    pandas_metadata = json.loads(metadata[b"pandas"])
    if not any(isinstance(i, str) for i in pandas_metadata.get("index_columns", [])):
        return arrow
    pandas_metadata["index_columns"] = []
    return arrow.replace_schema_metadata(
        {**metadata, b"pandas": json.dumps(pandas_metadata).encode()}
    )


def frame_to_arrow(frame: pd.DataFrame | pa.Table, schema: pa.Schema | None = None) -> pa.Table:
    """Arrow table of a DataFrame (or an Arrow table as it is), with the input's exact
    column types when known."""
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    if schema is None or table.schema == schema:
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


def _text_scalars(*texts: str) -> list[pa.Scalar]:
    """Arrow string scalars made from buffers: ``pa.scalar`` and Python strings handed to
    a compute function make pyarrow import pandas (a quarter second of start-up)."""
    data = "".join(texts).encode("utf-8")
    offsets = np.cumsum([0, *(len(t.encode("utf-8")) for t in texts)], dtype=np.int32)
    array = pa.Array.from_buffers(
        pa.string(), len(texts), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    return [array[i] for i in range(len(texts))]


def _csv_ready(table: pa.Table) -> pa.Table:
    """Text fixes so that a CSV reader gets back what was written.

    Whole-valued float columns print as '3.0', not '3', so they stay floats; half
    floats (float16, from Parquet) are written as the float64 of the same value.
    """
    import pyarrow.compute as pc

    for position, field in enumerate(table.schema):
        if not pa.types.is_floating(field.type):
            continue
        column = table.column(position)
        if pa.types.is_float16(field.type):
            # Arrow cannot format (or floor) half floats; float64 holds them exactly.
            column = column.cast(pa.float64())
            table = table.set_column(position, field.name, column)
        if not (_all_whole(column.slice(0, 1024)) and _all_whole(column)):  # fails fast
            continue
        text = pc.cast(column, pa.string())
        plain = pc.and_(pc.is_finite(column), pc.invert(pc.match_substring_regex(text, r"[.eE]")))
        point_zero, nothing = _text_scalars(".0", "")
        text = pc.if_else(plain, pc.binary_join_element_wise(text, point_zero, nothing), text)
        table = table.set_column(position, field.name, text)
    if table.num_columns == 1 and table.column(0).null_count:
        # A one-column row that is missing would be a blank line, which readers skip:
        # write it as a quoted empty string, which they read as missing.
        text = pc.fill_null(pc.cast(table.column(0), pa.string()), "")
        table = table.set_column(0, table.schema[0].name, text)
    return table


def _all_whole(column: pa.ChunkedArray) -> bool:
    """Every finite value of a float column is a whole number."""
    import pyarrow.compute as pc

    whole = pc.equal(pc.floor(column), column)
    return pc.all(pc.or_kleene(pc.invert(pc.is_finite(column)), whole)).as_py()


def _write_csv(table: pa.Table, handle: IO[bytes], header: bool) -> None:
    """pyarrow's CSV writer, on every core: it formats on one thread, so slices of rows
    are formatted at once and written in order (the same bytes as one call). A few
    slices are in flight at a time, so memory stays bounded."""
    from pyarrow import csv

    def text(start: int) -> pa.Buffer:
        sink = pa.BufferOutputStream()
        options = csv.WriteOptions(include_header=header and start == 0, quoting_style="needed")
        csv.write_csv(table.slice(start, CSV_SLICE_ROWS), sink, options)
        return sink.getvalue()

    if table.num_rows <= CSV_SLICE_ROWS or THREADS == 1:
        options = csv.WriteOptions(include_header=header, quoting_style="needed")
        csv.write_csv(table, handle, options)
        return
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        pending: deque = deque()
        for start in range(0, table.num_rows, CSV_SLICE_ROWS):
            pending.append(pool.submit(text, start))
            if len(pending) > 2 * THREADS:
                handle.write(pending.popleft().result())
        while pending:
            handle.write(pending.popleft().result())


def check_output(dest: str, force: bool, inputs: tuple[str, ...] = ()) -> None:
    """Refuse to overwrite an existing file without ``force``, or any input ever.

    Links, special files and descriptors follow :mod:`mixsynth.outputs`' rules.
    """
    from mixsynth.outputs import check_distinct, check_target

    check_distinct([("output", dest)], inputs)
    check_target(dest, force)


def _csv_cannot_hold(data_type: pa.DataType) -> bool:
    """Types pyarrow's CSV writer refuses, or writes as text that reads back differently."""
    return (
        pa.types.is_nested(data_type)
        or pa.types.is_binary(data_type)
        or pa.types.is_large_binary(data_type)
        or pa.types.is_fixed_size_binary(data_type)
    )


def check_writable(schema: pa.Schema, fmt: TableFormat) -> None:
    """Refuse, before any work, columns that the output format cannot hold."""
    if fmt is not TableFormat.CSV:
        return
    for field in schema:
        if _csv_cannot_hold(field.type):
            raise MixsynthError(
                f"column {field.name!r} holds {field.type} values, which CSV cannot hold",
                "write Parquet instead: a .parquet output or --format parquet",
            )


def write_table(
    frame: pd.DataFrame | pa.Table, dest: str, fmt: TableFormat, schema: pa.Schema | None = None
) -> None:
    """Write a DataFrame or an Arrow table atomically: to a temporary file beside
    ``dest``, renamed when complete."""
    with table_writer(dest, fmt, schema) as write:
        write(frame)


@contextlib.contextmanager
def table_writer(
    dest: str, fmt: TableFormat, schema: pa.Schema | None = None
) -> Iterator[Callable[[pd.DataFrame | pa.Table], None]]:
    """A function that appends parts of a table (DataFrames or Arrow tables, in order) to
    ``dest`` (``-`` = stdout). The file appears, complete, when the block ends without
    an error, and not at all otherwise; any previous file is left as it was."""
    caller_failed = False
    try:
        with contextlib.ExitStack() as stack:
            target = stack.enter_context(
                output_stream(dest) if _written_into(dest) else atomic_path(dest)
            )
            if fmt is TableFormat.PARQUET:
                from pyarrow import parquet

                parquet_writer = None

                def store(table: pa.Table) -> None:
                    nonlocal parquet_writer
                    if parquet_writer is None:  # the first part's schema (e.g. inferred)
                        parquet_writer = parquet.ParquetWriter(
                            target, table.schema, use_dictionary=_dictionary_columns(table.schema)
                        )
                        stack.callback(parquet_writer.close)
                    parquet_writer.write_table(table)
            else:
                handle = target if _written_into(dest) else stack.enter_context(open(target, "wb"))
                header = [True]

                def store(table: pa.Table) -> None:
                    _write_csv(_csv_ready(table), handle, header[0])
                    header[0] = False

            def write(part: pd.DataFrame | pa.Table) -> None:
                try:
                    store(frame_to_arrow(part, schema))
                except BrokenPipeError:  # the reader of stdout stopped (e.g. head): not ours
                    raise
                except (OSError, pa.ArrowException) as error:
                    _raise_if_out_of_memory(error)
                    raise _write_error(dest, error) from None

            try:
                yield write
            except BaseException:
                caller_failed = True
                raise
        if dest == STDIO:
            stdout_buffer().flush()
    except (OSError, pa.ArrowException) as error:
        _raise_if_out_of_memory(error)
        if caller_failed or isinstance(error, BrokenPipeError):  # not ours to describe
            raise
        raise _write_error(dest, error) from None  # opening, closing, renaming


def _written_into(dest: str) -> bool:
    """stdout, a descriptor, a device or a pipe: written as a stream, not a file path."""
    from mixsynth.outputs import resolve

    return dest == STDIO or resolve(dest).direct


def _dictionary_columns(schema: pa.Schema) -> list[str] | bool:
    """Columns worth Parquet's dictionary encoding: all but floating-point ones.

    Mixed floats are almost all distinct, so the encoder would fill a dictionary page
    for nothing in every row group (measured: writing 1M x 20 floats in row groups of
    131,072 rows took 1.7 s with it, 0.24 s without, and the file came out 3% smaller).
    """
    if any(pa.types.is_nested(field.type) for field in schema):
        return True  # the option wants leaf paths there; keep pyarrow's default
    return [field.name for field in schema if not pa.types.is_floating(field.type)]


def _write_error(dest: str, error: BaseException) -> MixsynthError:
    """A failed write, said plainly; the previous file (if any) is untouched by then."""
    import errno

    reason = getattr(error, "strerror", None) or _first_line(error)
    code = getattr(error, "errno", None)
    if code == errno.ENOSPC:
        hint = "free some disk space and run again; any previous file is unchanged"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check the folder's permissions; any previous file is unchanged"
    else:
        hint = "any previous file is unchanged"
    return MixsynthError(f"cannot write {dest!r}: {reason}", hint)


@contextlib.contextmanager
def atomic_path(dest: str) -> Iterator[str]:
    """A temporary path beside the file ``dest`` names; renamed onto it only if the
    block succeeds.

    On any failure, Ctrl-C included, the temporary file is removed and ``dest`` is
    left as it was. A device, a pipe or a descriptor (``/dev/null``, ``/dev/stdout``, a
    FIFO) is written into directly: renaming over it would replace it with a file. A
    symbolic link means its target: the temporary file is made in the target's folder
    and renamed onto the target, and the link stays (docs/safety.md).
    """
    from mixsynth.outputs import resolve

    target = resolve(dest)
    if target.direct:
        yield dest
        return
    real = Path(target.real)
    # The name is chosen before the file exists, and the file made inside the try: a
    # Ctrl-C at any point leaves nothing behind (mkstemp's file could be orphaned).
    temporary = str(real.parent / f".{real.name}.{secrets.token_hex(6)}.tmp")
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield temporary
        os.replace(temporary, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def output_stream(dest: str) -> Iterator[IO[bytes]]:
    """A binary stream onto ``dest``: stdout for ``-``, this process's descriptor for
    ``/dev/stdout`` and the like (duplicated, so the shell's ``>>`` still appends), the
    device or pipe itself, or else a temporary file renamed into place on success."""
    from mixsynth.outputs import resolve

    if dest == STDIO:
        yield stdout_buffer()
        return
    target = resolve(dest)
    if target.descriptor is not None:
        if target.descriptor == 1:
            stdout_buffer().flush()
        with os.fdopen(os.dup(target.descriptor), "wb") as handle:
            yield handle
        return
    with atomic_path(dest) as path, open(path, "wb") as handle:
        yield handle


def write_text(dest: str, text: str) -> None:
    """Write UTF-8 text atomically (``-`` = stdout), as :func:`output_stream` does."""
    with output_stream(dest) as handle:
        handle.write(text.encode("utf-8"))
        handle.flush()
