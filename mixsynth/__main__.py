"""``python -m mixsynth``: the same as the ``mixsynth`` command."""

from mixsynth.cli import main

main()
