"""Hostile inputs, third round: files built to exhaust the reader (nesting past
Python's recursion limit, endless or huge files, bytes that are not UTF-8), options
that contradict each other or say nothing, and a terminal of width 0. Each bad input is
one ``Error:`` line, exit status 2, nothing written; each odd but valid one works."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mixsynth.cli import app

from .conftest import assert_no_temporary_files, assert_one_error_line, run, snapshot

PENGUINS = Path(__file__).resolve().parents[2] / "sample_data" / "penguins.csv"
DEPTH = 100_000


def hostile_files(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (mixsynth arguments, a fragment of the one error line). The inputs are
    made in ``in/``, the output would go to ``out/`` (the folder checked for changes:
    reading the 1 GiB input twice per test would cost seconds)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (tmp_path / "out").mkdir()
    (folder / "deep.json").write_text("[" * DEPTH + "]" * DEPTH)
    (folder / "deep.toml").write_text("a = " + "[" * DEPTH + "]" * DEPTH + "\n")
    (folder / "latin1.toml").write_bytes(b"[thresholds]\n# Gr\xf6\xdfe\nmin_overall = 0.5\n")
    with open(folder / "huge.json", "wb") as handle:  # sparse: no disk used
        handle.truncate(1 << 30)
    out = str(tmp_path / "out" / "out.csv")
    generate = ["generate", str(PENGUINS), "-o", out, "--seed", "1"]
    compare = ["compare", str(PENGUINS), str(PENGUINS)]
    return {
        "metadata nested too deeply": (
            [*generate, "--metadata", str(folder / "deep.json")],
            "nested",
        ),
        "config nested too deeply": ([*compare, "--config", str(folder / "deep.toml")], "nested"),
        "config not UTF-8": ([*compare, "--config", str(folder / "latin1.toml")], "UTF-8"),
        "metadata endless (/dev/zero)": ([*generate, "--metadata", "/dev/zero"], "larger than"),
        "metadata of 1 GiB": ([*generate, "--metadata", str(folder / "huge.json")], "larger than"),
        "config endless (/dev/zero)": ([*compare, "--config", "/dev/zero"], "larger than"),
        "empty weights": ([*generate, "-w", ""], "weight"),
        "empty weights for weights": (["weights", "-w", ""], "weight"),
        "two values for one --where column": (
            [*generate, "--where", "species=Adelie", "--where", "species=Gentoo"],
            "species",
        ),
        "dask engine to a CSV file": (
            [*generate, "--engine", "dask"],
            "out.csv",
        ),
    }


CASES = [
    "metadata nested too deeply",
    "config nested too deeply",
    "config not UTF-8",
    "metadata endless (/dev/zero)",
    "metadata of 1 GiB",
    "config endless (/dev/zero)",
    "empty weights",
    "empty weights for weights",
    "two values for one --where column",
    "dask engine to a CSV file",
]


@pytest.mark.parametrize("case", CASES)
def test_hostile_inputs_get_one_line_and_write_nothing(tmp_path: Path, case: str) -> None:
    arguments, fragment = hostile_files(tmp_path)[case]
    if "dask" in arguments:
        pytest.importorskip("distributed")
    before = snapshot(tmp_path / "out")
    assert_one_error_line(run(*arguments), fragment)
    assert snapshot(tmp_path / "out") == before
    assert_no_temporary_files(tmp_path)


def test_the_same_where_twice_is_one_condition(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    where = ["--where", "species=Gentoo"]
    result = run("generate", PENGUINS, "-o", out, "--seed", "1", *where, *where)
    assert result.exit_code == 0, result.stderr
    assert set(pd.read_csv(out)["species"]) == {"Gentoo"}


@pytest.mark.parametrize(
    "arguments",
    [
        ["inspect", str(PENGUINS)],
        ["weights", "-w", "beta:0.2,0.2"],
        ["compare", str(PENGUINS), str(PENGUINS)],
    ],
    ids=["inspect", "weights", "compare"],
)
@pytest.mark.parametrize("columns", ["0", "1", "-5", "wide"])
def test_a_terminal_of_no_width_still_shows_the_result(arguments: list[str], columns: str) -> None:
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.stderr
    wanted = "body_mass_g" if arguments[0] != "weights" else "rho"
    assert wanted in result.stdout, result.stdout
