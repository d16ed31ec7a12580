"""``compare --engine dask``: the comparison report of two tables larger than memory.

Means, standard deviations, variance ratios, missing rates, extremes and correlations
(pairwise-complete, as ``DataFrame.corr``) come from exact reductions over every row:
each partition's counts, means and centred co-moments, merged with Chan et al.'s
pairwise update, which stays accurate where raw sums of squares would cancel. The other
figures (shapes, quantiles, categories, pair trends, privacy, utility) are those of
:func:`mixsynth.metrics.compare_tables` on a seeded uniform sample of each table, and
the report says which figures are sampled and how large their sampling error is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.choices import TableFormat
from mixsynth.engine.dask import Source, Tracker, find_source, read_partitions
from mixsynth.errors import InputError, OptionError

if TYPE_CHECKING:
    from distributed import Client

#: Figures computed over every row; everything else in the report is sampled.
EXACT_FIGURES = [
    "rows",
    "count",
    "missing_rate",
    "missing_rate_diff",
    "mean",
    "std",
    "min",
    "max",
    "mean_diff_std",
    "variance_ratio",
    "std_ratio",
    "correlation",
    "correlation_max_abs_diff",
    "correlation_mean_abs_diff",
    "covariance_norm_ratio",
    "covariance_log_det_ratio",
    "CorrelationSimilarity",
]


@dataclass
class Moments:
    """Pairwise-complete moments of p numeric columns (p x p arrays).

    ``n[i, j]`` rows have both columns; over those rows ``mean[i, j]`` is column i's
    mean, ``m2[i, j]`` its centred sum of squares and ``co[i, j]`` the centred sum of
    products of i and j. The diagonal is each column on its own.
    """

    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    co: np.ndarray
    low: np.ndarray  #: per column
    high: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> Moments:
        """The moments of one partition's values (NaN = missing)."""
        present = ~np.isnan(x)
        m = present.astype(np.float64)
        n = m.T @ m
        counts = present.sum(axis=0)
        centre = np.where(counts > 0, np.nansum(x, axis=0) / np.maximum(counts, 1), 0.0)
        z = np.where(present, x - centre, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            sums = z.T @ m  # sums[i, j]: sum of column i where j is present
            shift = np.where(n > 0, sums / n, 0.0)
            squares = (z * z).T @ m
            m2 = squares - np.where(n > 0, sums * sums / n, 0.0)
            co = z.T @ z - np.where(n > 0, sums * sums.T / n, 0.0)
        mean = centre[:, None] + shift
        low = np.where(present, x, np.inf).min(axis=0, initial=np.inf)
        high = np.where(present, x, -np.inf).max(axis=0, initial=-np.inf)
        return cls(n, mean, m2, co, low, high)

    def merge(self, other: Moments) -> Moments:
        """The moments of both row sets together (Chan, Golub and LeVeque's update)."""
        n = self.n + other.n
        with np.errstate(invalid="ignore", divide="ignore"):
            weight = np.where(n > 0, self.n * other.n / n, 0.0)
            delta = np.where(weight > 0, other.mean - self.mean, 0.0)  # both sides present
            mean = np.where(n > 0, (self.n * self.mean + other.n * other.mean) / n, 0.0)
        m2 = self.m2 + other.m2 + delta * delta * weight
        co = self.co + other.co + delta * delta.T * weight
        return Moments(
            n, mean, m2, co, np.minimum(self.low, other.low), np.maximum(self.high, other.high)
        )

    def correlation(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = self.co / np.sqrt(self.m2 * self.m2.T)
        corr[(self.n < 2) | ~np.isfinite(corr)] = np.nan
        return np.clip(corr, -1.0, 1.0)

    def column(self, i: int, rows: int) -> dict:
        """Exact figures of column i, as :func:`mixsynth.metrics.numeric_summary` names them."""
        count = int(self.n[i, i])
        figures: dict = {"count": count, "missing_rate": (rows - count) / rows}
        if count:
            figures.update(mean=float(self.mean[i, i]), min=float(self.low[i]))
            figures.update(max=float(self.high[i]))
            figures["std"] = math.sqrt(self.m2[i, i] / (count - 1)) if count > 1 else math.nan
        return figures


@dataclass
class PartStatistics:
    """One partition's share of the exact figures and of the sample."""

    rows: int
    names: list[str]  #: the numeric columns, in order
    moments: Moments | None  #: pairwise-complete, over every row
    complete: Moments | None  #: over the rows with every numeric column present
    sample: Any  #: up to ``sample_rows`` rows with the smallest keys
    keys: np.ndarray  #: their uniform random keys


def _part_statistics(
    frame: Any, seed: np.random.SeedSequence, sample_rows: int, categorical: Sequence[str]
) -> PartStatistics:
    """A worker task: exact moments of the numeric columns, and a sample's candidates.

    Each row gets a uniform key from the partition's own stream; the driver keeps the
    rows with the smallest keys over all partitions: a simple random sample of the
    table, the same whatever the number of workers.
    """
    from mixsynth.columns.frame import column_kind
    from mixsynth.io import arrow_to_frame
    from mixsynth.metrics import numeric_values

    if not hasattr(frame, "iloc"):  # Arrow, as the in-memory compare converts it
        frame = arrow_to_frame(frame)

    forced = {str(c) for c in categorical}
    names = [
        str(c) for c in frame.columns if str(c) not in forced and column_kind(frame[c]).is_mixed
    ]
    moments = complete = None
    if names and len(frame):
        x = np.column_stack([numeric_values(frame[c]) for c in names])
        x[~np.isfinite(x)] = np.nan  # ±inf are set aside as missing, as metrics does
        moments = Moments.of(x)
        complete = Moments.of(x[~np.isnan(x).any(axis=1)])
    keys = np.random.default_rng(seed).random(len(frame))
    keep = np.sort(np.argsort(keys, kind="stable")[:sample_rows])
    return PartStatistics(
        len(frame), names, moments, complete, frame.iloc[keep].reset_index(drop=True), keys[keep]
    )


@dataclass
class TableStatistics:
    """A whole table's exact figures and its sample."""

    rows: int
    names: list[str]
    moments: Moments | None
    complete: Moments | None
    sample: Any


def _table_statistics(
    client: Client,
    tracker: Tracker,
    source: Source,
    encoding: str,
    sample_rows: int,
    seed: np.random.SeedSequence,
    categorical: Sequence[str],
    more: int,
) -> TableStatistics:
    """Exact moments and a uniform sample of ``sample_rows`` rows, in one pass."""
    import pandas as pd
    from dask import delayed

    parts = read_partitions(source, encoding)
    seeds = seed.spawn(len(parts))
    tasks = [
        delayed(_part_statistics)(p, seeds[i], sample_rows, tuple(categorical))
        for i, p in enumerate(parts)
    ]
    results: list[PartStatistics] = tracker.run(client, tasks, more=more)
    rows = sum(r.rows for r in results)
    if rows == 0:
        raise InputError(f"{source.path!r} has no rows", "give a table with at least one row")
    keys = np.concatenate([r.keys for r in results])
    chosen = np.zeros(len(keys), dtype=bool)
    chosen[np.argsort(keys, kind="stable")[:sample_rows]] = True
    pieces, start = [], 0
    for r in results:  # the sample keeps the table's row order
        pieces.append(r.sample[chosen[start : start + len(r.keys)]])
        start += len(r.keys)
    sample = pd.concat(pieces, ignore_index=True)
    names = results[0].names
    moments = complete = None
    for r in results:
        if r.names != names:
            raise InputError(
                f"the partitions of {source.path!r} disagree on the numeric columns",
                "give files with the same columns and types",
            )
        if r.moments is not None:
            moments = r.moments if moments is None else moments.merge(r.moments)
            complete = r.complete if complete is None else complete.merge(r.complete)
    return TableStatistics(rows, names, moments, complete, sample)


def compare_dask(
    client: Client,
    real: str,
    synthetic: str,
    *,
    target: str | None = None,
    sample_rows: int = 10_000,
    seed: int = 0,
    categorical: Sequence[str] = (),
    metadata: Any = None,
    input_format: TableFormat | None = None,
    encoding: str = "utf-8",
    on_progress=lambda done, total: None,
) -> dict:
    """The report of :func:`mixsynth.metrics.compare_tables`, with the moment figures
    exact over every row and the rest on seeded samples of ``sample_rows`` rows."""
    from mixsynth.metrics import clean, compare_tables

    if sample_rows < 2:
        raise OptionError(f"--sample-rows must be at least 2, got {sample_rows}")
    sources = [find_source(real, input_format), find_source(synthetic, input_format)]
    tracker = Tracker(on_progress)
    seeds = np.random.SeedSequence(seed).spawn(2)
    real_stats = _table_statistics(
        client, tracker, sources[0], encoding, sample_rows, seeds[0], categorical, 1
    )
    synth_stats = _table_statistics(
        client, tracker, sources[1], encoding, sample_rows, seeds[1], categorical, 0
    )
    report = compare_tables(
        real_stats.sample,
        synth_stats.sample,
        target=target,
        sample_rows=sample_rows,
        seed=seed,
        categorical=categorical,
        metadata=metadata,
    )
    with np.errstate(all="ignore"):
        _exact_figures(report, real_stats, synth_stats)
    return clean(report)


def _exact_figures(report: dict, real: TableStatistics, synthetic: TableStatistics) -> None:
    """Put the exact figures in place of the sampled ones, and say what is sampled."""
    from mixsynth.metrics import CORRELATION_THRESHOLD, quality_scores

    report["rows"] = {"real": real.rows, "synthetic": synthetic.rows}
    sampled = {"real": len(real.sample), "synthetic": len(synthetic.sample)}
    a, b = sampled["real"], sampled["synthetic"]
    report["sampling"] = {
        "engine": "dask",
        "sample_rows": sampled,
        "exact_figures": EXACT_FIGURES,
        "sampled_figures": "every other figure (quantiles, skew, kurtosis, KS, Wasserstein, "
        "histograms, categories, contingency, privacy, utility, column shapes score); "
        "the unique-value leak counts values unique in the real sample, not the table",
        # A KS statistic below this is within what two samples of these sizes from the
        # same table show 95% of the time (the asymptotic two-sample critical value).
        "ks_critical_95": 1.358 * math.sqrt((a + b) / (a * b)),
        # The largest standard error of a share (TV distance terms, copy share, scores).
        "share_standard_error_max": 0.5 / math.sqrt(min(a, b)),
    }
    columns = report["columns"]
    # Numbers compared as numbers only: a code compared as a category keeps its figures.
    common = [
        n
        for n in real.names
        if n in synthetic.names and n in columns and "ks_statistic" in columns[n]
    ]
    if real.moments is None or synthetic.moments is None or not common:
        return
    position = {
        "real": {n: i for i, n in enumerate(real.names)},
        "synthetic": {n: i for i, n in enumerate(synthetic.names)},
    }
    for name in common:
        r = real.moments.column(position["real"][name], real.rows)
        s = synthetic.moments.column(position["synthetic"][name], synthetic.rows)
        entry = columns[name]
        entry["real"].update(r)
        entry["synthetic"].update(s)
        std_r, std_s = r.get("std", math.nan), s.get("std", math.nan)
        ratio = std_s / std_r if std_r and math.isfinite(std_r) else math.nan
        entry.update(
            mean_diff_std=(s.get("mean", math.nan) - r.get("mean", math.nan)) / std_r
            if std_r and math.isfinite(std_r)
            else math.nan,
            variance_ratio=ratio**2,
            std_ratio=ratio,
            missing_rate_diff=s["missing_rate"] - r["missing_rate"],
        )
    pairs = report["pairs"]
    names = (pairs.get("correlation") or {}).get("columns") or []
    names = [n for n in names if n in common]
    if not names:
        return
    pick_r = [position["real"][n] for n in names]
    pick_s = [position["synthetic"][n] for n in names]
    corr_r = real.moments.correlation()[np.ix_(pick_r, pick_r)]
    corr_s = synthetic.moments.correlation()[np.ix_(pick_s, pick_s)]
    diff = corr_s - corr_r
    upper = np.abs(diff[np.triu_indices(len(names), k=1)])
    upper = upper[~np.isnan(upper)]
    pairs["correlation"] = {
        "columns": names,
        "real": corr_r,
        "synthetic": corr_s,
        "difference": diff,
    }
    pairs["correlation_max_abs_diff"] = float(upper.max()) if upper.size else math.nan
    pairs["correlation_mean_abs_diff"] = float(upper.mean()) if upper.size else math.nan
    pairs.update(
        _covariance_ratios(
            _covariance(real.complete, pick_r), _covariance(synthetic.complete, pick_s)
        )
    )
    where = {n: i for i, n in enumerate(names)}
    for detail in pairs["details"]:
        if detail.get("metric") != "CorrelationSimilarity":
            continue
        first, second = detail["columns"]
        if first in where and second in where:
            r, s = corr_r[where[first], where[second]], corr_s[where[first], where[second]]
            detail.update(
                score=1 - abs(r - s) / 2,
                real_correlation=r,
                synthetic_correlation=s,
                meets_threshold=bool(abs(r) > CORRELATION_THRESHOLD) if np.isfinite(r) else False,
            )
    report["scores"] = quality_scores(columns, pairs)


def _covariance(moments: Moments | None, pick: list[int]) -> np.ndarray | None:
    """The sample covariance (ddof=1) over complete rows, or None with fewer than 2."""
    if moments is None:
        return None
    n = moments.n[np.ix_(pick, pick)]
    if n.size == 0 or n.min() < 2:
        return None
    return moments.co[np.ix_(pick, pick)] / (n - 1)


def _covariance_ratios(cov_r: np.ndarray | None, cov_s: np.ndarray | None) -> dict:
    """:func:`mixsynth.metrics.covariance_figures` from the two covariance matrices:
    both scaled by the real standard deviations, then the ratio of their Frobenius
    norms and the log of the ratio of their determinants."""
    if cov_r is None or cov_s is None:
        return {"covariance_norm_ratio": math.nan, "covariance_log_det_ratio": math.nan}
    scale = np.sqrt(np.diag(cov_r))
    scale = np.where(scale > 0, scale, 1.0)
    scaled_r = cov_r / np.outer(scale, scale)
    scaled_s = cov_s / np.outer(scale, scale)
    sign_r, logdet_r = np.linalg.slogdet(scaled_r)
    sign_s, logdet_s = np.linalg.slogdet(scaled_s)
    norm_r = float(np.linalg.norm(scaled_r))
    return {
        "covariance_norm_ratio": float(np.linalg.norm(scaled_s)) / norm_r if norm_r else math.nan,
        "covariance_log_det_ratio": float(logdet_s - logdet_r)
        if sign_r > 0 and sign_s > 0
        else math.nan,
    }
