"""Shared helpers: run the CLI in-process, locate the sample data, judge outputs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mixsynth.cli import app
from mixsynth.columns.frame import column_kind

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"

#: ``make test`` runs the "fast" profile, ``make test-all`` the "thorough" one (property
#: tests with every example they were written with).
PROFILE = os.environ.get("MIXSYNTH_TEST_PROFILE", "fast")


def examples(thorough: int) -> int:
    """A property test's example count: all of them in the thorough tier, a fifth (at least
    20) in the fast one."""
    return thorough if PROFILE == "thorough" else max(20, thorough // 5)


def pytest_collection_modifyitems(config, items) -> None:
    """Tests under tests/system/ are the system tier (subprocesses, signals, real Dask
    processes, a browser): marked ``system`` so that ``-m "not system"`` leaves them out."""
    system = REPO / "tests" / "system"
    for item in items:
        if system in Path(item.fspath).parents:
            item.add_marker(pytest.mark.system)


@pytest.fixture
def run_cli():
    """Invoke ``mixsynth ARGS`` in-process; returns the result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str, input: bytes | str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return run


def assert_values_from_source(real: pd.DataFrame, synth: pd.DataFrame) -> None:
    """The generate issue's value contract, column by column (by position).

    Float columns get no new kinds of non-finite values (NaN, inf, -inf only where the
    input had them); copied columns hold only values the source has.
    """
    for position in range(real.shape[1]):
        before, after = real.iloc[:, position], synth.iloc[:, position]
        if before.dtype.kind == "f":
            for kind in (np.isnan, np.isposinf, np.isneginf):
                if not kind(before.to_numpy()).any():
                    assert not kind(after.to_numpy()).any(), (position, kind.__name__)
        elif not column_kind(before).is_mixed:
            assert set(after.dropna()) <= set(before.dropna()), position
