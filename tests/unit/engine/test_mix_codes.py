"""Numeric codes mixed and rounded (``mix_codes``, docs/privacy.md "Ordinal codes"), the
privacy target's last lever, and the search taking the whole input's column types."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixsynth.engine.target as target
from mixsynth.columns import infer_schema
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import table_semantics
from mixsynth.jobs.target import choose_privacy_settings
from mixsynth.semantics.types import SemanticType


def scores(rows: int, seed: int) -> pd.DataFrame:
    """Five ratings 1-10 driven by one latent score, and a label: a table of associated
    codes, where every lever but mixing leaves each row one real row's combination."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=rows)
    frame = pd.DataFrame(
        {
            f"score{k}": np.clip(
                np.round(5.5 + 2 * latent + rng.normal(scale=1.5, size=rows)), 1, 10
            )
            for k in range(5)
        }
    ).astype(int)
    frame["label"] = np.where(latent > 0, "high", "low")
    return frame


def sdtypes(frame: pd.DataFrame, options: SynthesisOptions) -> dict[str, SemanticType]:
    semantics = table_semantics(frame, infer_schema(frame, options.categorical), options)
    return {name: column.sdtype for name, column in semantics.columns.items()}


def test_only_codes_of_three_or_more_whole_values_are_mixed() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "rating": rng.integers(1, 6, 300),
            "pair": rng.integers(1, 3, 300),  # two values: a label
            "halves": rng.integers(0, 6, 300) / 2,  # 0, 0.5, ...: not whole
            "gaps": np.where(rng.random(300) < 0.05, np.nan, rng.integers(1, 8, 300)),
            "kind": rng.choice(["a", "b"], 300),
        }
    )
    default = sdtypes(frame, SynthesisOptions())
    assert set(default.values()) == {SemanticType.CATEGORICAL}
    mixed = sdtypes(frame, SynthesisOptions(mix_codes=True))
    numerical = {name for name, sdtype in mixed.items() if sdtype is SemanticType.NUMERICAL}
    assert numerical == {"rating", "gaps"}
    forced = sdtypes(frame, SynthesisOptions(mix_codes=True, categorical=("rating",)))
    assert forced["rating"] is SemanticType.CATEGORICAL  # --categorical wins


def test_mixed_codes_stay_whole_in_range_and_keep_their_variance() -> None:
    """The variance of each code, in expectation over 200 runs, within 4 standard errors
    of the input's (the generalized weights' promise; rounding's share given back)."""
    real = scores(400, 0)
    codes = [name for name in real if name != "label"]
    ratios = []
    for seed in range(200):
        synthetic = synthesize(real, SynthesisOptions(mix_codes=True), np.random.default_rng(seed))
        out = synthetic.frame
        assert all(out[name].dtype == real[name].dtype for name in codes)
        assert out[codes].min().min() >= 1 and out[codes].max().max() <= 10
        ratios.append([out[name].var() / real[name].var() for name in codes])
    ratios = np.array(ratios)
    error = ratios.std(axis=0, ddof=1) / np.sqrt(len(ratios))
    assert np.all(np.abs(ratios.mean(axis=0) - 1) < 4 * error)


def share_of_real_rows(real: pd.DataFrame, rows: pd.DataFrame, differing: int = 0) -> float:
    """The share of ``rows`` that differ from some real row in at most ``differing``
    columns."""
    differences = rows[real.columns].to_numpy()[:, None, :] != real.to_numpy()[None, :, :]
    return float(np.mean(differences.sum(axis=2).min(axis=1) <= differing))


def test_mixed_codes_make_new_combinations() -> None:
    """Copied from the donor (the default), a row is a real row but for the column the
    copy repair changed (or the two, on a new row it swapped a value with), and every
    column keeps its counts; from near rows each rating follows its parent rating from
    another row (docs/privacy.md), so no more rows are within one column of a real row
    than in a fresh sample; mixed, most rows are farther from every real row. Either way
    no more rows are real ones than in a fresh sample (+ 4 binomial standard errors)."""
    real, fresh = scores(600, 1), scores(600, 2)
    settings = {
        "copied": SynthesisOptions(),
        "near": SynthesisOptions(copy_neighbours=5),
        "mixed": SynthesisOptions(mix_codes=True, copy_neighbours=5),
    }
    made = {
        name: synthesize(real, options, np.random.default_rng(0)).frame
        for name, options in settings.items()
    }
    fresh_copies = share_of_real_rows(real, fresh)
    error = np.sqrt(fresh_copies * (1 - fresh_copies) / len(fresh))
    for rows in made.values():
        assert share_of_real_rows(real, rows) <= fresh_copies + 4 * error
    assert share_of_real_rows(real, made["copied"], differing=2) == 1.0
    assert share_of_real_rows(real, made["copied"], differing=1) > 0.99
    for name in real.columns:
        made_counts, real_counts = (
            t[name].value_counts().sort_index() for t in (made["copied"], real)
        )
        assert made_counts.equals(real_counts), name
    fresh_near = share_of_real_rows(real, fresh, differing=1)
    near_error = np.sqrt(fresh_near * (1 - fresh_near) / len(fresh))
    assert share_of_real_rows(real, made["near"], differing=1) <= fresh_near + 4 * near_error
    assert share_of_real_rows(real, made["mixed"], differing=1) < 0.9


def test_near_rows_on_a_table_of_one_group_release_no_real_row() -> None:
    """Every column copied and associated (one group): each row takes the group from
    another row's donor, a whole real row; the copy repair makes it a new combination
    unless a fresh sample would hold it too (a combination two real rows share)."""
    real = scores(600, 1)
    synthetic = synthesize(real, SynthesisOptions(copy_neighbours=5), np.random.default_rng(1))
    counts = real.value_counts()
    shared = counts[counts > 1].reset_index()[list(real.columns)]
    released = synthetic.frame.merge(real.drop_duplicates(), how="inner")
    unique_released = released.merge(shared, how="left", indicator=True)["_merge"] == "left_only"
    assert not unique_released.any()


@pytest.fixture
def short_search(monkeypatch):
    monkeypatch.setattr(target, "TARGET_MARGINS", (0.0, 0.3))
    monkeypatch.setattr(target, "TARGET_MEASURED_ROWS", 300)


def test_the_search_mixes_codes_last(short_search, monkeypatch) -> None:
    """Ratings and a serial number: the codes are mixed in the last three trials only.
    Near rows already give each row a new combination of ratings (each follows its
    parent rating from another row) and reach the target there; where nothing before
    them reaches it (a share that only mixed codes meet), the codes are mixed."""
    real = scores(400, 3)
    real["serial"] = np.random.default_rng(9).integers(10**6, 2 * 10**6, len(real))
    options = SynthesisOptions(privacy_target=0.6)
    order = target._settings(real, options)
    assert order[-3:] == [
        (0.0, 5, False, 2, True),
        (0.3, 5, False, 2, True),
        (0.0, 5, False, 4, True),
    ]
    assert not any(setting[-1] for setting in order[:-3])
    choice = choose_privacy_settings(real, options, seed=0)
    assert choice.reached and choice.chosen.copy_neighbours and not choice.chosen.mix_codes
    made: list[SynthesisOptions] = []

    def recording(table, options, rng, reference):
        made.append(options)
        return synthesize(table, options, rng, reference)

    monkeypatch.setattr(target, "synthesize", recording)
    forced = target.choose_margin(
        real, options, 0.6, 0, lambda *tables: 0.5 if made[-1].mix_codes else 0.9
    )
    assert forced.reached and forced.chosen.mix_codes
    assert all(trial.share == 0.9 for trial in forced.tried if not trial.mix_codes)
    assert forced.record()["mix_codes"] is True and "codes mixed" in forced.describe()


def test_a_table_without_codes_to_mix_has_no_such_trial(short_search) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "kind": rng.choice(["a", "b"], 200)})
    assert not any(setting[-1] for setting in target._settings(frame, SynthesisOptions()))


def test_the_halves_take_the_whole_inputs_column_types(short_search, monkeypatch) -> None:
    """`id` repeats on the whole input (numbers, mixed) but is all distinct on a half
    (keys, made up): the search's trials treat it as the real run will, and say nothing
    about keys made up."""
    seen = []

    def recording(table, options, rng, reference):
        seen.append(reference.semantics.columns["id"].sdtype)
        return synthesize(table, options, rng, reference)

    monkeypatch.setattr(target, "synthesize", recording)
    rng = np.random.default_rng(0)
    rows = 300
    ids = np.arange(rows) + 1000
    ids[-1] = ids[0]  # one repeat: a half without it is all distinct
    frame = pd.DataFrame(
        {"id": ids, "x": rng.normal(size=rows), "kind": rng.choice(list("ab"), rows)}
    )
    assert sdtypes(frame, SynthesisOptions())["id"] is SemanticType.NUMERICAL
    assert sdtypes(frame.iloc[:150], SynthesisOptions())["id"] is SemanticType.ID
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        choose_privacy_settings(frame, SynthesisOptions(privacy_target=0.9), seed=0)
    assert not [w for w in said if "made up" in str(w.message)]
    assert seen and set(seen) == {SemanticType.NUMERICAL}  # every trial mixes it
