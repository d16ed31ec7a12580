"""The ``generate`` job: read the input, run the generations, write every file safely.

Kept apart from the kernel so that synthesis stays a pure function of tables, and
from the CLI so that Python users can run the same job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mixsynth.errors import MixsynthError, RunInterrupted
from mixsynth.io import (
    STDIO,
    ArrowTable,
    TableFormat,
    arrow_to_frame,
    atomic_path,
    check_output,
    check_writable,
    read_arrow,
    table_writer,
    write_table,
)
from mixsynth.kinds import check_by
from mixsynth.synth import (
    Generation,
    GenerationStream,
    Reference,
    SynthesisOptions,
    generation_rngs,
)

#: The run record in --out-dir: what --resume checks and continues.
RUN_RECORD = "mixsynth-run.json"


def generation_file(out_dir: Path, index: int, fmt: TableFormat) -> Path:
    return out_dir / f"gen-{index:03d}.{fmt.value}"


@contextlib.contextmanager
def _removed_if_refused(out_dir: Path | None) -> Iterator[None]:
    """Folders made for --out-dir are removed again if the run is refused before it
    writes anything, so that a bad option leaves no trace."""
    missing = []
    if out_dir is not None:
        folder = out_dir.absolute()
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
    try:
        yield
    except MixsynthError:
        for folder in missing:  # deepest first; only if still empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def check_memory(rows: int, columns: int) -> None:
    """Refuse a --rows that cannot fit, rather than be killed for it half-way.

    Each synthetic row needs at least 8 bytes per column plus its pairing (two donor
    indices, a weight and a sort key): a lower bound, so nothing feasible is refused.
    """
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: cannot tell
        return
    needed = rows * (columns + 4) * 8
    if needed > physical:
        raise MixsynthError(
            f"{rows} rows need at least {needed / 2**30:.3g} GiB, more than this "
            f"machine's {physical / 2**30:.3g} GiB",
            "give fewer --rows",
        )


def input_fingerprint(source: str) -> str | None:
    """SHA-256 of an input file, so that a resume can tell it is the same data (stdin: None)."""
    if source == STDIO or not Path(source).is_file():  # a pipe cannot be read twice
        return None
    digest = hashlib.sha256()
    with open(source, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(kw_only=True)
class GenerateJob:
    """Everything ``mixsynth generate`` does, as one object (no printing of its own).

    Tables stay Arrow from reading to writing (no pandas import, no conversion); only
    ``--report`` turns them into DataFrames, for the metrics.
    """

    input: str
    options: SynthesisOptions
    generations: int = 1
    output: str | None = None
    output_format: TableFormat | None = None
    out_dir: Path | None = None
    seed: int | None = None
    input_format: TableFormat | None = None
    encoding: str = "utf-8"
    report: str | None = None
    resume: bool = False
    force: bool = False
    say: Callable[[str], None] = field(default=lambda line: None)

    def run(
        self,
        on_generation: Callable[[Generation], None] = lambda g: None,
        on_progress: Callable[[float], None] = lambda done: None,
    ) -> list[dict]:
        """Run the job; returns the per-generation report entries (empty without a report).

        ``on_generation`` sees each generation: its frame is a pyarrow Table, or None for
        the last one when no report needs it (it was written slice by slice, never held).
        ``on_progress`` hears, after each slice, how many generations are done (2.5 =
        half of the third), for a progress bar.
        """
        source = read_arrow(self.input, self.input_format, self.encoding)
        schema = source.table.schema
        fmt = self.output_format or (TableFormat.CSV if self.output == STDIO else source.format)
        check_writable(schema, fmt)  # e.g. nested Parquet columns to CSV
        check_memory(self.options.rows or source.table.num_rows, source.table.num_columns)
        reference = Reference.of(source.table, self.options)
        check_by(source.table.column_names, self.options.by)  # fails before any output
        with _removed_if_refused(self.out_dir):
            start, frame = self._starting_point(source, fmt)
            report_kind = None
            if self.report is not None:  # checked after --out-dir exists: it may go there
                from mixsynth.report import check_report_output

                if self.report == STDIO and self.output == STDIO:
                    raise MixsynthError(
                        "-o - and --report - both ask for stdout", "write one of them to a file"
                    )
                report_kind = check_report_output(self.report, self.force, (self.input,))
        chosen_seed = self.seed is None
        if chosen_seed:
            self.seed = int(np.random.SeedSequence().entropy % 2**32)
        trajectory = None
        if report_kind is not None:
            from mixsynth.metrics import GenerationTrajectory

            trajectory = GenerationTrajectory(
                arrow_to_frame(source.table),
                start=start,
                categorical=self.options.categorical,
                seed=self.seed,
            )
        if self.out_dir is not None:
            self._write_record(fmt, start)
        done = start
        rngs = generation_rngs(self.seed, self.generations)
        try:
            for index in range(start + 1, self.generations + 1):
                generation = self._generation(
                    GenerationStream(frame, self.options, rngs[index - 1], reference, index),
                    fmt,
                    keep=index < self.generations or trajectory is not None,
                    on_progress=on_progress,
                )
                if self.out_dir is not None:
                    self._write_record(fmt, index)
                done, frame = index, generation.frame
                if trajectory is not None:  # against the real input, not the previous one
                    trajectory.add(
                        dataclasses.replace(generation, frame=arrow_to_frame(generation.frame))
                    )
                on_generation(generation)
        except KeyboardInterrupt:
            raise RunInterrupted(self._how_far(done, fmt)) from None
        except MixsynthError as error:
            if self.out_dir is None or done == 0:
                raise
            raise MixsynthError(
                f"{error.message}; {self._how_far(done, fmt)}", error.hint
            ) from None
        if start >= self.generations and self.output is not None:
            # Resumed a run that had already finished: -o still gets the last generation.
            write_table(frame, self.output, fmt, schema)
        if chosen_seed:
            # Said at the end, so that a failure stays one line (--out-dir records it).
            self.say(f"seed: {self.seed} (give --seed {self.seed} to repeat this run)")
        if trajectory is None:
            return []
        from mixsynth.report import write_report

        run = {"input": self.input, "seed": self.seed}
        run["options"] = {"synthesis": self.options, "generations": self.generations}
        report = trajectory.report(arrow_to_frame(frame), run)
        write_report(report, self.report, report_kind, f"mixsynth generate: {self.input}")
        return trajectory.entries

    def _generation(
        self,
        stream: GenerationStream,
        fmt: TableFormat,
        keep: bool,
        on_progress: Callable[[float], None],
    ) -> Generation:
        """Make one generation and write it where it goes, a slice at a time: each slice
        is stored (on another thread) while the next is made. The whole table is kept
        only if ``keep`` (for the next generation or the report); its frame is else None.
        """
        paths = []
        if self.out_dir is not None:
            paths.append(str(generation_file(self.out_dir, stream.index, fmt)))
        if stream.index == self.generations and self.output is not None:
            paths.append(self.output)
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
                stored = storing.submit(lambda part=part: [write(part) for write in writers])
                if keep:
                    parts.append(part)
                made += len(part)
                on_progress(stream.index - 1 + made / stream.rows)
            if stored is not None:
                stored.result()
        return stream.finish(stream.source.concat(parts) if keep else None)

    def _how_far(self, done: int, fmt: TableFormat) -> str:
        """Where a run stopped, and how to finish it (for the one-line message)."""
        where = f"stopped after generation {done} of {self.generations}"
        if self.out_dir is None or done == 0:
            return f"{where}; no output file was written or changed"
        first, last = (generation_file(self.out_dir, i, fmt).name for i in (1, done))
        files = first if done == 1 else f"{first} to {last}"
        return (
            f"{where}: {files} in {str(self.out_dir)!r} are complete; "
            "run the same command with --resume to finish the run"
        )

    def _settings(self, fmt: TableFormat) -> dict:
        """What a resumed run must share with the interrupted one to continue its files."""
        options = json.loads(json.dumps(dataclasses.asdict(self.options)))
        return {"input": input_fingerprint(self.input), "format": fmt.value, "options": options}

    def _write_record(self, fmt: TableFormat, completed: int) -> None:
        """The run record in --out-dir: seed, settings and progress, written atomically."""
        assert self.out_dir is not None
        record = {
            "mixsynth_run": 1,
            "seed": self.seed,
            **self._settings(fmt),
            "generations": self.generations,
            "completed": completed,
        }
        with atomic_path(str(self.out_dir / RUN_RECORD)) as temporary:
            Path(temporary).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    def _resume_point(self, fmt: TableFormat) -> int:
        """Generations already complete in --out-dir, after checking it is the same run.

        Refuses a resume whose seed, options, output format or input differ from the
        recorded ones; without --seed, the recorded seed is taken.
        """
        assert self.out_dir is not None
        record_path = self.out_dir / RUN_RECORD
        if not record_path.exists():
            if generation_file(self.out_dir, 1, fmt).exists():
                raise MixsynthError(
                    f"cannot resume: {str(self.out_dir)!r} has no {RUN_RECORD}, so its seed "
                    "and options are unknown",
                    "start again with --force (without --resume)",
                )
            return 0
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            recorded_seed, completed = int(record["seed"]), int(record["completed"])
        except (OSError, ValueError, KeyError, TypeError):
            raise MixsynthError(
                f"cannot resume: {str(record_path)!r} is unreadable or damaged",
                "start again with --force (without --resume)",
            ) from None
        if self.seed is not None and self.seed != recorded_seed:
            raise MixsynthError(
                f"cannot resume: --seed {self.seed} differs from the interrupted run's "
                f"seed {recorded_seed}",
                f"give --seed {recorded_seed} or leave --seed out",
            )
        self.seed = recorded_seed
        settings = self._settings(fmt)
        recorded = {"format": record.get("format"), **(record.get("options") or {})}
        now = {"format": settings["format"], **settings["options"]}
        differ = [
            f"--{key.replace('_', '-')} {json.dumps(recorded.get(key))} then, "
            f"{json.dumps(now[key])} now"
            for key in now
            if recorded.get(key) != now[key]
        ]
        if record.get("input") != settings["input"]:
            differ.insert(0, "the input's content has changed")
        if differ:
            raise MixsynthError(
                f"cannot resume: this is not the run recorded in {str(record_path)!r} "
                f"({'; '.join(differ)})",
                "repeat the interrupted run's input and options, or start again with --force",
            )
        for index in range(1, completed + 1):
            if not generation_file(self.out_dir, index, fmt).exists():
                raise MixsynthError(
                    f"cannot resume: {generation_file(self.out_dir, index, fmt).name} of the "
                    f"interrupted run is missing from {str(self.out_dir)!r}",
                    "start again with --force (without --resume)",
                )
        return completed

    def _starting_point(self, source: ArrowTable, fmt: TableFormat):
        """Generation to start after, and its table: 0 and the input, or where a run stopped."""
        if self.out_dir is None:
            return 0, source.table
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise MixsynthError(
                f"cannot create --out-dir {str(self.out_dir)!r}: {error.strerror or error}",
                "give a folder path that can be created",
            ) from None
        for index in range(1, self.generations + 1):
            existing = generation_file(self.out_dir, index, fmt)
            if existing.exists() and not (self.force or self.resume):
                raise MixsynthError(
                    f"output {str(existing)!r} already exists",
                    "give --resume to continue that run, or --force to overwrite it",
                )
            # A resumed run rewrites the files after its last complete one; no run
            # ever writes over its input (e.g. an input that is itself runs/gen-001.csv).
            check_output(str(existing), self.force or self.resume, (self.input,))
        if not self.resume:
            return 0, source.table
        done = min(self._resume_point(fmt), self.generations)
        if done == 0:
            return 0, source.table
        self.say(f"resuming after generation {done} of {self.generations}")
        last = read_arrow(
            str(generation_file(self.out_dir, done, fmt)), fmt, schema=source.table.schema
        )
        return done, last.table
