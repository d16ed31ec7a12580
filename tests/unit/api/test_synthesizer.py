"""MixupSynthesizer: fit once, sample many times, as SDV users expect.

What this guards: the top-level names are importable without importing pandas or
scikit-learn; fit accepts DataFrames, Arrow tables and paths and sampling returns the
same type; a seed makes a call reproducible and no seed advances the synthesizer's own
generator; sampling is the engine's synthesize (a thin layer); conditions mix only
inside matching rows and are refused clearly where they cannot work; save/load keeps
the state and warns that the file holds real rows.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mixsynth import Condition, MixupSynthesizer
from mixsynth.engine.memory import run_generations, synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.errors import MixsynthError, MixsynthWarning
from mixsynth.io import read_arrow
from mixsynth.semantics import SemanticType, TableMetadata
from mixsynth.semantics.metadata import save_metadata
from tests.conftest import SAMPLE_DATA

PENGUINS = SAMPLE_DATA / "penguins.csv"


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    return pd.read_csv(PENGUINS)


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_import_is_light_and_version_comes_from_metadata() -> None:
    probe = (
        "import json, sys, mixsynth; "
        "print(json.dumps({'version': mixsynth.__version__, "
        "'heavy': [m for m in ('pandas', 'sklearn', 'pyarrow', 'scipy') if m in sys.modules]}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    found = json.loads(done.stdout)
    assert found["heavy"] == []
    assert found["version"] == importlib.metadata.version("mixsynth")


@pytest.mark.system
def test_the_synthesizer_and_its_fit_need_no_scikit_learn() -> None:
    """Only the over-sampler is a scikit-learn estimator: importing the synthesizer ran
    ``mixsynth.api``'s own imports, the over-sampler's among them (1.2 s of every
    ``from mixsynth import MixupSynthesizer``)."""
    probe = (
        "import sys; from mixsynth import MixupSynthesizer; "
        f"MixupSynthesizer(seed=0).fit({str(PENGUINS)!r}).sample(5); "
        "from mixsynth.api import Condition; print('sklearn' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


def test_fit_sample_keeps_the_type_it_was_fitted_on(penguins: pd.DataFrame) -> None:
    synthetic = MixupSynthesizer(seed=0).fit(penguins).sample(50)
    assert isinstance(synthetic, pd.DataFrame)
    assert list(synthetic.columns) == list(penguins.columns)
    assert synthetic.dtypes.equals(penguins.dtypes)
    assert len(synthetic) == 50

    arrow = read_arrow(str(SAMPLE_DATA / "penguins.parquet")).table
    from_arrow = MixupSynthesizer(seed=0).fit(arrow).sample(30)
    assert isinstance(from_arrow, pa.Table)
    assert from_arrow.schema == arrow.schema and from_arrow.num_rows == 30

    from_path = MixupSynthesizer(seed=0).fit(PENGUINS).sample(20)
    assert isinstance(from_path, pd.DataFrame) and len(from_path) == 20


def test_sample_is_the_engines_synthesize(penguins: pd.DataFrame) -> None:
    synthesizer = MixupSynthesizer(method="vanilla", bounds="clip").fit(penguins)
    expected = synthesize(
        penguins,
        SynthesisOptions(
            method=synthesizer.options.method, bounds=synthesizer.options.bounds, rows=77
        ),
        np.random.default_rng(5),
    ).frame
    pd.testing.assert_frame_equal(synthesizer.sample(77, seed=5), expected)


def test_seeds_reproduce_and_no_seed_advances_the_generator(penguins: pd.DataFrame) -> None:
    synthesizer = MixupSynthesizer(seed=3).fit(penguins)
    pd.testing.assert_frame_equal(synthesizer.sample(40, seed=9), synthesizer.sample(40, seed=9))
    first, second = synthesizer.sample(40), synthesizer.sample(40)
    assert not first.equals(second)  # the generator moved on
    again = MixupSynthesizer(seed=3).fit(penguins)
    pd.testing.assert_frame_equal(again.sample(40), first)  # a seeded call did not consume it
    pd.testing.assert_frame_equal(again.sample(40), second)


def test_conditions_mix_only_inside_matching_rows(penguins: pd.DataFrame) -> None:
    # Vanilla weights stay inside [0, 1], so a value mixed from Gentoo rows only must lie
    # inside the Gentoo range; the other species' lighter birds would fall below it.
    synthesizer = MixupSynthesizer(method="vanilla", seed=1).fit(penguins)
    gentoo = penguins[penguins["species"] == "Gentoo"]
    synthetic = synthesizer.sample(2000, conditions={"species": "Gentoo"})
    assert (synthetic["species"] == "Gentoo").all()
    assert set(synthetic["island"]) == {"Biscoe"}
    low, high = gentoo["body_mass_g"].min(), gentoo["body_mass_g"].max()
    assert synthetic["body_mass_g"].dropna().between(low, high).all()
    assert low > penguins["body_mass_g"].min()  # the check could fail


def test_conditions_on_booleans_and_arrow_tables() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "flag": rng.random(200) < 0.3})
    frame.loc[frame["flag"], "x"] += 100.0
    for data in (frame, pa.Table.from_pandas(frame, preserve_index=False)):
        synthesizer = MixupSynthesizer(method="vanilla", seed=0).fit(data)
        for value in (True, "true"):
            synthetic = synthesizer.sample(300, conditions={"flag": value})
            if isinstance(synthetic, pa.Table):
                synthetic = synthetic.to_pandas()
            assert synthetic["flag"].all()
            assert (synthetic["x"] > 90).all()


def test_sample_from_conditions_gives_each_its_rows(penguins: pd.DataFrame) -> None:
    synthesizer = MixupSynthesizer(seed=2).fit(penguins)
    conditions = [
        Condition(num_rows=30, column_values={"species": "Adelie", "island": "Dream"}),
        Condition(num_rows=12, column_values={"sex": "female"}),
    ]
    synthetic = synthesizer.sample_from_conditions(conditions, seed=4)
    assert len(synthetic) == 42
    head, tail = synthetic.iloc[:30], synthetic.iloc[30:]
    assert (head["species"] == "Adelie").all() and (head["island"] == "Dream").all()
    assert (tail["sex"] == "female").all()
    pd.testing.assert_frame_equal(synthesizer.sample_from_conditions(conditions, seed=4), synthetic)


@pytest.mark.parametrize(
    ("conditions", "message", "hint"),
    [
        ({"species": "Emperor"}, "no row has species = 'Emperor'", "'Adelie'"),
        ({"species": "Gentoo", "island": "Dream"}, "no row has all of", "drop one"),
        ({"body_mass_g": 3750.0}, "cannot condition on 'body_mass_g'", "categorical"),
        ({"colour": "red"}, "'colour', which is not a column", "species"),
    ],
)
def test_conditions_refused_with_a_hint(
    penguins: pd.DataFrame, conditions: dict, message: str, hint: str
) -> None:
    synthesizer = MixupSynthesizer(seed=0).fit(penguins)
    with pytest.raises(MixsynthError) as caught:
        synthesizer.sample(5, conditions=conditions)
    assert message in caught.value.message
    assert hint in (caught.value.hint or "")


def test_generations_are_run_generations(penguins: pd.DataFrame) -> None:
    synthesizer = MixupSynthesizer(method="vanilla").fit(penguins)
    made = list(synthesizer.generations(3, seed=11))
    expected = list(run_generations(penguins, synthesizer.options, 3, seed=11))
    assert [g.index for g in made] == [1, 2, 3]
    for ours, theirs in zip(made, expected, strict=True):
        pd.testing.assert_frame_equal(ours.frame, theirs.frame)


def test_save_warns_and_load_continues_the_same_stream(
    tmp_path: Path, penguins: pd.DataFrame
) -> None:
    synthesizer = MixupSynthesizer(seed=8, bounds="reflect").fit(penguins)
    path = tmp_path / "synth.pkl"
    with pytest.warns(MixsynthWarning, match="real rows") as warned:
        synthesizer.save(path)
    assert warned[0].filename == __file__  # pointed at the caller's save(), not mixsynth's
    loaded = MixupSynthesizer.load(path)
    pd.testing.assert_frame_equal(loaded.sample(25), synthesizer.sample(25))
    assert loaded.get_metadata() == synthesizer.get_metadata()

    (tmp_path / "other.pkl").write_bytes(b"not a pickle")
    with pytest.raises(MixsynthError, match="not a saved MixupSynthesizer"):
        MixupSynthesizer.load(tmp_path / "other.pkl")
    with pytest.raises(MixsynthError, match="cannot read"):
        MixupSynthesizer.load(tmp_path / "missing.pkl")


def test_metadata_is_the_engines_semantics_and_overrides_them(
    tmp_path: Path, penguins: pd.DataFrame
) -> None:
    inferred = MixupSynthesizer().fit(penguins).get_metadata()
    assert inferred == Reference.of(penguins, SynthesisOptions()).semantics
    assert inferred["year"].sdtype is SemanticType.CATEGORICAL  # 3 values: a code, copied
    assert inferred["body_mass_g"].sdtype is SemanticType.NUMERICAL
    synthetic = MixupSynthesizer(seed=0).fit(penguins).sample(300, conditions={"year": 2008})
    assert (synthetic["year"] == 2008).all()

    # The same override three ways: a dict, a TableMetadata, a metadata file.
    as_numbers = inferred["year"].with_(sdtype=SemanticType.NUMERICAL, reason="edited")
    path = tmp_path / "meta.json"
    save_metadata(TableMetadata({"year": as_numbers}), path)
    for given in (
        {"columns": {"year": {"sdtype": "numerical"}}},
        TableMetadata({"year": as_numbers}),
        path,
    ):
        synthesizer = MixupSynthesizer(metadata=given, seed=0).fit(penguins)
        assert synthesizer.get_metadata()["year"].sdtype is SemanticType.NUMERICAL
        assert synthesizer.get_metadata()["species"] == inferred["species"]
        with pytest.raises(MixsynthError, match="cannot condition on 'year'"):
            synthesizer.sample(5, conditions={"year": 2008})

    with pytest.warns(MixsynthWarning, match="made up"):
        made_up = MixupSynthesizer(metadata={"columns": {"sex": {"sdtype": "text"}}}).fit(penguins)
    assert not set(made_up.sample(50, seed=1)["sex"].dropna()) & {"male", "female"}
    with pytest.raises(MixsynthError, match=r"cannot condition on 'sex'.*made up"):
        made_up.sample(5, conditions={"sex": "male"})
    with pytest.raises(MixsynthError, match="no known sdtype"):
        MixupSynthesizer(metadata={"columns": {"sex": {"sdtype": "number"}}})
    with pytest.raises(MixsynthError, match="unknown keys: colour"):
        MixupSynthesizer(metadata={"columns": {"sex": {"sdtype": "categorical", "colour": 1}}})


def test_bad_parameters_and_calls(penguins: pd.DataFrame) -> None:
    with pytest.raises(MixsynthError, match="unknown method"):
        MixupSynthesizer(method="smote")
    with pytest.raises(MixsynthError, match="needs weights that leave"):
        MixupSynthesizer(method="generalized", weights="beta:0.2,0.2")
    assert MixupSynthesizer(weights="beta:0.2,0.2").options.method.value == "vanilla"
    with pytest.raises(MixsynthError, match="not fitted"):
        MixupSynthesizer().sample(3)
    with pytest.raises(MixsynthError, match="cannot fit on a ndarray"):
        MixupSynthesizer().fit(np.zeros((3, 2)))
    with pytest.raises(MixsynthError, match="num_rows"):
        MixupSynthesizer().fit(penguins).sample(0)
    with pytest.raises(MixsynthError, match="--by column"):
        MixupSynthesizer(by="colour").fit(penguins)
