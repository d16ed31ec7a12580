"""The verdict of a comparison report: pass / warn / fail per area, and the rule that decided.

A report is a dict of figures (:mod:`mixsynth.metrics`); this module judges a few of
them (each read by :mod:`~mixsynth.report.readings`) against a rule. Every rule has a
*fail* limit and may have a stricter *warn* limit; the user overrides either with the
``compare`` threshold options or a TOML ``--config`` file
(:mod:`~mixsynth.report.thresholds`; ``docs/report.md`` lists the defaults and why).
The default rules decide the verdict; only limits the user set change the exit status
(a pipeline asked for them), so adding the verdict broke no existing pipeline.

Pure data in, pure data out: no printing, no pandas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mixsynth.report.readings import READERS, Reading, numeric_columns
from mixsynth.report.thresholds import RULE_BY_NAME, RULES, Rule, Thresholds

PASS, WARN, FAIL = "pass", "warn", "fail"
_ORDER = {PASS: 0, WARN: 1, FAIL: 2}
#: The areas, in the order every report shows them.
AREAS = ("fidelity", "pairs", "privacy", "utility", "drift")
AREA_TITLES = {
    "fidelity": "fidelity",
    "pairs": "pair structure",
    "privacy": "privacy",
    "utility": "utility",
    "drift": "drift over generations",
}


def _status(rule: Rule, value: float, limit: float | None) -> bool:
    """True when ``value`` keeps ``limit`` (no limit: kept)."""
    if limit is None:
        return True
    return value <= limit if rule.upper else value >= limit


def _figure(rule: Rule, reading: Reading) -> str:
    """'unique-value leak of 'email' is 1 (...)': the figure, its column, its value."""
    of = f" of {reading.subject!r}" if reading.subject is not None else ""
    where = f" ({reading.detail})" if reading.detail else ""
    return f"{rule.figure}{of} is {reading.value:.3g}{where}"


def _sentence(rule: Rule, reading: Reading, limit: float) -> str:
    relation = "above the maximum" if rule.upper else "below the minimum"
    why = f": {rule.why}" if rule.why else ""
    return f"{_figure(rule, reading)}, {relation} {limit:g}{why}"


def _check(
    rule: Rule, reading: Reading, limits: Mapping[str, Any], name: str | None = None
) -> dict:
    value, fail, warn = reading.value, limits["fail"], limits["warn"]
    status = PASS
    if not _status(rule, value, fail):
        status = FAIL
    elif not _status(rule, value, warn):
        status = WARN
    broken = {FAIL: fail, WARN: warn}.get(status)
    if broken is not None:
        message = _sentence(rule, reading, broken)
    else:
        kept = next(v for v in (warn, fail) if v is not None)
        side = "at or below" if rule.upper else "at or above"
        message = f"{_figure(rule, reading)}, {side} {kept:g}"
    return {
        "name": name or rule.name,
        "area": rule.area,
        "value": value,
        "limit": fail,
        "warn_limit": warn,
        "passed": status != FAIL,
        "status": status,
        "source": limits["source"],
        "message": message,
    }


def checks(report: dict, thresholds: Thresholds | None = None) -> list[dict]:
    """Every rule with a limit whose figure the report has (an undefined figure, e.g. a
    constant column's variance ratio, is not judged), in the areas' order."""
    thresholds = thresholds or Thresholds.default()
    result = []
    for rule in RULES:
        limits = thresholds.limits[rule.name]
        if limits["fail"] is None and limits["warn"] is None:
            continue
        reading = READERS[rule.name](report, thresholds)
        result += _left_undefined_by_synthetic(rule, report, limits)
        if reading.value is None or not math.isfinite(reading.value):
            continue
        result.append(_check(rule, reading, limits))
    drift_rule = RULE_BY_NAME["max_variance_drift"]
    for name, figures in numeric_columns(report):
        ratio = figures.get("variance_ratio")
        if name in thresholds.columns and ratio is not None:
            limits = {"fail": thresholds.columns[name], "warn": None, "source": "--config"}
            reading = Reading(abs(ratio - 1), f"{name!r}: variance ratio {ratio:.3g}")
            result.append(_check(drift_rule, reading, limits, f"max_variance_drift[{name}]"))
    return sorted(result, key=lambda c: AREAS.index(c["area"]))


def _defined(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _varies(side: dict) -> bool:
    """A numeric column's side has a variance to compare with: >= 2 values, not constant."""
    std = side.get("std")
    return side.get("count", 0) >= 2 and _defined(std) and std > 0


def _left_undefined_by_synthetic(rule: Rule, report: dict, limits: Mapping[str, Any]) -> list[dict]:
    """Failed checks for figures the *synthetic* table leaves undefined (fewer than two
    values, all missing, constant where the real column varies): a synthetic table must
    not pass a gate by having nothing to measure. A figure the real table leaves
    undefined (a constant real column) is not judged."""
    found = []
    if rule.name == "max_variance_drift":
        for name, figures in numeric_columns(report):
            if not _defined(figures.get("variance_ratio")) and _varies(figures["real"]):
                present = figures["synthetic"].get("count", 0)
                found.append(
                    f"variance ratio of {name!r} is undefined: the synthetic column has "
                    f"{present} present value{'s' * (present != 1)}"
                )
    elif rule.name == "min_overall_score":
        real_values = any(c["real"].get("count", 0) > 0 for c in report["columns"].values())
        if not _defined(report["scores"]["overall"]) and real_values:
            found.append("overall score is undefined: the synthetic table has no values to score")
    elif rule.name == "max_correlation_diff":
        undefined = report["pairs"].get("correlation_undefined_in_synthetic") or 0
        if undefined:
            found.append(
                f"{undefined} correlation{'s are' if undefined > 1 else ' is'} undefined in "
                "the synthetic table but defined in the real one"
            )
    return [
        {
            "name": rule.name,
            "area": rule.area,
            "value": None,
            "limit": limits["fail"],
            "warn_limit": limits["warn"],
            "passed": False,
            "status": FAIL,
            "source": limits["source"],
            "message": message,
        }
        for message in found
    ]


def verdict(check_list: list[dict]) -> dict:
    """Per area the worst status and the check that decided it; overall the worst area."""
    areas = {}
    for area in AREAS:
        mine = [c for c in check_list if c["area"] == area]
        if not mine:
            continue
        worst = max(mine, key=lambda c: _ORDER[c["status"]])
        if worst["status"] == PASS:
            rule = "; ".join(c["message"] for c in mine)
        else:
            rule = worst["message"]
        areas[area] = {"status": worst["status"], "rule": rule, "check": worst["name"]}
    overall = max((a["status"] for a in areas.values()), key=_ORDER.get, default=PASS)
    return {"status": overall, "areas": areas}


#: What the privacy and utility verdicts say when no true holdout was given.
NO_HOLDOUT = (
    "no true holdout: the synthesizer saw every real row compared, so these figures are "
    "optimistic and cannot pass (give --holdout)"
)


def _no_pass_without_holdout(found: dict, report: dict) -> dict:
    """Privacy and utility measured without rows the synthesizer never saw are not called
    a pass: such an area is a warn at best, and its rule says why."""
    if (report.get("privacy") or {}).get("true_holdout", False):
        return found
    for area in ("privacy", "utility"):
        judged = found["areas"].get(area)
        if judged is None:
            continue
        judged["true_holdout"] = False
        judged["rule"] = f"{NO_HOLDOUT}; {judged['rule']}"
        if judged["status"] == PASS:
            judged["status"] = WARN
    found["status"] = max(
        (a["status"] for a in found["areas"].values()), key=_ORDER.get, default=PASS
    )
    return found


def judge(report: dict, thresholds: Thresholds | None = None) -> dict:
    """``report`` with ``checks``, ``verdict`` and the ``thresholds`` in force added."""
    thresholds = thresholds or Thresholds.default()
    found = checks(report, thresholds)
    return report | {
        "verdict": _no_pass_without_holdout(verdict(found), report),
        "checks": found,
        "thresholds": thresholds.as_dict(),
    }


def broken_user_limits(report: dict) -> list[dict]:
    """The failed checks whose limit the user set: these make ``compare`` exit 1."""
    return [c for c in report.get("checks", []) if not c["passed"] and c["source"] != "default"]
