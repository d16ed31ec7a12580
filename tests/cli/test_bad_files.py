"""Bad input files: one clear line on stderr, exit 2, nothing written (hostile inputs)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass

import pandas as pd
import pytest

from tests.cli.conftest import (
    IS_ROOT,
    assert_no_temporary_files,
    assert_one_error_line,
    run,
    snapshot,
    write_csv,
)

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


@dataclass
class Finished:
    """A finished ``mixsynth`` process, read as the in-process runner's result."""

    exit_code: int
    stdout: str
    stderr: str
    exception: None = None


def run_bound_by_permissions(*args: object):
    """``mixsynth ARGS`` where file permissions bind: in-process for a normal user; as
    root (as CI runs), a child process without the capabilities that let root read and
    write anywhere (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), dropped by util-linux's
    setpriv, so the permission checks run for real instead of being skipped."""
    if not IS_ROOT:
        return run(*args)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("as root, needs setpriv (util-linux) to drop the override capabilities")
    drop = "--bounding-set=-dac_override,-dac_read_search"
    done = subprocess.run(
        [setpriv, drop, sys.executable, "-m", "mixsynth", *map(str, args)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
    )
    return Finished(done.returncode, done.stdout, done.stderr)


def test_unreadable_input(tmp_path) -> None:
    source = tmp_path / "secret.csv"
    source.write_text("a,b\n1,2\n")
    source.chmod(0)
    try:
        for command in ("generate", "inspect"):
            args = [command, source] + (["-o", tmp_path / "o.csv"] if command == "generate" else [])
            assert_one_error_line(run_bound_by_permissions(*args), "not readable")
        assert not (tmp_path / "o.csv").exists()
    finally:
        source.chmod(0o644)


def test_unwritable_output_folder(tmp_path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("a,b\n1,2\n3,4\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = run_bound_by_permissions("generate", source, "-o", locked / "o.csv")
        assert_one_error_line(result, "permissions")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)
