"""Pairs of columns: correlations and covariances in bounded memory on wide tables,
each pair's SDMetrics score (contingency figures: :mod:`.contingency`), and the
overall quality score."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mixsynth.metrics.contingency import (
    SIDES,
    PairSides,
    contingency_similarity,
    stack_columns,
)
from mixsynth.metrics.core import (
    ASSOCIATION_THRESHOLD,
    CONTINGENCY_ROWS,
    CORRELATION_THRESHOLD,
    DISCRETE,
    NUMERIC,
    Column,
    ratio,
)


@dataclass(frozen=True)
class Centred:
    """One table's numeric columns, prepared for correlations of any two column blocks.

    ``z``: each column centred on its present values (so the sums stay accurate), 0
    where missing, columns contiguous; ``mask``: 1.0 where present, only for columns
    with missing values (``holes``), since a complete column needs no masked sums.
    """

    z: np.ndarray
    mask: np.ndarray | None
    holes: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, *, reuse: bool = False) -> Centred:
        """``reuse``: ``x`` (Fortran order) is the caller's own copy, which it gives up:
        without missing values it is centred in place (no second table in memory)."""
        present = ~np.isnan(x)
        n_present = present.sum(axis=0)
        holes = n_present < x.shape[0]
        if holes.any():
            z = np.asfortranarray(np.where(present, x, 0.0))
            z -= z.sum(axis=0) / np.maximum(n_present, 1)
        elif reuse and x.flags.f_contiguous:
            z = x
            z -= z.sum(axis=0) / np.maximum(n_present, 1)
        else:  # nothing to set to 0: centred in one pass
            z = np.asfortranarray(x - x.sum(axis=0) / np.maximum(n_present, 1))
        mask = None
        if holes.any():
            np.copyto(z, 0.0, where=~present)  # missing values add nothing to any sum
            mask = np.asfortranarray(present, dtype=np.float64)
        return cls(z, mask, holes)

    def correlations(self, a: slice, b: slice) -> np.ndarray:
        """Pearson correlations of columns ``a`` against columns ``b``, each pair on the
        rows where both are present (as ``DataFrame.corr``), from a few matrix products."""
        return self.block(a, b)[0]

    def block(self, a: slice, b: slice) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`correlations` and the co-deviation sums they come from: for each pair,
        the sum of (x - mean x)(y - mean y) over the rows where both are present."""
        za, zb = self.z[:, a], self.z[:, b]
        sq_a, sq_b = np.einsum("ij,ij->j", za, za), np.einsum("ij,ij->j", zb, zb)
        if self.mask is None or not (self.holes[a].any() or self.holes[b].any()):
            n = float(self.z.shape[0])
            sx, sy = za.sum(axis=0)[:, None], zb.sum(axis=0)[None, :]
            sxx, syy = sq_a[:, None], sq_b[None, :]
        else:
            ma, mb = self.mask[:, a], self.mask[:, b]
            n = ma.T @ mb
            sx, sy = za.T @ mb, ma.T @ zb  # sx[i, j]: sum of i where j is present
            sxx, syy = (za * za).T @ mb, ma.T @ (zb * zb)
        with np.errstate(invalid="ignore", divide="ignore"):  # undefined: NaN, set below
            cov = za.T @ zb - sx * sy / n
            corr = cov / np.sqrt((sxx - sx * sx / n) * (syy - sy * sy / n))
        corr[(np.broadcast_to(n, corr.shape) < 2) | ~np.isfinite(corr)] = np.nan
        np.clip(corr, -1.0, 1.0, out=corr)
        return corr, cov


def correlation_matrix(x: np.ndarray) -> np.ndarray:
    """Pearson correlations over pairwise-complete rows, as ``DataFrame.corr``."""
    every = slice(None)
    return Centred.of(x).correlations(every, every)


def covariance_figures(real: np.ndarray, synthetic: np.ndarray) -> dict:
    """‖Cov_s‖/‖Cov_r‖ (Frobenius) and log(det Cov_s / det Cov_r) on complete rows.

    Columns are scaled by the real standard deviation first, so no column dominates
    by its unit; under mixup theory both ratios are rho (and p·log rho). A table with
    more columns than rows has a singular covariance (log det undefined), and its norm
    comes from the rows' Gram matrix, which has the same Frobenius norm and is smaller.
    """
    r = real[~np.isnan(real).any(axis=1)]
    s = synthetic[~np.isnan(synthetic).any(axis=1)]
    if len(r) < 2 or len(s) < 2:
        return {"covariance_norm_ratio": math.nan, "covariance_log_det_ratio": math.nan}
    scale = r.std(axis=0, ddof=1)
    scale = np.where(scale > 0, scale, 1.0)
    norms, log_dets = [], []
    for side in (r, s):
        z = (side - side.mean(axis=0)) / scale
        gram = z.T @ z if z.shape[1] <= z.shape[0] else z @ z.T
        gram /= len(z) - 1
        norms.append(float(np.linalg.norm(gram)))
        sign, log_det = (0.0, 0.0) if z.shape[1] >= len(z) else np.linalg.slogdet(gram)
        log_dets.append(log_det if sign > 0 else math.nan)
    return {
        "covariance_norm_ratio": ratio(norms[1], norms[0]),
        "covariance_log_det_ratio": float(log_dets[1] - log_dets[0]),
    }


class _BlockCovariances:
    """:func:`covariance_figures` from the co-deviation sums of the correlation blocks.

    Without a missing value, the complete rows are every row and those sums are the
    products the covariance needs: summed here block by block, they are not computed
    a second time. The Frobenius norms add up over the blocks; the determinants need
    the whole matrix, kept only where it is defined (fewer columns than rows).
    """

    def __init__(self, scale: np.ndarray, rows: tuple[int, int]) -> None:
        self.scale = scale
        self.rows = rows
        count = scale.size
        self.squares = [0.0, 0.0]
        self.whole = [np.empty((count, count)) if count < n else None for n in rows]

    @classmethod
    def of(cls, sides: tuple[Centred, Centred]) -> _BlockCovariances | None:
        """The accumulator, or None when a side has missing values (then
        :func:`covariance_figures` does the work on complete rows)."""
        rows = (sides[0].z.shape[0], sides[1].z.shape[0])
        if any(side.holes.any() for side in sides):
            return None
        z = sides[0].z  # the real columns, centred: their standard deviations
        scale = np.sqrt(np.einsum("ij,ij->j", z, z) / max(rows[0] - 1, 1))
        return cls(np.where(scale > 0, scale, 1.0), rows)

    @property
    def defined(self) -> bool:
        return min(self.rows) >= 2  # a covariance needs 2 rows on each side

    def add(self, a: slice, b: slice, sums: tuple[np.ndarray, np.ndarray]) -> None:
        """One block (a, b) of each side, a before b: off the diagonal it stands for its
        mirror image (b, a) too."""
        if not self.defined:
            return
        mirrored = 1.0 if a.start == b.start else 2.0
        outer = np.outer(self.scale[a], self.scale[b])
        for side, (block, n) in enumerate(zip(sums, self.rows, strict=True)):
            gram = block / (n - 1) / outer
            self.squares[side] += mirrored * float(np.einsum("ij,ij->", gram, gram))
            if self.whole[side] is not None:
                self.whole[side][a, b] = gram
                self.whole[side][b, a] = gram.T

    def figures(self) -> dict:
        if not self.defined:
            return {"covariance_norm_ratio": math.nan, "covariance_log_det_ratio": math.nan}
        norms = [math.sqrt(squares) for squares in self.squares]
        log_dets = []
        for whole in self.whole:
            sign, log_det = (0.0, 0.0) if whole is None else np.linalg.slogdet(whole)
            log_dets.append(log_det if sign > 0 else math.nan)
        return {
            "covariance_norm_ratio": ratio(norms[1], norms[0]),
            "covariance_log_det_ratio": float(log_dets[1] - log_dets[0]),
        }


#: Pairs of columns given a detailed entry (and a pair score): all of them up to this
#: number (100 columns make 4,950 pairs), else a sample of this many drawn with the seed.
PAIR_LIMIT = 5_000
#: Numeric columns shown in the correlation matrices of the report (the first ones).
MATRIX_COLUMNS = 200
#: Columns per block when correlations are computed block by block (bounded memory).
BLOCK_COLUMNS = 512


def _pair_indices(count: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    """Positions (i, j), i < j, of the pairs of ``count`` columns given details: every
    pair in order up to ``limit`` pairs, else ``limit`` pairs drawn without replacement."""
    total = count * (count - 1) // 2
    if total <= limit:
        picked = np.arange(total)
    else:
        picked = np.sort(rng.choice(total, size=limit, replace=False))
    # Row i of the upper triangle starts at pair number i*count - i*(i+1)/2.
    rows = np.arange(count, dtype=np.int64)
    starts = rows * count - rows * (rows + 1) // 2
    first = np.searchsorted(starts, picked, side="right") - 1
    return np.column_stack([first, picked - starts[first] + first + 1])


def _correlation_figures(
    x_r: np.ndarray, x_s: np.ndarray, wanted: np.ndarray, *, reuse: bool = False
) -> tuple[dict, dict[tuple[int, int], tuple[float, float]]]:
    """Correlation figures over every pair of numeric columns, block by block.

    Memory stays bounded by the blocks (a 10,000-column matrix alone would take
    800 MB): max and mean absolute difference and the pairs undefined only in the
    synthetic table are gathered block by block, the matrices kept for the first
    ``MATRIX_COLUMNS`` columns, and the two correlations returned for the ``wanted``
    pairs (positions in ``x``'s columns). Without missing values, the covariance
    figures come from the same blocks (:class:`_BlockCovariances`). ``reuse``: see
    :meth:`Centred.of`.
    """
    count = x_r.shape[1]
    sides = Centred.of(x_r, reuse=reuse), Centred.of(x_s, reuse=reuse)
    covariances = _BlockCovariances.of(sides)
    shown = min(count, MATRIX_COLUMNS)
    matrices = [np.full((shown, shown), np.nan) for _ in sides]
    wanted_at: dict[tuple[int, int], tuple[float, float]] = {}
    largest, total, defined, undefined = -np.inf, 0.0, 0, 0
    for i0 in range(0, count, BLOCK_COLUMNS):
        for j0 in range(i0, count, BLOCK_COLUMNS):
            a, b = slice(i0, i0 + BLOCK_COLUMNS), slice(j0, j0 + BLOCK_COLUMNS)
            (real, cov_r), (synthetic, cov_s) = (side.block(a, b) for side in sides)
            if covariances is not None:
                covariances.add(a, b, (cov_r, cov_s))
            upper = np.ones(real.shape, dtype=bool)
            if i0 == j0:
                upper = np.triu(upper, k=1)
            diff = np.abs(synthetic - real)[upper]
            present = diff[~np.isnan(diff)]
            if present.size:
                largest = max(largest, float(present.max()))
                total, defined = total + float(present.sum()), defined + present.size
            undefined += int(np.count_nonzero(~np.isnan(real[upper]) & np.isnan(synthetic[upper])))
            for matrix, block in zip(matrices, (real, synthetic), strict=True):
                if i0 < shown and j0 < shown:
                    rows, cols = min(shown - i0, block.shape[0]), min(shown - j0, block.shape[1])
                    matrix[i0 : i0 + rows, j0 : j0 + cols] = block[:rows, :cols]
                    matrix[j0 : j0 + cols, i0 : i0 + rows] = block[:rows, :cols].T
            inside = (
                (wanted[:, 0] >= i0)
                & (wanted[:, 0] < a.stop)
                & (wanted[:, 1] >= j0)
                & (wanted[:, 1] < b.stop)
            )
            for first, second in wanted[inside]:
                wanted_at[first, second] = (
                    real[first - i0, second - j0],
                    synthetic[first - i0, second - j0],
                )
    names_shown = slice(0, shown)
    figures = {
        "correlation": {"columns": names_shown, "real": matrices[0], "synthetic": matrices[1]},
        "correlation_max_abs_diff": largest if defined else math.nan,
        "correlation_mean_abs_diff": total / defined if defined else math.nan,
        "correlation_undefined_in_synthetic": undefined,
    }
    if covariances is not None:
        figures.update(covariances.figures())
    return figures, wanted_at


def compare_pairs(columns: Sequence[Column], seed: int = 0) -> dict:
    """Correlations, covariance ratios, contingency similarity and η for pairs of columns.

    Correlation figures cover every numeric pair, on every row, computed block by
    block. Pair details (CorrelationSimilarity, ContingencySimilarity, η) cover every
    pair up to ``PAIR_LIMIT`` pairs, else a sample of that many drawn with ``seed``
    (``pair_sample`` says which); contingency tables and η use up to
    ``CONTINGENCY_ROWS`` rows per side (bins are cut on the whole column first).
    """
    numeric = [c for c in columns if c.family == NUMERIC]
    position = {c.name: i for i, c in enumerate(numeric)}
    rng = np.random.default_rng(seed)
    rows = [
        np.sort(rng.permutation(n)[:CONTINGENCY_ROWS]) if n > CONTINGENCY_ROWS else slice(None)
        for n in (len(columns[0].real), len(columns[0].synthetic))
    ]
    chosen = _pair_indices(len(columns), PAIR_LIMIT, rng)
    total_pairs = len(columns) * (len(columns) - 1) // 2
    figures: dict = {
        "correlation": None,
        "details": [],
        "pair_sample": {
            "pairs": total_pairs,
            "detailed": len(chosen),
            "limit": PAIR_LIMIT,
            "sampled": len(chosen) < total_pairs,
            "seed": seed,
        },
    }
    wanted = np.array(
        [
            (position[columns[i].name], position[columns[j].name])
            for i, j in chosen
            if columns[i].family == NUMERIC and columns[j].family == NUMERIC
        ],
        dtype=np.int64,
    ).reshape(-1, 2)
    correlations: dict[tuple[int, int], tuple[float, float]] = {}
    if numeric:
        x_r, x_s = (stack_columns([getattr(c, side) for c in numeric]) for side in SIDES)
        # x_r, x_s are this function's own: centred in place when nothing is missing,
        # in which case the covariance figures come with the correlations.
        found, correlations = _correlation_figures(x_r, x_s, wanted, reuse=True)
        matrix = found["correlation"]
        shown = [c.name for c in numeric[matrix["columns"]]]
        matrix.update(columns=shown, difference=matrix["synthetic"] - matrix["real"])
        if "covariance_norm_ratio" not in found:
            found.update(covariance_figures(x_r, x_s))
        figures.update(found)
        del x_r, x_s

    def sampled(pair: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return pair[0][rows[0]], pair[1][rows[1]]

    sides = PairSides(sampled)
    sides.prepare([(columns[i], columns[j]) for i, j in chosen])
    details = figures["details"]
    for i, j in chosen:
        details.append(_pair(columns[i], columns[j], correlations, position, sides))
    return figures


def _pair(
    first: Column,
    second: Column,
    correlations: dict[tuple[int, int], tuple[float, float]],
    position: dict[str, int],
    sides: PairSides,
) -> dict:
    """One pair's SDMetrics score: CorrelationSimilarity or ContingencySimilarity."""
    entry: dict = {"columns": [first.name, second.name]}
    if first.family == NUMERIC and second.family == NUMERIC:
        r, s = correlations[position[first.name], position[second.name]]
        return entry | {
            "metric": "CorrelationSimilarity",
            "score": 1 - abs(r - s) / 2,
            "real_correlation": r,
            "synthetic_correlation": s,
            "meets_threshold": bool(abs(r) > CORRELATION_THRESHOLD) if not np.isnan(r) else False,
        }
    pair = [sides.get("codes" if c.family == DISCRETE else "bins", c) for c in (first, second)]
    score, cramer = contingency_similarity((pair[0][0], pair[1][0]), (pair[0][1], pair[1][1]))
    entry |= {
        "metric": "ContingencySimilarity",
        "score": score,
        "real_association": cramer,
        "meets_threshold": bool(cramer > ASSOCIATION_THRESHOLD) if not np.isnan(cramer) else False,
    }
    if first.family != second.family:
        num, cat = (first, second) if first.family == NUMERIC else (second, first)
        real, synthetic = sides.ratios[num.name, cat.name]
        entry["correlation_ratio_real"] = real
        entry["correlation_ratio_synthetic"] = synthetic
    return entry


# ---------------------------------------------------------------------------
# Scores


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def quality_scores(columns: dict, pairs: dict) -> dict:
    """SDMetrics QualityReport scores: column shapes, column pair trends, overall."""
    shapes = _mean(
        [c.get("ks_complement", c.get("tv_complement", math.nan)) for c in columns.values()]
    )
    details = pairs["details"]
    trends = _mean([p["score"] for p in details if p["meets_threshold"]])
    trends_all = _mean([p["score"] for p in details])
    return {
        "column_shapes": shapes,
        "column_pair_trends": trends,
        "column_pair_trends_all": trends_all,
        "overall": _mean([shapes, trends]),
        "pairs_meeting_threshold": sum(p["meets_threshold"] for p in details),
        "pairs": len(details),
    }


# ---------------------------------------------------------------------------
# Privacy: distance to closest record
