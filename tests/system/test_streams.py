"""Hardening, second round (issue 11): outputs that collide or are not regular files,
concurrent runs, closed streams, odd values. docs/safety.md states every rule tested here.

A refusal is one ``Error:`` line, exit status 2, nothing written or changed; every file
is made in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mixsynth.cli import app
from mixsynth.io.outputs import RunLock
from tests.cli.conftest import assert_no_temporary_files, assert_one_error_line, run, snapshot

ROOT = Path(__file__).resolve().parents[2]
PENGUINS = ROOT / "sample_data" / "penguins.csv"


def mixsynth(*args: object, **options) -> subprocess.CompletedProcess:
    """``python -m mixsynth ARGS`` in a fresh process (for real descriptors)."""
    return subprocess.run(
        [sys.executable, "-m", "mixsynth", *(str(a) for a in args)],
        capture_output="stdout" not in options and "stderr" not in options,
        timeout=120,
        cwd=ROOT,
        **options,
    )


def closing(*descriptors: int):
    """A preexec_fn that closes descriptors, as the shell's ``<&-``, ``>&-``, ``2>&-``."""

    def close() -> None:
        for descriptor in descriptors:
            os.close(descriptor)

    return close


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(PENGUINS.read_bytes())
    return path


# --------------------------------------------------------------------------- special files


def test_dev_stdout_is_written_through_not_replaced_even_with_force(tmp_path, source) -> None:
    """`-o /dev/stdout --force > out.csv`: the table lands in out.csv, /dev/stdout stays."""
    before = os.lstat("/dev/stdout")
    out = tmp_path / "out.csv"
    with open(out, "wb") as handle:
        done = mixsynth(
            "generate", source, "-o", "/dev/stdout", "--format", "csv", "--force", "--seed", 1,
            stdout=handle, stderr=subprocess.PIPE,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = os.lstat("/dev/stdout")
    assert stat.S_ISLNK(after.st_mode) and (after.st_ino, after.st_mode) == (
        before.st_ino,
        before.st_mode,
    )
    expected = mixsynth("generate", source, "-o", "-", "--seed", 1).stdout
    assert out.read_bytes() == expected
    assert not list(Path("/dev").glob(".stdout.*.tmp"))


def test_dev_stdout_keeps_the_shells_append_mode(tmp_path, source) -> None:
    """`>> log`: written through the descriptor, so what was there stays."""
    out = tmp_path / "log.csv"
    out.write_bytes(b"previous line\n")
    with open(out, "ab") as handle:
        done = mixsynth(
            "generate", source, "-o", "/dev/stdout", "--format", "csv", "--seed", 2,
            stdout=handle, stderr=subprocess.PIPE,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = mixsynth("generate", source, "-o", "-", "--seed", 2).stdout
    assert out.read_bytes() == b"previous line\n" + expected


def test_a_fifo_and_a_link_to_it_are_written_into(tmp_path, source) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "to-pipe.csv"
    link.symlink_to(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run("generate", source, "-o", link, "--force", "--seed", 3)
    reader.join(timeout=60)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink()
    assert received[0].startswith(b'"species"') and received[0].count(b"\n") == 345
    assert_no_temporary_files(tmp_path)


def test_dev_null_may_take_several_outputs(tmp_path, source) -> None:
    result = run(
        "generate", source, "-o", os.devnull, "--format", "csv", "--report", os.devnull,
        "--seed", 1,
    )  # fmt: skip
    assert result.exit_code == 2  # /dev/null has no suffix: the report format is unknown
    result = run("generate", source, "-o", os.devnull, "--format", "csv", "--seed", 1)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    result = run("compare", source, source, "--json", os.devnull, "--html", os.devnull, "-q")
    assert result.exit_code == 0, result.stderr


# --------------------------------------------------------------------------- links


def test_a_link_to_a_file_means_its_target(tmp_path, source) -> None:
    target = tmp_path / "target.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target.name)
    before = snapshot(tmp_path)
    line = assert_one_error_line(run("generate", source, "-o", link), "already exists")
    assert "a link to" in line
    assert snapshot(tmp_path) == before
    assert run("generate", source, "-o", link, "--force", "--seed", 1).exit_code == 0
    assert link.is_symlink() and os.readlink(link) == target.name
    assert target.read_bytes() == mixsynth("generate", source, "-o", "-", "--seed", 1).stdout
    assert_no_temporary_files(tmp_path)


def test_a_dangling_link_is_refused_without_force_and_its_target_made_with_it(
    tmp_path, source
) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to("sub/made.csv")
    (tmp_path / "sub").mkdir()
    before = snapshot(tmp_path)
    assert_one_error_line(run("generate", source, "-o", link), "which does not exist")
    assert snapshot(tmp_path) == before and link.is_symlink()
    assert run("generate", source, "-o", link, "--force", "--seed", 1).exit_code == 0
    assert link.is_symlink() and (tmp_path / "sub" / "made.csv").stat().st_size > 0
    link.unlink()
    link.symlink_to("missing-folder/x.csv")
    assert_one_error_line(run("generate", source, "-o", link, "--force"), "does not exist")


def test_a_link_loop_is_one_line(tmp_path, source) -> None:
    (tmp_path / "a.csv").symlink_to("b.csv")
    (tmp_path / "b.csv").symlink_to("a.csv")
    assert_one_error_line(run("generate", source, "-o", tmp_path / "a.csv", "--force"), "loop")


# --------------------------------------------------------------------------- collisions


def collision_cases(tmp_path: Path, source: Path) -> dict[str, tuple[list, str]]:
    runs = tmp_path / "runs"
    runs.mkdir()
    hard = tmp_path / "hard.csv"
    os.link(source, hard)
    soft = tmp_path / "soft.csv"
    soft.symlink_to(source)
    generate = ["generate", source, "--seed", 1]
    return {
        "table and report": (
            [
                *generate,
                "-o",
                tmp_path / "x.json",
                "--format",
                "csv",
                "--report",
                tmp_path / "x.json",
            ],
            "same file as -o",
        ),
        "report onto the run record": (
            [*generate, "--out-dir", runs, "--report", runs / "mixsynth-run.json"],
            "one of the files the run writes",
        ),
        "table onto the run record": (
            [*generate, "--out-dir", runs, "-o", runs / "mixsynth-run.json", "--format", "csv"],
            "one of the files the run writes",
        ),
        "table onto a generation file": (
            [*generate, "--out-dir", runs, "-g", 3, "-o", runs / "gen-001.csv"],
            "one of the files the run writes",
        ),
        "table onto a generation file by another path": (
            [*generate, "--out-dir", runs, "-o", tmp_path / "runs" / ".." / "runs" / "gen-002.csv"],
            "one of the files the run writes",
        ),
        "a hard link to the input": ([*generate, "-o", hard, "--force"], "is the input file"),
        "a link to the input": ([*generate, "-o", soft, "--force"], "is the input file"),
        "report onto the input": (
            [*generate, "-o", tmp_path / "o.csv", "--report", soft, "--force"],
            "is the input file",
        ),
        "-o - and /dev/stdout": (
            [*generate, "-o", "-", "--report", "/dev/stdout"],
            "same file as -o",
        ),
        "compare: two reports, one file": (
            ["compare", source, PENGUINS, "--json", tmp_path / "r", "--markdown", tmp_path / "r"],
            "same file as --json",
        ),
        "compare: a report onto an input": (
            ["compare", source, PENGUINS, "--html", hard, "--force"],
            "is the input file",
        ),
    }


COLLISIONS = [
    "table and report",
    "report onto the run record",
    "table onto the run record",
    "table onto a generation file",
    "table onto a generation file by another path",
    "a hard link to the input",
    "a link to the input",
    "report onto the input",
    "-o - and /dev/stdout",
    "compare: two reports, one file",
    "compare: a report onto an input",
]


@pytest.mark.parametrize("case", COLLISIONS)
def test_outputs_that_collide_are_refused_before_any_work(tmp_path, source, case: str) -> None:
    args, fragment = collision_cases(tmp_path, source)[case]
    before = snapshot(tmp_path)
    assert_one_error_line(run(*args), fragment)
    assert snapshot(tmp_path) == before  # not even a lock file is left


# --------------------------------------------------------------------------- locks


def test_a_second_run_on_a_locked_out_dir_is_refused_naming_the_holder(tmp_path, source) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    lock = RunLock(folder / ".mixsynth-run.lock", "test")
    lock.acquire()
    try:
        result = run("generate", source, "--out-dir", folder, "--seed", 1)
        line = assert_one_error_line(result, "is in use by another mixsynth run")
        assert f"pid {os.getpid()} on " in line
        assert sorted(p.name for p in folder.iterdir()) == [".mixsynth-run.lock"]
    finally:
        lock.release()
    assert run("generate", source, "--out-dir", folder, "--seed", 1).exit_code == 0
    assert not (folder / ".mixsynth-run.lock").exists()


def test_a_locked_output_file_is_refused(tmp_path, source) -> None:
    out = tmp_path / "o.csv"
    lock = RunLock(tmp_path / ".o.csv.lock", "test")
    lock.acquire()
    try:
        assert_one_error_line(run("generate", source, "-o", out), "-o ")
        assert not out.exists()
    finally:
        lock.release()


def test_a_stale_lock_of_a_killed_run_does_not_block(tmp_path, source) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    dead = subprocess.run(["true"])  # a pid that has ended
    (folder / ".mixsynth-run.lock").write_text(f"pid 999999{dead.returncode} on host\n")
    result = run("generate", source, "--out-dir", folder, "--seed", 1)
    assert result.exit_code == 0, result.stderr
    assert not (folder / ".mixsynth-run.lock").exists()


def test_two_runs_started_together_do_not_share_an_out_dir(tmp_path) -> None:
    rng = np.random.default_rng(0)
    source = tmp_path / "in.csv"
    pd.DataFrame({"x": rng.normal(size=20_000), "y": rng.normal(size=20_000)}).to_csv(
        source, index=False
    )
    folder = tmp_path / "runs"
    command = [sys.executable, "-m", "mixsynth", "generate", str(source), "--out-dir", str(folder)]
    processes = [
        subprocess.Popen([*command, "-g", "8", "--seed", str(seed)], stderr=subprocess.PIPE)
        for seed in (1, 2)
    ]
    codes = [p.wait(timeout=300) for p in processes]
    errors = [p.stderr.read().decode() for p in processes]
    assert sorted(codes) == [0, 2], errors
    loser = errors[codes.index(2)]
    assert loser.count("\n") == 1 and ("in use by another" in loser or "already exists" in loser)
    winner_seed = (1, 2)[codes.index(0)]
    record = json.loads((folder / "mixsynth-run.json").read_text())
    assert record["seed"] == winner_seed and record["completed"] == 8
    alone = tmp_path / "alone"
    assert (
        run("generate", source, "--out-dir", alone, "-g", 8, "--seed", winner_seed).exit_code == 0
    )
    for index in range(1, 9):
        name = f"gen-{index:03d}.csv"
        assert (folder / name).read_bytes() == (alone / name).read_bytes()


# --------------------------------------------------------------------------- resume


def test_resume_removes_the_leftovers_of_the_killed_run(tmp_path, source) -> None:
    folder, last = tmp_path / "runs", tmp_path / "last.csv"
    assert run("generate", source, "--out-dir", folder, "-g", 2, "--seed", 1).exit_code == 0
    leftovers = [
        folder / ".gen-003.csv.0123456789ab.tmp",
        folder / ".mixsynth-run.json.ba9876543210.tmp",
        tmp_path / ".last.csv.abcdefabcdef.tmp",
    ]
    for path in leftovers:
        path.write_text("half a file")
    other = folder / ".notes.0123456789ab.tmp"  # not a file of this run: kept
    other.write_text("mine")
    result = run("generate", source, "--out-dir", folder, "-g", 3, "--resume", "-o", last)
    assert result.exit_code == 0, result.stderr
    assert not any(p.exists() for p in leftovers) and other.read_text() == "mine"
    assert last.read_bytes() == (folder / "gen-003.csv").read_bytes()


def test_resume_without_a_record_is_refused(tmp_path, source) -> None:
    folder = tmp_path / "none"
    assert_one_error_line(
        run("generate", source, "--out-dir", folder, "--resume"), "no run to resume"
    )
    assert not folder.exists()
    folder.mkdir()
    assert_one_error_line(
        run("generate", source, "--out-dir", folder, "--resume"), "no run to resume"
    )
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        ({"completed": -1}, "'completed' must be a whole number from 0 to 2, got -1"),
        ({"completed": 5}, "'completed' must be a whole number from 0 to 2, got 5"),
        ({"completed": "1"}, "'completed' must be a whole number"),
        ({"completed": True}, "'completed' must be a whole number"),
        ({"completed": 1.5}, "'completed' must be a whole number"),
        ({"seed": -3}, "'seed' must be a whole number >= 0"),
        ({"generations": 0}, "'generations' must be a whole number"),
        ({"format": "xlsx"}, "'format' must be csv or parquet"),
        ({"options": []}, "'options' must be an object"),
        ({"mixsynth_run": 7}, "not a mixsynth run record"),
    ],
)
def test_a_hand_edited_record_is_one_line(tmp_path, source, edit: dict, fragment: str) -> None:
    folder = tmp_path / "runs"
    assert run("generate", source, "--out-dir", folder, "-g", 2, "--seed", 1).exit_code == 0
    record_path = folder / "mixsynth-run.json"
    record_path.write_text(json.dumps(json.loads(record_path.read_text()) | edit))
    before = snapshot(tmp_path)
    result = run("generate", source, "--out-dir", folder, "-g", 4, "--resume")
    assert "is damaged" in assert_one_error_line(result, fragment)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("text", ["[1, 2]", "not json", ""])
def test_a_record_that_is_not_an_object_is_one_line(tmp_path, source, text: str) -> None:
    folder = tmp_path / "runs"
    assert run("generate", source, "--out-dir", folder, "-g", 2, "--seed", 1).exit_code == 0
    (folder / "mixsynth-run.json").write_text(text)
    assert_one_error_line(
        run("generate", source, "--out-dir", folder, "-g", 4, "--resume"), "is damaged"
    )


# --------------------------------------------------------------------------- streams


def test_closed_stdin_is_one_line(tmp_path) -> None:
    for args in (["generate", "-", "-o", "-"], ["inspect", "-"], ["compare", PENGUINS, "-"]):
        done = mixsynth(*args, preexec_fn=closing(0))
        assert done.returncode == 2, done.stderr
        assert done.stderr.decode() == (
            "Error: stdin is closed (pipe a table in, or give a file path)\n"
        )
        assert done.stdout == b""


@pytest.mark.parametrize(
    "args",
    [
        ["generate", PENGUINS, "-o", "-"],
        ["generate", PENGUINS, "-o", "/dev/stdout", "--format", "csv"],
        ["compare", PENGUINS, PENGUINS],
        ["compare", PENGUINS, PENGUINS, "--json", "-"],
        ["inspect", PENGUINS],
        ["weights"],
    ],
)
def test_closed_stdout_is_one_line_before_any_work(tmp_path, args: list) -> None:
    done = mixsynth(*args, preexec_fn=closing(1), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and stderr.count("\n") == 1, stderr
    assert stderr.startswith("Error: stdout is closed")


def test_a_closed_stdout_is_fine_when_nothing_goes_there(tmp_path) -> None:
    out = tmp_path / "o.csv"
    done = mixsynth("generate", PENGUINS, "-o", out, "--seed", 1, preexec_fn=closing(1))
    assert done.returncode == 0 and out.stat().st_size > 0
    done = mixsynth("compare", PENGUINS, out, "-q", preexec_fn=closing(1))
    assert done.returncode == 0


def test_closed_stderr_keeps_the_exit_statuses(tmp_path) -> None:
    out = tmp_path / "o.csv"
    done = mixsynth("generate", PENGUINS, "-o", out, "--seed", 1, preexec_fn=closing(2))
    assert done.returncode == 0 and out.stat().st_size > 0  # the seed note had nowhere to go
    done = mixsynth("generate", PENGUINS, "-o", out, preexec_fn=closing(2))
    assert done.returncode == 2  # exists, no --force: the line had nowhere to go
    done = mixsynth("generate", tmp_path / "missing.csv", "-o", "-", preexec_fn=closing(2))
    assert done.returncode == 2 and done.stdout == b""
    one = tmp_path / "one.csv"
    one.write_text("\n".join(PENGUINS.read_text().splitlines()[:2]) + "\n")
    done = mixsynth("compare", PENGUINS, one, "--max-variance-drift", 0.1, preexec_fn=closing(2))
    assert done.returncode == 1


def test_a_closed_pipe_is_status_141_not_a_broken_threshold() -> None:
    """`compare a b | head -1`: the reader left before the summary was written."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mixsynth", "compare", str(PENGUINS), str(PENGUINS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    process.stdout.close()  # before mixsynth writes anything
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert stderr == b""
    done = mixsynth("compare", PENGUINS, PENGUINS, "--min-overall-score", 0.9)
    assert done.returncode == 0 and done.stdout.startswith(b"mixsynth compare")


def test_inspect_escapes_control_characters_and_markup_in_names(tmp_path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b'"\x1b[31mred\x1b[0m","[bold]b[/bold]","bell\x07"\n1.5,2,x\n2.5,3,y\n')
    result = CliRunner().invoke(app, ["inspect", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[31mred\\x1b[0m" in result.stdout
    assert "[bold]b[/bold]" in result.stdout and "bell\\x07" in result.stdout
    listed = json.loads(run("inspect", path, "--json").stdout)
    assert [c["name"] for c in listed["columns"]] == [
        "\x1b[31mred\x1b[0m",
        "[bold]b[/bold]",
        "bell\x07",
    ]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    "spec", ["epbeta:1,1,1e200,1e200", "epbeta:1,1,0.1,11", "epbeta:1,1,inf,0"]
)
def test_absurd_supports_are_refused_with_the_limit(tmp_path, source, spec: str) -> None:
    line = assert_one_error_line(run("weights", "-w", spec), "from 0 to 10")
    assert "[-10, 11]" in line
    out = tmp_path / "o.csv"
    for extra in ([], ["--report", tmp_path / "r.json"]):
        assert_one_error_line(
            run("generate", source, "-o", out, "-w", spec, *extra), "from 0 to 10"
        )
    assert not out.exists()


def test_the_widest_support_still_gives_finite_figures() -> None:
    result = run("weights", "-w", "epbeta:1,1,10,10", "-g", 1000, "--json")
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)  # valid JSON: the overflowing ratio is null
    assert figures["support"] == [-10.0, 11.0] and figures["predicted_variance_ratio"] is None
    # Var(lam) = 21^2/12 for a uniform B, E[lam] = 1/2: rho = 1 - 2(1/2 - (Var + 1/4)).
    assert figures["rho"] == pytest.approx(1 - 2 * (0.5 - (21**2 / 12 + 0.25)), rel=1e-12)


@pytest.mark.parametrize("encoding", ["rot13", "hex", "zlib", "base64", "uu"])
def test_only_text_encodings(source, encoding: str) -> None:
    for command in ("inspect", "compare"):
        args = [source] if command == "inspect" else [source, source]
        result = run(command, *args, "--encoding", encoding)
        assert_one_error_line(result, f"{encoding!r} is not a text encoding")


def test_out_of_memory_while_starting_a_thread_is_one_line(monkeypatch, tmp_path, source) -> None:
    for failure in (RuntimeError("can't start new thread"), MemoryError()):

        def start(self, failure=failure) -> None:
            raise failure

        monkeypatch.setattr(threading.Thread, "start", start)
        out = tmp_path / "o.csv"
        result = run("generate", source, "-o", out, "--seed", 1)
        assert_one_error_line(result, "Error: out of memory")
        assert not out.exists()
        assert_no_temporary_files(tmp_path)
        monkeypatch.undo()


def extreme_integers() -> pa.Table:
    top, bottom = 2**63 - 1, -(2**63)
    return pa.table(
        {
            "near_max": pa.array([top - k * 997 for k in range(40)], pa.int64()),
            "near_min": pa.array([bottom + k * 1013 for k in range(40)], pa.int64()),
            "u_top": pa.array([2**64 - 1 - k * 991 for k in range(40)], pa.uint64()),
            "holes": pa.array([top - k * 7 if k % 5 else None for k in range(40)], pa.int64()),
            "x": pa.array(np.linspace(0.0, 1.0, 40)),
        }
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_64_bit_integers_near_their_limits_stay_in_range_and_distinct(tmp_path, fmt) -> None:
    table = extreme_integers()
    source = tmp_path / f"in.{fmt}"
    if fmt == "parquet":
        pq.write_table(table, source)
    else:
        pa.csv.write_csv(table.drop_columns(["u_top"]), source)  # CSV reads uint64 as text
    out = tmp_path / "out.parquet"
    for options in (["--method", "vanilla"], ["--bounds", "clip"]):
        result = run("generate", source, "-o", out, "--seed", 4, "--force", *options)
        assert result.exit_code == 0, result.stderr
        synth = pq.read_table(out)
        for name in synth.column_names[:-1]:
            real = [v for v in table.column(name).to_pylist() if v is not None]
            made = [v for v in synth.column(name).to_pylist() if v is not None]
            assert synth.schema.field(name).type == table.schema.field(name).type
            assert min(real) <= min(made) and max(made) <= max(real), name
            assert len(set(made)) > len(made) // 2, name  # mixed values, not a collapse
        assert synth.column("holes").null_count == table.column("holes").null_count


def test_64_bit_integers_near_their_limits_in_the_pandas_api() -> None:
    from mixsynth.choices import Method
    from mixsynth.engine.memory import synthesize
    from mixsynth.engine.options import SynthesisOptions

    frame = extreme_integers().to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    options = SynthesisOptions(method=Method.VANILLA)
    synth = synthesize(frame, options, np.random.default_rng(5)).frame
    for name in ("near_max", "near_min", "holes"):
        real, made = frame[name].dropna(), synth[name].dropna()
        assert synth[name].dtype == frame[name].dtype
        assert real.min() <= made.min() and made.max() <= real.max()
        assert made.nunique() > len(made) // 2
    # The mixed values are exact integers: their differences from the middle of the
    # range are exact in float64, so the mean is kept to within the rounding noise.
    low, high = int(frame["near_max"].min()), int(frame["near_max"].max())
    mean = sum(int(v) for v in synth["near_max"]) / len(synth) - (low + high) / 2
    real_mean = sum(int(v) for v in frame["near_max"]) / len(frame) - (low + high) / 2
    spread = float(frame["near_max"].astype("float64").std())
    assert abs(mean - real_mean) < 4 * spread / np.sqrt(len(frame))


def test_float16_parquet_to_csv(tmp_path) -> None:
    values = np.array([0.1, 0.5, 1.5, 2.25, np.nan, 3.75, -1.0, 1e-3], dtype=np.float16)
    source = tmp_path / "half.parquet"
    pq.write_table(pa.table({"h": pa.array(values, from_pandas=True), "x": np.arange(8.0)}), source)
    out = tmp_path / "half.csv"
    result = run("generate", source, "-o", out, "--seed", 1)
    assert result.exit_code == 0, result.stderr
    written = pd.read_csv(out)["h"]
    assert written.isna().sum() == 1
    present = written.dropna().to_numpy()
    assert np.array_equal(present.astype(np.float16).astype(np.float64), present)  # exact halves


@pytest.mark.parametrize("text", [b"   \n  \n\n", b" ", b"\r\n \t \r\n", b"\n" * 70_000 + b"  "])
def test_blank_lines_and_spaces_are_an_empty_file(tmp_path, text: bytes) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(text)
    assert_one_error_line(run("inspect", path), "is empty")
    assert_one_error_line(run("generate", path, "-o", tmp_path / "o.csv"), "is empty")


# --------------------------------------------------------------------------- thresholds


@pytest.fixture
def one_row(tmp_path) -> Path:
    path = tmp_path / "one.csv"
    path.write_text("\n".join(PENGUINS.read_text().splitlines()[:2]) + "\n")
    return path


def test_a_one_row_synthetic_table_breaks_the_thresholds(one_row) -> None:
    result = run("compare", PENGUINS, one_row, "--max-variance-drift", 0.5, "-q")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # Four numeric columns: year, three values, is a code compared as a category (the
    # meaning generate gives it), so it has no variance ratio and no correlation.
    assert len(lines) == 4 and all("is undefined" in line for line in lines)
    result = run("compare", PENGUINS, one_row, "--max-correlation-diff", 2, "-q")
    assert result.exit_code == 1 and "6 correlations are undefined" in result.stderr


def test_a_one_row_real_table_cannot_break_them(one_row) -> None:
    """Undefined on the real side: nothing to hold the synthetic table to."""
    result = run(
        "compare", one_row, PENGUINS, "--max-variance-drift", 0.01, "--max-correlation-diff", 0,
        "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def test_an_all_missing_synthetic_column_breaks_the_variance_threshold(tmp_path) -> None:
    real = tmp_path / "real.csv"
    synthetic = tmp_path / "synth.csv"
    real.write_text("a,b\n1.5,2\n2.5,4\n3.5,5\n")
    synthetic.write_text("a,b\n,2\n,4\n,6\n")
    result = run("compare", real, synthetic, "--max-variance-drift", 10, "-q")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Threshold broken: variance ratio of 'a' is undefined: the synthetic column has "
        "0 present values (--max-variance-drift)"
    ]
