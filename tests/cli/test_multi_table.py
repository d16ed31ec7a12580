"""generate, compare and inspect on a folder of linked tables: the files each writes,
--resume, and one clear line (exit 2) for every option that has no meaning there."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from mixsynth.io.outputs import RunLock
from tests.conftest import SAMPLE_DATA

SHOP = SAMPLE_DATA / "shop"
META = SHOP / "metadata.json"


@pytest.fixture
def small_shop(tmp_path):
    """The sample shop cut to 200 customers (and their orders and items)."""
    folder = tmp_path / "shop"
    folder.mkdir()
    customers = pd.read_csv(SHOP / "customers.csv").head(200)
    orders = pd.read_csv(SHOP / "orders.csv")
    orders = orders[orders["customer_id"].isin(customers["customer_id"])]
    items = pd.read_csv(SHOP / "items.csv")
    items = items[items["order_id"].isin(orders["order_id"])]
    for name, frame in {"customers": customers, "orders": orders, "items": items}.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    shutil.copy(SHOP / "products.csv", folder)
    return folder


def test_generate_writes_every_table_per_generation_and_resumes_identically(
    run_cli, small_shop, tmp_path
):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    common = ["--metadata", META, "--seed", "3", "-q"]
    assert run_cli("generate", small_shop, "--out-dir", whole, "-g", "3", *common).exit_code == 0
    assert run_cli("generate", small_shop, "--out-dir", parts, "-g", "1", *common).exit_code == 0
    resumed = run_cli("generate", small_shop, "--out-dir", parts, "-g", "3", "--resume", *common)
    assert resumed.exit_code == 0, resumed.stderr
    for index in (1, 2, 3):
        for name in ("customers", "orders", "items", "products"):
            written = whole / f"gen-{index:03d}" / f"{name}.csv"
            assert written.read_bytes() == (parts / written.relative_to(whole)).read_bytes()
    record = json.loads((whole / "mixsynth-run.json").read_text())
    assert record["completed"] == 3 and record["kind"] == "multi-table"
    orders = pd.read_csv(whole / "gen-003" / "orders.csv")
    customers = pd.read_csv(whole / "gen-003" / "customers.csv")
    assert orders["customer_id"].isin(customers["customer_id"]).all()


def test_compare_reports_the_relational_figures_and_inspect_finds_the_keys(
    run_cli, small_shop, tmp_path
):
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    done = run_cli(
        "generate", small_shop, "--out-dir", out, "--metadata", META, "--report", report, "-q"
    )
    assert done.exit_code == 0, done.stderr
    assert json.loads(report.read_text())["verdict"]["relations"] == "pass"
    compared = run_cli("compare", small_shop, out / "gen-001", "--metadata", META)
    assert compared.exit_code == 0, compared.stderr
    assert "orders.customer_id -> customers: integrity 1.000, cardinality 1.000" in " ".join(
        compared.stdout.split()
    )
    written = tmp_path / "found.json"
    inspected = run_cli("inspect", small_shop, "--metadata", written)
    assert inspected.exit_code == 0, inspected.stderr
    found = json.loads(written.read_text())
    assert {
        (r["child_table_name"], r["child_foreign_key"], r["parent_table_name"])
        for r in found["relationships"]
    } == {
        ("orders", "customer_id", "customers"),
        ("items", "order_id", "orders"),
        ("items", "product_id", "products"),
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "{shop}"], "a folder of tables needs --out-dir"),
        (
            ["generate", "{shop}", "--out-dir", "{out}", "--rows", "5"],
            "--rows applies to one table",
        ),
        (["generate", "{shop}", "--out-dir", "{out}", "--by", "x"], "--by applies to one table"),
        (
            ["generate", "{shop}", "--out-dir", "{out}", "--where", "segment=business"],
            "would leave children without their parents",
        ),
        (
            ["generate", "{shop}", "--out-dir", "{out}", "--balance", "segment"],
            "which new rows would not have",
        ),
        (
            ["generate", "{shop}", "--out-dir", "{out}", "--privacy-target", "0.6"],
            "not offered for a folder",
        ),
        (["generate", "{shop}", "--out-dir", "{out}", "--scale", "0"], "--scale must be above 0"),
        (
            ["generate", "{shop}/customers.csv", "-o", "{out}.csv", "--scale", "2"],
            "--scale is for a folder",
        ),
        (["compare", "{shop}", "{shop}/customers.csv"], "is a folder but SYNTH"),
        (
            [
                "generate",
                "{shop}",
                "--out-dir",
                "{out}",
                "--metadata",
                str(META),
                "--report",
                "r.txt",
            ],
            "name it .json, .md or .html",
        ),
        (
            ["generate", "{shop}", "--out-dir", "{out}", "--metadata", "{shop}/customers.csv"],
            "not valid JSON",
        ),
        (
            [
                "generate",
                "{shop}",
                "--out-dir",
                "{out}",
                "--metadata",
                str(META),
                "--rule",
                "income <= amount",
            ],
            "names columns that no single table has",
        ),
    ],
)
def test_bad_folder_usage_is_one_line_and_exit_2(run_cli, small_shop, tmp_path, args, message):
    filled = [a.format(shop=small_shop, out=tmp_path / "out") for a in args]
    done = run_cli(*filled)
    assert done.exit_code == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_dates_as_text_in_the_metadata_format_come_back_in_it(run_cli, small_shop, tmp_path):
    customers = pd.read_csv(small_shop / "customers.csv")
    dates = pd.to_datetime(customers["signup_date"])
    customers["signup_date"] = dates.dt.strftime("%d.%m.%Y")
    customers.to_csv(small_shop / "customers.csv", index=False)
    document = json.loads(META.read_text())
    document["tables"]["customers"]["columns"]["signup_date"]["datetime_format"] = "%d.%m.%Y"
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(document))
    out = tmp_path / "out"
    done = run_cli("generate", small_shop, "--out-dir", out, "--metadata", meta, "-q", "-g", "2")
    assert done.exit_code == 0, done.stderr
    written = pd.read_csv(out / "gen-002" / "customers.csv")["signup_date"]
    parsed = pd.to_datetime(written, format="%d.%m.%Y")  # raises if another format
    assert parsed.between(dates.min(), dates.max()).all()


def test_declared_rules_go_to_their_tables_and_are_reported_there(run_cli, small_shop, tmp_path):
    out, report = tmp_path / "out", tmp_path / "report.json"
    rules = ["--rule", "quantity >= 1", "--rule", "age >= 18"]
    done = run_cli(
        "generate",
        small_shop,
        "--out-dir",
        out,
        "--metadata",
        META,
        *rules,
        "--report",
        report,
        "-q",
    )
    assert done.exit_code == 0, done.stderr
    tables = json.loads(report.read_text())["tables"]
    declared = {
        name: [(r["rule"], r["synthetic"]) for r in t["rules"] if r["origin"] == "declared"]
        for name, t in tables.items()
    }
    assert declared == {
        "customers": [("age >= 18", 1.0)],
        "products": [],
        "orders": [],
        "items": [("quantity >= 1", 1.0)],
    }


def test_a_run_into_a_locked_out_dir_is_refused_and_leaves_it_alone(run_cli, small_shop, tmp_path):
    """The out-dir lock of a one-table run (docs/safety.md): a second run into the same
    folder stops at once, before it clears or writes anything there."""
    out = tmp_path / "out"
    common = ["--out-dir", out, "--metadata", META, "--seed", "1", "-q"]
    assert run_cli("generate", small_shop, *common).exit_code == 0
    before = (out / "gen-001" / "orders.csv").read_bytes()
    lock = RunLock(out / ".mixsynth-run.lock", "a running generate")
    lock.acquire()
    try:
        done = run_cli("generate", small_shop, *common, "--seed", "2", "--force")
    finally:
        lock.release()
    assert done.exit_code == 2
    assert "lock" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert (out / "gen-001" / "orders.csv").read_bytes() == before
    left = out / ".gen-002.k1ll3d"  # a killed run's temporary generation folder
    left.mkdir()
    (left / "orders.csv").write_text("order_id\n")
    again = run_cli("generate", small_shop, *common, "--seed", "2", "--force")
    assert again.exit_code == 0, again.stderr
    assert not (out / ".mixsynth-run.lock").exists()
    assert not left.exists()
    assert (out / "gen-001" / "orders.csv").read_bytes() != before


@pytest.mark.slow  # two pages of some 25 plots each: about 20 s
def test_html_reports_of_a_folder_are_one_page_with_a_section_per_table(
    run_cli, small_shop, tmp_path
):
    out, page = tmp_path / "out", tmp_path / "report.html"
    done = run_cli(
        "generate", small_shop, "--out-dir", out, "--metadata", META, "--report", page, "-q"
    )
    assert done.exit_code == 0, done.stderr
    compared = tmp_path / "compare.html"
    done = run_cli(
        "compare", small_shop, out / "gen-001", "--metadata", META, "--html", compared, "-q"
    )
    assert done.exit_code == 0, done.stderr
    for written in (page, compared):
        text = written.read_text()
        assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
        assert "<h2>Relationships</h2>" in text
        assert "items.product_id -&gt; products" in text
        assert 'alt="orders per customers"' in text  # the child counts plotted
        for name in ("customers", "orders", "items", "products"):
            assert f'<h1 id="table-{name}">Table {name}</h1>' in text
        assert "http://" not in text and "https://" not in text  # self-contained


def test_compare_of_folders_writes_json_to_stdout(run_cli, small_shop):
    done = run_cli("compare", small_shop, small_shop, "--metadata", META, "--json", "-")
    assert done.exit_code == 0, done.stderr
    assert set(json.loads(done.stdout)["tables"]) == {"customers", "orders", "items", "products"}
