"""The small things a new user meets first: version, completion, help text, suggestions,
one-line summaries, refused report suffixes, warned solver inputs, the plot command."""

from __future__ import annotations

import json
import re
from importlib.metadata import version

import pytest

from tests.conftest import SAMPLE_DATA

PENGUINS = SAMPLE_DATA / "penguins.csv"
COMMANDS = ["generate", "weights", "inspect", "compare", "plot"]


def test_version(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0 and result.stdout == f"mixsynth {version('mixsynth')}\n"


def test_bare_mixsynth_prints_help_and_no_error(run_cli):
    result = run_cli()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: mixsynth") and "Commands:" in result.stdout
    assert "Error" not in result.stdout + result.stderr


def test_shell_completion_script(run_cli, monkeypatch):
    """In bash, --show-completion prints bash's script. The shell is the one shellingham
    finds above the process (under `make` that is sh, which Typer has no script for), so
    the test says which it is."""
    import shellingham

    monkeypatch.setattr(shellingham, "detect_shell", lambda *_: ("bash", "/bin/bash"))
    result = run_cli("--show-completion")
    assert result.exit_code == 0 and "_mixsynth_completion" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_values_for_people_not_python_types(run_cli, command):
    result = run_cli(command, "--help")
    assert result.exit_code == 0
    assert not re.search(r"<(bool|str|int|float|path|list\[str\])[^>]*>", result.stdout)
    assert "{" not in result.stdout.splitlines()[0]  # Usage: ... REAL SYNTHETIC


def test_compare_help_says_categorical_compares(run_cli):
    text = " ".join(run_cli("compare", "--help").stdout.split())
    assert "--categorical COL Compare this column as categories" in text
    assert "Copy this column from donor rows" not in text


def test_help_keeps_square_brackets(run_cli):
    assert "1 - E[lam]" in " ".join(run_cli("generate", "--help").stdout.split())


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["generate", PENGUINS, "-o", "x.csv", "--by", "Species"], "did you mean 'species'?"),
        (["generate", PENGUINS, "-o", "x.csv", "--categorical", "yeer"], "did you mean 'year'?"),
        (["compare", PENGUINS, PENGUINS, "--target", "speces"], "did you mean 'species'?"),
        (["plot", PENGUINS, PENGUINS, "--column", "Body_Mass_g", "-o", "x.png"],
         "did you mean 'body_mass_g'?"),
    ],
)  # fmt: skip
def test_unknown_columns_get_a_suggestion(run_cli, tmp_path, monkeypatch, args, suggestion):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and suggestion in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_vanilla_support_has_no_negative_zero(run_cli):
    text = run_cli("weights", "--method", "vanilla").stdout
    assert re.search(r"^support +\[0, 1\]$", text, re.MULTILINE), text
    figures = json.loads(run_cli("weights", "--method", "vanilla", "--json").stdout)
    assert json.dumps(figures["support"]) == "[0.0, 1.0]"


def test_generate_says_what_it_wrote_unless_quiet(run_cli, tmp_path):
    base = ["generate", PENGUINS, "--seed", "1", "-g", "2"]
    result = run_cli(*base, "--out-dir", tmp_path / "runs", "-o", tmp_path / "s.csv",
                     "--report", tmp_path / "r.md")  # fmt: skip
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"wrote generations gen-001 to gen-002 in {str(tmp_path / 'runs')!r}, the last "
        f"generation to {str(tmp_path / 's.csv')!r}, the report to {str(tmp_path / 'r.md')!r}"
    ]
    quiet = run_cli(*base, "-o", tmp_path / "q.csv", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""


@pytest.mark.parametrize(
    ("option", "name"), [("--html", "r.json"), ("--json", "r.md"), ("--markdown", "r.html")]
)
def test_report_suffix_must_match_the_format(run_cli, tmp_path, option, name):
    result = run_cli("compare", PENGUINS, PENGUINS, option, tmp_path / name)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {option} ") and "suffix" in result.stderr
    assert not (tmp_path / name).exists()


def test_eps_far_outside_the_useful_range_is_warned(run_cli):
    far = run_cli("weights", "--eps", "2")
    assert far.exit_code == 0
    assert far.stderr.startswith("Warning: --eps 2 ") and "useful range" in far.stderr
    usual = run_cli("weights", "--eps", "0.3")
    assert usual.stderr == ""


def test_plot_writes_one_png(run_cli, tmp_path):
    out = tmp_path / "c.png"
    result = run_cli("plot", PENGUINS, PENGUINS, "--column", "body_mass_g", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
    again = run_cli("plot", PENGUINS, PENGUINS, "--column", "year", "-o", out)
    assert again.exit_code == 2 and "--force" in again.stderr
    wrong = run_cli("plot", PENGUINS, PENGUINS, "--column", "year", "-o", tmp_path / "c.jpg")
    assert wrong.exit_code == 2 and ".png" in wrong.stderr
