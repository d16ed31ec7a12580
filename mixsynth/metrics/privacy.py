"""Privacy: distance to the closest real record against a holdout baseline, exact
copies, and real values of made-up columns that leak into the output."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixsynth.errors import InputError
from mixsynth.metrics.core import (
    DEFAULT_SAMPLE_ROWS,
    NUMERIC,
    Column,
    Sample,
    align,
    hashable,
    quietly,
)

if TYPE_CHECKING:
    from mixsynth.semantics.types import TableMetadata


@dataclass(frozen=True)
class Points:
    """Rows in the distance-to-closest-record space (see :func:`_dcr_space`)."""

    numeric: np.ndarray  #: two coordinates per numeric column
    codes: np.ndarray  #: one category code per categorical column

    def __getitem__(self, rows: Any) -> Points:
        return Points(self.numeric[rows], self.codes[rows])

    def __len__(self) -> int:
        return len(self.numeric)


def _dcr_space(
    columns: Sequence[Column], rows_real: np.ndarray, rows_synthetic: np.ndarray
) -> tuple[Points, Points]:
    """The chosen rows, encoded so that the row distance is cheap and exact.

    Numeric: |a - b| / real range, the L1 distance of the coordinates v = a / range
    (shifted). A column missing values among the chosen rows takes two coordinates
    (v, 1 - v)/2 instead, whose L1 distance is the same: a missing value, placed at
    (-1/4, -1/4), is then at distance exactly 1 from any value within half a range of
    the real range, and 0 from another missing value. One coordinate where none is
    missing halves the cost of the distances.
    Categorical: shared integer codes (missing is a category), compared for equality.
    """
    numeric_r, numeric_s, codes_r, codes_s = [], [], [], []
    for column in columns:
        if column.family == NUMERIC:
            present = column.real[~np.isnan(column.real)]
            low, high = (present.min(), present.max()) if present.size else (0.0, 0.0)
            span = high - low if high > low and math.isfinite(high - low) else 1.0
            chosen = column.real[rows_real], column.synthetic[rows_synthetic]
            v_r, v_s = ((values - (low if math.isfinite(low) else 0.0)) / span for values in chosen)
            if not (np.isnan(v_r).any() or np.isnan(v_s).any()):
                numeric_r.append(v_r[:, None])
                numeric_s.append(v_s[:, None])
                continue
            for v, parts in ((v_r, numeric_r), (v_s, numeric_s)):
                block = np.column_stack([v / 2, (1 - v) / 2])
                block[np.isnan(v)] = -0.25
                parts.append(block)
        else:
            code_r, code_s = column.codes
            codes_r.append(code_r[rows_real].astype(np.float64))
            codes_s.append(code_s[rows_synthetic].astype(np.float64))

    def points(numeric: list[np.ndarray], codes: list[np.ndarray], rows: int) -> Points:
        return Points(
            np.hstack(numeric) if numeric else np.empty((rows, 0)),
            np.column_stack(codes) if codes else np.empty((rows, 0)),
        )

    return (
        points(numeric_r, codes_r, len(rows_real)),
        points(numeric_s, codes_s, len(rows_synthetic)),
    )


def _nearest(reference: Points, queries: Points, columns: int) -> np.ndarray:
    """Exact distance from each query row to its closest reference row: the mean over
    columns of the per-column distances.

    Brute force in blocks with ``scipy.spatial.distance.cdist`` (cityblock for the
    numeric coordinates, hamming for the category codes): its cost is fixed by the
    sample sizes, whereas a k-d tree on one-hot categories took 184 s for 10 columns of
    100 categories (and was no faster than brute force beyond ~10 numeric columns).
    """
    from scipy.spatial.distance import cdist

    if len(queries) == 0 or len(reference) == 0:
        return np.empty(0)
    result = np.empty(len(queries))
    block = max(1, 2_000_000 // len(reference))
    n_codes = reference.codes.shape[1]
    for start in range(0, len(queries), block):
        part = queries[start : start + block]
        total = np.zeros((len(part), len(reference)))
        if reference.numeric.shape[1]:
            total += cdist(part.numeric, reference.numeric, "cityblock")
        if n_codes:
            total += cdist(part.codes, reference.codes, "hamming") * n_codes
        result[start : start + block] = total.min(axis=1) / columns
    return result


def _row_hashes(columns: Sequence[Column], side: str) -> np.ndarray:
    frame = pd.DataFrame({c.name: getattr(c, side) for c in columns})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _dcr_figures(distances: np.ndarray) -> dict:
    if distances.size == 0:
        return {"median": math.nan, "p5": math.nan, "zero_share": math.nan}
    return {
        "median": float(np.median(distances)),
        "p5": float(np.quantile(distances, 0.05)),
        "zero_share": float((distances == 0).mean()),
    }


def nearer_share(to_train: np.ndarray, to_holdout: np.ndarray) -> float:
    """Share of rows nearer to the training rows than to the holdout rows, a tie
    counting half: 0.5 for rows drawn like the real ones, 1 for copies of training rows."""
    if to_train.size == 0:
        return math.nan
    return float(np.mean((to_train < to_holdout) + 0.5 * (to_train == to_holdout)))


def privacy(columns: Sequence[Column], sample: Sample, train_rows: int | None = None) -> dict:
    """Distance to closest record of synthetic rows and, as baseline, of real holdout rows.

    Both are measured against the same real reference rows, so they are comparable:
    synthetic rows much closer than holdout rows are near-copies. ``dcr_share``: the
    share of synthetic rows closer to the reference rows than to as many holdout rows
    (:func:`nearer_share`). The exact-copy share uses every row (hashing), not the
    subsample, against the first ``train_rows`` real rows (all without it): the rows
    the synthesizer saw.
    """
    real_rows = np.concatenate([sample.reference, sample.holdout])
    points_r, points_s = _dcr_space(columns, real_rows, sample.synthetic)
    reference, held = points_r[: len(sample.reference)], points_r[len(sample.reference) :]
    # As many training rows as holdout rows (spread over the larger side), so that a
    # fresh sample scores 0.5.
    equal = min(len(reference), len(held))
    from concurrent.futures import ThreadPoolExecutor

    def spread(points: Points) -> Points:
        return (
            points
            if len(points) == equal
            else points[np.linspace(0, len(points) - 1, equal).astype(int)]
        )

    tasks = [(reference, points_s), (reference, held), (spread(held), points_s)]
    if equal < len(reference):
        tasks.append((spread(reference), points_s))
    nearest = quietly(lambda task: _nearest(task[0], task[1], len(columns)))
    with ThreadPoolExecutor(max_workers=2) as pool:  # cdist releases the GIL
        to_reference, to_held, to_holdout, *rest = pool.map(nearest, tasks)
    to_train = rest[0] if rest else to_reference
    synthetic, holdout = _dcr_figures(to_reference), _dcr_figures(to_held)
    hashes_r, hashes_s = _row_hashes(columns, "real"), _row_hashes(columns, "synthetic")
    if train_rows is not None:
        hashes_r = hashes_r[:train_rows]
    return {
        "dcr_median": synthetic["median"],
        "dcr_p5": synthetic["p5"],
        "dcr_share": nearer_share(to_train, to_holdout),
        "exact_copy_share": float(np.isin(hashes_s, hashes_r).mean()),
        "holdout_dcr_median": holdout["median"],
        "holdout_dcr_p5": holdout["p5"],
        "holdout_exact_copy_share": holdout["zero_share"],
        "synthetic_zero_distance_share": synthetic["zero_share"],
        "reference_rows": len(sample.reference),
        "synthetic_rows": len(sample.synthetic),
        "holdout_rows": len(sample.holdout),
        "dcr_share_rows": equal,
    }


def unique_value_leaks(
    real: pd.DataFrame, synthetic: pd.DataFrame, names: Sequence[str]
) -> dict[str, float]:
    """For each named column, the share of synthetic rows whose value occurs exactly
    once in the real table: a unique real value (an e-mail, a rare code) identifies a
    person, so a synthetic row that carries it discloses them. 0 is no leak; a column
    of unique real values copied from donor rows scores 1."""
    leaks = {}
    for name in names:
        real_values, synthetic_values = hashable(real[name]), hashable(synthetic[name])
        counts = real_values.value_counts(dropna=True)
        unique = counts.index[counts.to_numpy() == 1]
        if not len(synthetic_values):
            leaks[str(name)] = math.nan
        elif not len(unique):  # no value occurs once (a category): nothing can leak
            leaks[str(name)] = 0.0
        else:
            hits = synthetic_values.isin(unique) & synthetic_values.notna()
            leaks[str(name)] = float(hits.mean())
    return leaks


def real_semantics(real: pd.DataFrame, categorical: Sequence[str], metadata: Any = None):
    """The column semantics of the real table (inferred, or from the metadata)."""
    from mixsynth.columns import infer_schema
    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.engine.reference import table_semantics

    options = SynthesisOptions(categorical=tuple(categorical), metadata=metadata)
    return table_semantics(real, infer_schema(real, categorical), options)


def is_made_up(semantics: TableMetadata, name: str) -> bool:
    meaning = semantics.columns.get(name)
    return meaning is not None and meaning.sdtype.is_generated


def without_made_up(
    columns: list[Column], semantics: TableMetadata
) -> tuple[list[Column], list[str]]:
    """The columns without keys, personal data and free text, and those left out.

    Those are made up by design: their real values never reappear, so they say nothing
    about fidelity or closeness, as SDMetrics leaves id and PII columns out of its
    quality report (their leak is measured on its own). A table of nothing else keeps
    them, so that something is compared.
    """
    made_up = [c.name for c in columns if is_made_up(semantics, c.name)]
    if not made_up or len(made_up) == len(columns):
        return columns, []
    return [c for c in columns if c.name not in made_up], made_up


def leak_columns(semantics: TableMetadata, synthetic: pd.DataFrame) -> list[str]:
    """Columns in both tables whose values are not mixed numbers: the ones a leak can
    be exact in."""
    in_both = {str(c) for c in synthetic.columns}
    return [
        name
        for name, meaning in semantics.columns.items()
        if not meaning.sdtype.is_mixed and name in in_both
    ]


def check_holdout_columns(train: pd.DataFrame, holdout: pd.DataFrame) -> None:
    """The holdout must be rows of the same table: the same columns."""
    if len(holdout) == 0:
        raise InputError("the holdout table has no rows", "give at least one held-out row")
    names = [str(c) for c in train.columns]
    missing = [c for c in names if c not in {str(h) for h in holdout.columns}]
    extra = [str(c) for c in holdout.columns if str(c) not in set(names)]
    if missing or extra:
        what = f"lacks column {missing[0]!r}" if missing else f"has column {extra[0]!r}"
        raise InputError(
            f"the holdout table {what}, unlike the real table",
            "give held-out rows of the same table, with the same columns",
        )


def holdout_columns(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    categorical: Sequence[str],
    metadata: Any,
    semantics: TableMetadata | None = None,
) -> list:
    """The columns of train + holdout against synthetic, made-up ones left out
    (``semantics``: the train table's :func:`real_semantics`, if known already)."""
    check_holdout_columns(train, holdout)
    real = pd.concat([train, holdout[train.columns]], ignore_index=True)
    columns, _ = align(real, synthetic, categorical)
    if semantics is None:
        semantics = real_semantics(train, categorical, metadata)
    columns, _ = without_made_up(columns, semantics)
    return columns


def dcr_share(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    seed: int = 0,
    categorical: Sequence[str] = (),
    metadata: Any = None,
    semantics: TableMetadata | None = None,
) -> float:
    """Share of synthetic rows closer to the ``train`` rows (those the synthesizer saw)
    than to as many ``holdout`` rows it never saw; a tie counts half. 0.5: as far from
    the training rows as a fresh real sample; 1: every row a (near-)copy. Up to
    ``sample_rows`` rows per side, drawn with ``seed``; the distance is that of
    :func:`mixsynth.metrics.holdout_figures` (mean per-column distance, numbers scaled by
    the real range, categories 0 or 1). The figure ``--privacy-target`` aims at, which
    measures many synthetic tables against one ``train``: it gives its ``semantics``
    (:func:`real_semantics`), inferred once."""
    with np.errstate(all="ignore"):
        columns = holdout_columns(train, holdout, synthetic, categorical, metadata, semantics)
        sizes = len(train), len(holdout), len(synthetic)
        rows = min(sample_rows, dcr_row_limit(columns, 2 * sample_rows) // 2)
        return privacy(columns, Sample.split(*sizes, rows, seed), len(train))["dcr_share"]


# ---------------------------------------------------------------------------
# How many rows the nearest records can afford


#: Cost cap of the distance to closest record: reference rows x query rows x
#: coordinates, over the three query sets (a numeric column counts two coordinates, the
#: most it takes, a categorical one). Tables up to 40 coordinates keep the default
#: 10,000 sampled rows; wider ones get fewer rows, so this part stays under a few seconds.
DCR_BUDGET = 3e9


def dcr_row_limit(columns: Sequence[Column], sample_rows: int) -> int:
    """Sampled real rows for the nearest-record figures: --sample-rows, or fewer if the
    table is so wide that their distances would cost more than DCR_BUDGET."""
    coordinates = sum(2 if c.family == NUMERIC else 1 for c in columns)
    # n sampled rows: three products of n/2 x n/2 rows (synthetic and holdout rows to
    # the reference rows, synthetic rows to the holdout rows for the DCR share).
    return max(2, min(sample_rows, int(math.sqrt(4 * DCR_BUDGET / 3 / max(coordinates, 1)))))
