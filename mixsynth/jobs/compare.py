"""The ``compare`` job: read a real and a synthetic table, compare them, judge the
figures against the rules and the limits given, and write the reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixsynth.choices import STDIO, Engine, TableFormat
from mixsynth.errors import OptionError
from mixsynth.jobs.cluster import DaskSettings, refuse_dask_only
from mixsynth.semantics.types import TableMetadata

#: The report kinds compare writes, each to its own path.
REPORT_KINDS = ("json", "markdown", "html")


@dataclass(kw_only=True)
class CompareJob:
    """Everything ``mixsynth compare`` does, as one object (no printing of its own).

    :meth:`check` refuses what cannot be done before any table is read; :meth:`run`
    then reads the tables, compares them (``compare_tables``, or on a Dask cluster
    with ``engine=Engine.DASK``), judges the report and writes it to every path in
    ``reports``, and returns the judged report.
    """

    real: str
    synthetic: str
    #: Report kind ("json", "markdown", "html") -> its path ("-" = stdout).
    reports: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    sample_rows: int | None = None  #: None: the metrics' default
    seed: int = 0
    input_format: TableFormat | None = None
    encoding: str = "utf-8"
    categorical: tuple[str, ...] = ()
    #: Column semantics overriding the inferred ones: a TableMetadata or a metadata file.
    metadata: TableMetadata | Mapping[str, Any] | str | Path | None = None
    #: Rules to report (mixsynth.rules), with those every real row holds when ``detect_rules``.
    rules: tuple = ()
    detect_rules: bool = True
    #: TOML file of thresholds (``[thresholds] name = limit``); ``limits`` win over it.
    config: Path | None = None
    limits: dict[str, float | None] = field(default_factory=dict)
    force: bool = False
    #: Real rows the synthesizer never saw (a path): the baseline of privacy and utility.
    holdout: str | None = None
    #: anonymeter attacks per evaluation (``--attacks``, against ``holdout``); 0: none.
    attacks: int = 0
    engine: Engine = Engine.MEMORY
    #: The Dask engine's cluster (refused, when given, with the memory engine).
    dask: DaskSettings = field(default_factory=DaskSettings)

    @property
    def title(self) -> str:
        return f"mixsynth compare: {self.real} vs {self.synthetic}"

    def to_stdout(self) -> list[str]:
        """The report options that write to stdout (at most one)."""
        unknown = sorted(set(self.reports) - set(REPORT_KINDS))
        if unknown:
            raise OptionError(
                f"unknown report kind(s): {', '.join(unknown)}",
                f"give one of {', '.join(REPORT_KINDS)}",
            )
        chosen = [f"--{kind}" for kind, path in self.reports.items() if path == STDIO]
        if len(chosen) > 1:
            raise OptionError(f"{' and '.join(chosen)} both ask for stdout", "give one a file")
        return chosen

    def check(self) -> Any:
        """Refuse what cannot be done before any table is read; the thresholds to judge by."""
        from mixsynth.io import check_output
        from mixsynth.io.outputs import check_distinct
        from mixsynth.report import check_report_kind
        from mixsynth.report.thresholds import load_config, thresholds_from

        self.to_stdout()
        inputs = self._inputs()
        check_distinct([(f"--{kind}", path) for kind, path in self.reports.items()], inputs)
        if inputs.count(STDIO) > 1:
            which = "REAL and SYNTH" if self.holdout is None else "REAL, SYNTH and --holdout"
            raise OptionError(f"only one of {which} can be - (stdin)")
        if self.attacks and self.holdout is None:
            raise OptionError(
                "--attacks needs --holdout",
                "give --holdout FILE: real rows the synthesizer never saw, the attacks' control set",
            )
        if self.attacks:
            from mixsynth.metrics.attacks import check_anonymeter

            check_anonymeter()
        if self.holdout is not None and self.engine is Engine.DASK:
            raise OptionError(
                "--holdout cannot be used with --engine dask",
                "compare a sample of the rows in memory with --holdout",
            )
        thresholds = thresholds_from(
            load_config(self.config) if self.config is not None else None, self.limits
        )
        for kind, path in self.reports.items():
            check_report_kind(path, kind)
            check_output(path, self.force, inputs)
        return thresholds

    def _inputs(self) -> tuple[str, ...]:
        held = () if self.holdout is None else (self.holdout,)
        return (self.real, self.synthetic, *held)

    def run(self, on_tasks: Callable[[int, int | None], None] = lambda done, total: None) -> dict:
        """Read, compare, judge, write; returns the judged report. With the Dask engine,
        ``on_tasks`` hears the tasks done and their total, for a progress bar."""
        from mixsynth.io.provenance import provenance
        from mixsynth.report import write_report
        from mixsynth.report.verdict import judge

        thresholds = self.check()
        report, frames = self._compare(on_tasks)
        report = judge(report, thresholds) | {
            "provenance": provenance(
                dict(zip(("real", "synthetic", "holdout"), self._inputs(), strict=False)),
                report["options"],
            )
        }
        for kind, path in self.reports.items():
            write_report(report, path, kind, self.title, frames)
        return report

    def _compare(self, on_tasks: Callable[[int, int | None], None]) -> tuple[dict, Any]:
        """Every figure of the report (not yet judged), and the two tables when they
        were read whole (the memory engine: the HTML report plots them)."""
        from mixsynth.semantics.metadata import as_metadata

        options: dict[str, Any] = {
            "target": self.target,
            "seed": self.seed,
            "categorical": self.categorical,
            "metadata": as_metadata(self.metadata),
        }
        if self.sample_rows is not None:
            options["sample_rows"] = self.sample_rows
        if self.engine is Engine.DASK:
            return self._compare_dask(options, on_tasks), None
        refuse_dask_only(self.dask.given())
        from mixsynth.io import read_table
        from mixsynth.metrics import compare_tables

        frames = (
            read_table(self.real, self.input_format, self.encoding).frame,
            read_table(self.synthetic, self.input_format, self.encoding).frame,
        )
        if self.holdout is not None:
            options["holdout"] = read_table(self.holdout, self.input_format, self.encoding).frame
        report = compare_tables(
            *frames, **options, rules=self.rules, detect_rules=self.detect_rules
        )
        if self.attacks:
            from mixsynth.metrics.attacks import attacks

            report["attacks"] = attacks(
                frames[0],
                options["holdout"],
                frames[1],
                n_attacks=self.attacks,
                seed=self.seed,
                categorical=self.categorical,
                metadata=options["metadata"],
            )
        return report, frames

    def _compare_dask(
        self, options: dict[str, Any], on_tasks: Callable[[int, int | None], None]
    ) -> dict:
        """Exact moments over every row, the rest on samples; refused before the
        cluster starts when a source cannot be read by its workers."""
        from mixsynth.engine.dask import find_source
        from mixsynth.metrics.dask_compare import compare_dask

        self.dask.check()
        for source in (self.real, self.synthetic):
            find_source(source, self.input_format)
        with self.dask.client() as client:
            return compare_dask(
                client,
                self.real,
                self.synthetic,
                input_format=self.input_format,
                encoding=self.encoding,
                on_progress=on_tasks,
                **options,
            )
