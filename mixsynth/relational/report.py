"""The multi-table report as text: the scores, the relational figures and checks, then
every table's own report (:mod:`mixsynth.report`), as JSON, Markdown or one HTML page."""

from __future__ import annotations

import html
from typing import Any

from mixsynth.errors import OptionError
from mixsynth.report.files import kind_from_suffix, to_json
from mixsynth.report.markdown import markdown_section, to_markdown
from mixsynth.report.section import Section, fmt

SCORE_NAMES = {
    "column_shapes": "Column Shapes",
    "column_pair_trends": "Column Pair Trends",
    "cardinality": "Cardinality",
    "intertable_trends": "Intertable Trends",
    "overall": "overall",
}


def summary_lines(report: dict) -> list[str]:
    """The verdict, scores and relationships, one line each (the terminal's summary)."""
    lines = []
    if "verdict" in report:
        tables = ", ".join(
            f"{name} {status}" for name, status in report["verdict"]["tables"].items()
        )
        lines.append(
            f"verdict: {report['verdict']['status']} (tables: {tables}; relations: {report['verdict']['relations']})"
        )
    lines.append(
        "scores: "
        + ", ".join(f"{label} {fmt(report['scores'][key])}" for key, label in SCORE_NAMES.items())
    )
    for r in report["relationships"]:
        lines.append(
            f"{r['child']}.{r['foreign_key']} -> {r['parent']}: integrity {fmt(r['integrity']['synthetic'])}, "
            f"cardinality {fmt(r['cardinality']['score'])} (mean children {fmt(r['cardinality']['real']['mean'])} "
            f"real, {fmt(r['cardinality']['synthetic']['mean'])} synthetic), "
            f"intertable trends {fmt(r['intertable']['score'])}"
        )
    return lines


def to_markdown_relational(report: dict, title: str = "mixsynth multi-table report") -> str:
    """Markdown: the scores, a row per relationship, the parent-child correlations, the
    failed or warned checks, then each table's report under its own heading."""
    lines = [f"# {title}", ""]
    if "verdict" in report:
        lines += [f"**Verdict: {report['verdict']['status']}**", ""]
        lines += [
            f"- {c['status']}: {c['message']}"
            for c in report.get("checks", [])
            if c["status"] != "pass"
        ]
        lines.append("")
    for section in relational_sections(report):
        lines += markdown_section(section)
    for name, table in report["tables"].items():
        body = (
            to_markdown(table, f"table {name}").replace("\n# ", "\n## ").replace("\n## ", "\n### ")
        )
        lines += [body.replace("# table", "## table", 1), ""]
    return "\n".join(lines)


def relational_sections(report: dict) -> list[Section]:
    """The scores, a row per relationship and the parent-child correlations, as the
    report's sections (the HTML page's tables)."""
    scores = Section(
        "Scores (SDMetrics' multi-table QualityReport)",
        ["property", "score"],
        [[label, fmt(report["scores"][key])] for key, label in SCORE_NAMES.items()],
    )
    relationships = Section(
        "Relationships",
        [
            "relationship",
            "integrity",
            "cardinality",
            "mean children real",
            "mean children synthetic",
            "intertable trends",
        ],
        [
            [
                f"{r['child']}.{r['foreign_key']} -> {r['parent']}",
                fmt(r["integrity"]["synthetic"]),
                fmt(r["cardinality"]["score"]),
                fmt(r["cardinality"]["real"]["mean"]),
                fmt(r["cardinality"]["synthetic"]["mean"]),
                fmt(r["intertable"]["score"]),
            ]
            for r in report["relationships"]
        ],
        "Integrity: share of foreign keys naming a parent. Cardinality: 1 - KS of the "
        "children per parent. Intertable trends: pair scores of parent x child columns.",
    )
    parent_child = Section(
        "Parent columns and their children",
        ["parent column", "children's", "real correlation", "synthetic", "difference"],
        [
            [
                f"{r['parent']}.{p['parent_column']}",
                f"{r['child']}: {p['child']}",
                fmt(p["real"]),
                fmt(p["synthetic"]),
                fmt(p["difference"]),
            ]
            for r in report["relationships"]
            for p in r["parent_child"]
        ],
    )
    return [scores, relationships, parent_child]


def to_html_relational(
    report: dict,
    title: str = "mixsynth multi-table report",
    frames: dict[str, tuple[Any, Any]] | None = None,
) -> str:
    """One self-contained page: the verdict and the relational figures (scores,
    relationships with a plot of the child counts each, parent-child correlations),
    then a section per table with that table's own HTML report (``frames``: each
    table's real and synthetic DataFrames, for its pair plots)."""
    from mixsynth.report import plots
    from mixsynth.report.html import html_body, html_figures, html_page, html_table

    body = []
    if "verdict" in report:
        status = report["verdict"]["status"]
        items = "".join(
            f'<li><span class="badge {c["status"]}">{c["status"]}</span> '
            f"{html.escape(c['message'])}</li>"
            for c in report.get("checks", [])
            if c["status"] != "pass"
        )
        tables = ", ".join(
            f'<a href="#table-{html.escape(name)}">{html.escape(name)}</a> '
            f'<span class="badge {s}">{s}</span>'
            for name, s in report["verdict"]["tables"].items()
        )
        body.append(
            f'<section class="verdict {status}"><h2>Verdict: {status}</h2>'
            f"<p>Tables: {tables}; relations: {report['verdict']['relations']}</p>"
            f"<ul>{items}</ul></section>"
        )
    body += [html_table(s) for s in relational_sections(report)]
    body.append(
        html_figures(
            "Children per parent: real vs synthetic",
            [
                (
                    f"{r['child']} per {r['parent']}",
                    plots.column_figure(
                        f"{r['child']} per {r['parent']}",
                        {
                            "histogram": r["cardinality"]["histogram"],
                            "ks_statistic": r["cardinality"]["ks"],
                        },
                    ),
                )
                for r in report["relationships"]
                if r["cardinality"].get("histogram")
            ],
        )
    )
    for name, table in report["tables"].items():
        body.append(f'<h1 id="table-{html.escape(name)}">Table {html.escape(name)}</h1>')
        body += html_body(table, (frames or {}).get(name))
    return html_page(title, body)


def render_relational(
    report: dict, dest: str, frames: dict[str, tuple[Any, Any]] | None = None
) -> str:
    """The report as the text ``dest``'s suffix asks for (JSON for ``-``)."""
    kind = kind_from_suffix(dest)
    if kind == "json":
        return to_json(report)
    if kind == "markdown":
        return to_markdown_relational(report)
    if kind == "html":
        return to_html_relational(report, frames=frames)
    raise OptionError(
        f"cannot write a multi-table report as {dest!r}",
        "name it .json, .md or .html (- writes JSON to stdout)",
    )


def check_relational_report(dest: str) -> None:
    """Refuse a report name whose format the multi-table report has no renderer for."""
    if kind_from_suffix(dest) is None:
        raise OptionError(
            f"cannot write a multi-table report as {dest!r}",
            "name it .json, .md or .html (- writes JSON to stdout)",
        )
