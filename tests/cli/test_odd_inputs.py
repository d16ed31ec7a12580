"""Odd but valid inputs give a correct table (hostile inputs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mixsynth.cli import app
from mixsynth.io import read_table
from tests.cli.conftest import (
    assert_one_error_line,
    run,
    write_csv,
    write_parquet,
)
from tests.conftest import assert_values_from_source

# --------------------------------------------------------------------------- odd but valid


def read_back(path: Path) -> pd.DataFrame:
    """The file as mixsynth reads it (the same reader for input and output)."""
    return read_table(str(path)).frame


def generate_ok(source: Path, out: Path, *options: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run generate, check the success contract, return (input, output) as read back."""
    before = source.read_bytes()
    result = run("generate", source, "-o", out, "--seed", 11, *options)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert source.read_bytes() == before
    real, synth = read_back(source), read_back(out)
    assert list(synth.columns) == list(real.columns)
    assert list(synth.dtypes) == list(real.dtypes)
    assert read_table(str(out)).arrow_schema.types == read_table(str(source)).arrow_schema.types
    assert_values_from_source(real, synth)
    for name in real.columns:
        if real[name].notna().all():
            assert synth[name].notna().all(), name
    return real, synth


def valid_cases(d: Path) -> dict[str, tuple[Path, Callable[[pd.DataFrame, pd.DataFrame], None]]]:
    """Odd inputs that must simply work, each with a check of its own."""
    cases: dict = {}

    def add(name: str, filename: str, content: bytes | str, check) -> None:
        path = d / filename
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        cases[name] = (path, check)

    def check_bom(real, synth):
        assert list(synth.columns) == ["a", "b"]

    add("utf-8 bom", "bom.csv", b"\xef\xbb\xbfa,b\n1.5,x\n2.5,y\n3.5,x\n", check_bom)

    def check_one_row(real, synth):
        assert len(synth) == 1 and synth.iloc[0].tolist() == real.iloc[0].tolist()

    add("header and one row", "one_row.csv", "a,b,c\n1.5,7,x\n", check_one_row)

    def check_one_column(real, synth):
        assert len(synth) == len(real) and synth["v"].between(-100, 200).all()

    add(
        "one column",
        "one_col.csv",
        "v\n" + "\n".join(str(i) for i in range(20)) + "\n",
        check_one_column,
    )

    def check_non_numeric(real, synth):
        # Values come from the real rows; every real combination here is held by one row,
        # so none is handed over whole (docs/privacy.md, "No self-pairs, no copies").
        for name in real.columns:
            assert set(synth[name]) <= set(real[name])
        assert not set(map(tuple, synth.to_numpy())) & set(map(tuple, real.to_numpy()))

    add("all non-numeric", "text.csv", "a,b\nx,p\ny,q\nz,r\nx,q\n", check_non_numeric)

    def check_constant(real, synth):
        assert (synth["c"] == 5).all() and (synth["f"] == 2.5).all()

    rows = "\n".join(f"5,2.5,{i},{i * 0.1}" for i in range(40))
    add("constant columns", "constant.csv", f"c,f,i,x\n{rows}\n", check_constant)

    def check_all_missing(real, synth):
        assert synth["m"].isna().all() and synth["x"].notna().all()

    rows = "\n".join(f",{i * 0.5}" for i in range(20))
    add("entirely missing column", "missing.csv", f"m,x\n{rows}\n", check_all_missing)

    def check_names(real, synth):
        assert list(synth.columns) == ["", "é b", " ", "名前", "😀"]

    rows = "\n".join(f"{i},{i * 2},{i % 2},n{i},{i}.5" for i in range(10))
    add("blank and unicode names", "names.csv", f",é b, ,名前,😀\n{rows}\n", check_names)

    wide = 3000
    header = ",".join(f"c{i}" for i in range(wide))
    rows = "\n".join(",".join(f"{(r * wide + i) % 97}.25" for i in range(wide)) for r in range(4))
    add("very long lines", "wide.csv", f"{header}\n{rows}\n", lambda real, synth: None)

    def check_long_cell(real, synth):
        assert set(synth["t"]) <= set(real["t"])

    long_cell = "t,v\n" + "".join(f'"{"x" * 1_500_000}{r}",{r}\n' for r in range(3))
    add("cell longer than a read block", "long_cell.csv", long_cell, check_long_cell)

    def check_quoted(real, synth):
        assert set(synth["t"]) <= {"hello, world", "line1\nline2", 'say "hi"', "a,\nb"}

    add(
        "quoted commas and newlines",
        "quoted.csv",
        'v,t\n1,"hello, world"\n2,"line1\nline2"\n3,"say ""hi"""\n4,"a,\nb"\n',
        check_quoted,
    )

    def check_no_nan(real, synth):
        # Overflow and inf - inf fall back to a donor's value: never NaN (nor new inf,
        # which generate_ok checks for the column without inf).
        assert synth["a"].notna().all()

    add(
        "inf and -inf",
        "inf.csv",
        "a,b\ninf,1\n-inf,2\n1.5,3\n-2.5,4\ninf,5\n0,7\n",
        check_no_nan,
    )
    add(
        "huge and tiny floats",
        "extreme.csv",
        "a,b\n1e308,1\n-1e308,2\n1.7976931348623157e308,3\n1e-308,4\n-5e-324,5\n0,6\n",
        check_no_nan,
    )

    def check_nul(real, synth):
        assert set(synth["t"]) <= {"x\x00y", "z", "w"}

    add("NUL inside a text value", "nul.csv", b"v,t\n1.5,x\x00y\n2.5,z\n3.5,w\n", check_nul)

    def check_mixed(real, synth):
        assert real["a"].dtype.kind == "f"  # 'n/a' is a missing value, the rest numbers
        assert synth["a"].isna().sum() == real["a"].isna().sum()
        assert set(synth["b"]) <= {"12", "abc", "3.5"}

    add("mixed-type columns", "mixed.csv", "a,b\n12,12\nn/a,abc\n3.5,3.5\n7,12\n", check_mixed)

    def check_thousands(real, synth):
        assert set(synth["a"]) <= {"1,234", "12,345", "1,000,000"}

    add(
        "thousands separators",
        "thousands.csv",
        'a,b\n"1,234",1.5\n"12,345",2.5\n"1,000,000",3.5\n',
        check_thousands,
    )

    def check_big_integers(real, synth):
        # Kept digit for digit (float64 would turn them into 1e+20).
        source = {"99999999999999999999", "-99999999999999999999", "18446744073709551615", "1"}
        assert set(real["big"]) == source
        assert set(synth["big"]) <= source

    add(
        "integers beyond int64",
        "bigint.csv",
        "big,v\n99999999999999999999,1\n-99999999999999999999,2\n18446744073709551615,3\n1,4\n",
        check_big_integers,
    )
    return cases


VALID_CASES = [
    "utf-8 bom",
    "header and one row",
    "one column",
    "all non-numeric",
    "constant columns",
    "entirely missing column",
    "blank and unicode names",
    "very long lines",
    "cell longer than a read block",
    "quoted commas and newlines",
    "inf and -inf",
    "huge and tiny floats",
    "mixed-type columns",
    "thousands separators",
    "integers beyond int64",
    "NUL inside a text value",
]


@pytest.mark.parametrize("case", VALID_CASES)
def test_odd_but_valid_inputs_work(tmp_path, case: str) -> None:
    source, check = valid_cases(tmp_path)[case]
    # A CSV holds no types: a sample of the text column "12, abc, 3.5, 12" without its one
    # word reads back as numbers. Parquet keeps the type the input was read with.
    out = tmp_path / ("out.parquet" if case == "mixed-type columns" else "out.csv")
    real, synth = generate_ok(source, out, "-g", 2)
    check(real, synth)
    assert len(synth) == len(real)


@pytest.mark.parametrize("columns", [1, 3])
def test_quoted_newlines_across_read_blocks_are_read_exactly(tmp_path, columns: int) -> None:
    """The CSV reader tries pyarrow's fast path (no newlines inside values) first; a
    quoted newline on a block boundary (1 MiB) must make it read again the slow way,
    never split a row. Judged against Python's csv module on a file of several blocks."""
    import csv as python_csv

    from mixsynth.io import read_arrow

    rng = np.random.default_rng(3)
    rows = [
        [f"line {r}\n{'x' * int(rng.integers(0, 90))}\nend", str(r), f"{r / 7:.4f}"][:columns]
        for r in range(40_000)
    ]
    path = tmp_path / "multiline.csv"
    with open(path, "w", newline="") as handle:
        writer = python_csv.writer(handle, quoting=python_csv.QUOTE_NONNUMERIC)
        writer.writerow(["text", "n", "x"][:columns])
        writer.writerows(rows)
    assert path.stat().st_size > 2 * 2**20  # at least two block boundaries
    table = read_arrow(str(path)).table
    assert table.num_rows == len(rows)
    assert table.column("text").to_pylist() == [row[0] for row in rows]


@pytest.mark.parametrize("bounds", ["clip", "reflect"])
def test_bounds_near_the_float_limits_never_make_nan(tmp_path, bounds: str) -> None:
    """A range of about 1e308: reflecting (mod twice the width) overflows there, so such
    values are clipped instead; small values mixed below the minimum are reflected."""
    values = [1e308, *np.linspace(-12.5, 12.5, 39)]
    source = write_csv(tmp_path / "wide.csv", "a\n" + "\n".join(map(str, values)) + "\n")
    for seed in range(3):
        out = tmp_path / f"out{seed}.csv"
        real, synth = generate_ok(source, out, "--bounds", bounds, "--seed", seed, "-g", 3)
        assert synth["a"].notna().all() and np.isfinite(synth["a"]).all()
        assert synth["a"].between(real["a"].min(), real["a"].max()).all()


@pytest.mark.parametrize("case", VALID_CASES)
def test_inspect_shows_odd_but_valid_inputs(tmp_path, case: str) -> None:
    source, _ = valid_cases(tmp_path)[case]
    result = run("inspect", source, "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    real = read_back(source)
    assert [c["name"] for c in shown["columns"]] == [str(c) for c in real.columns]
    assert shown["rows"] == len(real)


@pytest.mark.parametrize("case", ["utf-8 bom", "integers beyond int64", "blank and unicode names"])
def test_odd_inputs_to_parquet(tmp_path, case: str) -> None:
    source, check = valid_cases(tmp_path)[case]
    out = tmp_path / "out.parquet"
    assert run("generate", source, "-o", out, "--seed", 3).exit_code == 0
    real, synth = read_back(source), read_back(out)
    assert list(synth.columns) == list(real.columns)
    check(real, synth)


def test_integers_at_the_int64_ends_stay_representable(tmp_path) -> None:
    """float64 rounds 2**63 - 1 up to 2**63: the output must still be valid int64."""
    ends = [-(2**63), 2**63 - 1, 0, None, 12]
    source = write_parquet(tmp_path / "ends.parquet", pa.table({"i": pa.array(ends, pa.int64())}))
    for out in (tmp_path / "o.parquet", tmp_path / "o.csv"):
        result = run("generate", source, "-o", out, "--seed", 2, "-g", 3)
        assert result.exit_code == 0, result.stderr
        values = read_table(str(out)).frame["i"]
        assert str(values.dtype) == "Int64" and values.isna().sum() == 1


def test_nested_parquet_columns_are_copied_and_inspected(tmp_path) -> None:
    lists = [[1], [2, 3], [], None, [4]]
    structs = [{"k": 1}, {"k": 2}, None, {"k": 3}, {"k": 1}]
    table = pa.table({"x": [0.5, 1.5, 2.5, 3.5, 4.5], "l": lists, "s": structs})
    source = write_parquet(tmp_path / "nested.parquet", table)
    shown = run("inspect", source, "--json")
    assert shown.exit_code == 0, shown.stderr
    assert [c["distinct"] for c in json.loads(shown.stdout)["columns"]] == [5, 4, 3]
    out = tmp_path / "out.parquet"
    result = run("generate", source, "-o", out, "--seed", 2, "-g", 2)
    assert result.exit_code == 0, result.stderr
    synth = pq.read_table(out)
    assert synth.schema.types == table.schema.types
    assert {str(v) for v in synth.column("l").to_pylist()} <= {str(v) for v in lists}
    assert {str(v) for v in synth.column("s").to_pylist()} <= {str(v) for v in structs}


def test_parquet_written_by_pandas_keeps_its_index_column(tmp_path) -> None:
    source = tmp_path / "indexed.parquet"
    pd.DataFrame({"x": [1.0, 2.0, 4.0]}, index=pd.Index(["r1", "r2", "r3"], name="id")).to_parquet(
        source
    )
    result = run("generate", source, "-o", tmp_path / "o.csv", "--seed", 1)
    assert result.exit_code == 0, result.stderr
    synth = pd.read_csv(tmp_path / "o.csv")
    assert sorted(synth.columns) == ["id", "x"]
    # An index named id is a key: fresh values of its shape, never the real ones.
    assert synth["id"].str.fullmatch(r"r\d").all() and set(synth["id"]).isdisjoint(
        {"r1", "r2", "r3"}
    )


def test_single_row_groups_are_copied_and_said(tmp_path) -> None:
    source = tmp_path / "groups.csv"
    rows = "\n".join(f"many,{i * 1.5}" for i in range(20))
    source.write_text(f"g,v\n{rows}\nlonely,1000.0\n")
    result = run("generate", source, "-o", tmp_path / "o.csv", "--by", "g", "--seed", 4)
    assert result.exit_code == 0, result.stderr
    assert "single row" in result.stderr and "copies" in result.stderr
    synth = pd.read_csv(tmp_path / "o.csv")
    assert synth.loc[synth["g"] == "lonely", "v"].tolist() == [1000.0]
    assert (synth["g"] == "many").sum() == 20


def test_stdin_problems_are_clean(tmp_path) -> None:
    assert_one_error_line(
        CliRunner().invoke(app, ["generate", "-", "-o", str(tmp_path / "o.csv")], input=b""),
        "stdin is empty",
    )
    garbage = b"PAR1" + b"\x00" * 50
    result = CliRunner().invoke(app, ["inspect", "-"], input=garbage)
    assert_one_error_line(result, "Parquet")
    assert not (tmp_path / "o.csv").exists()
