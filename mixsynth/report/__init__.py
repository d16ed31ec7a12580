"""Rendering of a comparison report: terminal (rich), JSON, Markdown, self-contained HTML.

Rendering only: every number comes from the dict of :mod:`mixsynth.metrics`, so the
four outputs always agree. All text views share :func:`~mixsynth.report.sections.sections`
(title, header, rows of formatted strings); the HTML adds matplotlib plots embedded as
base64 PNG. rich and matplotlib are imported only when used, to keep the CLI's start-up
fast.
"""

from mixsynth.report.files import (
    check_report_kind,
    check_report_output,
    kind_from_suffix,
    render,
    to_json,
    write_report,
)
from mixsynth.report.html import to_html
from mixsynth.report.markdown import to_markdown
from mixsynth.report.section import Section, fmt, percent
from mixsynth.report.sections import sections
from mixsynth.report.terminal import print_lines, render_terminal, text_table, wrap

__all__ = [
    "Section",
    "check_report_kind",
    "check_report_output",
    "fmt",
    "kind_from_suffix",
    "percent",
    "print_lines",
    "render",
    "render_terminal",
    "sections",
    "text_table",
    "to_html",
    "to_json",
    "to_markdown",
    "wrap",
    "write_report",
]
