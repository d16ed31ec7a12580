"""A mixed column finished for output: what is done to every mixed column of every
slice after mixing (non-finite values, bounds, rounding, representability), shared by
the stream (:mod:`.memory`) and the rule steps that round rows again (:mod:`.ruled`)."""

from __future__ import annotations

import numpy as np

from mixsynth.columns import ColumnSpec
from mixsynth.engine.kernel import Pairs
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.rules.data import seconds_per_unit
from mixsynth.semantics.treatments import (
    bound_keeping_variance,
    round_to_decimals,
    stochastic_round,
)


def finish_column(
    rng: np.random.Generator,
    values: np.ndarray,
    source: np.ndarray,
    pairs: Pairs,
    spec: ColumnSpec,
    reference: Reference,
    options: SynthesisOptions,
    bounded: bool = False,
    calendar: str | None = None,
    uniforms: np.ndarray | None = None,
) -> tuple[int, int]:
    """Non-finite fallback, bounds, rounding and representability, in place.

    Returns how many values were outside the original input's range before bounds,
    out of how many observed ones (0, 0 when ``bounded``: the values were already
    kept in range, and counted, by the moment matching).
    """
    counts = (0, 0)
    if not bounded:
        replace_non_finite(values, source, pairs)
        counts = bound_keeping_variance(values, *reference.ranges[spec.name], options.bounds)
    decimals = reference.semantics.columns[str(spec.name)].decimals
    grid = reference.time_grids.get(spec.name)
    if calendar is not None:  # on 1 January or the 1st of a month (a rule)
        from mixsynth.rules.dates import round_calendar

        unit = seconds_per_unit(spec.dtype)
        offset = reference.encodings[spec.name].offset
        values[:] = round_calendar(rng, (values + offset) * unit, calendar) / unit - offset
    elif grid is not None:  # whole days (a date stored as a timestamp), seconds, ...
        values /= grid
        stochastic_round(rng, values, uniforms)
        values *= grid
    elif spec.kind.is_integral:
        stochastic_round(rng, values, uniforms)
    elif decimals is not None and options.round_decimals:
        round_to_decimals(rng, values, decimals, uniforms)
    encoding = reference.encodings[spec.name]
    unrepresentable = (values < encoding.lower) | (values > encoding.upper)
    if unrepresentable.any():
        values[unrepresentable] = source[pairs.dominant[unrepresentable]]
        if spec.kind.is_integral:
            # float64 rounds a donor at int64's very ends (2**63 - 1) past them.
            np.clip(values, encoding.lower, encoding.upper, out=values)
    return counts


def replace_non_finite(values: np.ndarray, source: np.ndarray, pairs: Pairs) -> None:
    """An overflow (inf, or inf - inf) takes the dominant donor's value; NaN where the
    dominant donor is missing stays (the donor's own NaN)."""
    bad = ~np.isfinite(values)
    if bad.any():
        values[bad] = source[pairs.dominant[bad]]
