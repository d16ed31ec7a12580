"""Rendering of a comparison report: terminal (rich), JSON, Markdown, self-contained HTML.

Rendering only: every number comes from the dict of :mod:`mixsynth.metrics`, so the
four outputs always agree. All text views share :func:`sections` (title, header, rows
of formatted strings); the HTML adds matplotlib plots embedded as base64 PNG. rich and
matplotlib are imported only when used, to keep the CLI's start-up fast.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixsynth.verdict import median

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
    """Every table of the report, the verdict first, then the summary tables."""
    if "verdict" not in report:  # a library user's dict: judged by the default rules
        from mixsynth.verdict import judge

        report = judge(report)
    result = [_verdict(report), _overview(report), _scores(report)]
    if report.get("generations"):
        result.append(_trajectory(report))
    result += [_worst(report), _privacy(report)]
    if report.get("utility"):
        result.append(_utility(report["utility"]))
    result.append(_suggestions(report))
    result += [
        _numeric(report),
        _categorical(report),
        _pairs(report),
        _schema(report),
        _checks(report),
        _provenance(report),
    ]
    return [s for s in result if s.rows]


def _verdict(report: dict) -> Section:
    from mixsynth.verdict import AREA_TITLES

    verdict = report["verdict"]
    rows = [
        [AREA_TITLES[area], found["status"], found["rule"]]
        for area, found in verdict["areas"].items()
    ]
    return Section(
        f"Verdict: {verdict['status']}",
        ["area", "verdict", "rule that decided it"],
        rows,
        "Default rules and how to change them: docs/report.md; every check is listed "
        "under 'Checks'.",
        summary=True,
    )


def _checks(report: dict) -> Section:
    rows = [
        [
            c["name"],
            c["area"],
            fmt(c["value"], 4),
            fmt(c["limit"], 4),
            fmt(c["warn_limit"], 4),
            c["status"],
            c["source"],
        ]
        for c in report["checks"]
    ]
    return Section(
        "Checks",
        ["check", "area", "value", "fail limit", "warn limit", "status", "set by"],
        rows,
        "max_* limits are maxima, min_* minima. Only limits you set (an option or "
        "--config) change the exit status.",
    )


def _provenance(report: dict) -> Section:
    found = report.get("provenance")
    if not found:
        return Section("Provenance", ["", ""], [])
    rows = [
        ["mixsynth version", found["mixsynth_version"]],
        ["created (UTC)", found["created_utc"]],
    ]
    rows += [
        [f"{role} input", f"{entry['path']} (sha256 {entry['sha256'] or 'not available'})"]
        for role, entry in found["inputs"].items()
    ]
    return Section("Provenance", ["", ""], rows)


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
                fmt(median(ratios), 4),
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


def _suggestions(report: dict) -> Section:
    """--by columns worth giving: each explains a mixed column strongly (docs/semantics.md)."""
    rows = [
        [
            f"--by {hint['by']}",
            f"explains {percent(hint['eta_squared'])} of the variance of {hint['explains']}; "
            f"{hint['groups']} groups of at least {hint['smallest_group']} rows",
        ]
        for hint in report.get("suggestions") or []
    ]
    note = (
        "Mixing inside the groups of such a column keeps its link with the numbers, which "
        "copying it from donor rows shrinks by kappa per generation."
    )
    return Section("Suggestions", ["option", "why"], rows, note, summary=True)


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
        numeric = [
            i > 0 and all(_looks_numeric(row[i]) for row in section.rows)
            for i in range(len(header))
        ]
        lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
        lines += ["| " + " | ".join(map(_markdown_cell, row)) + " |" for row in section.rows]
        if section.note:
            lines += ["", section.note]
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Terminal


def render_terminal(report: dict, console: Any = None, title: str = "mixsynth compare") -> None:
    """The verdict and the compact summary first, then the details; nothing is ever cut.

    On a terminal, a table wider than the screen wraps its last column, or folds each
    row into ``label: value`` lines; piped, lines have no width limit (and no trailing
    spaces), so they can be grepped. rich drops styles when not on a terminal.
    """
    from rich.console import Console

    console = console or Console()
    width = console.width if console.is_terminal else None
    all_sections = sections(report)
    ordered = [s for s in all_sections if s.summary] + [s for s in all_sections if not s.summary]
    print_lines(console, wrap(title, width), style="bold")
    for section in ordered:
        print_lines(console, ["", *wrap(section.title, width)], style="bold")
        print_lines(console, text_table(section.header, section.rows, width))
        if section.note:
            print_lines(console, wrap(section.note, width))


def print_lines(console: Any, lines: Sequence[str], style: str | None = None) -> None:
    """Plain lines, never re-wrapped or cropped by rich (soft wrap), styled on a terminal."""
    for line in lines:
        console.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


def wrap(text: str, width: int | None, indent: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` (None: one line); long words are broken, not cut."""
    if width is None:
        return [indent + text]
    import textwrap

    lines = textwrap.wrap(
        text,
        max(width, len(indent) + 10),
        initial_indent=indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
    )
    return lines or [indent]


#: Space between table columns on a terminal.
GAP = "  "


def text_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], width: int | None
) -> list[str]:
    """A plain-text table that fits ``width`` (None: unlimited) without losing a character.

    Whole when it fits; else with its last column wrapped, when that leaves it at
    least 24 characters; else each row folded into ``header: value`` lines.
    """
    count = len(header)
    widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(count)]
    numeric = [i > 0 and all(_looks_numeric(row[i]) for row in rows) for i in range(count)]
    shown_header = any(header)
    total = sum(widths) + len(GAP) * (count - 1)
    if width is None or total <= width:
        return _aligned(header if shown_header else None, rows, widths, numeric)
    before = sum(widths[:-1]) + len(GAP) * (count - 1)
    if count > 1 and width - before >= 24:
        widths[-1] = width - before
        return _aligned(header if shown_header else None, rows, widths, numeric)
    return _folded(header, rows, width)


def _aligned(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    widths: list[int],
    numeric: list[bool],
) -> list[str]:
    import textwrap

    lines = []
    for row in ([header, ["-" * w for w in widths]] if header is not None else []) + list(rows):
        last = row[-1]
        tail = textwrap.wrap(last, widths[-1], break_on_hyphens=False) if last else [""]
        cells = [
            cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i])
            for i, cell in enumerate(row[:-1])
        ]
        if numeric[-1] and len(tail) == 1:
            tail = [tail[0].rjust(widths[-1])]
        lines.append(GAP.join([*cells, tail[0]]).rstrip())
        offset = sum(widths[:-1]) + len(GAP) * (len(widths) - 1)
        lines += [(" " * offset + more).rstrip() for more in tail[1:]]
    return lines


def _folded(header: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """Each row as its first cell, then ``header: value`` lines, indented."""
    lines = []
    for row in rows:
        if not header[0] and len(row) == 2:  # a label: value table already
            lines += wrap(f"{row[0]}: {row[1]}", width)
            continue
        lines += wrap(row[0], width)
        for name, cell in zip(header[1:], row[1:], strict=True):
            if len(cell) <= width // 2:  # short values stay on one line: '5.0% / 6.0%'
                cell = cell.replace(" ", NBSP)
            text = f"{name}: {cell}" if name else cell
            lines += [line.replace(NBSP, " ") for line in wrap(text, width, "  ")]
    return lines


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace("%", "").replace(" / ", "").replace("-", "0", 1) or "0")
    except ValueError:
        return text == "-"
    return True


#: Holds a short value's words together while wrapping (textwrap breaks only at ASCII space).
NBSP = "\u00a0"


# ---------------------------------------------------------------------------
# HTML


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto;
       max-width: 1300px; color: #222; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.85rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child, .text { text-align: left; }
th { background: #f4f4f4; }
p.note { color: #555; font-size: 0.8rem; max-width: 60rem; }
img { max-width: 100%; height: auto; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 0.8rem; }
.plots.wide { grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); }
figure { margin: 0; }
.verdict { border-radius: 6px; padding: 0.6rem 1rem; margin: 1rem 0; border: 2px solid; }
.verdict h2 { margin-top: 0.2rem; border: none; }
.verdict ul { padding-left: 1.2rem; margin: 0.3rem 0; }
.verdict li { margin: 0.3rem 0; }
.pass { border-color: #2e7d32; } .warn { border-color: #e6a700; } .fail { border-color: #c62828; }
.badge { font-weight: bold; padding: 0 0.4rem; border-radius: 3px; color: white; }
.badge.pass { background: #2e7d32; } .badge.warn { background: #9a6b00; }
.badge.fail { background: #c62828; }
"""


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
    thead = f"<thead><tr>{head}</tr></thead>" if any(section.header) else ""
    return (
        f"<h2>{html.escape(section.title)}</h2>"
        f'<div class="scroll"><table>{thead}<tbody>{body}</tbody></table></div>{note}'
    )


def _html_verdict(report: dict) -> str:
    from mixsynth.verdict import AREA_TITLES

    verdict = report["verdict"]
    items = "".join(
        f'<li><span class="badge {found["status"]}">{found["status"]}</span> '
        f"<b>{html.escape(AREA_TITLES[area])}</b>: {html.escape(found['rule'])}</li>"
        for area, found in verdict["areas"].items()
    )
    return (
        f'<section class="verdict {verdict["status"]}"><h2>Verdict: {verdict["status"]}</h2>'
        f"<ul>{items}</ul>"
        '<p class="note">Default rules and how to change them: docs/report.md; every '
        "check is listed under Checks.</p></section>"
    )


def _figures(heading: str, figures: list[tuple[str, Any]], wide: bool = False) -> str:
    from mixsynth.plots import data_uri

    shown = [(alt, f) for alt, f in figures if f is not None]
    if not shown:
        return ""
    cells = "".join(
        f'<figure><img alt="{html.escape(alt)}" src="{data_uri(f)}"></figure>' for alt, f in shown
    )
    kind = "plots wide" if wide else "plots"
    return f'<h2>{html.escape(heading)}</h2><div class="{kind}">{cells}</div>'


def to_html(
    report: dict, title: str = "mixsynth report", frames: tuple[Any, Any] | None = None
) -> str:
    """One self-contained HTML file: verdict, tables and inline PNG plots, no network
    access; a layout for any width from a phone's to a wide screen. With ``frames`` (the
    real and synthetic DataFrames) it adds scatter plots of the most correlated pairs."""
    from mixsynth import plots

    if "verdict" not in report:
        from mixsynth.verdict import judge

        report = judge(report)
    all_sections = sections(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        _html_verdict(report),
    ]
    parts += [_html_table(s) for s in all_sections[1:] if s.summary]
    parts.append(
        _figures(
            "Generations",
            [
                ("Variance ratio per generation", plots.variance_figure(report)),
                ("Quality scores per generation", plots.scores_figure(report)),
            ],
            wide=True,
        )
    )
    columns = report["columns"]
    plotted = [
        n
        for n in _worst_first(columns)
        if columns[n].get("histogram") or columns[n].get("frequencies")
    ][:MAX_PLOTTED_COLUMNS]
    parts.append(
        _figures(
            "Columns: real vs synthetic (worst first)",
            [(f"{n}: real vs synthetic", plots.column_figure(n, columns[n])) for n in plotted],
        )
    )
    if frames is not None:
        real, synthetic = frames
        seed = report.get("options", {}).get("seed") or 0
        parts.append(
            _figures(
                "Most correlated pairs: real vs synthetic",
                [
                    (f"{' and '.join(p['columns'])}", plots.pair_figure(p, real, synthetic, seed))
                    for p in plots.strongest_pairs(report)
                ],
                wide=True,
            )
        )
    parts.append(
        _figures("Correlations", [("Correlation difference", plots.correlation_figure(report))])
    )
    parts += [_html_table(s) for s in all_sections if not s.summary]
    parts.append(
        '<p class="note">Scores follow SDMetrics\' QualityReport definitions; '
        "every figure is in the JSON report (mixsynth compare --json).</p></body></html>"
    )
    return "\n".join(p for p in parts if p) + "\n"


# ---------------------------------------------------------------------------
# Files


def render(
    report: dict, kind: str, title: str = "mixsynth report", frames: tuple[Any, Any] | None = None
) -> str:
    """The report as text of one kind: json, markdown or html (``frames``: see to_html)."""
    if kind == "json":
        return to_json(report)
    if kind == "markdown":
        return to_markdown(report, title)
    return to_html(report, title, frames)


def write_report(
    report: dict,
    dest: str,
    kind: str,
    title: str = "mixsynth report",
    frames: tuple[Any, Any] | None = None,
) -> None:
    """Write atomically (``-`` = stdout): a failed render never leaves a partial file."""
    from mixsynth.io import write_text

    write_text(dest, render(report, kind, title, frames))  # stdout, a link, a device: as -o


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


def check_report_kind(dest: str, kind: str) -> None:
    """Refuse a report whose file name promises another format (``--html r.json``)."""
    from mixsynth.errors import MixsynthError

    suffix_kind = kind_from_suffix(dest)
    if dest != "-" and suffix_kind is not None and suffix_kind != kind:
        option = {"markdown": "--markdown", "html": "--html", "json": "--json"}[kind]
        raise MixsynthError(
            f"{option} {dest!r}: the suffix says {suffix_kind}, not {kind}",
            f"name the file {Path(dest).stem}{_SUFFIX[kind]}, or use --{_OPTION[suffix_kind]}",
        )


_SUFFIX = {"json": ".json", "markdown": ".md", "html": ".html"}
_OPTION = {"json": "json", "markdown": "markdown", "html": "html"}


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
