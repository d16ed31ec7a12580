"""The attack risks are anonymeter's with the roles the report states: the training
rows attacked, the holdout as control. Copies of the training rows are linkable and
their secrets inferable; copies of the holdout (rows the synthesizer never saw) score
no more than the control, whose risk is 0 by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.metrics.attacks import attacks


def people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n).astype(float),
            "income": np.round(rng.lognormal(10, 0.6, n), 0),
            "score": np.round(rng.normal(600, 80, n), 0),
            "region": pd.Series(rng.choice([f"r{i}" for i in range(12)], n), dtype=object),
        }
    )


@pytest.mark.slow  # about 10 s of CPU: anonymeter's multivariate singling out
def test_copies_of_the_training_rows_are_at_risk_and_of_the_holdout_not() -> None:
    pytest.importorskip("anonymeter")  # the privacy extra
    train, holdout = people(120, 1), people(120, 2)
    copies = attacks(train, holdout, train.sample(frac=1, random_state=3), n_attacks=20)
    fresh = attacks(train, holdout, holdout.sample(frac=1, random_state=3), n_attacks=20)
    assert copies["linkability"]["ci"][0] > 0.3
    assert copies["inference"]["region"]["ci"][0] > 0.3
    for risk in (fresh["linkability"], fresh["inference"]["region"]):
        assert risk["ci"][0] == 0  # a fresh sample's interval holds 0


@pytest.mark.slow  # about 10 s of CPU: anonymeter's multivariate singling out
def test_a_number_guessed_within_five_percent_is_inferred() -> None:
    """Near-copies (every number 1% off its training row's) give a training row's
    income away as surely as copies; counted only when exact, the risk read 0."""
    pytest.importorskip("anonymeter")
    train, holdout = people(120, 1), people(120, 2)
    near = train.sample(frac=1, random_state=3).reset_index(drop=True)
    for name in ("age", "income", "score"):
        near[name] = near[name] * 1.01
    found = attacks(train, holdout, near, n_attacks=20)
    assert found["inference"]["income"]["ci"][0] > 0.3
