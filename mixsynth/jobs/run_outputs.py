"""The files a ``generate`` run writes: each its own file and none the input, locked
for the run, and each generation written a slice at a time while the next is made.

Apart from the job's flow so that what keeps the outputs whole (the locks, the
leftovers of a killed run, the overlapped writing) reads in one place.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mixsynth.engine.memory import GenerationStream
from mixsynth.engine.options import Generation
from mixsynth.errors import OptionError, OutputError
from mixsynth.io import STDIO, TableFormat, table_writer
from mixsynth.io.outputs import RunLock, check_distinct, file_lock, remove_leftovers, resolve
from mixsynth.jobs.runs import LOCK_FILE, run_files


def check_distinct_outputs(
    input: str, output: str | None, report: str | None, out_dir: Path | None, fmt: TableFormat
) -> None:
    """Every output of the run is its own file, and none is the input."""
    if STDIO == report == output:
        raise OptionError("-o - and --report - both ask for stdout", "write one of them to a file")
    outputs = [("-o", output), ("--report", report)]
    check_distinct([(o, p) for o, p in outputs if p is not None], (input,))
    if out_dir is None:
        return
    folder = os.path.realpath(out_dir)
    names = re.compile(run_files(fmt))
    for option, path in outputs:
        if path is None or path == STDIO:
            continue
        real = os.path.realpath(path)
        if os.path.dirname(real) == folder and names.fullmatch(os.path.basename(real)):
            raise OutputError(
                f"{option} {path!r} is one of the files the run writes in --out-dir "
                f"{str(out_dir)!r}",
                "give it a path outside that folder, or another name",
            )


def run_locks(
    out_dir: Path | None, output: str | None, report: str | None, fmt: TableFormat
) -> Iterator[RunLock]:
    """The run's locks, each taken in turn; leftovers of a killed run that held the
    same lock are removed once it is taken (no living process owns them)."""
    if out_dir is not None:
        yield RunLock(out_dir / LOCK_FILE, f"--out-dir {str(out_dir)!r}")
        remove_leftovers(out_dir, run_files(fmt))
    for option, path in (("-o", output), ("--report", report)):
        if path is None:
            continue
        target = resolve(path)
        if not target.direct and Path(target.real).parent.is_dir():
            yield file_lock(target, f"{option} {path!r}")
            real = Path(target.real)
            remove_leftovers(real.parent, re.escape(real.name))


def write_generation(
    stream: GenerationStream,
    paths: list[str],
    fmt: TableFormat,
    keep: bool,
    on_progress: Callable[[float], None],
) -> Generation:
    """Make one generation and write it to ``paths``, a slice at a time: each slice is
    stored (on another thread) while the next is made. The whole table is kept only if
    ``keep`` (for the next generation or the report); its frame is else None.
    """
    parts = []
    with contextlib.ExitStack() as stack:
        writers = [
            stack.enter_context(table_writer(p, fmt, stream.source.table.schema)) for p in paths
        ]
        storing = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        stored, made = None, 0
        for part in stream:
            if stored is not None:
                stored.result()  # at most one slice waits to be stored
            stored = storing.submit(lambda piece: [write(piece) for write in writers], part)
            if keep:
                parts.append(part)
            made += len(part)
            on_progress(stream.index - 1 + made / stream.rows)
        if stored is not None:
            stored.result()
    return stream.finish(stream.source.concat(parts) if keep else None)
