"""The Arrow back end: column kinds of a pyarrow Table and its float64 round trip.

The CLI synthesizes straight on the Arrow table it read: no pandas import (a quarter
of a second of start-up), no conversion to a DataFrame and back, and copied columns
are gathered by ``pyarrow.compute.take``. Float64 columns without missing values are
handed to the kernel without a copy, and mixed results are handed back the same way.

It makes the same choices as the pandas back end (:mod:`mixsynth.columns.frame`), so a table
gives the same synthetic values either way; dates are the one addition: Arrow dates
are mixed in whole days.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mixsynth.columns.kinds import (
    MISSING_TIME,
    ColumnKind,
    NumericEncoding,
    decode_integers,
    decode_times,
    encode_integers,
    encode_times,
    finite_range,
    first_appearance_codes,
    number_encoding,
    time_encoding,
)


def _arrow_kind(data_type: pa.DataType) -> ColumnKind:
    """The kind an Arrow type implies (the same as pandas' dtype of it would)."""
    if pa.types.is_boolean(data_type):
        return ColumnKind.BOOLEAN
    if (
        pa.types.is_timestamp(data_type)
        or pa.types.is_duration(data_type)
        or pa.types.is_date(data_type)
    ):
        return ColumnKind.DATETIME
    if pa.types.is_integer(data_type):
        return ColumnKind.INTEGER
    if pa.types.is_floating(data_type):
        return ColumnKind.CONTINUOUS
    return ColumnKind.CATEGORICAL


def numpy_dtype(data_type: pa.DataType) -> np.dtype:
    """The numpy dtype of an Arrow integer or float type (``to_pandas_dtype`` imports pandas)."""
    if pa.types.is_floating(data_type):
        return np.dtype(f"float{data_type.bit_width}")
    return np.dtype(str(data_type))


def to_arrow(values: np.ndarray, data_type: pa.DataType, missing: np.ndarray | None) -> pa.Array:
    """An Arrow array over ``values``' own memory (no copy), nulls where ``missing``.

    Built from buffers because ``pa.array`` imports pandas to look for pandas objects.
    """
    values = np.ascontiguousarray(values)
    validity = None
    if missing is not None:
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(
        data_type, len(values), [validity, pa.py_buffer(values)], null_count=-1
    )


def distinct_floats(values: np.ndarray) -> np.ndarray:
    """The distinct values of a float64 vector (unsorted), missing (NaN) left out and
    -0.0 counted as 0.0: Arrow's hash table, not a sort of every value (1M values:
    0.01-0.02 s against 0.06-0.15 s), through buffers both ways (``pa.array`` and
    ``Array.to_numpy`` import pandas)."""
    present = np.ascontiguousarray(values[~np.isnan(values)], dtype=np.float64) + 0.0
    distinct = pc.unique(to_arrow(present, pa.float64(), None))
    return to_numpy(pa.chunked_array([distinct], type=pa.float64()), 0.0)


def to_numpy(column: pa.ChunkedArray, fill: float | int) -> np.ndarray:
    """A numeric column as a numpy vector, nulls replaced by ``fill``; one chunk without
    nulls is not copied (read only).

    Read from the Arrow buffers: ``to_numpy`` and any Python scalar (as ``fill_null``
    needs) make pyarrow import pandas.
    """
    dtype = numpy_dtype(column.type)
    parts = []
    for chunk in column.chunks:
        if not len(chunk):  # an empty chunk may have no data buffer at all
            continue
        validity, data = chunk.buffers()[:2]
        values = np.frombuffer(
            data, dtype=dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize
        )
        if chunk.null_count:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            values = values.copy()
            values[~bits[chunk.offset : chunk.offset + len(chunk)].astype(bool)] = fill
        parts.append(values)
    if len(parts) == 1:
        parts[0].flags.writeable = False  # the Arrow table's own memory, maybe the caller's
        return parts[0]
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


def _strings_to_arrow(values: np.ndarray, missing: np.ndarray | None) -> pa.Array:
    """A string array from Python strings, built from buffers (``pa.array`` imports pandas)."""
    encoded = [str(v).encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    validity = None if missing is None else pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(
        pa.large_string(),
        len(encoded),
        [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
        null_count=-1,
    )


#: Text columns of at least this many rows are taken through codes when ...
CODED_TEXT_ROWS = 1 << 16
#: ... their first values hold at most a quarter as many distinct ones.
CODED_TEXT_PROBE = 4096


def _few_texts(column: pa.ChunkedArray) -> bool:
    """A long text column in one chunk whose first values repeat (a category, not
    free text)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return False
    if len(column) < CODED_TEXT_ROWS or column.num_chunks != 1:
        return False
    head = column.slice(0, CODED_TEXT_PROBE)
    return pc.count_distinct(head, mode="all").as_py() <= CODED_TEXT_PROBE // 4


def _null_rows(column: pa.ChunkedArray) -> np.ndarray | None:
    """Where a column is null, as a numpy mask (None if nowhere), read from the bitmaps."""
    if not column.null_count:
        return None
    parts = []
    for chunk in column.chunks:
        validity = chunk.buffers()[0]
        if validity is None:
            parts.append(np.zeros(len(chunk), dtype=bool))
            continue
        bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        parts.append(~bits[chunk.offset : chunk.offset + len(chunk)].astype(bool))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _time_storage(data_type: pa.DataType) -> pa.DataType:
    """The integer type a time column is counted in: days for dates, else its own unit."""
    return pa.int32() if pa.types.is_date(data_type) else pa.int64()


class ArrowColumns:
    """:class:`mixsynth.columns.TableColumns` for a pyarrow Table."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.names = table.column_names
        self.rows = table.num_rows
        self._types = {field.name: field.type for field in table.schema}
        self._joined_columns: dict = {}

    def kind(self, name) -> ColumnKind:
        return _arrow_kind(self._types[name])

    def dtype(self, name) -> str:
        return str(self._types[name])

    def missing(self, name) -> int:
        """Nulls, and NaN in float columns (both are missing values to mixsynth)."""
        column = self.table.column(name)
        if not pa.types.is_floating(column.type):
            return column.null_count
        if self._is_plain_float64(column):  # numpy on Arrow's memory: 3x faster
            return int(np.count_nonzero(np.isnan(to_numpy(column, np.nan))))
        return column.null_count + (pc.sum(pc.is_nan(column)).as_py() or 0)

    @staticmethod
    def _is_plain_float64(column: pa.ChunkedArray) -> bool:
        """One chunk of float64 without nulls: numpy reads it without a copy."""
        return column.type == pa.float64() and column.num_chunks == 1 and not column.null_count

    def _time_units(self, name) -> pa.ChunkedArray:
        """A time column as int64 counts of its unit (days for dates)."""
        column = self.table.column(name)
        if pa.types.is_date64(column.type):
            column = column.cast(pa.date32())
        return column.cast(_time_storage(column.type)).cast(pa.int64())

    def _time_ints(self, name) -> np.ndarray:
        """int64 units of a time column (days for dates), missing = MISSING_TIME."""
        return to_numpy(self._time_units(name), MISSING_TIME)

    def value_range(self, name, kind: ColumnKind, encoding: NumericEncoding) -> tuple[float, float]:
        """(min, max) of the encoded finite values, without a float copy: numpy's on a
        plain float64 column (4x faster than Arrow's min_max), else Arrow's."""
        column = self._time_units(name) if kind is ColumnKind.DATETIME else self.table.column(name)
        # Arrow has no min_max for half floats.
        if self._is_plain_float64(column) or pa.types.is_float16(column.type):
            return finite_range(self.encode(name, kind, encoding))
        extremes = pc.min_max(column)
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        if low is not None and kind.is_integral:  # exact integers, then as encode does
            return float(low - encoding.offset), float(high - encoding.offset)
        if low is not None and np.isfinite(low) and np.isfinite(high):  # NaN is skipped
            return float(low), float(high)
        return finite_range(self.encode(name, kind, encoding))  # inf, or nothing observed

    def encoding(self, name, kind: ColumnKind) -> NumericEncoding:
        if kind is ColumnKind.DATETIME:
            return time_encoding(self._time_ints(name))
        low = high = None
        if kind is ColumnKind.INTEGER:
            extremes = pc.min_max(self.table.column(name))
            low, high = extremes["min"].as_py(), extremes["max"].as_py()
        return number_encoding(numpy_dtype(self._types[name]), kind, low, high)

    def encode(self, name, kind: ColumnKind, encoding: NumericEncoding) -> np.ndarray:
        """float64 vector, missing as NaN; float64 without missing values is not copied."""
        if kind is ColumnKind.DATETIME:
            return encode_times(self._time_ints(name), encoding)
        column = self.table.column(name)
        if encoding.offset:  # integers beyond 2**53, mixed from the middle of their range
            values = encode_integers(to_numpy(column, encoding.offset), encoding)
            missing = _null_rows(column)
            if missing is not None:
                values[missing] = np.nan
            return values
        if column.type != pa.float64():
            column = column.cast(pa.float64(), safe=False)
        return to_numpy(column, np.nan)

    def decode(
        self, values: np.ndarray, name, kind: ColumnKind, encoding: NumericEncoding
    ) -> pa.Array:
        """Back from float64 to the column's exact type (values already rounded if integral)."""
        data_type = self._types[name]
        missing = np.isnan(values)
        mask = missing if missing.any() else None
        if kind is ColumnKind.DATETIME:
            storage = _time_storage(data_type)
            ints = decode_times(values, missing, encoding).astype(numpy_dtype(storage))
            if pa.types.is_date64(data_type):
                return to_arrow(ints, pa.date32(), mask).cast(data_type)
            return to_arrow(ints, data_type, mask)
        if kind is ColumnKind.INTEGER:
            if encoding.offset:
                ints = decode_integers(values, numpy_dtype(data_type), encoding)
                return to_arrow(ints, data_type, mask)
            whole = values if mask is None else np.where(missing, 0, values)
            return to_arrow(whole.astype(numpy_dtype(data_type)), data_type, mask)
        array = to_arrow(values, pa.float64(), mask)  # no copy of the values
        return array if data_type == pa.float64() else array.cast(data_type, safe=False)

    def take(self, names: list, rows: np.ndarray) -> dict:
        indices = to_arrow(rows, pa.int64(), None)
        taken = {}
        for name in names:
            column = self._joined(name)
            values = column.take(indices)
            if column.type != self._types[name]:  # held as codes: decoded (_joined)
                values = values.cast(self._types[name])
            taken[name] = values
        return taken

    def distinct_values(self, name) -> np.ndarray:
        """The column's distinct non-null values: integers as numpy integers, else text."""
        column = self.table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        unique = pc.unique(column.drop_null())
        if pa.types.is_integer(column.type):
            return to_numpy(pa.chunked_array([unique]), 0)
        return np.array([str(v) for v in unique.to_pylist()], dtype=object)

    def codes_in(self, name, values: Sequence[str]) -> np.ndarray:
        """Each row's place in ``values`` (-1: not there, or null)."""
        return codes_in(self.table.column(name), values)

    def missing_rows(self, name) -> np.ndarray | None:
        return _null_rows(self.table.column(name))

    def made_up(self, name, values: np.ndarray, missing: np.ndarray | None) -> pa.Array:
        """Made-up values (fresh keys, fakes) in the column's own type."""
        data_type = self._types[name]
        if pa.types.is_integer(data_type):
            return to_arrow(values.astype(numpy_dtype(data_type)), data_type, missing)
        array = _strings_to_arrow(values, missing)
        return array if data_type == pa.large_string() else array.cast(data_type)

    def _joined(self, name) -> pa.ChunkedArray:
        """A column in one chunk, joined once (a CSV read has a chunk per ~1 MiB block):
        every slice's take then skips finding each row's chunk. Text of few distinct
        values is held dictionary-encoded: taking codes and decoding them is 3 to 7 times
        faster than taking the strings (131,072 rows of a 200-level column: 2-7 ms
        against 15-25 ms), for one encoding of 35 ms per 1M rows."""
        if name not in self._joined_columns:
            column = self.table.column(name)
            if column.num_chunks > 1:
                column = pa.chunked_array([column.combine_chunks()])
            if _few_texts(column):
                column = pa.chunked_array([column.chunk(0).dictionary_encode()])
            self._joined_columns[name] = column
        return self._joined_columns[name]

    def group_keys(self, by: Sequence[str]) -> np.ndarray:
        """One integer per distinct combination of the ``by`` values (null is a value;
        NaN counts as null, as in pandas)."""
        keys = np.zeros(self.rows, dtype=np.int64)
        for position, name in enumerate(by):
            column = self.table.column(name)
            if pa.types.is_dictionary(column.type):  # chunks may hold different dictionaries
                column = column.cast(column.type.value_type)
            if pa.types.is_floating(column.type):
                # NaN and null one key, -0.0 and 0.0 another (as numpy's unique has them).
                values = to_numpy(column, np.nan)
                column = pa.chunked_array([to_arrow(values + 0.0, column.type, np.isnan(values))])
            # Codes in order of first appearance (Arrow's hash table), nulls a value.
            encoded = pc.dictionary_encode(column, null_encoding="encode").combine_chunks()
            codes = to_numpy(pa.chunked_array([encoded.indices]), 0).astype(np.int64)
            if position == 0:
                keys = codes
            else:
                keys = first_appearance_codes(keys * len(encoded.dictionary) + codes)
        return keys

    def build(self, columns: dict) -> pa.Table:
        return pa.Table.from_arrays(
            [columns[name] for name in self.names], schema=self.table.schema
        )

    def concat(self, parts: list[pa.Table]) -> pa.Table:
        return parts[0] if len(parts) == 1 else pa.concat_tables(parts)


def codes_in(column: pa.ChunkedArray, values: Sequence[str]) -> np.ndarray:
    """Each value's place in ``values`` (-1: not there, or null); text columns only
    hold stand-ins for a missing value, others give -1 everywhere."""
    rows = len(column)
    if not (
        pa.types.is_string(column.type)
        or pa.types.is_large_string(column.type)
        or pa.types.is_dictionary(column.type)
    ):
        return np.full(rows, -1, dtype=np.int64)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    found = pc.index_in(column, value_set=pa.array(list(values), type=column.type))
    return to_numpy(found.fill_null(-1), -1).astype(np.int64)
