"""``generate --holdout`` and ``compare --holdout``: rows the synthesizer never saw as the
privacy and utility baseline, the same split and the same DCR share from both."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mixsynth.metrics import dcr_share, split_holdout
from tests.cli.conftest import assert_one_error_line, run
from tests.conftest import SAMPLE_DATA

PENGUINS = SAMPLE_DATA / "penguins.csv"


@pytest.fixture(scope="module")
def held_run(tmp_path_factory):
    """generate --holdout 0.5 on the penguins, with a report and the held-out rows."""
    folder = tmp_path_factory.mktemp("holdout")
    result = run(
        "generate", PENGUINS, "--holdout", "0.5", "--seed", 3, "--out-dir", folder / "run",
        "--report", folder / "report.json", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return folder


def test_generate_holds_out_the_rows_of_split_holdout(held_run):
    train, holdout = split_holdout(pd.read_csv(PENGUINS), 0.5, seed=3)
    written = pd.read_csv(held_run / "run" / "holdout.csv")
    pd.testing.assert_frame_equal(written, holdout)
    synthetic = pd.read_csv(held_run / "run" / "gen-001.csv")
    report = json.loads((held_run / "report.json").read_text())
    assert report["rows"] == {"real": len(train), "synthetic": len(train), "holdout": 172}
    privacy = report["privacy"]
    assert privacy["true_holdout"] is True
    assert privacy["dcr_share"] == pytest.approx(dcr_share(train, holdout, synthetic), abs=1e-12)
    assert "no true holdout" not in report["verdict"]["areas"]["privacy"]["rule"]


def test_compare_with_the_holdout_file_gives_the_same_share(held_run, tmp_path):
    train, _ = split_holdout(pd.read_csv(PENGUINS), 0.5, seed=3)
    train.to_csv(tmp_path / "train.csv", index=False)
    result = run(
        "compare", tmp_path / "train.csv", held_run / "run" / "gen-001.csv",
        "--holdout", held_run / "run" / "holdout.csv", "--json", "-", "--target", "species",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    report = json.loads((held_run / "report.json").read_text())
    assert printed["privacy"]["dcr_share"] == pytest.approx(report["privacy"]["dcr_share"])
    assert printed["utility"]["test_rows"] == 172  # tested on the held-out rows
    assert printed["provenance"]["inputs"]["holdout"]["sha256"]


def test_without_holdout_the_terminal_says_so(tmp_path):
    result = run("compare", PENGUINS, PENGUINS)
    assert result.exit_code == 0, result.stderr
    assert "no true holdout" in result.stdout and "NOT A TRUE HOLDOUT" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--holdout", "1.5", "--report", "r.json"], "--holdout 1.5 is not a share"),
        (["--holdout", "0.3"], "--holdout needs --report"),
        (["--holdout", "missing.csv", "--report", "r.json"], "does not exist"),
        (["--holdout", "0.3", "--report", "r.json", "--where", "sex=male"], "--where"),
    ],
)
def test_bad_holdout_is_one_line_and_writes_nothing(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run("generate", PENGUINS, "-o", "out.csv", *args)
    assert_one_error_line(result, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_holdout_file_of_another_table_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pd.read_csv(PENGUINS).drop(columns="sex").to_csv("other.csv", index=False)
    result = run(
        "generate", PENGUINS, "-o", "out.csv", "--holdout", "other.csv", "--report", "r.json"
    )
    assert_one_error_line(result, "lacks column 'sex'")
    compared = run("compare", PENGUINS, PENGUINS, "--holdout", "other.csv")
    assert_one_error_line(compared, "lacks column 'sex'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.csv"]
