"""``mixsynth compare`` end to end: outputs, thresholds and exit statuses, bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mixsynth.metrics import compare_tables
from tests.conftest import SAMPLE_DATA

PENGUINS = SAMPLE_DATA / "penguins.csv"


@pytest.fixture(scope="module")
def synthetic_csv(tmp_path_factory):
    """The real rows with a shifted, rescaled bill length and a shuffled body mass."""
    frame = pd.read_csv(PENGUINS)
    frame["bill_length_mm"] = frame["bill_length_mm"] * 1.5 + 2
    frame["body_mass_g"] = frame["body_mass_g"].sample(frac=1, random_state=0).to_numpy()
    path = tmp_path_factory.mktemp("compare") / "synth.csv"
    frame.to_csv(path, index=False)
    return path


def test_json_to_stdout_is_the_library_dict_and_nothing_else(run_cli, synthetic_csv):
    result = run_cli("compare", PENGUINS, synthetic_csv, "--json", "-", "--target", "species")
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    real = pd.read_csv(PENGUINS)
    synthetic = pd.read_csv(synthetic_csv)
    # The CLI reads with pyarrow (integers with missing values as Int64), pandas as float:
    # the figures agree, the dtype notes may not.
    expected = compare_tables(real, synthetic, target="species")
    assert printed["scores"] == pytest.approx(expected["scores"])
    assert printed["columns"]["bill_length_mm"]["variance_ratio"] == pytest.approx(2.25)
    assert set(printed) >= {"columns", "pairs", "scores", "privacy", "utility", "schema"}
    assert result.stderr == ""


def test_terminal_summary_and_files(run_cli, synthetic_csv, tmp_path):
    md, html, js = tmp_path / "r.md", tmp_path / "r.html", tmp_path / "r.json"
    result = run_cli(
        "compare", PENGUINS, synthetic_csv, "--markdown", md, "--html", html, "--json", js
    )
    assert result.exit_code == 0, result.stderr
    assert "Scores" in result.stdout and "Worst columns" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when not a terminal
    assert md.read_text().startswith("# mixsynth compare")
    assert "| bill_length_mm |" in md.read_text()
    assert "<img" in html.read_text()
    assert json.loads(js.read_text())["rows"] == {"real": 344, "synthetic": 344}
    again = run_cli("compare", PENGUINS, synthetic_csv, "--json", js)
    assert again.exit_code == 2 and "--force" in again.stderr


def test_markdown_to_stdout(run_cli, synthetic_csv):
    result = run_cli("compare", PENGUINS, synthetic_csv, "--markdown", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("# mixsynth compare")
    assert "Worst columns" in result.stdout and "┏" not in result.stdout


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--max-variance-drift", "0.1", "'bill_length_mm': variance ratio 2.25"),
        ("--min-overall-score", "0.99", "overall score"),
        ("--max-exact-copy-share", "0.01", "exact-copy share"),
        ("--max-correlation-diff", "0.001", "correlation difference"),
    ],
)
def test_broken_threshold_exits_1_and_says_which(run_cli, synthetic_csv, option, value, words):
    synthetic = PENGUINS if option == "--max-exact-copy-share" else synthetic_csv
    result = run_cli("compare", PENGUINS, synthetic, option, value, "--quiet")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("Threshold broken:") for line in lines)
    assert any(words in line for line in lines)
    assert result.stdout == ""


def test_kept_thresholds_exit_0(run_cli):
    result = run_cli(
        "compare",
        PENGUINS,
        PENGUINS,
        "--quiet",
        "--max-variance-drift",
        "0.001",
        "--min-overall-score",
        "0.99",
        "--max-correlation-diff",
        "0.001",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_one_sided_and_retyped_columns_are_reported(run_cli, tmp_path):
    frame = pd.read_csv(PENGUINS).drop(columns=["year"])
    frame["island"] = range(len(frame))
    path = tmp_path / "other.csv"
    frame.to_csv(path, index=False)
    result = run_cli("compare", PENGUINS, path, "--json", "-")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)["schema"]
    assert schema["only_in_real"] == ["year"]
    assert [e["column"] for e in schema["incompatible"]] == ["island"]


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("missing", "does not exist"),
        ("empty", "no rows"),
        ("disjoint", "no column in common"),
        ("target", "--target"),
    ],
)
def test_bad_input_exits_2_with_one_line(run_cli, tmp_path, case, words):
    other = {
        "missing": tmp_path / "nope.csv",
        "empty": write(tmp_path, "empty.csv", "species,island\n"),
        "disjoint": write(tmp_path, "disjoint.csv", "a,b\n1,2\n"),
        "target": PENGUINS,
    }[case]
    extra = ["--target", "nope"] if case == "target" else []
    result = run_cli("compare", PENGUINS, other, *extra)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error:") and words in result.stderr
    assert "Traceback" not in result.stderr


def test_two_stdout_outputs_are_refused(run_cli):
    result = run_cli("compare", PENGUINS, PENGUINS, "--json", "-", "--markdown", "-")
    assert result.exit_code == 2 and "stdout" in result.stderr


def test_real_table_from_stdin(run_cli, synthetic_csv):
    result = run_cli("compare", "-", synthetic_csv, "--json", "-", input=PENGUINS.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows"]["real"] == 344


def test_help_has_an_example(run_cli):
    result = run_cli("compare", "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout
