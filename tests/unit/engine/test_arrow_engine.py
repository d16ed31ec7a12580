"""The Arrow engine: synthesis straight on pyarrow Tables, as the CLI does it.

What this guards:

1. the Arrow back end (:class:`mixsynth.columns.arrow.ArrowColumns`) and the pandas one
   (:class:`mixsynth.columns.frame.FrameColumns`) run the same algorithm: same seed, same
   options, identical synthetic values and dtypes;
2. date32 columns, which only the Arrow path has, stay date32 and keep their missing
   count, mean and variance;
3. ``group_codes`` on Arrow numbers groups as pandas' ``groupby(...).ngroup()`` does;
4. ``mixsynth generate`` does not import pandas unless ``--report`` is given;
5. Arrow sources are never modified, and float64 columns reach the kernel without a copy;
6. mixed columns draw from their own random streams, so copied columns do not shift them;
7. a table of several slices comes out the same through the CLI (CSV, Parquet, stdout)
   as from the library.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.columns import ColumnKind, group_codes
from mixsynth.columns.arrow import ArrowColumns
from mixsynth.engine.memory import run_generations, synthesize
from mixsynth.engine.options import Generation, SynthesisOptions
from mixsynth.io import arrow_to_frame
from mixsynth.semantics.values import SAMPLE_VALUES
from tests.oracles.mixup import simulate

REPO = Path(__file__).resolve().parents[3]
ROWS = 300
#: Deviations from the theory are allowed up to this many standard errors (as test_synth).
Z = 4.5


def with_nulls(rng: np.random.Generator, values: Any, share: float, type_=None) -> pa.Array:
    """An Arrow array of ``values`` with about ``share`` of them null."""
    return pa.array(values, type=type_, mask=rng.random(len(values)) < share)


def every_kind_table(seed: int = 0, rows: int = ROWS) -> pa.Table:
    """One column of each Arrow type pandas represents the same way (no date32 here)."""
    rng = np.random.default_rng(seed)
    words = np.array(["apple", "pear", "fig", "kiwi"])
    colors = pa.DictionaryArray.from_arrays(
        pa.array(rng.integers(0, 3, rows), pa.int32()), pa.array(["red", "green", "blue"])
    )
    return pa.table(
        {
            "f64": with_nulls(rng, rng.normal(10, 3, rows), 0.1),
            "f32": pa.array(rng.normal(size=rows).astype(np.float32)),
            "i64": pa.array(rng.integers(-1000, 1000, rows)),
            "i64n": with_nulls(rng, rng.integers(0, 4, rows), 0.15),  # also a --by key
            "i32": pa.array(rng.integers(0, 7, rows).astype(np.int32)),
            "u8": pa.array(rng.integers(0, 256, rows).astype(np.uint8)),
            "flag": pa.array(rng.random(rows) < 0.3),
            "word": with_nulls(rng, words[rng.integers(0, 4, rows)], 0.1),
            "color": colors,
            "ts": pa.array(rng.integers(1_500_000_000, 1_700_000_000, rows), pa.timestamp("s")),
            "tz": with_nulls(
                rng,
                rng.integers(1_500_000_000, 1_700_000_000, rows) * 1_000_000,
                0.1,
                pa.timestamp("us", tz="Europe/Paris"),
            ),
            "dur": pa.array(rng.integers(0, 10**7, rows), pa.duration("ms")),
        }
    )


OPTION_SETS = {
    "generalized": SynthesisOptions(),
    "vanilla": SynthesisOptions(method=Method.VANILLA),
    "rows-2.5x": SynthesisOptions(rows=int(2.5 * ROWS)),
    "by-string": SynthesisOptions(by=("word",)),
    "by-two-with-nulls": SynthesisOptions(by=("color", "i64n")),
    "categorical-int": SynthesisOptions(categorical=("i32",)),
    "pairing-iid": SynthesisOptions(pairing=Pairing.IID),
    "bounds-clip": SynthesisOptions(bounds=Bounds.CLIP),
    "bounds-reflect": SynthesisOptions(bounds=Bounds.REFLECT),
}


def assert_same_generation(arrow: Generation, frame: Generation, source: pa.Table) -> None:
    """The Arrow generation, seen by pandas, is the pandas generation exactly."""
    assert isinstance(arrow.frame, pa.Table)
    assert isinstance(frame.frame, pd.DataFrame)
    assert arrow.frame.schema == source.schema
    # Same arithmetic on the same float64 vectors: bit-identical, dtypes included.
    pd.testing.assert_frame_equal(
        arrow_to_frame(arrow.frame), frame.frame, check_dtype=True, check_exact=True
    )
    assert arrow.out_of_range == frame.out_of_range
    assert arrow.weights == frame.weights


# 1. The two back ends are the same algorithm ------------------------------------------


@pytest.mark.parametrize("options", OPTION_SETS.values(), ids=OPTION_SETS.keys())
def test_arrow_and_pandas_back_ends_give_the_same_generation(options: SynthesisOptions) -> None:
    table = every_kind_table()
    frame = arrow_to_frame(table)
    arrow = synthesize(table, options, np.random.default_rng(1))
    pandas = synthesize(frame, options, np.random.default_rng(1))
    assert_same_generation(arrow, pandas, table)
    assert arrow.frame.num_rows == (options.rows or ROWS)
    # Not vacuous: the mixed columns really are new values.
    assert not arrow.frame.column("f64").equals(table.column("f64"))


def test_float16_columns_give_the_same_generation() -> None:
    rng = np.random.default_rng(6)
    values = with_nulls(rng, rng.normal(size=ROWS).astype(np.float16), 0.1)
    table = pa.table({"h": values})
    arrow = synthesize(table, SynthesisOptions(), np.random.default_rng(1))
    pandas = synthesize(arrow_to_frame(table), SynthesisOptions(), np.random.default_rng(1))
    assert_same_generation(arrow, pandas, table)


@pytest.mark.parametrize(
    "name", ["generalized", "rows-2.5x", "by-two-with-nulls", "bounds-reflect"]
)
def test_arrow_and_pandas_generations_stay_the_same(name: str) -> None:
    """Each generation is made from the previous one, in the type of the input."""
    options = OPTION_SETS[name]
    table = every_kind_table(seed=3)
    arrow = list(run_generations(table, options, 3, seed=7))
    pandas = list(run_generations(arrow_to_frame(table), options, 3, seed=7))
    assert [g.index for g in arrow] == [1, 2, 3]
    assert_same_generation(arrow[-1], pandas[-1], table)


# 2. date32 columns (Arrow only) --------------------------------------------------------


def date_table(rng: np.random.Generator, rows: int = ROWS) -> pa.Table:
    """Day numbers around 2022 with a spread of 5 days (rounding matters), 10% missing."""
    days = np.round(rng.normal(19_000, 5, rows)).astype(np.int32)
    return pa.table({"day": with_nulls(rng, days, 0.1, pa.date32())})


def day_numbers(column: pa.ChunkedArray) -> np.ndarray:
    return column.drop_null().cast(pa.int32()).to_numpy().astype(np.float64)


def test_date32_columns_keep_type_missing_count_mean_and_variance() -> None:
    """Balanced pairing with as many rows as the source: each row is the dominant donor
    once, so the null count is exact. The generalized default keeps E[s^2] (ddof=1)
    and the mean; both are checked over many seeds against their standard error."""
    ratios, shifts = [], []
    for rep in range(200):
        table = date_table(np.random.default_rng(rep))
        out = synthesize(table, SynthesisOptions(), np.random.default_rng(10_000 + rep)).frame
        assert out.schema == table.schema  # date32, not a timestamp
        assert out.column("day").null_count == table.column("day").null_count
        source, synthetic = day_numbers(table.column("day")), day_numbers(out.column("day"))
        ratios.append(synthetic.var(ddof=1) / source.var(ddof=1))
        shifts.append(synthetic.mean() - source.mean())
    # Standard errors from 4,000 runs of the documented process with its rounding to
    # whole days, in numpy (tests.oracles.mixup), on the observed days of tables drawn
    # alike (about 270 of 300).
    rng = np.random.default_rng(1)
    start = np.round(rng.normal(19_000, 5, (4000, 270, 1)))
    weights = SynthesisOptions().weights_for(270, 270)
    last = simulate(weights, start, balanced=True, integers=True)[..., 0]
    simulated = {
        "ratio": last.var(axis=1, ddof=1) / start[..., 0].var(axis=1, ddof=1),
        "shift": last.mean(axis=1) - start[..., 0].mean(axis=1),
    }
    for key, values, target in (("ratio", ratios, 1.0), ("shift", shifts, 0.0)):
        se = simulated[key].std(ddof=1) / np.sqrt(len(values))
        assert abs(np.mean(values) - target) < Z * se, (key, np.mean(values), se)


# 3. group_codes on Arrow is pandas' ngroup ---------------------------------------------


def grouping_table(seed: int = 0, rows: int = 240) -> pa.Table:
    """Keys with nulls of several types: float with NaN *and* null, string, int, bool,
    and a dictionary column whose two chunks have different dictionaries."""
    rng = np.random.default_rng(seed)
    floats = rng.choice([0.5, 1.5, 2.5, np.nan], rows)  # NaN values, and nulls below
    half = rows // 2
    first = pa.DictionaryArray.from_arrays(
        with_nulls(rng, rng.integers(0, 3, half), 0.1, pa.int32()), pa.array(["a", "b", "c"])
    )
    second = pa.DictionaryArray.from_arrays(
        with_nulls(rng, rng.integers(0, 3, rows - half), 0.1, pa.int32()),
        pa.array(["c", "d", "a"]),  # "a" and "c" again, at other codes
    )
    return pa.table(
        {
            "f": with_nulls(rng, floats, 0.1),
            "s": with_nulls(rng, rng.choice(["x", "y", "z"], rows), 0.1),
            "k": with_nulls(rng, rng.integers(0, 3, rows), 0.1),
            "b": with_nulls(rng, rng.random(rows) < 0.5, 0.1),
            "d": pa.chunked_array([first, second]),
        }
    )


def test_grouping_table_has_what_it_claims() -> None:
    table = grouping_table()
    floats = table.column("f")
    assert floats.null_count > 0
    assert np.isnan(floats.drop_null().to_numpy()).any()
    chunks = table.column("d").chunks
    assert len(chunks) == 2 and not chunks[0].dictionary.equals(chunks[1].dictionary)


@pytest.mark.parametrize(
    "by",
    [("f",), ("d",), ("s", "k"), ("d", "f"), ("f", "s", "k", "b"), ("b", "d", "s")],
    ids="-".join,
)
def test_group_codes_on_arrow_are_pandas_ngroup(by: tuple[str, ...]) -> None:
    table = grouping_table()
    frame = arrow_to_frame(table)
    expected = frame.groupby(list(by), dropna=False, sort=False, observed=True).ngroup()
    codes = group_codes(table, by)
    assert codes.max() > 0
    np.testing.assert_array_equal(codes, expected.to_numpy())


def test_float_keys_nan_and_null_are_one_group() -> None:
    table = pa.table({"f": pa.array([1.0, np.nan, None, 1.0, None, np.nan, 2.0])})
    assert group_codes(table, ("f",)).tolist() == [0, 1, 1, 0, 1, 1, 2]


def test_float_keys_signed_zeros_are_one_group_numbered_across_chunks() -> None:
    """Codes come from Arrow's hash table: -0.0 equals 0.0 there only once normalized,
    and the numbering is by first appearance over all chunks, not per chunk."""
    column = pa.chunked_array([pa.array([2.0, -0.0]), pa.array([0.0, np.nan, 2.0, -1.0])])
    table = pa.table({"f": column, "s": pa.chunked_array([["b", "a"], ["a", None, "b", "c"]])})
    assert group_codes(table, ("f",)).tolist() == [0, 1, 1, 2, 0, 3]
    assert group_codes(table, ("s",)).tolist() == [0, 1, 1, 2, 0, 3]
    assert group_codes(table, ("s", "f")).tolist() == [0, 1, 1, 2, 0, 3]


# 4. No pandas on the generate path -----------------------------------------------------

PROBE = """
import json, sys
from mixsynth.cli import main
sys.argv = ["mixsynth", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as stop:
    code = stop.code
print("PROBE " + json.dumps({"code": code, "pandas": "pandas" in sys.modules}))
"""


#: More rows than semantic inference looks at (its sampling path imported pandas once).
PROBE_ROWS = 3 * SAMPLE_VALUES


def large_enough_input(folder: Path, fmt: str) -> Path:
    """A table with floats, integers, strings and dates, all with missing values; more
    rows than semantic inference looks at, so that its sampling runs too."""
    rng = np.random.default_rng(0)
    rows = PROBE_ROWS
    table = pa.table(
        {
            "x": with_nulls(rng, rng.normal(size=rows), 0.1),
            "k": with_nulls(rng, rng.integers(0, 9, rows), 0.1),
            "s": with_nulls(rng, rng.choice(["a", "b"], rows), 0.1),
            "day": with_nulls(rng, rng.integers(18_000, 19_000, rows, np.int32), 0.1, pa.date32()),
        }
    )
    path = folder / f"in.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    return path


def run_generate(folder: Path, *args: str) -> bool:
    """Run ``mixsynth generate ARGS`` in a fresh interpreter; whether it imported pandas."""
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}  # this checkout's mixsynth
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "generate", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, (done.stdout, done.stderr)
    probe = json.loads(lines[-1].removeprefix("PROBE "))
    # A run that failed early would "not import pandas" for the wrong reason.
    assert probe["code"] in (0, None), (done.stdout, done.stderr)
    return probe["pandas"]


@pytest.mark.parametrize(
    ("fmt", "extra"),
    [
        ("csv", ()),
        ("parquet", ()),
        ("csv", ("--by", "s", "--generations", "2", "--bounds", "reflect", "--rows", "70")),
    ],
    ids=["csv", "parquet", "csv-by-generations"],
)
@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_generate_does_not_import_pandas(tmp_path: Path, fmt: str, extra: tuple[str, ...]) -> None:
    source = large_enough_input(tmp_path, fmt)
    output = tmp_path / f"out.{fmt}"
    assert not run_generate(tmp_path, str(source), "-o", str(output), "--seed", "1", *extra)
    read = pacsv.read_csv if fmt == "csv" else pq.read_table
    written = read(output)
    assert written.column_names == ["x", "k", "s", "day"]
    assert written.num_rows == (70 if extra else PROBE_ROWS)


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
@pytest.mark.parametrize("name", ["customers.csv", "wine.parquet"])
def test_generate_on_the_sample_tables_does_not_import_pandas(tmp_path: Path, name: str) -> None:
    """Every column kind of the semantics (0/1 labels, codes, keys, fakes, point masses,
    whole-valued floats written to CSV) stays on the Arrow path."""
    source = REPO / "sample_data" / name
    assert not run_generate(tmp_path, str(source), "-o", str(tmp_path / "out.csv"), "--seed", "1")


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_generate_imports_pandas_for_a_report(tmp_path: Path) -> None:
    source = large_enough_input(tmp_path, "csv")
    args = [str(source), "-o", "out.csv", "--seed", "1", "--report", "report.json"]
    assert run_generate(tmp_path, *args)
    assert json.loads((tmp_path / "report.json").read_text())


# 5. Sources untouched, float64 zero-copy -----------------------------------------------


def buffer_bytes(table: pa.Table) -> list[bytes | None]:
    """Every byte of every buffer of the table (dictionaries included)."""
    snapshot = []
    for column in table.columns:
        for chunk in column.chunks:
            arrays = [chunk, chunk.dictionary] if pa.types.is_dictionary(chunk.type) else [chunk]
            for array in arrays:
                snapshot += [b.to_pybytes() if b is not None else None for b in array.buffers()]
    return snapshot


def ipc_copy(table: pa.Table) -> pa.Table:
    """A deep copy of ``table``, in memory of its own."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return pa.ipc.open_stream(sink.getvalue()).read_all()


@pytest.mark.parametrize("name", ["generalized", "by-two-with-nulls", "bounds-reflect"])
def test_arrow_source_is_not_modified(name: str) -> None:
    table = every_kind_table(seed=5)
    # A float64 column without nulls: the one handed to the kernel without a copy.
    table = table.append_column("dense", pa.array(np.random.default_rng(5).normal(size=ROWS)))
    copy, before = ipc_copy(table), buffer_bytes(table)
    list(run_generations(table, OPTION_SETS[name], 2, seed=11))
    assert table.equals(copy)
    assert buffer_bytes(table) == before


def dense_and_sparse() -> tuple[ArrowColumns, pa.Table]:
    rng = np.random.default_rng(2)
    table = pa.table(
        {"dense": rng.normal(size=1000), "sparse": with_nulls(rng, rng.normal(size=1000), 0.2)}
    )
    return ArrowColumns(table), table


def encoded(columns: ArrowColumns, name: str) -> np.ndarray:
    kind = ColumnKind.CONTINUOUS
    return columns.encode(name, kind, columns.encoding(name, kind))


def data_buffer(table: pa.Table, name: str) -> pa.Buffer:
    (chunk,) = table.column(name).chunks
    return chunk.buffers()[1]


def test_float64_without_nulls_is_encoded_without_a_copy() -> None:
    columns, table = dense_and_sparse()
    values, data = encoded(columns, "dense"), data_buffer(table, "dense")
    assert values.ctypes.data == data.address
    assert np.shares_memory(values, np.frombuffer(data, dtype=np.float64))


def test_float64_zero_copy_view_is_read_only() -> None:
    columns, _ = dense_and_sparse()
    assert not encoded(columns, "dense").flags.writeable


def test_float64_with_nulls_is_copied_and_nulls_become_nan() -> None:
    columns, table = dense_and_sparse()
    values = encoded(columns, "sparse")
    assert not np.shares_memory(values, np.frombuffer(data_buffer(table, "sparse"), np.float64))
    np.testing.assert_array_equal(np.isnan(values), table.column("sparse").is_null().to_numpy())


def test_float64_results_are_handed_back_without_a_copy() -> None:
    columns, _ = dense_and_sparse()
    kind = ColumnKind.CONTINUOUS
    values = np.random.default_rng(3).normal(size=1000)
    array = columns.decode(values, "dense", kind, columns.encoding("dense", kind))
    assert array.type == pa.float64() and array.null_count == 0
    assert array.buffers()[1].address == values.ctypes.data


# 6. Column-wise random streams ---------------------------------------------------------


def independence_table() -> pa.Table:
    rng = np.random.default_rng(4)
    return pa.table(
        {
            "x": with_nulls(rng, rng.normal(size=ROWS), 0.2),  # partners redrawn: random
            "k": pa.array(rng.integers(0, 5, ROWS)),  # stochastic rounding: random
            "word": pa.array(rng.choice(["a", "b", "c"], ROWS)),
            "t": pa.array(rng.integers(0, 10**6, ROWS), pa.timestamp("s")),
            "flag": pa.array(rng.random(ROWS) < 0.5),
        }
    )


VARIANTS: dict[str, Callable[[pa.Table], pa.Table]] = {
    "copied-column-removed": lambda t: t.drop_columns(["word"]),
    "copied-column-added-first": lambda t: t.add_column(0, "again", t.column("word")),
    "copied-column-added-last": lambda t: t.append_column("bool2", t.column("flag")),
}
MIXED = ["x", "k", "t"]


@pytest.mark.parametrize("backend", ["arrow", "pandas"])
@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_copied_columns_do_not_change_the_mixed_values(
    variant: Callable[[pa.Table], pa.Table], backend: str
) -> None:
    """A property of the design: the pairs are drawn first, then each mixed column
    draws (partner repairs, rounding) from its own stream spawned from the generation's
    generator, and copied columns draw nothing. So adding or removing a copied column
    leaves every mixed column's synthetic values unchanged for the same seed."""
    table = independence_table()
    convert = arrow_to_frame if backend == "pandas" else (lambda t: t)
    options = SynthesisOptions()
    base = synthesize(convert(table), options, np.random.default_rng(21)).frame
    changed = synthesize(convert(variant(table)), options, np.random.default_rng(21)).frame
    for name in [*MIXED, "flag"]:
        if backend == "pandas":
            pd.testing.assert_series_equal(base[name], changed[name], check_exact=True)
        else:
            assert base.column(name).equals(changed.column(name)), name


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_a_table_of_several_slices_is_the_same_through_the_cli_and_the_library(
    tmp_path: Path,
) -> None:
    """``generate`` writes each slice of SLICE_ROWS rows while the next is made; the
    file (CSV or Parquet, to a path or to stdout) must hold exactly the library's
    generation, made from the same table with the same seed: one header, every row,
    in order. Also pandas and Arrow agree across slices (joined with pd.concat)."""
    from mixsynth.engine.memory import SLICE_ROWS, generation_rngs

    rows = 2 * SLICE_ROWS + 1_000  # three slices, the last one short
    source = tmp_path / "big.parquet"
    # CSV has no durations; the table as read back (Parquet stores seconds as ms).
    pq.write_table(every_kind_table(seed=9, rows=rows).drop_columns(["dur"]), source)
    table = pq.read_table(source)
    expected = synthesize(table, SynthesisOptions(), generation_rngs(4, 1)[0]).frame
    pandas = synthesize(arrow_to_frame(table), SynthesisOptions(), generation_rngs(4, 1)[0])
    pd.testing.assert_frame_equal(arrow_to_frame(expected), pandas.frame, check_exact=True)

    def cli(*args: str) -> bytes:
        command = [sys.executable, "-m", "mixsynth", "generate", str(source), "--seed", "4"]
        return subprocess.run([*command, *args], capture_output=True, check=True).stdout

    cli("-o", str(tmp_path / "out.parquet"))
    written = pq.read_table(tmp_path / "out.parquet")
    assert written.equals(expected)
    assert pq.ParquetFile(tmp_path / "out.parquet").num_row_groups == 3
    cli("-o", str(tmp_path / "out.csv"))
    text = (tmp_path / "out.csv").read_bytes()
    assert cli("-o", "-", "--format", "csv") == text
    assert text.count(b'"f64"') == 1  # one header
    names = ["f64", "i64n", "word", "ts"]
    read_back = pacsv.read_csv(
        tmp_path / "out.csv",
        convert_options=pacsv.ConvertOptions(
            include_columns=names,
            column_types={name: written.schema.field(name).type for name in names},
            strings_can_be_null=True,
        ),
    )
    assert read_back.equals(written.select(names))


def test_to_numpy_reads_sliced_empty_and_null_chunks() -> None:
    """The buffer reader behind every encode: chunk offsets (a sliced array's validity
    bits and values start mid-buffer), empty chunks and nulls, against pyarrow's own
    conversion (which imports pandas, hence not used by mixsynth)."""
    from mixsynth.columns.arrow import to_numpy

    rng = np.random.default_rng(12)
    base = with_nulls(rng, rng.normal(size=50), 0.3)
    column = pa.chunked_array(
        [base.slice(3, 17), pa.array([], pa.float64()), base.slice(21, 9), base.slice(40)]
    )
    expected = np.concatenate([chunk.to_numpy(zero_copy_only=False) for chunk in column.chunks])
    np.testing.assert_array_equal(to_numpy(column, np.nan), expected)  # NaN == NaN here
    ints = pa.chunked_array([pa.array([5, None, 7, None, 9], pa.int64()).slice(1)])
    np.testing.assert_array_equal(to_numpy(ints, -1), [-1, 7, -1, 9])
