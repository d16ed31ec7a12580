"""Rules on the command line: --rule, --rules (SDV constraints), --no-detect-rules,
inspect's evidence, compare's table and verdict."""

from __future__ import annotations

import json

import pandas as pd

from tests.cli.conftest import assert_one_error_line, run
from tests.unit.rules.tables import orders


def orders_csv(tmp_path):
    path = tmp_path / "orders.csv"
    orders(500).to_csv(path, index=False)
    return path


def test_an_sdv_inequality_from_a_file_is_kept(tmp_path):
    path = tmp_path / "pairs.csv"
    low = pd.Series(range(300), dtype=float) % 37
    pd.DataFrame({"low": low, "high": low + (low % 5) + 1}).to_csv(path, index=False)
    constraint = {
        "constraint_class": "Inequality",
        "constraint_parameters": {
            "low_column_name": "low",
            "high_column_name": "high",
            "strict_boundaries": True,
        },
    }
    rules = tmp_path / "constraints.json"
    rules.write_text(json.dumps([constraint]))
    out = tmp_path / "out.csv"
    result = run(
        "generate", path, "-o", out, "--rules", rules, "--no-detect-rules", "--eps", "0.5",
        "--generations", "5", "--seed", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    synthetic = pd.read_csv(out)
    assert (synthetic.low < synthetic.high).all()


def test_a_declared_rule_the_data_break_is_refused_and_nothing_written(tmp_path):
    out = tmp_path / "out.csv"
    result = run("generate", orders_csv(tmp_path), "-o", out, "--rule", "subtotal <= 50")
    line = assert_one_error_line(result, "'subtotal <= 50' is broken by")
    assert "of the 500 real rows" in line
    assert not out.exists()


def test_a_rule_that_is_not_linear_is_said_in_one_line(tmp_path):
    result = run(
        "generate", orders_csv(tmp_path), "-o", tmp_path / "o.csv", "--seed", "1",
        "--rule", "total = subtotal * discount",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "not linear" in line]
    assert len(said) == 1 and "total = subtotal * discount" in said[0]


def test_inspect_lists_the_rules_with_their_evidence(tmp_path):
    path = orders_csv(tmp_path)
    result = run("inspect", path)
    assert result.exit_code == 0, result.stderr
    assert "discount < subtotal (detected; holds in 500 of 500 rows)" in result.stdout
    document = json.loads(run("inspect", path, "--json").stdout)
    found = {rule["rule"]: rule["rows_holding"] for rule in document["rules"]}
    assert found["total = subtotal - discount + tax + shipping"] == 500
    assert json.loads(run("inspect", path, "--json", "--no-detect-rules").stdout)["rules"] == []


def test_compare_reports_each_rule_and_a_broken_one_fails_fidelity(tmp_path):
    real = orders_csv(tmp_path)
    synthetic = tmp_path / "synthetic.csv"
    frame = pd.read_csv(real)
    frame.loc[:9, "discount"] = frame.loc[:9, "subtotal"] + 1  # 10 rows break it
    frame.to_csv(synthetic, index=False)
    report = json.loads(run("compare", real, synthetic, "--json", "-").stdout)
    rules = {rule["rule"]: rule for rule in report["rules"]}
    assert rules["discount < subtotal"]["synthetic"] == 0.98
    assert rules["discount < subtotal"]["broken"]
    assert report["verdict"]["areas"]["fidelity"]["status"] == "fail"
    (check,) = [c for c in report["checks"] if c["name"] == "min_rule_share"]
    assert not check["passed"] and "rules broken" in check["message"]
    kept = json.loads(run("compare", real, real, "--json", "-").stdout)
    assert not any(rule["broken"] for rule in kept["rules"])
    assert kept["verdict"]["areas"]["fidelity"]["status"] == "pass"


def test_generate_report_lists_the_rules_it_kept(tmp_path):
    report = tmp_path / "report.md"
    result = run(
        "generate", orders_csv(tmp_path), "-o", tmp_path / "o.csv", "--seed", "2",
        "--generations", "3", "--report", report,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = report.read_text()
    assert "## Rules" in text
    assert "| tax = 0.08 * subtotal - 0.08 * discount | equality | 100% | 100% | kept |" in text


def test_a_declared_part_of_a_date_the_data_break_is_refused(tmp_path):
    from tests.unit.rules.tables import signups

    path, out = tmp_path / "signups.csv", tmp_path / "out.csv"
    frame = signups(200)
    frame.loc[11, "signup_year"] += 1
    frame.to_csv(path, index=False)
    rule = "signup_year = year(signup_date)"
    result = run("generate", path, "-o", out, "--rule", rule)
    line = assert_one_error_line(result, f"'{rule}' is broken by 1 of the 200 real rows")
    assert "mixsynth keeps only rules every real row holds" in line
    assert not out.exists()
