"""The ``generate`` job for a folder of linked tables: every generation in its own folder
(``OUT/gen-001/customers.csv``, ...), the run record, ``--resume``, ``--report``.

Each generation folder is written under a temporary name and renamed into place when
every table is in it, so a folder ``gen-NNN`` is always complete; the run record says
how many are, and a resumed run continues from the last one, with the same files as an
uninterrupted run (one random generator per generation, from the recorded seed).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixsynth.engine.options import SynthesisOptions
from mixsynth.errors import InputError, OptionError, OutputError, ResumeError
from mixsynth.io.outputs import RunLock, file_lock, locked, remove_leftovers, resolve
from mixsynth.io.provenance import input_fingerprint, version
from mixsynth.jobs.runs import LOCK_FILE, made_out_dir
from mixsynth.relational import RelationalMetadata, RelationalPlan, run_relational
from mixsynth.relational.files import read_folder, read_tables, table_files, write_tables
from mixsynth.relational.metadata import format_text_dates, parse_text_dates, text_dates

#: The run record in the output folder: what --resume checks and continues.
RUN_RECORD = "mixsynth-run.json"


def generation_folder(out_dir: Path, index: int) -> Path:
    return out_dir / f"gen-{index:03d}"


@dataclass
class MultiTableGenerateJob:
    """``mixsynth generate FOLDER --metadata FILE --out-dir OUT``, as an object."""

    input: str | Path  #: the folder of tables, one file per table
    metadata: RelationalMetadata
    options: SynthesisOptions
    out_dir: Path
    generations: int = 1
    scale: float = 1.0
    seed: int | None = None
    report: str | None = None  #: a .json or .md path: the last generation against the real
    resume: bool = False
    force: bool = False
    say: Callable[[str], None] = field(default=lambda line: None)
    #: Datetime columns (by the metadata) stored as text, and their formats.
    _text_dates: dict = field(default_factory=dict, init=False)

    def run(self, on_progress: Callable[[int], None] = lambda done: None) -> dict | None:
        """Write the generations (and the report); returns the report, if asked for.
        The run holds the lock of --out-dir (and of the report) from before it clears
        or writes anything there, as a one-table run does (docs/safety.md)."""
        self._check()
        with made_out_dir(self.out_dir), locked(self._locks()):
            if not self.resume:
                for old in self.out_dir.glob("gen-[0-9][0-9][0-9]"):
                    shutil.rmtree(old)
            return self._run(on_progress)

    def _locks(self) -> Iterator[RunLock]:
        """The lock of --out-dir, then the report's; what a killed run that held them
        left (temporary generation folders and files) is removed once each is taken."""
        yield RunLock(self.out_dir / LOCK_FILE, f"--out-dir {str(self.out_dir)!r}")
        remove_leftovers(self.out_dir, re.escape(RUN_RECORD))
        for leftover in self.out_dir.glob(".gen-[0-9][0-9][0-9].*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
        if self.report is not None:
            target = resolve(self.report)
            if not target.direct and Path(target.real).parent.is_dir():
                yield file_lock(target, f"--report {self.report!r}")
                real = Path(target.real)
                remove_leftovers(real.parent, re.escape(real.name))

    def _run(self, on_progress: Callable[[int], None]) -> dict | None:
        stored = read_folder(self.input, list(self.metadata.tables))
        self._text_dates = text_dates({n: t.frame for n, t in stored.items()}, self.metadata)
        real = parse_text_dates({n: t.frame for n, t in stored.items()}, self._text_dates)
        plan = RelationalPlan.of(real, self.metadata, self.options)
        start, source = 0, real
        if self.resume:
            start = self._resume_point()
            if start:
                source = parse_text_dates(
                    read_tables(generation_folder(self.out_dir, start), list(real)),
                    self._text_dates,
                )
                self.say(f"resuming after generation {start} of {self.generations}")
        else:
            if self.seed is None:  # recorded, so that --resume continues the same run
                self.seed = int(np.random.SeedSequence().generate_state(1)[0])
        self._write_record(start)
        on_progress(start)
        last = None
        seed = int(self.seed or 0)  # set above, from the option, the record or entropy
        for generation in run_relational(source, plan, self.generations, seed, self.scale, start):
            self._write_generation(generation.index, generation.tables, stored)
            self._write_record(generation.index)
            on_progress(generation.index)
            last = generation.tables
        if self.report is None:
            return None
        dest = self.report
        if last is None:  # resumed a finished run: report on its last generation
            last = parse_text_dates(
                read_tables(generation_folder(self.out_dir, self.generations), list(real)),
                self._text_dates,
            )
        return self._write_report(real, last, dest)

    def _check(self) -> None:
        from mixsynth.relational.synthesis import check_options

        check_options(self.options)
        if self.generations < 1:
            raise OptionError(f"--generations must be at least 1, got {self.generations}")
        if not self.scale > 0:
            raise OptionError(
                f"--scale must be above 0, got {self.scale}", "give e.g. --scale 1 or --scale 0.5"
            )
        files = table_files(self.input)
        missing = [name for name in self.metadata.tables if name not in files]
        if missing:
            raise InputError(
                f"folder {str(self.input)!r} has no file for table{'s' if len(missing) > 1 else ''} "
                f"{', '.join(map(repr, missing))}",
                "name each file after its table in the metadata, e.g. customers.csv",
            )
        if self.report is not None:
            from mixsynth.relational.report import check_relational_report

            check_relational_report(self.report)
            if Path(self.report).exists() and not self.force and not self.resume:
                raise OutputError(f"report {self.report!r} exists", "give --force to overwrite it")
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise OutputError(f"--out-dir {str(self.out_dir)!r} is a file", "give a folder")
        if self.resume:
            return
        taken = self.out_dir.is_dir() and (
            (self.out_dir / RUN_RECORD).exists() or any(self.out_dir.glob("gen-[0-9][0-9][0-9]"))
        )
        if taken and not self.force:
            raise OutputError(
                f"--out-dir {str(self.out_dir)!r} already holds generations",
                "give --force to replace them, or --resume to continue that run",
            )

    def _settings(self) -> dict[str, Any]:
        """What a resumed run must share with the run it continues."""
        return {
            "input": {
                name: input_fingerprint(str(path))
                for name, path in table_files(self.input).items()
                if name in self.metadata.tables
            },
            "metadata": self.metadata.to_dict(),
            "options": repr(self.options),
            "scale": self.scale,
            "generations": self.generations,
        }

    def _write_record(self, completed: int) -> None:
        record = {
            "mixsynth_run": 1,
            "kind": "multi-table",
            "mixsynth_version": version(),
            "seed": self.seed,
            "completed": completed,
            "settings": self._settings(),
        }
        from mixsynth.io import atomic_path

        with atomic_path(str(self.out_dir / RUN_RECORD)) as temporary:
            Path(temporary).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    def _resume_point(self) -> int:
        """The generations already complete; the seed is the recorded one."""
        path = self.out_dir / RUN_RECORD
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ResumeError(
                f"cannot resume: no readable run record {str(path)!r}",
                "start the run again without --resume",
            ) from None
        if not isinstance(record, dict) or record.get("kind") != "multi-table":
            raise ResumeError(
                f"cannot resume: {str(path)!r} is not the record of a multi-table run",
                "start again with --force (without --resume)",
            )
        settings = record.get("settings", {})
        mine = self._settings()
        changed = [key for key in mine if key != "generations" and settings.get(key) != mine[key]]
        if changed:
            raise ResumeError(
                f"cannot resume: the {', '.join(changed)} differ from the interrupted run's",
                "give the same folder, metadata and options, or start again with --force",
            )
        if self.seed is not None and self.seed != record.get("seed"):
            raise ResumeError(
                f"cannot resume: --seed {self.seed} differs from the run's {record.get('seed')}",
                "leave --seed out to use the run's own",
            )
        self.seed = record["seed"]
        completed = int(record.get("completed", 0))
        while completed and not generation_folder(self.out_dir, completed).is_dir():
            completed -= 1
        return min(completed, self.generations)

    def _write_generation(self, index: int, tables: dict[str, Any], stored: dict[str, Any]) -> None:
        """Every table into a temporary folder, renamed to ``gen-NNN`` when complete."""
        final = generation_folder(self.out_dir, index)
        temporary = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=self.out_dir))
        try:
            write_tables(format_text_dates(tables, self._text_dates), temporary, stored)
            temporary.chmod(0o755)
            if final.exists():
                shutil.rmtree(final)
            temporary.rename(final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(temporary)

    def _write_report(self, real: dict, last: dict, dest: str) -> dict:
        from mixsynth.io import write_text
        from mixsynth.relational.compare import compare_relational, judge_relational
        from mixsynth.relational.report import render_relational

        report = judge_relational(
            compare_relational(
                real,
                last,
                self.metadata,
                seed=self.seed or 0,
                rules=self.options.declared_rules(),
                detect_rules=self.options.detect_rules,
            )
        )
        report["generation"] = self.generations
        frames = {name: (real[name], last[name]) for name in real}
        write_text(dest, render_relational(report, dest, frames))
        return report
