"""Writing tables: CSV (formatted on several threads) and Parquet, files or stdout,
through a temporary file renamed into place; special files and links written into."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pyarrow as pa

from mixsynth.choices import STDIO, THREADS, TableFormat
from mixsynth.errors import OutputError
from mixsynth.io.convert import frame_to_arrow
from mixsynth.io.source import (
    arrow_can_open,
    first_line,
    raise_if_out_of_memory,
    stdout_buffer,
)

if TYPE_CHECKING:  # pandas is imported only where frames are made (0.25 s of start-up)
    import pandas as pd

#: Rows per slice when CSV is formatted on several threads (a few MiB of text each).
CSV_SLICE_ROWS = 1 << 14


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

    Float columns are written as numbers, each value with its point: pyarrow prints
    3.0 as '3', which a reader takes for an integer (see :func:`_float_text`). Half
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
        text = _float_text(column)
        if text is not None:
            table = table.set_column(position, field.name, text)
    if table.num_columns == 1 and table.column(0).null_count:
        # A one-column row that is missing would be a blank line, which readers skip:
        # write it as a quoted empty string, which they read as missing.
        text = pc.fill_null(pc.cast(table.column(0), pa.string()), "")
        table = table.set_column(0, table.schema[0].name, text)
    return table


def _float_text(column: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array | None:
    """The column in a type whose CSV text has a point in every value, or None when
    pyarrow's own text has one already (no whole value it prints as '3').

    A column on a decimal grid (whole numbers, cents, ...) becomes Arrow decimals of
    its places (at least one): exact, printed as numbers ('82.0', '2.50') and faster
    than floats; NaN is written empty, as readers take 'nan' for missing anyway. A
    column off every grid with a whole value in it, or with an infinity, keeps
    pyarrow's text with '.0' added, as a (quoted) string.
    """
    import pyarrow.compute as pc

    from mixsynth.columns.arrow import to_arrow, to_numpy

    stored = to_numpy(column, np.nan)  # float32 columns are judged as float32
    values = stored.astype(np.float64, copy=False)
    whole = values[np.flatnonzero(np.trunc(values) == values)]  # NaN never, inf always
    whole = whole[np.isfinite(whole)]
    large = whole[np.abs(whole) >= PRINTED_PLAIN_BELOW]
    if whole.size == large.size:  # pyarrow prints these '1e+10', unless it says otherwise
        printed = pc.cast(to_arrow(np.unique(large), pa.float64(), None), pa.string())
        if pc.all(pc.match_substring_regex(printed, r"[.eE]")).as_py() is not False:
            return None
    finite = np.isfinite(values)
    grid = _on_grid(values, finite, stored.dtype)
    if grid is not None and not np.isinf(values).any():
        units, places = grid
        missing = None if finite.all() else ~finite
        return to_arrow(units, pa.decimal64(18, places), missing)
    text = pc.cast(column, pa.string())
    plain = pc.and_(pc.is_finite(column), pc.invert(pc.match_substring_regex(text, r"[.eE]")))
    point_zero, nothing = _text_scalars(".0", "")
    return pc.if_else(plain, pc.binary_join_element_wise(text, point_zero, nothing), text)


#: pyarrow prints whole floats below this without a point ('3'), larger ones as '1e+10'.
PRINTED_PLAIN_BELOW = 1e10
#: Decimal places looked for when a float column is written as Arrow decimals.
MAX_WRITTEN_PLACES = 15


def _on_grid(
    values: np.ndarray, finite: np.ndarray, stored: np.dtype = np.dtype(np.float64)
) -> tuple[np.ndarray, int] | None:
    """The values as whole numbers of units of 10^-places (int64, 0 where not
    finite) with the fewest places (1 to :data:`MAX_WRITTEN_PLACES`) at which every
    finite value is exactly the float (of the ``stored`` type) of its decimal; None
    if there are none."""
    numbers = values if finite.all() else np.where(finite, values, 0.0)
    start = 1
    if numbers.size > 64:  # a few values give a lower bound cheaply (None off a grid)
        head = _on_grid(numbers[:64], finite[:64], stored)
        if head is None:
            return None
        start = head[1]
    largest = float(np.abs(numbers).max()) if numbers.size else 0.0
    for places in range(start, MAX_WRITTEN_PLACES + 1):
        scale = 10.0**places
        if largest * scale >= 2**53:  # beyond float64's whole numbers: no grid
            return None
        units = np.round(numbers * scale)
        if np.array_equal((units / scale).astype(stored), numbers.astype(stored)):
            return units.astype(np.int64), places
    return None


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

    Links, special files and descriptors follow :mod:`mixsynth.io.outputs`' rules.
    """
    from mixsynth.io.outputs import check_distinct, check_target

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
            raise OutputError(
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
            target: IO[bytes] | str
            if _written_into(dest):
                target = stack.enter_context(output_stream(dest))
            else:
                target = stack.enter_context(atomic_path(dest))
            if fmt is TableFormat.PARQUET:
                from pyarrow import parquet

                parquet_writer = None

                sink = target
                if isinstance(target, str) and not arrow_can_open(target):
                    sink = stack.enter_context(open(target, "wb"))  # Python opens it

                def store(table: pa.Table) -> None:
                    nonlocal parquet_writer
                    if parquet_writer is None:  # the first part's schema (e.g. inferred)
                        parquet_writer = parquet.ParquetWriter(
                            sink, table.schema, use_dictionary=_dictionary_columns(table.schema)
                        )
                        stack.callback(parquet_writer.close)
                    parquet_writer.write_table(table)
            else:
                handle = (
                    stack.enter_context(open(target, "wb")) if isinstance(target, str) else target
                )
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
                    raise_if_out_of_memory(error)
                    raise _write_error(dest, error) from None

            try:
                yield write
            except BaseException:
                caller_failed = True
                raise
        if dest == STDIO:
            stdout_buffer().flush()
    except (OSError, pa.ArrowException) as error:
        raise_if_out_of_memory(error)
        if caller_failed or isinstance(error, BrokenPipeError):  # not ours to describe
            raise
        raise _write_error(dest, error) from None  # opening, closing, renaming


def _written_into(dest: str) -> bool:
    """stdout, a descriptor, a device or a pipe: written as a stream, not a file path."""
    from mixsynth.io.outputs import resolve

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


def _write_error(dest: str, error: BaseException) -> OutputError:
    """A failed write, said plainly; the previous file (if any) is untouched by then."""
    import errno

    reason = getattr(error, "strerror", None) or first_line(error)
    code = getattr(error, "errno", None)
    if code == errno.ENOSPC:
        hint = "free some disk space and run again; any previous file is unchanged"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check the folder's permissions; any previous file is unchanged"
    else:
        hint = "any previous file is unchanged"
    return OutputError(f"cannot write {dest!r}: {reason}", hint)


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
    from mixsynth.io.outputs import resolve

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
    from mixsynth.io.outputs import resolve

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
    """Write UTF-8 text atomically (``-`` = stdout), as :func:`output_stream` does.
    File names Python read under a locale that is not UTF-8 carry their bytes escaped
    (surrogates): they are written back as those bytes."""
    with output_stream(dest) as handle:
        handle.write(text.encode("utf-8", errors="surrogateescape"))
        handle.flush()
