"""The vocabulary of a comparison: the two tables aligned column by column
(:class:`Column`), JSON-ready values, the constants every figure uses."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from mixsynth.columns import ColumnKind
from mixsynth.columns.frame import check_columns, column_kind
from mixsynth.errors import InputError, OptionError

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
#: SDMetrics' QualityReport counts a numeric pair only if |r_real| exceeds this...
CORRELATION_THRESHOLD = 0.5
#: ...and a pair with a discrete column only if the real Cramér's V exceeds this.
ASSOCIATION_THRESHOLD = 0.3
#: Equal-width bins of a numeric column in a contingency table (as SDMetrics).
CONTINGENCY_BINS = 10
#: Rows per side in a contingency table or correlation ratio (SDMetrics' QualityReport
#: subsamples to the same number), drawn with the seed.
CONTINGENCY_ROWS = 50_000
#: Rows used by the costly figures (distance to closest record, utility).
DEFAULT_SAMPLE_ROWS = 10_000
#: A numeric column of at most this many distinct whole real values is plotted as bars.
DISCRETE_VALUES = 20
#: Bins of the real-versus-synthetic histogram stored per numeric column.
HISTOGRAM_BINS = 30
#: Categories listed per discrete column.
MAX_CATEGORIES = 20

NUMERIC = "numeric"
DISCRETE = "discrete"


def _family(kind: ColumnKind) -> str:
    """Numeric and datetime columns are compared as numbers, the rest as categories."""
    return NUMERIC if kind.is_mixed else DISCRETE


def clean(value: Any) -> Any:
    """JSON-ready copy: numpy scalars to Python, NaN and infinities to None."""
    kind = type(value)  # the common leaves first: a report holds ~100,000 of them
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is str or kind is int or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":  # a matrix: at once
        cells = value.astype(object)
        cells[~np.isfinite(value)] = None
        return cells.tolist()
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, Enum):
        return clean(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return clean(dataclasses.asdict(value))
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def quietly(function: Callable) -> Callable:
    """``function`` under ``np.errstate(all="ignore")`` in whatever thread runs it (the
    error state is per thread): undefined figures become None without warnings."""

    def run(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return function(*args)

    return run


def ratio(a: float, b: float) -> float:
    return a / b if b != 0 and math.isfinite(b) else math.nan


# ---------------------------------------------------------------------------
# Column values


def numeric_values(series: pd.Series) -> np.ndarray:
    """float64 values of a numeric column; datetimes and durations in seconds (epoch)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert(None)
    if pd.api.types.is_datetime64_any_dtype(series.dtype) or pd.api.types.is_timedelta64_dtype(
        series.dtype
    ):
        times = series.to_numpy()
        unit, count = np.datetime_data(times.dtype)
        # numpy types the unit as a literal, and datetime_data returns a str
        per_second = np.timedelta64(1, "s") / np.timedelta64(count, unit)  # type: ignore[call-overload]
        values = times.view("int64").astype(np.float64) / per_second
        values[np.isnat(times)] = np.nan
        return values
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass(frozen=True)
class Column:
    """One column comparable on both sides, in the form its figures need."""

    name: str
    kind: ColumnKind
    real: Any  #: float64 array (numeric family, ±inf as NaN) or Series (discrete family)
    synthetic: Any
    infinite: tuple[int, int] = (0, 0)  #: ±inf values, real and synthetic (numeric family)

    @property
    def family(self) -> str:
        return _family(self.kind)

    @functools.cached_property
    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """:func:`shared_codes` of a discrete column, made once for the pair figures and
        the nearest records (a few milliseconds a column)."""
        return shared_codes(self.real, self.synthetic)


def shared_codes(real: pd.Series, synthetic: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes of a discrete column on both sides, missing as a category."""
    codes, _ = pd.factorize(pd.concat([real, synthetic], ignore_index=True), use_na_sentinel=False)
    return codes[: len(real)].astype(np.int64), codes[len(real) :].astype(np.int64)


def _kinds(series: dict, categorical: set[str]) -> dict[str, ColumnKind]:
    return {
        str(name): ColumnKind.CATEGORICAL if str(name) in categorical else column_kind(column)
        for name, column in series.items()
    }


def align(
    real: pd.DataFrame, synthetic: pd.DataFrame, categorical: Sequence[str] = ()
) -> tuple[list[Column], dict]:
    """The comparable columns, and what differs between the two schemas.

    A column on one side only, or whose kinds disagree (numbers against categories),
    is reported and left out; a dtype difference inside one family (int64 against
    float64) is reported and the column still compared.
    """
    for name, frame in (("real", real), ("synthetic", synthetic)):
        check_columns(frame)
        if len(frame) == 0:
            raise InputError(f"the {name} table has no rows", "give at least one data row")
    forced = {str(c) for c in categorical}
    unknown = sorted(forced - {str(c) for c in [*real.columns, *synthetic.columns]})
    if unknown:
        raise OptionError(
            f"--categorical column {unknown[0]!r} is in neither table",
            f"columns are: {', '.join(map(str, real.columns))}",
        )
    # Each column looked up once, by position: by name costs tens of microseconds.
    real_series, synth_series = dict(real.items()), dict(synthetic.items())
    real_kinds, synth_kinds = _kinds(real_series, forced), _kinds(synth_series, forced)
    synth_names = {str(c): c for c in synthetic.columns}
    real_names = {str(c) for c in real.columns}
    schema: dict = {
        "only_in_real": [str(c) for c in real.columns if str(c) not in synth_names],
        "only_in_synthetic": [str(c) for c in synthetic.columns if str(c) not in real_names],
        "incompatible": [],
        "dtype_differences": [],
    }
    columns = []
    for name in real.columns:
        key = str(name)
        if key not in synth_names:
            continue
        r, s = real_series[name], synth_series[synth_names[key]]
        kind_r, kind_s = real_kinds[key], synth_kinds[key]
        # An entirely missing column (read as text from CSV) has no values to disagree
        # with: it is compared as the other side's kind, so its emptiness is measured.
        if s.count() == 0 and key not in forced:  # every value missing
            kind_s = kind_r
        elif r.count() == 0 and key not in forced:
            kind_r = kind_s
        entry = {
            "column": key,
            "real": str(r.dtype),
            "synthetic": str(s.dtype),
            "real_kind": kind_r.value,
            "synthetic_kind": kind_s.value,
        }
        if _family(kind_r) != _family(kind_s) or (
            (kind_r is ColumnKind.DATETIME) != (kind_s is ColumnKind.DATETIME)
        ):
            schema["incompatible"].append(entry)
            continue
        if str(r.dtype) != str(s.dtype):
            schema["dtype_differences"].append(entry)
        if _family(kind_r) == NUMERIC:
            (values_r, inf_r), (values_s, inf_s) = _finite(r), _finite(s)
            columns.append(Column(key, kind_r, values_r, values_s, (inf_r, inf_s)))
        else:
            if str(r.dtype) != str(s.dtype):
                r, s = r.astype(object), s.astype(object)
            r, s = hashable(r.reset_index(drop=True)), hashable(s.reset_index(drop=True))
            columns.append(Column(key, kind_r, r, s))
    if not columns:
        raise InputError(
            "no column in common between the real and synthetic tables "
            "(same name and a compatible kind)",
            f"real columns: {', '.join(map(str, real.columns))}; "
            f"synthetic columns: {', '.join(map(str, synthetic.columns))}",
        )
    return columns, schema


def _finite(series: pd.Series) -> tuple[np.ndarray, int]:
    """Numeric values with ±inf set aside as missing (no moment, quantile or bin is
    defined with them), and how many there were."""
    values = numeric_values(series)
    infinite = np.isinf(values)
    count = int(infinite.sum())
    if count:
        values = np.where(infinite, np.nan, values)
    return values, count


def hashable(series: pd.Series) -> pd.Series:
    """Nested values (lists, dicts, arrays from Parquet) are compared by their text."""
    if series.dtype != object:
        return series
    if all(isinstance(v, Hashable) for v in series.dropna()):
        return series

    def text(value: Any) -> Any:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return value
        return str(value.tolist() if isinstance(value, np.ndarray) else value)

    return series.map(text)


# ---------------------------------------------------------------------------
# Single columns


@dataclass(frozen=True)
class Sample:
    """Seeded row subsets for the costly figures.

    Up to ``sample_rows`` real rows, split in halves: ``reference`` (the rows distances
    are measured to, and the real training set) and ``holdout``; synthetic rows as many
    as the holdout (DCR) and as the reference (utility training).
    """

    reference: np.ndarray
    holdout: np.ndarray
    synthetic: np.ndarray
    synthetic_train: np.ndarray

    @classmethod
    def draw(cls, n_real: int, n_synthetic: int, sample_rows: int, seed: int) -> Sample:
        rng = np.random.default_rng(seed)
        real = rng.permutation(n_real)[: max(sample_rows, 2)]
        half = len(real) // 2
        reference, holdout = (real, real[:0]) if half == 0 else (real[half:], real[:half])
        synthetic = rng.permutation(n_synthetic)
        return cls(
            reference=np.sort(reference),
            holdout=np.sort(holdout),
            synthetic=np.sort(synthetic[: max(len(holdout), 1)]),
            synthetic_train=np.sort(synthetic[: len(reference)]),
        )

    @classmethod
    def split(cls, train: int, holdout: int, synthetic: int, rows: int, seed: int) -> Sample:
        """Up to ``rows`` train and as many holdout rows (positions in train + holdout,
        the true holdout after the train rows), and synthetic rows as many as each,
        drawn with the seed."""
        rng = np.random.default_rng(seed)
        reference = np.sort(rng.permutation(train)[:rows])
        held = np.sort(train + rng.permutation(holdout)[:rows])
        order = rng.permutation(synthetic)
        return cls(reference, held, np.sort(order[: len(held)]), np.sort(order[: len(reference)]))
