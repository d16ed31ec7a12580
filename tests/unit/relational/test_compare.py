"""The multi-table comparison: relational figures by their definitions, and the scores
equal to SDMetrics' multi-table QualityReport (run in its own environment)."""

from __future__ import annotations

import json
import subprocess
import warnings

import numpy as np
import pytest
from scipy.stats import ks_2samp

from mixsynth.api import MultiTableMixupSynthesizer
from mixsynth.relational import RelationalMetadata
from mixsynth.relational.compare import compare_relational, judge_relational
from mixsynth.relational.files import read_tables
from tests.conftest import SAMPLE_DATA
from tests.unit.metrics.test_sdmetrics_oracle import ORACLE, SDMETRICS_PYTHON

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


def test_scores_equal_sdmetrics_multi_table_quality_report(shop, report, tmp_path):
    """SDMetrics runs in its own environment (tests/oracles/sdmetrics_figures.py, as for
    the single-table scores): it requires pandas < 3."""
    real, synthetic, metadata = shop
    for name in real:
        real[name].to_parquet(tmp_path / f"{name}.real.parquet")
        synthetic[name].to_parquet(tmp_path / f"{name}.synthetic.parquet")
    (tmp_path / "metadata.json").write_text(json.dumps(metadata.to_dict()))
    if not SDMETRICS_PYTHON.exists():
        pytest.fail(f"no SDMetrics environment at {SDMETRICS_PYTHON}: run `make install`")
    done = subprocess.run(
        [str(SDMETRICS_PYTHON), str(ORACLE), "--multi-table", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    properties = json.loads(done.stdout)
    ours = report["scores"]
    assert ours["column_shapes"] == pytest.approx(properties["Column Shapes"], abs=1e-9)
    assert ours["column_pair_trends"] == pytest.approx(properties["Column Pair Trends"], abs=1e-9)
    assert ours["cardinality"] == pytest.approx(properties["Cardinality"], abs=1e-9)
    assert ours["intertable_trends"] == pytest.approx(properties["Intertable Trends"], abs=1e-9)
    assert ours["overall"] == pytest.approx(properties["overall"], abs=1e-9)
    assert all(value is not None for value in properties.values()), properties


def _copy_check(judged: dict, table: str) -> dict:
    return next(c for c in judged["tables"][table]["checks"] if c["name"] == "max_exact_copy_share")


def test_exact_copies_are_judged_beyond_a_fresh_real_samples_share(shop):
    """An item is a quantity and a price in cents: half of a fresh real sample's items
    equal some real item. The items of half the orders against those of the other half
    (a fresh real sample) pass; the real items themselves (copies) still fail."""
    real, _, metadata = shop
    odd = real["items"]["order_id"] % 2 == 1
    first, second = dict(real), dict(real)
    first["items"], second["items"] = real["items"][odd], real["items"][~odd]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = judge_relational(compare_relational(first, second, metadata))
        copies = judge_relational(compare_relational(first, first, metadata))
    items = first["items"][["quantity", "unit_price"]]
    baseline = items.duplicated(keep=False).mean()
    assert baseline > 0.3  # the coincidences the judgement allows for
    privacy = fresh["tables"]["items"]["privacy"]
    assert privacy["fresh_exact_copy_share"] == pytest.approx(baseline)
    assert privacy["exact_copy_share"] > 0.3
    assert _copy_check(fresh, "items")["status"] == "pass"
    assert "fresh real sample" in _copy_check(fresh, "items")["message"]
    assert _copy_check(copies, "items")["status"] == "fail"
