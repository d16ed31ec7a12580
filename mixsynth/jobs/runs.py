"""The folder of ``generate --out-dir`` and the run record a run writes there beside its
generations, so that ``--resume`` continues the same run, or refuses one that is not."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mixsynth.engine.options import SynthesisOptions
from mixsynth.errors import MixsynthError, OutputError, ResumeError
from mixsynth.io import TableFormat, atomic_path, check_output
from mixsynth.io.provenance import input_fingerprint
from mixsynth.jobs.holdout import holdout_file

#: The run record in --out-dir: what --resume checks and continues.
RUN_RECORD = "mixsynth-run.json"
#: The lock file a run holds in --out-dir (docs/safety.md).
LOCK_FILE = ".mixsynth-run.lock"


@contextlib.contextmanager
def made_out_dir(out_dir: Path | None) -> Iterator[None]:
    """--out-dir made for the run (parents too); the folders made are removed again if
    the run is refused before it writes anything, so that a bad option leaves no trace."""
    missing = []
    if out_dir is not None:
        folder = out_dir.absolute()
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
    try:
        if out_dir is not None:
            _make(out_dir)
        yield
    except MixsynthError:
        for folder in missing:  # deepest first; only if still empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _make(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(
            f"cannot create --out-dir {str(out_dir)!r}: {error.strerror or error}",
            "give a folder path that can be created",
        ) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write in --out-dir {str(out_dir)!r}", "check its permissions")


def generation_file(out_dir: Path, index: int, fmt: TableFormat) -> Path:
    return out_dir / f"gen-{index:03d}.{fmt.value}"


def check_run_files(
    out_dir: Path,
    generations: int,
    fmt: TableFormat,
    input: str,
    holdout: float | str | None,
    *,
    force: bool,
    resume: bool,
) -> None:
    """None of the files the run writes in ``out_dir`` is there already unless --resume
    or --force asks to write over it, and none is the input."""
    for index in range(1, generations + 1):
        existing = generation_file(out_dir, index, fmt)
        if existing.exists() and not (force or resume):
            raise OutputError(
                f"output {str(existing)!r} already exists",
                "give --resume to continue that run, or --force to overwrite it",
            )
        # A resumed run rewrites the files after its last complete one; no run
        # ever writes over its input (e.g. an input that is itself runs/gen-001.csv).
        check_output(str(existing), force or resume, (input,))
    if isinstance(holdout, float):
        check_output(str(holdout_file(out_dir, fmt)), force or resume, ())


def how_far(done: int, generations: int, out_dir: Path | None, fmt: TableFormat) -> str:
    """Where a run stopped, and how to finish it (for the one-line message)."""
    where = f"stopped after generation {done} of {generations}"
    if out_dir is None or done == 0:
        return f"{where}; no output file was written or changed"
    first, last = (generation_file(out_dir, i, fmt).name for i in (1, done))
    files = first if done == 1 else f"{first} to {last}"
    return (
        f"{where}: {files} in {str(out_dir)!r} are complete; "
        "run the same command with --resume to finish the run"
    )


def run_files(fmt: TableFormat) -> str:
    """The names of the files a run writes in --out-dir (generations, the held-out rows
    of --holdout, the run record), as a regular expression."""
    return rf"gen-\d{{3,}}\.{fmt.value}|holdout\.{fmt.value}|{re.escape(RUN_RECORD)}"


def run_settings(
    input: str, options: SynthesisOptions, where: dict[str, str], fmt: TableFormat
) -> dict[str, Any]:
    """What a resumed run must share with the interrupted one to continue its files."""
    recorded = json.loads(json.dumps(dataclasses.asdict(options)))
    if where:  # the rows it mixes from are part of what it continues
        recorded["where"] = where
    return {"input": input_fingerprint(input), "format": fmt.value, "options": recorded}


def write_record(
    out_dir: Path, seed: int, settings: dict[str, Any], generations: int, completed: int
) -> None:
    """The run record in --out-dir: seed, settings and progress, written atomically."""
    record = {
        "mixsynth_run": 1,
        "seed": seed,
        **settings,
        "generations": generations,
        "completed": completed,
    }
    with atomic_path(str(out_dir / RUN_RECORD)) as temporary:
        Path(temporary).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def resume_point(
    out_dir: Path, seed: int | None, settings: Callable[[], dict[str, Any]], fmt: TableFormat
) -> tuple[int, int]:
    """The recorded seed and the generations already complete in ``out_dir``, after
    checking it is the same run.

    Refuses a resume whose seed, options, output format or input differ from the
    recorded ones; without a seed (``None``), the recorded one is taken. ``settings``
    gives this run's (read only once the seed agrees: it hashes the input).
    """
    record_path = out_dir / RUN_RECORD
    if not record_path.exists():
        raise ResumeError(
            f"cannot resume: {str(out_dir)!r} has no {RUN_RECORD}, so there is no "
            "run to resume (or its seed and options are unknown)",
            "run without --resume to start a new run; --force replaces files already there",
        )
    record = _read_record(record_path)
    recorded_seed, completed = record["seed"], record["completed"]
    if seed is not None and seed != recorded_seed:
        raise ResumeError(
            f"cannot resume: --seed {seed} differs from the interrupted run's seed {recorded_seed}",
            f"give --seed {recorded_seed} or leave --seed out",
        )
    current = settings()
    recorded = {"format": record.get("format"), **(record.get("options") or {})}
    now = {"format": current["format"], **current["options"]}
    differ = [
        f"--{key.replace('_', '-')} {json.dumps(recorded.get(key))} then, "
        f"{json.dumps(now[key])} now"
        for key in now
        if recorded.get(key) != now[key]
    ]
    if record.get("input") != current["input"]:
        differ.insert(0, "the input's content has changed")
    if differ:
        raise ResumeError(
            f"cannot resume: this is not the run recorded in {str(record_path)!r} "
            f"({'; '.join(differ)})",
            "repeat the interrupted run's input and options, or start again with --force",
        )
    for index in range(1, completed + 1):
        if not generation_file(out_dir, index, fmt).exists():
            raise ResumeError(
                f"cannot resume: {generation_file(out_dir, index, fmt).name} of the "
                f"interrupted run is missing from {str(out_dir)!r}",
                "start again with --force (without --resume)",
            )
    return recorded_seed, completed


def _read_record(path: Path) -> dict:
    """The run record, checked field by field: a damaged or hand-edited record is one
    clear refusal, not a crash half-way through a resume."""

    def damaged(what: str) -> ResumeError:
        return ResumeError(
            f"cannot resume: {str(path)!r} is damaged ({what})",
            "start again with --force (without --resume)",
        )

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise damaged("not readable JSON") from None
    if not isinstance(record, dict) or record.get("mixsynth_run") != 1:
        raise damaged("not a mixsynth run record")

    def whole(key: str, low: int, high: float = float("inf")) -> int:
        value = record.get(key)
        if type(value) is not int or not low <= value <= high:
            shown = "missing" if value is None else json.dumps(value)
            bounds = f"from {low} to {int(high)}" if high != float("inf") else f">= {low}"
            raise damaged(f"{key!r} must be a whole number {bounds}, got {shown}")
        return value

    whole("seed", 0)
    whole("completed", 0, whole("generations", 1))
    if record.get("format") not in [f.value for f in TableFormat]:
        raise damaged(f"'format' must be csv or parquet, got {json.dumps(record.get('format'))}")
    if not isinstance(record.get("options"), dict):
        raise damaged("'options' must be an object")
    if not (record.get("input") is None or isinstance(record.get("input"), str)):
        raise damaged("'input' must be a SHA-256 or null")
    return record
