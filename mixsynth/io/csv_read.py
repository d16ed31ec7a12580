"""CSV through pyarrow, with every way it can fail or silently mangle a table turned
into a clear error or a kept value: encodings, binary files, ragged rows, integers
beyond int64, leading zeros and phone numbers kept as text, read block by block."""

from __future__ import annotations

import codecs
import os

import pyarrow as pa

from mixsynth.errors import InputError, OptionError
from mixsynth.io.source import (
    HEAD_BYTES,
    TEXT_BOMS,
    all_bytes,
    first_line,
    head_of,
    raise_if_out_of_memory,
)


def read_csv_checked(
    data: pa.Buffer | str, name: str, head: bytes, encoding: str, schema: pa.Schema | None
) -> pa.Table:
    """pyarrow's CSV reader, with every way it can fail or silently mangle turned into
    a clear error: unknown encodings, UTF-16 and binary files, invalid UTF-8 (which
    pyarrow would read as a binary column), bad rows (with their line number)."""
    utf8 = check_encoding(encoding) == "utf-8"
    if utf8:
        for bom, codec in TEXT_BOMS.items():
            if head.startswith(bom):
                raise InputError(f"{name} is {codec} text, not UTF-8", f"give --encoding {codec}")
        if _looks_binary(head):
            raise InputError(
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
        raise InputError(
            f"{name} is not valid {encoding} text: {first_line(error)}",
            "give the file's encoding with --encoding",
        ) from None
    except (pa.ArrowException, OSError) as error:
        raise_if_out_of_memory(error)
        raise _csv_error(data, name, error, encoding) from None
    try:
        arrow.schema.names  # noqa: B018 (pyarrow decodes the names here)
    except UnicodeDecodeError:  # a header the check above could not see (a cut head)
        raise _not_utf8(name, _first_invalid_utf8_line(all_bytes(data))) from None
    if utf8 and any(pa.types.is_binary(field.type) for field in arrow.schema):
        raise _not_utf8(name, _first_invalid_utf8_line(all_bytes(data)))
    return arrow


def check_encoding(encoding: str) -> str:
    """The codec's name, after refusing unknown codecs and those that are not text
    encodings (``rot13``, ``hex``, ``zlib``: bytes to bytes or str to str)."""
    hint = "give e.g. --encoding utf-8, latin-1 or cp1252"
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError):  # ValueError: a name holding NUL
        raise OptionError(f"unknown encoding {encoding!r}", hint) from None
    if not getattr(info, "_is_text_encoding", True):  # as str.encode and open() check
        raise OptionError(f"{encoding!r} is not a text encoding", hint)
    return info.name


def blank_text(data: pa.Buffer | str, head: bytes) -> bool:
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
        read: dict[str, str | int] = {"encoding": encoding}
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
        return _one_chunk_per_column(pa.Table.from_batches(list(reader), schema=reader.schema))
    except pa.ArrowInvalid as error:
        if "conversion error" in str(error):
            return None
        raise


def _not_utf8(name: str, line: int | None) -> InputError:
    where = f" (line {line})" if line else ""
    return InputError(
        f"{name} is not valid UTF-8 text{where}",
        "give its encoding, e.g. --encoding latin-1 or --encoding cp1252",
    )


def _first_invalid_utf8_line(data: bytes) -> int | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return data.count(b"\n", 0, error.start) + 1
    return None


def _csv_error(data: pa.Buffer | str, name: str, error: BaseException, encoding: str) -> InputError:
    """A parse error, located by line (pyarrow says what is wrong but not where)."""
    text = first_line(error)
    if "Empty CSV file" in text:
        return InputError(f"{name} is empty", "give a CSV file with a header row")
    if "Expected" not in text or "columns" not in text:
        return InputError(f"cannot read {name} as CSV: {text}")
    found = _first_ragged_row(all_bytes(data).decode(encoding, "replace"))
    if found is None:
        return InputError(f"cannot read {name} as CSV: {text}")
    line, expected, actual = found
    return InputError(
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


def integers_beyond_int64_as_text(
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


def leading_zeros_as_text(data: pa.Buffer | str, encoding: str, arrow: pa.Table) -> pa.Table:
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

    head = head_of(data, LEADING_ZERO_SNIFF_BYTES)
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


def _one_chunk_per_column(table: pa.Table) -> pa.Table:
    """Each column joined into one chunk, a column at a time (the peak grows by one
    column, not by the table): synthesis then reads the numbers in place instead of
    joining a copy of every column it mixes (each block of the reader is a chunk)."""
    for position in range(table.num_columns):
        column = table.column(position)
        if column.num_chunks > 1:
            joined = pa.chunked_array([column.combine_chunks()], type=column.type)
            table = table.set_column(position, table.field(position), joined)
    return table
