"""MixupSynthesizer given what a hostile or careless caller gives: every mistake a
MixsynthError saying what is wrong (never a raw MemoryError, numpy error or OSError),
and a saved model, which holds real rows, written for its owner only and never run
before it is known to be mixsynth's."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pandas as pd
import pytest

from mixsynth import MixupSynthesizer
from mixsynth.errors import MixsynthError, MixsynthWarning
from tests.conftest import SAMPLE_DATA


@pytest.fixture(scope="module")
def fitted() -> MixupSynthesizer:
    return MixupSynthesizer(seed=1).fit(pd.read_csv(SAMPLE_DATA / "penguins.csv"))


def test_a_sample_too_large_for_memory_is_refused_before_any_work(fitted) -> None:
    with pytest.raises(MixsynthError, match="num_rows"):
        fitted.sample(10**12)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", [1, -2]])
def test_bad_seeds_are_refused_clearly(fitted, seed) -> None:
    with pytest.raises(MixsynthError, match="seed"):
        fitted.sample(5, seed=seed)
    with pytest.raises(MixsynthError, match="seed"):
        MixupSynthesizer(seed=seed)


def test_conditions_given_as_text_are_refused_not_read_letter_by_letter(fitted) -> None:
    with pytest.raises(MixsynthError, match=r"conditions must be a dict.*'species': 'Adelie'"):
        fitted.sample(5, conditions="species=Adelie")


@pytest.mark.parametrize("where", ["missing folder/model.pkl", "a folder", "read-only/m.pkl"])
def test_saving_to_a_bad_path_is_one_clear_error(fitted, tmp_path: Path, where: str) -> None:
    (tmp_path / "a folder").mkdir()
    (tmp_path / "read-only").mkdir(mode=0o500)
    if os.geteuid() == 0 and where.startswith("read-only"):
        pytest.skip("root writes into read-only folders")
    with pytest.warns(MixsynthWarning), pytest.raises(MixsynthError, match="cannot save"):
        fitted.save(tmp_path / where)


def test_a_saved_model_is_readable_by_its_owner_only(fitted, tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    with pytest.warns(MixsynthWarning):
        fitted.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pd.testing.assert_frame_equal(
        MixupSynthesizer.load(path).sample(5, seed=3), fitted.sample(5, seed=3)
    )


class Alarm:
    """Pickled, it makes a file when unpickled: what a hostile file would do worse."""

    def __reduce__(self):
        return (Path.touch, (Path(os.environ["MIXSYNTH_ALARM"]),))


def test_load_never_unpickles_a_file_that_is_not_mixsynths(tmp_path: Path, monkeypatch) -> None:
    alarm = tmp_path / "ran"
    monkeypatch.setenv("MIXSYNTH_ALARM", str(alarm))
    hostile = tmp_path / "hostile.pkl"
    hostile.write_bytes(pickle.dumps({"mixsynth_synthesizer": 1, "synthesizer": Alarm()}))
    with pytest.raises(MixsynthError, match=r"not a saved MixupSynthesizer.*trust"):
        MixupSynthesizer.load(hostile)
    assert not alarm.exists()
