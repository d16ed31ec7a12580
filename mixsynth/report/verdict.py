"""The verdict of a comparison report: pass / warn / fail per area, and the rule that decided.

A report is a dict of figures (:mod:`mixsynth.metrics`); this module reads a few of
them and judges each against a rule. Every rule has a *fail* limit and may have a
stricter *warn* limit; the user overrides either with the ``compare`` threshold
options or a TOML ``--config`` file (``docs/report.md`` lists the defaults and why).
The default rules decide the verdict; only limits the user set change the exit status
(a pipeline asked for them), so adding the verdict broke no existing pipeline.

Pure data in, pure data out: no printing, no pandas.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixsynth.errors import OptionError

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


@dataclass(frozen=True)
class Rule:
    """One threshold: which figure, which side is good, and the default limits."""

    name: str  #: the option (``--name-with-dashes``) and the config key
    area: str
    figure: str  #: what the value is, in words
    upper: bool  #: True: the value must stay at or below the limit (a maximum)
    fail: float | None
    warn: float | None
    low: float = 0.0  #: the range a user's limit must lie in
    high: float = math.inf
    why: str = ""  #: what breaking it means, for the message

    @property
    def option(self) -> str:
        """The command-line option that sets the fail limit."""
        return "--" + self.name.replace("_", "-")


RULES: tuple[Rule, ...] = (
    Rule("min_column_shapes", "fidelity", "column shapes score", False, 0.70, 0.85, 0, 1,
         "marginal distributions differ"),
    Rule("max_variance_drift", "fidelity", "worst |variance ratio - 1| of a numeric column",
         True, 0.5, 0.2, why="a column's spread changed"),
    Rule("min_overall_score", "fidelity", "overall score", False, None, None, 0, 1),
    Rule("min_rule_share", "fidelity", "share of synthetic rows holding a rule every real "
         "row holds", False, 1.0, None, 0, 1, "rows break a rule of the real table"),
    Rule("min_pair_trends", "pairs", "column pair trends score", False, 0.80, 0.90, 0, 1,
         "relations between columns differ"),
    Rule("max_correlation_diff", "pairs", "largest correlation difference", True, 0.4, 0.2,
         0, 2, "a correlation moved"),
    Rule("max_exact_copy_share", "privacy", "exact-copy share",
         True, 0.5, 0.05, 0, 1, "real rows are released as they are"),
    Rule("min_dcr_ratio", "privacy",
         "synthetic DCR p5 / real-holdout DCR p5", False, None, 0.5,
         why="near-copies of real rows"),
    Rule("max_dcr_share", "privacy",
         "share of synthetic rows closer to the training rows than to holdout rows",
         True, 0.75, 0.6, 0, 1, "rows sit near the real rows they were made from"),
    Rule("max_unique_value_leak", "privacy", "unique-value leak", True, 0.5, 0.05, 0, 1,
         "synthetic rows carry values that identify one real row"),
    Rule("min_utility_ratio", "utility", "utility ratio (synthetic-trained / real-trained)",
         False, 0.75, 0.90, why="a model learns less from synthetic rows"),
    Rule("max_generation_drift", "drift",
         "change of the median variance ratio from the first to the last generation",
         True, 0.3, 0.1, why="the data drift as generations go on"),
    Rule("max_score_drop", "drift", "drop of the overall score from the first to the last "
         "generation", True, 0.15, 0.05, 0, 1, "quality is lost generation after generation"),
)  # fmt: skip
RULE_BY_NAME = {rule.name: rule for rule in RULES}


@dataclass
class Thresholds:
    """The limits in force: defaults, then a config file, then command-line options."""

    #: name -> {"fail": limit or None, "warn": limit or None, "source": where it came from}
    limits: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: per-column max_variance_drift (config ``[columns."name"]``)
    columns: dict[str, float] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Thresholds:
        return cls({r.name: {"fail": r.fail, "warn": r.warn, "source": "default"} for r in RULES})

    def set(self, name: str, limit: float, source: str) -> None:
        """A user's fail limit; the default warn limit stays only where it is stricter."""
        rule = RULE_BY_NAME[name]
        _check_limit(rule, limit, source)
        warn = self.limits[name]["warn"]
        if warn is not None and (warn >= limit if rule.upper else warn <= limit):
            warn = None
        self.limits[name] = {"fail": limit, "warn": warn, "source": source}

    def user_set(self) -> list[str]:
        return [n for n, v in self.limits.items() if v["source"] != "default"]

    def as_dict(self) -> dict:
        return {"limits": self.limits, "columns": self.columns}


def _check_limit(rule: Rule, limit: Any, source: str) -> None:
    ok = isinstance(limit, int | float) and not isinstance(limit, bool)
    if not ok or not rule.low <= limit <= rule.high:  # NaN fails too
        raise OptionError(
            f"{rule.name} ({source}) must be a number in [{rule.low:g}, {rule.high:g}], "
            f"got {limit!r}"
        )


def load_config(path: str | Path) -> dict:
    """The thresholds of a TOML file: ``[thresholds]`` name = limit (or {fail, warn}),
    ``[columns."name"]`` max_variance_drift = limit."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib

    from mixsynth.io.source import settings_bytes

    try:
        data = tomllib.loads(settings_bytes(path, "--config file").decode("utf-8"))
    except FileNotFoundError:
        raise OptionError(f"--config file {str(path)!r} does not exist") from None
    except OSError as error:
        raise OptionError(f"cannot read --config file {str(path)!r}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise OptionError(f"--config file {str(path)!r} is not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise OptionError(
            f"--config file {str(path)!r} is not UTF-8 text (byte {error.start}), as TOML must be",
            "save it as UTF-8",
        ) from None
    except RecursionError:
        raise OptionError(
            f"--config file {str(path)!r} is nested too deeply to be a thresholds file",
            'it holds [thresholds] and [columns."NAME"] tables of numbers',
        ) from None
    unknown = set(data) - {"thresholds", "columns"}
    if unknown:
        raise OptionError(
            f"--config file {str(path)!r} has an unknown table [{sorted(unknown)[0]}]",
            'it may hold [thresholds] and [columns."NAME"]',
        )
    return data


def thresholds_from(config: Mapping | None, options: Mapping[str, float | None]) -> Thresholds:
    """Defaults, overridden by a loaded config, overridden by command-line options."""
    thresholds = Thresholds.default()
    for name, value in ((config or {}).get("thresholds") or {}).items():
        if name not in RULE_BY_NAME:
            raise OptionError(
                f"unknown threshold {name!r} in --config",
                f"known: {', '.join(RULE_BY_NAME)}",
            )
        if isinstance(value, Mapping):
            rule = RULE_BY_NAME[name]
            for key in value:
                if key not in ("fail", "warn"):
                    raise OptionError(f"{name} in --config takes fail and warn, not {key!r}")
            for key in ("fail", "warn"):
                if key in value:
                    _check_limit(rule, value[key], "--config")
            thresholds.limits[name] = {
                "fail": value.get("fail"),
                "warn": value.get("warn"),
                "source": "--config",
            }
        else:
            thresholds.set(name, value, "--config")
    for column, table in ((config or {}).get("columns") or {}).items():
        if not isinstance(table, Mapping) or set(table) != {"max_variance_drift"}:
            raise OptionError(f"[columns.{column!r}] in --config takes max_variance_drift only")
        _check_limit(RULE_BY_NAME["max_variance_drift"], table["max_variance_drift"], "--config")
        thresholds.columns[str(column)] = float(table["max_variance_drift"])
    for name, value in options.items():
        if value is not None:
            thresholds.set(name, value, RULE_BY_NAME[name].option)
    return thresholds


# ---------------------------------------------------------------------------
# The figures each rule reads: (value, where it comes from, its baseline if any)


@dataclass(frozen=True)
class Reading:
    value: float | None
    detail: str = ""  #: e.g. the worst column's ratio, or the baseline
    subject: str | None = None  #: the column the value is of, when it is one column's


def _numeric_columns(report: dict) -> Iterator[tuple[str, dict]]:
    for name, figures in report["columns"].items():
        if "ks_statistic" in figures:
            yield name, figures


def _variance_drift(report: dict, columns: Mapping[str, float]) -> Reading:
    """The largest |ratio - 1| (scaled to the default limit for columns with their own)."""
    worst: tuple[float, str] | None = None
    for name, figures in _numeric_columns(report):
        ratio = figures.get("variance_ratio")
        if ratio is None or name in columns:
            continue
        drift = abs(ratio - 1)
        if worst is None or drift > worst[0]:
            worst = (drift, f"{name!r}: variance ratio {ratio:.3g}")
    return Reading(*(worst or (None, "")))


def _dcr_ratio(report: dict) -> Reading:
    p = report["privacy"]
    synthetic, baseline = p.get("dcr_p5"), p.get("holdout_dcr_p5")
    if synthetic is None or not baseline:  # duplicates in the real data: no baseline
        return Reading(None)
    return Reading(synthetic / baseline, f"DCR p5 {synthetic:.3g} vs real-holdout {baseline:.3g}")


def _dcr_share(report: dict) -> Reading:
    """Read only against a true holdout: on halves of rows the synthesizer saw both of,
    the share says nothing."""
    p = report["privacy"]
    if not p.get("true_holdout"):
        return Reading(None)
    return Reading(p.get("dcr_share"), "0.5 is a fresh real sample")


def _unique_value_leak(report: dict) -> Reading:
    """The largest leak over the columns that are not mixed (semantics: docs/semantics.md)."""
    leaks = {n: v for n, v in (report["privacy"].get("unique_value_leaks") or {}).items()
             if v is not None}  # fmt: skip
    if not leaks:
        return Reading(None)
    ordered = sorted(leaks, key=lambda n: -leaks[n])
    others = ", ".join(f"{n!r} {leaks[n]:.3g}" for n in ordered[1:] if leaks[n] > 0)
    return Reading(leaks[ordered[0]], f"then {others}" if others else "", ordered[0])


def _rule_share(report: dict) -> Reading:
    """The rule every real row holds that the fewest synthetic rows hold (docs/rules.md);
    a rule mixsynth only reports (not linear) is not judged."""
    kept = [r for r in report.get("rules") or [] if r["kind"] != "formula" and r["real"] == 1]
    if not kept:
        return Reading(None)
    worst = min(kept, key=lambda r: r["synthetic"])
    broken = sum(r["synthetic"] < 1 for r in kept)
    return Reading(worst["synthetic"], f"{broken} of {len(kept)} rules broken", worst["rule"])


def _utility_ratio(report: dict) -> Reading:
    utility = report.get("utility") or {}
    ratios = utility.get("ratio") or {}
    key = "accuracy" if "accuracy" in ratios else "r2"
    value = ratios.get(key)
    return Reading(value, f"{key} ratio" if value is not None else "")


def median(values: Sequence[float]) -> float | None:
    """The median, None for no values (the report's tables share it)."""
    if not values:
        return None
    ordered = sorted(values)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def _median_variance_ratio(entry: dict) -> float | None:
    return median(
        [c["variance_ratio"] for _, c in _numeric_columns(entry) if c.get("variance_ratio")]
    )


def _generation_drift(report: dict) -> Reading:
    entries = report.get("generations") or []
    if len(entries) < 2:
        return Reading(None)
    first, last = _median_variance_ratio(entries[0]), _median_variance_ratio(entries[-1])
    if not first or last is None:
        return Reading(None)
    return Reading(
        abs(last / first - 1),
        f"median variance ratio {first:.3g} at generation {entries[0]['generation']}, "
        f"{last:.3g} at generation {entries[-1]['generation']}",
    )


def _score_drop(report: dict) -> Reading:
    entries = report.get("generations") or []
    if len(entries) < 2:
        return Reading(None)
    first, last = entries[0]["scores"]["overall"], entries[-1]["scores"]["overall"]
    if first is None or last is None:
        return Reading(None)
    return Reading(
        first - last,
        f"overall {first:.3g} at generation {entries[0]['generation']}, "
        f"{last:.3g} at generation {entries[-1]['generation']}",
    )


READERS: dict[str, Callable[[dict, Thresholds], Reading]] = {
    "min_column_shapes": lambda r, t: Reading(r["scores"]["column_shapes"]),
    "max_variance_drift": lambda r, t: _variance_drift(r, t.columns),
    "min_overall_score": lambda r, t: Reading(r["scores"]["overall"]),
    "min_rule_share": lambda r, t: _rule_share(r),
    "min_pair_trends": lambda r, t: Reading(r["scores"]["column_pair_trends"]),
    "max_correlation_diff": lambda r, t: Reading(r["pairs"].get("correlation_max_abs_diff")),
    "max_exact_copy_share": lambda r, t: Reading(r["privacy"]["exact_copy_share"]),
    "min_dcr_ratio": lambda r, t: _dcr_ratio(r),
    "max_dcr_share": lambda r, t: _dcr_share(r),
    "max_unique_value_leak": lambda r, t: _unique_value_leak(r),
    "min_utility_ratio": lambda r, t: _utility_ratio(r),
    "max_generation_drift": lambda r, t: _generation_drift(r),
    "max_score_drop": lambda r, t: _score_drop(r),
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
    for name, figures in _numeric_columns(report):
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
        for name, figures in _numeric_columns(report):
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
