"""Schema round trip: whatever goes in comes out with the same columns, kinds, dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixsynth.columns import ColumnKind, infer_schema
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.io import TableFormat, read_table, write_table
from tests.conftest import assert_values_from_source, examples

UNITS = ["s", "ms", "us", "ns"]


@st.composite
def frames(draw) -> pd.DataFrame:
    """Random tables of every supported dtype, with missing values where allowed."""
    n = draw(st.integers(1, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    missing = draw(st.floats(0, 0.5))
    holes = lambda: rng.random(n) < missing  # noqa: E731
    makers = {
        "float64": lambda: pd.Series(np.where(holes(), np.nan, rng.normal(0, 10, n))),
        "float32": lambda: pd.Series(rng.normal(size=n).astype("float32")),
        "int64": lambda: pd.Series(rng.integers(-50, 50, n)),
        "uint8": lambda: pd.Series(rng.integers(0, 255, n).astype("uint8")),
        "Int64": lambda: pd.Series(
            pd.array(np.where(holes(), None, rng.integers(0, 9, n)), dtype="Int64")
        ),
        "bool": lambda: pd.Series(rng.random(n) < 0.5),
        "category": lambda: pd.Series(pd.Categorical(rng.choice(["x", "y", "zé"], n))),
        "str": lambda: pd.Series(
            np.where(holes(), None, rng.choice(["a", "", "ü b"], n)), dtype="str"
        ),
        "datetime": lambda: pd.Series(
            pd.to_datetime(rng.integers(0, 10**9, n), unit="s").as_unit(
                draw(st.sampled_from(UNITS))
            )
        ).where(~holes()),
        "datetime_tz": lambda: pd.Series(
            pd.to_datetime(rng.integers(0, 10**9, n), unit="s", utc=True).as_unit("ms")
        ),
        "timedelta": lambda: pd.Series(pd.to_timedelta(rng.integers(0, 10**6, n), unit="s")),
    }
    kinds = draw(st.lists(st.sampled_from(sorted(makers)), min_size=1, max_size=6))
    return pd.DataFrame({f"{kind}_{i}": makers[kind]() for i, kind in enumerate(kinds)})


def assert_same_schema(real: pd.DataFrame, synth: pd.DataFrame) -> None:
    assert list(synth.columns) == list(real.columns)
    assert synth.dtypes.equals(real.dtypes), (real.dtypes, synth.dtypes)
    assert_values_from_source(real, synth)
    for name in real.columns:
        if isinstance(real[name].dtype, pd.CategoricalDtype):
            assert list(synth[name].cat.categories) == list(real[name].cat.categories)


@settings(max_examples=examples(60), deadline=None, derandomize=True)
@given(frames())
def test_synthesis_keeps_the_schema_and_missing_counts(real: pd.DataFrame) -> None:
    synth = synthesize(real, SynthesisOptions(), np.random.default_rng(0)).frame
    assert_same_schema(real, synth)
    # Balanced anchors donate missingness once each: the missing counts are exact.
    assert synth.isna().sum().equals(real.isna().sum())


@settings(
    max_examples=examples(40),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(frames(), st.sampled_from(list(TableFormat)))
def test_file_round_trip_keeps_the_schema(tmp_path, real: pd.DataFrame, fmt: TableFormat) -> None:
    """Write the input, synthesize from the file, write, re-read: same Arrow types."""
    source = tmp_path / f"in.{fmt.value}"
    write_table(real, str(source), fmt)
    table = read_table(str(source))
    synth = synthesize(table.frame, SynthesisOptions(), np.random.default_rng(1)).frame
    out = tmp_path / f"out.{fmt.value}"
    write_table(synth, str(out), fmt, table.arrow_schema)
    again = read_table(str(out))
    assert again.arrow_schema.types == table.arrow_schema.types
    assert again.arrow_schema.names == table.arrow_schema.names
    assert_same_schema(table.frame, again.frame)
    for name in table.frame.columns:
        assert again.frame[name].isna().sum() == table.frame[name].isna().sum()


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        (pd.Series([1.5]), ColumnKind.CONTINUOUS),
        (pd.Series([1], dtype="Int16"), ColumnKind.INTEGER),
        (pd.Series([True]), ColumnKind.BOOLEAN),
        (pd.Series(["a"]), ColumnKind.CATEGORICAL),
        (pd.Series(pd.to_datetime(["2020-01-01"])), ColumnKind.DATETIME),
        (pd.Series([pd.Timedelta(1, "s")]), ColumnKind.DATETIME),
        (pd.Series([1, "a"], dtype=object), ColumnKind.CATEGORICAL),
    ],
)
def test_column_kinds(series: pd.Series, kind: ColumnKind) -> None:
    assert infer_schema(pd.DataFrame({"c": series}))[0].kind is kind


def test_forced_categorical_columns_are_copied() -> None:
    frame = pd.DataFrame({"code": [1, 2, 3] * 10, "x": np.arange(30.0)})
    specs = infer_schema(frame, categorical=["code"])
    assert specs[0].kind is ColumnKind.CATEGORICAL
    # Copied from the dominant donors, which tile the input: counts exact. (The copy
    # repair, off here, gives a row that lands on another real row a new code.)
    kept = SynthesisOptions(categorical=("code",), keep_copies=True)
    synth = synthesize(frame, kept, np.random.default_rng(0)).frame
    assert synth["code"].value_counts().to_dict() == {1: 10, 2: 10, 3: 10}
    repaired = SynthesisOptions(categorical=("code",))
    assert set(synthesize(frame, repaired, np.random.default_rng(0)).frame["code"]) <= {1, 2, 3}
