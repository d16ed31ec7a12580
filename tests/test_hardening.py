"""Hardening (issue 5): every bad input gets one clear line, nothing is lost or half-written.

Every odd file is built in ``tmp_path`` by the tests. A bad input must exit with status
2, print exactly one ``Error:`` line on stderr, no traceback, and leave every file as it
was; an odd but valid input must give a correct table.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import io
import json
import lzma
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile
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

from .conftest import assert_values_from_source

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(*args: object):
    """``mixsynth ARGS`` in-process."""
    return CliRunner().invoke(app, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``: to prove nothing changed."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
        if not p.is_file() or os.access(p, os.R_OK)
    }


def assert_one_error_line(result, fragment: str) -> str:
    """Exit 2, exactly one non-empty stderr line starting 'Error:', no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert fragment in lines[0], lines[0]
    return lines[0]


def assert_no_temporary_files(folder: Path) -> None:
    assert not list(folder.rglob(".*.tmp")), list(folder.rglob(".*.tmp"))


# --------------------------------------------------------------------------- bad files


def write_parquet(path: Path, table: pa.Table) -> Path:
    pq.write_table(table, path)
    return path


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Broken or unreadable inputs, each with a fragment its error line must contain."""
    d = tmp_path / "in"
    d.mkdir()
    good = write_parquet(d / "good.parquet", pa.table({"x": [1.5, 2.5, 3.5], "s": list("abc")}))
    cases: dict[str, tuple[Path, str]] = {}

    def add(name: str, filename: str, content: bytes, fragment: str) -> None:
        (d / filename).write_bytes(content)
        cases[name] = (d / filename, fragment)

    cases["missing"] = (d / "missing.csv", "does not exist")
    (d / "folder.csv").mkdir()
    cases["directory"] = (d / "folder.csv", "directory")
    (d / "folder").mkdir()
    cases["directory without suffix"] = (d / "folder", "directory")
    add("unknown suffix", "table.txt", b"a,b\n1,2\n", "--input-format")
    add("csv named parquet", "fake.parquet", b"a,b\n1,2\n", "--input-format csv")
    add("parquet named csv", "fake.csv", good.read_bytes(), "--input-format parquet")
    add("truncated parquet", "truncated.parquet", good.read_bytes()[:60], "truncated")
    add("parquet without footer", "cut.parquet", good.read_bytes()[:-8], "Parquet")
    garbage = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    add("binary garbage", "garbage.csv", garbage, "binary")
    add("garbage named parquet", "garbage.parquet", garbage, "not a Parquet file")
    add("latin-1", "latin1.csv", "name,v\nabc,1\ncafé,2\n".encode("latin-1"), "line 3")
    add("latin-1 header", "latin1_header.csv", "café,v\n1,2\n".encode("latin-1"), "line 1")
    add("latin-1 header after blank lines", "blank_first.csv", b"\n\r\ncaf\xe9,v\n1,2\n", "line 3")
    add("utf-16", "utf16.csv", "a,b\n1,2\n".encode("utf-16"), "--encoding utf-16")
    add("utf-16 without bom", "utf16le.csv", "a,b\n1,2\n".encode("utf-16-le"), "utf-16")
    add("empty csv", "empty.csv", b"", "empty")
    add("empty parquet", "empty.parquet", b"", "empty")
    add("whitespace only", "blank.csv", b"\n\n\n", "empty")
    add("header only", "header.csv", b"a,b\n", "no rows")
    cases["parquet without rows"] = (
        write_parquet(d / "norows.parquet", pa.table({"a": pa.array([], pa.float64())})),
        "no rows",
    )
    add("duplicate names csv", "dup.csv", b"a,b,a\n1,2,3\n4,5,6\n", "duplicate column names: 'a'")
    cases["duplicate names parquet"] = (
        write_parquet(
            d / "dup.parquet",
            pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["x", "x"]),
        ),
        "duplicate column names: 'x'",
    )
    add("ragged row", "ragged.csv", b"a,b\n1,2\n3,4,5\n6,7\n", "line 3")
    text = b"a,b\n1,2\n3,4\n"
    add("gzip", "table.csv.gz", gzip.compress(text), "gunzip")
    add("bzip2", "table.csv.bz2", bz2.compress(text), "bunzip2")
    add("xz", "table.csv.xz", lzma.compress(text), "unxz")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("sheet.xml", text)
    add("zip archive named csv", "book.csv", archive.getvalue(), "zip archive")
    return cases


BAD_FILE_CASES = [
    "missing",
    "directory",
    "directory without suffix",
    "unknown suffix",
    "csv named parquet",
    "parquet named csv",
    "truncated parquet",
    "parquet without footer",
    "binary garbage",
    "garbage named parquet",
    "latin-1",
    "latin-1 header",
    "latin-1 header after blank lines",
    "utf-16",
    "utf-16 without bom",
    "empty csv",
    "empty parquet",
    "whitespace only",
    "header only",
    "parquet without rows",
    "duplicate names csv",
    "duplicate names parquet",
    "ragged row",
    "gzip",
    "bzip2",
    "xz",
    "zip archive named csv",
]


@pytest.mark.parametrize("command", ["generate", "inspect"])
@pytest.mark.parametrize("case", BAD_FILE_CASES)
def test_bad_files_get_one_clear_line(tmp_path, bad_files, case: str, command: str) -> None:
    source, fragment = bad_files[case]
    before = snapshot(tmp_path)
    args = [command, source] + (["-o", tmp_path / "out.csv"] if command == "generate" else [])
    assert_one_error_line(run(*args), fragment)
    assert snapshot(tmp_path) == before


def test_names_from_the_data_cannot_break_the_line(tmp_path) -> None:
    """A column name holding a newline or a terminal escape is escaped in messages."""
    source = tmp_path / "names.csv"
    source.write_bytes(b'"two\nlines","\x1b[31mred",v\n1,2,3\n4,5,6\n')
    line = assert_one_error_line(
        run("generate", source, "-o", tmp_path / "o.csv", "--by", "nope"), "--by column"
    )
    assert line.isprintable() and "two\\nlines" in line and "\\x1b[31mred" in line


def test_non_utf8_message_offers_an_encoding_that_works(tmp_path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes("name,v\ncafé,1\nnaïve,2\n".encode("latin-1"))
    line = assert_one_error_line(run("generate", source, "-o", tmp_path / "o.csv"), "UTF-8")
    assert "--encoding latin-1" in line
    result = run("generate", source, "-o", tmp_path / "o.csv", "--encoding", "latin-1")
    assert result.exit_code == 0, result.stderr
    assert set(pd.read_csv(tmp_path / "o.csv")["name"]) <= {"café", "naïve"}


def test_input_from_a_pipe_is_read_once(tmp_path) -> None:
    """bash's <(...) gives a pipe: it can be read only once, in order."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    feeder = threading.Thread(
        target=pipe.write_bytes, args=(b"x,y\n1.5,a\n2.5,b\n3.5,a\n",), daemon=True
    )
    feeder.start()
    result = run("generate", pipe, "--input-format", "csv", "-o", tmp_path / "o.csv", "--seed", 1)
    feeder.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert list(pd.read_csv(tmp_path / "o.csv").columns) == ["x", "y"]


@pytest.mark.parametrize(
    ("command", "start"),
    [
        (["generate", "{src}", "--seed", "1", "-o", "{out}"], b'"x","k","g"\n'),
        (["compare", "{src}", "{src}", "-q", "--json", "{out}"], b"{"),
    ],
)
def test_output_to_a_pipe_is_written_into_it(
    tmp_path, small_csv, command: list[str], start: bytes
) -> None:
    """-o /dev/stdout, /dev/null or a FIFO: renaming a file over it would replace the
    device (tested with a FIFO, which a failure cannot harm)."""
    pipe = tmp_path / "out.csv"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    result = run(*(a.format(src=small_csv, out=pipe) for a in command))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)  # still the pipe, not a file
    assert received and received[0].startswith(start)
    assert_no_temporary_files(tmp_path)


@pytest.mark.parametrize("command", ["inspect", "generate", "compare"])
def test_another_delimiter_is_pointed_out_once_and_never_beside_an_error(
    tmp_path, command: str
) -> None:
    source = write_csv(tmp_path / "semicolons.csv", "a;b\n1;2\n3;4\n")
    args = {
        "inspect": ["inspect", source],
        "generate": ["generate", source, "-o", tmp_path / "o.csv", "--seed", 1, "--force"],
        "compare": ["compare", source, source, "-q"],
    }[command]
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("wrote ")]
    assert len(lines) == 1 and lines[0].startswith("Warning:") and "semicolons" in lines[0]
    # After an error, the error is the only line.
    assert_one_error_line(run(*args, "--categorical", "nope"), "'nope'")


def test_unknown_encoding(tmp_path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("a\n1\n")
    for command in ("inspect", "generate"):
        args = [command, source, "--encoding", "klingon"]
        args += ["-o", tmp_path / "o.csv"] if command == "generate" else []
        assert_one_error_line(run(*args), "unknown encoding 'klingon'")
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their permissions")
def test_unreadable_input(tmp_path) -> None:
    source = tmp_path / "secret.csv"
    source.write_text("a,b\n1,2\n")
    source.chmod(0)
    try:
        for command in ("generate", "inspect"):
            args = [command, source] + (["-o", tmp_path / "o.csv"] if command == "generate" else [])
            assert_one_error_line(run(*args), "not readable")
        assert not (tmp_path / "o.csv").exists()
    finally:
        source.chmod(0o644)


@pytest.mark.skipif(IS_ROOT, reason="root writes anywhere")
def test_unwritable_output_folder(tmp_path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("a,b\n1,2\n3,4\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert_one_error_line(run("generate", source, "-o", locked / "o.csv"), "permissions")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


# --------------------------------------------------------------------------- bad options


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    source = tmp_path / "small.csv"
    rows = "\n".join(f"{i * 0.5},{i % 3},{'xyz'[i % 3]}" for i in range(30))
    source.write_text(f"x,k,g\n{rows}\n")
    return source


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
        # Donor rows are resampled whole: every synthetic row is a source row.
        assert set(map(tuple, synth.to_numpy())) <= set(map(tuple, real.to_numpy()))

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
    real, synth = generate_ok(source, tmp_path / "out.csv", "-g", 2)
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


# --------------------------------------------------------------------------- nothing lost


def make_writer_fail(monkeypatch, module, name: str, after_calls: int, error: BaseException):
    """Make ``module.name`` (a writer function, or a writer class's method) write half a
    file where it can and raise on call number ``after_calls + 1``."""
    real = getattr(module, name)
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= after_calls:
            return real(*args, **kwargs)
        where = args[1]  # write_csv(table, where) or ParquetWriter.write_table(self, table)
        if hasattr(where, "write"):
            where.write(b"half a file")
        elif isinstance(where, (str, Path)):
            Path(where).write_bytes(b"half a file")
        raise error

    monkeypatch.setattr(module, name, failing)
    return calls


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_failing_writer_leaves_the_previous_file_intact(
    tmp_path, small_csv, monkeypatch, suffix: str
) -> None:
    out = tmp_path / f"out{suffix}"
    out.write_bytes(b"previous result\n")
    module, name = (pa.csv, "write_csv") if suffix == ".csv" else (pq.ParquetWriter, "write_table")
    make_writer_fail(monkeypatch, module, name, 0, OSError(errno.ENOSPC, "No space left on device"))
    line = assert_one_error_line(
        run("generate", small_csv, "-o", out, "--force", "--seed", 1), "No space left"
    )
    assert "unchanged" in line
    assert out.read_bytes() == b"previous result\n"
    assert_no_temporary_files(tmp_path)


def test_an_arrow_error_while_writing_is_clean(tmp_path, small_csv, monkeypatch) -> None:
    make_writer_fail(monkeypatch, pa.csv, "write_csv", 0, pa.ArrowInvalid("boom"))
    assert_one_error_line(run("generate", small_csv, "-o", tmp_path / "o.csv"), "cannot write")
    assert not (tmp_path / "o.csv").exists()
    assert_no_temporary_files(tmp_path)


def test_outputs_get_the_usual_permissions_not_the_temporary_files_0600(
    tmp_path, small_csv
) -> None:
    previous = os.umask(0o027)
    try:
        result = run("generate", small_csv, "-o", tmp_path / "o.csv", "--out-dir", tmp_path / "d")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.stderr
    for path in (
        tmp_path / "o.csv",
        tmp_path / "d" / "gen-001.csv",
        tmp_path / "d" / "mixsynth-run.json",
    ):
        assert path.stat().st_mode & 0o777 == 0o640, path


def test_running_out_of_memory_is_one_line(tmp_path, small_csv, monkeypatch) -> None:
    import mixsynth.jobs.generate

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(mixsynth.jobs.generate, "GenerationStream", exhausted)
    assert_one_error_line(run("generate", small_csv, "-o", tmp_path / "o.csv"), "out of memory")
    assert not (tmp_path / "o.csv").exists()


def test_no_permission_for_the_temporary_file(tmp_path, small_csv, monkeypatch) -> None:
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    assert_one_error_line(run("generate", small_csv, "-o", tmp_path / "o.csv"), "permissions")
    assert not (tmp_path / "o.csv").exists()


def test_ctrl_c_while_writing_exits_130_and_keeps_the_previous_file(
    tmp_path, small_csv, monkeypatch
) -> None:
    out = tmp_path / "out.csv"
    out.write_bytes(b"previous\n")
    make_writer_fail(monkeypatch, pa.csv, "write_csv", 0, KeyboardInterrupt())
    result = run("generate", small_csv, "-o", out, "--force", "--seed", 1)
    assert result.exit_code == 130
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Interrupted:"), result.stderr
    assert out.read_bytes() == b"previous\n"
    assert_no_temporary_files(tmp_path)


def generate_into(folder: Path, source: Path, *options: object):
    return run("generate", source, "--out-dir", folder, "--seed", 5, *options)


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("gen-*"))}


def test_a_run_that_fails_half_way_says_how_far_it_got_and_resumes_identically(
    tmp_path, small_csv, monkeypatch
) -> None:
    straight = tmp_path / "straight"
    assert generate_into(straight, small_csv, "-g", 5).exit_code == 0
    broken = tmp_path / "broken"
    with monkeypatch.context() as patch:
        make_writer_fail(patch, pa.csv, "write_csv", 2, OSError(errno.ENOSPC, "No space left"))
        line = assert_one_error_line(generate_into(broken, small_csv, "-g", 5), "No space left")
    assert "stopped after generation 2 of 5" in line and "--resume" in line
    assert sorted(folder_bytes(broken)) == ["gen-001.csv", "gen-002.csv"]
    assert_no_temporary_files(broken)
    result = run("generate", small_csv, "--out-dir", broken, "-g", 5, "--resume")
    assert result.exit_code == 0, result.stderr
    assert folder_bytes(broken) == folder_bytes(straight)


@pytest.mark.parametrize(
    ("suffix", "output_format"),
    [(".csv", "csv"), (".parquet", "parquet"), (".parquet", "csv")],
)
def test_resume_gives_the_same_bytes_as_an_uninterrupted_run(
    tmp_path, suffix: str, output_format: str
) -> None:
    """Resuming re-reads the last file; that must give back exactly the frame in memory
    (empty strings vs missing, categories, nullable booleans, time zones included)."""
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "n": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 50, n)), "Int64"),
            "c": rng.choice(["a", "b", "ç"], n),
            "t": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), "s"),
            "cat": pd.Categorical(rng.choice(["u", "v"], n), categories=["u", "v", "unused"]),
            "flag": pd.array(np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.5), "boolean"),
            "tz": pd.Series(pd.to_datetime(rng.integers(0, 10**9, n), unit="s")).dt.tz_localize(
                "Europe/Paris"
            ),
            "s": rng.choice(np.array(["", "word", None], dtype=object), n),
        }
    )
    source = tmp_path / f"source{suffix}"
    if suffix == ".csv":
        frame.to_csv(source, index=False)
    else:
        frame.to_parquet(source, index=False)
    a, b = tmp_path / "A", tmp_path / "B"
    fmt = ["--format", output_format]
    assert generate_into(a, source, "-g", 5, *fmt).exit_code == 0
    assert generate_into(b, source, "-g", 3, *fmt).exit_code == 0
    last = tmp_path / f"last.{output_format}"
    result = run("generate", source, "--out-dir", b, "-g", 5, "--resume", "-o", last, *fmt)
    assert result.exit_code == 0, result.stderr
    assert "resuming after generation 3 of 5" in result.stderr
    assert folder_bytes(a) == folder_bytes(b) and len(folder_bytes(a)) == 5
    assert last.read_bytes() == (a / f"gen-005.{output_format}").read_bytes()
    record = json.loads((b / "mixsynth-run.json").read_text())
    assert record["seed"] == 5 and record["completed"] == 5


def test_resume_without_seed_takes_the_recorded_seed(tmp_path, small_csv) -> None:
    a, b = tmp_path / "A", tmp_path / "B"
    first = run("generate", small_csv, "--out-dir", a, "-g", 4)  # a random seed
    assert first.exit_code == 0
    seed = json.loads((a / "mixsynth-run.json").read_text())["seed"]
    assert f"--seed {seed}" in first.stderr
    assert run("generate", small_csv, "--out-dir", b, "-g", 2, "--seed", seed).exit_code == 0
    assert run("generate", small_csv, "--out-dir", b, "-g", 4, "--resume").exit_code == 0
    assert folder_bytes(a) == folder_bytes(b)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--seed", "6"], "--seed 6 differs from the interrupted run's seed 5"),
        (["--seed", "5", "--method", "vanilla"], '--method "generalized" then, "vanilla" now'),
        (["--seed", "5", "--mix-strength", "0.3"], "--mix-strength"),
        (["--seed", "5", "--by", "g"], "--by"),
        (["--seed", "5", "--bounds", "clip"], "--bounds"),
    ],
)
def test_resume_refuses_other_seeds_and_options(
    tmp_path, small_csv, options: list[str], fragment: str
) -> None:
    folder = tmp_path / "run"
    assert generate_into(folder, small_csv, "-g", 2).exit_code == 0
    before = snapshot(tmp_path)
    result = run("generate", small_csv, "--out-dir", folder, "-g", 4, "--resume", *options)
    assert "cannot resume" in assert_one_error_line(result, fragment)
    assert snapshot(tmp_path) == before


def test_resume_refuses_a_changed_input(tmp_path, small_csv) -> None:
    folder = tmp_path / "run"
    assert generate_into(folder, small_csv, "-g", 2).exit_code == 0
    small_csv.write_text(small_csv.read_text() + "99,1,x\n")
    result = run("generate", small_csv, "--out-dir", folder, "-g", 4, "--resume")
    assert_one_error_line(result, "the input's content has changed")
    assert not (folder / "gen-003.csv").exists()


def test_resume_refuses_a_folder_without_a_record_or_with_missing_files(
    tmp_path, small_csv
) -> None:
    folder = tmp_path / "run"
    assert generate_into(folder, small_csv, "-g", 3).exit_code == 0
    (folder / "gen-002.csv").unlink()
    result = run("generate", small_csv, "--out-dir", folder, "-g", 4, "--resume")
    assert_one_error_line(result, "gen-002.csv of the interrupted run is missing")
    (folder / "mixsynth-run.json").unlink()
    result = run("generate", small_csv, "--out-dir", folder, "-g", 4, "--resume")
    assert_one_error_line(result, "has no mixsynth-run.json")


@pytest.mark.parametrize("options", [["--force"], ["--resume"]])
def test_an_out_dir_run_never_writes_over_its_input(tmp_path, options: list[str]) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    source = write_csv(folder / "gen-002.csv", "x,y\n1.5,2\n2.5,3\n4.5,1\n")
    before = snapshot(tmp_path)
    result = run("generate", source, "--out-dir", folder, "-g", 3, "--seed", 1, *options)
    assert_one_error_line(result, "is the input file")
    assert snapshot(tmp_path) == before


def test_an_existing_run_is_never_overwritten_without_force(tmp_path, small_csv) -> None:
    folder = tmp_path / "run"
    assert generate_into(folder, small_csv, "-g", 2).exit_code == 0
    before = snapshot(tmp_path)
    line = assert_one_error_line(generate_into(folder, small_csv, "-g", 2), "already exists")
    assert "--resume" in line and "--force" in line
    assert snapshot(tmp_path) == before
    assert generate_into(folder, small_csv, "-g", 2, "--force").exit_code == 0


def wait_for(condition: Callable[[], bool], process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "mixsynth finished before it could be interrupted"
        assert time.monotonic() < deadline, "mixsynth did not start in time"
        time.sleep(0.01)


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_run_exits_130_with_one_line_and_loses_nothing(
    tmp_path, signal_number: int
) -> None:
    """Ctrl-C, or SIGTERM from `timeout` or a CI runner, half-way through a long run."""
    rng = np.random.default_rng(1)
    source = tmp_path / "big.csv"
    pd.DataFrame(
        {
            "x": rng.normal(size=50_000),
            "y": rng.integers(0, 9, 50_000),
            "c": rng.choice(list("ab"), 50_000),
        }
    ).to_csv(source, index=False)
    source_bytes = source.read_bytes()
    folder, last = tmp_path / "runs", tmp_path / "last.csv"
    last.write_bytes(b"previous final table\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mixsynth",
            "generate",
            str(source),
            "--out-dir",
            str(folder),
            "-g",
            "400",
            "--seed",
            "1",
            "-o",
            str(last),
            "--force",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A shell may start background jobs with SIGINT ignored; Ctrl-C is the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_for(lambda: (folder / "gen-002.csv").exists(), process, timeout=120)
        process.send_signal(signal_number)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    lines = stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Interrupted: stopped after generation"), lines
    assert "--resume" in lines[0] and stdout == b""
    assert_no_temporary_files(tmp_path)
    assert last.read_bytes() == b"previous final table\n"
    assert source.read_bytes() == source_bytes
    files = sorted(p.name for p in folder.glob("gen-*"))
    assert files == [f"gen-{i:03d}.csv" for i in range(1, len(files) + 1)]
    # The message and the record count the files finished; Ctrl-C may land between a
    # file's rename and that count (the file is then simply made again on --resume).
    said = int(lines[0].split("stopped after generation ")[1].split(" ")[0])
    recorded = json.loads((folder / "mixsynth-run.json").read_text())["completed"]
    assert {said, recorded} <= {len(files) - 1, len(files)} and len(files) >= 2
    for name in files:  # every file that exists is complete
        assert len(pd.read_csv(folder / name)) == 50_000


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


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


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
