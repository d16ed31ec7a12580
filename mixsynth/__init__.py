"""mixsynth: tabular data synthesis with vanilla and variance-preserving mixup.

``from mixsynth import MixupSynthesizer, MixupOverSampler, MultiTableMixupSynthesizer,
Condition, __version__``.
The names are imported on first use, so that ``import mixsynth`` (and the CLI's
start-up) pays for neither pandas nor scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mixsynth.api.multi_table import MultiTableMixupSynthesizer
    from mixsynth.api.oversampler import MixupOverSampler
    from mixsynth.api.synthesizer import MixupSynthesizer
    from mixsynth.engine.conditions import Condition
    from mixsynth.errors import MixsynthError, MixsynthWarning

#: Public name -> module that defines it.
_LAZY = {
    "MixupSynthesizer": "mixsynth.api.synthesizer",
    "MixupOverSampler": "mixsynth.api.oversampler",
    "MultiTableMixupSynthesizer": "mixsynth.api.multi_table",
    "Condition": "mixsynth.engine.conditions",
    "MixsynthError": "mixsynth.errors",
    "MixsynthWarning": "mixsynth.errors",
}

__all__ = [
    "Condition",
    "MixsynthError",
    "MixsynthWarning",
    "MixupOverSampler",
    "MixupSynthesizer",
    "MultiTableMixupSynthesizer",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("mixsynth")
        except PackageNotFoundError:  # run from a source tree that was never installed
            return "0+unknown"
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mixsynth' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])
