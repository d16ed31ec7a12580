"""The report on a terminal or a pipe: tables that fold instead of being cut."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mixsynth.report.section import NBSP, looks_numeric
from mixsynth.report.sections import sections

#: A console narrower than this (COLUMNS=0: a container's 0x0 terminal) is taken as
#: :data:`FALLBACK_WIDTH` wide: at width 0 rich prints nothing at all.
NARROWEST = 20
FALLBACK_WIDTH = 80


def usable(console: Any) -> Any:
    """``console``, made :data:`FALLBACK_WIDTH` wide if it claims to be narrower than
    :data:`NARROWEST`."""
    if console.width < NARROWEST:
        console.width = FALLBACK_WIDTH
    return console


def render_terminal(report: dict, console: Any = None, title: str = "mixsynth compare") -> None:
    """The verdict and the compact summary first, then the details; nothing is ever cut.

    On a terminal, a table wider than the screen wraps its last column, or folds each
    row into ``label: value`` lines; piped, lines have no width limit (and no trailing
    spaces), so they can be grepped. rich drops styles when not on a terminal.
    """
    from rich.console import Console

    console = usable(console or Console())
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
    numeric = [i > 0 and all(looks_numeric(row[i]) for row in rows) for i in range(count)]
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
