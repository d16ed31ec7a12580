"""Rows held out of a table before synthesis: a seeded split, the same for Arrow tables
(``generate --holdout``) and DataFrames (:func:`mixsynth.metrics.split_holdout`)."""

from __future__ import annotations

import numpy as np

from mixsynth.errors import InputError, OptionError


def holdout_rows(rows: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the kept and of the held-out rows, each in the table's order:
    ``round(rows * share)`` rows held out, chosen by a permutation drawn with ``seed``."""
    if not 0 < share < 1:
        raise OptionError(f"the holdout share must be between 0 and 1, got {share}")
    held = round(rows * share)
    if held < 1 or held >= rows:
        raise InputError(
            f"a holdout share of {share} of {rows} rows leaves one side empty",
            "give a table with more rows",
        )
    order = np.random.default_rng(seed).permutation(rows)
    return np.sort(order[held:]), np.sort(order[:held])
