"""Declared rules: text, mixsynth's JSON and TOML, SDV's constraints; refused when the
real rows break them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.errors import MixsynthError, MixsynthWarning
from mixsynth.rules import Formula, Linear, Together, Unique, load_rules, parse_rule
from mixsynth.rules.declare import sdv_constraint


def test_an_order_reads_as_a_linear_form_below_zero():
    (rule,) = parse_rule("start <= end")
    assert isinstance(rule, Linear)
    assert dict(rule.coefs) == {"start": 1.0, "end": -1.0} and rule.op == "<="
    (greater,) = parse_rule("end > start")
    assert dict(greater.coefs) == {"start": 1.0, "end": -1.0} and greater.op == "<"


def test_a_chain_gives_one_rule_per_link():
    rules = parse_rule("a <= b < c")
    assert [r.describe() for r in rules] == ["a <= b", "b < c"]


def test_an_affine_equality_recomputes_the_column_written_alone():
    (rule,) = parse_rule("tax = 0.08 * (subtotal - discount)")
    assert rule.op == "==" and rule.target == "tax"
    assert dict(rule.coefs) == pytest.approx({"tax": 1.0, "subtotal": -0.08, "discount": 0.08})
    (total,) = parse_rule("subtotal - discount + tax + shipping == total")
    assert total.target == "total"


def test_a_product_of_columns_is_a_formula_evaluated_not_kept():
    (rule,) = parse_rule("subtotal = quantity * price")
    assert isinstance(rule, Formula)
    values = {"subtotal": np.array([6.0, 7.0, np.nan]), "quantity": np.array([2.0, 2.0, 1.0])}
    values["price"] = np.array([3.0, 3.0, 1.0])
    assert rule.holds(values).tolist() == [True, False, True]


@pytest.mark.parametrize("text", ["a <<= b", "a + b", "a <= 'x'", "3 <= 4"])
def test_what_is_not_a_rule_is_refused_in_one_line(text):
    with pytest.raises(MixsynthError) as error:
        parse_rule(text)
    assert "\n" not in str(error.value)


def test_a_call_in_a_rule_is_never_run():
    (rule,) = parse_rule("__import__('os').getpid() <= a")
    assert isinstance(rule, Formula)
    with pytest.raises(MixsynthError, match="cannot evaluate"):
        rule.holds({"a": np.ones(2), "__import__": np.ones(2)})


def test_keywords_declare_unique_and_fixed_combinations():
    assert parse_rule("unique: firm, year") == [Unique(("firm", "year"))]
    assert parse_rule("combinations: city, state") == [Together(("city", "state"))]


def test_sdv_constraints_as_sdv_writes_them(tmp_path):
    document = {
        "constraints": [
            {
                "constraint_class": "Inequality",
                "constraint_parameters": {
                    "low_column_name": "checkin",
                    "high_column_name": "checkout",
                    "strict_boundaries": True,
                },
            },
            {
                "constraint_class": "ScalarRange",
                "constraint_parameters": {"column_name": "age", "low_value": 0, "high_value": 120},
            },
            {"constraint_class": "Positive", "constraint_parameters": {"column_name": "price"}},
            {
                "constraint_class": "ScalarInequality",
                "constraint_parameters": {"column_name": "qty", "relation": ">=", "value": 1},
            },
            {
                "constraint_class": "Range",
                "constraint_parameters": {
                    "low_column_name": "a",
                    "middle_column_name": "b",
                    "high_column_name": "c",
                },
            },
        ]
    }
    path = tmp_path / "constraints.json"
    path.write_text(json.dumps(document))
    described = [rule.describe() for rule in load_rules(path)]
    assert described == [
        "checkin < checkout",
        "0.0 <= age",
        "age <= 120.0",
        "price >= 0",
        "qty >= 1.0",
        "a <= b",
        "b <= c",
    ]


def test_an_unknown_sdv_constraint_is_named():
    with pytest.raises(MixsynthError, match="CustomConstraint"):
        sdv_constraint({"constraint_class": "CustomConstraint"}, "f.json")


def test_mixsynth_toml_rules(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('rules = ["start <= end", "unique: id"]\n')
    assert [r.describe() for r in load_rules(path)] == ["start <= end", "unique together: id"]


def test_constraints_inside_an_sdv_metadata_file(tmp_path):
    metadata = {
        "METADATA_SPEC_VERSION": "SINGLE_TABLE_V1",
        "columns": {"low": {"sdtype": "numerical"}, "high": {"sdtype": "numerical"}},
        "constraints": [
            {
                "constraint_class": "Inequality",
                "constraint_parameters": {"low_column_name": "low", "high_column_name": "high"},
            }
        ],
    }
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(metadata))
    assert [r.describe() for r in load_rules(path)] == ["low <= high"]


def test_a_declared_rule_the_real_rows_break_is_refused_with_the_count():
    frame = pd.DataFrame({"low": [1.0, 5.0, 2.0, 9.0], "high": [2.0, 4.0, 3.0, 8.0]})
    options = SynthesisOptions(rules=tuple(parse_rule("low <= high")))
    with pytest.raises(MixsynthError, match=r"'low <= high' is broken by 2 of the 4 real rows"):
        Reference.of(frame, options)


def test_a_rule_naming_a_missing_column_is_refused():
    frame = pd.DataFrame({"low": [1.0, 2.0], "high": [2.0, 3.0]})
    with pytest.raises(MixsynthError, match="'hgih'"):
        Reference.of(frame, SynthesisOptions(rules=tuple(parse_rule("low <= hgih"))))


def test_a_rule_mixsynth_cannot_keep_is_said_in_one_line():
    frame = pd.DataFrame({"q": [1.0, 2.0, 3.0], "p": [2.0, 2.0, 5.0], "s": [2.0, 4.0, 15.0]})
    options = SynthesisOptions(rules=tuple(parse_rule("s = q * p")), detect_rules=False)
    with pytest.warns(MixsynthWarning, match=r"not linear, only reported .*: s = q \* p"):
        Reference.of(frame, options)
