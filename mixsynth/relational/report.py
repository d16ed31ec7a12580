"""The multi-table report as text: the scores, the relational figures and checks, then
every table's own report (:mod:`mixsynth.report`), as JSON or Markdown."""

from __future__ import annotations

from mixsynth.errors import OptionError
from mixsynth.report.files import kind_from_suffix, to_json
from mixsynth.report.markdown import to_markdown
from mixsynth.report.sections import fmt

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
    lines += [
        "## Scores (SDMetrics' multi-table QualityReport)",
        "",
        "| property | score |",
        "|---|---:|",
    ]
    lines += [f"| {label} | {fmt(report['scores'][key])} |" for key, label in SCORE_NAMES.items()]
    lines += [
        "",
        "## Relationships",
        "",
        "| relationship | integrity | cardinality | mean children real | mean children synthetic | intertable trends |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in report["relationships"]:
        card = r["cardinality"]
        lines.append(
            f"| {r['child']}.{r['foreign_key']} -> {r['parent']} | {fmt(r['integrity']['synthetic'])} | "
            f"{fmt(card['score'])} | {fmt(card['real']['mean'])} | {fmt(card['synthetic']['mean'])} | "
            f"{fmt(r['intertable']['score'])} |"
        )
    lines += [
        "",
        "## Parent columns and their children",
        "",
        "| parent column | children's | real correlation | synthetic | difference |",
        "|---|---|---:|---:|---:|",
    ]
    for r in report["relationships"]:
        for p in r["parent_child"]:
            lines.append(
                f"| {r['parent']}.{p['parent_column']} | {r['child']}: {p['child']} | {fmt(p['real'])} | "
                f"{fmt(p['synthetic'])} | {fmt(p['difference'])} |"
            )
    lines.append("")
    for name, table in report["tables"].items():
        body = (
            to_markdown(table, f"table {name}").replace("\n# ", "\n## ").replace("\n## ", "\n### ")
        )
        lines += [body.replace("# table", "## table", 1), ""]
    return "\n".join(lines)


def render_relational(report: dict, dest: str) -> str:
    """The report as the text ``dest``'s suffix asks for (JSON for ``-``)."""
    kind = kind_from_suffix(dest)
    if kind == "json":
        return to_json(report)
    if kind == "markdown":
        return to_markdown_relational(report)
    raise OptionError(
        f"cannot write a multi-table report as {dest!r}",
        "name it .json or .md (- writes JSON to stdout); the HTML report is for one table",
    )


def check_relational_report(dest: str) -> None:
    """Refuse a report name whose format the multi-table report has no renderer for."""
    if kind_from_suffix(dest) not in ("json", "markdown"):
        raise OptionError(
            f"cannot write a multi-table report as {dest!r}",
            "name it .json or .md (- writes JSON to stdout); the HTML report is for one table",
        )
