"""The ``mixsynth`` command line: a thin shell over the library.

The Typer app, its error handling and main(): failures map to exit statuses: 0
success, 1 a comparison threshold broken, 2 bad input or usage (one line on stderr,
no traceback), 130 interrupted, 141 stdout's reader went away (docs/safety.md).
"""

from __future__ import annotations

import io
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from contextlib import suppress
from typing import Annotated, Any, NoReturn, cast

import typer
from typer.core import TyperGroup

from mixsynth.errors import MixsynthError, MixsynthWarning, OutputError, one_line

#: Exit status when the reader of stdout goes away (`| head`): 128 + SIGPIPE, what a
#: shell reports for a tool killed by that signal; not 1 (a broken threshold) nor 2.
CLOSED_PIPE = 128 + 13


def say(line: str) -> None:
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
            say(
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

    # Click overloads main() on standalone_mode; this one always exits, whatever it is given.
    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
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
                say(f"Warning: {message}")
        sys.exit(code)

    def _run(self, args: Sequence[str] | None, prog_name: str | None, **extra: Any) -> Any:
        """The command's exit status, every failure turned into one line on stderr."""
        arguments = list(sys.argv[1:] if args is None else args)
        try:
            # A bare `mixsynth` shows the help, as --help does: no error.
            return super().main(
                arguments or ["--help"], prog_name or "mixsynth", standalone_mode=False, **extra
            )
        except MixsynthError as error:
            say(f"Error: {error}")
            return 2
        except typer.Abort:
            say("Aborted.")
            return 130
        except typer.TyperException as error:  # Click's usage errors
            message = error.format_message() if hasattr(error, "format_message") else str(error)
            command = getattr(getattr(error, "ctx", None), "command_path", "mixsynth")
            say(f"Error: {message} (see '{command} --help')")
            return getattr(error, "exit_code", 2)
        except BrokenPipeError:
            # The reader of stdout stopped early (e.g. `| head`): end quietly, as Python's
            # documentation advises, with stdout pointed at /dev/null so that the final
            # flush cannot fail again.
            _silence_stdout()
            return CLOSED_PIPE
        except MemoryError:
            say(f"Error: {OUT_OF_MEMORY}")
            return 2
        except (RuntimeError, ImportError) as error:
            # A thread that cannot start (no memory for its stack), or a library that
            # cannot be mapped into memory: out of memory too.
            if not any(s in str(error) for s in ("can't start new thread", "map segment")):
                raise
            say(f"Error: {OUT_OF_MEMORY}")
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


def stdout_console() -> Any:
    """A rich console on stdout that leaves a closed pipe to :class:`MixsynthGroup`
    (rich's own handling would exit with status 1, the status of a broken threshold)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    from mixsynth.report.terminal import usable

    return usable(PipeConsole())


def require_stdout() -> None:
    """Refuse, before any work, a command whose result goes to a closed stdout (``>&-``)."""
    if sys.stdout is None:
        raise OutputError(
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
            param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
            param.metavar = param.metavar or param.name.upper()
            # Shown as NAME in the usage line, not {NAME}.
            param.get_usage_pieces = lambda ctx, name=param.metavar: [name]  # type: ignore[method-assign, misc]
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
        from mixsynth.io.provenance import version

        typer.echo(f"mixsynth {version()}")
        raise typer.Exit()


app = typer.Typer(
    cls=MixsynthGroup,
    name="mixsynth",
    help="Synthesize tabular data with vanilla or variance-preserving mixup, "
    "over generations, and compare real and synthetic tables.",
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


def _escape_what_stdout_cannot_encode() -> None:
    """A stdout that is not UTF-8 (PYTHONIOENCODING=ascii, the POSIX locale) gets
    ``\\xf6`` for a character it cannot hold, instead of a traceback half-way through
    a table of column names."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(AttributeError, ValueError, OSError):  # not a TextIOWrapper, closed
            cast(io.TextIOWrapper, stream).reconfigure(errors="backslashreplace")


def main() -> None:
    _occupy_closed_descriptors()
    _escape_what_stdout_cannot_encode()
    # SIGTERM (e.g. from `timeout` or a CI runner) stops a run as Ctrl-C does: temporary
    # files removed, previous files intact, one line saying how far it got, status 130.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    app()
