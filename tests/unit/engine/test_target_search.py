"""The privacy target's search (mixsynth.engine.target): its order of settings, and
what it caches between trials (each half's Reference and semantics) changing nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mixsynth.engine.target as target
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.jobs.target import choose_privacy_settings
from mixsynth.metrics import dcr_share


def table(rows: int = 240, seed: int = 0) -> pd.DataFrame:
    """Numbers a category explains, and a second category: every lever applies."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(["a", "b", "c"], rows)
    shift = pd.Series(kind).map({"a": 0.0, "b": 2.0, "c": 4.0}).to_numpy()
    return pd.DataFrame(
        {
            "x": shift + rng.normal(size=rows),
            "y": rng.gamma(2.0, size=rows),
            "kind": kind,
            "flag": rng.choice(["p", "q"], rows),
        }
    )


@pytest.fixture
def short_search(monkeypatch):
    """Two margins and one split of the half: the whole order, cheaply."""
    monkeypatch.setattr(target, "TARGET_MARGINS", (0.0, 0.3))
    monkeypatch.setattr(target, "TARGET_MEASURED_ROWS", 100)


def test_four_donors_come_after_the_margins_with_shapes_matched(short_search) -> None:
    order = target._settings(table(), SynthesisOptions(privacy_target=0.6))
    assert order == [
        (0.0, 0, False, 2, False),
        (0.0, 5, False, 2, False),
        (0.3, 5, False, 2, False),
        (0.0, 5, False, 4, False),
        (0.0, 0, True, 2, False),
        (0.3, 0, True, 2, False),
        (0.0, 0, True, 4, False),
    ]
    trial = target.Trial(0.0, 5, False, 4, False, 0.5)
    options = trial.options(SynthesisOptions(privacy_target=0.6))
    shapes = (options.match_shapes, options.shapes_between)
    assert (options.donors, shapes, options.privacy_target) == (4, (False, True), None)
    # --match-shapes given: the shapes stay exactly the source's values, as asked.
    exact = trial.options(SynthesisOptions(privacy_target=0.6, match_shapes=True))
    assert (exact.match_shapes, exact.shapes_between) == (True, False)
    # Four donors given by the user: every trial with them, no margin.
    given = target._settings(table(), SynthesisOptions(privacy_target=0.6, donors=4))
    assert given == [(0.0, 0, False, 4, False), (0.0, 5, False, 4, False), (0.0, 0, True, 4, False)]


def test_the_caches_change_no_share_and_no_choice(short_search, monkeypatch) -> None:
    """Every trial's share with the caches (choose_privacy_settings) equals, exactly,
    the share with each trial's Reference and each share's semantics made afresh."""
    real = table()
    options = SynthesisOptions(privacy_target=0.51)  # out of reach: every setting tried
    cached = choose_privacy_settings(real, options, seed=1)
    assert len(cached.tried) == 7

    def afresh(half, holdout, synthetic) -> float:
        return dcr_share(half, holdout, synthetic)

    monkeypatch.setattr(target._References, "of", lambda self, half, o: Reference.of(half, o))
    monkeypatch.setattr(
        target, "synthesize", lambda half, o, rng, reference: synthesize(half, o, rng)
    )
    fresh = target.choose_margin(real, options, 0.51, 1, afresh)
    assert fresh.tried == cached.tried
    assert fresh.chosen == cached.chosen


@pytest.mark.slow
def test_on_a_numerical_table_four_donors_go_farther_than_every_margin() -> None:
    """Half of breast cancer (docs/privacy.md): every margin misses 0.6, four donors
    come next and measure a lower share than margin 0.5, and are chosen."""
    from mixsynth.io import read_table
    from tests.conftest import SAMPLE_DATA

    real = read_table(SAMPLE_DATA / "breast_cancer.csv").frame
    order = np.random.default_rng(0).permutation(len(real))[: len(real) // 2]
    half = real.iloc[order].reset_index(drop=True)
    choice = choose_privacy_settings(half, SynthesisOptions(privacy_target=0.6), seed=0)
    *margins, four = choice.tried
    assert all(trial.donors == 2 and trial.share > 0.6 for trial in margins)
    assert (four.donors, four.margin, four.copy_neighbours) == (4, 0.0, 5)
    assert four.share < margins[-1].share and margins[-1].margin == 0.5
    assert choice.chosen == four
