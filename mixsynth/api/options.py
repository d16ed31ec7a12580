"""Keyword arguments of the Python API (strings or enums) turned into SynthesisOptions.

The defaults live in :class:`mixsynth.synth.SynthesisOptions` (read from it here, not
repeated), and the method follows the weights when it is not given, as on the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TypeVar

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.errors import MixsynthError
from mixsynth.semantics import TableMetadata
from mixsynth.synth import SynthesisOptions
from mixsynth.weights import WeightDistribution, parse_weights

#: The engine's defaults, for the API's signatures.
DEFAULTS = SynthesisOptions()

E = TypeVar("E", bound=Enum)


def choice(enum: type[E], value: E | str, name: str) -> E:
    """An enum member from itself or its value, or a MixsynthError naming the choices."""
    try:
        return enum(value.lower() if isinstance(value, str) else value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in enum)
        raise MixsynthError(f"unknown {name} {value!r}", f"give one of {choices}") from None


def synthesis_options(
    *,
    method: Method | str | None,
    weights: WeightDistribution | str | None,
    mix_strength: float,
    eps: float | tuple[float, float],
    finite_sample: bool,
    by: Sequence[str] = (),
    categorical: Sequence[str] = (),
    pairing: Pairing | str = DEFAULTS.pairing,
    bounds: Bounds | str = DEFAULTS.bounds,
    rows: int | None = None,
    metadata: TableMetadata | None = DEFAULTS.metadata,
    semantics: bool = DEFAULTS.semantics,
    keep_pii: bool = DEFAULTS.keep_pii,
    locale: str = DEFAULTS.locale,
    round_decimals: bool = DEFAULTS.round_decimals,
    match_moments: bool = DEFAULTS.match_moments,
    keep_associations: bool = DEFAULTS.keep_associations,
) -> SynthesisOptions:
    """Checked options; ``method=None`` is generalized unless ``weights`` lie in [0, 1]."""
    distribution = parse_weights(weights) if isinstance(weights, str) else weights
    if method is None:
        vanilla = distribution is not None and distribution.is_vanilla
        method = Method.VANILLA if vanilla else DEFAULTS.method
    eps0, eps1 = (eps, eps) if isinstance(eps, int | float) else tuple(eps)
    options = SynthesisOptions(
        method=choice(Method, method, "method"),
        weights=distribution,
        mix_strength=float(mix_strength),
        eps=(float(eps0), float(eps1)),
        finite_sample=bool(finite_sample),
        rows=rows,
        by=(by,) if isinstance(by, str) else tuple(by),
        categorical=(categorical,) if isinstance(categorical, str) else tuple(categorical),
        pairing=choice(Pairing, pairing, "pairing"),
        bounds=choice(Bounds, bounds, "bounds"),
        metadata=metadata,
        semantics=bool(semantics),
        keep_pii=bool(keep_pii),
        locale=str(locale),
        round_decimals=bool(round_decimals),
        match_moments=bool(match_moments),
        keep_associations=bool(keep_associations),
    )
    options.check()
    return options
