"""The rules a table obeys, kept in every synthetic row (docs/rules.md).

Rules are found in the data (:mod:`.detect`) or declared (:mod:`.declare`: text,
mixsynth's JSON or TOML, SDV's constraints), checked on the real rows (a declared rule
the data break is refused), kept by the engine (:mod:`.keep`) and reported by compare.
This package sits between the semantics and the engine: the engine calls it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mixsynth.columns import ColumnKind, ColumnSpec, NumericEncoding
from mixsynth.errors import warn
from mixsynth.rules.data import RuleData, check_declared
from mixsynth.rules.declare import load_rules, parse_rule, rules_of
from mixsynth.rules.detect import detect_rules
from mixsynth.rules.model import (
    DatePart,
    Formula,
    Grid,
    Linear,
    Naming,
    Rule,
    TimeIndex,
    Together,
    Unique,
    naming_ties,
    placing,
)
from mixsynth.semantics.types import SemanticType, TableMetadata

__all__ = [
    "DatePart",
    "Formula",
    "Grid",
    "Linear",
    "Naming",
    "Rule",
    "RuleData",
    "TimeIndex",
    "Together",
    "Unique",
    "detect_rules",
    "load_rules",
    "naming_ties",
    "parse_rule",
    "placing",
    "rules_of",
    "table_rules",
]

_COPIED = (SemanticType.CATEGORICAL, SemanticType.BOOLEAN, SemanticType.ORDINAL)


def table_rules(
    table: Any,
    schema: Sequence[ColumnSpec],
    semantics: TableMetadata,
    declared: Sequence[Rule] = (),
    detect: bool = True,
    encodings: Mapping[Any, NumericEncoding] | None = None,
    specs: Sequence[ColumnSpec] | None = None,
) -> list[Rule]:
    """The declared rules (checked on the real rows) and, with ``detect``, the rules every
    real row holds; says in one line which rules mixsynth only reports (not linear).
    ``encodings`` (the mixed columns') and ``specs`` (``infer_schema(table)``), if made
    already (a Reference's)."""
    data = RuleData(table, encodings, specs)
    check_declared(data, declared)
    rules = list(declared)
    if detect:
        meaning = {str(s.name): semantics.columns[str(s.name)] for s in schema}
        storage = data.specs
        numbers = [
            name
            for name in map(str, (s.name for s in schema))
            if storage[name].kind in (ColumnKind.CONTINUOUS, ColumnKind.INTEGER)
            and (meaning[name].sdtype is SemanticType.NUMERICAL or meaning[name].sdtype in _COPIED)
        ]
        numeric = [n for n in numbers if meaning[n].sdtype is SemanticType.NUMERICAL]
        times = [str(s.name) for s in schema if s.kind is ColumnKind.DATETIME]
        copied = [str(s.name) for s in schema if meaning[str(s.name)].sdtype in _COPIED]
        decimals = {name: meaning[name].decimals for name in numbers}
        known = {rule.describe() for rule in rules}
        rules += [
            r
            for r in detect_rules(data, numeric, times, copied, decimals, numbers)
            if r.describe() not in known
        ]
    reported = [rule.describe() for rule in rules if isinstance(rule, Formula)]
    if reported:
        warn(
            f"rules not linear, only reported (how often they hold), not kept: {'; '.join(reported)}",
            stacklevel=4,
        )
    return rules
