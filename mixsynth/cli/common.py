"""What the commands share: option types and parsing, progress bars, printing."""

from __future__ import annotations

import inspect
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from enum import Enum
from typing import Annotated, Any, TypeVar, get_args

import typer

from mixsynth.choices import Engine, TableFormat
from mixsynth.cli.app import stdout_console
from mixsynth.engine.declared import STORED
from mixsynth.engine.given import declared, given_default, synthesis_options
from mixsynth.engine.options import SynthesisOptions
from mixsynth.errors import MixsynthWarning, OptionError

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def quiet_warnings(quiet: bool):
    """With --quiet, drop mixsynth's warnings (MixsynthGroup prints the others' after)."""
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", MixsynthWarning)
        yield


def flag(name: str) -> Any:
    """Synthesis option ``name`` as a Typer parameter's annotation, from its declaration
    in :class:`~mixsynth.engine.options.SynthesisOptions`."""
    spec, _ = declared([name])[name]
    kind = spec.accepts if spec.flag_type is None else spec.flag_type
    choices = any(isinstance(t, type) and issubclass(t, Enum) for t in get_args(kind) or (kind,))
    return Annotated[kind, typer.Option(*spec.flags, help=spec.help, case_sensitive=not choices)]


def flag_default(name: str) -> Any:
    """The CLI's default of synthesis option ``name``, from its declaration."""
    spec, _ = declared([name])[name]
    return given_default(name) if spec.flag_default is STORED else spec.flag_default


def declared_flags(
    names: Sequence[str] | None = None, *, before: str, placed: Mapping[str, str] | None = None
) -> Callable[[F], F]:
    """Give a command the synthesis options ``names`` (default: all) as flags, each from
    its declaration. Typer reads the command's signature, so its ``**options`` is
    replaced there by the options, in declaration order, before its parameter ``before``
    (an option in ``placed`` goes before the parameter named there instead)."""
    chosen = list(declared(names))
    placed = placed or {}

    def decorate(command: F) -> F:
        flags = {
            name: inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=flag_default(name),
                annotation=flag(name),
            )
            for name in chosen
        }
        parameters = []
        for parameter in inspect.signature(command, eval_str=True).parameters.values():
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                continue
            parameters += [flags[n] for n in chosen if placed.get(n, before) == parameter.name]
            parameters.append(parameter)
        command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        return command

    return decorate


def options_from_flags(flags: Mapping[str, Any], **fixed: Any) -> SynthesisOptions:
    """Checked SynthesisOptions from the declared flags' values (``fixed``: options the
    command sets itself); the method follows ``--weights`` when it is not given."""
    specs = declared(flags)
    given = {
        name: value if specs[name][0].from_text is None else specs[name][0].from_text(value)
        for name, value in flags.items()
    }
    return synthesis_options(**given, **fixed)


CategoricalOption = flag("categorical")
MetadataOption = flag("metadata")


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


def parse_balance(text: str) -> tuple[str, str | float]:
    """'label' or 'label=minority' (or 'label=0.5', a ratio) as (column, strategy)."""
    column, _, strategy = text.rpartition("=") if "=" in text else (text, "", "auto")
    if not column:
        raise OptionError(f"cannot read --balance {text!r}", "give COLUMN or COLUMN=STRATEGY")
    try:
        return column, float(strategy)
    except ValueError:
        return column, strategy


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
