"""Exact moment matching (``--match-moments``): an affine correction of the mixed
columns after mixing, so that the output's sample mean vector and covariance matrix
(ddof=1) equal those of the table it was made from.

Mixup keeps the first two moments only in expectation; every generation adds its own
sampling error, and over generations those errors add up to a random walk (docs/theory.md,
"Structure over generations"). The correction removes that walk for the first two moments. Of all affine
maps that give the source's moments, it uses the one that moves the rows least (in
mean squared distance, the columns measured in the source's standard deviations):
the optimal-transport map between two normal distributions with those moments,

    y = mu_s + D A D^-1 (x - mu_x),   A = Cx^-1/2 (Cx^1/2 Cs Cx^1/2)^1/2 Cx^-1/2,

where Cs and Cx are the correlation-scale covariances of the source and the output
and D the source's standard deviations. A is symmetric; linear relations between
columns (an exact total of other columns), which mixup keeps, are kept: the inverse
square root is taken on the subspace the output spans.

Columns with a few missing values (at most :data:`JOINT_MAX_GAP_SHARE` of either
side) are matched with the others on the rows where all of them are observed (the
moments of those rows exact); a row with a gap gets the same map with the gap held at
the mean, so its observed values move as a complete row's would. Columns with more
gaps, or a point mass (held out as gaps), are matched one by one: the mean and
variance of their observed values exact, their covariances with other columns left
as mixed. Bounds and rounding run after the correction and add their own small error
(docs/structure.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Eigenvalues below this share of the largest count as zero (a linear relation).
RANK_TOLERANCE = 1e-10
#: Columns with at most this share of gaps (NaN) on each side are matched jointly.
JOINT_MAX_GAP_SHARE = 0.05
#: Columns whose largest value is past this (or below its inverse) are matched divided
#: by a power of two: the squares of values near 1e300 overflow, near 1e-300 vanish.
LARGEST_SAFE = 2.0**500


@dataclass
class MomentMatch:
    """Which columns were matched how (for the notes and the tests)."""

    jointly: list[str] = field(default_factory=list)  #: mean vector and covariance
    one_by_one: list[str] = field(default_factory=list)  #: mean and variance each
    untouched: list[str] = field(default_factory=list)  #: constant, or fewer than 2 values


def match_moments(sources: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> MomentMatch:
    """Correct ``outputs`` in place so their moments equal ``sources``' (same names).

    NaN marks a value that is not mixed (missing, or a point mass held out); a
    non-finite output value (an overflow the finishing replaces) counts as one too.
    Columns near float64's limits are matched divided by a power of two (exact), so
    their squares do not overflow.
    """
    scales = {name: _power_of_two_scale(sources[name], outputs[name]) for name in outputs}
    sources = {n: s / scales[n] if scales[n] != 1 else s for n, s in sources.items()}
    for name, scale in scales.items():
        if scale != 1:
            outputs[name] /= scale
    with np.errstate(over="ignore", invalid="ignore"):
        result = _match(sources, outputs)
        for name, scale in scales.items():
            if scale != 1:
                outputs[name] *= scale  # values past float64's end become inf: replaced later
    return result


def _power_of_two_scale(source: np.ndarray, output: np.ndarray) -> float:
    """1, or the power of two that brings the largest value near 1 (dividing by it is
    exact)."""
    largest = max(_largest(source), _largest(output))
    if largest == 0 or 1 / LARGEST_SAFE <= largest <= LARGEST_SAFE:
        return 1.0
    return float(np.ldexp(1.0, np.frexp(largest)[1]))


def _largest(values: np.ndarray) -> float:
    """Largest finite magnitude (fmax/fmin skip NaN without a copy; inf needs one)."""
    if values.size == 0:
        return 0.0
    extremes = np.array([np.fmax.reduce(values), np.fmin.reduce(values)])
    if not np.isfinite(extremes).all():
        finite = values[np.isfinite(values)]
        extremes = np.array([finite.max(), finite.min()]) if finite.size else np.zeros(1)
    return float(np.abs(extremes).max())


def _match(sources: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> MomentMatch:
    result = MomentMatch()
    joint = []
    for name, output in outputs.items():
        source = sources[name]
        if _joinable(source) and _joinable(output):
            joint.append(name)
        else:
            _match_one(name, source, output, result)
    complete = (
        min(
            _complete_rows([sources[n] for n in joint]).sum(),
            _complete_rows([outputs[n] for n in joint]).sum(),
        )
        if joint
        else 0
    )
    if len(joint) == 1 or complete < max(3, len(outputs[joint[0]]) // 2 if joint else 0):
        for name in joint:  # too few rows without a gap to estimate a covariance on
            _match_one(name, sources[name], outputs[name], result)
    elif joint:
        _match_jointly([sources[n] for n in joint], [outputs[n] for n in joint])
        result.jointly = joint
    return result


def _joinable(values: np.ndarray) -> bool:
    """Few enough gaps, and at least two distinct observed values."""
    finite = np.isfinite(values)
    if values.size < 3 or finite.sum() < (1 - JOINT_MAX_GAP_SHARE) * values.size:
        return False
    observed = values[finite] if not finite.all() else values
    return bool(np.ptp(observed) > 0)


def _match_one(name: str, source: np.ndarray, output: np.ndarray, result: MomentMatch) -> None:
    """Mean and variance of the observed values, exact: a shift and a scale."""
    seen_source = source[np.isfinite(source)]
    finite = np.isfinite(output)
    seen_output = output[finite]
    if seen_source.size < 2 or seen_output.size < 2:
        result.untouched.append(name)
        return
    spread_source, spread_output = seen_source.std(ddof=1), seen_output.std(ddof=1)
    scale = spread_source / spread_output if spread_output > 0 else 1.0
    output[finite] = (seen_output - seen_output.mean()) * scale + seen_source.mean()
    (result.one_by_one if spread_output > 0 else result.untouched).append(name)


def _match_jointly(sources: list[np.ndarray], outputs: list[np.ndarray]) -> None:
    """One OpenBLAS thread: its threads spin, and on a busy 2-core machine a product
    of 1,000,000 x 20 took 0.4-3.5 s on two threads against 0.045 s on one (measured);
    the engine already runs its columns on threads of its own."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        _match_jointly_on_one_thread(sources, outputs)


def _match_jointly_on_one_thread(sources: list[np.ndarray], outputs: list[np.ndarray]) -> None:
    source_complete = _complete_rows(sources)
    output_complete = _complete_rows(outputs)
    source_mean = np.array([s[source_complete].mean() for s in sources])
    source_sd = np.array([s[source_complete].std(ddof=1) for s in sources])
    output_mean = np.array([o[output_complete].mean() for o in outputs])
    source_cov = _covariance([s[source_complete] for s in sources], source_mean, source_sd)
    output_cov = _covariance([o[output_complete] for o in outputs], output_mean, source_sd)
    transport = optimal_transport_map(output_cov, source_cov)
    # One row-major block at a time keeps the temporaries small on long tables.
    rows = len(outputs[0])
    block = max(1, (1 << 22) // max(1, len(outputs)))
    for start in range(0, rows, block):
        stop = min(start + block, rows)
        parts = [o[start:stop] for o in outputs]
        standard = np.column_stack(
            [(o - m) / d for o, m, d in zip(parts, output_mean, source_sd, strict=True)]
        )
        gaps = ~np.isfinite(standard)
        if not gaps.any():  # the common case: no boolean indexing
            moved = standard @ transport  # transport is symmetric
            for j, part in enumerate(parts):
                part[:] = moved[:, j] * source_sd[j] + source_mean[j]
            continue
        standard[gaps] = 0.0  # a gap at the mean: the map moves the rest as usual
        moved = standard @ transport
        moved[gaps] = np.nan
        for j, part in enumerate(parts):
            finite = ~gaps[:, j]
            part[finite] = moved[finite, j] * source_sd[j] + source_mean[j]


def _complete_rows(columns: list[np.ndarray]) -> np.ndarray:
    complete = np.ones(len(columns[0]), dtype=bool)
    for column in columns:
        complete &= np.isfinite(column)
    return complete


def _covariance(columns: list[np.ndarray], means: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Covariance (ddof=1) of the columns, each divided by its scale (a row per
    column: the layout OpenBLAS multiplies fastest, 0.07 s against 0.4 s for the
    transpose on 200,000 x 20, measured)."""
    standard = np.stack([(c - m) / s for c, m, s in zip(columns, means, scales, strict=True)])
    return standard @ standard.T / (standard.shape[1] - 1)


def optimal_transport_map(output_cov: np.ndarray, source_cov: np.ndarray) -> np.ndarray:
    """Symmetric A with A Cx A = Cs that moves points least: the Gaussian optimal
    transport map. Directions where Cx is (numerically) zero are left at zero."""
    root, inverse_root = square_roots(output_cov)
    middle, _ = square_roots(root @ source_cov @ root)
    transport = inverse_root @ middle @ inverse_root
    return (transport + transport.T) / 2


def square_roots(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric square root and pseudo-inverse square root of a covariance."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    keep = values > RANK_TOLERANCE * max(values.max(), 0.0)
    roots = np.where(keep, np.sqrt(np.where(keep, values, 0.0)), 0.0)
    inverse = np.where(keep, 1.0 / np.where(keep, roots, 1.0), 0.0)
    return (vectors * roots) @ vectors.T, (vectors * inverse) @ vectors.T
