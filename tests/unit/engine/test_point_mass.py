"""A point mass (a spend of 0 on a free plan) comes from the dominant donor, as the
categories do: on a hand-made table the link plan = free <=> spend = 0 holds in every
synthetic row, and with balanced anchors and as many rows as the source every source
row is the dominant donor once, so the share at the mass is the source's exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.engine.memory import run_generations, synthesize
from mixsynth.engine.options import SynthesisOptions


def plans(n: int, free: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    plan = np.array(["free"] * free + ["paid"] * (n - free), dtype=object)
    spend = np.where(plan == "free", 0.0, np.round(rng.gamma(3.0, 10.0, n) + 5, 2))
    order = rng.permutation(n)
    return pd.DataFrame({"plan": plan[order], "spend": spend[order], "age": rng.normal(40, 9, n)})


@pytest.mark.parametrize(("n", "free", "seed"), [(300, 120, 1), (101, 17, 2)])
def test_point_mass_share_is_exact_and_follows_the_dominant_donor(n, free, seed) -> None:
    source = plans(n, free, seed)
    out = synthesize(source, SynthesisOptions(), np.random.default_rng(seed)).frame
    at_mass = out["spend"].to_numpy() == 0
    assert not out["spend"].isna().any()
    assert at_mass.sum() == free  # each source row the dominant donor once
    assert np.array_equal(at_mass, (out["plan"] == "free").to_numpy())
    assert out.loc[~at_mass, "spend"].min() >= source.loc[source["spend"] > 0, "spend"].min()


def test_point_mass_link_holds_over_generations() -> None:
    source = plans(200, 70, 3)
    for generation in run_generations(source, SynthesisOptions(), 4, seed=3):
        frame = generation.frame
        at_mass = frame["spend"].to_numpy() == 0
        assert at_mass.sum() == 70, generation.index  # each generation keeps the share
        assert np.array_equal(at_mass, (frame["plan"] == "free").to_numpy()), generation.index
