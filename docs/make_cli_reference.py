"""Write docs/cli.md from the commands' own --help (run: python docs/make_cli_reference.py).

tests/test_docs.py checks that the file is what this script writes, so the reference
never drifts from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

from mixsynth.cli import app

TARGET = Path(__file__).resolve().parent / "cli.md"
INTRO = """# Command-line reference

Generated from each command's `--help` by `python docs/make_cli_reference.py`; a test
(`tests/docs/test_docs.py`) fails when it differs from the code. What the exit statuses
mean: [formats and safety](safety.md#exit-statuses).
"""


def commands() -> list[str]:
    """The subcommands, in the order --help lists them."""
    import typer

    return list(typer.main.get_command(app).commands)


def help_text(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], terminal_width=88)
    if result.exit_code != 0:
        raise RuntimeError(f"mixsynth {' '.join(args)} --help failed: {result.output}")
    return result.stdout.rstrip() + "\n"


def reference() -> str:
    parts = [INTRO]
    for args in [(), *((name,) for name in commands())]:
        title = " ".join(("mixsynth", *args))
        parts.append(f"## `{title}`\n\n```text\n{help_text(*args)}```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    TARGET.write_text(reference(), encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
