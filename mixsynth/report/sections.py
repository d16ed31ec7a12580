"""The report as sections (title, header, rows of formatted strings): what every
text view shows, from the dict of :mod:`mixsynth.metrics`."""

from __future__ import annotations

from mixsynth.report.column_sections import (
    categorical_section,
    numeric_section,
    pairs_section,
    schema_section,
    treatments_section,
)
from mixsynth.report.privacy_sections import attacks_section, privacy_section, utility_section
from mixsynth.report.readings import median
from mixsynth.report.rule_section import rules_section
from mixsynth.report.section import Section, fmt, percent

#: Columns plotted as histograms / bar charts in the HTML report (the worst first).
MAX_PLOTTED_COLUMNS = 24
#: Columns listed in the terminal's "worst columns" table.
WORST_COLUMNS = 5


def _column_score(figures: dict) -> float | None:
    """The column's shape score: KSComplement (numeric) or TVComplement (categorical)."""
    return figures.get("ks_complement", figures.get("tv_complement"))


def worst_first(columns: dict) -> list[str]:
    return sorted(
        columns,
        key=lambda name: (_column_score(columns[name]) is None, _column_score(columns[name]) or 0),
    )


def sections(report: dict) -> list[Section]:
    """Every table of the report, the verdict first, then the summary tables."""
    if "verdict" not in report:  # a library user's dict: judged by the default rules
        from mixsynth.report.verdict import judge

        report = judge(report)
    result = [_verdict(report), _overview(report), _scores(report)]
    if report.get("generations"):
        result.append(_trajectory(report))
    result += [_worst(report), privacy_section(report)]
    if report.get("attacks"):
        result.append(attacks_section(report["attacks"]))
    if report.get("utility"):
        result.append(
            utility_section(report["utility"], report["privacy"].get("true_holdout", False))
        )
    result.append(_suggestions(report))
    result.append(rules_section(report))
    result += [
        treatments_section(report),
        numeric_section(report),
        categorical_section(report),
        pairs_section(report),
        schema_section(report),
        _checks(report),
        _provenance(report),
    ]
    return [s for s in result if s.rows]


def _verdict(report: dict) -> Section:
    from mixsynth.report.verdict import AREA_TITLES

    verdict = report["verdict"]
    rows = [
        [AREA_TITLES[area], found["status"], found["rule"]]
        for area, found in verdict["areas"].items()
    ]
    return Section(
        f"Verdict: {verdict['status']}",
        ["area", "verdict", "rule that decided it"],
        rows,
        "Default rules and how to change them: docs/report.md; every check is listed "
        "under 'Checks'.",
        summary=True,
    )


def _checks(report: dict) -> Section:
    rows = [
        [
            c["name"],
            c["area"],
            fmt(c["value"], 4),
            fmt(c["limit"], 4),
            fmt(c["warn_limit"], 4),
            c["status"],
            c["source"],
        ]
        for c in report["checks"]
    ]
    return Section(
        "Checks",
        ["check", "area", "value", "fail limit", "warn limit", "status", "set by"],
        rows,
        "max_* limits are maxima, min_* minima. Only limits you set (an option or "
        "--config) change the exit status.",
    )


def _provenance(report: dict) -> Section:
    found = report.get("provenance")
    if not found:
        return Section("Provenance", ["", ""], [])
    rows = [
        ["mixsynth version", found["mixsynth_version"]],
        ["created (UTC)", found["created_utc"]],
    ]
    rows += [
        [f"{role} input", f"{entry['path']} (sha256 {entry['sha256'] or 'not available'})"]
        for role, entry in found["inputs"].items()
    ]
    return Section("Provenance", ["", ""], rows)


def _overview(report: dict) -> Section:
    rows = [
        ["real rows", fmt(report["rows"]["real"])],
        ["synthetic rows", fmt(report["rows"]["synthetic"])],
        ["columns compared", fmt(len(report["columns"]))],
    ]
    if "holdout" in report["rows"]:
        rows.insert(1, ["held-out real rows (never seen)", fmt(report["rows"]["holdout"])])
    others = [t for t in report.get("treatments") or [] if not t["compared"]]
    if others:
        rows.append(
            [
                "columns not compared",
                ", ".join(f"{t['column']} ({t['treatment']})" for t in others),
            ]
        )
    weights = report.get("weights")
    if weights:
        rows += [
            ["weights", weights["label"]],
            ["rho per generation (theory)", fmt(weights["rho"], 5)],
            [
                "delta, kappa, novelty (theory)",
                ", ".join(fmt(weights[k], 4) for k in ("delta", "kappa", "novelty")),
            ],
            ["generations", fmt(len(report["generations"]))],
            ["seed", fmt(report.get("seed"))],
        ]
    return Section("Overview", ["", ""], rows, summary=True)


def _scores(report: dict) -> Section:
    scores = report["scores"]
    rows = [
        ["overall", fmt(scores["overall"]), "mean of column shapes and column pair trends"],
        ["column shapes", fmt(scores["column_shapes"]), "mean KSComplement / TVComplement"],
        [
            "column pair trends",
            fmt(scores["column_pair_trends"]),
            f"{scores['pairs_meeting_threshold']} of {scores['pairs']} pairs strongly related in real data",
        ],
        [
            "column pair trends, all pairs",
            fmt(scores["column_pair_trends_all"]),
            f"{scores['pairs']} pairs",
        ],
    ]
    return Section(
        "Scores (0-1, SDMetrics QualityReport definitions)",
        ["score", "value", "over"],
        rows,
        summary=True,
    )


def _trajectory(report: dict) -> Section:
    rows = []
    for entry in report["generations"]:
        ratios = [
            c["variance_ratio"]
            for c in entry["columns"].values()
            if c.get("variance_ratio") is not None
        ]
        rows.append(
            [
                str(entry["generation"]),
                fmt(entry["predicted_variance_ratio"], 4),
                fmt(median(ratios), 4),
                fmt(min(ratios) if ratios else None, 4),
                fmt(max(ratios) if ratios else None, 4),
                fmt(entry["scores"]["overall"]),
                fmt(entry["pairs"].get("correlation_max_abs_diff")),
                fmt(entry["privacy"]["dcr_median"]),
                percent(entry["privacy"].get("dcr_share")),
            ]
        )
    return Section(
        "Generations (each against the real input)",
        [
            "gen",
            "rho^g (theory)",
            "variance ratio median",
            "min",
            "max",
            "overall",
            "corr max diff",
            "DCR median",
            "DCR share",
        ],
        rows,
        summary=True,
    )


def _worst(report: dict) -> Section:
    columns = report["columns"]
    rows = []
    for name in worst_first(columns)[:WORST_COLUMNS]:
        c = columns[name]
        numeric = "ks_statistic" in c
        rows.append(
            [
                name,
                c["kind"],
                fmt(_column_score(c)),
                "KSComplement" if numeric else "TVComplement",
                fmt(c.get("variance_ratio")),
                fmt(c.get("mean_diff_std")),
            ]
        )
    return Section(
        "Worst columns",
        ["column", "kind", "score", "metric", "variance ratio", "mean diff (real sd)"],
        rows,
        summary=True,
    )


def _suggestions(report: dict) -> Section:
    """--by columns worth giving: each explains a mixed column strongly (docs/semantics.md)."""
    rows = [
        [
            f"--by {hint['by']}",
            f"explains {percent(hint['eta_squared'])} of the variance of {hint['explains']}; "
            f"{hint['groups']} groups of at least {hint['smallest_group']} rows",
        ]
        for hint in report.get("suggestions") or []
    ]
    note = (
        "Mixing inside the groups of such a column keeps its link with the numbers, which "
        "copying it from donor rows shrinks by kappa per generation."
    )
    return Section("Suggestions", ["option", "why"], rows, note, summary=True)
