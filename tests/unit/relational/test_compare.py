"""The multi-table comparison: relational figures by their definitions, and the scores
equal to SDMetrics' multi-table QualityReport (when sdmetrics is installed)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from mixsynth.api import MultiTableMixupSynthesizer
from mixsynth.relational import RelationalMetadata
from mixsynth.relational.compare import compare_relational, judge_relational
from mixsynth.relational.files import read_tables
from tests.conftest import SAMPLE_DATA

SHOP = SAMPLE_DATA / "shop"


@pytest.fixture(scope="module")
def shop():
    metadata = RelationalMetadata.load(SHOP / "metadata.json")
    real = read_tables(SHOP, list(metadata.tables))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthetic = MultiTableMixupSynthesizer(metadata, seed=0).fit(real).sample()
    # Damage the synthetic data so that no figure sits at its end of the scale.
    orders = synthetic["orders"].copy()
    orders.loc[:199, "customer_id"] = -1  # orphans
    orders["amount"] = orders["amount"].sample(frac=1, random_state=0).to_numpy()
    synthetic["orders"] = orders
    return real, synthetic, metadata


@pytest.fixture(scope="module")
def report(shop):
    real, synthetic, metadata = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compare_relational(real, synthetic, metadata)


def test_relational_figures_follow_their_definitions(shop, report):
    real, synthetic, _ = shop
    orders = next(r for r in report["relationships"] if r["child"] == "orders")
    assert orders["integrity"]["real"] == 1.0
    assert orders["integrity"]["synthetic"] == pytest.approx(1 - 200 / len(synthetic["orders"]))
    counts = {
        side: tables["orders"]["customer_id"]
        .value_counts()
        .reindex(tables["customers"]["customer_id"], fill_value=0)
        for side, tables in (("real", real), ("synthetic", synthetic))
    }
    ks = ks_2samp(counts["real"], counts["synthetic"]).statistic
    assert orders["cardinality"]["score"] == pytest.approx(1 - ks)
    income_count = next(
        p
        for p in orders["parent_child"]
        if p["parent_column"] == "income" and p["child"] == "number of children"
    )
    assert income_count["real"] == pytest.approx(
        np.corrcoef(real["customers"]["income"], counts["real"])[0, 1]
    )


def test_the_verdict_fails_broken_integrity(report):
    judged = json.loads(json.dumps(judge_relational(report)))
    assert judged["verdict"]["status"] == "fail"
    assert judged["verdict"]["relations"] == "fail"
    failed = [c for c in judged["checks"] if not c["passed"]]
    assert [c["name"] for c in failed] == ["min_integrity"]
    assert "orders.customer_id -> customers" in failed[0]["message"]


def test_scores_equal_sdmetrics_multi_table_quality_report(shop, report):
    sdmetrics = pytest.importorskip("sdmetrics.reports.multi_table")
    real, synthetic, metadata = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quality = sdmetrics.QualityReport()
        quality.generate(real, synthetic, metadata.to_dict(), verbose=False)
    properties = quality.get_properties().set_index("Property")["Score"]
    ours = report["scores"]
    assert ours["column_shapes"] == pytest.approx(properties["Column Shapes"], abs=1e-9)
    assert ours["column_pair_trends"] == pytest.approx(properties["Column Pair Trends"], abs=1e-9)
    assert ours["cardinality"] == pytest.approx(properties["Cardinality"], abs=1e-9)
    assert ours["intertable_trends"] == pytest.approx(properties["Intertable Trends"], abs=1e-9)
    assert ours["overall"] == pytest.approx(quality.get_score(), abs=1e-9)
    assert pd.notna(properties).all()
