"""Options as users give them: the declared fields of
:class:`~mixsynth.engine.options.SynthesisOptions` read back as the Python API's
signatures (:func:`with_options`), their defaults, and what users gave turned into
checked options (:func:`synthesis_options`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from mixsynth.choices import Method
from mixsynth.engine.declared import STORED, Declared
from mixsynth.engine.options import SynthesisOptions
from mixsynth.errors import MixsynthError, OptionError


def declared(names: Iterable[str] | None = None) -> dict[str, tuple[Declared, Any]]:
    """The declared options (all, or ``names``) with their stored defaults, in order."""
    every = {
        f.name: (f.metadata["declared"], f.default)
        for f in fields(SynthesisOptions)
        if "declared" in f.metadata
    }
    return every if names is None else {name: every[name] for name in names}


def given_default(name: str) -> Any:
    """The default users see for option ``name`` (Python API and CLI, before parsing)."""
    spec, stored = declared()[name]
    return stored if spec.given is STORED else spec.given


def with_options(function: Callable, names: Iterable[str] | None = None) -> inspect.Signature:
    """``function``'s signature with its ``**options`` replaced by the declared options
    ``names`` (default: every one the Python API takes), keyword-only, as a caller passes
    them; a parameter of its own that shares an option's name (MixupSynthesizer's
    positional ``metadata``) takes the option's annotation."""
    chosen = declared(names)
    if names is None:
        chosen = {name: entry for name, entry in chosen.items() if entry[0].python}
    own = inspect.signature(function).parameters
    parameters = []
    for parameter in own.values():
        if parameter.kind is not inspect.Parameter.VAR_KEYWORD:
            spec = chosen.get(parameter.name, (None,))[0]
            accepts = parameter.annotation if spec is None else spec.accepts
            parameters.append(parameter.replace(annotation=accepts))
            continue
        parameters += [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=given_default(name),
                annotation=spec.accepts,
            )
            for name, (spec, _) in chosen.items()
            if name not in own
        ]
    return inspect.Signature(parameters, return_annotation=None)


def only_declared(owner: str, given: Mapping[str, Any], names: Iterable[str]) -> None:
    """Refuse an option not among ``names`` as Python refuses an unexpected keyword
    argument (a TypeError): the signatures that take ``**options`` are built, not written."""
    allowed = set(names)
    for name in given:
        if name not in allowed:
            raise TypeError(f"{owner}() got an unexpected keyword argument {name!r}")


def _converted(name: str, spec: Declared, value: Any) -> Any:
    """``value`` as option ``name`` stores it; a value of the wrong type (``mix_strength="a"``,
    ``by=5``, three eps) is an OptionError naming the option, not Python's own error."""
    assert spec.convert is not None
    try:
        return spec.convert(value)
    except MixsynthError:
        raise
    except (TypeError, ValueError) as error:
        accepts = getattr(spec.accepts, "__name__", str(spec.accepts))
        raise OptionError(
            f"{name} cannot be {value!r} ({error})",
            f"give {accepts.replace('collections.abc.', '')}",
        ) from None


def synthesis_options(**given: Any) -> SynthesisOptions:
    """Checked options from what users gave (strings for enums, weight specs, a metadata
    file...); an option not given takes its default. ``method=None`` is generalized
    unless ``weights`` lie in [0, 1]."""
    specs = declared()
    only_declared("synthesis_options", given, specs)
    values = {}
    for name, (spec, _) in specs.items():
        value = given.get(name, given_default(name))
        values[name] = value if spec.convert is None else _converted(name, spec, value)
    if values["method"] is None:
        vanilla = values["weights"] is not None and values["weights"].is_vanilla
        values["method"] = Method.VANILLA if vanilla else SynthesisOptions.method
    if isinstance(given.get("metadata"), str | Path):  # its SDV constraints are rules too
        values["rule_files"] = (str(given["metadata"]), *values["rule_files"])
    options = SynthesisOptions(**values)
    options.check()
    return options
