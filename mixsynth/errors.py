"""The exceptions that carry a user-facing message: :class:`MixsynthError` and its family.

Every one says what is wrong and how to fix it; the CLI prints any of them as one line
on stderr and exits with status 2 (docs/safety.md). The subclasses say whose fault it
is, for a library user who wants to tell them apart: a bad option or parameter
(:class:`OptionError`) and bad input data (:class:`InputError`) are also ``ValueError``
s, as scikit-learn's own refusals are, so ``except ValueError`` around ``fit`` or
``fit_resample`` catches them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = [
    "ClusterError",
    "InputError",
    "LockError",
    "MixsynthError",
    "MixsynthWarning",
    "NotFittedError",
    "OptionError",
    "OutputError",
    "ResumeError",
    "RunInterrupted",
]


class MixsynthError(Exception):
    """A problem with the user's input or options: what is wrong and how to fix it.

    The CLI prints it as one line on stderr and exits with status 2; library users
    catch it like any exception.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self):
        # Kept whole when a Dask worker's error travels back to the client.
        return (type(self), (self.message, self.hint))

    def __str__(self) -> str:
        text = f"{self.message} ({self.hint})" if self.hint else self.message
        return one_line(text)


class OptionError(MixsynthError, ValueError):
    """An option or parameter with a value that cannot be used, or options that cannot
    be combined (``--rows 0``, ``MixupSynthesizer(method="x")``, a weight spec)."""


class InputError(MixsynthError, ValueError):
    """An input that cannot be synthesized or compared: a file that cannot be read as a
    table, a table with no rows, labels that do not fit, a metadata file that does not
    describe the table."""


class OutputError(MixsynthError):
    """An output that cannot be written: it exists (without ``--force``), is the input
    or another output, or its folder cannot be written."""


class LockError(OutputError):
    """An output that another mixsynth run is writing (or whose lock cannot be taken)."""


class ResumeError(MixsynthError):
    """A ``--resume`` that cannot continue the interrupted run: no record of it, or
    other options, input or seed than the run had."""


class ClusterError(MixsynthError):
    """The Dask cluster cannot be reached or started, or its workers died."""


class NotFittedError(MixsynthError, ValueError, AttributeError):
    """A synthesizer used before ``fit``; a ``ValueError`` and an ``AttributeError``,
    like scikit-learn's ``NotFittedError``."""


def one_line(text: str) -> str:
    """``text`` with control characters escaped, so a message is always one clean line.

    Messages quote file names, column names and rows from the user's data, which may
    hold newlines or terminal escape sequences.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def column_hint(name: str, names: Iterable[Any]) -> str:
    """'did you mean ...?' for a mistyped column (case or a typo), then the columns there are."""
    import difflib

    names = [str(n) for n in names]
    folded = {n.lower(): n for n in names}
    close = [folded[name.lower()]] if name.lower() in folded else []
    close = close or difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    listed = f"columns are: {', '.join(names)}"
    return f"did you mean {close[0]!r}? {listed}" if close else listed


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run, with what had been finished by then (the message)."""


class MixsynthWarning(UserWarning):
    """Something the user should know about a run that still succeeded."""


#: The current task's list of warnings, when one collects them (a Dask worker's task).
_collected: ContextVar[list[str] | None] = ContextVar("mixsynth_collected_warnings", default=None)


def warn(message: str, stacklevel: int = 1) -> None:
    """A :class:`MixsynthWarning`, or, inside :func:`collected_warnings`, a line on its list.

    Every mixsynth warning goes through here, so that a task run in a worker thread can
    keep its warnings without ``warnings.catch_warnings``, which swaps the process-wide
    filters and hooks and, with tasks on several threads, leaves another thread's in
    place (the CLI's warnings then never reached stderr). ``stacklevel`` counts from
    the caller, as for :func:`warnings.warn`.
    """
    collected = _collected.get()
    if collected is not None:
        collected.append(message)
    else:
        warnings.warn(message, MixsynthWarning, stacklevel=stacklevel + 1)


@contextmanager
def collected_warnings() -> Iterator[list[str]]:
    """Within it, this thread's (this context's) mixsynth warnings go to the list it
    gives instead of the warnings module: no other thread's are touched."""
    collected: list[str] = []
    token = _collected.set(collected)
    try:
        yield collected
    finally:
        _collected.reset(token)
