"""The figure each rule of the verdict reads from a report: its value, where it comes
from (the worst column, the baseline) and the column it is of.

One reader per rule, apart from the verdict's assembly: a report lacking a figure (no
holdout, one generation) gives no value, and the rule is then not judged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from mixsynth.report.thresholds import Thresholds


@dataclass(frozen=True)
class Reading:
    """A rule's figure as read from a report (value None: not there, not judged)."""

    value: float | None
    detail: str = ""  #: e.g. the worst column's ratio, or the baseline
    subject: str | None = None  #: the column the value is of, when it is one column's


def numeric_columns(report: dict) -> Iterator[tuple[str, dict]]:
    """The numeric columns' figures (those with a KS statistic), by name."""
    for name, figures in report["columns"].items():
        if "ks_statistic" in figures:
            yield name, figures


def _variance_drift(report: dict, columns: Mapping[str, float]) -> Reading:
    """The largest |ratio - 1| (scaled to the default limit for columns with their own)."""
    worst: tuple[float, str] | None = None
    for name, figures in numeric_columns(report):
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
        [c["variance_ratio"] for _, c in numeric_columns(entry) if c.get("variance_ratio")]
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
