"""A table's columns, whatever holds them: kinds and float64 encodings
(:mod:`~mixsynth.columns.kinds`), and the two back ends that implement
:class:`~mixsynth.columns.kinds.TableColumns`, pyarrow (:mod:`~mixsynth.columns.arrow`)
and pandas (:mod:`~mixsynth.columns.frame`). The functions here pick the back end
for a table; the back ends are imported only when a table of theirs is seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.columns.kinds import (
    MISSING_TIME,
    ColumnKind,
    ColumnSpec,
    NumericEncoding,
    TableColumns,
    check_column_names,
    decode_integers,
    decode_times,
    duplicated_names,
    encode_integers,
    encode_times,
    finite_range,
    first_appearance_codes,
    number_encoding,
    time_encoding,
)
from mixsynth.errors import OptionError, column_hint

if TYPE_CHECKING:
    from mixsynth.columns.kinds import DataTable

__all__ = [
    "MISSING_TIME",
    "ColumnKind",
    "ColumnSpec",
    "NumericEncoding",
    "TableColumns",
    "check_by",
    "check_column_names",
    "columns_of",
    "decode_integers",
    "decode_times",
    "duplicated_names",
    "encode_integers",
    "encode_times",
    "finite_range",
    "first_appearance_codes",
    "group_codes",
    "infer_schema",
    "number_encoding",
    "time_encoding",
]


def columns_of(table: DataTable) -> TableColumns:
    """The back end for ``table``: pyarrow Tables stay Arrow, anything else is pandas."""
    import pyarrow as pa

    if isinstance(table, pa.Table):
        from mixsynth.columns.arrow import ArrowColumns

        return ArrowColumns(table)
    from mixsynth.columns.frame import FrameColumns

    return FrameColumns(table)


def infer_schema(table: DataTable, categorical: Iterable[str] = ()) -> list[ColumnSpec]:
    """Kinds of every column, in order; names in ``categorical`` are forced to be copied.

    ``table`` is a pandas DataFrame or a pyarrow Table.
    """
    columns = columns_of(table)
    check_column_names(columns.names)
    forced = set(categorical)
    unknown = forced - {str(c) for c in columns.names}
    if unknown:
        raise OptionError(
            f"--categorical column {sorted(unknown)[0]!r} is not in the table",
            column_hint(sorted(unknown)[0], columns.names),
        )
    return [
        ColumnSpec(
            name=name,
            kind=ColumnKind.CATEGORICAL if str(name) in forced else columns.kind(name),
            dtype=columns.dtype(name),
            missing=columns.missing(name),
        )
        for name in columns.names
    ]


def group_codes(table: DataTable, by: Sequence[str]) -> np.ndarray:
    """Integer group of each row, numbered by first appearance (0 everywhere without
    ``by``); missing keys form a group of their own."""
    columns = columns_of(table)
    if not by:
        return np.zeros(columns.rows, dtype=np.int64)
    check_by(columns.names, by)
    return first_appearance_codes(columns.group_keys(by))


def check_by(names: Sequence[Any], by: Sequence[str]) -> None:
    """Refuse ``--by`` columns the table does not have."""
    missing = [c for c in by if c not in names]
    if missing:
        raise OptionError(
            f"--by column {missing[0]!r} is not in the table", column_hint(missing[0], names)
        )
