"""How a synthesis option is declared (:class:`Declared`, :func:`option`) and the
converters its declaration names: what a user gives (a string, a number, a list) turned
into what :class:`~mixsynth.engine.options.SynthesisOptions` stores. Apart from the
options themselves, so that the declarations read as a list of fields there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

import numpy as np

from mixsynth.engine.weights import DEFAULT_EPS
from mixsynth.errors import OptionError, warn

E = TypeVar("E", bound=Enum)


def choice(enum: type[E], value: E | str, name: str) -> E:
    """An enum member from itself or its value, or an OptionError naming the choices."""
    try:
        return enum(value.lower() if isinstance(value, str) else value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in enum)
        raise OptionError(f"unknown {name} {value!r}", f"give one of {choices}") from None


#: Past this, extrapolation dominates: the distortion delta and the random walk of the
#: variance grow quickly (docs/theory.md, "The trade-off").
USEFUL_EPS = 0.5


def parse_eps(text: str) -> tuple[float, float]:
    """'0.1' means eps0 = eps1 = 0.1; '0.05,0.2' sets them apart (the CLI's --eps)."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise OptionError(f"cannot read --eps {text!r}", "give e.g. 0.1 or 0.05,0.2") from None
    if len(values) not in (1, 2):
        raise OptionError(f"--eps takes one or two numbers, got {text!r}")
    if max(values) > USEFUL_EPS:
        warn(
            f"--eps {text} lets a weight reach {-values[0]:g} or {1 + values[-1]:g}, far outside "
            f"the theory's useful range (at most {USEFUL_EPS:g}; the default is {DEFAULT_EPS:g}): "
            "synthetic rows extrapolate far beyond their donors and the shapes distort",
            stacklevel=2,
        )
    return values[0], values[-1]


def eps_pair(value: float | tuple[float, float]) -> tuple[float, float]:
    eps0, eps1 = (value, value) if isinstance(value, int | float) else tuple(value)
    return float(eps0), float(eps1)


def flag(value: Any) -> bool:
    """A yes/no option: True or False (numpy's too), not a string or a number that would
    read as True."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError("a flag is True or False")
    return bool(value)


def column_names(value: Sequence[str] | str | None) -> tuple[str, ...]:
    """Column names as a tuple; one name alone, or None (no flag given), is taken too."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def given_rules(value: Sequence[Any] | str | None) -> tuple:
    """Rules from text (parsed: :func:`mixsynth.rules.parse_rule`) or rule objects."""
    from mixsynth.rules import parse_rule

    rules: list[Any] = []
    for rule in column_names(value):
        rules += parse_rule(rule) if isinstance(rule, str) else [rule]
    return tuple(rules)


#: ``Declared.given`` and ``Declared.flag_default`` when they are the stored default.
STORED: Any = object()


@dataclass(frozen=True, kw_only=True)
class Declared:
    """How users give one synthesis option; the field it declares holds the option's
    name, stored type and default.

    Python callers pass what ``accepts`` says, and ``convert`` stores it. The CLI
    parses ``flag_type`` (default: ``accepts``) under ``flags`` (default: --the-name),
    and ``from_text`` makes what it parsed a value ``convert`` takes.
    """

    help: str  #: the --help text (docs/cli.md is generated from it)
    accepts: Any  #: the Python API's annotation: what a caller may pass
    convert: Callable[[Any], Any] | None = None  #: a given value -> the stored one (None: as is)
    given: Any = STORED  #: the default users see, when it is not the stored one
    flag_type: Any = None  #: the type the CLI parses, when it is not ``accepts``
    flags: tuple[str, ...] = ()  #: the CLI's spelling, when it is not --the-name
    flag_default: Any = STORED  #: the CLI's default, when it is not ``given``
    from_text: Callable[[Any], Any] | None = None  #: the CLI's parsed value -> a given one
    python: bool = True  #: a parameter of MixupSynthesizer (rows is sample's num_rows)


def option(default: Any, **how: Any) -> Any:
    """A field of :class:`SynthesisOptions` with its declaration (see :class:`Declared`)."""
    return field(default=default, metadata={"declared": Declared(**how)})
