"""The report's privacy tables: distance to closest record, anonymeter's attacks, and
utility (train on synthetic, test on real), each against the holdout it was measured on."""

from __future__ import annotations

from mixsynth.report.section import Section, fmt, percent


def privacy_section(report: dict) -> Section:
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


def attacks_section(found: dict) -> Section:
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


def utility_section(utility: dict, true_holdout: bool) -> Section:
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
