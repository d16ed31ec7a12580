"""A folder of tables, one file per table named after it (``customers.csv``,
``orders.parquet``): finding, reading and writing them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mixsynth.choices import SUFFIXES, TableFormat
from mixsynth.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from mixsynth.io import Table


def table_files(folder: str | Path) -> dict[str, Path]:
    """Every table file of ``folder``, by table name (the file's name without suffix)."""
    root = Path(folder)
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is a file, not a folder"
        raise InputError(
            f"folder {str(folder)!r} {what}",
            "give a folder holding one CSV or Parquet file per table",
        )
    files: dict[str, Path] = {}
    for path in sorted(root.iterdir()):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        if path.stem in files:
            raise InputError(
                f"folder {str(folder)!r} holds two files for table {path.stem!r} "
                f"({files[path.stem].name}, {path.name})",
                "keep one file per table",
            )
        files[path.stem] = path
    if not files:
        raise InputError(
            f"folder {str(folder)!r} holds no .csv or .parquet table file",
            "put one file per table in it",
        )
    return files


def read_folder(folder: str | Path, names: list[str] | None = None) -> dict[str, Table]:
    """The tables of ``folder`` (only ``names``, each of which must be there), each with
    the Arrow schema and format it was stored with (written back the same way)."""
    from mixsynth.io import read_table

    files = table_files(folder)
    if names is not None:
        missing = [n for n in names if n not in files]
        if missing:
            raise InputError(
                f"folder {str(folder)!r} has no file for table{'s' if len(missing) > 1 else ''} "
                f"{', '.join(map(repr, missing))}",
                f"name each file after its table (e.g. {missing[0]}.csv); files there: "
                f"{', '.join(p.name for p in files.values())}",
            )
        files = {n: files[n] for n in names}
    return {name: read_table(str(path)) for name, path in files.items()}


def read_tables(folder: str | Path, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """The tables of ``folder`` as DataFrames (see :func:`read_folder`)."""
    return {name: table.frame for name, table in read_folder(folder, names).items()}


def write_tables(
    tables: dict[str, pd.DataFrame], folder: str | Path, like: dict[str, Table] | None = None
) -> list[Path]:
    """Each table to ``folder/NAME.csv``, or in the format and Arrow schema of the table
    of the same name in ``like`` (the input), atomically."""
    from mixsynth.io import write_table

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        model = (like or {}).get(name)
        fmt = model.format if model is not None else TableFormat.CSV
        path = root / f"{name}.{fmt.value}"
        write_table(frame, str(path), fmt, model.arrow_schema if model is not None else None)
        written.append(path)
    return written
