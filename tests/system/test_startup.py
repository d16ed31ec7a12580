"""Start-up: what a command imports before it does any work. ``mixsynth --version`` is
answered without Typer, numpy or pyarrow (a script may ask it often)."""

from __future__ import annotations

import subprocess
import sys

PROBE = (
    "import sys; sys.argv = ['mixsynth', {arguments}]; from mixsynth.__main__ import main; main(); "
    "print([m for m in ('typer', 'numpy', 'pyarrow', 'pandas') if m in sys.modules])"
)


def imported_by(*arguments: str) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(arguments=", ".join(map(repr, arguments)))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout, done.stderr


def test_version_imports_nothing_heavy() -> None:
    from mixsynth import __version__

    out, err = imported_by("--version")
    assert out.splitlines() == [f"mixsynth {__version__}", "[]"], (out, err)
