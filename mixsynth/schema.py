"""Column kinds, and the round trip between a DataFrame column and a float vector.

Mixup needs real numbers. Continuous, integer and datetime/duration columns are
*mixed*: encoded as float64 (missing = NaN), mixed, and decoded back to the exact
dtype they came from. Every other column (boolean, categorical, string, object) is
*copied* from the dominant donor row, so its values only ever come from the source.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd

from mixsynth.errors import MixsynthError


class ColumnKind(str, Enum):
    """How a column is synthesized (THEORY.md §6)."""

    CONTINUOUS = "continuous"  #: floats: mixed
    INTEGER = "integer"  #: integers: mixed, then stochastically rounded
    DATETIME = "datetime"  #: datetimes and durations: mixed as integer time units
    BOOLEAN = "boolean"  #: copied from the dominant donor
    CATEGORICAL = "categorical"  #: strings, categories, anything else: copied

    @property
    def is_mixed(self) -> bool:
        return self in (ColumnKind.CONTINUOUS, ColumnKind.INTEGER, ColumnKind.DATETIME)

    @property
    def is_integral(self) -> bool:
        """Mixed values must be rounded back to whole units."""
        return self in (ColumnKind.INTEGER, ColumnKind.DATETIME)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table as mixsynth sees it."""

    name: str
    kind: ColumnKind
    dtype: str
    missing: int


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
    if frame.shape[1] == 0:
        raise MixsynthError("the table has no columns", "give a table with a header row")
    names = pd.Index(frame.columns)
    if names.has_duplicates:
        dups = sorted({str(n) for n in names[names.duplicated()]})
        raise MixsynthError(
            f"duplicate column names: {', '.join(repr(d) for d in dups)}",
            "rename the columns so that each name is unique",
        )


def infer_schema(frame: pd.DataFrame, categorical: Iterable[str] = ()) -> list[ColumnSpec]:
    """Kinds of every column, in order; names in ``categorical`` are forced to be copied."""
    check_columns(frame)
    forced = set(categorical)
    unknown = forced - {str(c) for c in frame.columns}
    if unknown:
        raise MixsynthError(
            f"--categorical column {sorted(unknown)[0]!r} is not in the table",
            f"columns are: {', '.join(map(str, frame.columns))}",
        )
    specs = []
    for name in frame.columns:
        series = frame[name]
        kind = ColumnKind.CATEGORICAL if str(name) in forced else column_kind(series)
        specs.append(
            ColumnSpec(
                name=name,
                kind=kind,
                dtype=str(series.dtype),
                missing=int(series.isna().sum()),
            )
        )
    return specs


def _time_ints(series: pd.Series) -> np.ndarray:
    """Datetime/duration values as int64 counts of their own unit (NaT = int64 min)."""
    values = series
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        values = series.dt.tz_convert(None)
    return values.to_numpy().view("int64")


@dataclass(frozen=True)
class NumericEncoding:
    """How a mixed column maps to float64: ``float = native - offset``.

    The offset (the first observed value, for time columns) keeps float64 precise for
    datetimes, whose raw nanosecond counts exceed 2**53.
    """

    offset: int
    lower: float  #: smallest representable encoded value
    upper: float  #: largest representable encoded value


def numeric_encoding(series: pd.Series, kind: ColumnKind) -> NumericEncoding:
    """The encoding of a mixed column, fixed once from the original input."""
    if kind is ColumnKind.DATETIME:
        ints = _time_ints(series)
        observed = ints[ints != np.iinfo(np.int64).min]
        offset = int(observed[0]) if observed.size else 0
        info = np.iinfo(np.int64)
        # Keep a margin: float64 cannot represent int64's ends exactly.
        return NumericEncoding(offset, info.min + 1024 - offset, info.max - 1024 - offset)
    dtype = getattr(series.dtype, "numpy_dtype", series.dtype)
    try:
        info = np.iinfo(dtype) if kind is ColumnKind.INTEGER else np.finfo(dtype)
        lower, upper = float(info.min), float(info.max)
    except (TypeError, ValueError):
        lower, upper = -np.inf, np.inf
    if kind is ColumnKind.INTEGER:
        # float64 rounds 2**63 - 1 up to 2**63, which int64 cannot hold.
        lower, upper = float(np.nextafter(lower, 0)), float(np.nextafter(upper, 0))
    return NumericEncoding(0, lower, upper)


def encode_numeric(series: pd.Series, kind: ColumnKind, encoding: NumericEncoding) -> np.ndarray:
    """float64 vector of a mixed column, missing values as NaN."""
    if kind is ColumnKind.DATETIME:
        ints = _time_ints(series)
        values = (ints - encoding.offset).astype(np.float64)
        values[ints == np.iinfo(np.int64).min] = np.nan
        return values
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def decode_numeric(
    values: np.ndarray, like: pd.Series, kind: ColumnKind, encoding: NumericEncoding
) -> pd.Series:
    """Back from float64 to ``like``'s exact dtype (values already rounded if integral)."""
    missing = np.isnan(values)
    if kind is ColumnKind.DATETIME:
        ints = np.where(missing, 0, values).astype(np.int64) + encoding.offset
        ints[missing] = np.iinfo(np.int64).min
        if isinstance(like.dtype, pd.DatetimeTZDtype):
            naive = ints.view(f"datetime64[{like.dtype.unit}]")
            return pd.Series(naive, copy=False).dt.tz_localize("UTC").dt.tz_convert(like.dtype.tz)
        return pd.Series(ints.view(like.dtype), copy=False)
    if kind is ColumnKind.INTEGER and not missing.any() and isinstance(like.dtype, np.dtype):
        return pd.Series(values.astype(like.dtype), copy=False)
    # copy=False: a float64 column is handed over as it is (no second full-size copy).
    series = pd.Series(values, copy=False)
    return series if series.dtype == like.dtype else series.astype(like.dtype)
