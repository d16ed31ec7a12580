"""The library reads a table given as a str or as a pathlib.Path, alike."""

from __future__ import annotations

from pathlib import Path

from mixsynth.io import read_table
from tests.conftest import SAMPLE_DATA


def test_a_path_object_reads_as_its_string() -> None:
    path = SAMPLE_DATA / "penguins.csv"
    assert isinstance(path, Path)
    assert read_table(path).frame.equals(read_table(str(path)).frame)
