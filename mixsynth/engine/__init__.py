r"""The synthesis engine: weights, pairs, the mixup kernel and the drivers that run it.

One synthetic row is

.. math:: \tilde x = \lambda x_i + (1 - \lambda) x_j = x_o + w (x_d - x_o),

with one weight :math:`\lambda` per row shared by every mixed column,
:math:`w = \max(\lambda, 1 - \lambda)`, :math:`d` the dominant donor and :math:`o`
the other one.

- :mod:`~mixsynth.engine.weights`: weight distributions (vanilla Beta, EpBeta, the solver);
- :mod:`~mixsynth.engine.options`: what decides a synthesis, what a generation is;
  :mod:`~mixsynth.engine.given`: options as users give them (signatures, checked values);
- :mod:`~mixsynth.engine.kernel`: the mixup kernel and the pairing schemes;
- :mod:`~mixsynth.engine.reference`: what every generation is held to (the input's);
- :mod:`~mixsynth.engine.memory`: the in-memory engine, slice by slice, and the
  generations loop;
- :mod:`~mixsynth.engine.moments`, :mod:`~mixsynth.engine.shapes` and
  :mod:`~mixsynth.engine.associations`: structure kept over generations;
- :mod:`~mixsynth.engine.conditions` and :mod:`~mixsynth.engine.balance`: rows that
  match conditions, classes balanced;
- :mod:`mixsynth.engine.dask`: the Dask engine (imported only by ``--engine dask``), the
  same per-table code on each partition of a table too large for one machine.
"""

from __future__ import annotations

from typing import Any

#: Public name -> module that defines it, imported on first use: importing one engine
#: module (as the CLI does at start-up) does not import them all.
_LAZY = {
    "Condition": "mixsynth.engine.conditions",
    "Generation": "mixsynth.engine.options",
    "GenerationStream": "mixsynth.engine.memory",
    "Reference": "mixsynth.engine.reference",
    "SynthesisOptions": "mixsynth.engine.options",
    "WeightDistribution": "mixsynth.engine.weights",
    "parse_weights": "mixsynth.engine.weights",
    "run_generations": "mixsynth.engine.memory",
    "solve_epbeta": "mixsynth.engine.weights",
    "synthesis_options": "mixsynth.engine.given",
    "synthesize": "mixsynth.engine.memory",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mixsynth.engine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
