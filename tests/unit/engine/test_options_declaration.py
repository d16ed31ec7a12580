"""The synthesis options are declared once (SynthesisOptions' fields): the CLI's flags,
the Python API's parameters and the defaults of both agree with the declaration, and
nothing else sneaks in."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import typer

from mixsynth import MixupOverSampler, MixupSynthesizer
from mixsynth.cli import app
from mixsynth.cli.common import flag_default, options_from_flags
from mixsynth.engine.given import declared, given_default, synthesis_options
from mixsynth.engine.options import SynthesisOptions

#: generate's own parameters: how a run is done, not how a table is synthesized.
GENERATE_RUN_PARAMETERS = {
    "input",
    "output",
    "out_dir",
    "generations",
    "seed",
    "report",
    "format",
    "input_format",
    "encoding",
    "resume",
    "holdout",
    "force",
    "quiet",
    "scale",  # a folder of linked tables: rows of the tables without a parent
    "where",
    "balance",
    "only_new",
    "engine",
    "scheduler",
    "workers",
    "memory_limit",
    "dashboard",
    "shuffle",
    "partition_rows",
}


def command_params(name: str) -> dict:
    return {p.name: p for p in typer.main.get_command(app).commands[name].params}


def test_every_field_of_the_options_is_declared():
    names = [f.name for f in dataclasses.fields(SynthesisOptions)]
    assert names == list(declared())


def test_generate_has_a_flag_per_declared_option_as_declared():
    params = command_params("generate")
    for name, (spec, _) in declared().items():
        param = params[name]
        spelled = list(spec.flags) or [f"--{name.replace('_', '-')}"]
        assert param.opts == spelled, name
        if spec.accepts is bool:  # Typer adds the --no- form of a flag
            assert param.secondary_opts == [f"--no-{name.replace('_', '-')}"], name
        assert param.help == spec.help, name
        assert param.default == flag_default(name), name


def test_generate_takes_nothing_but_the_declared_options_and_its_run_parameters():
    params = set(command_params("generate"))
    assert params - set(declared()) == GENERATE_RUN_PARAMETERS
    assert not GENERATE_RUN_PARAMETERS & set(declared())


def test_the_weights_command_shares_the_declared_weight_options():
    params = command_params("weights")
    for name in ("method", "weights", "mix_strength", "eps", "finite_sample"):
        spec, _ = declared([name])[name]
        assert params[name].help == spec.help
        assert params[name].default == flag_default(name)


def test_the_synthesizer_takes_the_declared_options_with_their_annotations_and_defaults():
    parameters = inspect.signature(MixupSynthesizer).parameters
    python = [name for name, (spec, _) in declared().items() if spec.python]
    assert set(parameters) == {"metadata", "seed", *python}
    assert "rows" not in parameters  # sample(num_rows) says how many
    assert next(iter(parameters)) == "metadata"  # positional first, as in SDV
    for name in python:
        spec, _ = declared([name])[name]
        assert parameters[name].annotation == spec.accepts, name
        assert parameters[name].default == given_default(name), name
    with pytest.raises(TypeError, match="unexpected keyword argument 'rows'"):
        MixupSynthesizer(rows=10)


def test_the_over_sampler_takes_the_declared_method_and_weights():
    parameters = inspect.signature(MixupOverSampler).parameters
    for name in ("method", "weights"):
        spec, _ = declared([name])[name]
        assert parameters[name].annotation == spec.accepts
        assert parameters[name].default == given_default(name)
    sampler = MixupOverSampler(method="vanilla")
    assert sampler.get_params()["method"] == "vanilla"  # scikit-learn reads it back
    with pytest.raises(TypeError, match="unexpected keyword argument 'bounds'"):
        MixupOverSampler(bounds="clip")


def test_the_defaults_of_the_cli_the_api_and_the_dataclass_are_one():
    from_flags = options_from_flags({name: flag_default(name) for name in declared()})
    assert from_flags == synthesis_options() == SynthesisOptions()
    assert MixupSynthesizer().options == SynthesisOptions()


def test_a_value_given_on_the_cli_and_in_python_is_stored_alike():
    from_flags = options_from_flags(
        {"eps": "0.05,0.2", "weights": "beta:0.2", "by": ["species"], "bounds": "clip"}
    )
    from_python = synthesis_options(
        eps=(0.05, 0.2), weights="beta:0.2,0.2", by="species", bounds="clip"
    )
    assert from_flags == from_python
    assert from_python.eps == (0.05, 0.2) and from_python.by == ("species",)
