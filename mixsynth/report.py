"""Rendering of a comparison report: terminal (rich), JSON, Markdown, self-contained HTML.

Rendering only: every number comes from the dict of :mod:`mixsynth.metrics`, so the
four outputs always agree. All text views share :func:`sections` (title, header, rows
of formatted strings); the HTML adds matplotlib plots embedded as base64 PNG. rich and
matplotlib are imported only when used, to keep the CLI's start-up fast.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Columns plotted as histograms / bar charts in the HTML report (the worst first).
MAX_PLOTTED_COLUMNS = 24
#: Columns listed in the terminal's "worst columns" table.
WORST_COLUMNS = 5


@dataclass(frozen=True)
class Section:
    """One table of the report, already formatted as text."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    summary: bool = False  #: part of the compact summary shown first in a terminal
    #: header names kept on a terminal, where width is scarce (None: all)
    terminal: tuple[str, ...] | None = None


def to_json(report: dict) -> str:
    """The report as JSON: exactly the library dict (``json.loads`` gives it back)."""
    return json.dumps(report, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def fmt(value: Any, digits: int = 3) -> str:
    """A number for people: fixed digits, scientific when tiny or huge, '-' when missing."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1e6 or abs(value) < 10 ** -(digits + 1):
            return f"{value:.{digits}g}"
        return f"{value:.{digits}f}"
    return str(value)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def column_score(figures: dict) -> float | None:
    """The column's shape score: KSComplement (numeric) or TVComplement (categorical)."""
    return figures.get("ks_complement", figures.get("tv_complement"))


def _worst_first(columns: dict) -> list[str]:
    return sorted(
        columns,
        key=lambda name: (column_score(columns[name]) is None, column_score(columns[name]) or 0),
    )


def sections(report: dict) -> list[Section]:
    """Every table of the report, summary tables first."""
    result = [_overview(report), _scores(report)]
    if report.get("generations"):
        result.append(_trajectory(report))
    result += [_worst(report), _privacy(report)]
    if report.get("utility"):
        result.append(_utility(report["utility"]))
    result += [_numeric(report), _categorical(report), _pairs(report), _schema(report)]
    return [s for s in result if s.rows]


def _overview(report: dict) -> Section:
    rows = [
        ["real rows", fmt(report["rows"]["real"])],
        ["synthetic rows", fmt(report["rows"]["synthetic"])],
        ["columns compared", fmt(len(report["columns"]))],
    ]
    weights = report.get("weights")
    if weights:
        rows += [
            ["weights", weights["label"]],
            ["rho per generation (theory)", fmt(weights["rho"], 5)],
            [
                "delta, kappa, novelty (theory)",
                ", ".join(fmt(weights[k], 4) for k in ("delta", "kappa", "novelty")),
            ],
            ["generations", fmt(len(report["generations"]))],
            ["seed", fmt(report.get("seed"))],
        ]
    return Section("Overview", ["", ""], rows, summary=True)


def _scores(report: dict) -> Section:
    scores = report["scores"]
    rows = [
        ["overall", fmt(scores["overall"]), "mean of column shapes and column pair trends"],
        ["column shapes", fmt(scores["column_shapes"]), "mean KSComplement / TVComplement"],
        [
            "column pair trends",
            fmt(scores["column_pair_trends"]),
            f"{scores['pairs_meeting_threshold']} of {scores['pairs']} pairs strongly related in real data",
        ],
        [
            "column pair trends, all pairs",
            fmt(scores["column_pair_trends_all"]),
            f"{scores['pairs']} pairs",
        ],
    ]
    return Section(
        "Scores (0-1, SDMetrics QualityReport definitions)",
        ["score", "value", "over"],
        rows,
        summary=True,
    )


def _trajectory(report: dict) -> Section:
    rows = []
    for entry in report["generations"]:
        ratios = [
            c["variance_ratio"]
            for c in entry["columns"].values()
            if c.get("variance_ratio") is not None
        ]
        rows.append(
            [
                str(entry["generation"]),
                fmt(entry["predicted_variance_ratio"], 4),
                fmt(_median(ratios), 4),
                fmt(min(ratios) if ratios else None, 4),
                fmt(max(ratios) if ratios else None, 4),
                fmt(entry["scores"]["overall"]),
                fmt(entry["pairs"].get("correlation_max_abs_diff")),
                fmt(entry["privacy"]["dcr_median"]),
            ]
        )
    return Section(
        "Generations (each against the real input)",
        [
            "gen",
            "rho^g (theory)",
            "variance ratio median",
            "min",
            "max",
            "overall",
            "corr max diff",
            "DCR median",
        ],
        rows,
        summary=True,
    )


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _worst(report: dict) -> Section:
    columns = report["columns"]
    rows = []
    for name in _worst_first(columns)[:WORST_COLUMNS]:
        c = columns[name]
        numeric = "ks_statistic" in c
        rows.append(
            [
                name,
                c["kind"],
                fmt(column_score(c)),
                "KSComplement" if numeric else "TVComplement",
                fmt(c.get("variance_ratio")),
                fmt(c.get("mean_diff_std")),
            ]
        )
    return Section(
        "Worst columns",
        ["column", "kind", "score", "metric", "variance ratio", "mean diff (real sd)"],
        rows,
        summary=True,
    )


def _privacy(report: dict) -> Section:
    p = report["privacy"]
    rows = [
        ["DCR median", fmt(p["dcr_median"]), fmt(p["holdout_dcr_median"])],
        ["DCR 5th percentile", fmt(p["dcr_p5"]), fmt(p["holdout_dcr_p5"])],
        [
            "exact copies of real rows",
            percent(p["exact_copy_share"]),
            percent(p["holdout_exact_copy_share"]),
        ],
    ]
    leaks = p.get("unique_value_leaks") or {}
    rows += [
        [f"rows carrying a unique real value of {name}", percent(share), ""]
        for name, share in sorted(leaks.items(), key=lambda item: -(item[1] or 0))
        if share
    ]
    if leaks and not any(leaks.values()):
        rows.append(["rows carrying a unique real value", "0% in every copied column", ""])
    note = (
        f"Distance to closest record among {p['reference_rows']} real rows (mean per-column distance, 0-1); "
        f"{p['synthetic_rows']} synthetic rows against {p['holdout_rows']} real holdout rows. "
        "Exact copies: every synthetic row, against every real row. A unique real value "
        "(an e-mail, a rare code) identifies a person: the share of synthetic rows that "
        "carry one, per column that is not mixed."
    )
    return Section(
        "Privacy (distance to closest record)",
        ["figure", "synthetic", "real holdout"],
        rows,
        note,
        summary=True,
    )


def _utility(utility: dict) -> Section:
    if "real" not in utility:
        return Section("Utility", ["", ""], [["note", utility.get("note", "")]], summary=True)
    rows = [
        [
            name,
            fmt(utility["real"][name]),
            fmt(utility["synthetic"][name]),
            fmt(utility["ratio"][name]),
        ]
        for name in utility["real"]
    ]
    note = (
        f"Target {utility['target']!r} ({utility['task']}); {utility['train_rows']} training rows, "
        f"tested on {utility['test_rows']} real holdout rows."
    )
    return Section(
        "Utility (train on real vs synthetic, test on real)",
        ["metric", "train real", "train synthetic", "ratio"],
        rows,
        note,
        summary=True,
    )


def _numeric(report: dict) -> Section:
    rows = []
    for name, c in report["columns"].items():
        if "ks_statistic" not in c:
            continue
        r, s = c["real"], c["synthetic"]
        row = [
            name,
            fmt(r.get("mean")),
            fmt(s.get("mean")),
            fmt(c.get("mean_diff_std")),
            fmt(c.get("variance_ratio")),
        ]
        if "predicted_variance_ratio" in c:
            row.append(fmt(c["predicted_variance_ratio"]))
        row += [
            fmt(r.get("skew")),
            fmt(s.get("skew")),
            fmt(r.get("kurtosis")),
            fmt(s.get("kurtosis")),
            fmt(c["ks_statistic"]),
            fmt(c.get("wasserstein")),
            percent(c.get("out_of_range_share")),
            percent(r["missing_rate"]) + " / " + percent(s["missing_rate"]),
        ]
        rows.append(row)
    header = ["column", "mean r", "mean s", "mean diff/sd", "var ratio"]
    if rows and any("predicted_variance_ratio" in c for c in report["columns"].values()):
        header.append("rho^g")
    header += [
        "skew r",
        "skew s",
        "kurt r",
        "kurt s",
        "KS",
        "W1/sd",
        "out of range",
        "missing r / s",
    ]
    note = (
        "r = real, s = synthetic. var ratio = Var(s) / Var(r) (rho^g: the theory's prediction). "
        "kurt = excess kurtosis. W1/sd = Wasserstein distance / real sd. "
        "out of range = synthetic values outside the real [min, max]. Datetimes in epoch seconds."
    )
    terminal = (
        "column",
        "mean diff/sd",
        "var ratio",
        "rho^g",
        "KS",
        "W1/sd",
        "out of range",
        "missing r / s",
    )
    return Section("Numeric columns", header, rows, note, terminal=terminal)


def _categorical(report: dict) -> Section:
    rows = []
    for name, c in report["columns"].items():
        if "tv_distance" not in c:
            continue
        rows.append(
            [
                name,
                c["kind"],
                fmt(c["real"]["distinct"]),
                fmt(c["tv_distance"]),
                percent(c.get("coverage")),
                percent(c.get("unseen_share")),
                percent(c["real"]["missing_rate"])
                + " / "
                + percent(c["synthetic"]["missing_rate"]),
            ]
        )
    return Section(
        "Categorical columns",
        [
            "column",
            "kind",
            "categories",
            "TV distance",
            "coverage",
            "unseen",
            "missing r / s",
        ],
        rows,
        "Coverage: real categories present in the synthetic data. Unseen: synthetic values no real row has.",
        terminal=("column", "categories", "TV distance", "coverage", "unseen", "missing r / s"),
    )


def _pairs(report: dict) -> Section:
    pairs = report["pairs"]
    rows = [
        ["correlation, max |difference|", fmt(pairs.get("correlation_max_abs_diff"))],
        ["correlation, mean |difference|", fmt(pairs.get("correlation_mean_abs_diff"))],
        ["covariance norm ratio (synth / real)", fmt(pairs.get("covariance_norm_ratio"))],
        ["covariance log-determinant ratio", fmt(pairs.get("covariance_log_det_ratio"))],
    ]
    contingency = [
        p["score"]
        for p in pairs["details"]
        if p["metric"] == "ContingencySimilarity" and p["score"] is not None
    ]
    if contingency:
        rows.append(["contingency similarity, mean", fmt(sum(contingency) / len(contingency))])
        rows.append(["contingency similarity, min", fmt(min(contingency))])
    eta = [
        abs(p["correlation_ratio_synthetic"] - p["correlation_ratio_real"])
        for p in pairs["details"]
        if p.get("correlation_ratio_real") is not None
        and p.get("correlation_ratio_synthetic") is not None
    ]
    if eta:
        rows.append(["correlation ratio (eta), max |difference|", fmt(max(eta))])
    return Section("Pairs of columns", ["figure", "value"], [r for r in rows if r[1] != "-"])


def _schema(report: dict) -> Section:
    schema = report["schema"]
    rows = [[name, "only in the real table", ""] for name in schema["only_in_real"]]
    rows += [[name, "only in the synthetic table", ""] for name in schema["only_in_synthetic"]]
    rows += [
        [e["column"], "not compared: kinds differ", f"{e['real']} / {e['synthetic']}"]
        for e in schema["incompatible"]
    ]
    rows += [
        [e["column"], "compared: dtypes differ", f"{e['real']} / {e['synthetic']}"]
        for e in schema["dtype_differences"]
    ]
    return Section("Schema differences", ["column", "difference", "dtype real / synthetic"], rows)


# ---------------------------------------------------------------------------
# Markdown


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: dict, title: str = "mixsynth report") -> str:
    """Markdown tables that paste into a pull request."""
    lines = [f"# {title}", ""]
    for section in sections(report):
        lines += [f"## {section.title}", ""]
        header = [h or " " for h in section.header]
        lines.append("| " + " | ".join(map(_markdown_cell, header)) + " |")
        lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
        lines += ["| " + " | ".join(map(_markdown_cell, row)) + " |" for row in section.rows]
        if section.note:
            lines += ["", section.note]
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Terminal


def render_terminal(report: dict, console: Any = None, title: str = "mixsynth compare") -> None:
    """The compact summary first (scores, trajectory, worst columns, privacy), then details.

    rich drops colour and styles by itself when the console is not a terminal.
    """
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    console.print(f"[bold]{escape(title)}[/bold]")
    all_sections = sections(report)
    for section in [s for s in all_sections if s.summary] + [
        s for s in all_sections if not s.summary
    ]:
        show_header = any(section.header)
        table = Table(
            title=escape(section.title),
            title_justify="left",
            show_header=show_header,
            caption=escape(section.note) if section.note else None,
            caption_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        keep = [
            i
            for i, name in enumerate(section.header)
            if section.terminal is None or name in section.terminal
        ]
        for i in keep:
            numeric = i > 0 and all(_looks_numeric(row[i]) for row in section.rows)
            widest = max((len(row[i]) for row in section.rows), default=1)
            table.add_column(
                escape(section.header[i]),
                justify="right" if numeric else "left",
                min_width=widest if numeric else min(widest, 18),
                overflow="fold",
            )
        for row in section.rows:
            table.add_row(*(escape(row[i]) for i in keep))
        console.print(table)


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace("%", "").replace(" / ", "").replace("-", "0", 1) or "0")
    except ValueError:
        return text == "-"
    return True


# ---------------------------------------------------------------------------
# HTML


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1150px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.85rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child, .text { text-align: left; }
th { background: #f4f4f4; }
p.note { color: #666; font-size: 0.8rem; max-width: 60rem; }
img { max-width: 100%; }
"""


def _figure_uri(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_columns(report: dict) -> str | None:
    """Real vs synthetic histograms (numeric) and bar charts (categorical), worst first."""
    columns = report["columns"]
    names = [
        n
        for n in _worst_first(columns)
        if columns[n].get("histogram") or columns[n].get("frequencies")
    ]
    names = names[:MAX_PLOTTED_COLUMNS]
    if not names:
        return None
    plt = _pyplot()
    per_row = 4
    rows = math.ceil(len(names) / per_row)
    figure, axes = plt.subplots(rows, per_row, figsize=(3.2 * per_row, 2.5 * rows), squeeze=False)
    for axis in axes.flat[len(names) :]:
        axis.set_visible(False)
    for axis, name in zip(axes.flat, names, strict=False):
        c = columns[name]
        if c.get("histogram"):
            h = c["histogram"]
            edges = h["edges"]
            widths = [b - a for a, b in itertools.pairwise(edges)]
            for side, color in (("real", "#1f77b4"), ("synthetic", "#ff7f0e")):
                axis.bar(
                    edges[:-1],
                    h[side],
                    width=widths,
                    align="edge",
                    alpha=0.5,
                    label=side,
                    color=color,
                )
            subtitle = (
                f"KS {fmt(c['ks_statistic'], 2)}, var ratio {fmt(c.get('variance_ratio'), 2)}"
            )
        else:
            freq = c["frequencies"][:10]
            labels = [f["value"][:12] for f in freq]
            positions = range(len(freq))
            axis.bar(
                [p - 0.2 for p in positions],
                [f["real"] for f in freq],
                width=0.4,
                label="real",
                color="#1f77b4",
            )
            axis.bar(
                [p + 0.2 for p in positions],
                [f["synthetic"] for f in freq],
                width=0.4,
                label="synthetic",
                color="#ff7f0e",
            )
            axis.set_xticks(list(positions), labels, rotation=45, ha="right", fontsize=7)
            subtitle = f"TV {fmt(c['tv_distance'], 2)}"
        axis.set_title(f"{name[:28]}\n{subtitle}", fontsize=8)
        axis.tick_params(labelsize=7)
        axis.set_yticks([])
    axes.flat[0].legend(fontsize=7)
    figure.tight_layout()
    return _figure_uri(figure)


def plot_correlation_difference(report: dict) -> str | None:
    """Heatmap of synthetic minus real Pearson correlations."""
    correlation = report["pairs"].get("correlation")
    if not correlation or len(correlation["columns"]) < 2:
        return None
    plt = _pyplot()
    names = correlation["columns"]
    diff = [[math.nan if v is None else v for v in row] for row in correlation["difference"]]
    limit = max([abs(v) for row in diff for v in row if not math.isnan(v)] + [0.05])
    size = min(max(4.0, 0.35 * len(names) + 2), 14)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(diff, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axis.set_xticks(range(len(names)), [n[:20] for n in names], rotation=90, fontsize=7)
    axis.set_yticks(range(len(names)), [n[:20] for n in names], fontsize=7)
    axis.set_title("Correlation difference (synthetic - real)", fontsize=10)
    figure.colorbar(image, ax=axis, shrink=0.8)
    figure.tight_layout()
    return _figure_uri(figure)


def plot_generations(report: dict) -> str | None:
    """Variance ratio per generation and column, the median, and the theory rho^g dashed."""
    generations = report.get("generations")
    if not generations:
        return None
    plt = _pyplot()
    index = [e["generation"] for e in generations]
    names = [n for n, c in generations[0]["columns"].items() if "variance_ratio" in c]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    for name in names:
        ratios = [e["columns"].get(name, {}).get("variance_ratio") for e in generations]
        ratios = [math.nan if r is None or r <= 0 else r for r in ratios]
        left.plot(index, ratios, color="#999", linewidth=0.8, alpha=0.7)
    medians = [
        _median([c["variance_ratio"] for c in e["columns"].values() if c.get("variance_ratio")])
        for e in generations
    ]
    left.plot(
        index,
        [math.nan if m is None else m for m in medians],
        color="#1f77b4",
        linewidth=2,
        marker="o",
        label="measured (median over columns)",
    )
    left.plot(
        index,
        [e["predicted_variance_ratio"] for e in generations],
        "k--",
        linewidth=1.5,
        label="theory rho^g",
    )
    left.plot([], [], color="#999", linewidth=0.8, label="each numeric column")
    left.set_yscale("log")
    left.set_xlabel("generation")
    left.set_ylabel("variance ratio, synthetic / real")
    left.set_title("Variance ratio per generation (log scale)", fontsize=10)
    left.legend(fontsize=8)
    for key, label in (
        ("overall", "overall"),
        ("column_shapes", "column shapes"),
        ("column_pair_trends", "column pair trends"),
    ):
        values = [e["scores"].get(key) for e in generations]
        right.plot(index, [math.nan if v is None else v for v in values], marker="o", label=label)
    right.set_ylim(0, 1.02)
    right.set_xlabel("generation")
    right.set_title("Quality scores per generation (against the real input)", fontsize=10)
    right.legend(fontsize=8)
    figure.tight_layout()
    return _figure_uri(figure)


def _html_table(section: Section) -> str:
    numeric = [
        i > 0 and all(_looks_numeric(row[i]) for row in section.rows)
        for i in range(len(section.header))
    ]
    align = ["" if n else ' class="text"' for n in numeric]
    head = "".join(
        f"<th{a}>{html.escape(h)}</th>" for h, a in zip(section.header, align, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{a}>{html.escape(v)}</td>" for v, a in zip(row, align, strict=True))
        + "</tr>"
        for row in section.rows
    )
    note = f'<p class="note">{html.escape(section.note)}</p>' if section.note else ""
    return (
        f"<h2>{html.escape(section.title)}</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"
    )


def to_html(report: dict, title: str = "mixsynth report") -> str:
    """One self-contained HTML file: tables and inline PNG plots, no network access."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    plots = {
        "Generations": plot_generations(report),
        "Columns: real vs synthetic": plot_columns(report),
        "Correlations": plot_correlation_difference(report),
    }
    all_sections = sections(report)
    summary = [s for s in all_sections if s.summary]
    parts += [_html_table(s) for s in summary]
    for heading, uri in plots.items():
        if uri:
            parts.append(
                f'<h2>{html.escape(heading)}</h2><img alt="{html.escape(heading)}" src="{uri}">'
            )
    parts += [_html_table(s) for s in all_sections if not s.summary]
    parts.append(
        '<p class="note">Scores follow SDMetrics\' QualityReport definitions; '
        "every figure is in the JSON report (mixsynth compare --json).</p></body></html>"
    )
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------
# Files


def render(report: dict, kind: str, title: str = "mixsynth report") -> str:
    """The report as text of one kind: json, markdown or html."""
    if kind == "json":
        return to_json(report)
    if kind == "markdown":
        return to_markdown(report, title)
    return to_html(report, title)


def write_report(report: dict, dest: str, kind: str, title: str = "mixsynth report") -> None:
    """Write atomically (``-`` = stdout): a failed render never leaves a partial file."""
    import sys

    from mixsynth.io import atomic_path

    text = render(report, kind, title)
    if dest == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with atomic_path(dest) as temporary:
        Path(temporary).write_text(text, encoding="utf-8")


def check_report_output(dest: str, force: bool, inputs: tuple[str, ...] = ()) -> str:
    """The kind of report a path asks for, after refusing a bad suffix or an existing file."""
    from mixsynth.errors import MixsynthError
    from mixsynth.io import check_output

    kind = kind_from_suffix(dest)
    if kind is None:
        raise MixsynthError(
            f"cannot tell the report format of {dest!r} from its suffix",
            "name it .json, .md or .html (- writes JSON to stdout)",
        )
    check_output(dest, force, inputs)
    return kind


def kind_from_suffix(path: str) -> str | None:
    """json / markdown / html from a report file name (``-`` is JSON)."""
    if path == "-":
        return "json"
    return {
        ".json": "json",
        ".md": "markdown",
        ".markdown": "markdown",
        ".html": "html",
        ".htm": "html",
    }.get(Path(path).suffix.lower())
