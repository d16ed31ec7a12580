"""Contingency figures of column pairs: SDMetrics' binning of numeric columns, the
ContingencySimilarity of a pair's joint frequencies, Cramér's V and the correlation
ratio, made for the sampled pairs of a wide table at once (:class:`PairSides`)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mixsynth.metrics.core import CONTINGENCY_BINS, DISCRETE, NUMERIC, Column
from mixsynth.semantics.inference import cramers_v

SIDES = ("real", "synthetic")


def stack_columns(columns: list[np.ndarray]) -> np.ndarray:
    """Columns side by side, each contiguous (Fortran order), as the blocks take them."""
    stacked = np.empty((len(columns[0]), len(columns)), order="F")
    for j, values in enumerate(columns):
        stacked[:, j] = values
    return stacked


def equal_width_bins(values: np.ndarray) -> np.ndarray:
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


#: Cells binned at once by :func:`bins_columns` (arrays of about 8 MB).
BIN_BATCH_CELLS = 2**20


def bins_columns(columns: list[np.ndarray]) -> list[np.ndarray]:
    """:func:`equal_width_bins` of each column, the same bins: where numpy's ``histogram_bin_edges``
    takes its ordinary path, the edges are made the way it makes them, for many columns
    at once, and each value's bin is the count of edges at or below it (``digitize``)
    by 11 comparisons instead of a binary search per value. Other columns (all missing,
    constant, a range beyond float64) go through :func:`equal_width_bins`."""
    size = max(1, BIN_BATCH_CELLS // max(len(columns[0]), 1))
    found: list[np.ndarray] = []
    for start in range(0, len(columns), size):
        found.extend(_bins_batch(columns[start : start + size]))
    return found


def _bins_batch(columns: list[np.ndarray]) -> list[np.ndarray]:
    x = stack_columns(columns)
    first, last = np.fmin.reduce(x, axis=0), np.fmax.reduce(x, axis=0)  # NaN: all missing
    flat = first == last
    first[flat], last[flat] = first[flat] - 0.5, last[flat] + 0.5
    with np.errstate(invalid="ignore", over="ignore"):
        step = (last - first) / CONTINGENCY_BINS
        edges = np.arange(CONTINGENCY_BINS + 1.0)[:, None] * step + first
        edges[-1] = last
        regular = (step != 0) & np.isfinite(edges).all(axis=0)
        regular &= (edges[:-1] < edges[1:]).all(axis=0)
    found: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(columns)
    for j in np.flatnonzero(~regular):
        found[j] = equal_width_bins(columns[j])
    picked = np.flatnonzero(regular)
    if picked.size:
        values = x if picked.size == len(columns) else np.asfortranarray(x[:, picked])
        bins = np.zeros(values.shape, dtype=np.int64, order="F")
        for edge in edges[:, picked]:
            bins += values >= edge
        bins[np.isnan(values)] = CONTINGENCY_BINS + 1  # as digitize: after every edge
        for k, j in enumerate(picked):
            found[j] = bins[:, k]
    return found


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


class PairSides:
    """Codes, bins and values of the columns in contingency pairs, made when first
    needed (a wide table's sampled pairs touch only some of its columns)."""

    def __init__(self, sampled: Callable) -> None:
        self.sampled = sampled
        self.made: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.ratios: dict[tuple[str, str], tuple[float, float]] = {}

    def prepare(self, pairs: list[tuple[Column, Column]]) -> None:
        """The bins of every numeric column in a contingency pair, all at once, and the
        correlation ratio of every numeric-categorical pair, each category against all
        its numeric partners at once (the same figures as one by one)."""
        from mixsynth.semantics.inference import eta_squared_columns

        contingency = [p for p in pairs if DISCRETE in (p[0].family, p[1].family)]
        binned = list({c.name: c for p in contingency for c in p if c.family == NUMERIC}.values())
        if binned:
            found = [bins_columns([getattr(c, side) for c in binned]) for side in SIDES]
            for column, real, synthetic in zip(binned, *found, strict=True):
                self.made["bins", column.name] = self.sampled((real, synthetic))
        partners: dict[str, tuple[Column, list[Column]]] = {}
        for first, second in contingency:
            if first.family != second.family:
                num, cat = (first, second) if first.family == NUMERIC else (second, first)
                partners.setdefault(cat.name, (cat, []))[1].append(num)
        for cat, nums in partners.values():
            codes = self.get("codes", cat)
            ratios = [
                eta_squared_columns(
                    stack_columns([self.get("values", num)[side] for num in nums]), codes[side]
                )
                for side in (0, 1)
            ]
            for num, real, synthetic in zip(nums, *ratios, strict=True):
                # eta^2 -> eta, as correlation_ratio: the values hold no infinity (align).
                self.ratios[num.name, cat.name] = (
                    math.sqrt(min(max(real, 0.0), 1.0)),
                    math.sqrt(min(max(synthetic, 0.0), 1.0)),
                )

    def get(self, what: str, column: Column) -> tuple[np.ndarray, np.ndarray]:
        key = (what, column.name)
        if key not in self.made:
            if what == "codes":
                pair = column.codes
            elif what == "bins":
                pair = (equal_width_bins(column.real), equal_width_bins(column.synthetic))
            else:
                pair = (column.real, column.synthetic)
            self.made[key] = self.sampled(pair)
        return self.made[key]
