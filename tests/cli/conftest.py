"""What the command-line tests share: in-process runs, snapshots of a folder to prove
nothing changed, the one-error-line check, and the odd files the hostile tests feed in."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mixsynth.cli import app

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


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


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
    cases["directory"] = (
        d / "folder.csv",
        "folder",
    )  # a folder is a folder of tables (multi-table)
    (d / "folder").mkdir()
    cases["directory without suffix"] = (d / "folder", "folder")
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


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    source = tmp_path / "small.csv"
    rows = "\n".join(f"{i * 0.5},{i % 3},{'xyz'[i % 3]}" for i in range(30))
    source.write_text(f"x,k,g\n{rows}\n")
    return source
