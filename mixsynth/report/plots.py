"""The report's plots (matplotlib), each a small figure of its own so that a page can
lay them out for any screen, and ``mixsynth plot`` for one column.

Plots read the figures of :mod:`mixsynth.metrics` (already in the report), except the
pair scatter plots, which need the rows. matplotlib is imported only here, lazily.
"""

from __future__ import annotations

import base64
import io
import itertools
import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

REAL, SYNTHETIC, OUTSIDE = "#1f77b4", "#ff7f0e", "#d62728"
#: Colour scale of the correlation-difference heatmap: fixed, so pages compare.
CORRELATION_SCALE = 0.5
#: Up to this many columns, the heatmap prints each difference in its cell.
NUMBERED_CELLS = 12
#: Points per side in a pair scatter plot (drawn at random, seeded).
SCATTER_POINTS = 2000
#: The variance plot's y-axis spans at least [1/2, 2]: ratios of 0.995 and 1.002 on an
#: axis fitted to them would look as far apart as a halved and a doubled variance.
VARIANCE_WINDOW = 2.0
#: Columns are named at their line's end only when their last ratio is this far from 1
#: (10%): names of columns that kept their variance would only crowd the median's dot.
NAMED_RATIO_CHANGE = 0.1


def pyplot() -> Any:
    """pyplot on the Agg backend, whatever MPLBACKEND says: the plots are PNG bytes,
    and matplotlib refuses to import at all when MPLBACKEND names no backend."""
    if "matplotlib" not in sys.modules:
        backend = os.environ.pop("MPLBACKEND", None)
        try:
            import matplotlib
        finally:
            if backend is not None:
                os.environ["MPLBACKEND"] = backend
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png_bytes(figure: Figure, dpi: int = 100) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(figure)
    return buffer.getvalue()


def data_uri(figure: Figure) -> str:
    return "data:image/png;base64," + base64.b64encode(_png_bytes(figure)).decode("ascii")


def _few_ticks(axis: Axes) -> None:
    """At most five plain tick labels on the x axis: never overlapping, no offset."""
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    axis.xaxis.set_major_locator(MaxNLocator(nbins=4))
    formatter = ScalarFormatter(useOffset=False)
    formatter.set_scientific(True)
    formatter.set_powerlimits((-4, 6))
    axis.xaxis.set_major_formatter(formatter)


def column_figure(name: str, figures: dict) -> Figure:
    """Real against synthetic for one column: bars per value (categories, few whole
    numbers), else a histogram over the real range with what lies outside it apart."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(4.2, 2.9))
    histogram = figures.get("histogram") or {}
    if "values" in histogram:
        _value_bars(axis, histogram)
        subtitle = (
            f"KS {_g(figures.get('ks_statistic'))}, var ratio {_g(figures.get('variance_ratio'))}"
        )
    elif "edges" in histogram:
        _histogram(axis, histogram)
        subtitle = (
            f"KS {_g(figures.get('ks_statistic'))}, var ratio {_g(figures.get('variance_ratio'))}"
        )
    else:
        _category_bars(axis, figures.get("frequencies") or [])
        subtitle = f"TV distance {_g(figures.get('tv_distance'))}"
    axis.set_title(f"{name}\n{subtitle}", fontsize=9)
    axis.tick_params(labelsize=8)
    (axis.set_ylabel if histogram else axis.set_xlabel)("share", fontsize=8)
    axis.legend(fontsize=7, frameon=False)
    figure.tight_layout()
    return figure


def _g(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _histogram(axis: Axes, h: dict) -> None:
    edges = h["edges"]
    widths = [b - a for a, b in itertools.pairwise(edges)]
    for side, color in (("real", REAL), ("synthetic", SYNTHETIC)):
        axis.bar(
            edges[:-1], h[side], width=widths, align="edge", alpha=0.5, color=color, label=side
        )
    span = edges[-1] - edges[0]
    for key, x in (("below", edges[0] - 0.06 * span), ("above", edges[-1] + 0.03 * span)):
        share = h.get(f"synthetic_{key}", 0)
        if share:
            axis.bar(x, share, width=0.03 * span, align="edge", color=OUTSIDE, hatch="//")
            axis.annotate(
                f"{100 * share:.1f}% {key}\nreal range",
                (x + 0.015 * span, share),
                ha="center",
                va="bottom",
                fontsize=6,
                color=OUTSIDE,
            )
    if h.get("synthetic_below") or h.get("synthetic_above"):
        axis.bar([edges[0]], [0], width=0, color=OUTSIDE, hatch="//",
                 label="synthetic, outside real range")  # fmt: skip
    axis.margins(y=0.2)
    _few_ticks(axis)


def _value_bars(axis: Axes, h: dict) -> None:
    values = h["values"]
    positions = range(len(values))
    axis.bar([p - 0.2 for p in positions], h["real"], width=0.4, color=REAL, label="real")
    axis.bar(
        [p + 0.2 for p in positions], h["synthetic"], width=0.4, color=SYNTHETIC, label="synthetic"
    )
    labels = [f"{v:.0f}" for v in values]
    step = max(1, math.ceil(len(values) / 8))  # at most eight labels: they never overlap
    axis.set_xticks(list(positions)[::step], labels[::step])


def _category_bars(axis: Axes, frequencies: Sequence[dict]) -> None:
    """Horizontal bars: category names stay whole and readable, however long."""
    shown = list(frequencies[:10])[::-1]
    positions = range(len(shown))
    axis.barh([p + 0.2 for p in positions], [f["real"] for f in shown], height=0.4,
              color=REAL, label="real")  # fmt: skip
    axis.barh([p - 0.2 for p in positions], [f["synthetic"] for f in shown], height=0.4,
              color=SYNTHETIC, label="synthetic")  # fmt: skip
    axis.set_yticks(list(positions), [f["value"] for f in shown])
    from matplotlib.ticker import MaxNLocator

    axis.xaxis.set_major_locator(MaxNLocator(nbins=4))


def correlation_figure(report: dict) -> Figure | None:
    """Synthetic minus real Pearson correlations on a fixed scale of ±0.5 (beyond it the
    end colours), with the numbers in the cells when the matrix is small."""
    correlation = report["pairs"].get("correlation")
    if not correlation or len(correlation["columns"]) < 2:
        return None
    plt = pyplot()
    names = correlation["columns"]
    diff = [[math.nan if v is None else v for v in row] for row in correlation["difference"]]
    size = min(max(4.0, 0.45 * len(names) + 2.5), 14)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(diff, cmap="RdBu_r", vmin=-CORRELATION_SCALE, vmax=CORRELATION_SCALE)
    axis.set_xticks(range(len(names)), names, rotation=90, fontsize=8)
    axis.set_yticks(range(len(names)), names, fontsize=8)
    if len(names) <= NUMBERED_CELLS:
        for i, j in itertools.product(range(len(names)), repeat=2):
            if not math.isnan(diff[i][j]):
                dark = abs(diff[i][j]) > 0.6 * CORRELATION_SCALE
                axis.text(j, i, f"{diff[i][j]:+.2f}", ha="center", va="center", fontsize=7,
                          color="white" if dark else "black")  # fmt: skip
    axis.set_title(
        f"Correlation difference, synthetic - real\n(colour scale fixed at ±{CORRELATION_SCALE:g})",
        fontsize=10,
    )
    bar = figure.colorbar(image, ax=axis, shrink=0.8, extend="both")
    bar.set_label("difference of Pearson r")
    figure.tight_layout()
    return figure


def _median(values: Sequence[float]) -> float | None:
    import statistics

    return statistics.median(values) if values else None


def variance_figure(report: dict) -> Figure | None:
    """Variance ratio per generation (log scale, plain tick labels), every column in grey,
    the columns that moved most named at their line's end, the median and theory."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    generations = report.get("generations")
    if not generations:
        return None
    plt = pyplot()
    index = [e["generation"] for e in generations]
    names = [n for n, c in generations[0]["columns"].items() if "variance_ratio" in c]
    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    series = {}
    for name in names:
        ratios = [e["columns"].get(name, {}).get("variance_ratio") for e in generations]
        series[name] = [math.nan if r is None or r <= 0 else r for r in ratios]
        axis.plot(index, series[name], color="#999", linewidth=0.8, alpha=0.7, marker=".",
                  markersize=3)  # fmt: skip
    moved = sorted(
        (
            n
            for n in names
            if not math.isnan(series[n][-1]) and abs(series[n][-1] - 1) > NAMED_RATIO_CHANGE
        ),
        key=lambda n: -abs(math.log(series[n][-1])),
    )[:5]
    for name in moved:
        axis.annotate(name, (index[-1], series[name][-1]), xytext=(4, 0),
                      textcoords="offset points", fontsize=7, va="center", color="#555")  # fmt: skip
    medians = [
        _median([c["variance_ratio"] for c in e["columns"].values() if c.get("variance_ratio")])
        for e in generations
    ]
    axis.plot(index, [math.nan if m is None else m for m in medians], color=REAL, linewidth=2,
              marker="o", label="measured, median over columns")  # fmt: skip
    predicted = [e["predicted_variance_ratio"] for e in generations]
    axis.plot(index, predicted, "k--", linewidth=1.5, label="theory rho^g")
    axis.plot([], [], color="#999", linewidth=0.8, label="each numeric column")
    axis.set_yscale("log")
    drawn = [*itertools.chain(*series.values()), *medians, *predicted]
    shown = [r for r in drawn if r is not None and not math.isnan(r) and r > 0]
    axis.set_ylim(
        min([1 / VARIANCE_WINDOW, *(r / 1.15 for r in shown)]),
        max([VARIANCE_WINDOW, *(r * 1.15 for r in shown)]),
    )
    axis.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    axis.yaxis.set_minor_formatter(FuncFormatter(lambda y, _: ""))
    axis.set_xticks(index if len(index) <= 12 else index[:: math.ceil(len(index) / 12)])
    axis.set_xlim(index[0] - 0.3, index[-1] + max(1.0, 0.25 * (index[-1] - index[0])))
    axis.set_xlabel("generation")
    axis.set_ylabel("variance ratio, synthetic / real")
    axis.set_title("Variance ratio per generation (log scale)", fontsize=10)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def scores_figure(report: dict) -> Figure | None:
    generations = report.get("generations")
    if not generations:
        return None
    plt = pyplot()
    index = [e["generation"] for e in generations]
    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    for key, label in (
        ("overall", "overall"),
        ("column_shapes", "column shapes"),
        ("column_pair_trends", "column pair trends"),
    ):
        values = [e["scores"].get(key) for e in generations]
        axis.plot(index, [math.nan if v is None else v for v in values], marker="o", label=label)
    axis.set_ylim(0, 1.02)
    axis.set_xticks(index if len(index) <= 12 else index[:: math.ceil(len(index) / 12)])
    axis.set_xlabel("generation")
    axis.set_title("Quality scores per generation (against the real input)", fontsize=10)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def strongest_pairs(report: dict, count: int = 4) -> list[dict]:
    """The numeric pairs with the largest real |correlation|."""
    pairs = [
        p
        for p in report["pairs"]["details"]
        if p.get("real_correlation") is not None and p.get("synthetic_correlation") is not None
    ]
    return sorted(pairs, key=lambda p: -abs(p["real_correlation"]))[:count]


def pair_figure(pair: dict, real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0) -> Figure:
    """Real and synthetic rows of two numeric columns, side by side on the same axes."""
    import numpy as np

    from mixsynth.metrics import numeric_values

    plt = pyplot()
    first, second = pair["columns"]
    figure, axes = plt.subplots(1, 2, figsize=(6.4, 3.0), sharex=True, sharey=True)
    rng = np.random.default_rng(seed)
    for axis, frame, color, side in ((axes[0], real, REAL, "real"),
                                     (axes[1], synthetic, SYNTHETIC, "synthetic")):  # fmt: skip
        x, y = numeric_values(frame[first]), numeric_values(frame[second])
        keep = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        if keep.size > SCATTER_POINTS:
            keep = rng.choice(keep, SCATTER_POINTS, replace=False)
        axis.scatter(x[keep], y[keep], s=4, alpha=0.5, color=color)
        r = pair["real_correlation" if side == "real" else "synthetic_correlation"]
        axis.set_title(f"{side}: r = {r:.2f}", fontsize=9)
        axis.set_xlabel(first, fontsize=8)
        axis.tick_params(labelsize=7)
        _few_ticks(axis)
    axes[0].set_ylabel(second, fontsize=8)
    figure.tight_layout()
    return figure


def plot_column(
    real: pd.DataFrame, synthetic: pd.DataFrame, column: str, categorical: Sequence[str] = ()
) -> bytes:
    """``mixsynth plot``: the PNG of one column, real against synthetic."""
    from mixsynth.errors import OptionError, column_hint
    from mixsynth.metrics import align, clean, compare_column

    names = [str(c) for c in real.columns]
    if column not in names:
        raise OptionError(
            f"--column {column!r} is not in the real table", column_hint(column, names)
        )
    same = synthetic.loc[:, synthetic.columns.astype(str) == column]
    found, _ = align(real[[column]], same, [c for c in categorical if c == column])
    return _png_bytes(column_figure(column, clean(compare_column(found[0]))))
