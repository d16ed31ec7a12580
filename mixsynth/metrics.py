"""Every figure of a real-versus-synthetic comparison, as plain JSON-ready data.

One engine for ``mixsynth compare`` and ``generate --report``: functions take
``(real, synthetic)`` in that order and return dicts of floats, strings and lists
(missing or undefined figures are ``None``, never NaN), so the JSON output *is* the
library result. Nothing here prints.

The quality scores use SDMetrics' QualityReport definitions (0.32) so that the
numbers can be compared across tools; docs/report.md gives every formula. Linear-time
figures use every row; distance to closest record and utility use a seeded subsample
of ``sample_rows`` rows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixsynth.columns import ColumnKind
from mixsynth.columns.frame import check_columns, column_kind
from mixsynth.errors import MixsynthError, column_hint

if TYPE_CHECKING:
    from mixsynth.synth import Generation

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


def _quietly(function: Callable) -> Callable:
    """``function`` under ``np.errstate(all="ignore")`` in whatever thread runs it (the
    error state is per thread): undefined figures become None without warnings."""

    def run(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return function(*args)

    return run


def _ratio(a: float, b: float) -> float:
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
        per_second = np.timedelta64(1, "s") / np.timedelta64(count, unit)
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


def _kinds(frame: pd.DataFrame, categorical: set[str]) -> dict[str, ColumnKind]:
    return {
        str(name): ColumnKind.CATEGORICAL if str(name) in categorical else column_kind(frame[name])
        for name in frame.columns
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
            raise MixsynthError(f"the {name} table has no rows", "give at least one data row")
    forced = {str(c) for c in categorical}
    unknown = sorted(forced - {str(c) for c in [*real.columns, *synthetic.columns]})
    if unknown:
        raise MixsynthError(
            f"--categorical column {unknown[0]!r} is in neither table",
            f"columns are: {', '.join(map(str, real.columns))}",
        )
    real_kinds, synth_kinds = _kinds(real, forced), _kinds(synthetic, forced)
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
        r, s = real[name], synthetic[synth_names[key]]
        kind_r, kind_s = real_kinds[key], synth_kinds[key]
        # An entirely missing column (read as text from CSV) has no values to disagree
        # with: it is compared as the other side's kind, so its emptiness is measured.
        if s.isna().all() and key not in forced:
            kind_s = kind_r
        elif r.isna().all() and key not in forced:
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
            r, s = _hashable(r.reset_index(drop=True)), _hashable(s.reset_index(drop=True))
            columns.append(Column(key, kind_r, r, s))
    if not columns:
        raise MixsynthError(
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


def _hashable(series: pd.Series) -> pd.Series:
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


def _sorted_quantiles(ordered: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.quantile(..., method="linear")`` of an already sorted array, without resorting."""
    position = np.asarray(q) * (ordered.size - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, ordered.size - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def _moments(values: np.ndarray) -> tuple[float, float]:
    """Skewness and excess kurtosis with pandas' bias-corrected formulas (``Series.skew``,
    ``Series.kurt``): NaN below 3 (4) values, 0 for a constant column."""
    n = values.size
    deviation = values - values.mean()
    # Both ratios are scale-free: scaling keeps the powers of huge values finite.
    largest = np.abs(deviation).max()
    if largest > 0 and math.isfinite(largest):
        deviation = deviation / largest
    squared = deviation * deviation
    m2, m3, m4 = squared.sum(), (squared * deviation).sum(), (squared * squared).sum()
    skew = kurt = math.nan
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if n >= 3:
            skew = 0.0 if m2 == 0 else n * (n - 1) ** 0.5 / (n - 2) * (m3 / m2**1.5)
        if n >= 4:
            adjust = 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
            kurt = 0.0 if m2 == 0 else n * (n + 1) * (n - 1) * m4 / ((n - 2) * (n - 3) * m2**2)
            kurt = kurt - adjust if m2 != 0 else 0.0
    return float(skew), float(kurt)


def numeric_summary(ordered: np.ndarray, total: int) -> dict:
    """Count, missing rate, moments and quantiles of one side of a numeric column.

    ``ordered``: the present (non-NaN) values, sorted; ``total``: rows including missing.
    """
    summary: dict = {
        "count": int(ordered.size),
        "missing_rate": (total - ordered.size) / total if total else math.nan,
    }
    if ordered.size == 0:
        return summary
    skew, kurt = _moments(ordered)
    summary.update(
        mean=float(ordered.mean()),
        std=float(ordered.std(ddof=1)) if ordered.size > 1 else math.nan,
        skew=skew,
        kurtosis=kurt,
        min=float(ordered[0]),
        max=float(ordered[-1]),
        quantiles={
            f"p{round(q * 100)}": float(v)
            for q, v in zip(QUANTILES, _sorted_quantiles(ordered, QUANTILES), strict=True)
        },
    )
    return summary


def ecdf_distances(real: np.ndarray, synthetic: np.ndarray) -> tuple[float, float]:
    """Two-sample KS statistic and Wasserstein-1 distance of two sorted samples.

    The same quantities as ``scipy.stats.ks_2samp(...).statistic`` and
    ``scipy.stats.wasserstein_distance`` (the tests check it), from one stable merge
    of the two sorted samples instead of two sorts and four binary searches: 3x faster
    on a million rows, which is most of ``compare``'s time.
    """
    values = np.concatenate([real, synthetic])
    order = np.argsort(values, kind="stable")
    values = values[order]
    from_real = order < real.size
    gap = np.cumsum(from_real) / real.size - np.cumsum(~from_real) / synthetic.size
    widths = np.diff(values)
    # Between tied values the ECDFs are only complete at the last of the ties.
    ends = np.append(widths != 0, True)
    with np.errstate(invalid="ignore"):
        # einsum, not a BLAS dot: BLAS threads for one vector cost more than the sum
        # (9 ms against 0.02 ms for 20,000 values when the cores are busy).
        return float(np.abs(gap[ends]).max()), float(np.einsum("i,i->", np.abs(gap[:-1]), widths))


def _round14(values: np.ndarray) -> np.ndarray:
    """Round to 14 decimals, as SDMetrics does, except where ``x * 1e14`` would overflow
    (such values have no decimals left to round)."""
    return np.where(np.abs(values) < 1e290, np.round(values, 14), values)


def compare_numeric(real: np.ndarray, synthetic: np.ndarray) -> dict:
    """Shape figures of a numeric column: variance ratio, KS, Wasserstein, range."""
    r = np.sort(real[~np.isnan(real)])
    s = np.sort(synthetic[~np.isnan(synthetic)])
    figures: dict = {
        "real": numeric_summary(r, real.size),
        "synthetic": numeric_summary(s, synthetic.size),
    }
    if r.size == 0 or s.size == 0:
        return figures | {"ks_statistic": math.nan, "ks_complement": math.nan}
    std_r, std_s = figures["real"]["std"], figures["synthetic"]["std"]
    std_ratio = _ratio(std_s, std_r)
    # SDMetrics rounds to 14 decimals before the test, so float noise is no difference.
    ks, wasserstein = ecdf_distances(_round14(r), _round14(s))
    outside = np.searchsorted(s, r[0], "left") + (s.size - np.searchsorted(s, r[-1], "right"))
    return figures | {
        "mean_diff_std": _ratio(figures["synthetic"]["mean"] - figures["real"]["mean"], std_r),
        "variance_ratio": std_ratio**2,  # not Var_s / Var_r: that overflows near 1e308
        "std_ratio": std_ratio,
        "ks_statistic": ks,
        "ks_complement": 1 - ks,
        "wasserstein": _ratio(wasserstein, std_r),
        "out_of_range_share": outside / s.size,
        "missing_rate_diff": figures["synthetic"]["missing_rate"] - figures["real"]["missing_rate"],
        "histogram": histogram(r, s),
    }


def histogram(real: np.ndarray, synthetic: np.ndarray) -> dict:
    """What the HTML plots draw, for sorted finite-or-not samples of both sides.

    A column of few whole numbers (at most ``DISCRETE_VALUES`` distinct real values, e.g.
    a year) gets the share of each value (``values``). Any other gets shares in equal-width
    bins over the real [min, max] (``edges``); synthetic values outside that range are not
    piled into the end bins but counted apart, as ``below`` and ``above`` shares.
    """
    real, synthetic = real[np.isfinite(real)], synthetic[np.isfinite(synthetic)]
    real_values = np.unique(real)
    if real_values.size <= DISCRETE_VALUES and np.all(real_values == np.round(real_values)):
        values = np.union1d(real_values, np.unique(synthetic))
        if values.size <= 2 * DISCRETE_VALUES:
            return {
                "values": values,
                "real": _value_shares(real, values),
                "synthetic": _value_shares(synthetic, values),
            }
    low, high = float(real[0]), float(real[-1])
    if high <= low:
        low, high = low - 0.5, high + 0.5
    step = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    edges = (1 - step) * low + step * high  # no overflow of high - low near ±1.8e308
    figures: dict = {"edges": edges}
    for side, values in (("real", real), ("synthetic", synthetic)):
        total = max(values.size, 1)
        inside = values[(values >= low) & (values <= high)]
        counts = np.bincount(
            np.clip(np.searchsorted(edges, inside, "right") - 1, 0, HISTOGRAM_BINS - 1),
            minlength=HISTOGRAM_BINS,
        )
        figures[side] = counts / total
        figures[f"{side}_below"] = np.count_nonzero(values < low) / total
        figures[f"{side}_above"] = np.count_nonzero(values > high) / total
    return figures


def _value_shares(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Share of ``values`` equal to each of the sorted ``levels`` (all of them appear)."""
    return np.bincount(np.searchsorted(levels, values), minlength=levels.size) / max(values.size, 1)


def compare_discrete(real: pd.Series, synthetic: pd.Series) -> dict:
    """Frequencies of a categorical column, total-variation distance, coverage."""
    counts_r = real.value_counts(dropna=True)
    counts_s = synthetic.value_counts(dropna=True)
    # A pandas Categorical lists unused categories with count 0: they were not seen.
    counts_r, counts_s = counts_r[counts_r > 0], counts_s[counts_s > 0]
    figures: dict = {
        "real": {
            "count": int(counts_r.sum()),
            "missing_rate": float(real.isna().mean()),
            "distinct": len(counts_r),
        },
        "synthetic": {
            "count": int(counts_s.sum()),
            "missing_rate": float(synthetic.isna().mean()),
            "distinct": len(counts_s),
        },
    }
    if counts_r.sum() == 0 or counts_s.sum() == 0:
        return figures | {"tv_distance": math.nan, "tv_complement": math.nan}
    p_r = counts_r / counts_r.sum()
    p_s = counts_s / counts_s.sum()
    both = p_r.index.union(p_s.index, sort=False)
    p_r, p_s = p_r.reindex(both, fill_value=0.0), p_s.reindex(both, fill_value=0.0)
    tv = 0.5 * float(np.abs(p_r.to_numpy() - p_s.to_numpy()).sum())
    seen = p_s.index.isin(counts_r.index)
    top = p_r.sort_values(ascending=False, kind="stable").index[:MAX_CATEGORIES]
    figures.update(
        tv_distance=tv,
        tv_complement=1 - tv,
        coverage=float(counts_r.index.isin(counts_s.index).mean()),
        unseen_share=float(p_s[~seen].sum()),
        missing_rate_diff=figures["synthetic"]["missing_rate"] - figures["real"]["missing_rate"],
        frequencies=[
            {"value": str(value), "real": float(p_r[value]), "synthetic": float(p_s[value])}
            for value in top
        ],
    )
    return figures


def compare_column(column: Column) -> dict:
    if column.family == DISCRETE:
        return {"kind": column.kind.value} | compare_discrete(column.real, column.synthetic)
    figures = compare_numeric(column.real, column.synthetic)
    for side, count, values in zip(
        ("real", "synthetic"), column.infinite, (column.real, column.synthetic), strict=True
    ):
        # ±inf were set aside as missing: count them apart.
        figures[side]["infinite_rate"] = count / values.size
        figures[side]["missing_rate"] -= count / values.size
    return {"kind": column.kind.value} | figures


# ---------------------------------------------------------------------------
# Pairs


@dataclass(frozen=True)
class Centred:
    """One table's numeric columns, prepared for correlations of any two column blocks.

    ``z``: each column centred on its present values (so the sums stay accurate), 0
    where missing, columns contiguous; ``mask``: 1.0 where present, only for columns
    with missing values (``holes``), since a complete column needs no masked sums.
    """

    z: np.ndarray
    mask: np.ndarray | None
    holes: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> Centred:
        present = ~np.isnan(x)
        n_present = present.sum(axis=0)
        z = np.asfortranarray(np.where(present, x, 0.0))
        z -= z.sum(axis=0) / np.maximum(n_present, 1)
        holes = n_present < x.shape[0]
        mask = None
        if holes.any():
            np.copyto(z, 0.0, where=~present)  # missing values add nothing to any sum
            mask = np.asfortranarray(present, dtype=np.float64)
        return cls(z, mask, holes)

    def correlations(self, a: slice, b: slice) -> np.ndarray:
        """Pearson correlations of columns ``a`` against columns ``b``, each pair on the
        rows where both are present (as ``DataFrame.corr``), from a few matrix products."""
        za, zb = self.z[:, a], self.z[:, b]
        sq_a, sq_b = np.einsum("ij,ij->j", za, za), np.einsum("ij,ij->j", zb, zb)
        if self.mask is None or not (self.holes[a].any() or self.holes[b].any()):
            rows = float(self.z.shape[0])
            n = np.full((za.shape[1], zb.shape[1]), rows)
            sx = np.repeat(za.sum(axis=0)[:, None], zb.shape[1], axis=1)
            sy = np.repeat(zb.sum(axis=0)[None, :], za.shape[1], axis=0)
            sxx, syy = sq_a[:, None], sq_b[None, :]
        else:
            ma, mb = self.mask[:, a], self.mask[:, b]
            n = ma.T @ mb
            sx, sy = za.T @ mb, ma.T @ zb  # sx[i, j]: sum of i where j is present
            sxx, syy = (za * za).T @ mb, ma.T @ (zb * zb)
        with np.errstate(invalid="ignore", divide="ignore"):  # undefined: NaN, set below
            cov = za.T @ zb - sx * sy / n
            corr = cov / np.sqrt((sxx - sx * sx / n) * (syy - sy * sy / n))
        corr[(n < 2) | ~np.isfinite(corr)] = np.nan
        np.clip(corr, -1.0, 1.0, out=corr)
        return corr


def correlation_matrix(x: np.ndarray) -> np.ndarray:
    """Pearson correlations over pairwise-complete rows, as ``DataFrame.corr``."""
    every = slice(None)
    return Centred.of(x).correlations(every, every)


def _bins(values: np.ndarray) -> np.ndarray:
    """SDMetrics' discretisation: 10 equal-width bins of this table's own range.

    ``np.digitize`` puts the maximum and missing values in bin 11, as SDMetrics does.
    """
    present = values[~np.isnan(values)]
    if present.size == 0:
        return np.full(values.shape, CONTINGENCY_BINS + 1, dtype=np.int64)
    try:
        edges = np.histogram_bin_edges(present, bins=CONTINGENCY_BINS)
    except ValueError:  # a range beyond float64 (values near ±1.8e308)
        step = np.linspace(0.0, 1.0, CONTINGENCY_BINS + 1)
        edges = (1 - step) * present.min() + step * present.max()
    return np.digitize(values, edges).astype(np.int64)


def _codes(real: pd.Series, synthetic: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes of a discrete column on both sides, missing as a category."""
    codes, _ = pd.factorize(pd.concat([real, synthetic], ignore_index=True), use_na_sentinel=False)
    return codes[: len(real)].astype(np.int64), codes[len(real) :].astype(np.int64)


def _joint(a: np.ndarray, b: np.ndarray, width: int) -> np.ndarray:
    return np.bincount(a * width + b)


def contingency_similarity(
    real: tuple[np.ndarray, np.ndarray], synthetic: tuple[np.ndarray, np.ndarray]
) -> tuple[float, float]:
    """ContingencySimilarity = 1 - TVD of the joint frequencies, and the real Cramér's V."""
    width = int(max(real[1].max(initial=0), synthetic[1].max(initial=0))) + 1
    counts_r = _joint(*real, width)
    counts_s = _joint(*synthetic, width)
    size = max(counts_r.size, counts_s.size)
    p_r = np.pad(counts_r, (0, size - counts_r.size)) / len(real[0])
    p_s = np.pad(counts_s, (0, size - counts_s.size)) / len(synthetic[0])
    score = 1 - 0.5 * float(np.abs(p_r - p_s).sum())
    table = np.pad(counts_r, (0, -counts_r.size % width)).reshape(-1, width)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    return score, cramers_v(table)


def cramers_v(table: np.ndarray) -> float:
    """Cramér's V of a contingency table without empty rows or columns (no continuity
    correction), as ``scipy.stats.contingency.association(table, method="cramer")``."""
    if min(table.shape) < 2:
        return math.nan
    total = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / (total * (min(table.shape) - 1)))


def correlation_ratio(values: np.ndarray, codes: np.ndarray) -> float:
    """η: share of a numeric column's spread explained by a category (sqrt of SS_b/SS_t)."""
    present = ~np.isnan(values)
    x, c = values[present], codes[present]
    if x.size < 2:
        return math.nan
    total = float(((x - x.mean()) ** 2).sum())
    if total == 0:
        return math.nan
    sums, counts = np.bincount(c, weights=x), np.bincount(c)
    used = counts > 0
    between = float((sums[used] ** 2 / counts[used]).sum() - x.sum() ** 2 / x.size)
    return math.sqrt(min(max(between / total, 0.0), 1.0))


def covariance_figures(real: np.ndarray, synthetic: np.ndarray) -> dict:
    """‖Cov_s‖/‖Cov_r‖ (Frobenius) and log(det Cov_s / det Cov_r) on complete rows.

    Columns are scaled by the real standard deviation first, so no column dominates
    by its unit; under mixup theory both ratios are rho (and p·log rho). A table with
    more columns than rows has a singular covariance (log det undefined), and its norm
    comes from the rows' Gram matrix, which has the same Frobenius norm and is smaller.
    """
    r = real[~np.isnan(real).any(axis=1)]
    s = synthetic[~np.isnan(synthetic).any(axis=1)]
    if len(r) < 2 or len(s) < 2:
        return {"covariance_norm_ratio": math.nan, "covariance_log_det_ratio": math.nan}
    scale = r.std(axis=0, ddof=1)
    scale = np.where(scale > 0, scale, 1.0)
    norms, log_dets = [], []
    for side in (r, s):
        z = (side - side.mean(axis=0)) / scale
        gram = z.T @ z if z.shape[1] <= z.shape[0] else z @ z.T
        gram /= len(z) - 1
        norms.append(float(np.linalg.norm(gram)))
        sign, log_det = (0.0, 0.0) if z.shape[1] >= len(z) else np.linalg.slogdet(gram)
        log_dets.append(log_det if sign > 0 else math.nan)
    return {
        "covariance_norm_ratio": _ratio(norms[1], norms[0]),
        "covariance_log_det_ratio": float(log_dets[1] - log_dets[0]),
    }


#: Pairs of columns given a detailed entry (and a pair score): all of them up to this
#: number (100 columns make 4,950 pairs), else a sample of this many drawn with the seed.
PAIR_LIMIT = 5_000
#: Numeric columns shown in the correlation matrices of the report (the first ones).
MATRIX_COLUMNS = 200
#: Columns per block when correlations are computed block by block (bounded memory).
BLOCK_COLUMNS = 512


def _pair_indices(count: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    """Positions (i, j), i < j, of the pairs of ``count`` columns given details: every
    pair in order up to ``limit`` pairs, else ``limit`` pairs drawn without replacement."""
    total = count * (count - 1) // 2
    if total <= limit:
        picked = np.arange(total)
    else:
        picked = np.sort(rng.choice(total, size=limit, replace=False))
    # Row i of the upper triangle starts at pair number i*count - i*(i+1)/2.
    rows = np.arange(count, dtype=np.int64)
    starts = rows * count - rows * (rows + 1) // 2
    first = np.searchsorted(starts, picked, side="right") - 1
    return np.column_stack([first, picked - starts[first] + first + 1])


def _correlation_figures(
    x_r: np.ndarray, x_s: np.ndarray, wanted: np.ndarray
) -> tuple[dict, dict[tuple[int, int], tuple[float, float]]]:
    """Correlation figures over every pair of numeric columns, block by block.

    Memory stays bounded by the blocks (a 10,000-column matrix alone would take
    800 MB): max and mean absolute difference and the pairs undefined only in the
    synthetic table are gathered block by block, the matrices kept for the first
    ``MATRIX_COLUMNS`` columns, and the two correlations returned for the ``wanted``
    pairs (positions in ``x``'s columns).
    """
    count = x_r.shape[1]
    sides = Centred.of(x_r), Centred.of(x_s)
    shown = min(count, MATRIX_COLUMNS)
    matrices = [np.full((shown, shown), np.nan) for _ in sides]
    wanted_at: dict[tuple[int, int], tuple[float, float]] = {}
    largest, total, defined, undefined = -np.inf, 0.0, 0, 0
    for i0 in range(0, count, BLOCK_COLUMNS):
        for j0 in range(i0, count, BLOCK_COLUMNS):
            a, b = slice(i0, i0 + BLOCK_COLUMNS), slice(j0, j0 + BLOCK_COLUMNS)
            real, synthetic = (side.correlations(a, b) for side in sides)
            upper = np.ones(real.shape, dtype=bool)
            if i0 == j0:
                upper = np.triu(upper, k=1)
            diff = np.abs(synthetic - real)[upper]
            present = diff[~np.isnan(diff)]
            if present.size:
                largest = max(largest, float(present.max()))
                total, defined = total + float(present.sum()), defined + present.size
            undefined += int(np.count_nonzero(~np.isnan(real[upper]) & np.isnan(synthetic[upper])))
            for matrix, block in zip(matrices, (real, synthetic), strict=True):
                if i0 < shown and j0 < shown:
                    rows, cols = min(shown - i0, block.shape[0]), min(shown - j0, block.shape[1])
                    matrix[i0 : i0 + rows, j0 : j0 + cols] = block[:rows, :cols]
                    matrix[j0 : j0 + cols, i0 : i0 + rows] = block[:rows, :cols].T
            inside = (
                (wanted[:, 0] >= i0)
                & (wanted[:, 0] < a.stop)
                & (wanted[:, 1] >= j0)
                & (wanted[:, 1] < b.stop)
            )
            for first, second in wanted[inside]:
                wanted_at[first, second] = (
                    real[first - i0, second - j0],
                    synthetic[first - i0, second - j0],
                )
    names_shown = slice(0, shown)
    figures = {
        "correlation": {"columns": names_shown, "real": matrices[0], "synthetic": matrices[1]},
        "correlation_max_abs_diff": largest if defined else math.nan,
        "correlation_mean_abs_diff": total / defined if defined else math.nan,
        "correlation_undefined_in_synthetic": undefined,
    }
    return figures, wanted_at


def compare_pairs(columns: Sequence[Column], seed: int = 0) -> dict:
    """Correlations, covariance ratios, contingency similarity and η for pairs of columns.

    Correlation figures cover every numeric pair, on every row, computed block by
    block. Pair details (CorrelationSimilarity, ContingencySimilarity, η) cover every
    pair up to ``PAIR_LIMIT`` pairs, else a sample of that many drawn with ``seed``
    (``pair_sample`` says which); contingency tables and η use up to
    ``CONTINGENCY_ROWS`` rows per side (bins are cut on the whole column first).
    """
    numeric = [c for c in columns if c.family == NUMERIC]
    position = {c.name: i for i, c in enumerate(numeric)}
    rng = np.random.default_rng(seed)
    rows = [
        np.sort(rng.permutation(n)[:CONTINGENCY_ROWS]) if n > CONTINGENCY_ROWS else slice(None)
        for n in (len(columns[0].real), len(columns[0].synthetic))
    ]
    chosen = _pair_indices(len(columns), PAIR_LIMIT, rng)
    total_pairs = len(columns) * (len(columns) - 1) // 2
    figures: dict = {
        "correlation": None,
        "details": [],
        "pair_sample": {
            "pairs": total_pairs,
            "detailed": len(chosen),
            "limit": PAIR_LIMIT,
            "sampled": len(chosen) < total_pairs,
            "seed": seed,
        },
    }
    wanted = np.array(
        [
            (position[columns[i].name], position[columns[j].name])
            for i, j in chosen
            if columns[i].family == NUMERIC and columns[j].family == NUMERIC
        ],
        dtype=np.int64,
    ).reshape(-1, 2)
    correlations: dict[tuple[int, int], tuple[float, float]] = {}
    if numeric:
        x_r = np.column_stack([c.real for c in numeric])
        x_s = np.column_stack([c.synthetic for c in numeric])
        found, correlations = _correlation_figures(x_r, x_s, wanted)
        matrix = found["correlation"]
        shown = [c.name for c in numeric[matrix["columns"]]]
        matrix.update(columns=shown, difference=matrix["synthetic"] - matrix["real"])
        figures.update(found, **covariance_figures(x_r, x_s))
        del x_r, x_s

    def sampled(pair: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return pair[0][rows[0]], pair[1][rows[1]]

    sides = _PairSides(sampled)
    details = figures["details"]
    for i, j in chosen:
        details.append(_pair(columns[i], columns[j], correlations, position, sides))
    return figures


class _PairSides:
    """Codes, bins and values of the columns in contingency pairs, made when first
    needed (a wide table's sampled pairs touch only some of its columns)."""

    def __init__(self, sampled: Callable) -> None:
        self.sampled = sampled
        self.made: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def get(self, what: str, column: Column) -> tuple[np.ndarray, np.ndarray]:
        key = (what, column.name)
        if key not in self.made:
            if what == "codes":
                pair = _codes(column.real, column.synthetic)
            elif what == "bins":
                pair = (_bins(column.real), _bins(column.synthetic))
            else:
                pair = (column.real, column.synthetic)
            self.made[key] = self.sampled(pair)
        return self.made[key]


def _pair(
    first: Column,
    second: Column,
    correlations: dict[tuple[int, int], tuple[float, float]],
    position: dict[str, int],
    sides: _PairSides,
) -> dict:
    """One pair's SDMetrics score: CorrelationSimilarity or ContingencySimilarity."""
    entry: dict = {"columns": [first.name, second.name]}
    if first.family == NUMERIC and second.family == NUMERIC:
        r, s = correlations[position[first.name], position[second.name]]
        return entry | {
            "metric": "CorrelationSimilarity",
            "score": 1 - abs(r - s) / 2,
            "real_correlation": r,
            "synthetic_correlation": s,
            "meets_threshold": bool(abs(r) > CORRELATION_THRESHOLD) if not np.isnan(r) else False,
        }
    pair = [sides.get("codes" if c.family == DISCRETE else "bins", c) for c in (first, second)]
    score, cramer = contingency_similarity((pair[0][0], pair[1][0]), (pair[0][1], pair[1][1]))
    entry |= {
        "metric": "ContingencySimilarity",
        "score": score,
        "real_association": cramer,
        "meets_threshold": bool(cramer > ASSOCIATION_THRESHOLD) if not np.isnan(cramer) else False,
    }
    if first.family != second.family:
        num, cat = (first, second) if first.family == NUMERIC else (second, first)
        values, codes = sides.get("values", num), sides.get("codes", cat)
        entry["correlation_ratio_real"] = correlation_ratio(values[0], codes[0])
        entry["correlation_ratio_synthetic"] = correlation_ratio(values[1], codes[1])
    return entry


# ---------------------------------------------------------------------------
# Scores


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def quality_scores(columns: dict, pairs: dict) -> dict:
    """SDMetrics QualityReport scores: column shapes, column pair trends, overall."""
    shapes = _mean(
        [c.get("ks_complement", c.get("tv_complement", math.nan)) for c in columns.values()]
    )
    details = pairs["details"]
    trends = _mean([p["score"] for p in details if p["meets_threshold"]])
    trends_all = _mean([p["score"] for p in details])
    return {
        "column_shapes": shapes,
        "column_pair_trends": trends,
        "column_pair_trends_all": trends_all,
        "overall": _mean([shapes, trends]),
        "pairs_meeting_threshold": sum(p["meets_threshold"] for p in details),
        "pairs": len(details),
    }


# ---------------------------------------------------------------------------
# Privacy: distance to closest record


@dataclass(frozen=True)
class Points:
    """Rows in the distance-to-closest-record space (see :func:`_dcr_space`)."""

    numeric: np.ndarray  #: two coordinates per numeric column
    codes: np.ndarray  #: one category code per categorical column

    def __getitem__(self, rows: Any) -> Points:
        return Points(self.numeric[rows], self.codes[rows])

    def __len__(self) -> int:
        return len(self.numeric)


def _dcr_space(
    columns: Sequence[Column], rows_real: np.ndarray, rows_synthetic: np.ndarray
) -> tuple[Points, Points]:
    """The chosen rows, encoded so that the row distance is cheap and exact.

    Numeric: |a - b| / real range is the L1 distance of the coordinates (v, 1 - v)/2; a
    missing value, placed at (-1/4, -1/4), is then at distance exactly 1 from any value
    within half a range of the real range, and 0 from another missing value.
    Categorical: shared integer codes (missing is a category), compared for equality.
    """
    numeric_r, numeric_s, codes_r, codes_s = [], [], [], []
    for column in columns:
        if column.family == NUMERIC:
            present = column.real[~np.isnan(column.real)]
            low, high = (present.min(), present.max()) if present.size else (0.0, 0.0)
            span = high - low if high > low and math.isfinite(high - low) else 1.0
            for values, parts in (
                (column.real[rows_real], numeric_r),
                (column.synthetic[rows_synthetic], numeric_s),
            ):
                v = (values - (low if math.isfinite(low) else 0.0)) / span
                block = np.column_stack([v / 2, (1 - v) / 2])
                block[np.isnan(v)] = -0.25
                parts.append(block)
        else:
            code_r, code_s = _codes(column.real, column.synthetic)
            codes_r.append(code_r[rows_real].astype(np.float64))
            codes_s.append(code_s[rows_synthetic].astype(np.float64))

    def points(numeric: list[np.ndarray], codes: list[np.ndarray], rows: int) -> Points:
        return Points(
            np.hstack(numeric) if numeric else np.empty((rows, 0)),
            np.column_stack(codes) if codes else np.empty((rows, 0)),
        )

    return (
        points(numeric_r, codes_r, len(rows_real)),
        points(numeric_s, codes_s, len(rows_synthetic)),
    )


def _nearest(reference: Points, queries: Points, columns: int) -> np.ndarray:
    """Exact distance from each query row to its closest reference row: the mean over
    columns of the per-column distances.

    Brute force in blocks with ``scipy.spatial.distance.cdist`` (cityblock for the
    numeric coordinates, hamming for the category codes): its cost is fixed by the
    sample sizes, whereas a k-d tree on one-hot categories took 184 s for 10 columns of
    100 categories (and was no faster than brute force beyond ~10 numeric columns).
    """
    from scipy.spatial.distance import cdist

    if len(queries) == 0 or len(reference) == 0:
        return np.empty(0)
    result = np.empty(len(queries))
    block = max(1, 2_000_000 // len(reference))
    n_codes = reference.codes.shape[1]
    for start in range(0, len(queries), block):
        part = queries[start : start + block]
        total = np.zeros((len(part), len(reference)))
        if reference.numeric.shape[1]:
            total += cdist(part.numeric, reference.numeric, "cityblock")
        if n_codes:
            total += cdist(part.codes, reference.codes, "hamming") * n_codes
        result[start : start + block] = total.min(axis=1) / columns
    return result


def _row_hashes(columns: Sequence[Column], side: str) -> np.ndarray:
    frame = pd.DataFrame({c.name: getattr(c, side) for c in columns})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _dcr_figures(distances: np.ndarray) -> dict:
    if distances.size == 0:
        return {"median": math.nan, "p5": math.nan, "zero_share": math.nan}
    return {
        "median": float(np.median(distances)),
        "p5": float(np.quantile(distances, 0.05)),
        "zero_share": float((distances == 0).mean()),
    }


def privacy(columns: Sequence[Column], sample: Sample) -> dict:
    """Distance to closest record of synthetic rows and, as baseline, of real holdout rows.

    Both are measured against the same real reference rows, so they are comparable:
    synthetic rows much closer than holdout rows are near-copies. The exact-copy share
    uses every row (hashing), not the subsample.
    """
    real_rows = np.concatenate([sample.reference, sample.holdout])
    points_r, points_s = _dcr_space(columns, real_rows, sample.synthetic)
    reference, held = points_r[: len(sample.reference)], points_r[len(sample.reference) :]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:  # cdist releases the GIL
        synthetic, holdout = pool.map(
            _quietly(lambda queries: _dcr_figures(_nearest(reference, queries, len(columns)))),
            (points_s, held),
        )
    hashes_r, hashes_s = _row_hashes(columns, "real"), _row_hashes(columns, "synthetic")
    return {
        "dcr_median": synthetic["median"],
        "dcr_p5": synthetic["p5"],
        "exact_copy_share": float(np.isin(hashes_s, hashes_r).mean()),
        "holdout_dcr_median": holdout["median"],
        "holdout_dcr_p5": holdout["p5"],
        "holdout_exact_copy_share": holdout["zero_share"],
        "synthetic_zero_distance_share": synthetic["zero_share"],
        "reference_rows": len(sample.reference),
        "synthetic_rows": len(sample.synthetic),
        "holdout_rows": len(sample.holdout),
    }


def unique_value_leaks(
    real: pd.DataFrame, synthetic: pd.DataFrame, names: Sequence[str]
) -> dict[str, float]:
    """For each named column, the share of synthetic rows whose value occurs exactly
    once in the real table: a unique real value (an e-mail, a rare code) identifies a
    person, so a synthetic row that carries it discloses them. 0 is no leak; a column
    of unique real values copied from donor rows scores 1."""
    leaks = {}
    for name in names:
        real_values, synthetic_values = _hashable(real[name]), _hashable(synthetic[name])
        counts = real_values.value_counts(dropna=True)
        unique = counts.index[counts.to_numpy() == 1]
        hits = synthetic_values.isin(unique) & synthetic_values.notna()
        leaks[str(name)] = float(hits.mean()) if len(synthetic_values) else math.nan
    return leaks


def real_semantics(real: pd.DataFrame, categorical: Sequence[str], metadata: Any = None):
    """The column semantics of the real table (inferred, or from the metadata)."""
    from mixsynth.columns import infer_schema
    from mixsynth.synth import SynthesisOptions, table_semantics

    options = SynthesisOptions(categorical=tuple(categorical), metadata=metadata)
    return table_semantics(real, infer_schema(real, categorical), options)


def _made_up(semantics: Any, name: str) -> bool:
    meaning = semantics.columns.get(name)
    return meaning is not None and meaning.sdtype.is_generated


def leak_columns(semantics: Any, synthetic: pd.DataFrame) -> list[str]:
    """Columns in both tables whose values are not mixed numbers: the ones a leak can
    be exact in."""
    in_both = {str(c) for c in synthetic.columns}
    return [
        name
        for name, meaning in semantics.columns.items()
        if not meaning.sdtype.is_mixed and name in in_both
    ]


# ---------------------------------------------------------------------------
# Utility: train on synthetic, test on real


def _features(
    columns: Sequence[Column], rows_real: np.ndarray, rows_synthetic: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    """Feature matrices of the chosen rows only (categories as shared integer codes),
    and which features are categorical for HistGradientBoosting (fewer than 250 codes)."""
    real, synthetic, categorical = [], [], []
    for column in columns:
        if column.family == NUMERIC:
            real.append(column.real[rows_real])
            synthetic.append(column.synthetic[rows_synthetic])
            categorical.append(False)
        else:
            code_r, code_s = _codes(column.real, column.synthetic)
            real.append(code_r[rows_real].astype(np.float64))
            synthetic.append(code_s[rows_synthetic].astype(np.float64))
            categorical.append(bool(max(code_r.max(), code_s.max()) < 250))
    return np.column_stack(real), np.column_stack(synthetic), categorical


def utility(columns: Sequence[Column], target: str, sample: Sample, seed: int) -> dict:
    """TSTR: a model trained on synthetic rows, tested on real holdout rows, against TRTR.

    scikit-learn's HistGradientBoosting (missing values and categories handled
    natively). Accuracy and macro-F1 for a categorical target, R² for a numeric one.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, f1_score, r2_score
    from threadpoolctl import threadpool_limits

    by_name = {c.name: c for c in columns}
    goal = by_name[target]
    features = [c for c in columns if c.name != target]
    if not features:
        raise MixsynthError(f"--target {target!r} is the only column compared; nothing to learn")
    classify = goal.family == DISCRETE
    if classify:
        y_r, y_s = _codes(goal.real, goal.synthetic)
        missing_r = goal.real.isna().to_numpy()
        missing_s = goal.synthetic.isna().to_numpy()
    else:
        y_r, y_s = goal.real, goal.synthetic
        missing_r, missing_s = np.isnan(y_r), np.isnan(y_s)
    train_r = sample.reference[~missing_r[sample.reference]]
    test = sample.holdout[~missing_r[sample.holdout]]
    train_s = sample.synthetic_train[~missing_s[sample.synthetic_train]]
    result: dict = {
        "target": target,
        "task": "classification" if classify else "regression",
        "train_rows": len(train_r),
        "test_rows": len(test),
    }
    if len(test) == 0 or len(train_r) < 2 or len(train_s) < 2:
        return result | {"note": "too few rows with a target value"}
    x_r, x_s, mask = _features(features, np.concatenate([train_r, test]), train_s)
    x_train, x_test = x_r[: len(train_r)], x_r[len(train_r) :]

    def fit_score(x: np.ndarray, y: np.ndarray) -> dict:
        model_type = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        if classify and len(np.unique(y)) < 2:
            predicted = np.full(len(test), y[0])
        else:
            model = model_type(categorical_features=mask, random_state=seed)
            predicted = model.fit(x, y).predict(x_test)
        truth = y_r[test]
        if classify:
            return {
                "accuracy": float(accuracy_score(truth, predicted)),
                "macro_f1": float(f1_score(truth, predicted, average="macro")),
            }
        return {"r2": float(r2_score(truth, predicted))}

    # One OpenMP thread: on a busy machine scikit-learn's spinning threads made a
    # 0.1 s fit take 4 s.
    with threadpool_limits(1, user_api="openmp"):
        real_scores = fit_score(x_train, y_r[train_r])
        synth_scores = fit_score(x_s, y_s[train_s])
    return result | {
        "real": real_scores,
        "synthetic": synth_scores,
        "ratio": {k: _ratio(synth_scores[k], real_scores[k]) for k in real_scores},
    }


# ---------------------------------------------------------------------------
# Whole tables


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


#: Cost cap of the distance to closest record: reference rows x query rows x
#: coordinates, over both query sets (a numeric column is two coordinates, a
#: categorical one). Tables up to 40 coordinates keep the default 10,000 sampled rows;
#: wider ones get fewer rows, so this part stays under a few seconds.
DCR_BUDGET = 2e9


def _dcr_rows(columns: Sequence[Column], sample_rows: int) -> int:
    """Sampled real rows for the nearest-record figures: --sample-rows, or fewer if the
    table is so wide that their distances would cost more than DCR_BUDGET."""
    coordinates = sum(2 if c.family == NUMERIC else 1 for c in columns)
    # n sampled rows: n/2 reference rows against n/2 holdout and n/2 synthetic rows.
    return max(2, min(sample_rows, int(math.sqrt(2 * DCR_BUDGET / max(coordinates, 1)))))


def check_compare_memory(real_rows: int, synthetic_rows: int, columns: int) -> None:
    """Refuse a comparison that cannot fit in memory, before it starts.

    The figures hold a few float64 copies of each table's compared columns (values,
    centred values, masks, bins): at least 4 x 8 bytes per cell, a lower bound, so
    nothing feasible is refused; pair figures are computed in bounded blocks.
    """
    import os

    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: cannot tell
        return
    needed = 32 * columns * (real_rows + synthetic_rows)
    if needed > physical:
        raise MixsynthError(
            f"comparing {columns} columns of {real_rows} and {synthetic_rows} rows needs at "
            f"least {needed / 2**30:.3g} GiB, more than this machine's {physical / 2**30:.3g} GiB",
            "compare fewer columns or a sample of the rows",
        )


def compare_tables(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    target: str | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    seed: int = 0,
    categorical: Sequence[str] = (),
    metadata: Any = None,
) -> dict:
    """Every figure of real against synthetic, as a JSON-ready dict (docs/report.md).

    ``metadata`` (a :class:`mixsynth.semantics.TableMetadata`) says which columns are
    not mixed numbers, for the unique-value leak figure; inferred without it.
    """
    if sample_rows < 2:
        raise MixsynthError(f"--sample-rows must be at least 2, got {sample_rows}")
    with np.errstate(all="ignore"):  # undefined figures become None, without noise
        return _compare(real, synthetic, target, sample_rows, seed, categorical, metadata)


def _compare(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    target: str | None,
    sample_rows: int,
    seed: int,
    categorical: Sequence[str],
    metadata: Any,
) -> dict:
    from mixsynth.semantics.inference import suggest_by

    columns, schema = align(real, synthetic, categorical)
    semantics = real_semantics(real, categorical, metadata)
    # Keys, personal data and free text are made up by design: their real values never
    # reappear, so they say nothing about fidelity or closeness, as SDMetrics leaves id
    # and PII columns out of its quality report. Their leak is measured on its own.
    made_up = [c.name for c in columns if _made_up(semantics, c.name)]
    if made_up and len(made_up) < len(columns):
        columns = [c for c in columns if c.name not in made_up]
        schema["made_up"] = made_up
    if target is not None and target not in {c.name for c in columns}:
        raise MixsynthError(
            f"--target column {target!r} is not compared",
            column_hint(target, [c.name for c in columns]),
        )
    check_compare_memory(len(real), len(synthetic), len(columns))
    from concurrent.futures import ThreadPoolExecutor

    from mixsynth.choices import THREADS

    # numpy releases the GIL in the sorts and sums: the columns are shared by threads.
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        figures = pool.map(_quietly(compare_column), columns)
        column_figures = dict(zip([c.name for c in columns], figures, strict=True))
    pairs = compare_pairs(columns, seed)
    sample = Sample.draw(len(real), len(synthetic), sample_rows, seed)
    # Nearest records cost reference x query rows x coordinates: on a wide table the
    # rows are fewer, so that the cost stays that of DCR_BUDGET (privacy states them).
    dcr_rows = _dcr_rows(columns, sample_rows)
    dcr_sample = (
        sample
        if dcr_rows >= sample_rows
        else Sample.draw(len(real), len(synthetic), dcr_rows, seed)
    )
    report = {
        "rows": {"real": len(real), "synthetic": len(synthetic)},
        "schema": schema,
        "options": {"sample_rows": sample_rows, "seed": seed, "target": target},
        "scores": quality_scores(column_figures, pairs),
        "columns": column_figures,
        "pairs": pairs,
        "privacy": {
            **privacy(columns, dcr_sample),
            "sample_rows_limit": dcr_rows,
            "unique_value_leaks": unique_value_leaks(
                real, synthetic, leak_columns(semantics, synthetic)
            ),
        },
        "suggestions": suggest_by(real, semantics),
        "utility": utility(columns, target, sample, seed) if target is not None else None,
    }
    return clean(report)


def generation_entry(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    generation_index: int,
    predicted_variance_ratio: float,
    *,
    out_of_range: dict[str, float] | None = None,
    **options: Any,
) -> dict:
    """One generation against the REAL input: :func:`compare_tables` figures plus the
    generation number and the theory's predicted variance ratio rho^g (also per numeric
    column, beside the measured one, with the share out of range before bounds)."""
    entry = compare_tables(real, synthetic, **options)
    for name, figures in entry["columns"].items():
        if "variance_ratio" in figures:
            figures["predicted_variance_ratio"] = clean(predicted_variance_ratio)
            if out_of_range and name in out_of_range:
                figures["out_of_range_before_bounds"] = clean(out_of_range[name])
    return {
        "generation": generation_index,
        "predicted_variance_ratio": clean(predicted_variance_ratio),
    } | entry


class GenerationTrajectory:
    """The report of ``generate --report``: every generation against the REAL input.

    ``add`` measures one generation as it is made; the predicted variance ratio is the
    product of the generations' expected sample-variance factors (rho^g, with the
    finite-sample terms). A resumed run starts after ``start`` generations it did not
    see, assumed made with the same factor as its first new one.
    """

    def __init__(
        self,
        real: pd.DataFrame,
        *,
        start: int = 0,
        categorical: Sequence[str] = (),
        sample_rows: int = DEFAULT_SAMPLE_ROWS,
        seed: int = 0,
    ) -> None:
        self.real = real
        self.start = start
        self.options: dict[str, Any] = {
            "categorical": categorical,
            "sample_rows": sample_rows,
            "seed": seed,
        }
        self.entries: list[dict] = []
        self.predicted = 1.0
        self.weights: Any = None
        self.last: pd.DataFrame | None = None

    def add(self, generation: Generation) -> dict:
        factor = generation.expected_variance_factor()
        if not self.entries:
            self.predicted = factor**self.start
        self.predicted *= factor
        self.weights, self.last = generation.weights, generation.frame
        entry = generation_entry(
            self.real,
            generation.frame,
            generation.index,
            self.predicted,
            out_of_range=generation.out_of_range,
            **self.options,
        )
        self.entries.append(entry)
        return entry

    def report(self, fallback: pd.DataFrame, run: dict) -> dict:
        """The full comparison of the last generation, the trajectory, the theory and
        the run's settings (``run``: e.g. seed, input, options; dataclasses welcome).
        ``fallback`` is compared when no generation was added (a finished resumed run)."""
        if self.entries:
            final = {
                k: v
                for k, v in self.entries[-1].items()
                if k not in ("generation", "predicted_variance_ratio")
            }
        else:  # a resumed run that had nothing left to do
            final = compare_tables(self.real, fallback, **self.options)
        weights = None
        if self.weights is not None:
            theory = self.weights.theory()
            weights = {
                "label": self.weights.label(),
                "mean": theory.mean,
                "rho": theory.rho,
                "delta": theory.delta,
                "kappa": theory.kappa,
                "novelty": theory.novelty,
                "support": [theory.lower, theory.upper],
            }
        options = final["options"] | run.pop("options", {})
        return clean(
            final | run | {"options": options, "weights": weights, "generations": self.entries}
        )
