"""The rules of the real table, and the share of real and of synthetic rows that hold
each (docs/rules.md): a rule every real row holds and a synthetic row breaks is broken."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixsynth.rules import Naming, Rule, RuleData, Together, table_rules


def real_rules(
    real: pd.DataFrame, categorical: Sequence[str], semantics: Any, declared: Sequence[Rule] = ()
) -> list[Rule]:
    """The declared rules and those every real row holds (as generate finds them)."""
    import dataclasses

    from mixsynth.columns import ColumnKind, infer_schema

    schema = []
    for spec in infer_schema(real, categorical):
        if spec.kind.is_mixed and not semantics.columns[str(spec.name)].sdtype.is_mixed:
            spec = dataclasses.replace(spec, kind=ColumnKind.CATEGORICAL)
        schema.append(spec)
    return table_rules(real, schema, semantics, declared)


def rule_shares(real: pd.DataFrame, synthetic: pd.DataFrame, rules: Sequence[Rule]) -> list[dict]:
    """Each rule with the share of real and of synthetic rows that hold it, and whether it
    is ``broken`` (every real row holds it, some synthetic row does not). A rule mixsynth
    only reports (not linear) is never counted broken: it was said not to be kept."""
    real_data, synthetic_data = RuleData(real), RuleData(synthetic)
    entries = []
    for rule in rules:
        if isinstance(rule, Together):
            real_share, synthetic_share = 1.0, _combinations_share(real, synthetic, rule.columns)
        elif isinstance(rule, Naming):
            real_share, synthetic_share = _naming_share(real, rule), _naming_share(synthetic, rule)
        else:
            real_share = _share(real_data.holds(rule))
            synthetic_share = _share(synthetic_data.holds(rule))
        entries.append(
            {
                **rule.to_dict(),
                "origin": rule.origin,
                "real": real_share,
                "synthetic": synthetic_share,
                "broken": bool(
                    rule.kind != "formula" and real_share == 1.0 and synthetic_share < 1.0
                ),
            }
        )
    return entries


def _share(holds: np.ndarray) -> float:
    return float(holds.mean()) if holds.size else 1.0


def _naming_share(table: pd.DataFrame, rule: Naming) -> float:
    """Share of rows whose naming column holds the named one's value (each distinct
    pair checked once)."""
    pairs = table[list(rule.columns)].astype(object)
    pairs = pairs.where(pairs.notna(), None)
    distinct = pairs.drop_duplicates()
    holds = Naming.holds_text(
        [None if v is None else str(v) for v in distinct[rule.whole]],
        [None if v is None else str(v) for v in distinct[rule.part]],
    )
    held = pairs.merge(distinct.assign(_holds=holds), on=list(rule.columns), how="left")
    return _share(held["_holds"].to_numpy(dtype=bool))


def _combinations_share(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str]
) -> float:
    """Share of synthetic rows whose combination of ``columns`` occurs in a real row."""
    if len(synthetic) == 0:
        return 1.0
    names = list(columns)
    known = real[names].drop_duplicates().astype(str).assign(_real=True)
    found = synthetic[names].astype(str).merge(known, on=names, how="left")["_real"]
    return float(found.notna().mean())
