"""A table of several is judged beyond what a fresh real sample reaches by chance
(mixsynth/relational/baselines.py): the shop's 40 products against fresh samples of
the law they were drawn from (benchmarks/relational_data.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mixsynth.metrics import compare_tables
from mixsynth.relational import RelationalMetadata
from mixsynth.relational.baselines import judge_table, small_table_baseline
from mixsynth.report.thresholds import Thresholds
from mixsynth.report.verdict import judge
from tests.conftest import SAMPLE_DATA

SHOP = SAMPLE_DATA / "shop"
FRESH = 16


def fresh_products(seed: int) -> pd.DataFrame:
    """40 products of the shop's law: a uniform category of four, a lognormal price."""
    rng = np.random.default_rng(1000 + seed)
    return pd.DataFrame(
        {
            "product_id": np.arange(101, 141),
            "category": rng.choice(["books", "garden", "kitchen", "toys"], 40),
            "list_price": np.round(np.exp(rng.normal(3.0, 0.7, 40)), 2),
        }
    )


@pytest.fixture(scope="module")
def products():
    meta = RelationalMetadata.load(SHOP / "metadata.json").tables["products"]
    real = pd.read_csv(SHOP / "products.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = [compare_tables(real, fresh_products(s), metadata=meta) for s in range(FRESH)]
        baselines = [small_table_baseline(real, meta, seed) for seed in range(4)]
    return fresh, baselines


@pytest.mark.parametrize(
    ("rule", "score"),
    [("min_column_shapes", "column_shapes"), ("min_pair_trends", "column_pair_trends")],
)
def test_the_halves_estimate_a_fresh_samples_shortfall(products, rule, score):
    """The mean shortfall of 16 fresh samples and the halves' estimate (4 seeds) agree
    within four standard errors of their difference."""
    fresh, baselines = products
    shortfall = np.array([1 - r["scores"][score] for r in fresh])
    estimate = np.array([b[rule] for b in baselines])
    error = np.hypot(shortfall.std(ddof=1) / np.sqrt(FRESH), estimate.std(ddof=1) / 2)
    assert shortfall.mean() > 0.1  # 40 rows: far from a perfect score by chance
    assert abs(shortfall.mean() - estimate.mean()) <= 4 * error


def test_fresh_samples_that_the_plain_limits_fail_pass_beyond_the_baseline(products):
    fresh, baselines = products
    plain = [judge(r)["verdict"]["areas"]["pairs"]["status"] for r in fresh]
    moved = [judge_table(r | {"fresh_baseline": baselines[0]}, Thresholds.default()) for r in fresh]
    assert plain.count("fail") >= FRESH // 2
    assert [m["verdict"]["areas"]["pairs"]["status"] for m in moved].count("fail") <= 2
    assert "a fresh sample of 40 rows" in moved[0]["verdict"]["areas"]["pairs"]["rule"]


def test_large_tables_have_no_baseline():
    meta = RelationalMetadata.load(SHOP / "metadata.json").tables["orders"]
    assert small_table_baseline(pd.read_csv(SHOP / "orders.csv"), meta, 0) is None
