"""Nothing is lost or half-written: failing writers, signals, resumed runs (hostile inputs)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest

from tests.cli.conftest import (
    assert_no_temporary_files,
    assert_one_error_line,
    run,
    snapshot,
    write_csv,
)

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


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
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
