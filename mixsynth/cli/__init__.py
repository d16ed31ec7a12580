"""The ``mixsynth`` command line: a thin shell over the library.

It parses options, calls the library jobs (:mod:`mixsynth.jobs`), and maps failures to exit
statuses: 0 success, 1 a comparison threshold broken, 2 bad input or usage (one line
on stderr, no traceback), 130 interrupted, 141 stdout's reader went away (docs/safety.md).

:mod:`~mixsynth.cli.app` holds the app and its error handling, :mod:`~mixsynth.cli.common`
what the commands share; each command has its module, imported here in the order
``mixsynth --help`` lists them.
"""

from mixsynth.cli import generate, weights, inspect, compare, plot  # noqa: F401, I001 (registers)
from mixsynth.cli.app import app, main

__all__ = ["app", "main"]
