"""The report as sections (title, header, rows of formatted strings): what every
text view shows, from the dict of :mod:`mixsynth.metrics`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mixsynth.report.verdict import median

#: Columns plotted as histograms / bar charts in the HTML report (the worst first).
MAX_PLOTTED_COLUMNS = 24
#: Columns listed in the terminal's "worst columns" table.
WORST_COLUMNS = 5


@dataclass(frozen=True)
class Section:
    """One table of the report, already formatted as text."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    summary: bool = False  #: part of the compact summary shown first in a terminal
    #: header names kept on a terminal, where width is scarce (None: all)
    terminal: tuple[str, ...] | None = None


def fmt(value: Any, digits: int = 3) -> str:
    """A number for people: fixed digits, scientific when tiny or huge, '-' when missing."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1e6 or abs(value) < 10 ** -(digits + 1):
            return f"{value:.{digits}g}"
        return f"{value:.{digits}f}"
    return str(value)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


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
    result += [_worst(report), _privacy(report)]
    if report.get("attacks"):
        result.append(_attacks(report["attacks"]))
    if report.get("utility"):
        result.append(_utility(report["utility"], report["privacy"].get("true_holdout", False)))
    result.append(_suggestions(report))
    from mixsynth.report.rule_section import rules_section

    result.append(rules_section(report))
    result += [
        _treatments(report),
        _numeric(report),
        _categorical(report),
        _pairs(report),
        _schema(report),
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


def _privacy(report: dict) -> Section:
    p = report["privacy"]
    true_holdout = p.get("true_holdout", False)
    baseline = "real holdout" if true_holdout else "real rows (not a true holdout)"
    rows = [
        [
            "closer to training rows than to holdout rows",
            percent(p.get("dcr_share")),
            "50.0%",
        ],
        ["DCR median", fmt(p["dcr_median"]), fmt(p["holdout_dcr_median"])],
        ["DCR 5th percentile", fmt(p["dcr_p5"]), fmt(p["holdout_dcr_p5"])],
        [
            "exact copies of real rows",
            percent(p["exact_copy_share"]),
            percent(p["holdout_exact_copy_share"]),
        ],
    ]
    leaks = p.get("unique_value_leaks") or {}
    rows += [
        [f"rows carrying a unique real value of {name}", percent(share), ""]
        for name, share in sorted(leaks.items(), key=lambda item: -(item[1] or 0))
        if share
    ]
    if leaks and not any(leaks.values()):
        rows.append(["rows carrying a unique real value", "0% in every copied column", ""])
    holdout = (
        f"{p['holdout_rows']} real holdout rows the synthesizer never saw"
        if true_holdout
        else f"{p['holdout_rows']} other real rows. NOT A TRUE HOLDOUT: the synthesizer saw "
        "these rows too, so the figures are optimistic (give --holdout)"
    )
    note = (
        f"Distance to closest record among {p['reference_rows']} real rows (mean per-column distance, 0-1); "
        f"{p['synthetic_rows']} synthetic rows against {holdout}. "
        f"The share closer to the training rows uses {p.get('dcr_share_rows')} rows of each "
        "side; a fresh real sample scores 50%, copies 100%. "
        "Exact copies: every synthetic row, against every real row. A unique real value "
        "(an e-mail, a rare code) identifies a person: the share of synthetic rows that "
        "carry one, per column that is not mixed."
    )
    return Section(
        "Privacy (distance to closest record)",
        ["figure", "synthetic", baseline],
        rows,
        note,
        summary=True,
    )


def _attacks(found: dict) -> Section:
    """anonymeter's risks, each with its 95% confidence interval (compare --attacks)."""

    def row(label: str, risk: dict) -> list[str]:
        return [label, fmt(risk["risk"]), f"{fmt(risk['ci'][0])} to {fmt(risk['ci'][1])}"]

    rows = [
        row(f"singling out ({mode})", found[f"singling_out_{mode}"])
        for mode in ("univariate", "multivariate")
    ]
    if "linkability" in found:
        rows.append(row("linkability", found["linkability"]))
    rows += [row(f"inference of {name}", risk) for name, risk in found.get("inference", {}).items()]
    note = (
        f"anonymeter, {found['n_attacks']} attacks each on {found['rows']} training rows, the "
        "holdout rows as control: the attack's success on training rows beyond its success "
        "on rows the synthesizer never saw (0: no more than a fresh sample, 1: every attack "
        "succeeds)."
    )
    return Section(
        "Privacy attacks (anonymeter)", ["attack", "risk", "95% interval"], rows, note, summary=True
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


def _utility(utility: dict, true_holdout: bool) -> Section:
    if "real" not in utility:
        return Section("Utility", ["", ""], [["note", utility.get("note", "")]], summary=True)
    rows = [
        [
            name,
            fmt(utility["real"][name]),
            fmt(utility["synthetic"][name]),
            fmt(utility["ratio"][name]),
        ]
        for name in utility["real"]
    ]
    tested = "real holdout rows" if true_holdout else "other real rows (not a true holdout)"
    note = (
        f"Target {utility['target']!r} ({utility['task']}); {utility['train_rows']} training rows, "
        f"tested on {utility['test_rows']} {tested}."
    )
    return Section(
        "Utility (train on real vs synthetic, test on real)",
        ["metric", "train real", "train synthetic", "ratio"],
        rows,
        note,
        summary=True,
    )


def _treatments(report: dict) -> Section:
    rows = [
        [t["column"], t["meaning"], t["treatment"], "yes" if t["compared"] else "no", t["why"]]
        for t in report.get("treatments") or []
    ]
    return Section(
        "Columns and their treatment",
        ["column", "meaning", "treatment", "compared", "why"],
        rows,
        "Every column of the real table as generate treats it (the same inference as "
        "inspect, or the metadata): mixed from two rows, copied from a donor, made up "
        "(keys, personal data, free text: never compared, as their real values never "
        "reappear), or left out when the tables differ on it.",
    )


def _date_shown(real: dict) -> Any:
    """Formats epoch seconds (the report's unit for dates) as dates: to the day when the
    real values span more than :data:`DAY_PRECISION_SPAN` days, else to the minute."""
    import datetime

    low, high = real.get("min"), real.get("max")
    span_days = (high - low) / 86400 if low is not None and high is not None else 0
    pattern = "%Y-%m-%d" if span_days > DAY_PRECISION_SPAN else "%Y-%m-%d %H:%M"

    def shown(seconds: float | None) -> str:
        if seconds is None:
            return "-"
        epoch = datetime.datetime(1970, 1, 1)
        try:
            return (epoch + datetime.timedelta(seconds=seconds)).strftime(pattern)
        except OverflowError:  # past year 9999: the number is all there is
            return fmt(seconds)

    return shown


#: Dates spanning more days than this are shown to the day, others to the minute.
DAY_PRECISION_SPAN = 10


def _numeric(report: dict) -> Section:
    rows = []
    for name, c in report["columns"].items():
        if "ks_statistic" not in c:
            continue
        r, s = c["real"], c["synthetic"]
        shown = _date_shown(r) if c.get("kind") == "datetime" else fmt
        row = [
            name,
            shown(r.get("mean")),
            shown(s.get("mean")),
            fmt(c.get("mean_diff_std")),
            fmt(c.get("variance_ratio")),
        ]
        if "predicted_variance_ratio" in c:
            row.append(fmt(c["predicted_variance_ratio"]))
        row += [
            fmt(r.get("skew")),
            fmt(s.get("skew")),
            fmt(r.get("kurtosis")),
            fmt(s.get("kurtosis")),
            fmt(c["ks_statistic"]),
            fmt(c.get("wasserstein")),
            percent(c.get("out_of_range_share")),
            percent(r["missing_rate"]) + " / " + percent(s["missing_rate"]),
        ]
        rows.append(row)
    header = ["column", "mean r", "mean s", "mean diff/sd", "var ratio"]
    if rows and any("predicted_variance_ratio" in c for c in report["columns"].values()):
        header.append("rho^g")
    header += [
        "skew r",
        "skew s",
        "kurt r",
        "kurt s",
        "KS",
        "W1/sd",
        "out of range",
        "missing r / s",
    ]
    note = (
        "r = real, s = synthetic. var ratio = Var(s) / Var(r) (rho^g: the theory's prediction). "
        "kurt = excess kurtosis. W1/sd = Wasserstein distance / real sd. "
        "out of range = synthetic values outside the real [min, max]. Dates: means shown as dates (in JSON: epoch seconds)."
    )
    terminal = (
        "column",
        "mean diff/sd",
        "var ratio",
        "rho^g",
        "KS",
        "W1/sd",
        "out of range",
        "missing r / s",
    )
    return Section("Numeric columns", header, rows, note, terminal=terminal)


def _categorical(report: dict) -> Section:
    rows = []
    for name, c in report["columns"].items():
        if "tv_distance" not in c:
            continue
        rows.append(
            [
                name,
                c["kind"],
                fmt(c["real"]["distinct"]),
                fmt(c["tv_distance"]),
                percent(c.get("coverage")),
                percent(c.get("unseen_share")),
                percent(c["real"]["missing_rate"])
                + " / "
                + percent(c["synthetic"]["missing_rate"]),
            ]
        )
    return Section(
        "Categorical columns",
        [
            "column",
            "kind",
            "categories",
            "TV distance",
            "coverage",
            "unseen",
            "missing r / s",
        ],
        rows,
        "Coverage: real categories present in the synthetic data. Unseen: synthetic values no real row has.",
        terminal=("column", "categories", "TV distance", "coverage", "unseen", "missing r / s"),
    )


def _pairs(report: dict) -> Section:
    pairs = report["pairs"]
    rows = [
        ["correlation, max |difference|", fmt(pairs.get("correlation_max_abs_diff"))],
        ["correlation, mean |difference|", fmt(pairs.get("correlation_mean_abs_diff"))],
        ["covariance norm ratio (synth / real)", fmt(pairs.get("covariance_norm_ratio"))],
        ["covariance log-determinant ratio", fmt(pairs.get("covariance_log_det_ratio"))],
    ]
    contingency = [
        p["score"]
        for p in pairs["details"]
        if p["metric"] == "ContingencySimilarity" and p["score"] is not None
    ]
    if contingency:
        rows.append(["contingency similarity, mean", fmt(sum(contingency) / len(contingency))])
        rows.append(["contingency similarity, min", fmt(min(contingency))])
    eta = [
        abs(p["correlation_ratio_synthetic"] - p["correlation_ratio_real"])
        for p in pairs["details"]
        if p.get("correlation_ratio_real") is not None
        and p.get("correlation_ratio_synthetic") is not None
    ]
    if eta:
        rows.append(["correlation ratio (eta), max |difference|", fmt(max(eta))])
    return Section("Pairs of columns", ["figure", "value"], [r for r in rows if r[1] != "-"])


def _schema(report: dict) -> Section:
    schema = report["schema"]
    rows = [[name, "only in the real table", ""] for name in schema["only_in_real"]]
    rows += [[name, "only in the synthetic table", ""] for name in schema["only_in_synthetic"]]
    rows += [
        [e["column"], "not compared: kinds differ", f"{e['real']} / {e['synthetic']}"]
        for e in schema["incompatible"]
    ]
    rows += [
        [e["column"], "compared: dtypes differ", f"{e['real']} / {e['synthetic']}"]
        for e in schema["dtype_differences"]
    ]
    return Section("Schema differences", ["column", "difference", "dtype real / synthetic"], rows)


# ---------------------------------------------------------------------------
# Markdown


#: Holds a short value's words together while wrapping (textwrap breaks only at ASCII space).
NBSP = "\u00a0"


def looks_numeric(text: str) -> bool:
    try:
        float(text.replace("%", "").replace(" / ", "").replace("-", "0", 1) or "0")
    except ValueError:
        return text == "-"
    return True
