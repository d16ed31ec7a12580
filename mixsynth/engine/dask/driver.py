"""The Dask engine: ``generate`` over tables larger than memory, on a laptop or a cluster.

THEORY.md §8: mixing inside a partition keeps that partition's mean and multiplies its
covariance by rho, so by the law of total covariance the union of the partitions keeps
the whole table's mean and covariance with generalized weights (each partition aiming
at the finite-sample target of its own size, as ``--by`` groups do), however the table
was cut, and no global pairing is needed. Vanilla weights shrink only the
within-partition covariance: by rho + (1 - rho)/m when the rows were first spread over
the partitions at random (the default, seeded), slower than rho^g when the partitions
follow the data (``--no-shuffle``).

Each partition is synthesized by the in-memory code (:class:`mixsynth.engine.memory.
GenerationStream`, on an Arrow table) against one :class:`~mixsynth.engine.reference.Reference`
of the whole input (schema, encodings, ranges: exact reductions over every row), with
a random stream of its own spawned from the seed: the files are byte-identical
whatever the number of workers and the order in which the tasks ran.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import glob
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixsynth.choices import STDIO, SUFFIXES, TableFormat
from mixsynth.columns import ColumnKind, check_by
from mixsynth.engine.kernel import allocate_rows
from mixsynth.engine.memory import GenerationStream
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference, say_what_is_made_up
from mixsynth.engine.weights import WeightDistribution
from mixsynth.errors import MixsynthError, MixsynthWarning, one_line
from mixsynth.rules.model import common_rules
from mixsynth.semantics.fakes import KeyShare
from mixsynth.semantics.types import SemanticType

#: THEORY §8: each partition needs a few hundred rows for its own target; smaller
#: partitions are merged with their neighbours before mixing.
MIN_PARTITION_ROWS = 500
#: In-memory size aimed at per partition when rows are shuffled (Dask's own default).
PARTITION_BYTES = 128 * 2**20
#: Part files of an output dataset.
PART_NAME = "part-{:05d}.parquet"

Progress = Callable[[int, int], None]  #: (tasks done, tasks known so far)


# ---------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class Source:
    """A partitioned input: where it is and in which format."""

    path: str  #: a folder, a glob or one file, as given
    files: list[str]  #: the files it stands for (the folder itself for a Parquet dataset)
    format: TableFormat


def find_source(source: str, input_format: TableFormat | None = None) -> Source:
    """The files of ``source`` (a Parquet dataset folder, a glob or one file), checked."""
    if source == STDIO:
        raise MixsynthError(
            "the Dask engine cannot read stdin (-): its workers read the files themselves",
            "give a file, a glob such as 'data/*.parquet' or a Parquet dataset folder",
        )
    path = Path(source)
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        formats = {SUFFIXES[Path(f).suffix.lower()] for f in files}
        if formats != {TableFormat.PARQUET}:
            raise MixsynthError(
                f"folder {source!r} is not a Parquet dataset (only .parquet files)",
                "give a folder of .parquet files, or a glob such as 'data/*.csv'",
            )
        return Source(source, [source], TableFormat.PARQUET)
    files = sorted(glob.glob(source)) if glob.has_magic(source) else [source]
    files = [f for f in files if Path(f).is_file()]
    if not files:
        raise MixsynthError(
            f"input {source!r} matches no file", "check the path (quote a glob for the shell)"
        )
    if input_format is not None:
        return Source(source, files, input_format)
    formats = {SUFFIXES.get(Path(f).suffix.lower()) for f in files}
    if len(formats) != 1 or None in formats:
        raise MixsynthError(
            f"input {source!r} mixes formats or has files that are neither .csv nor .parquet",
            "match only .csv or only .parquet files, or give --input-format",
        )
    return Source(source, files, formats.pop())


def read_partitions(source: Source, encoding: str = "utf-8", schema: Any = None) -> list[Any]:
    """The input's partitions as Dask delayed tables, in row order.

    Parquet is read as Arrow, straight from runs of row groups of about
    :data:`PARTITION_BYTES` each (no pandas round trip: the in-memory engine's fast
    path). A CSV file is one partition, read by the in-memory engine's reader, so that
    its columns get the same types (dates, leading zeros, encodings) as in memory:
    a CSV larger than a worker's memory must be split into files, or made Parquet.
    ``schema`` fixes the CSV column types (see :func:`common_schema`).
    """
    from dask import delayed

    try:
        if source.format is TableFormat.PARQUET:
            return [delayed(read_row_groups)(f, groups) for f, groups in row_group_runs(source)]
        return [delayed(read_csv_file)(f, encoding, schema) for f in source.files]
    except (OSError, ValueError) as error:
        raise MixsynthError(
            f"cannot read {source.path!r}: {_first_line(error)}",
            "check that every file is a table of the same columns",
        ) from None


def parquet_files(source: Source) -> list[str]:
    """The Parquet files of a source, a dataset folder's in path order."""
    files = []
    for entry in source.files:
        if Path(entry).is_dir():
            files += sorted(str(p) for p in Path(entry).rglob("*") if p.suffix.lower() in SUFFIXES)
        else:
            files.append(entry)
    return files


def row_group_runs(source: Source) -> list[tuple[str, list[int]]]:
    """Each Parquet file cut into runs of row groups of about PARTITION_BYTES in memory."""
    from pyarrow import parquet

    runs = []
    for file in parquet_files(source):
        metadata = parquet.read_metadata(file)
        run: list[int] = []
        size = 0
        for group in range(metadata.num_row_groups):
            run.append(group)
            size += metadata.row_group(group).total_byte_size
            if size >= PARTITION_BYTES:
                runs.append((file, run))
                run, size = [], 0
        if run or not runs or runs[-1][0] != file:
            runs.append((file, run))
    return runs


def read_csv_file(path: str, encoding: str, schema: Any = None) -> Any:
    """A worker task: one CSV file as Arrow, typed as the in-memory engine types it
    (or as ``schema`` says)."""
    from mixsynth.io import read_arrow

    return read_arrow(path, TableFormat.CSV, encoding, schema).table


def common_schema(schemas: Sequence[Any]) -> Any:
    """One schema for CSV files whose inferred types differ (a zip code column with
    leading zeros in one file only): integers and floats meet as float64, anything
    else as text. None when they already agree."""
    import pyarrow as pa

    first = schemas[0]
    if all(other.equals(first) for other in schemas[1:]):
        return None
    if any(other.names != first.names for other in schemas[1:]):
        return None  # other columns: whole_reference says so
    fields = []
    for position, field_ in enumerate(first):
        types = {other.field(position).type for other in schemas}
        if len(types) == 1:
            fields.append(field_)
        elif all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in types):
            fields.append(field_.with_type(pa.float64()))
        else:
            fields.append(field_.with_type(pa.string()))
    return pa.schema(fields)


def read_row_groups(path: str, groups: list[int]) -> Any:
    """A worker task: row groups of one Parquet file, as an Arrow table."""
    from pyarrow import parquet

    handle = parquet.ParquetFile(path)
    if not groups:  # a file without row groups: its empty table, with its schema
        return handle.schema_arrow.empty_table()
    return handle.read_row_groups(groups)


def _first_line(error: BaseException, limit: int = 200) -> str:
    text = one_line(str(error).strip().splitlines()[0] if str(error).strip() else repr(error))
    return text[:limit]


def to_arrow(frame: Any) -> Any:
    """A partition as a pyarrow Table (the in-memory engine's fast back end), index dropped."""
    import pyarrow as pa

    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)


def releasing(task: Callable[..., Any]) -> Callable[..., Any]:
    """A worker task that gives its freed memory back when it ends (:func:`release_memory`)."""

    @functools.wraps(task)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return task(*args, **kwargs)
        finally:
            release_memory()

    return run


def release_memory() -> None:
    """Give the memory a worker task freed back to the system before the next task.

    The workers keep glibc's adaptive malloc (see :func:`dask_client`), which keeps
    freed blocks for reuse, in one arena per thread: without this, a worker's memory
    grew task after task until Dask killed it at its limit (10M x 20, 1.5 GiB each).
    Arrow's own pool (mimalloc) is asked to return its unused memory too.
    """
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# ---------------------------------------------------------------------------
# The whole table's reference, from every partition's


@dataclass(frozen=True)
class PartSummary:
    """What a partition contributes to the whole table's reference."""

    rows: int
    reference: Reference | None  #: None for an empty partition
    schema: Any = None  #: its Arrow schema


@releasing
def summarize_part(frame: Any, options: SynthesisOptions) -> PartSummary:
    """A worker task: the partition's rows and its own reference (semantics inferred
    on the partition; :func:`whole_reference` checks that the partitions agree)."""
    table = to_arrow(frame)
    check_by(table.column_names, options.by)
    if table.num_rows == 0:
        return PartSummary(0, None, table.schema)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixsynthWarning)  # the driver says it once
        reference = Reference.of(table, options)
    return PartSummary(table.num_rows, reference, table.schema)


def whole_reference(parts: Sequence[PartSummary], where: str, keep_pii: bool = False) -> Reference:
    """The Reference ``Reference.of`` would give for all the rows at once.

    Missing counts add up; a time column's offset is its first observed value (the
    first partition's that has one); ranges are the extremes over every partition,
    re-expressed against that offset, exactly for integral kinds. Column semantics
    must agree between partitions (the same type and point mass; decimals: the most
    places any partition has), or the run is refused: a column must mean one thing.
    The real values that made-up columns (keys, personal data, free text) must avoid
    are every partition's (:func:`merge_real_values`). The rules are those found (or
    declared and held) in every partition (docs/rules.md), a time column's step the one
    all partitions share (:func:`common_grid`).
    """
    present = [p.reference for p in parts if p.reference is not None]
    if not present:
        raise MixsynthError(f"{where!r} has no rows", "give a table with at least one row")
    first = present[0]
    for other in present[1:]:
        if [s.name for s in first.schema] != [s.name for s in other.schema]:
            raise MixsynthError(
                f"the files of {where!r} do not all have the same columns in the same order",
                "give files of one table",
            )
    semantics = merge_semantics([r.semantics for r in present], where)
    for other in present[1:]:
        for a, b in zip(first.schema, other.schema, strict=True):
            if (a.kind, a.dtype) != (b.kind, b.dtype):
                raise MixsynthError(
                    f"the partitions of {where!r} disagree on column {a.name!r} "
                    f"({a.dtype} in one, {b.dtype} in another)",
                    "give files with the same column types",
                )
    schema = [
        dataclasses.replace(spec, missing=sum(r.schema[i].missing for r in present))
        for i, spec in enumerate(first.schema)
    ]
    encodings, ranges = {}, {}
    for name, encoding in first.encodings.items():
        kind = next(s.kind for s in schema if s.name == name)
        if kind is ColumnKind.DATETIME:
            observed = [r for r in present if np.isfinite(r.ranges[name][0])]
            encoding = (observed[0] if observed else first).encodings[name]
        encodings[name] = encoding
        lows, highs = [], []
        for r in present:
            low, high = r.ranges[name]
            if not np.isfinite(low):
                continue
            shift = r.encodings[name].offset - encoding.offset  # exact integers
            if kind.is_integral:
                lows.append(float(int(low) + shift))
                highs.append(float(int(high) + shift))
            else:
                lows.append(low)
                highs.append(high)
        ranges[name] = (min(lows), max(highs)) if lows else (math.nan, math.nan)
    real_values = {
        name: merge_real_values(
            [r.real_values[name] for r in present],
            semantics[name].sdtype is SemanticType.ID,
        )
        for name in first.real_values
    }
    say_what_is_made_up(semantics, keep_pii)
    # A rule of the whole table is one every partition holds (found in each).
    rules = common_rules([r.rules for r in present])
    grids = {
        name: common_grid([r for r in present if name in r.time_grids], name, encodings[name])
        for name in first.time_grids
        if all(name in r.time_grids for r in present)
    }
    return Reference(
        schema,
        encodings,
        ranges,
        semantics,
        real_values,
        time_grids={name: grid for name, grid in grids.items() if grid > 1},
        rules=rules,
    )


def common_grid(parts: Sequence[Reference], name: str, encoding: Any) -> int:
    """The time step every partition's values of column ``name`` sit on, counted from the
    whole table's offset: the greatest common divisor of the partitions' steps and of
    their offsets' distances to it (dates stay whole days across partitions)."""
    grid = 0
    for part in parts:
        grid = math.gcd(grid, part.time_grids[name])
        grid = math.gcd(grid, abs(part.encodings[name].offset - encoding.offset))
    return grid


def merge_real_values(parts: Sequence[np.ndarray], key: bool) -> np.ndarray:
    """The distinct real values of a made-up column over every partition, in order of
    first appearance; for integer keys (``key``) only the largest (fresh integer keys
    continue after it, so no worker needs all of them)."""
    if key and all(p.dtype.kind in "iu" for p in parts):
        present = [p for p in parts if p.size]
        if not present:
            return parts[0]
        return np.array([max(p.max() for p in present)], dtype=present[0].dtype)
    distinct = list(dict.fromkeys(v for p in parts for v in p.tolist()))
    values = np.empty(len(distinct), dtype=object)
    values[:] = distinct
    return values


def merge_semantics(parts: Sequence[Any], where: str) -> Any:
    """One TableMetadata from every partition's inferred semantics, which must agree."""
    first = parts[0]
    columns = {}
    for name, meaning in first.columns.items():
        others = [p.columns[name] for p in parts]
        for other in others:
            if (other.sdtype, other.pii, other.point_mass) != (
                meaning.sdtype,
                meaning.pii,
                meaning.point_mass,
            ):
                raise MixsynthError(
                    f"the partitions of {where!r} disagree on what column {name!r} means "
                    f"({meaning.describe()}: {meaning.reason}; elsewhere "
                    f"{other.describe()}: {other.reason})",
                    "say what it is in a --metadata file (mixsynth inspect --metadata "
                    "writes one to edit), or give --no-semantics",
                )
        places = [o.decimals for o in others]
        decimals = None if None in places else max(places)
        columns[name] = meaning.with_(decimals=decimals)
    return dataclasses.replace(first, columns=columns)


# ---------------------------------------------------------------------------
# Partitioning: the seeded shuffle, or the partitions as they are


def shuffle_partitions(total: int, row_bytes: int, partition_rows: int | None) -> int:
    """How many partitions a shuffle spreads ``total`` rows over: about
    :data:`PARTITION_BYTES` (or ``partition_rows`` rows) each, never fewer than
    :data:`MIN_PARTITION_ROWS` rows on average."""
    rows = partition_rows or max(PARTITION_BYTES // max(row_bytes, 1), MIN_PARTITION_ROWS)
    count = math.ceil(total / rows)
    return max(1, min(count, total // MIN_PARTITION_ROWS))


def scatter_counts(seed: np.random.SeedSequence, rows: int, parts: int) -> np.ndarray:
    """How many of a partition's ``rows`` rows go to each of ``parts`` partitions: a
    multinomial draw, the first thing its stream makes (the driver repeats it to know
    every partition's size before any data moves)."""
    return np.random.default_rng(seed).multinomial(rows, np.full(parts, 1 / parts))


@releasing
def scatter_part(frame: Any, seed: np.random.SeedSequence, parts: int, path: str) -> int:
    """A worker task, the shuffle's first stage: each row of the partition gets a
    destination drawn from the partition's own stream, and the rows are written to
    ``path`` grouped by destination, in row groups of one destination each, in
    destination order, each keeping the rows' order (so the result is deterministic).

    Only this partition (and its rows reordered) is in memory; the shuffled data waits
    on disk, not in the workers' memory (a worker's limit then bounds a partition, not
    the table). Returns the rows written.
    """
    from mixsynth.io import table_writer

    table = to_arrow(frame)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(table.num_rows, np.full(parts, 1 / parts))
    keys = np.repeat(np.arange(parts, dtype=np.int32), counts)
    rng.shuffle(keys)
    ordered = table.take(np.argsort(keys, kind="stable"))  # one take: 2x faster than one each
    # The in-memory engine's writer: no dictionary pages for floats (7x faster here).
    with table_writer(path, TableFormat.PARQUET, table.schema) as write:
        for stop, count in zip(np.cumsum(counts).tolist(), counts.tolist(), strict=True):
            if count:  # one row group each (fewer rows than the writer's group size)
                write(ordered.slice(stop - count, count))
    return table.num_rows


def scatter_rows(counts: Sequence[np.ndarray], destination: int) -> list[tuple[int, int]]:
    """For each scattered file, the rows [start, stop) it holds for ``destination``
    (the destinations' rows follow each other in destination order)."""
    return [(int(c[:destination].sum()), int(c[: destination + 1].sum())) for c in counts]


def gather_part(files: Sequence[str], rows: Sequence[tuple[int, int]], schema: Any) -> Any:
    """A worker task, the shuffle's second stage: one destination's rows from every
    scattered file, in file order, as one Arrow table. Each destination was written
    by its own call, so its rows are whole row groups (one, or more if it was long)."""
    import pyarrow as pa
    from pyarrow import parquet

    tables = []
    for file, (start, stop) in zip(files, rows, strict=True):
        if start == stop:
            continue
        handle = parquet.ParquetFile(file)
        ends = np.cumsum(
            [handle.metadata.row_group(g).num_rows for g in range(handle.num_row_groups)]
        )
        first, last = np.searchsorted(ends, [start, stop], side="right")
        tables.append(handle.read_row_groups(list(range(int(first), int(last)))))
    return pa.concat_tables(tables) if tables else schema.empty_table()


def concat_parts(*frames: Any) -> Any:
    """A worker task: neighbouring partitions joined (tiny ones merged before mixing)."""
    import pyarrow as pa

    tables = [to_arrow(frame) for frame in frames]
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")


def merge_tiny(sizes: Sequence[int], minimum: int = MIN_PARTITION_ROWS) -> list[list[int]]:
    """Runs of neighbouring partitions with at least ``minimum`` rows each (the last run
    joins the one before it when it is short); empty partitions are dropped."""
    groups: list[list[int]] = []
    current: list[int] = []
    rows = 0
    for index, size in enumerate(sizes):
        if size == 0:
            continue
        current.append(index)
        rows += size
        if rows >= minimum:
            groups.append(current)
            current, rows = [], 0
    if current:
        if groups:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


# ---------------------------------------------------------------------------
# Mixing one partition


@dataclass
class PartResult:
    """What a worker made of one partition."""

    rows: int
    outside: dict[str, list[int]]  #: per mixed column: [outside the range, observed]
    weights: WeightDistribution | None
    warnings: list[str] = field(default_factory=list)


@releasing
def generate_part(
    frame: Any,
    rows: int,
    options: SynthesisOptions,
    reference: Reference,
    seed: np.random.SeedSequence,
    index: int,
    path: str,
    schema: Any = None,
    share: KeyShare | None = None,
    made_seed: np.random.SeedSequence | None = None,
) -> PartResult:
    """A worker task: ``rows`` rows mixed from one partition, written to ``path``.

    The in-memory engine's GenerationStream does the work, slice by slice, each slice
    stored as a row group while the next is made: memory stays a few partitions.
    Made-up columns (keys, personal data, free text) are made here instead, from
    ``made_seed``, as this partition's ``share`` of the table's (fresh keys apart from
    every other partition's), where the stream would copy donors' values.
    """
    from mixsynth.io import table_writer

    table = to_arrow(frame)
    if schema is not None:  # the input's types and pandas metadata, whatever the reader did
        if not table.schema.equals(schema, check_metadata=False):
            table = table.cast(schema)
        table = table.replace_schema_metadata(schema.metadata)
    if rows == 0 or table.num_rows == 0:
        return PartResult(0, {}, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MixsynthWarning)
        made_up = MadeUp(table, reference, rows, options.locale, share, made_seed)
        stream = GenerationStream(
            table,
            dataclasses.replace(options, rows=rows),
            np.random.default_rng(seed),
            dataclasses.replace(reference, real_values={}),  # made up by MadeUp instead
            index,
        )
        # The in-memory engine's writer (no dictionary pages for floats: 7x faster); each
        # slice is stored on another thread while the next one is mixed.
        with (
            table_writer(path, TableFormat.PARQUET, table.schema) as write,
            ThreadPoolExecutor(max_workers=1) as storing,
        ):
            stored = None
            for piece in stream:
                piece = made_up.put_into(piece)
                if stored is not None:
                    stored.result()
                stored = storing.submit(write, piece)
            if stored is not None:
                stored.result()
    messages = [str(w.message) for w in caught if issubclass(w.category, MixsynthWarning)]
    return PartResult(rows, stream.outside, stream.weights, messages)


class MadeUp:
    """A partition's made-up columns: every value made at once (as in memory), then put
    into the stream's slices in order, where the dominant donor has a value (a missing
    donor gives a missing value, as in memory)."""

    def __init__(
        self,
        table: Any,
        reference: Reference,
        rows: int,
        locale: str,
        share: KeyShare | None,
        seed: np.random.SeedSequence | None,
    ) -> None:
        from mixsynth.columns import columns_of
        from mixsynth.semantics.treatments import made_up_values

        names = list(reference.real_values)
        self.source, self.done, self.values = columns_of(table), 0, {}
        if names and seed is None:
            raise ValueError("made-up columns need a seed")  # the driver always gives one
        for position, name in enumerate(names):
            # One stream per column, spawned from the partition's (explicitly: the
            # SeedSequence object may be shared by tasks run in one process).
            child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, position))
            self.values[name] = made_up_values(
                reference.semantics.columns[str(name)],
                rows,
                np.random.default_rng(child),
                reference.real_values[name],
                locale,
                share,
            )

    def put_into(self, piece: Any) -> Any:
        """The stream's next slice with its made-up columns in place of the copied ones."""
        start, self.done = self.done, self.done + piece.num_rows
        for name, values in self.values.items():
            at = piece.schema.get_field_index(name)
            column = piece.column(at)
            missing = column.is_null().to_numpy(zero_copy_only=False) if column.null_count else None
            made = self.source.made_up(name, values[start : self.done], missing)
            piece = piece.set_column(at, piece.schema.field(at), made)
        return piece


# ---------------------------------------------------------------------------
# The job


@dataclass
class GenerationSummary:
    """One generation made by the Dask engine."""

    index: int
    rows: int
    partitions: int
    path: str  #: the dataset folder it was written to
    out_of_range: dict[str, float]  #: share of observed values outside the input's range
    weights: list[WeightDistribution]  #: each partition's weights, in partition order


@dataclass(kw_only=True)
class DaskGenerateJob:
    """``mixsynth generate --engine dask``: every generation as a Parquet dataset.

    Generation g + 1 is read back from generation g's files, so no generation is ever
    held in memory whole. Without ``out_dir`` the intermediate generations live in a
    hidden folder beside the output, removed at the end.
    """

    input: str
    options: SynthesisOptions
    generations: int = 1
    output: str | None = None
    out_dir: Path | None = None
    seed: int | None = None
    input_format: TableFormat | None = None
    encoding: str = "utf-8"
    shuffle: bool = True
    partition_rows: int | None = None
    force: bool = False
    say: Callable[[str], None] = field(default=lambda line: None)

    def check(self) -> Source:
        """Everything that can be refused before any work: input, outputs, options."""
        self.options.check()
        if self.options.keep_associations:
            raise MixsynthError(
                "the Dask engine cannot keep associations: the categories that explain "
                "the numerical columns are chosen on the whole table at once",
                "leave the option out, or use --engine memory",
            )
        if self.generations < 1:
            raise MixsynthError(f"--generations must be at least 1, got {self.generations}")
        if self.output is None and self.out_dir is None:
            raise MixsynthError("no output given", "give -o FOLDER or --out-dir DIR")
        if self.partition_rows is not None and self.partition_rows < MIN_PARTITION_ROWS:
            raise MixsynthError(
                f"--partition-rows must be at least {MIN_PARTITION_ROWS}, got "
                f"{self.partition_rows}",
                "THEORY §8: each partition needs a few hundred rows for its own target",
            )
        source = find_source(self.input, self.input_format)
        for dest in self._destinations():
            check_dataset_output(dest, self.force, source)
        return source

    def _destinations(self) -> list[Path]:
        paths = [Path(self.output)] if self.output is not None else []
        if self.out_dir is not None:
            paths += [self.out_dir / f"gen-{i:03d}" for i in range(1, self.generations + 1)]
        return paths

    def run(self, client: Any, on_progress: Progress = lambda done, total: None) -> list:
        """Run every generation on ``client`` (a ``distributed.Client``)."""
        from dask import delayed

        source = self.check()
        if self.seed is None:
            self.seed = int(np.random.SeedSequence().entropy % 2**32)
            self.say(f"seed: {self.seed} (give --seed {self.seed} to repeat this run)")
        tracker = _Tracker(on_progress)
        parts = read_partitions(source, self.encoding)
        summaries = tracker.run(
            client,
            [delayed(summarize_part)(p, self.options) for p in parts],
            more=len(parts) * self.generations,
        )
        schema = common_schema([s.schema for s in summaries])
        if source.format is TableFormat.CSV and schema is not None:
            # The CSV files were typed differently: read every one with one schema.
            parts = read_partitions(source, self.encoding, schema)
            summaries = tracker.run(
                client,
                [delayed(summarize_part)(p, self.options) for p in parts],
                more=len(parts) * self.generations,
            )
        reference = whole_reference(summaries, self.input, self.options.keep_pii)
        sizes = [s.rows for s in summaries]
        schema = summaries[0].schema  # every partition's, checked by whole_reference
        row_bytes = _row_bytes(reference)
        # Sent to every worker once, not inside every task: made-up columns' real values
        # (which fakes must avoid) can be large.
        shared = client.scatter(reference, broadcast=True, hash=False)
        seeds = np.random.SeedSequence(self.seed).spawn(self.generations)
        results = []
        with self._workspace() as workspace:
            for index in range(1, self.generations + 1):
                folder = self._folder(index, workspace)
                parts, sizes, summary = self._generation(
                    client,
                    tracker,
                    parts,
                    sizes,
                    schema,
                    shared,
                    seeds[index - 1],
                    index,
                    folder,
                    row_bytes,
                )
                results.append(summary)
            if self.output is not None and self.out_dir is not None:
                publish_copy(results[-1].path, Path(self.output))
        return results

    def _generation(
        self,
        client: Any,
        tracker: _Tracker,
        parts: list,
        sizes: list[int],
        schema: Any,
        reference: Any,  #: the input's Reference, a Future held by every worker
        seed: np.random.SeedSequence,
        index: int,
        folder: Path,
        row_bytes: int,
    ) -> tuple[list, list[int], GenerationSummary]:
        """One generation from ``parts`` (delayed tables of ``sizes`` rows, of the
        input's Arrow ``schema``) into ``folder``; returns the next generation's parts."""
        shuffle_seed, mix_seed, made_seed = seed.spawn(3)
        with contextlib.ExitStack() as stack:
            if self.shuffle:
                scratch = stack.enter_context(_scratch_folder(folder))
                parts, sizes = self._shuffled(
                    client, tracker, parts, sizes, schema, shuffle_seed, row_bytes, scratch, index
                )
            return self._mix(
                client,
                tracker,
                parts,
                sizes,
                schema,
                reference,
                (mix_seed, made_seed),
                index,
                folder,
            )

    def _mix(
        self,
        client: Any,
        tracker: _Tracker,
        parts: list,
        sizes: list[int],
        schema: Any,
        reference: Any,  #: the input's Reference, a Future held by every worker
        seeds: tuple[np.random.SeedSequence, np.random.SeedSequence],
        index: int,
        folder: Path,
    ) -> tuple[list, list[int], GenerationSummary]:
        """Mix every partition into its part file of ``folder`` (``seeds``: of the
        mixing and of the made-up columns)."""
        from dask import delayed

        total = sum(sizes)
        if not self.shuffle:
            groups = merge_tiny(sizes)
            parts = [
                parts[g[0]] if len(g) == 1 else delayed(concat_parts)(*(parts[i] for i in g))
                for g in groups
            ]
            sizes = [sum(sizes[i] for i in g) for g in groups]
        rows = allocate_rows(np.array(sizes), self.options.rows or total).tolist()
        part_seeds, made_seeds = (s.spawn(len(parts)) for s in seeds)
        before = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(int).tolist()
        shares = [KeyShare(k, len(parts), before[k], max(rows)) for k in range(len(parts))]
        with _temporary_folder(folder) as temporary:
            paths = [str(temporary / PART_NAME.format(k)) for k in range(len(parts))]
            tasks = [
                delayed(generate_part)(
                    part,
                    rows[k],
                    self.options,
                    reference,
                    part_seeds[k],
                    index,
                    paths[k],
                    schema,
                    shares[k],
                    made_seeds[k],
                )
                for k, part in enumerate(parts)
            ]
            made = tracker.run(client, tasks, more=len(parts) * (self.generations - index))
        for message in dict.fromkeys(m for r in made for m in r.warnings):
            warnings.warn(message, MixsynthWarning, stacklevel=2)
        written = [(k, r) for k, r in enumerate(made) if r.rows]
        files = [str(folder / PART_NAME.format(k)) for k, _ in written]
        next_parts = [delayed(_read_part)(f) for f in files]
        summary = GenerationSummary(
            index=index,
            rows=sum(r.rows for _, r in written),
            partitions=len(written),
            path=str(folder),
            out_of_range=_out_of_range([r for _, r in written]),
            weights=[r.weights for _, r in written],
        )
        return next_parts, [r.rows for _, r in written], summary

    def _shuffled(
        self,
        client: Any,
        tracker: _Tracker,
        parts: list,
        sizes: list[int],
        schema: Any,
        seed: np.random.SeedSequence,
        row_bytes: int,
        scratch: Path,
        index: int,
    ) -> tuple[list, list[int]]:
        """The rows spread over new partitions at random (seeded), with their sizes.

        Two stages through Parquet files in ``scratch``: every partition writes its
        rows grouped by drawn destination (:func:`scatter_part`), then each new
        partition reads its row group from every file (:func:`gather_part`, run as
        the mixing task's input). Dask's own shuffles (tasks or p2p) held several
        copies of 160 MB partitions per worker and were killed at 1.5 GiB per worker
        on 10M rows x 20 (docs/scale.md); here a worker holds one partition.
        """
        from dask import delayed

        total = sum(sizes)
        count = shuffle_partitions(total, row_bytes, self.partition_rows)
        seeds = seed.spawn(len(parts))
        counts = [scatter_counts(seeds[i], n, count) for i, n in enumerate(sizes)]
        files = [str(scratch / PART_NAME.format(i)) for i in range(len(parts))]
        tasks = [
            delayed(scatter_part)(part, seeds[i], count, files[i]) for i, part in enumerate(parts)
        ]
        tracker.run(client, tasks, more=count * (self.generations - index + 1))
        shuffled = [
            delayed(gather_part)(files, scatter_rows(counts, k), schema) for k in range(count)
        ]
        return shuffled, [int(c) for c in sum(counts)]

    def _folder(self, index: int, workspace: Path | None) -> Path:
        """Where generation ``index`` goes: --out-dir, the output, or the workspace."""
        if self.out_dir is not None:
            return self.out_dir / f"gen-{index:03d}"
        if index == self.generations:
            return Path(self.output)
        assert workspace is not None
        return workspace / f"gen-{index:03d}"

    @contextlib.contextmanager
    def _workspace(self) -> Iterator[Path | None]:
        """A hidden folder beside the output for intermediate generations (if needed)."""
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            yield None
            return
        if self.generations == 1:
            yield None
            return
        parent = Path(self.output).absolute().parent
        workspace = Path(tempfile.mkdtemp(prefix=".mixsynth-generations-", dir=parent))
        try:
            yield workspace
        finally:
            shutil.rmtree(workspace, ignore_errors=True)


class _Tracker:
    """Runs batches of tasks on the cluster and reports progress over all of them."""

    def __init__(self, on_progress: Progress) -> None:
        self.on_progress, self.done, self.total = on_progress, 0, 0

    def run(self, client: Any, tasks: list, more: int = 0) -> list:
        """Results of ``tasks`` in order; ``more`` tasks are expected after these."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        self.total = self.done + len(tasks) + more
        self.on_progress(self.done, self.total)
        futures = client.compute(tasks)
        try:
            for _ in as_completed(futures):
                self.done += 1
                self.on_progress(self.done, self.total)
            return client.gather(futures)
        except MixsynthError:
            raise
        except KilledWorker:
            raise MixsynthError(
                "Dask workers died running the job, most likely past their memory limit",
                "give each worker more --memory-limit, fewer --workers, or a smaller "
                "--partition-rows",
            ) from None
        except (ValueError, TypeError, OSError, KeyError) as error:
            raise MixsynthError(
                f"a Dask task failed: {_first_line(error)}",
                "check that every input file holds the same columns and types",
            ) from None
        finally:
            client.cancel(futures)


def _read_part(path: str) -> Any:
    """A worker task: one part file of a generation, for the next generation."""
    from pyarrow import parquet

    return parquet.read_table(path)


def _row_bytes(reference: Reference) -> int:
    """Rough in-memory bytes per row: 8 per mixed column, 32 per copied one."""
    return sum(8 if spec.kind.is_mixed else 32 for spec in reference.schema)


def _out_of_range(results: Sequence[PartResult]) -> dict[str, float]:
    totals: dict[str, list[int]] = {}
    for result in results:
        for name, (outside, observed) in result.outside.items():
            entry = totals.setdefault(name, [0, 0])
            entry[0] += outside
            entry[1] += observed
    return {name: (o / n if n else 0.0) for name, (o, n) in totals.items()}


# ---------------------------------------------------------------------------
# Dataset folders, written atomically


def check_dataset_output(dest: Path, force: bool, source: Source) -> None:
    """Refuse an output dataset that exists (without --force) or that holds the input."""
    target = dest.absolute()
    for file in source.files:
        used = Path(file).absolute()
        if target == used or target in used.parents or used in target.parents:
            raise MixsynthError(
                f"output {str(dest)!r} overlaps the input {file!r}",
                "write the output to another folder",
            )
    if dest.exists() and not force:
        raise MixsynthError(f"output {str(dest)!r} already exists", "give --force to overwrite it")
    if dest.exists() and not dest.is_dir() and not dest.is_file():
        raise MixsynthError(
            f"output {str(dest)!r} is not a folder", "give a folder name for the dataset"
        )
    parent = target.parent
    while not parent.exists():  # --out-dir is created, as the in-memory engine does
        parent = parent.parent
    if not parent.is_dir():
        raise MixsynthError(f"the folder of output {str(dest)!r} is not a folder", "check the path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise MixsynthError(
            f"cannot write in the folder of output {str(dest)!r}", "check its permissions"
        )


@contextlib.contextmanager
def _scratch_folder(dest: Path) -> Iterator[Path]:
    """A hidden folder beside ``dest`` for the shuffle's files (where every worker can
    write, as it can write the output), removed when the block ends."""
    dest.absolute().parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}.shuffle-", dir=dest.absolute().parent))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def _temporary_folder(dest: Path) -> Iterator[Path]:
    """A hidden folder beside ``dest``, put in its place when the block succeeds, and
    removed otherwise: a dataset appears complete or not at all."""
    dest.absolute().parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.absolute().parent))
    try:
        os.chmod(temporary, 0o777 & ~_umask())
        yield temporary
        _replace(temporary, dest)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _replace(temporary: Path, dest: Path) -> None:
    """Move ``temporary`` onto ``dest``; a previous dataset there is removed after."""
    if dest.exists() or dest.is_symlink():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
        os.replace(temporary, dest)
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
    else:
        os.replace(temporary, dest)


def publish_copy(folder: str, dest: Path) -> None:
    """Copy a finished dataset to ``dest`` (-o beside --out-dir), atomically."""
    with _temporary_folder(dest) as temporary:
        for part in sorted(Path(folder).iterdir()):
            shutil.copyfile(part, temporary / part.name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------------
# The cluster


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | None = None,
    processes: bool = True,
    dashboard: bool = False,
) -> Iterator[Any]:
    """A ``distributed.Client`` on the scheduler at ``scheduler``, or on a local cluster
    of ``workers`` single-threaded workers (default: one per core) with
    ``memory_limit`` each, which spill to disk as they approach it."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as error:
            raise MixsynthError(
                f"cannot reach the Dask scheduler at {scheduler!r}: {_first_line(error)}",
                "start one (dask-scheduler, then dask-worker ADDRESS) or leave out --scheduler",
            ) from None
        with client:
            yield client
        return
    import dask

    # Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns
    # off glibc's adaptive mmap threshold: every array over 128 KiB is then mapped
    # afresh and faulted in page by page. Mixing 1M x 20 rows took 355,000 page faults
    # and 1.4 s of system time that way, against 17,000 and 0.2 s with arrays under
    # 4 MiB (a slice's) from the heap and the heap trimmed past 32 MiB free (measured:
    # glibc's defaults alone kept so much freed memory that 1.5 GiB workers were
    # killed on 10M rows).
    environ = "distributed.nanny.pre-spawn-environ"
    # The workers' Arrow allocates with that tuned malloc too, unless the user chose a
    # pool: the set-up docs/scale.md measured (10M and 50M rows within 1.5 GiB).
    malloc = {
        f"{environ}.MALLOC_MMAP_THRESHOLD_": 4 * 2**20,
        f"{environ}.MALLOC_TRIM_THRESHOLD_": 32 * 2**20,
        f"{environ}.ARROW_DEFAULT_MEMORY_POOL": os.environ.get(
            "ARROW_DEFAULT_MEMORY_POOL", "system"
        ),
    }
    with dask.config.set(malloc):
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=processes,
            memory_limit=memory_limit or "auto",
            dashboard_address=":0" if dashboard else None,
            silence_logs=50,
        )
    with cluster, Client(cluster) as client:
        yield client


def check_cluster_options(
    scheduler: str | None, workers: int | None, memory_limit: str | None, dashboard: bool
) -> None:
    """Refuse cluster options that cannot be honoured, before anything starts."""
    if scheduler is not None and (workers is not None or memory_limit is not None):
        raise MixsynthError(
            "--workers and --memory-limit size a local cluster; with --scheduler the "
            "cluster's workers were sized when they were started",
            "leave them out, or leave out --scheduler",
        )
    if scheduler is not None and "://" not in scheduler:
        raise MixsynthError(
            f"--scheduler {scheduler!r} is not an address", "give e.g. tcp://127.0.0.1:8786"
        )
    if workers is not None and workers < 1:
        raise MixsynthError(f"--workers must be at least 1, got {workers}")
    if memory_limit is not None:
        from dask.utils import parse_bytes

        try:
            limit = parse_bytes(memory_limit)
        except (ValueError, TypeError):
            limit = 0
        if limit < 64 * 2**20:
            raise MixsynthError(
                f"cannot use --memory-limit {memory_limit!r}",
                "give a size per worker of at least 64MiB, e.g. 2GiB",
            )
    if dashboard and scheduler is None:
        import importlib.util

        if importlib.util.find_spec("bokeh") is None:
            raise MixsynthError(
                "--dashboard needs the bokeh package, which is not installed",
                "pip install 'bokeh>=3.1', or leave out --dashboard",
            )
