"""What each semantic type gets when a generation is made, beyond plain mixing.

Every step here keeps the variance theory of docs/theory.md: wherever a step would take
variance away (folding values back into the real range, rounding to the input's
decimal grid), the values are first spread about their mean by exactly what that step
removes, as integer rounding does (:func:`stochastic_round`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mixsynth.choices import Bounds
from mixsynth.semantics.types import ColumnSemantics, SemanticType

if TYPE_CHECKING:
    from mixsynth.semantics.keys import KeyShare

#: Rescale-and-fold rounds in :func:`bound_keeping_variance`; each halves what is left.
BOUND_ROUNDS = 4


def _fold_into(values: np.ndarray, lower: float, upper: float, bounds: Bounds) -> None:
    """Bring finite values outside [lower, upper] back inside, in place (clip or reflect)."""
    if bounds is Bounds.CLIP:
        np.clip(values, lower, upper, out=values)
        return
    outside = (values < lower) | (values > upper)
    if not outside.any():
        return
    width = upper - lower
    if width == 0:
        values[outside] = lower
        return
    with np.errstate(over="ignore", invalid="ignore"):
        folded = np.mod(values[outside] - lower, 2 * width)
        reflected = lower + np.where(folded > width, 2 * width - folded, folded)
    # Near float64's limits (a range of 1e308) the fold overflows: clip those.
    clipped = np.clip(values[outside], lower, upper)
    values[outside] = np.where(np.isfinite(reflected), reflected, clipped)


def bound_keeping_variance(
    values: np.ndarray, lower: float, upper: float, bounds: Bounds
) -> tuple[int, int]:
    """Keep the finite values inside [lower, upper] without losing their mean and variance.

    Folding values back (reflect or clip) pulls them towards the middle: it lowers the
    variance that generalized mixup was solved to keep, a little every generation. So
    the folded values are spread about their mean to restore the mean and variance they
    had before, and folded again, a few rounds (each leaves a fraction of the previous
    round's excess outside). Returns how many finite values were outside before, out of
    how many finite values. The values' own moments are the target, so no extra noise
    is added to the generation's random walk.
    """
    finite = np.isfinite(values)
    n_finite = int(finite.sum())
    if n_finite == 0 or not (np.isfinite(lower) and np.isfinite(upper)):
        return 0, n_finite
    body = values[finite]
    outside = int(((body < lower) | (body > upper)).sum())
    if outside == 0 or bounds is Bounds.NONE:
        return outside, n_finite
    with np.errstate(over="ignore", invalid="ignore"):
        mean, variance = body.mean(), body.var()
        _fold_into(body, lower, upper, bounds)
        for _ in range(BOUND_ROUNDS):
            spread = body.var()
            # Near float64's limits the moments overflow: folding alone must do there.
            if not (np.isfinite(variance) and np.isfinite(spread) and spread > 0):
                break
            spread_out = mean + np.sqrt(variance / spread) * (body - body.mean())
            if not np.isfinite(spread_out).all():
                break
            body = spread_out
            if not ((body < lower) | (body > upper)).any():
                break
            _fold_into(body, lower, upper, bounds)
    values[finite] = body
    return outside, n_finite


def round_to_decimals(
    rng: np.random.Generator,
    values: np.ndarray,
    decimals: int,
    uniforms: np.ndarray | None = None,
) -> None:
    """Round finite values to ``decimals`` places in place, keeping mean and variance
    (stochastic rounding on the grid, with its variance compensated)."""
    scale = 10.0**decimals
    finite = np.isfinite(values)
    if not finite.any() or np.abs(values[finite]).max() * scale >= 2**52:
        return  # no float64 grid that fine at this size: leave full precision
    values *= scale
    stochastic_round(rng, values, uniforms)
    values /= scale


def stochastic_round(
    rng: np.random.Generator, values: np.ndarray, uniforms: np.ndarray | None = None
) -> None:
    """Round to integers in place, keeping the mean and the variance in expectation.

    ``uniforms`` (one per value) replace the random draws: columns rounded with the same
    ones keep their order in every row (``floor(x + u)`` grows with ``x``), which rules
    such as ``start <= end`` need (:mod:`mixsynth.rules`).

    Stochastic rounding (up with probability equal to the fraction f) keeps the mean
    but adds variance E[f(1 - f)], up to 1/4 unit^2 per generation, which matters for
    columns of small integers. So the values are first shrunk towards their mean by
    c = sqrt(1 - E[f(1-f)] / Var) (twice, as shrinking moves the fractions).
    """
    finite = np.isfinite(values)
    body = values[finite]
    if body.size > 1:
        mean, variance = body.mean(), body.var()
        shrunk = body
        for _ in range(2):
            fraction = shrunk - np.floor(shrunk)
            noise = float(np.mean(fraction * (1 - fraction)))
            scale = np.sqrt(max(0.0, 1 - noise / variance)) if variance > 0 else 1.0
            shrunk = mean + scale * (body - mean)
        body = shrunk
    draws = rng.random(body.size) if uniforms is None else uniforms[finite]
    values[finite] = np.floor(body + draws)


def mass_rows(source: np.ndarray, point_mass: float | None) -> np.ndarray | None:
    """Where a source column sits on its point mass (None without one)."""
    if point_mass is None:
        return None
    at_mass = source == point_mass
    return at_mass if at_mass.any() else None


def made_up_values(
    meaning: ColumnSemantics,
    count: int,
    rng: np.random.Generator,
    real: np.ndarray,
    locale: str,
    share: KeyShare | None = None,
) -> np.ndarray:
    """``count`` values for a column whose real values must never appear: fresh keys
    for ids, Faker's fakes for personal data, fake sentences for free text. ``share``:
    a partition's share of a table's keys (the Dask engine), kept apart from the other
    partitions' (see :class:`~mixsynth.semantics.keys.KeyShare`)."""
    from mixsynth.semantics import fakes, keys

    if meaning.sdtype is SemanticType.ID:
        return keys.fresh_ids(real, count, rng, share)
    if meaning.sdtype is SemanticType.TEXT:
        lengths = np.array([len(str(v)) for v in real[:10_000]])
        return fakes.fake_text(count, rng, locale, lengths, real)
    if meaning.placeholders:  # the stand-ins are kept, not shapes for the fakes
        real = real[~np.isin(real.astype(str), list(meaning.placeholders))]
    return fakes.fake_values(meaning.pii or "generic", count, rng, meaning.locale or locale, real)


def kept_placeholders(
    values: np.ndarray, codes: np.ndarray, placeholders: tuple[str, ...]
) -> np.ndarray:
    """Made-up ``values`` with each row whose donor holds a stand-in for a missing value
    ("none", "-": ``codes``, its place in ``placeholders``, -1 for none) given that
    stand-in instead: a fake e-mail address where the real one said "none" would make
    up an address nobody gave. ``values`` itself when no row is."""
    at = codes >= 0
    if not at.any():
        return values
    kept = values.astype(object)
    kept[at] = np.asarray(placeholders, dtype=object)[codes[at]]
    return kept
