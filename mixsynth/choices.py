"""The fixed choices of the CLI and library, in a module with no heavy imports.

The CLI needs them to build its options on every call, including ``--help``, so they
must not pull in pandas or pyarrow (about 0.6 s of start-up).
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

from mixsynth.errors import OptionError

STDIO = "-"


class Method(str, Enum):
    VANILLA = "vanilla"
    GENERALIZED = "generalized"


class Pairing(str, Enum):
    BALANCED = "balanced"
    IID = "iid"


class Bounds(str, Enum):
    NONE = "none"
    CLIP = "clip"
    REFLECT = "reflect"


class Engine(str, Enum):
    """Where generate and compare run: in this process's memory, or on Dask."""

    MEMORY = "memory"
    DASK = "dask"


class TableFormat(str, Enum):
    CSV = "csv"
    PARQUET = "parquet"


SUFFIXES = {".csv": TableFormat.CSV, ".parquet": TableFormat.PARQUET, ".pq": TableFormat.PARQUET}


def format_from_suffix(path: str, option: str) -> TableFormat:
    """CSV or Parquet from a file name; a bad input when the suffix says neither."""
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    raise OptionError(
        f"cannot tell the format of {path!r} from its suffix {suffix or '(none)'!r}",
        f"name it .csv or .parquet, or give {option} csv|parquet",
    )


#: Threads mixsynth works with at once (mixing columns, formatting CSV slices):
#: numpy and pyarrow release the GIL in that work. Two, as on the machine it is tuned on.
THREADS = min(2, os.cpu_count() or 1)
