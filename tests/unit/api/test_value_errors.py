"""The error family: bad parameters and data to the estimators are ``ValueError``s, as
scikit-learn and imbalanced-learn users catch them (tests/cli/test_error_exits.py: every
class reaches the CLI's exit 2)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from mixsynth import MixupOverSampler, MixupSynthesizer
from mixsynth.errors import (
    ClusterError,
    InputError,
    LockError,
    MixsynthError,
    NotFittedError,
    OptionError,
    OutputError,
    ResumeError,
)


def test_the_family_under_mixsynth_error() -> None:
    for cls in (OptionError, InputError, OutputError, LockError, ResumeError, ClusterError):
        assert issubclass(cls, MixsynthError)
    assert issubclass(OptionError, ValueError) and issubclass(InputError, ValueError)
    assert issubclass(LockError, OutputError)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    assert not issubclass(OutputError, ValueError) and not issubclass(ResumeError, ValueError)


@pytest.mark.parametrize("cls", [OptionError, InputError, LockError, ClusterError])
def test_an_error_keeps_its_class_through_pickle(cls) -> None:
    """Errors raised on Dask workers travel back to the client pickled."""
    back = pickle.loads(pickle.dumps(cls("what is wrong", "how to fix it")))
    assert type(back) is cls
    assert str(back) == "what is wrong (how to fix it)"


# --------------------------------------------------------------------------- the API


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=60), "k": rng.integers(0, 3, 60)})


@pytest.mark.parametrize(
    "parameters",
    [
        {"method": "bogus"},
        {"weights": "nonsense"},
        {"weights": "beta:-1"},
        {"mix_strength": 1.5},
        {"eps": -1.0},
        {"bounds": "nope"},
        {"pairing": "sideways"},
        {"by": "no such column"},
        {"categorical": ["no such column"]},
        {"metadata": {"columns": 3}},
        {"method": "vanilla", "weights": "epbeta:2,2,0.1,0.1"},
    ],
)
def test_bad_synthesizer_parameters_are_value_errors(parameters: dict) -> None:
    with pytest.raises(ValueError) as caught:
        MixupSynthesizer(**parameters).fit(frame())
    assert isinstance(caught.value, OptionError)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("mix_strength", "abc"),
        ("eps", (0.1, 0.2, 0.3)),
        ("eps", "abc"),
        ("by", 5),
        ("categorical", 7),
        ("finite_sample", "maybe"),  # bool("maybe") would be True
        ("match_moments", 1),
    ],
)
def test_values_of_the_wrong_type_name_the_option(name: str, value) -> None:
    """Not Python's own TypeError or ValueError from deep inside: an OptionError that
    names the option and what it takes."""
    with pytest.raises(OptionError) as caught:
        MixupSynthesizer(**{name: value})
    assert str(caught.value).startswith(f"{name} cannot be {value!r} (")
    assert "(give " in str(caught.value)


def test_numpy_booleans_are_flags() -> None:
    synthesizer = MixupSynthesizer(semantics=np.False_, match_moments=np.True_)
    assert synthesizer.options.semantics is False and synthesizer.options.match_moments is True


@pytest.mark.parametrize("num_rows", [0, -3, 2.5, "ten"])
def test_bad_sample_sizes_are_value_errors(num_rows) -> None:
    synthesizer = MixupSynthesizer(seed=0).fit(frame())
    with pytest.raises(ValueError) as caught:
        synthesizer.sample(num_rows)
    assert isinstance(caught.value, OptionError)


def test_bad_generation_counts_and_data_are_value_errors() -> None:
    synthesizer = MixupSynthesizer(seed=0).fit(frame())
    with pytest.raises(OptionError):
        list(synthesizer.generations(0))
    with pytest.raises(ValueError) as caught:
        MixupSynthesizer().fit(frame().iloc[:0])
    assert isinstance(caught.value, InputError)


def test_sampling_before_fit_is_what_scikit_learn_raises() -> None:
    """scikit-learn's NotFittedError is both a ValueError and an AttributeError."""
    for handler in (ValueError, AttributeError, NotFittedError):
        with pytest.raises(handler):
            MixupSynthesizer().sample(5)


X = np.random.default_rng(1).normal(size=(60, 2))
Y = np.array([0] * 50 + [1] * 10)


@pytest.mark.parametrize(
    "parameters",
    [
        {"sampling_strategy": "bogus"},
        {"sampling_strategy": 1.5},
        {"sampling_strategy": -0.5},
        {"sampling_strategy": {7: 100}},
        {"sampling_strategy": {1: 5}},  # fewer rows than the class has: over-sampling only
        {"sampling_strategy": [1]},
        {"k_neighbors": 0},
        {"k_neighbors": "3"},
        {"random_state": "seven"},
        {"method": "zz"},
        {"weights": "zz"},
    ],
)
def test_bad_oversampler_parameters_are_value_errors_at_fit(parameters: dict) -> None:
    """imbalanced-learn's habit: the estimator is built without checks, fit refuses."""
    sampler = MixupOverSampler(**parameters)  # no error yet
    with pytest.raises(ValueError) as caught:
        sampler.fit_resample(X, Y)
    assert isinstance(caught.value, OptionError)


@pytest.mark.parametrize(
    ("features", "labels"),
    [
        (X, Y[:10]),  # one label per row
        (X, np.zeros(60)),  # one class
        (X, np.r_[Y[:-1].astype(float), np.nan]),  # a missing label
        (X.reshape(60, 2, 1), Y),  # 3-D features
        (X, np.stack([Y, Y], axis=1)),  # 2-D labels
    ],
)
def test_bad_oversampler_data_are_value_errors(features, labels) -> None:
    with pytest.raises(ValueError) as caught:
        MixupOverSampler().fit_resample(features, labels)
    assert isinstance(caught.value, InputError)
