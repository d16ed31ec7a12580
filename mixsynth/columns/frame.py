"""The pandas back end: column kinds of a DataFrame and its float64 round trip.

What synthesis needs from a table is :class:`mixsynth.columns.TableColumns`; this is its
pandas implementation, for Python users who hand over DataFrames. The CLI works on
Arrow tables instead (:mod:`mixsynth.columns.arrow`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mixsynth.columns.kinds import (
    ColumnKind,
    NumericEncoding,
    check_column_names,
    decode_integers,
    decode_times,
    encode_integers,
    encode_times,
    finite_range,
    number_encoding,
    time_encoding,
)


def column_kind(series: pd.Series) -> ColumnKind:
    """The kind a column's dtype implies."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnKind.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return ColumnKind.DATETIME
    if isinstance(dtype, pd.CategoricalDtype):
        return ColumnKind.CATEGORICAL
    if pd.api.types.is_integer_dtype(dtype):
        return ColumnKind.INTEGER
    if pd.api.types.is_float_dtype(dtype):
        return ColumnKind.CONTINUOUS
    return ColumnKind.CATEGORICAL


def check_columns(frame: pd.DataFrame) -> None:
    """Refuse tables mixsynth cannot represent faithfully."""
    check_column_names(list(frame.columns))


def _time_ints(series: pd.Series) -> np.ndarray:
    """Datetime/duration values as int64 counts of their own unit (NaT = int64 min)."""
    values = series
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        values = series.dt.tz_convert(None)
    return values.to_numpy().view("int64")


class FrameColumns:
    """:class:`mixsynth.columns.TableColumns` for a pandas DataFrame."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.table = frame
        self.names = list(frame.columns)
        self.rows = len(frame)
        self._series: dict = {}

    def _column(self, name) -> pd.Series:
        """One column, looked up by name once for its kind, dtype and missing count (a
        lookup costs tens of microseconds: a second per 10,000 columns)."""
        if name not in self._series:
            self._series[name] = self.table[name]
        return self._series[name]

    def kind(self, name) -> ColumnKind:
        return column_kind(self._column(name))

    def dtype(self, name) -> str:
        return str(self._column(name).dtype)

    def missing(self, name) -> int:
        series = self._column(name)
        return len(series) - int(series.count())  # count: no Series of flags built

    def encoding(self, name, kind: ColumnKind) -> NumericEncoding:
        series = self.table[name]
        if kind is ColumnKind.DATETIME:
            return time_encoding(_time_ints(series))
        dtype = getattr(series.dtype, "numpy_dtype", series.dtype)
        low = high = None
        if kind is ColumnKind.INTEGER and series.notna().any():
            low, high = int(series.min()), int(series.max())
        return number_encoding(dtype, kind, low, high)

    def encode(self, name, kind: ColumnKind, encoding: NumericEncoding) -> np.ndarray:
        series = self.table[name]
        if kind is ColumnKind.DATETIME:
            return encode_times(_time_ints(series), encoding)
        if encoding.offset:  # integers beyond 2**53, mixed from the middle of their range
            dtype = getattr(series.dtype, "numpy_dtype", series.dtype)
            values = encode_integers(
                series.to_numpy(dtype=dtype, na_value=encoding.offset), encoding
            )
            values[series.isna().to_numpy()] = np.nan
            return values
        return series.to_numpy(dtype=np.float64, na_value=np.nan)

    def value_range(self, name, kind: ColumnKind, encoding: NumericEncoding) -> tuple[float, float]:
        return finite_range(self.encode(name, kind, encoding))

    def decode(
        self, values: np.ndarray, name, kind: ColumnKind, encoding: NumericEncoding
    ) -> pd.Series:
        """Back from float64 to the column's exact dtype (values already rounded if integral)."""
        like = self.table[name]
        missing = np.isnan(values)
        if kind is ColumnKind.DATETIME:
            ints = decode_times(values, missing, encoding)
            if isinstance(like.dtype, pd.DatetimeTZDtype):
                naive = ints.view(f"datetime64[{like.dtype.unit}]")
                series = pd.Series(naive, copy=False).dt.tz_localize("UTC")
                return series.dt.tz_convert(like.dtype.tz)
            return pd.Series(ints.view(like.dtype), copy=False)
        if kind is ColumnKind.INTEGER and encoding.offset:
            ints = decode_integers(values, getattr(like.dtype, "numpy_dtype", like.dtype), encoding)
            if isinstance(like.dtype, np.dtype):
                return pd.Series(ints, copy=False)
            return pd.Series(pd.array(ints, dtype=like.dtype)).mask(missing)
        if kind is ColumnKind.INTEGER and not missing.any() and isinstance(like.dtype, np.dtype):
            return pd.Series(values.astype(like.dtype), copy=False)
        # copy=False: a float64 column is handed over as it is (no second full-size copy).
        series = pd.Series(values, copy=False)
        return series if series.dtype == like.dtype else series.astype(like.dtype)

    def take(self, names: list, rows: np.ndarray) -> dict:
        donors = self.table[names].take(rows).reset_index(drop=True)
        return {name: donors[name] for name in names}

    def distinct_values(self, name) -> np.ndarray:
        """The column's distinct non-missing values: integers as numpy integers, else text."""
        series = self.table[name].dropna()
        if pd.api.types.is_integer_dtype(series.dtype):
            return series.unique().astype(np.int64)
        return np.array([str(v) for v in series.unique()], dtype=object)

    def codes_in(self, name, values: Sequence[str]) -> np.ndarray:
        """Each row's place in ``values`` (-1: not there, or missing)."""
        column = self.table[name].astype(object)
        return pd.Categorical(column, categories=list(values)).codes.astype(np.int64)

    def missing_rows(self, name) -> np.ndarray | None:
        missing = self.table[name].isna().to_numpy()
        return missing if missing.any() else None

    def made_up(self, name, values: np.ndarray, missing: np.ndarray | None) -> pd.Series:
        """Made-up values (fresh keys, fakes) in the column's own dtype."""
        like = self.table[name]
        series = pd.Series(values, copy=False)
        if missing is not None:
            series = series.where(~missing)
        if isinstance(like.dtype, pd.CategoricalDtype):  # new values: a category of their own
            return series.astype("category")
        if missing is not None and isinstance(like.dtype, np.dtype) and like.dtype.kind in "iu":
            return series.astype(pd.Int64Dtype())  # numpy integers cannot hold missing
        return series.astype(like.dtype)

    def group_keys(self, by: Sequence[str]) -> np.ndarray:
        grouped = self.table.groupby(list(by), dropna=False, sort=False, observed=True)
        return grouped.ngroup().to_numpy()

    def build(self, columns: dict) -> pd.DataFrame:
        # copy=False: no consolidation of the columns into one block (a full copy).
        return pd.DataFrame({name: columns[name] for name in self.names}, copy=False)

    def concat(self, parts: list[pd.DataFrame]) -> pd.DataFrame:
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
