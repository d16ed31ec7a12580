"""Nearest records by brute force: the oracle of the distance-to-closest-record figures.

The distance as docs/report.md defines it, every pair of rows computed with numpy: the
mean over columns of |a - b| / (range of the real column) for numbers, 0 (equal) or 1
for categories, a missing value at 0 from a missing value and 1 from any value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def brute_force_dcr(
    real: pd.DataFrame, queries: pd.DataFrame, reference: pd.DataFrame
) -> np.ndarray:
    """Distance from each query row to its closest reference row, every pair computed."""
    total = np.zeros((len(queries), len(reference)))
    for name in real.columns:
        a, b = queries[name].to_numpy(), reference[name].to_numpy()
        if real[name].dtype.kind == "f":
            span = np.nanmax(real[name]) - np.nanmin(real[name])
            part = np.abs(a[:, None] - b[None, :]) / span
            missing_a, missing_b = np.isnan(a)[:, None], np.isnan(b)[None, :]
            part = np.where(missing_a & missing_b, 0.0, np.where(missing_a | missing_b, 1.0, part))
        else:
            a, b = np.where(pd.isna(a), "<NA>", a), np.where(pd.isna(b), "<NA>", b)
            part = (a[:, None] != b[None, :]).astype(float)
        total += part
    return (total / real.shape[1]).min(axis=1)
