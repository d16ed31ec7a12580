"""Arrow tables to pandas DataFrames and back, keeping each column's type."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:  # pandas is imported only where frames are made (0.25 s of start-up)
    import pandas as pd


def arrow_to_frame(arrow: pa.Table, consume: bool = False) -> pd.DataFrame:
    """pandas view of an Arrow table; integers with missing values become nullable integers.

    Those are converted straight from Arrow (Int64, UInt8, ...), not through the float64
    pandas would make of them, which cannot hold values near 2**63 exactly. With
    ``consume``, the Arrow table is freed column by column as it is converted (the
    caller must not use it again).
    """
    arrow = _index_as_columns(arrow)
    nullable = {
        position: arrow.column(position).to_pandas(types_mapper=_nullable_integer)
        for position, field in enumerate(arrow.schema)
        if pa.types.is_integer(field.type) and arrow.column(position).null_count
    }
    # split_blocks (+ self_destruct): columns are handed over, not copied into one block.
    frame = arrow.to_pandas(date_as_object=False, split_blocks=True, self_destruct=consume)
    for position, series in nullable.items():
        frame.isetitem(position, series)
    return frame


def _nullable_integer(data_type: pa.DataType):
    """pandas' nullable dtype for an Arrow integer type: int64 -> Int64, uint8 -> UInt8."""
    if not pa.types.is_integer(data_type):
        return None
    import pandas as pd

    name = str(data_type)
    return pd.api.types.pandas_dtype(
        "U" + name[1:].capitalize() if name.startswith("u") else name.capitalize()
    )


def _index_as_columns(arrow: pa.Table) -> pa.Table:
    """Drop pandas' index bookkeeping, so a stored index stays an ordinary column.

    A Parquet file written by pandas with a named index would otherwise turn that
    column into the DataFrame's index, and the frame would have fewer columns than the
    file (and the output would lose it).
    """
    metadata = arrow.schema.metadata or {}
    if b"pandas" not in metadata:
        return arrow
    import json

    pandas_metadata = json.loads(metadata[b"pandas"])
    if not any(isinstance(i, str) for i in pandas_metadata.get("index_columns", [])):
        return arrow
    pandas_metadata["index_columns"] = []
    return arrow.replace_schema_metadata(
        {**metadata, b"pandas": json.dumps(pandas_metadata).encode()}
    )


def frame_to_arrow(frame: pd.DataFrame | pa.Table, schema: pa.Schema | None = None) -> pa.Table:
    """Arrow table of a DataFrame (or an Arrow table as it is), with the input's exact
    column types when known."""
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    if schema is None or table.schema == schema:
        return table
    columns = []
    for column, field in zip(table.columns, schema, strict=True):
        if column.type != field.type:
            if pa.types.is_date(field.type) and pa.types.is_timestamp(column.type):
                import pyarrow.compute as pc

                column = pc.round_temporal(column, unit="day")
            column = column.cast(field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)
