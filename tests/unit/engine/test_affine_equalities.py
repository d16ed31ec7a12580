"""THEORY §10: the weights of a synthetic row sum to 1, so every affine equality of the
numeric columns (a total, shares summing to 1, a fixed multiple plus a constant) holds
in every synthetic row, for every weight (inside [0, 1] or not), over generations.
Checked through the engine on plain mixing (no bounds, no rounding, no repair of rows
that equal a donor: those come after mixing and are the rules' business), up to float64
rounding of the row's values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import WeightDistribution


def ledger(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.gamma(2.0, 50.0, n), rng.normal(100.0, 30.0, n)
    share = rng.beta(2.0, 5.0, n)
    return pd.DataFrame(
        {"a": a, "b": b, "total": a + b, "share_a": share, "share_b": 1 - share,
         "scaled": 3.5 * a - 20.0}
    )  # fmt: skip


WEIGHTS = {
    "vanilla Beta(0.2, 0.2)": SynthesisOptions(method=Method.VANILLA),
    "generalized default": SynthesisOptions(),
    "paper's EpBeta": SynthesisOptions(weights=WeightDistribution(4.34, 1.33, 0.3, 0.3)),
    "wide EpBeta (weights in [-3, 4])": SynthesisOptions(
        weights=WeightDistribution(0.5, 0.5, 3, 3)
    ),
}


@pytest.mark.parametrize("name", list(WEIGHTS))
@pytest.mark.parametrize("pairing", [Pairing.BALANCED, Pairing.IID])
def test_every_affine_equality_holds_in_every_row(name: str, pairing: Pairing) -> None:
    source = ledger(400, 1)
    plain = SynthesisOptions(
        method=WEIGHTS[name].method,
        weights=WEIGHTS[name].weights,
        pairing=pairing,
        bounds=Bounds.NONE,
        semantics=False,
        round_decimals=False,
        keep_copies=True,
    )
    for generation in run_generations(source, plain, 5, seed=2):
        out = generation.frame
        # float64: each value is x_j + w (x_i - x_j), exact to a few ulps of the donors'
        # magnitude, which grows with the extrapolation; 1e-9 of it is ample and far
        # below what a broken rule would show (totals of hundreds).
        scale = 1e-9 * (1 + out[["a", "b", "total"]].abs().to_numpy().max())
        np.testing.assert_allclose(out["total"], out["a"] + out["b"], rtol=0, atol=scale)
        np.testing.assert_allclose(out["share_a"] + out["share_b"], 1.0, rtol=0, atol=1e-9)
        np.testing.assert_allclose(out["scaled"], 3.5 * out["a"] - 20.0, rtol=0, atol=4 * scale)
    if WEIGHTS[name].weights is not None:  # the extrapolating weights really left [0, 1]
        assert not out["total"].between(source["total"].min(), source["total"].max()).all()
