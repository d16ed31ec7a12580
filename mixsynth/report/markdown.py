"""The report as Markdown."""

from __future__ import annotations

from mixsynth.report.section import Section, looks_numeric
from mixsynth.report.sections import sections


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: dict, title: str = "mixsynth report") -> str:
    """Markdown tables that paste into a pull request."""
    lines = [f"# {title}", ""]
    for section in sections(report):
        lines += markdown_section(section)
    return "\n".join(lines)


def markdown_section(section: Section) -> list[str]:
    """One section as a ``##`` heading, a Markdown table and its note."""
    lines = [f"## {section.title}", ""]
    header = [h or " " for h in section.header]
    lines.append("| " + " | ".join(map(_markdown_cell, header)) + " |")
    numeric = [
        i > 0 and all(looks_numeric(row[i]) for row in section.rows) for i in range(len(header))
    ]
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    lines += ["| " + " | ".join(map(_markdown_cell, row)) + " |" for row in section.rows]
    if section.note:
        lines += ["", section.note]
    lines.append("")
    return lines


# ---------------------------------------------------------------------------
# Terminal
