"""Partitioning: the seeded shuffle through files on disk, or the partitions as they
are (tiny ones merged with their neighbours)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mixsynth.choices import TableFormat
from mixsynth.engine.dask.sources import (
    PARTITION_BYTES,
    to_arrow,
)
from mixsynth.engine.dask.workers import releasing

if TYPE_CHECKING:
    import pyarrow as pa

    from mixsynth.columns.kinds import DataTable

#: Each partition needs a few hundred rows for its own target (docs/theory.md, "Tables
#: in parts"); smaller partitions are merged with their neighbours before mixing.
MIN_PARTITION_ROWS = 500


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
def scatter_part(frame: DataTable, seed: np.random.SeedSequence, parts: int, path: str) -> int:
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


def gather_part(
    files: Sequence[str], rows: Sequence[tuple[int, int]], schema: pa.Schema
) -> pa.Table:
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


def concat_parts(*frames: DataTable) -> pa.Table:
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
