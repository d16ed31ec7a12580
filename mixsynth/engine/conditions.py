"""Conditional synthesis: the rows of a table that satisfy ``column == value`` conditions.

A synthetic row copies its categorical and boolean values from its dominant donor, so
mixing only inside the rows that satisfy a condition on such columns makes rows that
all satisfy it, with the other columns following the matching rows' distribution
(group-wise mixup with one group). A condition on a *mixed* column (numbers, dates)
cannot work that way: mixed values are new numbers, so they are refused.

Works on pandas DataFrames and pyarrow Tables alike; pandas is never imported here,
so the CLI's ``--where`` stays on its pandas-free path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.columns import ColumnKind, columns_of
from mixsynth.errors import OptionError

if TYPE_CHECKING:
    from mixsynth.columns.kinds import DataTable
    from mixsynth.engine.reference import Reference

#: Spellings of true and false accepted for a boolean column (e.g. from ``--where``).
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


@dataclass(frozen=True)
class Condition:
    """``num_rows`` synthetic rows whose columns hold ``column_values`` (SDV's habit).

    Example: ``Condition(num_rows=50, column_values={"species": "Adelie"})``.
    """

    num_rows: int
    column_values: Mapping[str, Any] = field(default_factory=dict)


def parse_where(texts: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["species=Adelie", "sex=male"]`` (the CLI's ``--where``) as a dict of strings."""
    conditions: dict[str, str] = {}
    for text in texts:
        column, sep, value = text.partition("=")
        if not sep or not column:
            raise OptionError(
                f"cannot read --where {text!r}", "give COLUMN=VALUE, e.g. --where species=Adelie"
            )
        if conditions.get(column, value) != value:
            raise OptionError(
                f"--where gives column {column!r} two values ({conditions[column]!r} and "
                f"{value!r}); all conditions must hold, so no row could",
                "give one value per column (to make rows of each value, run once per value)",
            )
        conditions[column] = value
    return conditions


def matching_rows(
    table: DataTable, conditions: Mapping[str, Any], reference: Reference
) -> np.ndarray:
    """Row numbers of ``table`` where every condition holds (``None`` matches missing).

    Refuses unknown columns, mixed (numeric, date) columns, made-up columns (keys,
    personal data, free text) and conditions that no row satisfies, each with a hint.
    """
    kinds = {spec.name: spec.kind for spec in reference.schema}
    for column in conditions:
        if column not in kinds:
            raise OptionError(
                f"condition on {column!r}, which is not a column of the table",
                f"columns are: {', '.join(map(str, kinds))}",
            )
        if column in reference.real_values:  # a made-up column (without keep_pii)
            meaning = reference.semantics.columns[str(column)]
            raise OptionError(
                f"cannot condition on {column!r}: it is {meaning.describe()}, whose "
                "synthetic values are made up, never a real one",
                "condition on categorical or boolean columns, or give that column another "
                "sdtype in the metadata",
            )
        if kinds[column].is_mixed:
            raise OptionError(
                f"cannot condition on {column!r}: its values ({kinds[column].value}) are "
                "mixed from two rows into new numbers, so no exact value can be kept",
                "condition on categorical or boolean columns, or have this column copied "
                f"from donors: --categorical {column} (categorical=[{column!r}] in Python)",
            )
    mask = np.ones(len(table), dtype=bool)
    for column, value in conditions.items():
        alone = _column_equals(table, column, value, kinds[column])
        if not alone.any():
            raise OptionError(
                f"no row has {column} = {value!r}",
                f"values of {column!r} include: {', '.join(_some_values(table, column))}",
            )
        mask &= alone
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        wanted = ", ".join(f"{c} = {v!r}" for c, v in conditions.items())
        raise OptionError(
            f"no row has all of {wanted}",
            "each condition alone matches rows, but no row matches them together; drop one of them",
        )
    return rows


def _column_equals(table: DataTable, column: str, value: Any, kind: ColumnKind) -> np.ndarray:
    """Where ``table[column] == value``, as a boolean array; text is read as the
    column's type (``"true"`` for a boolean column, ``"3"`` for integer codes)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    data = table.column(column) if isinstance(table, pa.Table) else table[column]
    try:
        array = data if isinstance(data, pa.ChunkedArray) else pa.array(data, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. an object column of mixed types
        return np.asarray(data == value, dtype=bool)
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if value is None:
        return _as_numpy(pc.is_null(array, nan_is_null=True))
    scalar = _as_scalar(value, array.type, column, kind)
    # Kleene "and" with validity: a missing value is no match (not a null), no Python
    # scalar needed (pc.fill_null would make one, and that imports pandas).
    return _as_numpy(pc.and_kleene(pc.equal(array, scalar), pc.is_valid(array)))


def _as_numpy(mask: Any) -> np.ndarray:
    """An Arrow boolean array without nulls as numpy, read from its buffers (numpy
    conversion of Arrow arrays imports pandas)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from mixsynth.columns.arrow import to_numpy

    if isinstance(mask, pa.Array):
        mask = pa.chunked_array([mask])
    return to_numpy(pc.cast(mask, pa.int8()), 0).astype(bool)


def _as_scalar(value: Any, data_type: Any, column: str, kind: ColumnKind) -> Any:
    """``value`` as an Arrow scalar of the column's type, or a clear error.

    Text (all the CLI has) is parsed by Arrow's own cast, from an array built on raw
    buffers: converting a Python object would import pandas (through pyarrow), which
    ``generate`` must not.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if not isinstance(value, str):
            return pa.scalar(value).cast(data_type)
        if pa.types.is_boolean(data_type):
            word = value.strip().lower()
            value = "true" if word in TRUE_WORDS else "false" if word in FALSE_WORDS else value
        data = np.frombuffer(value.encode("utf-8"), dtype=np.uint8)
        offsets = np.array([0, data.size], dtype=np.int32)
        text = pa.StringArray.from_buffers(1, pa.py_buffer(offsets), pa.py_buffer(data))
        return pc.cast(text, data_type)[0]
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise OptionError(
            f"cannot compare {kind.value} column {column!r} ({data_type}) with {value!r}",
            "give a value of the column's type",
        ) from None


def _some_values(table: DataTable, column: str, limit: int = 8) -> list[str]:
    """A few distinct values of a column, most frequent first, for an error's hint."""
    import pyarrow as pa
    import pyarrow.compute as pc

    data = table.column(column) if isinstance(table, pa.Table) else table[column]
    try:
        array = data if isinstance(data, pa.ChunkedArray) else pa.array(data, from_pandas=True)
        counts = pc.value_counts(array).to_pylist()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        counts = [{"values": v, "counts": 1} for v in dict.fromkeys(list(data))]
    counts.sort(key=lambda item: -item["counts"])
    shown = [repr(item["values"]) for item in counts[:limit]]
    return [*shown, "..."] if len(counts) > limit else shown


def take_rows(table: DataTable, rows: np.ndarray) -> DataTable:
    """The given rows of a DataFrame or a pyarrow Table, as a table of the same type."""
    columns = columns_of(table)
    return columns.build(columns.take(columns.names, rows))
