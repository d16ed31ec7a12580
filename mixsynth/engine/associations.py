"""Keeping numeric-category associations over generations (``--keep-associations``).

Copying a category from the dominant donor while its numbers are mixed with a partner
from another category shrinks every numeric-category association by kappa =
E[max(lam, 1 - lam)] per generation (docs/theory.md, "Structure over generations"): after 10 generations of the
default weights, eta keeps about kappa^10 of itself. Drawing the partner among the rows
that share the anchor's category keeps it (kappa = 1 for that category), and by the
law of total covariance every within-group mean and covariance, hence the whole
table's, are kept as by ``--by`` (the finite-sample target is solved per group).

Which categories: those that explain a numerical column (eta^2 >= ASSOCIATION_ETA2 on
the original input), strongest first, added while the rows in groups too small to mix
in (under ASSOCIATION_MIN_GROUP rows) stay under ASSOCIATION_MAX_POOLED of the table;
at most ASSOCIATION_MAX_COLUMNS columns. Rows of small groups mix with each other (one
pooled group inside their ``--by`` group), never alone: tiny groups would put
synthetic rows onto real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.columns import columns_of, first_appearance_codes, group_codes
from mixsynth.semantics.inference import eta_squared

if TYPE_CHECKING:
    from mixsynth.columns.kinds import DataTable

#: A category is grouped by when it explains this share of a numerical column's variance.
ASSOCIATION_ETA2 = 0.05
#: Groups with fewer rows are pooled (mixed together) instead of mixed alone.
ASSOCIATION_MIN_GROUP = 20
#: At most this share of the rows may sit in pooled groups once a column is added.
ASSOCIATION_MAX_POOLED = 0.2
#: Columns grouped by at most (each one splits every group further).
ASSOCIATION_MAX_COLUMNS = 3
#: Columns looked at on each side (the work grows with their product).
ASSOCIATION_MAX_CANDIDATES = 50


def association_columns(
    table: DataTable, categorical: Sequence[Any], numeric: dict[Any, np.ndarray]
) -> tuple[Any, ...]:
    """The ``categorical`` columns to mix inside, strongest association first.

    ``numeric`` holds the numerical columns as float64 (NaN where missing or on a
    point mass); the first ASSOCIATION_MAX_CANDIDATES of each side are looked at."""
    numeric_values = list(numeric.values())[:ASSOCIATION_MAX_CANDIDATES]
    scored = []
    for name in list(categorical)[:ASSOCIATION_MAX_CANDIDATES]:
        codes = group_codes(table, [name])
        etas = [eta_squared(values, codes) for values in numeric_values]
        best = max((e for e in etas if np.isfinite(e)), default=0.0)
        if best >= ASSOCIATION_ETA2:
            scored.append((best, name))
    chosen: list[Any] = []
    rows = columns_of(table).rows
    for _, name in sorted(scored, key=lambda s: -s[0]):
        trial = [*chosen, name]
        sizes = np.bincount(group_codes(table, trial))
        if sizes[sizes < ASSOCIATION_MIN_GROUP].sum() <= ASSOCIATION_MAX_POOLED * rows:
            chosen = trial
        if len(chosen) == ASSOCIATION_MAX_COLUMNS:
            break
    return tuple(chosen)


def pooled_group_codes(table: DataTable, by: Sequence[str], within: Sequence[str]) -> np.ndarray:
    """Groups of ``by`` + ``within``, where combinations under ASSOCIATION_MIN_GROUP
    rows are pooled back into one group per ``by`` group."""
    fine = group_codes(table, [*by, *within])
    coarse = group_codes(table, by)
    small = np.bincount(fine)[fine] < ASSOCIATION_MIN_GROUP
    # Large combinations keep their code; small ones take their --by group's, offset.
    key = np.where(small, fine.max() + 1 + coarse, fine)
    return first_appearance_codes(key)
