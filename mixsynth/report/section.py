"""A report table as formatted text, and the number formats every view shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


#: Holds a short value's words together while wrapping (textwrap breaks only at ASCII space).
NBSP = "\u00a0"


def looks_numeric(text: str) -> bool:
    try:
        float(text.replace("%", "").replace(" / ", "").replace("-", "0", 1) or "0")
    except ValueError:
        return text == "-"
    return True
