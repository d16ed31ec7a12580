"""Dataset folders written atomically: a generation appears complete or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mixsynth.engine.dask.sources import (
    Source,
)
from mixsynth.errors import OutputError

#: Part files of an output dataset.
PART_NAME = "part-{:05d}.parquet"


def check_dataset_output(dest: Path, force: bool, source: Source) -> None:
    """Refuse an output dataset that exists (without --force) or that holds the input."""
    target = dest.absolute()
    for file in source.files:
        used = Path(file).absolute()
        if target == used or target in used.parents or used in target.parents:
            raise OutputError(
                f"output {str(dest)!r} overlaps the input {file!r}",
                "write the output to another folder",
            )
    if dest.exists() and not force:
        raise OutputError(f"output {str(dest)!r} already exists", "give --force to overwrite it")
    if dest.exists() and not dest.is_dir() and not dest.is_file():
        raise OutputError(
            f"output {str(dest)!r} is not a folder", "give a folder name for the dataset"
        )
    parent = target.parent
    while not parent.exists():  # --out-dir is created, as the in-memory engine does
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"the folder of output {str(dest)!r} is not a folder", "check the path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write in the folder of output {str(dest)!r}", "check its permissions"
        )


@contextlib.contextmanager
def scratch_folder(dest: Path) -> Iterator[Path]:
    """A hidden folder beside ``dest`` for the shuffle's files (where every worker can
    write, as it can write the output), removed when the block ends."""
    dest.absolute().parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}.shuffle-", dir=dest.absolute().parent))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def temporary_folder(dest: Path) -> Iterator[Path]:
    """A hidden folder beside ``dest``, put in its place when the block succeeds, and
    removed otherwise: a dataset appears complete or not at all."""
    dest.absolute().parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.absolute().parent))
    try:
        os.chmod(temporary, 0o777 & ~_umask())
        yield temporary
        _replace(temporary, dest)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _replace(temporary: Path, dest: Path) -> None:
    """Move ``temporary`` onto ``dest``; a previous dataset there is removed after."""
    if dest.exists() or dest.is_symlink():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
        os.replace(temporary, dest)
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
    else:
        os.replace(temporary, dest)


def publish_copy(folder: str, dest: Path) -> None:
    """Copy a finished dataset to ``dest`` (-o beside --out-dir), atomically."""
    with temporary_folder(dest) as temporary:
        for part in sorted(Path(folder).iterdir()):
            shutil.copyfile(part, temporary / part.name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
