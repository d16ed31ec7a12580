"""Figures against real rows the synthesizer never saw: a seeded split before
synthesis, correlation and association shifts, utility and distance to the closest
record against the holdout (the structure experiment, docs/structure.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mixsynth.errors import OptionError, column_hint
from mixsynth.io.split import holdout_rows
from mixsynth.metrics.contingency import correlation_ratio
from mixsynth.metrics.core import (
    DEFAULT_SAMPLE_ROWS,
    Sample,
    clean,
    hashable,
    numeric_values,
    ratio,
    shared_codes,
)
from mixsynth.metrics.pairs import correlation_matrix
from mixsynth.metrics.privacy import dcr_row_limit, holdout_columns, privacy
from mixsynth.metrics.utility import utility
from mixsynth.semantics.types import TableMetadata


def split_holdout(
    frame: pd.DataFrame, holdout_share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded random split of the rows into (train, holdout), each in the table's order.

    Synthesize from ``train`` only: then ``holdout`` rows are real rows the synthesizer
    never saw, the fair test set of utility and the baseline of nearest-record distances
    (:func:`holdout_figures`). The same rows as ``generate --holdout SHARE --seed SEED``.
    """
    train, holdout = holdout_rows(len(frame), holdout_share, seed)
    return frame.iloc[train].reset_index(drop=True), frame.iloc[holdout].reset_index(drop=True)


def correlation_shift(real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str]) -> float:
    """Largest |Δ Pearson correlation| over the pairs of the named numeric columns
    (pairwise-complete rows); NaN with fewer than two columns or no defined pair."""
    if len(columns) < 2:
        return math.nan
    matrices = [
        correlation_matrix(np.column_stack([numeric_values(frame[c]) for c in columns]))
        for frame in (real, synthetic)
    ]
    shifts = np.abs(matrices[1] - matrices[0])[np.triu_indices(len(columns), k=1)]
    shifts = shifts[np.isfinite(shifts)]
    return float(shifts.max()) if shifts.size else math.nan


def association_shift(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    numerical: Sequence[str],
    categorical: Sequence[str],
) -> float:
    """Mean |Δη| (correlation ratio, not η²) over every numerical x categorical pair.

    Copying the categories from the dominant donor shrinks each such association by
    kappa per generation (docs/theory.md, "Structure over generations"); this is the figure that shows it. Pairs
    whose η is undefined on either side are skipped; NaN when none is left.
    """
    shifts = []
    for name in categorical:
        codes = shared_codes(hashable(real[name]), hashable(synthetic[name]))
        for column in numerical:
            real_eta = correlation_ratio(numeric_values(real[column]), codes[0])
            synthetic_eta = correlation_ratio(numeric_values(synthetic[column]), codes[1])
            if math.isfinite(real_eta) and math.isfinite(synthetic_eta):
                shifts.append(abs(synthetic_eta - real_eta))
    return float(np.mean(shifts)) if shifts else math.nan


def holdout_figures(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    target: str | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    seed: int = 0,
    categorical: Sequence[str] = (),
    metadata: TableMetadata | None = None,
    real_scores: dict | None = None,
) -> dict:
    """Utility and nearest-record figures of a table synthesized from ``train`` only.

    Utility: a model trained on synthetic rows and one trained on ``train`` rows, both
    tested on ``holdout`` (:func:`utility`). Privacy: distances to the closest ``train``
    row of synthetic rows and, as the baseline, of ``holdout`` rows (:func:`privacy`);
    ``dcr_ratio`` is the ratio of their medians (1: as far from the train rows as
    unseen real rows are, 0: copies); ``dcr_share`` (:func:`dcr_share`); exact copies
    against the train rows. Up to ``sample_rows`` rows per side; made-up columns left
    out, as in :func:`compare_tables`. ``real_scores``: the ``utility["real"]`` of an
    earlier call with the same train, holdout and seed, so that generation after
    generation only the synthetic model is fitted.
    """
    with np.errstate(all="ignore"):
        columns = holdout_columns(train, holdout, synthetic, categorical, metadata)
        if target is not None and target not in {c.name for c in columns}:
            raise OptionError(
                f"--target column {target!r} is not compared",
                column_hint(target, [c.name for c in columns]),
            )
        sizes = len(train), len(holdout), len(synthetic)
        dcr_rows = min(sample_rows, dcr_row_limit(columns, 2 * sample_rows) // 2)
        found = privacy(columns, Sample.split(*sizes, dcr_rows, seed), len(train))
        found["dcr_ratio"] = ratio(found["dcr_median"], found["holdout_dcr_median"])
        found["sample_rows_limit"] = 2 * dcr_rows
        found["true_holdout"] = True
        fitted = None
        if target is not None:
            sample = Sample.split(*sizes, sample_rows, seed)
            fitted = utility(columns, target, sample, seed, real_scores)
    return clean({"privacy": found, "utility": fitted})
