"""compare against bad, odd and extreme tables (hostile inputs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pytest

from tests.cli.conftest import (
    assert_one_error_line,
    run,
    snapshot,
    write_csv,
    write_parquet,
)
from tests.cli.test_odd_inputs import VALID_CASES, read_back, valid_cases

# --------------------------------------------------------------------------- compare


@pytest.mark.parametrize("side", ["real", "synthetic"])
@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "directory",
        "unknown suffix",
        "csv named parquet",
        "parquet named csv",
        "truncated parquet",
        "binary garbage",
        "latin-1",
        "utf-16",
        "empty csv",
        "header only",
        "duplicate names csv",
        "ragged row",
    ],
)
def test_compare_refuses_bad_files(tmp_path, bad_files, small_csv, case: str, side: str) -> None:
    bad, fragment = bad_files[case]
    pair = [bad, small_csv] if side == "real" else [small_csv, bad]
    before = snapshot(tmp_path)
    assert_one_error_line(run("compare", *pair, "--json", tmp_path / "r.json"), fragment)
    assert snapshot(tmp_path) == before


def compare_json(tmp_path: Path, real: Path, synthetic: Path, *options: object) -> dict:
    out = tmp_path / "report.json"
    out.unlink(missing_ok=True)
    result = run("compare", real, synthetic, "--json", out, "-q", *options)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(out.read_text())


def test_compare_reports_schema_differences_and_compares_the_rest(tmp_path) -> None:
    real = write_csv(tmp_path / "real.csv", "a,b,c,k\n1,2.5,x,1\n2,3.5,y,2\n3,4.5,x,3\n")
    synth = write_csv(tmp_path / "synth.csv", "a,b,d,k\n1.5,2,x,u\n2.5,3,y,v\n3.5,4,x,w\n")
    schema = compare_json(tmp_path, real, synth)["schema"]
    assert schema["only_in_real"] == ["c"] and schema["only_in_synthetic"] == ["d"]
    assert [e["column"] for e in schema["incompatible"]] == ["k"]  # numbers vs text
    assert {e["column"] for e in schema["dtype_differences"]} == {"a", "b"}  # int vs float


@pytest.mark.parametrize(
    ("real_text", "synthetic_text"),
    [
        ("a,b\n1,2\n3,4\n", "x,y\n1,2\n3,4\n"),  # no shared name
        ("a,b\n1,2\n3,4\n", "a,b\nu,v\nw,z\n"),  # shared names, numbers against text
    ],
)
def test_compare_exits_2_only_when_nothing_is_comparable(
    tmp_path, real_text: str, synthetic_text: str
) -> None:
    real = write_csv(tmp_path / "real.csv", real_text)
    synth = write_csv(tmp_path / "synth.csv", synthetic_text)
    before = snapshot(tmp_path)
    line = assert_one_error_line(
        run("compare", real, synth, "--json", tmp_path / "r.json"), "no column in common"
    )
    assert "a, b" in line  # says which columns there were
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--target", "nope"], "--target column 'nope'"),
        (["--sample-rows", "0"], "--sample-rows"),
        (["--max-variance-drift", "-1"], "--max-variance-drift"),
        (["--min-overall-score", "1.5"], "--min-overall-score"),
        (["--max-exact-copy-share", "nan"], "--max-exact-copy-share"),
        (["--max-correlation-diff", "-0.1"], "--max-correlation-diff"),
        (["--json", "-", "--markdown", "-"], "stdout"),
        (["--seed", "-3"], "--seed"),
    ],
)
def test_compare_refuses_bad_options(
    tmp_path, small_csv, options: list[str], fragment: str
) -> None:
    before = snapshot(tmp_path)
    assert_one_error_line(run("compare", small_csv, small_csv, *options), fragment)
    assert snapshot(tmp_path) == before


def test_compare_refuses_to_overwrite(tmp_path, small_csv) -> None:
    existing = write_csv(tmp_path / "r.json", "{}")
    before = snapshot(tmp_path)
    assert_one_error_line(run("compare", small_csv, small_csv, "--json", existing), "--force")
    assert_one_error_line(
        run("compare", small_csv, small_csv, "--json", small_csv, "--force"), "is the input"
    )
    assert_one_error_line(run("compare", "-", "-"), "stdin")
    assert snapshot(tmp_path) == before


#: The extremes have a test of their own below (test_compare_handles_extreme_values).
EXTREME_CASES = ["inf and -inf", "huge and tiny floats"]
#: 3000 columns make 4.5 million column pairs: compare takes about 3 minutes on them,
#: too long for the suite (a known cost of compare on very wide tables).
WIDE_CASES = ["very long lines"]


@pytest.mark.parametrize(
    "case", [c for c in VALID_CASES if c not in EXTREME_CASES and c not in WIDE_CASES]
)
def test_compare_handles_odd_but_valid_tables(tmp_path, case: str) -> None:
    source, _ = valid_cases(tmp_path)[case]
    report = compare_json(tmp_path, source, source)
    real = read_back(source)
    assert set(report["columns"]) == {str(c) for c in real.columns}
    assert report["rows"] == {"real": len(real), "synthetic": len(real)}


@pytest.mark.parametrize("case", [*EXTREME_CASES, "nested column"])
def test_compare_handles_extreme_values(tmp_path, case: str) -> None:
    if case == "nested column":
        source = write_parquet(
            tmp_path / "nested.parquet", pa.table({"x": [1.0, 2.0, 3.0], "l": [[1], [2, 3], []]})
        )
    else:
        source, _ = valid_cases(tmp_path)[case]
    report = compare_json(tmp_path, source, source)
    assert set(report["columns"]) == {str(c) for c in read_back(source).columns}


@pytest.mark.parametrize("late", ["2.5", "", "text"])
def test_a_csv_column_whose_type_changes_after_the_first_block_is_read_whole(
    tmp_path: Path, late: str
) -> None:
    """The streaming reader fixes types on its first block (1 MiB); a later value that
    does not fit (a decimal, a gap, a word) must not fail the read nor be lost: the
    whole file is typed as pandas and read_csv would type it."""
    from mixsynth.io import read_arrow

    rows = 200_000  # about 2 MiB: the odd value sits in a later block
    path = tmp_path / "late.csv"
    path.write_text("n,k\n" + "".join(f"{i},{i % 7}\n" for i in range(rows)) + f"{late},1\n")
    table = read_arrow(str(path)).table
    expected = pyarrow.csv.read_csv(path)
    assert table.num_rows == rows + 1
    assert table.schema == expected.schema
    assert table.column("n").to_pylist()[-3:] == expected.column("n").to_pylist()[-3:]


def test_a_wide_csv_is_read_in_few_chunks(tmp_path: Path) -> None:
    """Wide rows are long: blocks grow with the columns, so 1,000 columns are not cut
    into a chunk per 55 rows (every chunk of every column costs memory and time)."""
    from mixsynth.io import read_arrow

    table = pa.table({f"c{j}": np.arange(5_000, dtype=np.float64) / 7 for j in range(1_000)})
    path = tmp_path / "wide.csv"
    pyarrow.csv.write_csv(table, path)
    read = read_arrow(str(path)).table
    assert read.equals(pyarrow.csv.read_csv(path))
    assert read.column(0).num_chunks <= path.stat().st_size / (4 << 20) + 1
