"""What decides how one table is synthesized (:class:`SynthesisOptions`), and what a
generation is (:class:`Generation`): the vocabulary every engine shares.

:func:`synthesis_options` builds checked options from plain values (strings or enums),
for the CLI and the Python API alike: the method follows the weights when it is not
given, and the defaults are read from :class:`SynthesisOptions`, not repeated."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.engine.weights import (
    DEFAULT_EPS,
    DEFAULT_MIX_STRENGTH,
    WeightDistribution,
    finite_sample_target,
    parse_weights,
    sample_variance_factor,
    solve_epbeta,
    vanilla_default,
)
from mixsynth.errors import MixsynthError, MixsynthWarning
from mixsynth.semantics.types import TableMetadata


@dataclass(frozen=True, kw_only=True)
class SynthesisOptions:
    """Everything that decides how one table is synthesized (stored, checked at use).

    ``weights`` fixes the weight distribution; without it, vanilla uses Beta(0.2, 0.2)
    and generalized solves an EpBeta from ``mix_strength`` and ``eps`` whose variance
    factor is 1, or the finite-sample target when ``finite_sample`` is set.

    The defaults make output that can be handed over (:mod:`mixsynth.semantics`):
    ranges kept by reflection with the variance compensated, floats on the input's
    decimal grid, keys and personal data made up. ``bounds=Bounds.NONE``,
    ``semantics=False`` and ``round_decimals=False`` give plain mixup for research.
    """

    method: Method = Method.GENERALIZED
    weights: WeightDistribution | None = None
    mix_strength: float = DEFAULT_MIX_STRENGTH
    eps: tuple[float, float] = (DEFAULT_EPS, DEFAULT_EPS)
    finite_sample: bool = True
    rows: int | None = None
    by: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    pairing: Pairing = Pairing.BALANCED
    bounds: Bounds = Bounds.REFLECT
    metadata: TableMetadata | None = None  #: overrides the inferred column semantics
    semantics: bool = True  #: infer semantics; False: storage kinds only (research runs)
    keep_pii: bool = False  #: copy ids, personal data and free text from donors instead
    locale: str = "en_US"  #: Faker locale of fake personal data
    round_decimals: bool = True  #: floats to the input's decimal places
    match_moments: bool = False  #: mixed columns' mean and covariance made exact (moments.py)
    keep_associations: bool = False  #: partners share explaining categories (associations.py)
    match_shapes: bool = False  #: mixed columns mapped by rank onto the source's (shapes.py)
    rules: tuple = ()  #: declared rules (mixsynth.rules), kept with the detected ones
    detect_rules: bool = True  #: find the rules every real row holds and keep them too

    def check(self) -> None:
        """Refuse contradictory options before any work is done."""
        if self.rows is not None and self.rows < 1:
            raise MixsynthError(f"--rows must be at least 1, got {self.rows}")
        if self.weights is not None:
            if self.method is Method.VANILLA and not self.weights.is_vanilla:
                raise MixsynthError(
                    f"--method vanilla takes weights inside [0, 1], got {self.weights.label()}",
                    "use --method generalized for epbeta weights",
                )
            if self.method is Method.GENERALIZED and self.weights.is_vanilla:
                raise MixsynthError(
                    f"--method generalized needs weights that leave [0, 1], "
                    f"got {self.weights.label()}",
                    "use --method vanilla for beta/uniform weights",
                )
        elif self.method is Method.GENERALIZED:
            solve_epbeta(self.mix_strength, *self.eps)

    def weights_for(self, n_source: int, n_rows: int) -> WeightDistribution:
        """The weights to use when ``n_rows`` rows are made from ``n_source`` rows."""
        if self.weights is not None:
            return self.weights
        if self.method is Method.VANILLA:
            return vanilla_default()
        weights = solve_epbeta(self.mix_strength, *self.eps)
        if not self.finite_sample:
            return weights
        try:
            # The target depends on kappa, which barely moves with the target: iterate.
            for _ in range(3):
                target = finite_sample_target(
                    n_source, n_rows, weights.kappa(), self.pairing is Pairing.BALANCED
                )
                weights = solve_epbeta(self.mix_strength, *self.eps, target_rho=target)
            return weights
        except MixsynthError:
            warnings.warn(
                f"the finite-sample correction is out of reach for a group of {n_source} "
                "rows; using variance factor 1 there",
                MixsynthWarning,
                stacklevel=2,
            )
            return solve_epbeta(self.mix_strength, *self.eps)


@dataclass
class Generation:
    """One synthesized table and what happened while making it."""

    index: int  #: 1 for the first generation
    frame: Any  #: a DataFrame or a pyarrow Table, the type of its source
    weights: WeightDistribution  #: weights of the largest group (all rows without --by)
    out_of_range: dict[str, float] = field(default_factory=dict)  #: share before bounds
    source_rows: int = 0  #: rows of the table it was made from
    balanced: bool = True  #: anchors drawn as a balanced tiling
    rule_swaps: int = 0  #: rows whose weight was swapped to keep an inequality (rules)
    rule_repairs: int = 0  #: rows that took tied columns from their donor to keep a rule

    def expected_variance_factor(self) -> float:
        """The theory's E[s^2 this generation] / s^2 its source (ddof=1), finite n included.

        rho alone is the factor on the n-divided variance; this adds the resampling
        terms (docs/theory.md, "What mixsynth adds"). Without --by it is exact.
        """
        return sample_variance_factor(
            self.weights.theory(), self.source_rows, len(self.frame), self.balanced
        )


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
    match_shapes: bool = DEFAULTS.match_shapes,
    rules: Sequence[Any] = DEFAULTS.rules,
    detect_rules: bool = DEFAULTS.detect_rules,
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
        match_shapes=bool(match_shapes),
        rules=tuple(rules),
        detect_rules=bool(detect_rules),
    )
    options.check()
    return options
