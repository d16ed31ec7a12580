"""Rules with linked tables (docs/multi-table.md, "Rules"): each table's rules, found in
it or declared, are kept in every one of its rows over generations and reported per
table; a declared rule goes to the tables holding its columns."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mixsynth.engine.given import synthesis_options
from mixsynth.errors import OptionError
from mixsynth.relational import RelationalMetadata, RelationalPlan, run_relational
from mixsynth.relational.compare import compare_relational

METADATA = RelationalMetadata.from_dict(
    {
        "tables": {
            "customers": {
                "primary_key": "customer_id",
                "columns": {
                    "customer_id": {"sdtype": "id"},
                    "age": {"sdtype": "numerical"},
                    "income": {"sdtype": "numerical"},
                },
            },
            "orders": {
                "primary_key": "order_id",
                "columns": {
                    "order_id": {"sdtype": "id"},
                    "customer_id": {"sdtype": "id"},
                    "order_date": {"sdtype": "datetime"},
                    "ship_date": {"sdtype": "datetime"},
                    "subtotal": {"sdtype": "numerical"},
                    "shipping": {"sdtype": "numerical"},
                    "total": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "customers",
                "parent_primary_key": "customer_id",
                "child_table_name": "orders",
                "child_foreign_key": "customer_id",
            }
        ],
    }
)
#: Declared: one rule of each table (the customers' is not in its data by chance only).
DECLARED = ("age >= 18", "shipping <= subtotal")


def shop_with_rules(customers: int = 300, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Orders shipped 0-8 days after they are placed, totals the sum of their parts."""
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(10.5, 0.4, customers), -2)
    counts = rng.poisson(1 + 2 * income / income.mean())
    owner = np.repeat(np.arange(customers), counts)
    placed = np.datetime64("2023-01-01") + rng.integers(0, 365, owner.size).astype("timedelta64[D]")
    subtotal = np.round(rng.lognormal(3.5, 0.6, owner.size) * income[owner] / 40_000, 2) + 20
    shipping = np.round(rng.uniform(0, 15, owner.size), 2)
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": np.arange(1, customers + 1),
                "age": rng.integers(18, 80, customers),
                "income": income,
            }
        ),
        "orders": pd.DataFrame(
            {
                "order_id": np.arange(1, owner.size + 1),
                "customer_id": owner + 1,
                "order_date": placed,
                "ship_date": placed + rng.integers(0, 9, owner.size).astype("timedelta64[D]"),
                "subtotal": subtotal,
                "shipping": shipping,
                "total": np.round(subtotal + shipping, 2),
            }
        ),
    }


def holds(orders: pd.DataFrame, customers: pd.DataFrame) -> dict[str, bool]:
    """Each rule in every row, by its own definition."""
    total = (orders["subtotal"] + orders["shipping"]).round(2)
    return {
        "ship after order": bool((orders["ship_date"] >= orders["order_date"]).all()),
        "total the sum": bool(np.isclose(orders["total"], total, rtol=0, atol=1e-9).all()),
        "shipping below subtotal": bool((orders["shipping"] <= orders["subtotal"]).all()),
        "adults": bool((customers["age"] >= 18).all()),
    }


def test_each_tables_rules_hold_in_every_row_over_three_generations_and_are_reported():
    real = shop_with_rules()
    assert all(holds(real["orders"], real["customers"]).values())
    options = synthesis_options(rules=DECLARED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = RelationalPlan.of(real, METADATA, options)
        generations = list(run_relational(real, plan, 3, seed=0))
    found = {name: {r.describe() for r in ref.rules} for name, ref in plan.references.items()}
    assert {"order_date <= ship_date", "total = subtotal + shipping"} <= found["orders"]
    assert "shipping <= subtotal" in found["orders"] and "age >= 18" in found["customers"]
    assert not any("age" in rule for rule in found["orders"])
    for generation in generations:
        tables = generation.tables
        assert holds(tables["orders"], tables["customers"]) == dict.fromkeys(
            holds(real["orders"], real["customers"]), True
        ), generation.index
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = compare_relational(real, generations[-1].tables, METADATA, rules=options.rules)
    reported = {
        name: {r["rule"]: (r["origin"], r["real"], r["synthetic"]) for r in table["rules"]}
        for name, table in report["tables"].items()
    }
    assert reported["customers"]["age >= 18"] == ("declared", 1.0, 1.0)
    assert reported["orders"]["shipping <= subtotal"] == ("declared", 1.0, 1.0)
    assert reported["orders"]["order_date <= ship_date"] == ("detected", 1.0, 1.0)
    assert reported["orders"]["total = subtotal + shipping"] == ("detected", 1.0, 1.0)


def test_a_rule_no_single_table_holds_is_refused():
    real = shop_with_rules(40)
    with pytest.raises(OptionError, match="no single table"):
        RelationalPlan.of(real, METADATA, synthesis_options(rules=("income <= total",)))
