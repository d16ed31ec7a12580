"""The report's table of rules: each with the share of real and synthetic rows holding it
(docs/rules.md)."""

from __future__ import annotations

from mixsynth.report.section import Section


def share(value: float) -> str:
    """100% only when every row holds the rule: 99.996% is shown as 99.99%, not 100.0%."""
    if value == 1:
        return "100%"
    return f"{min(100 * value, 99.99):.2f}%"


def rules_section(report: dict) -> Section:
    """Every rule of the real table, broken ones first."""
    entries = sorted(report.get("rules") or [], key=lambda r: not r["broken"])
    rows = [
        [
            entry["rule"],
            entry["kind"] + ("" if entry["origin"] == "detected" else ", declared"),
            share(entry["real"]),
            share(entry["synthetic"]),
            "broken" if entry["broken"] else ("reported" if entry["kind"] == "formula" else "kept"),
        ]
        for entry in entries
    ]
    note = (
        "Rules every real row holds (found or declared); mixsynth keeps each in every "
        "synthetic row, except rules that are not linear, which are only reported."
    )
    return Section(
        "Rules", ["rule", "kind", "real", "synthetic", "status"], rows, note, summary=True
    )
