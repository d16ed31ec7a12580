"""Numbers keep the digits they had: decimal places are inferred exactly (a value is on a
grid of p places only if it is the float of a number written with p decimals, give or
take one unit in the last place), never with a tolerance relative to the value's size,
which turned 1,000 distinct values 1.7e9 + U(0, 1) into two."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixsynth.semantics.inference import decimal_places

from ..conftest import SAMPLE_DATA

ROWS = 1_000


def offsets_and_values() -> dict[str, tuple[float, np.ndarray]]:
    """Each case as a large offset and the small values added to it."""
    rng = np.random.default_rng(0)
    return {
        "1.7e9 + U(0, 1)": (1.7e9, rng.uniform(0, 1, ROWS)),
        "1e12 + 0.001 k": (1e12, 0.001 * np.arange(ROWS)),
        "1 + k 1e-14": (1.0, np.arange(ROWS) * 1e-14),
    }


def large_floats() -> dict[str, np.ndarray]:
    return {case: offset + small for case, (offset, small) in offsets_and_values().items()}


@pytest.mark.parametrize(
    ("case", "places"), [("1.7e9 + U(0, 1)", None), ("1e12 + 0.001 k", 3), ("1 + k 1e-14", None)]
)
def test_large_and_fine_floats_keep_their_decimal_places(case: str, places: int | None) -> None:
    assert decimal_places(large_floats()[case]) == places


def test_decimal_places_are_exact_on_the_values_as_written() -> None:
    assert decimal_places(np.array([1700000000.5, 1700000001.0])) == 1
    assert decimal_places(np.array([1700000000.0001, 2.0])) == 4
    assert decimal_places(np.array([123456.789, 0.001])) == 3
    assert decimal_places(np.array([1e12 + 0.0005])) is None  # 4 decimals lost to float
    # float32 values (from Parquet) are judged as float32: 0.1f is written 0.1
    assert decimal_places(np.array([0.1, 2.5], dtype=np.float32)) == 1


def generate(run_cli, folder: Path, frame: pd.DataFrame, *options: str) -> pd.DataFrame:
    folder.mkdir()
    source, out = folder / "in.csv", folder / "out.csv"
    frame.to_csv(source, index=False)
    result = run_cli("generate", source, "-o", out, "--seed", "4", "-q", *options)
    assert result.exit_code == 0, result.stderr
    return pd.read_csv(out)


@pytest.mark.parametrize("case", ["1.7e9 + U(0, 1)", "1e12 + 0.001 k", "1 + k 1e-14"])
def test_generate_keeps_the_digits_of_large_floats(run_cli, tmp_path, case: str) -> None:
    """Mixup is a translation: the synthetic column of c + x is c + the synthetic column
    of x, the same seed and pairs (equal to float64's resolution at c). Rounded to
    whole numbers, 1.7e9 + U(0, 1) came out as two values."""
    offset, small = offsets_and_values()[case]
    values = offset + small
    rng = np.random.default_rng(1)
    other = rng.normal(size=ROWS)
    synthetic = generate(run_cli, tmp_path / "as is", pd.DataFrame({"x": values, "y": other}))["x"]
    # The same table without the offset: its small floats have the same grid, or none.
    shifted = generate(run_cli, tmp_path / "shifted", pd.DataFrame({"x": small, "y": other}))["x"]
    assert synthetic.nunique() > 0.9 * shifted.nunique() > 0.5 * ROWS
    resolution = 4 * np.spacing(np.abs(values).max()) + (0.001 if case == "1e12 + 0.001 k" else 0)
    assert np.abs((synthetic - offset) - shifted).max() <= resolution


def test_customers_spend_keeps_two_decimals() -> None:
    spend = pd.read_csv(SAMPLE_DATA / "customers.csv")["monthly_spend"].to_numpy()
    assert decimal_places(spend) == 2
