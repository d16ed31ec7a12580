"""``mixsynth weights``: what a weight distribution does to the variance."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from mixsynth.choices import (
    Pairing,
)
from mixsynth.cli.app import app, require_stdout
from mixsynth.cli.common import declared_flags, options_from_flags, print_table
from mixsynth.engine.weights import FourDonorWeights, MarginWeights, WeightDistribution
from mixsynth.errors import OptionError

#: The synthesis options that decide the weights (declared in SynthesisOptions).
WEIGHT_OPTIONS = (
    "method",
    "weights",
    "mix_strength",
    "eps",
    "finite_sample",
    "privacy_margin",
    "donors",
)


@app.command("weights")
@declared_flags(WEIGHT_OPTIONS, before="rows")
def weights_command(
    rows: Annotated[
        int | None,
        typer.Option(help="Table size n, for the finite-sample target (default: none, factor 1)."),
    ] = None,
    pairing: Annotated[
        Pairing,
        typer.Option(case_sensitive=False, help="Pairing the finite-sample target assumes."),
    ] = Pairing.BALANCED,
    generations: Annotated[
        int,
        typer.Option(
            "--generations", "-g", help="Show the predicted variance after this many generations."
        ),
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    **options: Any,
) -> None:
    """Show a weight distribution's parameters and what the theory predicts for it.

    Example: mixsynth weights --method vanilla --weights beta:0.2,0.2 -g 10
    """
    require_stdout()
    if generations < 1:
        raise OptionError(f"--generations must be at least 1, got {generations}")
    if rows is not None and rows < 1:
        raise OptionError(f"--rows must be at least 1, got {rows}")
    # Without a table size there is no finite-sample target: variance factor 1.
    options["finite_sample"] = options["finite_sample"] and rows is not None
    synthesis = options_from_flags(options, pairing=pairing)
    distribution = synthesis.weights_for(rows or 0, rows or 0)
    theory = distribution.theory()
    figures = {
        "method": synthesis.method.value,
        "weights": distribution.label(),
        **_parameters(distribution),
        "support": [theory.lower + 0.0, theory.upper + 0.0],  # no -0.0
        "mean": theory.mean,
        "rho": theory.rho,
        "generations": generations,
        "predicted_variance_ratio": theory.variance_after(generations),
        "delta": theory.delta,
        "kappa": theory.kappa,
        "novelty": theory.novelty,
    }
    if as_json:  # a ratio beyond float64 (rho > 1 over many generations) is null
        figures = {k: None if v == float("inf") else v for k, v in figures.items()}
        typer.echo(json.dumps(figures, indent=2))
        return
    table = [["lam ~", _law(distribution)]]
    if isinstance(distribution, MarginWeights):
        table += [
            ["margin D (every row >= D x donor gap from both)", f"{distribution.margin:g}"],
            ["share of extrapolated rows (outer arm)", f"{1 - distribution.q:.6g}"],
        ]
    table += [
        ["support", f"[{theory.lower + 0.0:g}, {theory.upper + 0.0:g}]"],  # no '-0'
        ["E(lam)", f"{theory.mean:.6g}"],
        ["rho (variance factor per generation)", f"{theory.rho:.6g}"],
        [
            f"predicted variance after {generations} generation(s)",
            f"{theory.variance_after(generations):.6g}",
        ],
        ["delta = E(u^2), u = lam(1-lam) (shape distortion)", f"{theory.delta:.6g}"],
        ["kappa = E(max(lam, 1-lam))", f"{theory.kappa:.6g}"],
        ["novelty = E((1-w)^2), w = max(lam, 1-lam)", f"{theory.novelty:.6g}"],
    ]
    if isinstance(distribution, FourDonorWeights):  # the same figures, of four weights
        table[-3:] = [
            ["sum(w^4) (factor on the excess kurtosis)", f"{theory.delta:.6g}"],
            ["kappa = the anchor's weight", f"{theory.kappa:.6g}"],
            ["novelty = 1 - max(w) (least squared distance to a donor)", f"{theory.novelty:.6g}"],
        ]
    print_table(f"{synthesis.method.value} weights: {distribution.label()}", ["", ""], table)


def _parameters(distribution: WeightDistribution | MarginWeights | FourDonorWeights) -> dict:
    """The distribution's own parameters, for --json."""
    if isinstance(distribution, FourDonorWeights):
        return {"donors": 4, "spread": distribution.spread}
    if isinstance(distribution, MarginWeights):
        return {
            "margin": distribution.margin,
            "spread": distribution.spread,
            "q": distribution.q,
            "extrapolated_share": 1 - distribution.q,
        }
    return {
        "alpha": distribution.alpha,
        "beta": distribution.beta,
        "eps0": distribution.eps0,
        "eps1": distribution.eps1,
    }


def _law(distribution: WeightDistribution | MarginWeights | FourDonorWeights) -> str:
    if isinstance(distribution, FourDonorWeights):
        return f"x~ = (x1 + x2)/2 + {distribution.spread:.6g} (x3 - x4), four distinct rows"
    if isinstance(distribution, MarginWeights):
        (in_low, in_high), (out_low, out_high) = distribution.arms
        inner = f"{in_high:g}" if in_low == in_high else f"U[{in_low:g}, {in_high:g}]"
        outer = f"{out_low:g}" if out_low == out_high else f"U[{out_low:g}, {out_high:g}]"
        return (
            f"w = max(lam, 1-lam) = {inner} (probability {distribution.q:.6g}) or {outer}; "
            "lam = w or 1 - w"
        )
    return (
        f"EpBeta(alpha={distribution.alpha:.6g}, beta={distribution.beta:.6g}; "
        f"eps0={distribution.eps0:g}, eps1={distribution.eps1:g})"
    )
