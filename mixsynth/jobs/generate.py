"""The ``generate`` job: read the input, infer what its columns mean, synthesize the
generations and write every file safely, then the report.

Kept apart from the kernel so that synthesis stays a pure function of tables, and
from the CLI so that Python users can run the same job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixsynth.choices import Engine, format_from_suffix
from mixsynth.columns import check_by, group_codes
from mixsynth.engine.balance import new_rows_per_class, oversample
from mixsynth.engine.conditions import matching_rows, take_rows
from mixsynth.engine.memory import GenerationStream, check_memory, fresh_seed, generation_rngs
from mixsynth.engine.options import Generation, SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.errors import InputError, MixsynthError, OptionError, OutputError, RunInterrupted
from mixsynth.io import (
    STDIO,
    ArrowTable,
    TableFormat,
    arrow_to_frame,
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
from mixsynth.jobs.cluster import DaskSettings, refuse_dask_only
from mixsynth.jobs.holdout import check_holdout, hold_out, holdout_file, write_held_out
from mixsynth.jobs.runs import (
    LOCK_FILE,
    generation_file,
    made_out_dir,
    resume_point,
    run_files,
    run_settings,
    write_record,
)


@dataclass(kw_only=True)
class GenerateJob:
    """Everything ``mixsynth generate`` does, as one object (no printing of its own).

    :meth:`check` refuses what cannot be done before anything is read or written;
    :meth:`run` then reads the input, infers what its columns mean, synthesizes the
    generations (each written slice by slice as it is made) and writes the report.
    Tables stay Arrow from reading to writing (no pandas import, no conversion); only
    ``--report`` turns them into DataFrames, for the metrics. With ``engine=Engine.DASK``
    the generations are Parquet datasets made partition by partition on a Dask cluster
    (:class:`~mixsynth.engine.dask.job.DaskGenerateJob`).
    """

    input: str
    options: SynthesisOptions
    generations: int = 1
    output: str | None = None
    #: ``--format``; None: the output's suffix (-o -: CSV; --out-dir alone: the input's)
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
    #: ``--holdout``: a share of the input's rows held out before synthesis (split with
    #: the seed), or a file of held-out rows; the report's privacy and utility baseline.
    holdout: float | str | None = None
    engine: Engine = Engine.MEMORY
    #: The Dask engine's cluster (refused, when given, with the memory engine).
    dask: DaskSettings = field(default_factory=DaskSettings)
    #: Dask: spread the rows over partitions at random first (None: yes, by default).
    shuffle: bool | None = None
    #: Dask: rows per partition after the shuffle (None: about 128 MiB).
    partition_rows: int | None = None
    #: What ``--privacy-target`` chose and measured (None without one), once run.
    privacy_choice: dict | None = field(default=None, init=False)
    #: The options generations are made with: ``options``, with the margin the target chose.
    synthesis: SynthesisOptions | None = field(default=None, init=False)

    def check(self) -> None:
        """Refuse what this job cannot do, before anything is read, made or written."""
        if self.engine is Engine.DASK:
            self._refuse_for_dask()
            return
        refuse_dask_only(
            self.dask.given()
            | {
                "--shuffle/--no-shuffle": self.shuffle is not None,
                "--partition-rows": self.partition_rows is not None,
            }
        )
        if self.generations < 1:
            raise OptionError(f"--generations must be at least 1, got {self.generations}")
        if self.output is None and self.out_dir is None:
            raise OptionError("no output given", "give -o OUTPUT (- for stdout) or --out-dir DIR")
        if self.resume and self.out_dir is None:
            raise OptionError(
                "--resume needs --out-dir", "give the --out-dir of the interrupted run"
            )
        check_input(self.input, self.input_format)
        if self.output is not None:
            check_output(self.output, self.force, (self.input,))
        if self.output_format is None and self.output not in (None, STDIO):
            self.output_format = format_from_suffix(self.output, "--format")

    def run(
        self,
        on_generation: Callable[[Generation], None] = lambda g: None,
        on_progress: Callable[[float], None] = lambda done: None,
        on_tasks: Callable[[int, int | None], None] = lambda done, total: None,
    ) -> list[dict]:
        """Run the job; returns the per-generation report entries (empty without a report).

        ``on_generation`` sees each generation: its frame is a pyarrow Table, or None for
        the last one when no report needs it (it was written slice by slice, never held).
        ``on_progress`` hears, after each slice, how many generations are done (2.5 =
        half of the third), for a progress bar; with the Dask engine, ``on_tasks`` hears
        the tasks done and their total instead.
        """
        self.check()
        if self.engine is Engine.DASK:
            self._run_dask(on_tasks)
            return []
        self._check_balance()
        check_holdout(
            self.holdout,
            balance=self.balance is not None,
            where=bool(self.where),
            report=self.report is not None,
            out_dir=self.out_dir,
        )
        planned = self.output_format or (
            TableFormat.CSV if self.output == STDIO else check_input(self.input, self.input_format)
        )
        self._check_distinct(planned)  # before anything is read, made or written
        with made_out_dir(self.out_dir), locked(self._locks(planned)):
            return self._run(on_generation, on_progress)

    def _run(
        self, on_generation: Callable[[Generation], None], on_progress: Callable[[float], None]
    ) -> list[dict]:
        """The run itself, once its outputs are checked and locked: read, infer,
        synthesize (writing as it goes), report."""
        source, fmt = self._read()
        start, frame = self._starting_point(source, fmt)  # a resume takes the recorded seed
        chosen_seed = self.seed is None
        if chosen_seed:
            self.seed = fresh_seed()
        # Before anything learns from the rows (the share split with the seed).
        source, held = hold_out(source, self.holdout, self.seed, self.input_format, self.encoding)
        reference, real = self._infer(source.table)
        frame = real if start == 0 else frame
        report_kind = None
        if self.report is not None:
            from mixsynth.report import check_report_output

            report_kind = check_report_output(self.report, self.force, (self.input,))
        write_held_out(held, self.holdout, self.out_dir, fmt)
        self.synthesis = self._resolve_target(real)  # on the training rows only
        if self.synthesis is not self.options:
            reference = Reference.of(source.table, self.synthesis)
        trajectory = None
        if self.balance is not None:
            self._write_balanced(real, reference, fmt)
        else:
            if report_kind is not None:
                from mixsynth.metrics import GenerationTrajectory

                trajectory = GenerationTrajectory(
                    arrow_to_frame(real),
                    start=start,
                    categorical=self.options.categorical,
                    seed=self.seed,
                    holdout=None if held is None else arrow_to_frame(held),
                    rules=reference.rules,
                )
            frame = self._synthesize(
                frame, start, reference, fmt, trajectory, on_generation, on_progress
            )
            if start >= self.generations and self.output is not None:
                # Resumed a run that had already finished: -o still gets the last generation.
                write_table(frame, self.output, fmt, source.table.schema)
        if chosen_seed:
            # Said at the end, so that a failure stays one line (--out-dir records it).
            self.say(f"seed: {self.seed} (give --seed {self.seed} to repeat this run)")
        if trajectory is None:
            return []
        self._report(trajectory, frame, report_kind)
        return trajectory.entries

    def _read(self) -> tuple[ArrowTable, TableFormat]:
        """The input, and the output format, checked against what the input holds."""
        source = read_arrow(self.input, self.input_format, self.encoding)
        fmt = self.output_format or (TableFormat.CSV if self.output == STDIO else source.format)
        check_writable(source.table.schema, fmt)  # e.g. nested Parquet columns to CSV
        check_memory(self.options.rows or source.table.num_rows, source.table.num_columns)
        return source, fmt

    def _infer(self, table: Any) -> tuple[Reference, Any]:
        """What the columns mean and hold (the reference every generation is held to),
        and the real rows to mix: all, or those ``where`` selects."""
        reference = Reference.of(table, self.options)
        check_by(table.column_names, self.options.by)  # fails before any output
        if self.where:  # before any output exists, so a condition nothing meets writes nothing
            table = take_rows(table, matching_rows(table, self.where, reference))
        return reference, table

    def _synthesize(
        self,
        frame: Any,
        start: int,
        reference: Reference,
        fmt: TableFormat,
        trajectory: Any,
        on_generation: Callable[[Generation], None],
        on_progress: Callable[[float], None],
    ) -> Any:
        """Generations ``start`` + 1 on, each written as it is made (and recorded in
        --out-dir); returns the last one's table (None when it was never held whole)."""
        if self.out_dir is not None:
            self._write_record(fmt, start)
        done = start
        rngs = generation_rngs(self.seed, self.generations)
        try:
            for index in range(start + 1, self.generations + 1):
                generation = self._generation(
                    GenerationStream(frame, self.synthesis, rngs[index - 1], reference, index),
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
            raise type(error)(f"{error.message}; {self._how_far(done, fmt)}", error.hint) from None
        return frame

    def _report(self, trajectory: Any, frame: Any, kind: Any) -> None:
        """The comparison of every generation with the input, judged, to ``report``."""
        from mixsynth.io.provenance import provenance
        from mixsynth.report import write_report
        from mixsynth.report.verdict import judge

        run = {"input": self.input, "seed": self.seed}
        run["options"] = {"synthesis": self.synthesis, "generations": self.generations}
        if self.privacy_choice is not None:
            run["privacy_target"] = self.privacy_choice
        report = trajectory.report(arrow_to_frame(frame), run)
        report = judge(report) | {"provenance": provenance({"real": self.input}, report["options"])}
        last = trajectory.last if trajectory.last is not None else arrow_to_frame(frame)
        title = f"mixsynth generate: {self.input}"
        write_report(report, self.report, kind, title, (trajectory.real, last))

    def _refuse_for_dask(self) -> None:
        """What the Dask engine cannot do, each with what to do instead."""
        refused = {
            "--where": (bool(self.where), "filter the dataset first, e.g. with Dask or DuckDB"),
            "--balance": (self.balance is not None, "balance a table that fits in memory"),
            "--only-new": (
                self.only_new,
                "it goes with --balance, which needs the memory engine",
            ),
            "--report": (
                self.report is not None,
                "run 'mixsynth compare --engine dask' on the output",
            ),
            "--holdout": (
                self.holdout is not None,
                "split the table first; compare with --holdout",
            ),
            "--resume": (
                self.resume,
                "run again with --force: the same --seed gives the same files",
            ),
            "--format csv": (
                self.output_format is TableFormat.CSV,
                "the Dask engine writes Parquet datasets; convert a part file if needed",
            ),
            "-o -": (self.output == STDIO, "give -o FOLDER: a dataset of part files"),
            f"-o {self.output} (a CSV name)": (
                self.output is not None
                and ".csv" in [x.lower() for x in Path(self.output).suffixes],
                "it writes a folder of Parquet part files, not CSV: give -o FOLDER "
                "(e.g. out.parquet), and convert a part file if you need CSV",
            ),
            "--keep-associations": (
                self.options.keep_associations,
                "give the explaining columns with --by, which the Dask engine mixes inside",
            ),
            "--privacy-target": (
                self.options.privacy_target is not None,
                "run it on a sample in memory and give the margin it picks as --privacy-margin",
            ),
        }
        for option, (given, hint) in refused.items():
            if given:
                raise OptionError(f"{option} cannot be used with --engine dask", hint)

    def _run_dask(self, on_tasks: Callable[[int, int | None], None]) -> None:
        """The generations on a Dask cluster: everything checked before it starts."""
        from mixsynth.engine.dask import DaskGenerateJob

        self.dask.check()
        job = DaskGenerateJob(
            input=self.input,
            options=self.options,
            generations=self.generations,
            output=self.output,
            out_dir=self.out_dir,
            seed=self.seed,
            input_format=self.input_format,
            encoding=self.encoding,
            shuffle=self.shuffle is not False,
            partition_rows=self.partition_rows,
            force=self.force,
            say=self.say,
        )
        job.check()
        with self.dask.client() as client:
            job.run(client, on_progress=on_tasks)

    def _check_distinct(self, fmt: TableFormat) -> None:
        """Every output of the run is its own file, and none is the input."""
        if STDIO == self.report == self.output:
            raise OptionError(
                "-o - and --report - both ask for stdout", "write one of them to a file"
            )
        outputs = [("-o", self.output), ("--report", self.report)]
        check_distinct([(o, p) for o, p in outputs if p is not None], (self.input,))
        if self.out_dir is None:
            return
        folder = os.path.realpath(self.out_dir)
        names = re.compile(run_files(fmt))
        for option, path in outputs:
            if path is None or path == STDIO:
                continue
            real = os.path.realpath(path)
            if os.path.dirname(real) == folder and names.fullmatch(os.path.basename(real)):
                raise OutputError(
                    f"{option} {path!r} is one of the files the run writes in --out-dir "
                    f"{str(self.out_dir)!r}",
                    "give it a path outside that folder, or another name",
                )

    def _locks(self, fmt: TableFormat) -> Iterator[RunLock]:
        """The run's locks, each taken in turn; leftovers of a killed run that held the
        same lock are removed once it is taken (no living process owns them)."""
        if self.out_dir is not None:
            yield RunLock(self.out_dir / LOCK_FILE, f"--out-dir {str(self.out_dir)!r}")
            remove_leftovers(self.out_dir, run_files(fmt))
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
                stored = storing.submit(lambda piece: [write(piece) for write in writers], part)
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
                raise OptionError("--only-new needs --balance", "give --balance COLUMN")
            return
        clashes = {
            "--generations": self.generations > 1,
            "--out-dir": self.out_dir is not None,
            "--rows": self.options.rows is not None,
            "--report": self.report is not None,
        }
        for option, clash in clashes.items():
            if clash:
                raise OptionError(
                    f"--balance cannot be combined with {option}",
                    "--balance writes one table: the real rows and the new ones of each class",
                )
        if self.output is None:
            raise OptionError("--balance needs -o OUTPUT", "give -o OUTPUT (- for stdout)")

    def _write_balanced(self, table: Any, reference: Reference, fmt: TableFormat) -> None:
        """The real rows (unless --only-new), then each class's new rows, mixed inside it."""
        column, strategy = self.balance
        spec = next((s for s in reference.schema if s.name == column), None)
        if spec is None:
            raise OptionError(
                f"--balance column {column!r} is not in the table",
                f"columns are: {', '.join(s.name for s in reference.schema)}",
            )
        if spec.missing:
            raise InputError(
                f"--balance column {column!r} has {spec.missing} missing value(s)",
                "every row needs a class: drop or fill those rows first",
            )
        codes = group_codes(table, (column,))
        counts = np.bincount(codes)
        new = new_rows_per_class(np.arange(len(counts)), counts, strategy)
        made = oversample(
            table, codes, new, self.synthesis, generation_rngs(self.seed, 1)[0], reference
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

    def _resolve_target(self, real: Any) -> SynthesisOptions:
        """With --privacy-target, the options with the margin it chose on a held-out
        half of the input (:mod:`mixsynth.engine.target`), said and recorded."""
        if self.options.privacy_target is None:
            return self.options
        from mixsynth.jobs.target import choose_privacy_settings

        choice = choose_privacy_settings(real, self.options, self.seed)
        self.privacy_choice = choice.record()
        self.say(choice.describe())
        return choice.options(self.options)

    def _settings(self, fmt: TableFormat) -> dict:
        settings = run_settings(self.input, self.options, self.where, fmt)
        if self.holdout is not None:  # the rows held out are part of what a resume continues
            settings["options"]["holdout"] = self.holdout
        return settings

    def _write_record(self, fmt: TableFormat, completed: int) -> None:
        assert self.out_dir is not None and self.seed is not None
        settings = self._settings(fmt)
        if self.privacy_choice is not None:  # not a setting: what the run chose with it
            settings["privacy_target"] = self.privacy_choice
        write_record(self.out_dir, self.seed, settings, self.generations, completed)

    def _starting_point(self, source: ArrowTable, fmt: TableFormat):
        """Generation to start after, and its table: 0 and the input, or where a run stopped."""
        if self.out_dir is None:
            return 0, source.table
        for index in range(1, self.generations + 1):
            existing = generation_file(self.out_dir, index, fmt)
            if existing.exists() and not (self.force or self.resume):
                raise OutputError(
                    f"output {str(existing)!r} already exists",
                    "give --resume to continue that run, or --force to overwrite it",
                )
            # A resumed run rewrites the files after its last complete one; no run
            # ever writes over its input (e.g. an input that is itself runs/gen-001.csv).
            check_output(str(existing), self.force or self.resume, (self.input,))
        if isinstance(self.holdout, float):
            check_output(str(holdout_file(self.out_dir, fmt)), self.force or self.resume, ())
        if not self.resume:
            return 0, source.table
        self.seed, completed = resume_point(
            self.out_dir, self.seed, lambda: self._settings(fmt), fmt
        )
        done = min(completed, self.generations)
        if done == 0:
            return 0, source.table
        self.say(f"resuming after generation {done} of {self.generations}")
        last = read_arrow(
            str(generation_file(self.out_dir, done, fmt)), fmt, schema=source.table.schema
        )
        return done, last.table
