"""Reading and writing tables: CSV and Parquet, files or stdin/stdout, atomic writes.

pyarrow does the parsing and writing (pandas' own ``to_csv`` is ~8x slower). The
Arrow schema of the input is kept, so the output is written with exactly the input's
column types: integers with missing values stay integers, dates stay dates.

- :mod:`~mixsynth.io.source`: files or stdin, what a file's first bytes say;
- :mod:`~mixsynth.io.read` and :mod:`~mixsynth.io.csv_read`: reading, and CSV's pitfalls;
- :mod:`~mixsynth.io.convert`: Arrow and pandas, both ways;
- :mod:`~mixsynth.io.write`: writing, through a temporary file renamed into place.
"""

from mixsynth.choices import STDIO, TableFormat
from mixsynth.io.convert import arrow_to_frame, frame_to_arrow
from mixsynth.io.csv_read import check_encoding
from mixsynth.io.read import ArrowTable, Table, check_input, read_arrow, read_table
from mixsynth.io.source import stdin_bytes, stdout_buffer
from mixsynth.io.write import (
    atomic_path,
    check_output,
    check_writable,
    output_stream,
    table_writer,
    write_table,
    write_text,
)

__all__ = [
    "STDIO",
    "ArrowTable",
    "Table",
    "TableFormat",
    "arrow_to_frame",
    "atomic_path",
    "check_encoding",
    "check_input",
    "check_output",
    "check_writable",
    "frame_to_arrow",
    "output_stream",
    "read_arrow",
    "read_table",
    "stdin_bytes",
    "stdout_buffer",
    "table_writer",
    "write_table",
    "write_text",
]
