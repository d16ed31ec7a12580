"""What a fresh real sample would score, for judging each table of several (docs/multi-table.md,
"Comparing"): a synthetic table is held to its limits beyond the figures a fresh sample
of the real data reaches by chance.

- Exact copies: on a table of few columns and codes most rows equal some real row by
  coincidence; the share of real rows equal to another real row is what a fresh row
  has (:func:`fresh_copy_share`).
- Small tables (a lookup of 40 products): their shapes, pair trends and correlations
  differ from any other sample's by chance. Two random halves of the real table are
  compared (several times); a difference between samples of n/2 rows is sqrt(2) times
  one between samples of n rows (the standard errors of these figures go as
  1/sqrt(n)), so the halves' shortfall over sqrt(2) is a fresh sample's
  (:func:`small_table_baseline`). On the shop's 40 products: column shapes 0.852 and
  pair trends 0.585 expected, against 0.81-0.90 and 0.33-0.65 for eight fresh samples
  of the shop's law. Variances are left out: a heavy-tailed column's variance ratio
  between halves does not scale so (the products' list price: 1.43 from the halves,
  0.45 for twenty fresh samples).
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.report.thresholds import RULE_BY_NAME, Thresholds
from mixsynth.report.verdict import judge

if TYPE_CHECKING:
    import pandas as pd

#: Tables of at most this many rows get a fresh-sample baseline of their scores.
SMALL_TABLE_ROWS = 1000
#: Random halvings averaged for it.
SPLITS = 8


def fresh_copy_share(real: pd.DataFrame, table: dict) -> float:
    """The exact-copy share a fresh real sample would have: the share of real rows
    equal, on the compared columns, to another real row (each row against the other
    n - 1, as a fresh row against the n real ones)."""
    import pandas as pd

    columns = [c for c in table["columns"] if c in real.columns]
    if not columns or len(real) < 2:
        return 0.0
    hashes = pd.util.hash_pandas_object(real[columns], index=False)
    return float(hashes.duplicated(keep=False).mean())


def small_table_baseline(real: pd.DataFrame, metadata: Any, seed: int) -> dict | None:
    """For a table of at most :data:`SMALL_TABLE_ROWS` rows: how far a fresh real
    sample's figures are expected to fall from the real table's, per verdict rule
    (shortfall of column shapes and pair trends, largest correlation difference);
    None for a larger table."""
    from mixsynth.metrics import compare_tables

    n = len(real)
    if n > SMALL_TABLE_ROWS or n < 8:
        return None
    rng = np.random.default_rng(seed)
    found: dict[str, list[float]] = {}
    for _ in range(SPLITS):
        order = rng.permutation(n)
        first, second = real.iloc[order[: n // 2]], real.iloc[order[n // 2 : 2 * (n // 2)]]
        halves = compare_tables(first, second, metadata=metadata, seed=seed, detect_rules=False)
        readings = {
            "min_column_shapes": 1 - halves["scores"]["column_shapes"],
            "min_pair_trends": 1 - (halves["scores"]["column_pair_trends"] or math.nan),
            "max_correlation_diff": halves["pairs"].get("correlation_max_abs_diff"),
        }
        for name, value in readings.items():
            if value is not None and math.isfinite(value):
                found.setdefault(name, []).append(value)
    return {name: float(np.mean(v)) / math.sqrt(2) for name, v in found.items()} | {"rows": n}


def judge_table(table: dict, thresholds: Thresholds) -> dict:
    """One table's verdict with each limit moved by what a fresh real sample reaches
    by chance (:func:`fresh_copy_share`, :func:`small_table_baseline`): the check's
    message says by how much."""
    moves = {}
    fresh = table["privacy"].get("fresh_exact_copy_share") or 0.0
    if fresh:
        moves["max_exact_copy_share"] = (fresh, f"a fresh real sample's {fresh:.3g}")
    baseline = table.get("fresh_baseline") or {}
    for name, value in baseline.items():
        if name in RULE_BY_NAME and value:
            moves[name] = (
                value,
                f"a fresh sample of {baseline['rows']} rows' expected {value:.3g}",
            )
    if not moves:
        return judge(table, thresholds)
    shifted = copy.deepcopy(thresholds)
    for name, (value, _) in moves.items():
        rule, limits = RULE_BY_NAME[name], shifted.limits[name]
        for side in ("fail", "warn"):
            if limits[side] is not None:
                moved = limits[side] + value if rule.upper else limits[side] - value
                limits[side] = min(rule.high, max(rule.low, moved))
    judged = judge(table, shifted)
    for check in judged["checks"]:
        if check["name"] in moves:
            old = check["message"]
            check["message"] = old + f" (limits moved by {moves[check['name']][1]})"
            for area in judged["verdict"]["areas"].values():
                area["rule"] = area["rule"].replace(old, check["message"])
    return judged
