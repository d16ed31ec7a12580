"""Mixing one partition on a worker: the in-memory engine's stream, made-up columns
put in, each slice written as it is made."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mixsynth.choices import TableFormat
from mixsynth.columns.arrow import codes_in
from mixsynth.engine.dask.sources import (
    to_arrow,
)
from mixsynth.engine.dask.workers import releasing
from mixsynth.engine.memory import GenerationStream
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.engine.weights import AnyWeights
from mixsynth.errors import collected_warnings
from mixsynth.semantics.keys import KeyShare
from mixsynth.semantics.treatments import kept_placeholders

if TYPE_CHECKING:
    import pyarrow as pa

    from mixsynth.columns.kinds import DataTable


@dataclass
class PartResult:
    """What a worker made of one partition."""

    rows: int
    outside: dict[str, list[int]]  #: per mixed column: [outside the range, observed]
    weights: AnyWeights | None
    warnings: list[str] = field(default_factory=list)


@releasing
def generate_part(
    frame: DataTable,
    rows: int,
    options: SynthesisOptions,
    reference: Reference,
    seed: np.random.SeedSequence,
    index: int,
    path: str,
    schema: pa.Schema | None = None,
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
    # Warnings travel back as values: a catch_warnings here, on a worker thread, would
    # swap the filters and hooks of the whole process (the driver's too).
    with collected_warnings() as messages:
        made_up = _MadeUp(table, reference, rows, options.locale, share, made_seed)
        stream = GenerationStream(
            table,
            dataclasses.replace(options, rows=rows),
            np.random.default_rng(seed),
            dataclasses.replace(reference, real_values={}),  # made up by _MadeUp instead
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
    return PartResult(rows, stream.outside, stream.weights, messages)


class _MadeUp:
    """A partition's made-up columns: every value made at once (as in memory), then put
    into the stream's slices in order, where the dominant donor has a value (a missing
    donor gives a missing value, as in memory)."""

    def __init__(
        self,
        table: pa.Table,
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
        self.placeholders = {
            name: reference.semantics.columns[str(name)].placeholders for name in names
        }
        if names and seed is None:
            raise ValueError("made-up columns need a seed")  # the driver always gives one
        for position, name in enumerate(names):
            assert seed is not None  # for the type checker: refused above
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
        if reference.email_ties and seed is not None:  # made from the row's made-up names
            from mixsynth.semantics.emails import made_from_names

            child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, len(names)))
            self.values = made_from_names(
                self.values,
                reference.email_ties,
                np.random.default_rng(child),
                reference.real_values,
            )

    def put_into(self, piece: pa.Table) -> pa.Table:
        """The stream's next slice with its made-up columns in place of the copied ones."""
        start, self.done = self.done, self.done + piece.num_rows
        for name, values in self.values.items():
            at = piece.schema.get_field_index(name)
            column = piece.column(at)
            missing = column.is_null().to_numpy(zero_copy_only=False) if column.null_count else None
            found = self.placeholders.get(name)  # the donors' stand-ins, copied here
            made = values[start : self.done]
            if found:
                made = kept_placeholders(made, codes_in(column, found), found)
            made = self.source.made_up(name, made, missing)
            piece = piece.set_column(at, piece.schema.field(at), made)
        return piece
