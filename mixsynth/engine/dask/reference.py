"""The whole table's reference, merged from every partition's (exact reductions)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.columns import ColumnKind, check_by
from mixsynth.engine.dask.sources import (
    to_arrow,
)
from mixsynth.engine.dask.workers import releasing
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference, say_what_is_made_up
from mixsynth.errors import InputError, collected_warnings
from mixsynth.rules.model import common_rules
from mixsynth.semantics.types import SemanticType

if TYPE_CHECKING:
    import pyarrow as pa

    from mixsynth.columns.kinds import DataTable
    from mixsynth.semantics.types import TableMetadata


@dataclass(frozen=True)
class PartSummary:
    """What a partition contributes to the whole table's reference."""

    rows: int
    reference: Reference | None  #: None for an empty partition
    schema: pa.Schema | None = None  #: its Arrow schema


@releasing
def summarize_part(frame: DataTable, options: SynthesisOptions) -> PartSummary:
    """A worker task: the partition's rows and its own reference (semantics inferred
    on the partition; :func:`whole_reference` checks that the partitions agree)."""
    table = to_arrow(frame)
    check_by(table.column_names, options.by)
    if table.num_rows == 0:
        return PartSummary(0, None, table.schema)
    with collected_warnings():  # dropped: the driver says them once, for the whole table
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
    are every partition's (:func:`_merge_real_values`). The rules are those found (or
    declared and held) in every partition (docs/rules.md), a time column's step the one
    all partitions share (:func:`common_grid`).
    """
    present = [p.reference for p in parts if p.reference is not None]
    if not present:
        raise InputError(f"{where!r} has no rows", "give a table with at least one row")
    first = present[0]
    for other in present[1:]:
        if [s.name for s in first.schema] != [s.name for s in other.schema]:
            raise InputError(
                f"the files of {where!r} do not all have the same columns in the same order",
                "give files of one table",
            )
    semantics = _merge_semantics([r.semantics for r in present], where)
    for other in present[1:]:
        for a, b in zip(first.schema, other.schema, strict=True):
            if (a.kind, a.dtype) != (b.kind, b.dtype):
                raise InputError(
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
        name: _merge_real_values(
            [r.real_values[name] for r in present],
            semantics[name].sdtype is SemanticType.ID,
        )
        for name in first.real_values
    }
    # A rule of the whole table is one every partition holds (found in each).
    rules = common_rules([r.rules for r in present])
    # Copied columns' groups (split_copied, copy_neighbours) and addresses made from
    # names: the largest partition's.
    largest = max((p for p in parts if p.reference is not None), key=lambda p: p.rows).reference
    assert largest is not None  # for mypy: filtered just above
    say_what_is_made_up(semantics, keep_pii, largest.email_ties)
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
        copy_groups=largest.copy_groups,
        rules=rules,
        email_ties=largest.email_ties,
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


def _merge_real_values(parts: Sequence[np.ndarray], key: bool) -> np.ndarray:
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


def _merge_semantics(parts: Sequence[TableMetadata], where: str) -> TableMetadata:
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
                raise InputError(
                    f"the partitions of {where!r} disagree on what column {name!r} means "
                    f"({meaning.describe()}: {meaning.reason}; elsewhere "
                    f"{other.describe()}: {other.reason})",
                    "say what it is in a --metadata file (mixsynth inspect --metadata "
                    "writes one to edit), or give --no-semantics",
                )
        places = [o.decimals for o in others if o.decimals is not None]
        decimals = max(places) if len(places) == len(others) else None
        columns[name] = meaning.with_(decimals=decimals)
    return dataclasses.replace(first, columns=columns)
