"""The report's detail tables: every column's treatment, the numeric and categorical
columns' figures, pairs of columns and schema differences."""

from __future__ import annotations

from typing import Any

from mixsynth.report.section import Section, fmt, percent


def treatments_section(report: dict) -> Section:
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


def numeric_section(report: dict) -> Section:
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


def categorical_section(report: dict) -> Section:
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


def pairs_section(report: dict) -> Section:
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


def schema_section(report: dict) -> Section:
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
