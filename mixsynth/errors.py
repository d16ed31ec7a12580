"""The one exception type that carries a user-facing message."""

from __future__ import annotations


class MixsynthError(Exception):
    """A problem with the user's input or options: what is wrong and how to fix it.

    The CLI prints it as one line on stderr and exits with status 2; library users
    catch it like any exception.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class MixsynthWarning(UserWarning):
    """Something the user should know about a run that still succeeded."""
