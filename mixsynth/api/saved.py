"""Saved synthesizers: pickle behind mixsynth's header, for every estimator alike.

Pickle can run any code a file holds, so a file without the header is refused before
anything in it is unpickled; the file is written atomically and readable by its owner
only (mode 0600), as it holds the real rows the synthesizer was fitted on.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import TypeVar

from mixsynth.errors import InputError, OutputError, warn

#: The first bytes of every saved synthesizer; the next line is the class's format number.
SAVE_MAGIC = b"mixsynth synthesizer\n"

Saved = TypeVar("Saved")


def save_pickled(
    synthesizer: object, path: str | Path, save_format: int, holds: str | None = None
) -> None:
    """Write ``synthesizer`` behind the header and ``save_format`` (atomically, 0600).
    ``holds`` says what real data a fitted synthesizer's file holds: a warning, pointed
    at the caller of ``save``, asks to keep it as private as the real data."""
    from mixsynth.io import atomic_path

    if holds is not None:
        warn(f"{str(path)!r} holds {holds}; keep it as private as the real data", stacklevel=3)
    try:
        with atomic_path(str(path)) as temporary, open(temporary, "wb") as handle:
            os.chmod(temporary, 0o600)
            handle.write(SAVE_MAGIC + b"%d\n" % save_format)
            pickle.dump(synthesizer, handle)
    except OSError as error:
        raise OutputError(
            f"cannot save to {str(path)!r}: {error.strerror or error}",
            "give the path of a file in a folder that exists and that you may write to",
        ) from None


def load_pickled(path: str | Path, kind: type[Saved], save_format: int) -> Saved:
    """The ``kind`` saved at ``path`` by :func:`save_pickled` with ``save_format``;
    a file without the header is refused unread, one of another format unpickled not."""
    name = kind.__name__
    not_ours = InputError(
        f"{str(path)!r} is not a saved {name} (it lacks mixsynth's header, so it was not "
        "unpickled)",
        f"give a file written by {name}.save; load only files you trust",
    )
    try:
        with open(path, "rb") as handle:
            if handle.read(len(SAVE_MAGIC)) != SAVE_MAGIC:
                raise not_ours
            if handle.readline(16) != b"%d\n" % save_format:
                raise InputError(
                    f"{str(path)!r} was saved by another version of mixsynth",
                    "fit the synthesizer again with this version and save it anew",
                )
            saved = pickle.load(handle)
    except OSError as error:
        raise InputError(
            f"cannot read {str(path)!r}: {error.strerror or error}",
            f"give the path of a file written by {name}.save",
        ) from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        saved = None
    if not isinstance(saved, kind):
        raise not_ours
    return saved
