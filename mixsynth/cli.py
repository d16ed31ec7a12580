"""The ``mixsynth`` command line: a thin shell over the library.

It parses options, calls :mod:`mixsynth.synth` and friends, and maps failures to exit
statuses: 0 success, 1 a comparison threshold broken, 2 bad input or usage (one line
on stderr, no traceback), 130 interrupted, 141 stdout's reader went away (docs/safety.md).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from mixsynth.choices import (
    STDIO,
    Bounds,
    Engine,
    Method,
    Pairing,
    TableFormat,
    format_from_suffix,
)
from mixsynth.errors import MixsynthError, MixsynthWarning, one_line
from mixsynth.weights import (
    DEFAULT_EPS,
    DEFAULT_MIX_STRENGTH,
    SPEC_HELP,
    WeightDistribution,
    parse_weights,
)

if TYPE_CHECKING:
    from mixsynth.synth import SynthesisOptions


#: Exit status when the reader of stdout goes away (`| head`): 128 + SIGPIPE, what a
#: shell reports for a tool killed by that signal; not 1 (a broken threshold) nor 2.
CLOSED_PIPE = 128 + 13


def _say(line: str) -> None:
    """One plain line on stderr (never wrapped or styled, so pipelines can grep it);
    nothing when stderr is closed (``2>&-``)."""
    if sys.stderr is None:
        return
    sys.stderr.write(line.rstrip("\n") + "\n")
    sys.stderr.flush()


class MixsynthGroup(TyperGroup):
    """Turns every failure into one line on stderr and the documented exit status."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as interrupt:
            # A RunInterrupted says which files were finished; a bare Ctrl-C came before any.
            _say(
                f"Interrupted: {one_line(str(interrupt))}"
                if str(interrupt)
                else "Interrupted: stopped before finishing; no output file was written or changed."
            )
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader of stdout stopped early (`| head`): caught here, before Click
            # turns it into status 1, the status of a broken threshold.
            _silence_stdout()
            raise typer.Exit(CLOSED_PIPE) from None

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any):
        extra.pop("standalone_mode", None)
        for command in self.commands.values():
            _name_values(command)
        # Warnings are held back: shown after a success (mixsynth's as one 'Warning:' line
        # each), dropped after an error, which stays the one line on stderr.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MixsynthWarning)
            result = self._run(args, prog_name, **extra)
        code = result if isinstance(result, int) else 0  # a command returns None on success
        if _stdout_flushed_or_gone():
            code = CLOSED_PIPE
        if code in (0, 1):
            for warning in caught:
                if not issubclass(warning.category, MixsynthWarning):
                    warnings.showwarning(
                        warning.message, warning.category, warning.filename, warning.lineno
                    )
            ours = [w for w in caught if issubclass(w.category, MixsynthWarning)]
            for message in dict.fromkeys(one_line(str(w.message)) for w in ours):
                _say(f"Warning: {message}")
        sys.exit(code)

    def _run(self, args: Sequence[str] | None, prog_name: str | None, **extra: Any) -> Any:
        """The command's exit status, every failure turned into one line on stderr."""
        try:
            return super().main(args, prog_name or "mixsynth", standalone_mode=False, **extra)
        except click_exceptions.NoArgsIsHelpError as shown:  # a bare `mixsynth`: help, no error
            sys.stdout.write(shown.format_message().rstrip("\n") + "\n")
            return 0
        except MixsynthError as error:
            _say(f"Error: {error}")
            return 2
        except typer.Abort:
            _say("Aborted.")
            return 130
        except typer.TyperException as error:  # Click's usage errors
            message = error.format_message() if hasattr(error, "format_message") else str(error)
            command = getattr(getattr(error, "ctx", None), "command_path", "mixsynth")
            _say(f"Error: {message} (see '{command} --help')")
            return getattr(error, "exit_code", 2)
        except BrokenPipeError:
            # The reader of stdout stopped early (e.g. `| head`): end quietly, as Python's
            # documentation advises, with stdout pointed at /dev/null so that the final
            # flush cannot fail again.
            _silence_stdout()
            return CLOSED_PIPE
        except MemoryError:
            _say(f"Error: {OUT_OF_MEMORY}")
            return 2
        except (RuntimeError, ImportError) as error:
            # A thread that cannot start (no memory for its stack), or a library that
            # cannot be mapped into memory: out of memory too.
            if not any(s in str(error) for s in ("can't start new thread", "map segment")):
                raise
            _say(f"Error: {OUT_OF_MEMORY}")
            return 2


OUT_OF_MEMORY = "out of memory (give a smaller table, or fewer --rows)"


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that no later flush fails on a closed pipe."""
    with suppress(OSError, ValueError, AttributeError):  # e.g. no real stdout in tests
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _stdout_flushed_or_gone() -> bool:
    """Flush stdout before exiting; True if its reader had gone (then it is silenced)."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return True
    except (OSError, ValueError):
        pass
    return False


def _stdout_console() -> Any:
    """A rich console on stdout that leaves a closed pipe to :class:`MixsynthGroup`
    (rich's own handling would exit with status 1, the status of a broken threshold)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return PipeConsole()


def _require_stdout() -> None:
    """Refuse, before any work, a command whose result goes to a closed stdout (``>&-``)."""
    if sys.stdout is None:
        raise MixsynthError(
            "stdout is closed, so the result cannot be shown",
            "run the command with stdout open (or write the result to a file)",
        )


#: Placeholders for option values in --help, where Typer would show Python types.
METAVARS = {
    "by": "COL",
    "categorical": "COL",
    "target": "COL",
    "column": "COL",
    "output": "PATH",
    "json_path": "PATH",
    "markdown_path": "PATH",
    "html_path": "PATH",
    "report": "PATH",
    "config": "FILE",
    "out_dir": "DIR",
    "rows": "N",
    "sample_rows": "N",
    "generations": "G",
    "weights": "SPEC",
    "mix_strength": "S",
    "eps": "E[,E1]",
    "encoding": "ENC",
    "metadata": "FILE",
}


def _name_values(command: Any) -> None:
    """Give every option a placeholder a user reads (``--rows ROWS``, ``--method
    [vanilla|generalized]``) instead of Typer's internal type names (``<int>``, ``<bool>``)."""
    for param in command.params:
        if isinstance(param, typer.core.TyperArgument):  # its name is the placeholder
            param.display_type_rich = lambda ctx: None
            param.metavar = param.metavar or param.name.upper()
            param._usage_display_name = lambda name=param.metavar: name  # not {NAME}
        if param.metavar is not None or getattr(param, "is_flag", False):
            continue
        shown = param.display_type(None).strip("<>")
        if "|" in shown and "[" not in shown:
            param.metavar = f"[{shown}]"
        else:
            threshold = param.name.startswith(("max_", "min_"))
            param.metavar = "X" if threshold else METAVARS.get(param.name, param.name.upper())


def _version(show: bool) -> None:
    if show:
        from mixsynth.provenance import version

        typer.echo(f"mixsynth {version()}")
        raise typer.Exit()


app = typer.Typer(
    cls=MixsynthGroup,
    name="mixsynth",
    help="Synthesize tabular data with vanilla or variance-preserving mixup, "
    "over generations, and compare real and synthetic tables.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Synthesize tabular data with vanilla or variance-preserving mixup, over
    generations, and compare real and synthetic tables. Documentation: docs/index.md."""


@contextmanager
def quiet_warnings(quiet: bool):
    """With --quiet, drop mixsynth's warnings (MixsynthGroup prints the others' after)."""
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", MixsynthWarning)
        yield


def parse_eps(text: str) -> tuple[float, float]:
    """'0.1' means eps0 = eps1 = 0.1; '0.05,0.2' sets them apart."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise MixsynthError(f"cannot read --eps {text!r}", "give e.g. 0.1 or 0.05,0.2") from None
    if len(values) not in (1, 2):
        raise MixsynthError(f"--eps takes one or two numbers, got {text!r}")
    if max(values) > USEFUL_EPS:
        warnings.warn(
            f"--eps {text} lets a weight reach {-values[0]:g} or {1 + values[-1]:g}, far outside "
            f"the theory's useful range (at most {USEFUL_EPS:g}; the default is {DEFAULT_EPS:g}): "
            "synthetic rows extrapolate far beyond their donors and the shapes distort",
            MixsynthWarning,
            stacklevel=2,
        )
    return values[0], values[-1]


#: Past this, extrapolation dominates: the distortion delta and the random walk of the
#: variance grow quickly (docs/theory.md, "The trade-off").
USEFUL_EPS = 0.5


def build_options(
    method: Method | None,
    weights: str | None,
    mix_strength: float,
    eps: str,
    finite_sample: bool,
    rows: int | None = None,
    by: Sequence[str] = (),
    categorical: Sequence[str] = (),
    pairing: Pairing = Pairing.BALANCED,
    bounds: Bounds = Bounds.REFLECT,
    **semantics: Any,
) -> SynthesisOptions:
    """SynthesisOptions from CLI values; the method follows ``--weights`` when not given.

    ``semantics`` are the column-semantics options (metadata, keep_pii, ...), as they are.
    """
    from mixsynth.synth import SynthesisOptions

    distribution: WeightDistribution | None = parse_weights(weights) if weights else None
    if method is None:
        method = Method.GENERALIZED
        if distribution is not None and distribution.is_vanilla:
            method = Method.VANILLA
    options = SynthesisOptions(
        method=method,
        weights=distribution,
        mix_strength=mix_strength,
        eps=parse_eps(eps),
        finite_sample=finite_sample,
        rows=rows,
        by=tuple(by),
        categorical=tuple(categorical),
        pairing=pairing,
        bounds=bounds,
        **semantics,
    )
    options.check()
    return options


def read_metadata_option(path: str | None) -> Any:
    """The --metadata file as TableMetadata (None without one)."""
    if path is None:
        return None
    from mixsynth.semantics.metadata import load_metadata

    return load_metadata(path)


MethodOption = Annotated[
    Method | None,
    typer.Option(
        help="vanilla: weights inside [0, 1], default Beta(0.2, 0.2). generalized: "
        "variance-preserving expanded Beta (default). Inferred from --weights if omitted.",
        case_sensitive=False,
    ),
]
WeightsOption = Annotated[
    str | None, typer.Option("--weights", "-w", help=f"Weight distribution: {SPEC_HELP}.")
]
MixStrengthOption = Annotated[
    float,
    typer.Option(
        help="Generalized solver: mixing strength 1 - E[lam], in (0, 1).",
    ),
]
EpsOption = Annotated[
    str,
    typer.Option(help="Generalized solver: support [-eps0, 1+eps1]; 'E' or 'E0,E1'."),
]
FiniteSampleOption = Annotated[
    bool,
    typer.Option(
        help="Generalized solver: aim the variance factor at the finite-sample target so "
        "the sample variance (ddof=1) is kept in expectation, not only the n-divided one.",
    ),
]
InputFormatOption = Annotated[
    TableFormat | None,
    typer.Option(
        help="Input format, when the suffix does not tell (stdin: csv).", case_sensitive=False
    ),
]
EncodingOption = Annotated[
    str, typer.Option(help="Text encoding of CSV input, e.g. latin-1 or cp1252.")
]
EngineOption = Annotated[
    Engine,
    typer.Option(
        help="memory: the table in this process. dask: partitions on a Dask cluster, for "
        "tables past memory (pip install 'mixsynth[dask]'; see docs/scale.md).",
        case_sensitive=False,
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Dask: a running scheduler, e.g. tcp://HOST:8786 (default: a local cluster)."
    ),
]
WorkersOption = Annotated[
    int | None, typer.Option(help="Dask: local workers (default: one per core).")
]
MemoryLimitOption = Annotated[
    str | None,
    typer.Option(help="Dask: memory per local worker, e.g. 2GiB; workers spill to disk near it."),
]
DashboardOption = Annotated[
    bool, typer.Option(help="Dask: print the address of the cluster's dashboard.")
]
CategoricalOption = Annotated[
    list[str] | None,
    typer.Option(
        "--categorical",
        help="Copy this column from donor rows instead of mixing it (e.g. integer codes). "
        "Repeatable.",
    ),
]
MetadataOption = Annotated[
    str | None,
    typer.Option(
        "--metadata",
        help="Column semantics from this JSON file (mixsynth's, or SDV's metadata JSON); "
        "columns it leaves out are inferred.",
    ),
]


@app.command()
def generate(
    input: Annotated[str, typer.Argument(help="Input table (.csv or .parquet), or - for stdin.")],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Output table (last generation); - for stdout."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Write every generation as gen-001.<ext>, gen-002.<ext>, ... here."),
    ] = None,
    rows: Annotated[
        int | None, typer.Option(help="Rows per generation (default: as many as the input).")
    ] = None,
    generations: Annotated[
        int,
        typer.Option(
            "--generations", "-g", help="Generations; each is made from the previous one."
        ),
    ] = 1,
    method: MethodOption = None,
    weights: WeightsOption = None,
    mix_strength: MixStrengthOption = DEFAULT_MIX_STRENGTH,
    eps: EpsOption = f"{DEFAULT_EPS:g}",
    finite_sample: FiniteSampleOption = True,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Mix only inside groups of this column (repeatable)."),
    ] = None,
    categorical: CategoricalOption = None,
    pairing: Annotated[
        Pairing,
        typer.Option(
            help="balanced: every row an anchor equally often; iid: anchors at random.",
            case_sensitive=False,
        ),
    ] = Pairing.BALANCED,
    bounds: Annotated[
        Bounds,
        typer.Option(
            help="Keep mixed values inside the input's range: reflect (default; the "
            "variance it removes is restored), clip, or none (plain mixup).",
            case_sensitive=False,
        ),
    ] = Bounds.REFLECT,
    metadata: MetadataOption = None,
    semantics: Annotated[
        bool,
        typer.Option(
            help="Infer column semantics (ids, personal data, codes, point masses, "
            "decimals); --no-semantics: storage types only, as plain mixup.",
        ),
    ] = True,
    keep_pii: Annotated[
        bool,
        typer.Option(
            help="Copy ids, personal data and free text from real rows instead of "
            "making them up (the output then holds real people's values).",
        ),
    ] = False,
    locale: Annotated[
        str, typer.Option(help="Faker locale of fake personal data, e.g. de_DE.")
    ] = "en_US",
    round_decimals: Annotated[
        bool,
        typer.Option(
            help="Round float columns to the input's decimal places (variance kept).",
        ),
    ] = True,
    match_moments: Annotated[
        bool,
        typer.Option(
            help="Correct each generation so its numeric means and covariances equal its "
            "source's exactly (no random walk of the first two moments; docs/structure.md).",
        ),
    ] = False,
    keep_associations: Annotated[
        bool,
        typer.Option(
            help="Draw partners within the categories that explain numeric columns, so "
            "those associations do not fade over generations (docs/structure.md).",
        ),
    ] = False,
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Random seed; the same seed gives byte-identical files."),
    ] = None,
    report: Annotated[
        str | None,
        typer.Option(
            help="Write a comparison report; .json, .md or .html by suffix (- = JSON on stdout)."
        ),
    ] = None,
    format: Annotated[
        TableFormat | None,
        typer.Option(
            "--format",
            help="Output format (default: from the output suffix).",
            case_sensitive=False,
        ),
    ] = None,
    input_format: InputFormatOption = None,
    encoding: EncodingOption = "utf-8",
    resume: Annotated[
        bool,
        typer.Option(
            help="With --out-dir: continue an interrupted run from its last complete file."
        ),
    ] = False,
    force: Annotated[bool, typer.Option(help="Overwrite existing output files.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress or notes on stderr.")
    ] = False,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            metavar="COL=VALUE",
            help="Mix only inside the rows where a categorical or boolean column has this "
            "value, so every synthetic row has it too (repeatable: all must hold).",
        ),
    ] = None,
    balance: Annotated[
        str | None,
        typer.Option(
            metavar="COL[=STRATEGY]",
            help="Balance the classes of COL: write the real rows, then new rows mixed inside "
            "each class. STRATEGY as imbalanced-learn's: auto (default: every class up to the "
            "largest), minority, not-minority, not-majority, all, or a ratio for two classes.",
        ),
    ] = None,
    only_new: Annotated[
        bool, typer.Option(help="With --balance: write only the new rows, not the real ones.")
    ] = False,
    engine: EngineOption = Engine.MEMORY,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    memory_limit: MemoryLimitOption = None,
    dashboard: DashboardOption = False,
    shuffle: Annotated[
        bool | None,
        typer.Option(
            "--shuffle/--no-shuffle",
            help="Dask: spread rows over partitions at random (seeded) before mixing "
            "(default), or mix inside the partitions as they are (faster; see docs/scale.md).",
        ),
    ] = None,
    partition_rows: Annotated[
        int | None,
        typer.Option(help="Dask: rows per partition after the shuffle (default: ~128 MiB)."),
    ] = None,
) -> None:
    """Synthesize a table with mixup, for one or more generations.

    Example: mixsynth generate sample_data/penguins.csv -o synth.csv --generations 5
    """
    from mixsynth.conditions import parse_where
    from mixsynth.io import check_input, check_output
    from mixsynth.pipeline import GenerateJob

    dask_options = {
        "--scheduler": scheduler is not None,
        "--workers": workers is not None,
        "--memory-limit": memory_limit is not None,
        "--dashboard": dashboard,
        "--shuffle/--no-shuffle": shuffle is not None,
        "--partition-rows": partition_rows is not None,
    }
    options = build_options(
        method,
        weights,
        mix_strength,
        eps,
        finite_sample,
        rows,
        by or (),
        categorical or (),
        pairing,
        bounds,
        metadata=read_metadata_option(metadata),
        semantics=semantics,
        keep_pii=keep_pii,
        locale=locale,
        round_decimals=round_decimals,
        match_moments=match_moments,
        keep_associations=keep_associations,
    )
    if engine is Engine.DASK:
        refused = {
            "--where": (bool(where), "filter the dataset first, e.g. with Dask or DuckDB"),
            "--balance": (balance is not None, "balance a table that fits in memory"),
            "--only-new": (only_new, "it goes with --balance, which needs the memory engine"),
            "--report": (report is not None, "run 'mixsynth compare --engine dask' on the output"),
            "--resume": (resume, "run again with --force: the same --seed gives the same files"),
            "--format csv": (
                format is TableFormat.CSV,
                "the Dask engine writes Parquet datasets; convert a part file if needed",
            ),
            "-o -": (output == STDIO, "give -o FOLDER: a dataset of part files"),
            "--keep-associations": (
                keep_associations,
                "give the explaining columns with --by, which the Dask engine mixes inside",
            ),
        }
        for option, (given, hint) in refused.items():
            if given:
                raise MixsynthError(f"{option} cannot be used with --engine dask", hint)
        _generate_dask(
            DaskSettings(scheduler, workers, memory_limit, dashboard),
            quiet,
            input=input,
            options=options,
            generations=generations,
            output=output,
            out_dir=out_dir,
            seed=seed,
            input_format=input_format,
            encoding=encoding,
            shuffle=shuffle is not False,
            partition_rows=partition_rows,
            force=force,
        )
        return
    _refuse_dask_only(dask_options)

    if generations < 1:
        raise MixsynthError(f"--generations must be at least 1, got {generations}")
    if output is None and out_dir is None:
        raise MixsynthError("no output given", "give -o OUTPUT (- for stdout) or --out-dir DIR")
    if resume and out_dir is None:
        raise MixsynthError("--resume needs --out-dir", "give the --out-dir of the interrupted run")
    check_input(input, input_format)
    if output is not None:
        check_output(output, force, (input,))
    output_format = format
    if output_format is None and output not in (None, STDIO):
        output_format = format_from_suffix(output, "--format")
    job = GenerateJob(
        input=input,
        options=options,
        generations=generations,
        output=output,
        output_format=output_format,
        out_dir=out_dir,
        seed=seed,
        input_format=input_format,
        encoding=encoding,
        report=report,
        resume=resume,
        force=force,
        say=(lambda line: None) if quiet else _say,
        where=parse_where(where or []),
        balance=parse_balance(balance) if balance is not None else None,
        only_new=only_new,
    )
    with quiet_warnings(quiet), generation_progress(generations, quiet) as advance:
        job.run(on_progress=advance)
    if not quiet:
        _say(_what_was_written(output, out_dir, generations, report))


def _what_was_written(
    output: str | None, out_dir: Path | None, generations: int, report: str | None
) -> str:
    """One line saying where generate put everything (stdout: '-')."""
    where = {STDIO: "stdout"}
    parts = []
    if out_dir is not None:
        files = "gen-001" if generations == 1 else f"gen-001 to gen-{generations:03d}"
        parts.append(f"generations {files} in {str(out_dir)!r}")
    if output is not None:
        parts.append(f"the last generation to {where.get(output, repr(output))}")
    if report is not None:
        parts.append(f"the report to {where.get(report, repr(report))}")
    return "wrote " + ", ".join(parts)


def parse_balance(text: str) -> tuple[str, str | float]:
    """'label' or 'label=minority' (or 'label=0.5', a ratio) as (column, strategy)."""
    column, _, strategy = text.rpartition("=") if "=" in text else (text, "", "auto")
    if not column:
        raise MixsynthError(f"cannot read --balance {text!r}", "give COLUMN or COLUMN=STRATEGY")
    try:
        return column, float(strategy)
    except ValueError:
        return column, strategy


@dataclass(frozen=True)
class DaskSettings:
    """Where the Dask engine runs: a scheduler's address, or a local cluster's size."""

    scheduler: str | None
    workers: int | None
    memory_limit: str | None
    dashboard: bool

    def check(self) -> None:
        from mixsynth.engine.dask_driver import check_cluster_options

        check_cluster_options(self.scheduler, self.workers, self.memory_limit, self.dashboard)

    @contextmanager
    def client(self):
        """A Dask client for the command; the dashboard's address said when asked."""
        from mixsynth.engine.dask_driver import dask_client

        with dask_client(
            self.scheduler, self.workers, self.memory_limit, dashboard=self.dashboard
        ) as client:
            if self.dashboard:
                _say(f"dashboard: {client.dashboard_link}")
            yield client


def _refuse_dask_only(given: dict[str, bool]) -> None:
    """Options of the Dask engine are refused without --engine dask (they would be ignored)."""
    for option, is_given in given.items():
        if is_given:
            raise MixsynthError(
                f"{option} needs --engine dask", "add --engine dask or leave it out"
            )


def _generate_dask(settings: DaskSettings, quiet: bool, **job: Any) -> None:
    """generate --engine dask: everything checked before the cluster starts."""
    from mixsynth.engine.dask_driver import DaskGenerateJob

    settings.check()
    dask_job = DaskGenerateJob(**job, say=(lambda line: None) if quiet else _say)
    dask_job.check()
    with quiet_warnings(quiet), settings.client() as client, task_progress(quiet) as advance:
        dask_job.run(client, on_progress=advance)


def _compare_dask(
    settings: DaskSettings,
    quiet: bool,
    real: str,
    synthetic: str,
    input_format: TableFormat | None,
    encoding: str,
    options: dict[str, Any],
) -> dict:
    """compare --engine dask: exact moments over every row, the rest on samples."""
    from mixsynth.engine.dask_compare import compare_dask
    from mixsynth.engine.dask_driver import find_source

    settings.check()
    for source in (real, synthetic):
        find_source(source, input_format)  # refused before the cluster starts
    with settings.client() as client, task_progress(quiet) as advance:
        return compare_dask(
            client,
            real,
            synthetic,
            input_format=input_format,
            encoding=encoding,
            on_progress=advance,
            **options,
        )


@contextmanager
def task_progress(quiet: bool):
    """One progress bar over the Dask tasks (partitions x generations) on a terminal's
    stderr; nothing otherwise."""
    if quiet or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("partitions", total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


@contextmanager
def generation_progress(total: int, quiet: bool):
    """A progress bar over generations (moving slice by slice within each) on a
    terminal's stderr; nothing otherwise."""
    if quiet or sys.stderr is None or not sys.stderr.isatty():
        yield lambda done: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("generations", total=total)
        yield lambda done: progress.update(task, completed=done)


@app.command("weights")
def weights_command(
    method: MethodOption = None,
    weights: WeightsOption = None,
    mix_strength: MixStrengthOption = DEFAULT_MIX_STRENGTH,
    eps: EpsOption = f"{DEFAULT_EPS:g}",
    finite_sample: FiniteSampleOption = True,
    rows: Annotated[
        int | None,
        typer.Option(help="Table size n, for the finite-sample target (default: none, factor 1)."),
    ] = None,
    pairing: Annotated[
        Pairing,
        typer.Option(case_sensitive=False, help="Pairing the finite-sample target assumes."),
    ] = Pairing.BALANCED,
    generations: Annotated[
        int,
        typer.Option(
            "--generations", "-g", help="Show the predicted variance after this many generations."
        ),
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show a weight distribution's parameters and what the theory predicts for it.

    Example: mixsynth weights --method vanilla --weights beta:0.2,0.2 -g 10
    """
    _require_stdout()
    if generations < 1:
        raise MixsynthError(f"--generations must be at least 1, got {generations}")
    if rows is not None and rows < 1:
        raise MixsynthError(f"--rows must be at least 1, got {rows}")
    options = build_options(
        method, weights, mix_strength, eps, finite_sample and rows is not None, pairing=pairing
    )
    distribution = options.weights_for(rows or 0, rows or 0)
    theory = distribution.theory()
    figures = {
        "method": options.method.value,
        "weights": distribution.label(),
        "alpha": distribution.alpha,
        "beta": distribution.beta,
        "eps0": distribution.eps0,
        "eps1": distribution.eps1,
        "support": [theory.lower + 0.0, theory.upper + 0.0],  # no -0.0
        "mean": theory.mean,
        "rho": theory.rho,
        "generations": generations,
        "predicted_variance_ratio": theory.variance_after(generations),
        "delta": theory.delta,
        "kappa": theory.kappa,
        "novelty": theory.novelty,
    }
    if as_json:  # a ratio beyond float64 (rho > 1 over many generations) is null
        figures = {k: None if v == float("inf") else v for k, v in figures.items()}
        typer.echo(json.dumps(figures, indent=2))
        return
    rows = [
        [
            "lam ~",
            f"EpBeta(alpha={distribution.alpha:.6g}, beta={distribution.beta:.6g}; "
            f"eps0={distribution.eps0:g}, eps1={distribution.eps1:g})",
        ],
        ["support", f"[{theory.lower + 0.0:g}, {theory.upper + 0.0:g}]"],  # no '-0'
        ["E(lam)", f"{theory.mean:.6g}"],
        ["rho (variance factor per generation)", f"{theory.rho:.6g}"],
        [
            f"predicted variance after {generations} generation(s)",
            f"{theory.variance_after(generations):.6g}",
        ],
        ["delta = E(u^2), u = lam(1-lam) (shape distortion)", f"{theory.delta:.6g}"],
        ["kappa = E(max(lam, 1-lam))", f"{theory.kappa:.6g}"],
        ["novelty = E((1-w)^2), w = max(lam, 1-lam)", f"{theory.novelty:.6g}"],
    ]
    _print_table(f"{options.method.value} weights: {distribution.label()}", ["", ""], rows)


def _print_notes(lines: list[str]) -> None:
    """Plain lines on stdout, wrapped (indent kept) on a terminal, whole when piped."""
    from mixsynth.report import print_lines, wrap

    console = _stdout_console()
    width = console.width if console.is_terminal else None
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        print_lines(console, wrap(line.strip(), width, indent))


def _print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    """A titled table on stdout, whole: folded to fit a terminal, unlimited when piped."""
    from mixsynth.report import print_lines, text_table, wrap

    console = _stdout_console()
    width = console.width if console.is_terminal else None
    print_lines(console, wrap(title, width), style="bold")
    print_lines(console, text_table(header, rows, width))


@app.command()
def inspect(
    input: Annotated[
        str, typer.Argument(help="Table to inspect (.csv or .parquet), or - for stdin.")
    ],
    input_format: InputFormatOption = None,
    encoding: EncodingOption = "utf-8",
    categorical: CategoricalOption = None,
    metadata: Annotated[
        str | None,
        typer.Option(
            "--metadata",
            help="Write the inferred column semantics to this JSON file, to edit and "
            "give to generate/compare --metadata.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing --metadata file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show what each column means to mixsynth, why, and what generate does with it.

    Example: mixsynth inspect sample_data/customers.csv --metadata meta.json
    """
    from mixsynth.io import arrow_to_frame, check_output, read_arrow
    from mixsynth.semantics.inference import suggest_by
    from mixsynth.synth import Reference, SynthesisOptions

    _require_stdout()
    if metadata is not None:
        check_output(metadata, force, (input,))
    arrow = read_arrow(input, input_format, encoding).table
    reference = Reference.of(arrow, SynthesisOptions(categorical=tuple(categorical or ())))
    frame = arrow_to_frame(arrow)
    rows = [
        {
            "name": str(spec.name),
            "type": reference.semantics[str(spec.name)].sdtype.value,
            "pii": reference.semantics[str(spec.name)].pii,
            "synthesis": reference.semantics[str(spec.name)].treatment(),
            "kind": spec.kind.value,
            "dtype": str(frame[spec.name].dtype),
            "storage": spec.dtype,
            "missing": spec.missing,
            "distinct": _distinct(frame[spec.name]),
            "reason": reference.semantics[str(spec.name)].reason,
        }
        for spec in reference.schema
    ]
    suggestions = suggest_by(frame, reference.semantics)
    if metadata is not None:
        from mixsynth.semantics.metadata import save_metadata

        stem = "stdin" if input == STDIO else Path(input).stem
        save_metadata(reference.semantics, metadata, stem)
    if as_json:
        document = {"rows": len(frame), "columns": rows, "suggestions": suggestions}
        typer.echo(json.dumps(document, indent=2))
        return
    shown = ("name", "type", "synthesis", "storage", "missing", "distinct")
    # Names and text from the data are escaped, as in error messages: no terminal
    # escape code in them acts.
    _print_table(
        one_line(f"{input}: {len(frame)} rows x {len(rows)} columns"),
        list(shown),
        [
            [
                (f"{row['type']} ({row['pii']})" if row["pii"] else row["type"])
                if key == "type"
                else one_line(str(row[key]))
                for key in shown
            ]
            for row in rows
        ],
    )
    notes = ["Why:"] + [one_line(f"  {row['name']}: {row['reason']}") for row in rows]
    notes += [
        f"Suggestion: --by {hint['by']} (it explains {hint['eta_squared']:.0%} of the "
        f"variance of {hint['explains']}; {hint['groups']} groups of at least "
        f"{hint['smallest_group']} rows): mixing inside its groups keeps that link."
        for hint in suggestions
    ]
    _print_notes(notes)


@app.command()
def compare(
    real: Annotated[str, typer.Argument(help="Real table (.csv or .parquet), or - for stdin.")],
    synthetic: Annotated[
        str, typer.Argument(help="Synthetic table (.csv or .parquet), or - for stdin.")
    ],
    target: Annotated[
        str | None,
        typer.Option(help="Column to predict: utility of a model trained on synthetic rows."),
    ] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write every figure as JSON here (- = stdout).")
    ] = None,
    markdown_path: Annotated[
        str | None, typer.Option("--markdown", help="Write Markdown tables here (- = stdout).")
    ] = None,
    html_path: Annotated[
        str | None,
        typer.Option("--html", help="Write one self-contained HTML file with plots here."),
    ] = None,
    sample_rows: Annotated[
        int | None,
        typer.Option(
            help="Rows drawn (with --seed) for the costly figures: distance to closest "
            "record and utility. Default 10000."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed of the subsample and the utility models.")
    ] = 0,
    input_format: InputFormatOption = None,
    encoding: EncodingOption = "utf-8",
    categorical: Annotated[
        list[str] | None,
        typer.Option(
            "--categorical",
            help="Compare this column as categories (frequencies), not as numbers, e.g. "
            "integer codes. Repeatable.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="TOML file of thresholds ([thresholds] name = limit); options below win."
        ),
    ] = None,
    max_variance_drift: Annotated[
        float | None,
        typer.Option(help="Fail if a numeric column's variance ratio is outside 1 ± X."),
    ] = None,
    min_column_shapes: Annotated[
        float | None, typer.Option(help="Fail if the column shapes score is below X.")
    ] = None,
    min_overall_score: Annotated[
        float | None, typer.Option(help="Fail if the overall quality score is below X.")
    ] = None,
    min_pair_trends: Annotated[
        float | None, typer.Option(help="Fail if the column pair trends score is below X.")
    ] = None,
    max_correlation_diff: Annotated[
        float | None,
        typer.Option(help="Fail if a pair's correlation differs by more than X."),
    ] = None,
    max_exact_copy_share: Annotated[
        float | None,
        typer.Option(help="Fail if more than this share of synthetic rows copy a real row."),
    ] = None,
    min_dcr_ratio: Annotated[
        float | None,
        typer.Option(
            help="Fail if the synthetic rows' 5th-percentile distance to the closest real "
            "row is below X times the real holdout rows' (near-copies)."
        ),
    ] = None,
    min_utility_ratio: Annotated[
        float | None,
        typer.Option(
            help="Fail if a model trained on synthetic rows scores below X times one "
            "trained on real rows (needs --target)."
        ),
    ] = None,
    max_unique_value_leak: Annotated[
        float | None,
        typer.Option(
            help="Fail if, in a column that is not mixed, more than this share of "
            "synthetic rows carry a value that occurs once in the real table.",
        ),
    ] = None,
    metadata: MetadataOption = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing report files.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary on the terminal; exit status only.")
    ] = False,
    engine: EngineOption = Engine.MEMORY,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    memory_limit: MemoryLimitOption = None,
    dashboard: DashboardOption = False,
) -> None:
    """Compare a real and a synthetic table: a verdict, then shapes, pairs, privacy, utility.

    Every report opens with pass / warn / fail per area and the rule that decided it
    (default rules: docs/report.md). Exit status 1 when a threshold you set (an option
    below or --config) is broken, with one line each on stderr.

    Example: mixsynth compare real.csv synth.csv --html report.html --min-overall-score 0.8
    """
    from mixsynth.io import check_output, read_table
    from mixsynth.metrics import compare_tables
    from mixsynth.outputs import check_distinct
    from mixsynth.provenance import provenance
    from mixsynth.report import check_report_kind, render_terminal, write_report
    from mixsynth.verdict import broken_user_limits, judge, load_config, thresholds_from

    outputs = {"json": json_path, "markdown": markdown_path, "html": html_path}
    to_stdout = [f"--{kind}" for kind, path in outputs.items() if path == STDIO]
    if len(to_stdout) > 1:
        raise MixsynthError(f"{' and '.join(to_stdout)} both ask for stdout", "give one a file")
    if to_stdout or not quiet:
        _require_stdout()
    check_distinct(
        [(f"--{kind}", path) for kind, path in outputs.items() if path is not None],
        (real, synthetic),
    )
    if real == STDIO and synthetic == STDIO:
        raise MixsynthError("only one of REAL and SYNTH can be - (stdin)")
    thresholds = thresholds_from(
        load_config(config) if config is not None else None,
        {
            "max_variance_drift": max_variance_drift,
            "min_column_shapes": min_column_shapes,
            "min_overall_score": min_overall_score,
            "min_pair_trends": min_pair_trends,
            "max_correlation_diff": max_correlation_diff,
            "max_exact_copy_share": max_exact_copy_share,
            "min_dcr_ratio": min_dcr_ratio,
            "max_unique_value_leak": max_unique_value_leak,
            "min_utility_ratio": min_utility_ratio,
        },
    )
    for kind, path in outputs.items():
        if path is not None:
            check_report_kind(path, kind)
            check_output(path, force, (real, synthetic))
    options: dict[str, Any] = {
        "target": target,
        "seed": seed,
        "categorical": categorical or (),
        "metadata": read_metadata_option(metadata),
    }
    if sample_rows is not None:
        options["sample_rows"] = sample_rows
    settings = DaskSettings(scheduler, workers, memory_limit, dashboard)
    frames = None
    if engine is Engine.DASK:
        report = _compare_dask(settings, quiet, real, synthetic, input_format, encoding, options)
    else:
        _refuse_dask_only(
            {"--scheduler": scheduler is not None, "--workers": workers is not None}
            | {"--memory-limit": memory_limit is not None, "--dashboard": dashboard}
        )
        frames = (
            read_table(real, input_format, encoding).frame,
            read_table(synthetic, input_format, encoding).frame,
        )
        report = compare_tables(*frames, **options)
    report = judge(report, thresholds) | {
        "provenance": provenance({"real": real, "synthetic": synthetic}, report["options"])
    }
    title = f"mixsynth compare: {real} vs {synthetic}"
    for kind, path in outputs.items():
        if path is not None:
            write_report(report, path, kind, title, frames)
    if not quiet and not to_stdout:
        render_terminal(report, _stdout_console(), title)
    broken = broken_user_limits(report)
    for check in broken:
        _say(f"Threshold broken: {check['message']} ({check['source']})")
    if broken:
        raise typer.Exit(1)


@app.command()
def plot(
    real: Annotated[str, typer.Argument(help="Real table (.csv or .parquet), or - for stdin.")],
    synthetic: Annotated[
        str, typer.Argument(help="Synthetic table (.csv or .parquet), or - for stdin.")
    ],
    column: Annotated[str, typer.Option("--column", "-c", help="The column to plot.")],
    output: Annotated[str, typer.Option("--output", "-o", help="PNG file to write.")],
    input_format: InputFormatOption = None,
    encoding: EncodingOption = "utf-8",
    categorical: Annotated[
        list[str] | None,
        typer.Option("--categorical", help="Plot this column as categories. Repeatable."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing PNG.")] = False,
) -> None:
    """Plot one column, real against synthetic, as a PNG (as in the HTML report).

    Example: mixsynth plot real.csv synth.csv --column body_mass_g -o body_mass_g.png
    """
    from mixsynth.io import atomic_path, check_output, read_table
    from mixsynth.plots import plot_column

    if Path(output).suffix.lower() != ".png":
        raise MixsynthError(f"-o {output!r} must name a .png file", "e.g. -o column.png")
    if real == STDIO and synthetic == STDIO:
        raise MixsynthError("only one of REAL and SYNTH can be - (stdin)")
    check_output(output, force, (real, synthetic))
    png = plot_column(
        read_table(real, input_format, encoding).frame,
        read_table(synthetic, input_format, encoding).frame,
        column,
        categorical or (),
    )
    with atomic_path(output) as temporary:
        Path(temporary).write_bytes(png)


def _distinct(series: Any) -> int:
    """Distinct non-missing values; lists and structs (from Parquet) counted by their text."""
    try:
        return int(series.nunique(dropna=True))
    except TypeError:  # unhashable values
        return int(series.dropna().map(repr).nunique())


def _occupy_closed_descriptors() -> None:
    """Open /dev/null on stdin, stdout or stderr if the shell closed them (``<&-``).

    Python then sets ``sys.stdin`` (...) to None, which mixsynth checks where it uses
    them; the descriptor itself must still be taken, or the next file opened would get
    its number and anything written to "stderr" by a library would land in it.
    """
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            with suppress(OSError):
                opened = os.open(os.devnull, os.O_RDWR)
                if opened != descriptor:
                    os.dup2(opened, descriptor)
                    os.close(opened)


def main() -> None:
    # Arrow allocates with the C library's malloc, so the memory its readers free is
    # reused by numpy's arrays instead of being held in a pool of its own: measured on
    # 1M-row tables, less peak memory and less time (docs/benchmarks.md).
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    _occupy_closed_descriptors()
    # SIGTERM (e.g. from `timeout` or a CI runner) stops a run as Ctrl-C does: temporary
    # files removed, previous files intact, one line saying how far it got, status 130.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    app()
