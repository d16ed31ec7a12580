"""The report's rules figure against hand-counted tables: each rule's share of real and
synthetic rows that hold it, and 'broken' only when every real row holds it and some
synthetic row does not."""

from __future__ import annotations

import pandas as pd
import pytest

from mixsynth.metrics import compare_tables
from mixsynth.rules import parse_rule


def test_rule_shares_are_the_hand_counted_shares() -> None:
    # Real: a <= b in every row; total = a + b in every row; c <= a in 8 of 10 rows.
    real = pd.DataFrame(
        {
            "a": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "b": [2.0, 3, 3, 5, 9, 6, 8, 9, 12, 11],
            "c": [0.0, 1, 2, 3, 4, 5, 6, 7, 20, 30],
        }
    )
    real["total"] = real["a"] + real["b"]
    # Synthetic: a <= b broken in rows 0, 3, 7 (3 of 8); total = a + b broken in row 5;
    # c <= a held in 6 of 8 rows.
    synthetic = pd.DataFrame(
        {
            "a": [5.0, 2, 3, 6, 5, 6, 7, 9],
            "b": [4.0, 3, 3, 5, 9, 6, 8, 8],
            "c": [0.0, 1, 2, 3, 9, 5, 9, 7],
        }
    )
    synthetic["total"] = synthetic["a"] + synthetic["b"]
    synthetic.loc[5, "total"] += 1.0
    rules = [r for text in ("a <= b", "total = a + b", "c <= a") for r in parse_rule(text)]
    found = compare_tables(real, synthetic, rules=rules, detect_rules=False)["rules"]
    by_rule = {entry["rule"]: entry for entry in found}
    expected = {  # rule: (real share, synthetic share, broken)
        "a <= b": (1.0, 5 / 8, True),
        "total": (1.0, 7 / 8, True),
        "c <= a": (8 / 10, 6 / 8, False),
    }
    assert len(found) == 3
    for key, (real_share, synthetic_share, broken) in expected.items():
        (entry,) = [e for text, e in by_rule.items() if key in text]
        assert entry["real"] == pytest.approx(real_share, abs=1e-12), key
        assert entry["synthetic"] == pytest.approx(synthetic_share, abs=1e-12), key
        assert entry["broken"] is broken, key
