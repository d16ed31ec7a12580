"""Float columns in CSV output: numbers written as numbers (never quoted), every value
with its decimal point (``82.0``, not ``82``), the same way in every column, so that
any CSV reader reads them back as floats."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv

from mixsynth.choices import TableFormat
from mixsynth.io import write_table

ROWS = 200


def floats() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "code": rng.choice([82.0, 90.0, 75.0], ROWS),
            "whole": np.round(rng.normal(80, 5, ROWS)),
            "halves": rng.choice(np.arange(3, 15) / 2, ROWS),
            "cents": np.round(rng.normal(50, 20, ROWS), 2),
            "free": rng.normal(size=ROWS),
            "flag": rng.choice([0.0, 1.0], ROWS),
            "huge": rng.normal(0, 1e300, ROWS),
            "gaps": np.where(rng.random(ROWS) < 0.2, np.nan, np.round(rng.normal(10, 3, ROWS))),
        }
    )


def assert_numbers_written_as_floats(text: str, columns: list[str]) -> None:
    """No field is quoted; every present value has a point or an exponent."""
    lines = text.splitlines()
    assert next(csv.reader([lines[0]])) == columns
    for line in lines[1:]:
        assert '"' not in line, line
        for name, field in zip(columns, line.split(","), strict=True):
            assert field == "" or any(c in field for c in ".eE") or field in ("nan", "inf"), (
                name,
                field,
            )
    read = pyarrow.csv.read_csv(io.BytesIO(text.encode()))
    assert all(pa.types.is_floating(t) for t in read.schema.types), read.schema


def test_written_floats_are_numbers_with_their_point(tmp_path: Path) -> None:
    frame, out = floats(), tmp_path / "out.csv"
    write_table(pa.Table.from_pandas(frame, preserve_index=False), str(out), TableFormat.CSV)
    text = out.read_text()
    assert_numbers_written_as_floats(text, list(frame.columns))
    back = pd.read_csv(io.StringIO(text))
    pd.testing.assert_frame_equal(back, frame, check_exact=True)


def test_generate_writes_every_float_column_the_same_way(run_cli, tmp_path: Path) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    floats().to_csv(source, index=False)
    result = run_cli("generate", source, "-o", out, "--seed", "2", "-q")
    assert result.exit_code == 0, result.stderr
    assert_numbers_written_as_floats(out.read_text(), list(floats().columns))


def test_float32_columns_on_a_grid_are_numbers_too(tmp_path: Path) -> None:
    """Parquet's float32: 0.1f is 0.10000000149 as a float64, on no float64 grid, but
    it is the float32 of 0.1, which is what is written."""
    values = np.array([0.1, 2.0, 3.5, -7.25], dtype=np.float32)
    out = tmp_path / "out.csv"
    write_table(pa.table({"f": values}), str(out), TableFormat.CSV)
    text = out.read_text()
    assert text.splitlines()[1:] == ["0.10", "2.00", "3.50", "-7.25"], text
    assert (pd.read_csv(out)["f"].to_numpy(np.float32) == values).all()
