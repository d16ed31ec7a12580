"""The ``generate`` job: read the input, infer what its columns mean, synthesize the
generations and write every file safely, then the report.

Kept apart from the kernel so that synthesis stays a pure function of tables, and
from the CLI so that Python users can run the same job. The files it writes
(:mod:`~mixsynth.jobs.run_outputs`), its run record and resume
(:mod:`~mixsynth.jobs.runs`) and ``--balance`` (:mod:`~mixsynth.jobs.balance`) are
modules of their own; this one is the job's flow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixsynth.choices import Engine, format_from_suffix
from mixsynth.columns import check_by
from mixsynth.engine.conditions import matching_rows, take_rows
from mixsynth.engine.memory import GenerationStream, check_memory, fresh_seed, generation_rngs
from mixsynth.engine.options import Generation, SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.errors import MixsynthError, OptionError, RunInterrupted
from mixsynth.io import (
    STDIO,
    ArrowTable,
    TableFormat,
    arrow_to_frame,
    check_input,
    check_output,
    check_writable,
    read_arrow,
    write_table,
)
from mixsynth.io.outputs import locked
from mixsynth.jobs.balance import check_balance, write_balanced
from mixsynth.jobs.cluster import DaskSettings, refuse_dask_only
from mixsynth.jobs.holdout import check_holdout, hold_out, write_held_out
from mixsynth.jobs.run_outputs import check_distinct_outputs, run_locks, write_generation
from mixsynth.jobs.runs import (
    check_run_files,
    generation_file,
    how_far,
    made_out_dir,
    resume_point,
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
        check_balance(
            self.balance,
            self.only_new,
            generations=self.generations,
            out_dir=self.out_dir,
            rows=self.options.rows,
            report=self.report,
            output=self.output,
        )
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
        # Before anything is read, made or written.
        check_distinct_outputs(self.input, self.output, self.report, self.out_dir, planned)
        locks = run_locks(self.out_dir, self.output, self.report, planned)
        with made_out_dir(self.out_dir), locked(locks):
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
            write_balanced(
                real,
                reference,
                self.balance,
                self.synthesis,
                self.seed,
                self.output,
                fmt,
                self.only_new,
            )
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
                generation = write_generation(
                    GenerationStream(frame, self.synthesis, rngs[index - 1], reference, index),
                    self._generation_paths(index, fmt),
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
            raise RunInterrupted(how_far(done, self.generations, self.out_dir, fmt)) from None
        except MixsynthError as error:
            if self.out_dir is None or done == 0:
                raise
            stopped = how_far(done, self.generations, self.out_dir, fmt)
            raise type(error)(f"{error.message}; {stopped}", error.hint) from None
        return frame

    def _generation_paths(self, index: int, fmt: TableFormat) -> list[str]:
        """Where generation ``index`` goes: its file in --out-dir, and -o for the last."""
        paths = []
        if self.out_dir is not None:
            paths.append(str(generation_file(self.out_dir, index, fmt)))
        if index == self.generations and self.output is not None:
            paths.append(self.output)
        return paths

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
                "run it on a sample in memory, then pass the settings it reports: "
                "--privacy-margin, --copy-neighbours, --donors, ...",
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
        check_run_files(
            self.out_dir,
            self.generations,
            fmt,
            self.input,
            self.holdout,
            force=self.force,
            resume=self.resume,
        )
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
