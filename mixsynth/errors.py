"""The one exception type that carries a user-facing message."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


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
