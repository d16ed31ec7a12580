"""The report as one self-contained HTML page, plots embedded as PNG."""

from __future__ import annotations

import html
from typing import Any

from mixsynth.report.section import Section, looks_numeric
from mixsynth.report.sections import MAX_PLOTTED_COLUMNS, sections, worst_first

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


def html_table(section: Section) -> str:
    numeric = [
        i > 0 and all(looks_numeric(row[i]) for row in section.rows)
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
    from mixsynth.report.verdict import AREA_TITLES

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


def html_figures(heading: str, figures: list[tuple[str, Any]], wide: bool = False) -> str:
    from mixsynth.report.plots import data_uri

    shown = [(alt, f) for alt, f in figures if f is not None]
    if not shown:
        return ""
    cells = "".join(
        f'<figure><img alt="{html.escape(alt)}" src="{data_uri(f)}"></figure>' for alt, f in shown
    )
    kind = "plots wide" if wide else "plots"
    return f'<h2>{html.escape(heading)}</h2><div class="{kind}">{cells}</div>'


def html_page(title: str, body: list[str]) -> str:
    """A self-contained page: the style, ``title`` as its heading, then ``body``."""
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    note = (
        '<p class="note">Scores follow SDMetrics\' QualityReport definitions; '
        "every figure is in the JSON report (mixsynth compare --json).</p></body></html>"
    )
    return "\n".join(p for p in [*head, *body, note] if p) + "\n"


def to_html(
    report: dict, title: str = "mixsynth report", frames: tuple[Any, Any] | None = None
) -> str:
    """One self-contained HTML file: verdict, tables and inline PNG plots, no network
    access; a layout for any width from a phone's to a wide screen. With ``frames`` (the
    real and synthetic DataFrames) it adds scatter plots of the most correlated pairs."""
    return html_page(title, html_body(report, frames))


def html_body(report: dict, frames: tuple[Any, Any] | None = None) -> list[str]:
    """The report's verdict, tables and plots as HTML fragments (see :func:`to_html`)."""
    from mixsynth.report import plots

    if "verdict" not in report:
        from mixsynth.report.verdict import judge

        report = judge(report)
    all_sections = sections(report)
    parts = [_html_verdict(report)]
    parts += [html_table(s) for s in all_sections[1:] if s.summary]
    parts.append(
        html_figures(
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
        for n in worst_first(columns)
        if columns[n].get("histogram") or columns[n].get("frequencies")
    ][:MAX_PLOTTED_COLUMNS]
    parts.append(
        html_figures(
            "Columns: real vs synthetic (worst first)",
            [(f"{n}: real vs synthetic", plots.column_figure(n, columns[n])) for n in plotted],
        )
    )
    if frames is not None:
        real, synthetic = frames
        seed = report.get("options", {}).get("seed") or 0
        parts.append(
            html_figures(
                "Most correlated pairs: real vs synthetic",
                [
                    (f"{' and '.join(p['columns'])}", plots.pair_figure(p, real, synthetic, seed))
                    for p in plots.strongest_pairs(report)
                ],
                wide=True,
            )
        )
    parts.append(
        html_figures("Correlations", [("Correlation difference", plots.correlation_figure(report))])
    )
    parts += [html_table(s) for s in all_sections if not s.summary]
    return parts
