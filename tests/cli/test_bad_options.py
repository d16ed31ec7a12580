"""Bad options and outputs: one clear line, exit 2, every file as it was (hostile inputs)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv
import pytest

from tests.cli.conftest import (
    assert_one_error_line,
    run,
    snapshot,
    write_parquet,
)

#: Option sets both ``generate`` and ``weights`` must refuse, with a fragment of the message.
BAD_WEIGHT_OPTIONS = {
    "alpha zero": (["--weights", "beta:0,1"], "alpha"),
    "alpha negative": (["--weights", "beta:-1,1"], "alpha"),
    "alpha infinite": (["--weights", "beta:inf,1"], "alpha"),
    "beta not a number": (["--weights", "beta:1,nan"], "beta"),
    "unreadable spec": (["--weights", "beta:a"], "weight spec"),
    "unknown spec": (["--weights", "gauss:1"], "weight spec"),
    "eps negative": (["--eps", "-0.1"], "eps0"),
    "eps1 negative in spec": (["--weights", "epbeta:1,1,0.1,-0.2"], "eps1"),
    "eps unreadable": (["--eps", "wide"], "--eps"),
    "strength zero": (["--mix-strength", "0"], "mixing strength"),
    "strength one": (["--mix-strength", "1"], "mixing strength"),
    "strength above one": (["--mix-strength", "1.5"], "mixing strength"),
    "strength nan": (["--mix-strength", "nan"], "mixing strength"),
    "infeasible solver target": (["--eps", "0"], "variance cannot be preserved"),
    "vanilla with epbeta": (["--method", "vanilla", "--weights", "epbeta:2,2,0.1,0.1"], "vanilla"),
    "zero generations": (["-g", "0"], "--generations"),
    "rows zero": (["--rows", "0"], "--rows"),
    "rows negative": (["--rows", "-5"], "--rows"),
}

#: Option sets only ``generate`` has.
BAD_GENERATE_OPTIONS = {
    "negative generations": (["-g", "-2"], "--generations"),
    "negative seed": (["--seed", "-1"], "--seed"),
    "rows beyond any memory": (["--rows", str(10**20)], "give fewer --rows"),
    "rows beyond this machine": (["--rows", str(3 * 10**9)], "give fewer --rows"),
    "unknown --by": (["--by", "nope"], "--by column 'nope'"),
    "unknown --categorical": (["--categorical", "nope"], "--categorical column 'nope'"),
    "resume without out-dir": (["--resume"], "--out-dir"),
    "bad --format": (["--format", "xlsx"], "--format"),
}


@pytest.mark.parametrize("case", list(BAD_WEIGHT_OPTIONS) + list(BAD_GENERATE_OPTIONS))
def test_generate_refuses_bad_options(tmp_path, small_csv, case: str) -> None:
    options, fragment = {**BAD_WEIGHT_OPTIONS, **BAD_GENERATE_OPTIONS}[case]
    before = snapshot(tmp_path)
    assert_one_error_line(run("generate", small_csv, "-o", tmp_path / "o.csv", *options), fragment)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case", list(BAD_WEIGHT_OPTIONS))
def test_weights_refuses_bad_options(case: str) -> None:
    options, fragment = BAD_WEIGHT_OPTIONS[case]
    assert_one_error_line(run("weights", *options), fragment)


def test_inspect_refuses_unknown_categorical(small_csv) -> None:
    assert_one_error_line(run("inspect", small_csv, "--categorical", "nope"), "'nope'")


@pytest.fixture
def output_cases(tmp_path: Path, small_csv: Path) -> dict[str, tuple[Path, list, str]]:
    """Outputs generate must refuse: (input, options, fragment of the message)."""
    existing = tmp_path / "existing.csv"
    existing.write_text("keep me\n")
    (tmp_path / "outdir.csv").mkdir()
    (tmp_path / "plain_file").write_text("not a folder\n")
    link = tmp_path / "link.csv"
    link.symlink_to(small_csv)
    nested = write_parquet(
        tmp_path / "nested.parquet", pa.table({"x": [1.0, 2.0], "l": [[1, 2], [3]]})
    )
    cases = {
        "unknown output suffix": (["-o", tmp_path / "o.xlsx"], "--format"),
        "no output suffix": (["-o", tmp_path / "o"], "--format"),
        "output is the input": (["-o", small_csv, "--force"], "is the input"),
        "output is the input by another path": (
            ["-o", tmp_path / "." / small_csv.name, "--force"],
            "is the input",
        ),
        "output is a link to the input": (["-o", link, "--force"], "is the input"),
        "output exists": (["-o", existing], "--force"),
        "output is a directory": (["-o", tmp_path / "outdir.csv", "--force"], "directory"),
        "output folder missing": (["-o", tmp_path / "nowhere" / "o.csv"], "does not exist"),
        "output folder is a file": (["-o", tmp_path / "plain_file" / "o.csv"], "not a folder"),
        "out-dir is a file": (["--out-dir", tmp_path / "plain_file"], "--out-dir"),
        "no output at all": ([], "-o"),
        "bad report beside a new out-dir": (
            ["--out-dir", tmp_path / "new" / "runs", "--report", tmp_path / "r.xyz"],
            "report",
        ),
    }
    refused = {case: (small_csv, *args) for case, args in cases.items()}
    refused["nested column to csv"] = (nested, ["-o", tmp_path / "o.csv"], "CSV cannot hold")
    return refused


@pytest.mark.parametrize(
    "case",
    [
        "unknown output suffix",
        "no output suffix",
        "output is the input",
        "output is the input by another path",
        "output is a link to the input",
        "output exists",
        "output is a directory",
        "output folder missing",
        "output folder is a file",
        "out-dir is a file",
        "no output at all",
        "bad report beside a new out-dir",
        "nested column to csv",
    ],
)
def test_bad_outputs_are_refused_and_nothing_changes(
    tmp_path, small_csv, output_cases, case: str
) -> None:
    source, options, fragment = output_cases[case]
    before = snapshot(tmp_path)
    assert_one_error_line(run("generate", source, *options), fragment)
    assert snapshot(tmp_path) == before
