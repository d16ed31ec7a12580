"""The verdict: pass / warn / fail per area with the deciding rule, checks in every format,
thresholds from options and a TOML --config, and the provenance a pipeline needs."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mixsynth.errors import MixsynthError
from mixsynth.metrics import compare_tables
from mixsynth.report import to_html, to_markdown
from mixsynth.report.thresholds import RULES, Thresholds, thresholds_from
from mixsynth.report.verdict import judge
from tests.conftest import SAMPLE_DATA
from tests.oracles.nearest import brute_force_dcr

PENGUINS = SAMPLE_DATA / "penguins.csv"


def fresh_sample(rows: int, seed: int) -> pd.DataFrame:
    """Rows of one fixed distribution: correlated normals and a class that depends on them."""
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal([0, 0, 0], [[1, 0.8, 0.3], [0.8, 1, 0.5], [0.3, 0.5, 1]], rows)
    label = np.where(x[:, 0] + rng.normal(0, 0.5, rows) > 0, "high", "low")
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": label})


def fresh_dcr_log_ratio_sd(runs: int = 20) -> float:
    """Spread of log(DCR p5 of 2,000 fresh rows / DCR p5 of 2,000 holdout rows), both
    against 2,000 training rows, the ranges those of training + holdout rows, as ``good``
    has them (a true holdout): by brute force (:mod:`tests.oracles.nearest`) on ``runs``
    independent draws."""
    logs = []
    for run in range(runs):
        train, holdout = fresh_sample(2000, 100 + run), fresh_sample(2000, 5_000 + run)
        fresh = fresh_sample(2000, 10_000 + run)
        real = pd.concat([train, holdout], ignore_index=True)
        p5 = [np.percentile(brute_force_dcr(real, q, train), 5) for q in (fresh, holdout)]
        logs.append(np.log(p5[0] / p5[1]))
    return float(np.std(logs, ddof=1))


@pytest.fixture(scope="module")
def good() -> dict:
    """A second, independent sample of the real table's distribution: what a perfect
    synthesizer would give, measured against a true holdout (a third sample). Every
    default rule passes (limits far from its figures)."""
    return compare_tables(
        fresh_sample(2000, 0), fresh_sample(2000, 1), target="label", holdout=fresh_sample(2000, 2)
    )


def test_every_check_is_listed_with_its_limit_also_when_all_pass(good):
    judged = judge(good)
    names = {c["name"] for c in judged["checks"]}
    # Every rule with a default limit whose figure exists (no generations: no drift).
    assert names == {
        "min_column_shapes",
        "max_variance_drift",
        "min_pair_trends",
        "max_correlation_diff",
        "max_exact_copy_share",
        "min_dcr_ratio",
        "max_dcr_share",
        "max_unique_value_leak",  # the label column is copied, not mixed
        "min_utility_ratio",
    }
    for check in judged["checks"]:
        assert {"name", "value", "limit", "passed", "status", "message"} <= set(check)
    assert judged["verdict"]["status"] == "pass", judged["verdict"]
    assert list(judged["verdict"]["areas"]) == ["fidelity", "pairs", "privacy", "utility"]
    dcr = next(c for c in judged["checks"] if c["name"] == "min_dcr_ratio")
    # A fresh sample is as far as the holdout: both are new rows of one distribution, so
    # log(ratio) is symmetric about 0; its spread comes from an independent simulation.
    assert abs(np.log(dcr["value"])) < 4.5 * fresh_dcr_log_ratio_sd()
    # A fresh sample's share is 0.5 with a standard error of at most 0.5 / sqrt(2000).
    share = next(c for c in judged["checks"] if c["name"] == "max_dcr_share")
    assert share["value"] == pytest.approx(0.5, abs=4 * 0.5 / np.sqrt(2000))
    shapes = next(c for c in judged["checks"] if c["name"] == "min_column_shapes")
    assert shapes["value"] == good["scores"]["column_shapes"] and shapes["limit"] == 0.70


def test_privacy_and_utility_without_a_true_holdout_are_no_pass():
    """The same fresh sample, its privacy and utility measured on halves of the real
    table (which a synthesizer would have seen): at best a warn, and the rule says why."""
    judged = judge(compare_tables(fresh_sample(500, 0), fresh_sample(500, 1), target="label"))
    assert judged["privacy"]["true_holdout"] is False
    assert "max_dcr_share" not in {c["name"] for c in judged["checks"]}  # meaningless here
    for area in ("privacy", "utility"):
        found = judged["verdict"]["areas"][area]
        assert found["status"] == "warn" and found["true_holdout"] is False
        assert found["rule"].startswith("no true holdout") and "--holdout" in found["rule"]
    assert judged["verdict"]["areas"]["fidelity"]["status"] == "pass"
    assert judged["verdict"]["status"] == "warn"
    text = to_markdown(judged)  # the HTML and terminal reports show the same sections
    assert "no true holdout" in text and "NOT A TRUE HOLDOUT" in text


def test_each_area_is_decided_by_its_worst_check_and_says_which_rule(good):
    strict = thresholds_from(None, {"min_column_shapes": 0.999})
    judged = judge(good, strict)
    fidelity = judged["verdict"]["areas"]["fidelity"]
    assert fidelity["status"] == "fail" and fidelity["check"] == "min_column_shapes"
    value = good["scores"]["column_shapes"]
    assert fidelity["rule"] == (
        f"column shapes score is {value:.3g}, below the minimum 0.999: "
        "marginal distributions differ"
    )
    assert judged["verdict"]["status"] == "fail"
    # The user's limit is the fail limit; the default warn limit (0.85) is weaker, dropped.
    check = next(c for c in judged["checks"] if c["name"] == "min_column_shapes")
    assert (check["limit"], check["warn_limit"], check["source"]) == (
        0.999,
        None,
        "--min-column-shapes",
    )


def test_near_copies_warn_against_the_holdout_baseline():
    real = pd.read_csv(PENGUINS)
    """Rows moved by a hair: DCR far below what fresh real rows show, no exact copy."""
    synthetic = real.copy()
    for column in ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"):
        synthetic[column] = synthetic[column].astype(float) + 1e-6
    report = judge(compare_tables(real, synthetic))
    privacy = report["verdict"]["areas"]["privacy"]
    dcr = next(c for c in report["checks"] if c["name"] == "min_dcr_ratio")
    p = report["privacy"]
    assert p["exact_copy_share"] < 0.05  # only rows missing every numeric value
    assert dcr["value"] == pytest.approx(p["dcr_p5"] / p["holdout_dcr_p5"])
    assert dcr["value"] < 0.01 and dcr["status"] == "warn"
    assert privacy["status"] == "warn" and "near-copies" in privacy["rule"]
    assert "real-holdout" in privacy["rule"]


def test_warn_between_the_two_limits(good):
    drift = max(
        abs(c["variance_ratio"] - 1) for c in good["columns"].values() if c.get("variance_ratio")
    )
    thresholds = Thresholds.default()
    thresholds.limits["max_variance_drift"] = {"fail": 1.0, "warn": drift / 2, "source": "test"}
    judged = judge(good, thresholds)
    check = next(c for c in judged["checks"] if c["name"] == "max_variance_drift")
    assert check["status"] == "warn" and check["passed"] is True
    assert judged["verdict"]["areas"]["fidelity"]["status"] == "warn"


def test_config_file_sets_limits_and_options_win(run_cli, tmp_path):
    config = tmp_path / "gate.toml"
    config.write_text(
        "[thresholds]\n"
        "min_column_shapes = 0.99\n"
        "max_correlation_diff = { fail = 0.5, warn = 0.01 }\n"
        '[columns."bill_length_mm"]\n'
        "max_variance_drift = 0.0\n"
    )
    synthetic = tmp_path / "s.csv"
    frame = pd.read_csv(PENGUINS)
    frame["bill_length_mm"] *= 1.1
    frame.to_csv(synthetic, index=False)
    result = run_cli("compare", PENGUINS, synthetic, "--config", config, "--json", "-")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["max_variance_drift[bill_length_mm]"]["status"] == "fail"
    assert by_name["max_variance_drift[bill_length_mm]"]["value"] == pytest.approx(0.21)
    assert by_name["max_correlation_diff"]["limit"] == 0.5
    assert by_name["max_correlation_diff"]["warn_limit"] == 0.01
    broken = result.stderr.splitlines()
    assert all(line.startswith("Threshold broken:") for line in broken)
    assert any("'bill_length_mm'" in line and "(--config)" in line for line in broken)
    # An option overrides the config's limit.
    shapes_only = tmp_path / "shapes.toml"
    shapes_only.write_text("[thresholds]\nmin_column_shapes = 0.99\n")
    from_config = run_cli("compare", PENGUINS, synthetic, "--config", shapes_only, "-q")
    assert from_config.exit_code == 1
    assert "column shapes score" in from_config.stderr and "(--config)" in from_config.stderr
    overridden = run_cli(
        "compare", PENGUINS, synthetic, "--config", shapes_only, "--min-column-shapes", "0.5", "-q"
    )
    assert overridden.exit_code == 0, overridden.stderr


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[thresholds]\nmin_colum_shapes = 0.9\n", "unknown threshold 'min_colum_shapes'"),
        ("[thresholds]\nmin_column_shapes = 2\n", "must be a number in [0, 1]"),
        ("[limits]\n", "unknown table [limits]"),
        ("[thresholds\n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_error_line(run_cli, tmp_path, text, fragment):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = run_cli(
        "compare", PENGUINS, PENGUINS, "--config", config, "--json", tmp_path / "r.json"
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert fragment in result.stderr
    assert not (tmp_path / "r.json").exists()


def test_default_rules_alone_never_change_the_exit_status(run_cli):
    # Comparing a table with itself copies every row: privacy fails by the default rule,
    # yet no limit was asked for, so the pipeline is not stopped.
    result = run_cli("compare", PENGUINS, PENGUINS, "--json", "-")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["verdict"]["areas"]["privacy"]["status"] == "fail"


def test_json_carries_version_inputs_sha256_options_and_time(run_cli, tmp_path):
    result = run_cli("compare", PENGUINS, PENGUINS, "--json", "-", "--seed", "4")
    provenance = json.loads(result.stdout)["provenance"]
    assert provenance["mixsynth_version"] == version("mixsynth")
    digest = hashlib.sha256(PENGUINS.read_bytes()).hexdigest()
    assert provenance["inputs"]["real"] == {"path": str(PENGUINS), "sha256": digest}
    assert provenance["inputs"]["synthetic"]["sha256"] == digest
    assert provenance["options"]["seed"] == 4
    assert provenance["created_utc"].endswith("+00:00")


def test_verdict_and_checks_open_every_format(good):
    judged = judge(good)
    markdown = to_markdown(judged)
    first_section = markdown.split("\n## ")[1]
    assert first_section.startswith("Verdict: pass")
    for area in ("fidelity", "pair structure", "privacy", "utility"):
        assert f"| {area} | pass |" in first_section
    assert 'class="verdict pass"' in to_html(judged)
    assert "## Checks" in markdown and "| min_dcr_ratio | privacy |" in markdown
    page = to_html(judged)
    assert page.index("Verdict: pass") < page.index("Scores")


def simulated_drift(source: np.ndarray, generations: int, runs: int = 2000) -> np.ndarray:
    """The drift figure |median ratio at the last / median ratio at the first - 1| of
    ``runs`` independent runs of the documented process in numpy (i.i.d. pairs, one
    uniform weight per row shared by the columns, each generation from the previous),
    ratios against ``source``'s variances (ddof=1)."""
    rng = np.random.default_rng(0)
    n = len(source)
    x = np.broadcast_to(source, (runs, *source.shape))
    base = source.var(axis=0, ddof=1)
    medians = []
    for _ in range(generations):
        anchor, partner = rng.integers(n, size=(2, runs, n))
        lam = stats.uniform.rvs(size=(runs, n, 1), random_state=rng)
        w = np.maximum(lam, 1 - lam)
        x = w * np.take_along_axis(x, anchor[..., None], 1) + (1 - w) * np.take_along_axis(
            x, partner[..., None], 1
        )
        medians.append(np.median(x.var(axis=1, ddof=1) / base, axis=1))
    return np.abs(medians[-1] / medians[0] - 1)


def test_generate_report_judges_drift_over_generations(run_cli, tmp_path):
    rng = np.random.default_rng(4)
    source = rng.multivariate_normal(np.zeros(4), 0.5 * np.eye(4) + 0.5, size=300)
    pd.DataFrame(source, columns=list("abcd")).to_csv(tmp_path / "real.csv", index=False)
    result = run_cli(
        "generate", tmp_path / "real.csv", "-o", tmp_path / "s.csv", "--method", "vanilla",
        "--weights", "uniform", "-g", "3", "--seed", "2", "--report", tmp_path / "r.json",
        "--pairing", "iid", "--bounds", "none", "--no-semantics", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    drift = report["verdict"]["areas"]["drift"]
    # Uniform weights keep (2n/3 - 1)/n of the variance per generation: after 3
    # generations the median ratio has moved by about 1 - (2/3)^2 = 0.56 from the
    # first: a fail. The figure's mean and spread come from an independent simulation.
    assert drift["status"] == "fail" and drift["check"] == "max_generation_drift"
    check = next(c for c in report["checks"] if c["name"] == "max_generation_drift")
    simulated = simulated_drift(source, 3)
    assert abs(check["value"] - simulated.mean()) < 4.5 * simulated.std(ddof=1)
    assert report["provenance"]["inputs"]["real"]["path"] == str(tmp_path / "real.csv")


def test_every_rule_is_documented():
    text = (SAMPLE_DATA.parent / "docs" / "report.md").read_text()
    for rule in RULES:
        assert f"`{rule.name}`" in text, rule.name


def test_a_limit_out_of_range_is_refused():
    with pytest.raises(MixsynthError, match="min_column_shapes"):
        thresholds_from({"thresholds": {"min_column_shapes": -1}}, {})
