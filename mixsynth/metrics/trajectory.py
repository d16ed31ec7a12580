"""Figures of every generation of a run, side by side (the report's trajectory)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from mixsynth.metrics.compare import compare_tables, generation_entry
from mixsynth.metrics.core import DEFAULT_SAMPLE_ROWS, clean

if TYPE_CHECKING:
    from mixsynth.engine.options import Generation


class GenerationTrajectory:
    """The report of ``generate --report``: every generation against the REAL input.

    ``add`` measures one generation as it is made; the predicted variance ratio is the
    product of the generations' expected sample-variance factors (rho^g, with the
    finite-sample terms). A resumed run starts after ``start`` generations it did not
    see, assumed made with the same factor as its first new one. ``holdout``: real rows
    the run never saw, the baseline of privacy (``generate --holdout``).
    """

    def __init__(
        self,
        real: pd.DataFrame,
        *,
        start: int = 0,
        categorical: Sequence[str] = (),
        sample_rows: int = DEFAULT_SAMPLE_ROWS,
        seed: int = 0,
        holdout: pd.DataFrame | None = None,
        rules: Sequence[Any] = (),
    ) -> None:
        self.real = real
        self.start = start
        self.options: dict[str, Any] = {
            "categorical": categorical,
            "sample_rows": sample_rows,
            "seed": seed,
            "holdout": holdout,
            # The rules the run kept (found on the input once), not found again each time.
            "rules": tuple(rules),
            "detect_rules": False,
        }
        self.entries: list[dict] = []
        self.predicted = 1.0
        self.weights: Any = None
        self.last: pd.DataFrame | None = None

    def add(self, generation: Generation) -> dict:
        factor = generation.expected_variance_factor()
        if not self.entries:
            self.predicted = factor**self.start
        self.predicted *= factor
        self.weights, self.last = generation.weights, generation.frame
        entry = generation_entry(
            self.real,
            generation.frame,
            generation.index,
            self.predicted,
            out_of_range=generation.out_of_range,
            **self.options,
        )
        self.entries.append(entry)
        return entry

    def report(self, fallback: pd.DataFrame, run: dict) -> dict:
        """The full comparison of the last generation, the trajectory, the theory and
        the run's settings (``run``: e.g. seed, input, options; dataclasses welcome).
        ``fallback`` is compared when no generation was added (a finished resumed run)."""
        if self.entries:
            final = {
                k: v
                for k, v in self.entries[-1].items()
                if k not in ("generation", "predicted_variance_ratio")
            }
        else:  # a resumed run that had nothing left to do
            final = compare_tables(self.real, fallback, **self.options)
        weights = None
        if self.weights is not None:
            theory = self.weights.theory()
            weights = {
                "label": self.weights.label(),
                "mean": theory.mean,
                "rho": theory.rho,
                "delta": theory.delta,
                "kappa": theory.kappa,
                "novelty": theory.novelty,
                "support": [theory.lower, theory.upper],
            }
        options = final["options"] | run.pop("options", {})
        return clean(
            final | run | {"options": options, "weights": weights, "generations": self.entries}
        )


# ---------------------------------------------------------------------------
# Structure kept over generations: a holdout the synthesizer never saw, pair shifts
