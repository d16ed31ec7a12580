"""``python -m mixsynth`` and the ``mixsynth`` command.

``mixsynth --version`` alone is answered here, before the command line is imported:
its commands' options are declared by the engine, so building them imports Typer,
numpy and pyarrow (0.4 s of CPU for one line that scripts may ask often).
"""

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from mixsynth import __version__

        print(f"mixsynth {__version__}")
        return
    from mixsynth.cli import main as command_line

    command_line()


if __name__ == "__main__":
    main()
