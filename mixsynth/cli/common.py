"""What the commands share: option types and parsing, progress bars, printing."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mixsynth.choices import (
    Bounds,
    Engine,
    Method,
    Pairing,
    TableFormat,
)
from mixsynth.cli.app import say, stdout_console
from mixsynth.engine.weights import (
    DEFAULT_EPS,
    SPEC_HELP,
)
from mixsynth.errors import MixsynthError, MixsynthWarning

if TYPE_CHECKING:
    from mixsynth.engine.options import SynthesisOptions


#: Exit status when the reader of stdout goes away (`| head`): 128 + SIGPIPE, what a


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
    """SynthesisOptions from CLI values (:func:`~mixsynth.engine.options.synthesis_options`,
    which the Python API uses too): the method follows ``--weights`` when not given.

    ``semantics`` are the column-semantics options (metadata, keep_pii, ...), as they are.
    """
    from mixsynth.engine.options import synthesis_options

    return synthesis_options(
        method=method,
        weights=weights or None,
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


RulesFileOption = Annotated[
    str | None,
    typer.Option(
        "--rules",
        help="Rules every synthetic row must keep, from this file: mixsynth's JSON or TOML, "
        "or SDV constraints (docs/rules.md). Constraints in the --metadata file count too.",
    ),
]
RuleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rule",
        help='A rule every synthetic row must keep, e.g. "start <= end", '
        '"total = subtotal + tax" or "unique: firm, year". Repeatable.',
    ),
]
DetectRulesOption = Annotated[
    bool,
    typer.Option(
        "--detect-rules/--no-detect-rules",
        help="Find the rules every real row holds (orders, sums, time indexes, date grids) "
        "and keep them too (docs/rules.md).",
    ),
]


def read_rules_options(
    path: str | None, texts: Sequence[str] | None, metadata: str | None
) -> tuple:
    """The declared rules: the --metadata file's SDV constraints, --rules, then --rule."""
    if path is None and not texts and metadata is None:
        return ()
    from mixsynth.rules import load_rules, parse_rule

    rules = []
    for file in (metadata, path):
        if file is not None:
            rules += load_rules(file)
    for text in texts or ():
        rules += parse_rule(text)
    return tuple(rules)


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
        from mixsynth.engine.dask.driver import check_cluster_options

        check_cluster_options(self.scheduler, self.workers, self.memory_limit, self.dashboard)

    @contextmanager
    def client(self):
        """A Dask client for the command; the dashboard's address said when asked."""
        from mixsynth.engine.dask.driver import dask_client

        with dask_client(
            self.scheduler, self.workers, self.memory_limit, dashboard=self.dashboard
        ) as client:
            if self.dashboard:
                say(f"dashboard: {client.dashboard_link}")
            yield client


def refuse_dask_only(given: dict[str, bool]) -> None:
    """Options of the Dask engine are refused without --engine dask (they would be ignored)."""
    for option, is_given in given.items():
        if is_given:
            raise MixsynthError(
                f"{option} needs --engine dask", "add --engine dask or leave it out"
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


def print_notes(lines: list[str]) -> None:
    """Plain lines on stdout, wrapped (indent kept) on a terminal, whole when piped."""
    from mixsynth.report import print_lines, wrap

    console = stdout_console()
    width = console.width if console.is_terminal else None
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        print_lines(console, wrap(line.strip(), width, indent))


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    """A titled table on stdout, whole: folded to fit a terminal, unlimited when piped."""
    from mixsynth.report import print_lines, text_table, wrap

    console = stdout_console()
    width = console.width if console.is_terminal else None
    print_lines(console, wrap(title, width), style="bold")
    print_lines(console, text_table(header, rows, width))


def distinct_count(series: Any) -> int:
    """Distinct non-missing values; lists and structs (from Parquet) counted by their text."""
    try:
        return int(series.nunique(dropna=True))
    except TypeError:  # unhashable values
        return int(series.dropna().map(repr).nunique())
