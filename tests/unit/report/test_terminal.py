"""The terminal report at 60, 80 and 200 columns and piped: nothing cut, compared value for
value with the JSON report; inspect keeps whole column names."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from rich.console import Console

from mixsynth.report import fmt, percent, render_terminal, text_table
from tests.conftest import SAMPLE_DATA

PENGUINS = SAMPLE_DATA / "penguins.csv"
WIDTHS = [60, 80, 200, None]  # None: piped


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    """A generate report (every section: verdict, generations, numeric, categorical)."""
    from typer.testing import CliRunner

    from mixsynth.cli import app

    folder = tmp_path_factory.mktemp("terminal")
    args = ["generate", str(PENGUINS), "-o", str(folder / "s.csv"), "-g", "3", "--seed", "5",
            "--report", str(folder / "r.json"), "-q"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return json.loads((folder / "r.json").read_text())


def rendered(report: dict, width: int | None) -> str:
    buffer = io.StringIO()
    if width is None:  # a pipe: not a terminal
        console = Console(file=buffer)
    else:
        console = Console(file=buffer, width=width, force_terminal=True, color_system=None)
    render_terminal(report, console, "mixsynth generate: penguins")
    return buffer.getvalue()


def block(text: str, title: str) -> str:
    """The lines of one section, from its title to the next blank line."""
    start = text.index("\n" + title + "\n")
    end = text.find("\n\n", start + 1)
    return text[start : end if end > 0 else None]


def row_of(section: str, name: str, names: list[str]) -> str:
    """One row's text in a section: a table row, or its folded label: value lines."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split(" ")[0] == name)
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].split(" ")[0] in names),
        len(lines),
    )
    return "\n".join(lines[start:end])


def has(text: str, token: str) -> bool:
    return re.search(r"(?<!\S)" + re.escape(token) + r"(?!\S)", text) is not None


@pytest.mark.parametrize("width", WIDTHS)
def test_every_line_fits_and_nothing_trails(report, width):
    text = rendered(report, width)
    assert "\x1b[" not in text
    for line in text.splitlines():
        assert line == line.rstrip()
        if width is not None:
            assert len(line) <= width, line


@pytest.mark.parametrize("width", WIDTHS)
def test_numeric_values_match_the_json(report, width):
    section = block(rendered(report, width), "Numeric columns")
    columns = {n: c for n, c in report["columns"].items() if "ks_statistic" in c}
    for name, c in columns.items():
        row = row_of(section, name, list(columns))
        expected = [
            fmt(c["real"]["mean"]),
            fmt(c["synthetic"]["mean"]),
            fmt(c["mean_diff_std"]),
            fmt(c["variance_ratio"]),
            fmt(c["predicted_variance_ratio"]),
            fmt(c["real"]["skew"]),
            fmt(c["synthetic"]["kurtosis"]),
            fmt(c["ks_statistic"]),
            fmt(c["wasserstein"]),
            percent(c["out_of_range_share"]),
            f"{percent(c['real']['missing_rate'])} / {percent(c['synthetic']['missing_rate'])}",
        ]
        for token in expected:
            assert has(row, token), (name, token, row)
        assert fmt(c["real"]["mean"]) != "0"  # means are shown, not '0'


@pytest.mark.parametrize("width", WIDTHS)
def test_verdict_and_notes_are_whole(report, width):
    text = rendered(report, width)
    flat = " ".join(text.split())
    assert flat.index("Verdict: ") < flat.index("Overview")
    for found in report["verdict"]["areas"].values():
        assert " ".join(found["rule"].split()) in flat
    note = (
        "out of range = synthetic values outside the real [min, max]. "
        "Dates: means shown as dates (in JSON: epoch seconds)."
    )
    assert note in flat
    for check in report["checks"]:
        assert has(text, check["name"])


@pytest.mark.parametrize("width", [60, 80])
def test_a_narrow_terminal_folds_rows_into_label_value_lines(report, width):
    section = block(rendered(report, width), "Numeric columns")
    c = report["columns"]["body_mass_g"]
    row = row_of(section, "body_mass_g", list(report["columns"]))
    missing = f"{percent(c['real']['missing_rate'])} / {percent(c['synthetic']['missing_rate'])}"
    assert f"  missing r / s: {missing}" in row.splitlines()
    assert f"  var ratio: {fmt(c['variance_ratio'])}" in row.splitlines()


def test_wide_tables_stay_tables_when_piped(report):
    text = rendered(report, None)
    header = next(
        line for line in text.splitlines() if line.startswith("column  ") and "KS" in line
    )
    assert "missing r / s" in header and "skew r" in header


def test_text_table_wraps_a_long_last_column_without_losing_words():
    rows = [["fidelity", "pass", "word " * 30 + "end"]]
    lines = text_table(["area", "verdict", "rule"], rows, 60)
    assert all(len(line) <= 60 for line in lines)
    assert " ".join(" ".join(lines).split()).endswith("word end")
    assert " ".join(lines).count("word") == 30


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
@pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1) for a terminal")
@pytest.mark.parametrize("width", [60, 80, 200])
def test_inspect_never_truncates_names_on_a_terminal(tmp_path, width):
    name = "a_rather_long_column_name_that_goes_on_and_on_for_a_while"
    source = tmp_path / "t.csv"
    source.write_text(f"{name},categorical_column\n1.5,x\n2.5,y\n")
    command = f"{sys.executable} -m mixsynth inspect {source}"
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"],  # a pseudo-terminal of that width
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(width), "LINES": "50", "TERM": "xterm"},
        timeout=60,
    )
    assert done.returncode == 0, done.stdout
    text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout).replace("\r", "")
    assert name in text and "categorical_column" in text and "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width


def test_inspect_piped_is_one_whole_table(run_cli, tmp_path):
    name = "a_rather_long_column_name_that_goes_on_and_on_for_a_while"
    source = tmp_path / "t.csv"
    source.write_text(f"{name},categorical_column\n1.5,x\n2.5,y\n")
    result = run_cli("inspect", source)
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["name", "type", "synthesis", "storage", "missing", "distinct"]
    assert lines[3].startswith(name + "  ")
