"""Shared helpers: run the CLI in-process, locate the sample data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mixsynth.cli import app

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture
def run_cli():
    """Invoke ``mixsynth ARGS`` in-process; returns the result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str, input: bytes | str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return run
