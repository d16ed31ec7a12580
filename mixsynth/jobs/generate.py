"""The ``generate`` job: read the input, run the generations, write every file safely.

Kept apart from the kernel so that synthesis stays a pure function of tables, and
from the CLI so that Python users can run the same job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixsynth.columns import check_by, group_codes
from mixsynth.engine.balance import new_rows_per_class, oversample
from mixsynth.engine.conditions import matching_rows, take_rows
from mixsynth.engine.memory import GenerationStream, generation_rngs
from mixsynth.engine.options import Generation, SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.errors import MixsynthError, RunInterrupted
from mixsynth.io import (
    STDIO,
    ArrowTable,
    TableFormat,
    arrow_to_frame,
    atomic_path,
    check_input,
    check_output,
    check_writable,
    read_arrow,
    table_writer,
    write_table,
)
from mixsynth.io.outputs import (
    RunLock,
    check_distinct,
    file_lock,
    locked,
    remove_leftovers,
    resolve,
)
from mixsynth.io.provenance import input_fingerprint

#: The run record in --out-dir: what --resume checks and continues.
RUN_RECORD = "mixsynth-run.json"
#: The lock file a run holds in --out-dir (docs/safety.md).
LOCK_FILE = ".mixsynth-run.lock"


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


def _read_record(path: Path) -> dict:
    """The run record, checked field by field: a damaged or hand-edited record is one
    clear refusal, not a crash half-way through a resume."""

    def damaged(what: str) -> MixsynthError:
        return MixsynthError(
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
    #: ``--where``: mix only inside the rows where each column has the given value.
    where: dict[str, str] = field(default_factory=dict)
    #: ``--balance COL[=STRATEGY]``: class column and imbalanced-learn strategy name.
    balance: tuple[str, str | float] | None = None
    #: ``--only-new``: with ``balance``, write the new rows without the real ones.
    only_new: bool = False

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
        self._check_balance()
        planned = self.output_format or (
            TableFormat.CSV if self.output == STDIO else check_input(self.input, self.input_format)
        )
        self._check_distinct(planned)  # before anything is read, made or written
        with _removed_if_refused(self.out_dir):
            self._make_out_dir()
            with locked(self._locks(planned)):
                return self._run(on_generation, on_progress)

    def _run(
        self, on_generation: Callable[[Generation], None], on_progress: Callable[[float], None]
    ) -> list[dict]:
        """The run itself, once its outputs are checked and locked."""
        source = read_arrow(self.input, self.input_format, self.encoding)
        schema = source.table.schema
        fmt = self.output_format or (TableFormat.CSV if self.output == STDIO else source.format)
        check_writable(schema, fmt)  # e.g. nested Parquet columns to CSV
        check_memory(self.options.rows or source.table.num_rows, source.table.num_columns)
        reference = Reference.of(source.table, self.options)
        check_by(source.table.column_names, self.options.by)  # fails before any output
        real = source.table
        if self.where:  # before any output exists, so a condition nothing meets writes nothing
            real = take_rows(real, matching_rows(real, self.where, reference))
        start, frame = self._starting_point(source, fmt)
        frame = real if start == 0 else frame
        report_kind = None
        if self.report is not None:
            from mixsynth.report import check_report_output

            report_kind = check_report_output(self.report, self.force, (self.input,))
        chosen_seed = self.seed is None
        if chosen_seed:
            self.seed = int(np.random.SeedSequence().entropy % 2**32)
        if self.balance is not None:
            self._write_balanced(real, reference, fmt)
            if chosen_seed:
                self.say(f"seed: {self.seed} (give --seed {self.seed} to repeat this run)")
            return []
        trajectory = None
        if report_kind is not None:
            from mixsynth.metrics import GenerationTrajectory

            trajectory = GenerationTrajectory(
                arrow_to_frame(real),
                start=start,
                categorical=self.options.categorical,
                seed=self.seed,
                rules=reference.rules,
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
        from mixsynth.io.provenance import provenance
        from mixsynth.report.verdict import judge

        report = judge(report) | {"provenance": provenance({"real": self.input}, report["options"])}
        last = trajectory.last if trajectory.last is not None else arrow_to_frame(frame)
        title = f"mixsynth generate: {self.input}"
        write_report(report, self.report, report_kind, title, (trajectory.real, last))
        return trajectory.entries

    def _check_distinct(self, fmt: TableFormat) -> None:
        """Every output of the run is its own file, and none is the input."""
        if STDIO == self.report == self.output:
            raise MixsynthError(
                "-o - and --report - both ask for stdout", "write one of them to a file"
            )
        outputs = [("-o", self.output), ("--report", self.report)]
        check_distinct([(o, p) for o, p in outputs if p is not None], (self.input,))
        if self.out_dir is None:
            return
        folder = os.path.realpath(self.out_dir)
        run_files = re.compile(rf"gen-\d{{3,}}\.{fmt.value}|{re.escape(RUN_RECORD)}")
        for option, path in outputs:
            if path is None or path == STDIO:
                continue
            real = os.path.realpath(path)
            if os.path.dirname(real) == folder and run_files.fullmatch(os.path.basename(real)):
                raise MixsynthError(
                    f"{option} {path!r} is one of the files the run writes in --out-dir "
                    f"{str(self.out_dir)!r}",
                    "give it a path outside that folder, or another name",
                )

    def _make_out_dir(self) -> None:
        if self.out_dir is None:
            return
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise MixsynthError(
                f"cannot create --out-dir {str(self.out_dir)!r}: {error.strerror or error}",
                "give a folder path that can be created",
            ) from None
        if not os.access(self.out_dir, os.W_OK | os.X_OK):
            raise MixsynthError(
                f"cannot write in --out-dir {str(self.out_dir)!r}", "check its permissions"
            )

    def _locks(self, fmt: TableFormat) -> Iterator[RunLock]:
        """The run's locks, each taken in turn; leftovers of a killed run that held the
        same lock are removed once it is taken (no living process owns them)."""
        if self.out_dir is not None:
            yield RunLock(self.out_dir / LOCK_FILE, f"--out-dir {str(self.out_dir)!r}")
            remove_leftovers(self.out_dir, rf"gen-\d{{3,}}\.{fmt.value}|{re.escape(RUN_RECORD)}")
        for option, path in (("-o", self.output), ("--report", self.report)):
            if path is None:
                continue
            target = resolve(path)
            if not target.direct and Path(target.real).parent.is_dir():
                yield file_lock(target, f"{option} {path!r}")
                real = Path(target.real)
                remove_leftovers(real.parent, re.escape(real.name))

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

    def _check_balance(self) -> None:
        """--balance makes one table (real rows + new ones); refuse what does not fit."""
        if self.balance is None:
            if self.only_new:
                raise MixsynthError("--only-new needs --balance", "give --balance COLUMN")
            return
        clashes = {
            "--generations": self.generations > 1,
            "--out-dir": self.out_dir is not None,
            "--rows": self.options.rows is not None,
            "--report": self.report is not None,
        }
        for option, clash in clashes.items():
            if clash:
                raise MixsynthError(
                    f"--balance cannot be combined with {option}",
                    "--balance writes one table: the real rows and the new ones of each class",
                )
        if self.output is None:
            raise MixsynthError("--balance needs -o OUTPUT", "give -o OUTPUT (- for stdout)")

    def _write_balanced(self, table: Any, reference: Reference, fmt: TableFormat) -> None:
        """The real rows (unless --only-new), then each class's new rows, mixed inside it."""
        column, strategy = self.balance
        spec = next((s for s in reference.schema if s.name == column), None)
        if spec is None:
            raise MixsynthError(
                f"--balance column {column!r} is not in the table",
                f"columns are: {', '.join(s.name for s in reference.schema)}",
            )
        if spec.missing:
            raise MixsynthError(
                f"--balance column {column!r} has {spec.missing} missing value(s)",
                "every row needs a class: drop or fill those rows first",
            )
        codes = group_codes(table, (column,))
        counts = np.bincount(codes)
        new = new_rows_per_class(np.arange(len(counts)), counts, strategy)
        made = oversample(
            table, codes, new, self.options, generation_rngs(self.seed, 1)[0], reference
        )
        parts = [] if self.only_new else [table]
        parts += [] if made is None else [made]
        with table_writer(self.output, fmt, table.schema) as write:
            for part in parts or [table.slice(0, 0)]:
                write(part)

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
        if self.where:  # the rows it mixes from are part of what it continues
            options["where"] = self.where
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
            raise MixsynthError(
                f"cannot resume: {str(self.out_dir)!r} has no {RUN_RECORD}, so there is no "
                "run to resume (or its seed and options are unknown)",
                "run without --resume to start a new run; --force replaces files already there",
            )
        record = _read_record(record_path)
        recorded_seed, completed = record["seed"], record["completed"]
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
