"""The report written to files, by kind (JSON, Markdown, HTML from the suffix)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mixsynth.errors import OptionError
from mixsynth.report.html import to_html
from mixsynth.report.markdown import to_markdown

#: Levels of the report's objects written one key a line; deeper objects take one line.
SPREAD_LEVELS = 3
_ENCODER = json.JSONEncoder(allow_nan=False, ensure_ascii=False)


def to_json(report: dict) -> str:
    """The report as JSON: exactly the library dict (``json.loads`` gives it back).

    Laid out to be read: the first ``SPREAD_LEVELS`` levels of objects one key a line,
    lists of lists or objects (matrix rows, pair details) one element a line, each
    deeper value on its line. Those lines come from json's C encoder: the indenting
    one is pure Python and took 2 s of a 1,000-column comparison.
    """
    return _layout(report, 0) + "\n"


def _layout(value: Any, depth: int) -> str:
    pad, end = "  " * (depth + 1), "\n" + "  " * depth
    if (
        depth < SPREAD_LEVELS
        and isinstance(value, dict)
        and value
        and all(isinstance(key, str) for key in value)
    ):
        lines = [f"{pad}{_ENCODER.encode(k)}: {_layout(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(lines) + end + "}"
    if isinstance(value, list) and value and all(isinstance(v, (list, dict)) for v in value):
        return "[\n" + ",\n".join(pad + _ENCODER.encode(v) for v in value) + end + "]"
    return _ENCODER.encode(value)


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
    from mixsynth.io import check_output

    kind = kind_from_suffix(dest)
    if kind is None:
        raise OptionError(
            f"cannot tell the report format of {dest!r} from its suffix",
            "name it .json, .md or .html (- writes JSON to stdout)",
        )
    check_output(dest, force, inputs)
    return kind


def check_report_kind(dest: str, kind: str) -> None:
    """Refuse a report whose file name promises another format (``--html r.json``)."""
    suffix_kind = kind_from_suffix(dest)
    if dest != "-" and suffix_kind is not None and suffix_kind != kind:
        option = {"markdown": "--markdown", "html": "--html", "json": "--json"}[kind]
        raise OptionError(
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
