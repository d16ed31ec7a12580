"""The Python API in the habits of its ecosystem: SDV's fit/sample and
imbalanced-learn's fit_resample.

The names are imported on first use, as the package's own (:mod:`mixsynth`): importing
one of its modules, ``mixsynth.api.synthesizer`` among them, runs this file, and the
over-sampler's scikit-learn took 1.2 s of every ``from mixsynth import
MixupSynthesizer``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mixsynth.api.multi_table import MultiTableMixupSynthesizer
    from mixsynth.api.oversampler import MixupOverSampler
    from mixsynth.api.synthesizer import MixupSynthesizer
    from mixsynth.engine.conditions import Condition

__all__ = ["Condition", "MixupOverSampler", "MixupSynthesizer", "MultiTableMixupSynthesizer"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        import mixsynth

        return getattr(mixsynth, name)
    raise AttributeError(f"module 'mixsynth.api' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
