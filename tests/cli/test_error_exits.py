"""Every class of the error family reaches the CLI's exit 2 with one line on stderr
(tests/unit/api/test_value_errors.py: the classes themselves)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mixsynth import errors
from mixsynth.errors import (
    ClusterError,
    InputError,
    LockError,
    OptionError,
    OutputError,
    ResumeError,
)
from mixsynth.io.outputs import RunLock
from tests.conftest import SAMPLE_DATA

PENGUINS = SAMPLE_DATA / "penguins.csv"


@pytest.fixture
def raised(monkeypatch) -> list[type]:
    """The classes of the mixsynth errors made during a test."""
    made: list[type] = []
    original = errors.MixsynthError.__init__

    def record(self, message: str, hint: str | None = None) -> None:
        made.append(type(self))
        original(self, message, hint)

    monkeypatch.setattr(errors.MixsynthError, "__init__", record)
    return made


def assert_exit_2(result, raised: list[type], cls: type) -> None:
    """Exit 2, one line on stderr, no traceback, and the refusal was a ``cls``."""
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert raised and raised[-1] is cls, raised


def test_an_option_error_exits_2(run_cli, raised, tmp_path: Path) -> None:
    result = run_cli("generate", PENGUINS, "-o", tmp_path / "o.csv", "--weights", "nonsense")
    assert_exit_2(result, raised, OptionError)
    assert not (tmp_path / "o.csv").exists()


def test_an_input_error_exits_2(run_cli, raised, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    assert_exit_2(run_cli("generate", empty, "-o", tmp_path / "o.csv"), raised, InputError)


def test_an_output_error_exits_2(run_cli, raised, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    out.write_text("kept\n")
    assert_exit_2(run_cli("generate", PENGUINS, "-o", out), raised, OutputError)
    assert out.read_text() == "kept\n"


def test_a_lock_error_exits_2(run_cli, raised, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    lock = RunLock(folder / ".mixsynth-run.lock", "test")
    lock.acquire()
    try:
        result = run_cli("generate", PENGUINS, "--out-dir", folder, "--seed", 1)
    finally:
        lock.release()
    assert_exit_2(result, raised, LockError)


def test_a_resume_error_exits_2(run_cli, raised, tmp_path: Path) -> None:
    result = run_cli("generate", PENGUINS, "--out-dir", tmp_path / "none", "--resume")
    assert_exit_2(result, raised, ResumeError)


@pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None
    or importlib.util.find_spec("bokeh") is not None,
    reason="needs the dask extra without bokeh (the dashboard's package)",
)
def test_a_cluster_error_exits_2(run_cli, raised, tmp_path: Path) -> None:
    result = run_cli(
        "generate", PENGUINS, "--engine", "dask", "--dashboard", "-o", tmp_path / "out"
    )
    assert_exit_2(result, raised, ClusterError)
