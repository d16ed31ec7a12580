"""One column, real against synthetic: summaries, distances between distributions,
histograms, category shares (SDMetrics' KS and TV complements)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mixsynth.metrics.core import (
    DISCRETE,
    DISCRETE_VALUES,
    HISTOGRAM_BINS,
    MAX_CATEGORIES,
    QUANTILES,
    Column,
    ratio,
)

#: Cells (columns x rows of both sides) of numeric columns compared at once: every
#: array of a batch is then about 8 MB, so memory stays bounded on any width.
BATCH_CELLS = 2**20


def _sorted_quantiles(ordered: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.quantile(..., method="linear")`` of each already sorted row, without resorting."""
    position = np.asarray(q) * (ordered.shape[-1] - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, ordered.shape[-1] - 1)
    return ordered[..., low] + (position - low) * (ordered[..., high] - ordered[..., low])


def _moment_sums(ordered: np.ndarray, mean: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sums of the 2nd, 3rd and 4th powers of each row's deviations from its mean.

    Both moment ratios are scale-free: dividing by the largest deviation keeps the
    powers of huge values finite.
    """
    deviation = ordered - mean[:, None]
    # Rows are sorted, so are their deviations: the largest is at one end.
    largest = np.maximum(np.abs(deviation[:, 0]), np.abs(deviation[:, -1]))
    deviation /= np.where((largest > 0) & np.isfinite(largest), largest, 1.0)[:, None]
    squared = deviation * deviation
    return squared.sum(axis=1), (squared * deviation).sum(axis=1), (squared * squared).sum(axis=1)


def _skew_kurtosis(n: int, m2: float, m3: float, m4: float) -> tuple[float, float]:
    """Skewness and excess kurtosis with pandas' bias-corrected formulas (``Series.skew``,
    ``Series.kurt``): NaN below 3 (4) values, 0 for a constant column."""
    skew = kurt = math.nan
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if n >= 3:
            skew = 0.0 if m2 == 0 else n * (n - 1) ** 0.5 / (n - 2) * (m3 / m2**1.5)
        if n >= 4:
            adjust = 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
            kurt = 0.0 if m2 == 0 else n * (n + 1) * (n - 1) * m4 / ((n - 2) * (n - 3) * m2**2)
            kurt = kurt - adjust if m2 != 0 else 0.0
    return float(skew), float(kurt)


def _summaries(ordered: np.ndarray, total: int) -> list[dict]:
    """:func:`numeric_summary` of each row of ``ordered`` (rows of equal length)."""
    count = ordered.shape[1]
    base = {
        "count": count,
        "missing_rate": (total - count) / total if total else math.nan,
    }
    if count == 0:
        return [dict(base) for _ in range(len(ordered))]
    mean = ordered.mean(axis=1)
    std = ordered.std(axis=1, ddof=1) if count > 1 else np.full(len(ordered), math.nan)
    sums = _moment_sums(ordered, mean)
    quantiles = _sorted_quantiles(ordered, QUANTILES)
    summaries = []
    for i, row in enumerate(ordered):
        skew, kurt = _skew_kurtosis(count, sums[0][i], sums[1][i], sums[2][i])
        summaries.append(
            base
            | {
                "mean": float(mean[i]),
                "std": float(std[i]),
                "skew": skew,
                "kurtosis": kurt,
                "min": float(row[0]),
                "max": float(row[-1]),
                "quantiles": {
                    f"p{round(q * 100)}": float(v)
                    for q, v in zip(QUANTILES, quantiles[i], strict=True)
                },
            }
        )
    return summaries


def numeric_summary(ordered: np.ndarray, total: int) -> dict:
    """Count, missing rate, moments and quantiles of one side of a numeric column.

    ``ordered``: the present (non-NaN) values, sorted; ``total``: rows including missing.
    """
    return _summaries(ordered[None, :], total)[0]


def _ecdf_rows(real: np.ndarray, synthetic: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """KS statistic and Wasserstein-1 distance of each row of ``real`` against the same
    row of ``synthetic`` (sorted rows), from one stable merge of the two rows."""
    values = np.concatenate([real, synthetic], axis=1)
    order = np.argsort(values, axis=1, kind="stable")
    values = np.take_along_axis(values, order, axis=1)
    from_real = order < real.shape[1]
    del order
    taken = np.cumsum(from_real, axis=1)  # real values up to each place; the rest synthetic
    gap = taken / real.shape[1]
    gap -= (np.arange(1, values.shape[1] + 1) - taken) / synthetic.shape[1]
    np.abs(gap, out=gap)
    widths = np.diff(values, axis=1)
    # Between tied values the ECDFs are only complete at the last of the ties.
    ends = np.ones(gap.shape, dtype=bool)
    np.not_equal(widths, 0, out=ends[:, :-1])
    ks = np.max(gap, axis=1, where=ends, initial=0.0)
    # einsum, not a BLAS dot: BLAS threads for one vector cost more than the sum
    # (9 ms against 0.02 ms for 20,000 values when the cores are busy). Row by row, as
    # the sum of one row does not depend on the rows beside it.
    wasserstein = [
        float(np.einsum("i,i->", d, w)) for d, w in zip(gap[:, :-1], widths, strict=True)
    ]
    return ks, wasserstein


def ecdf_distances(real: np.ndarray, synthetic: np.ndarray) -> tuple[float, float]:
    """Two-sample KS statistic and Wasserstein-1 distance of two sorted samples.

    The same quantities as ``scipy.stats.ks_2samp(...).statistic`` and
    ``scipy.stats.wasserstein_distance`` (the tests check it), from one stable merge
    of the two sorted samples instead of two sorts and four binary searches: 3x faster
    on a million rows, which is most of ``compare``'s time.
    """
    with np.errstate(invalid="ignore"):
        ks, wasserstein = _ecdf_rows(real[None, :], synthetic[None, :])
    return float(ks[0]), wasserstein[0]


def _round14(values: np.ndarray) -> np.ndarray:
    """Round to 14 decimals, as SDMetrics does, except where ``x * 1e14`` would overflow
    (such values have no decimals left to round). ``values``: sorted rows."""
    if values.size and (np.abs(values[..., [0, -1]]) < 1e290).all():  # the usual case
        return np.round(values, 14)
    return np.where(np.abs(values) < 1e290, np.round(values, 14), values)


def compare_numeric(real: np.ndarray, synthetic: np.ndarray) -> dict:
    """Shape figures of a numeric column: variance ratio, KS, Wasserstein, range."""
    return compare_numeric_columns([(real, synthetic)])[0]


def compare_numeric_columns(sides: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[dict]:
    """:func:`compare_numeric` of many columns at once, the same figures to the last bit.

    Columns with as many present values as each other (on a wide table, most) are
    stacked and computed row-wise in batches of ``BATCH_CELLS``: numpy then does
    hundreds of columns per call instead of paying its per-call cost for each one,
    and releases the GIL long enough for the batches to share the cores.
    """
    from concurrent.futures import ThreadPoolExecutor

    from mixsynth.choices import THREADS
    from mixsynth.metrics.core import quietly

    present = [(_present(r), _present(s)) for r, s in sides]
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (r, s) in enumerate(present):
        groups.setdefault((r.size, s.size), []).append(i)
    batches: list[list[int]] = []
    for (n_r, n_s), members in groups.items():
        size = max(1, BATCH_CELLS // max(n_r + n_s, 1))
        batches.extend(members[start : start + size] for start in range(0, len(members), size))

    def compare_batch(chosen: list[int]) -> list[dict]:
        r = np.sort(np.stack([present[i][0] for i in chosen]))
        s = np.sort(np.stack([present[i][1] for i in chosen]))
        return _compare_sorted(r, s, [(sides[i][0].size, sides[i][1].size) for i in chosen])

    figures: list[dict] = [{} for _ in sides]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for chosen, found in zip(batches, pool.map(quietly(compare_batch), batches), strict=True):
            for i, column in zip(chosen, found, strict=True):
                figures[i] = column
    return figures


def _present(values: np.ndarray) -> np.ndarray:
    """The values that are not missing (the array itself when none is)."""
    missing = np.isnan(values)
    return values[~missing] if missing.any() else values


def _compare_sorted(r: np.ndarray, s: np.ndarray, totals: list[tuple[int, int]]) -> list[dict]:
    """The figures of columns whose present values are the sorted rows of ``r`` and ``s``
    (``totals``: each column's rows, missing included)."""
    by_total = {total: (_summaries(r, total[0]), _summaries(s, total[1])) for total in set(totals)}
    summaries = [
        {"real": by_total[t][0][i], "synthetic": by_total[t][1][i]} for i, t in enumerate(totals)
    ]
    if r.shape[1] == 0 or s.shape[1] == 0:
        return [f | {"ks_statistic": math.nan, "ks_complement": math.nan} for f in summaries]
    # SDMetrics rounds to 14 decimals before the test, so float noise is no difference.
    ks, wasserstein = _ecdf_rows(_round14(r), _round14(s))
    outside = np.count_nonzero(s < r[:, :1], axis=1) + np.count_nonzero(s > r[:, -1:], axis=1)
    histograms = _histograms(r, s)
    results = []
    for i, figures in enumerate(summaries):
        std_r, std_s = figures["real"]["std"], figures["synthetic"]["std"]
        std_ratio = ratio(std_s, std_r)
        results.append(
            figures
            | {
                "mean_diff_std": ratio(
                    figures["synthetic"]["mean"] - figures["real"]["mean"], std_r
                ),
                "variance_ratio": std_ratio**2,  # not Var_s / Var_r: that overflows near 1e308
                "std_ratio": std_ratio,
                "ks_statistic": float(ks[i]),
                "ks_complement": 1 - float(ks[i]),
                "wasserstein": ratio(wasserstein[i], std_r),
                "out_of_range_share": int(outside[i]) / s.shape[1],
                "missing_rate_diff": figures["synthetic"]["missing_rate"]
                - figures["real"]["missing_rate"],
                "histogram": histograms[i],
            }
        )
    return results


def _histograms(r: np.ndarray, s: np.ndarray) -> list[dict]:
    """:func:`histogram` of each row pair of ``r`` and ``s`` (sorted rows).

    Rows of finite values that are not a few whole numbers get equal-width bins here,
    counted by binary searches of the edges in the sorted rows; the others go through
    :func:`histogram` one by one.
    """
    finite = np.isfinite(r).all(axis=1) & np.isfinite(s).all(axis=1)
    distinct = 1 + np.count_nonzero(r[:, 1:] != r[:, :-1], axis=1)
    low, high = r[:, 0].copy(), r[:, -1].copy()
    flat = high <= low
    low[flat], high[flat] = low[flat] - 0.5, high[flat] + 0.5
    step = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    edges = (1 - step) * low[:, None] + step * high[:, None]  # no overflow near ±1.8e308
    binned = finite & (distinct > DISCRETE_VALUES) & (np.diff(edges, axis=1) >= 0).all(axis=1)
    histograms = []
    for i in range(len(r)):
        if not binned[i]:
            histograms.append(histogram(r[i], s[i]))
            continue
        figures: dict = {"edges": edges[i]}
        for side, values in (("real", r[i]), ("synthetic", s[i])):
            # Bin b holds edges[b] <= x < edges[b + 1], the last bin also x = high.
            below = np.searchsorted(values, edges[i], "left")
            below[-1] = np.searchsorted(values, high[i], "right")
            total = max(values.size, 1)
            figures[side] = np.diff(below) / total
            figures[f"{side}_below"] = int(np.searchsorted(values, low[i], "left")) / total
            figures[f"{side}_above"] = (values.size - int(below[-1])) / total
        histograms.append(figures)
    return histograms


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


def _counts(series: pd.Series) -> dict:
    """Present values and how often each occurs, in ``value_counts``' order (most common
    first); a pandas Categorical's unused categories, listed with 0, were not seen."""
    counted = series.value_counts(dropna=True)
    return {v: int(n) for v, n in zip(counted.index, counted.to_numpy(), strict=True) if n > 0}


def compare_discrete(real: pd.Series, synthetic: pd.Series) -> dict:
    """Frequencies of a categorical column, total-variation distance, coverage.

    After one ``value_counts`` per side the work is on plain dicts and arrays of the
    categories: pandas' index operations cost milliseconds per column.
    """
    counts_r, counts_s = _counts(real), _counts(synthetic)
    total_r, total_s = sum(counts_r.values()), sum(counts_s.values())
    figures: dict = {
        "real": {
            "count": total_r,
            "missing_rate": float(real.isna().mean()),
            "distinct": len(counts_r),
        },
        "synthetic": {
            "count": total_s,
            "missing_rate": float(synthetic.isna().mean()),
            "distinct": len(counts_s),
        },
    }
    if total_r == 0 or total_s == 0:
        return figures | {"tv_distance": math.nan, "tv_complement": math.nan}
    both = [*counts_r, *(v for v in counts_s if v not in counts_r)]
    p_r = np.array([counts_r.get(v, 0) for v in both], dtype=np.int64) / total_r
    p_s = np.array([counts_s.get(v, 0) for v in both], dtype=np.int64) / total_s
    tv = 0.5 * float(np.abs(p_r - p_s).sum())
    unseen = np.array([v not in counts_r for v in both], dtype=bool)
    # Most common real values first, ties in the order above (a stable sort).
    top = sorted(range(len(both)), key=lambda i: -p_r[i])[:MAX_CATEGORIES]
    figures.update(
        tv_distance=tv,
        tv_complement=1 - tv,
        coverage=sum(v in counts_s for v in counts_r) / len(counts_r),
        unseen_share=float(p_s[unseen].sum()),
        missing_rate_diff=figures["synthetic"]["missing_rate"] - figures["real"]["missing_rate"],
        frequencies=[
            {"value": str(both[i]), "real": float(p_r[i]), "synthetic": float(p_s[i])} for i in top
        ],
    )
    return figures


def compare_column(column: Column) -> dict:
    return compare_columns([column])[0]


def compare_columns(columns: Sequence[Column]) -> list[dict]:
    """The figures of each column: numeric ones all at once (:func:`compare_numeric_columns`),
    discrete ones one by one."""
    numeric = [c for c in columns if c.family != DISCRETE]
    found = iter(compare_numeric_columns([(c.real, c.synthetic) for c in numeric]))
    results = []
    for column in columns:
        if column.family == DISCRETE:
            results.append(
                {"kind": column.kind.value} | compare_discrete(column.real, column.synthetic)
            )
            continue
        figures = next(found)
        for side, count, values in zip(
            ("real", "synthetic"), column.infinite, (column.real, column.synthetic), strict=True
        ):
            # ±inf were set aside as missing: count them apart.
            figures[side]["infinite_rate"] = count / values.size
            figures[side]["missing_rate"] -= count / values.size
        results.append({"kind": column.kind.value} | figures)
    return results


# ---------------------------------------------------------------------------
# Pairs
