"""The Dask engine's inputs: a partitioned table's files and its partitions as
Arrow tables, read by the workers themselves."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mixsynth.choices import STDIO, SUFFIXES, TableFormat
from mixsynth.engine.dask.tasks import first_line
from mixsynth.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa
    from dask.delayed import Delayed

    from mixsynth.columns.kinds import DataTable

#: In-memory size aimed at per partition when rows are shuffled (Dask's own default).
PARTITION_BYTES = 128 * 2**20


@dataclass(frozen=True)
class Source:
    """A partitioned input: where it is and in which format."""

    path: str  #: a folder, a glob or one file, as given
    files: list[str]  #: the files it stands for (the folder itself for a Parquet dataset)
    format: TableFormat


def find_source(source: str, input_format: TableFormat | None = None) -> Source:
    """The files of ``source`` (a Parquet dataset folder, a glob or one file), checked."""
    if source == STDIO:
        raise InputError(
            "the Dask engine cannot read stdin (-): its workers read the files themselves",
            "give a file, a glob such as 'data/*.parquet' or a Parquet dataset folder",
        )
    path = Path(source)
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        formats = {SUFFIXES[Path(f).suffix.lower()] for f in files}
        if formats != {TableFormat.PARQUET}:
            raise InputError(
                f"folder {source!r} is not a Parquet dataset (only .parquet files)",
                "give a folder of .parquet files, or a glob such as 'data/*.csv'",
            )
        return Source(source, [source], TableFormat.PARQUET)
    files = sorted(glob.glob(source)) if glob.has_magic(source) else [source]
    files = [f for f in files if Path(f).is_file()]
    if not files:
        raise InputError(
            f"input {source!r} matches no file", "check the path (quote a glob for the shell)"
        )
    if input_format is not None:
        return Source(source, files, input_format)
    seen = {SUFFIXES.get(Path(f).suffix.lower()) for f in files}
    found = seen.pop() if len(seen) == 1 else None
    if found is None:
        raise InputError(
            f"input {source!r} mixes formats or has files that are neither .csv nor .parquet",
            "match only .csv or only .parquet files, or give --input-format",
        )
    return Source(source, files, found)


def read_partitions(
    source: Source, encoding: str = "utf-8", schema: pa.Schema | None = None
) -> list[Delayed]:
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
            return [delayed(read_row_groups)(f, groups) for f, groups in _row_group_runs(source)]
        return [delayed(_read_csv_file)(f, encoding, schema) for f in source.files]
    except (OSError, ValueError) as error:
        raise InputError(
            f"cannot read {source.path!r}: {first_line(error)}",
            "check that every file is a table of the same columns",
        ) from None


def _parquet_files(source: Source) -> list[str]:
    """The Parquet files of a source, a dataset folder's in path order."""
    files = []
    for entry in source.files:
        if Path(entry).is_dir():
            files += sorted(str(p) for p in Path(entry).rglob("*") if p.suffix.lower() in SUFFIXES)
        else:
            files.append(entry)
    return files


def _row_group_runs(source: Source) -> list[tuple[str, list[int]]]:
    """Each Parquet file cut into runs of row groups of about PARTITION_BYTES in memory."""
    from pyarrow import parquet

    runs = []
    for file in _parquet_files(source):
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


def _read_csv_file(path: str, encoding: str, schema: pa.Schema | None = None) -> pa.Table:
    """A worker task: one CSV file as Arrow, typed as the in-memory engine types it
    (or as ``schema`` says)."""
    from mixsynth.io import read_arrow

    return read_arrow(path, TableFormat.CSV, encoding, schema).table


def common_schema(schemas: Sequence[pa.Schema]) -> pa.Schema | None:
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


def read_row_groups(path: str, groups: list[int]) -> pa.Table:
    """A worker task: row groups of one Parquet file, as an Arrow table."""
    from pyarrow import parquet

    handle = parquet.ParquetFile(path)
    if not groups:  # a file without row groups: its empty table, with its schema
        return handle.schema_arrow.empty_table()
    return handle.read_row_groups(groups)


def to_arrow(frame: DataTable) -> pa.Table:
    """A partition as a pyarrow Table (the in-memory engine's fast back end), index dropped."""
    import pyarrow as pa

    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)
