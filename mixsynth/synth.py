r"""The library's entry point for synthesis: options, the reference, one generation
and the generations loop. The code lives in :mod:`mixsynth.engine` (kernel and
pairing, reference, the in-memory driver, moment matching, kept associations); this
module names what callers use, so that ``from mixsynth.synth import ...`` stays stable.

One synthetic row is

.. math:: \tilde x = \lambda x_i + (1 - \lambda) x_j = x_o + w (x_d - x_o),

with one weight :math:`\lambda` per row shared by every mixed column,
:math:`w = \max(\lambda, 1 - \lambda)`, :math:`d` the dominant donor and :math:`o`
the other one (:mod:`mixsynth.engine.kernel`).
"""

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.engine.kernel import (
    KERNEL_BLOCK_ROWS,
    ObservedRows,
    Pairs,
    allocate_rows,
    balanced_anchors,
    dominant_weight,
    draw_pairs,
    mixup_kernel,
    repair_missing_partners,
)
from mixsynth.engine.memory import (
    MATCH_ROUNDS,
    SLICE_ROWS,
    GenerationStream,
    generation_rngs,
    run_generations,
    synthesize,
)
from mixsynth.engine.options import Generation, SynthesisOptions
from mixsynth.engine.reference import Reference, table_semantics, time_grid

__all__ = [
    "KERNEL_BLOCK_ROWS",
    "MATCH_ROUNDS",
    "SLICE_ROWS",
    "Bounds",
    "Generation",
    "GenerationStream",
    "Method",
    "ObservedRows",
    "Pairing",
    "Pairs",
    "Reference",
    "SynthesisOptions",
    "allocate_rows",
    "balanced_anchors",
    "dominant_weight",
    "draw_pairs",
    "generation_rngs",
    "mixup_kernel",
    "repair_missing_partners",
    "run_generations",
    "synthesize",
    "table_semantics",
    "time_grid",
]
