"""Nearest records by brute force: the oracle of the distance-to-closest-record figures.

The distance as docs/report.md defines it, every pair of rows computed with numpy: the
mean over columns of |a - b| / (range of the real column) for numbers, 0 (equal) or 1
for categories, a missing value at 0 from a missing value and 1 from any value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def brute_force_dcr(
    real: pd.DataFrame,
    queries: pd.DataFrame,
    reference: pd.DataFrame,
    codes: tuple[str, ...] = (),
) -> np.ndarray:
    """Distance from each query row to its closest reference row, every pair computed.

    ``codes``: float columns that mean categories (integer codes, which generate copies
    and compare compares as categories): equal or not, like text."""
    from scipy.spatial.distance import cdist

    total = np.zeros((len(queries), len(reference)))
    complete_a, complete_b = [], []  # numbers without missing values: one cdist call
    for name in real.columns:
        a, b = queries[name].to_numpy(), reference[name].to_numpy()
        if real[name].dtype.kind == "f" and name not in codes:
            span = np.nanmax(real[name]) - np.nanmin(real[name])
            missing_a, missing_b = np.isnan(a)[:, None], np.isnan(b)[None, :]
            if not (missing_a.any() or missing_b.any()):
                complete_a.append(a / span)
                complete_b.append(b / span)
                continue
            part = np.abs(a[:, None] - b[None, :]) / span
            both, one = missing_a & missing_b, missing_a | missing_b
            total += np.where(both, 0.0, np.where(one, 1.0, part))
        else:  # equal values (missing equal to missing), compared as integer codes
            codes, _ = pd.factorize(np.concatenate([a, b]), use_na_sentinel=False)
            total += codes[: len(a), None] != codes[None, len(a) :]
    if complete_a:
        total += cdist(np.column_stack(complete_a), np.column_stack(complete_b), "cityblock")
    return (total / real.shape[1]).min(axis=1)
