"""One library job per command: what ``generate`` and ``compare`` do, as named steps,
with no terminal in sight (the CLI parses options and prints; the API calls the same
engine)."""

from __future__ import annotations

from typing import Any

#: Public name -> module that defines it, imported on first use (``mixsynth compare``
#: does not import the generate job).
_LAZY = {
    "CompareJob": "mixsynth.jobs.compare",
    "DaskSettings": "mixsynth.jobs.cluster",
    "GenerateJob": "mixsynth.jobs.generate",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mixsynth.jobs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
