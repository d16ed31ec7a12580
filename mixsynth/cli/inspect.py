"""``mixsynth inspect``: the columns, their kinds and semantics, as generate sees them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mixsynth.choices import (
    STDIO,
)
from mixsynth.cli.app import app, require_stdout
from mixsynth.cli.common import (
    CategoricalOption,
    EncodingOption,
    InputFormatOption,
    declared_flags,
    distinct_count,
    options_from_flags,
    print_notes,
    print_table,
)
from mixsynth.errors import one_line


def rule_evidence(table: object, rules: tuple) -> list[dict]:
    """Each rule with the rows that hold it, the evidence it is one."""
    from mixsynth.rules import RuleData

    data = RuleData(table)
    found = []
    for rule in rules:
        holding = int(data.holds(rule).sum())
        evidence = f"holds in {holding} of {data.rows} rows"
        found.append(
            {**rule.to_dict(), "origin": rule.origin, "rows_holding": holding, "evidence": evidence}
        )
    return found


@app.command()
@declared_flags(("rules", "rule_files", "detect_rules"), before="force")
def inspect(
    input: Annotated[
        str,
        typer.Argument(
            help="Table to inspect (.csv or .parquet), - for stdin, or a folder of linked "
            "tables (their keys and relationships)."
        ),
    ],
    input_format: InputFormatOption = None,
    encoding: EncodingOption = "utf-8",
    categorical: CategoricalOption = None,
    metadata: Annotated[
        str | None,
        typer.Option(
            "--metadata",
            help="Write the inferred column semantics to this JSON file, to edit and "
            "give to generate/compare --metadata.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing --metadata file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    **rule_flags: Any,
) -> None:
    """Show what each column means to mixsynth, why, and what generate does with it.

    Example: mixsynth inspect sample_data/customers.csv --metadata meta.json
    """
    from mixsynth.cli.multi_table import inspect_folder, is_folder
    from mixsynth.engine.reference import Reference
    from mixsynth.io import arrow_to_frame, check_output, read_arrow
    from mixsynth.semantics.inference import suggest_by

    if is_folder(input):
        from mixsynth.cli.multi_table import refuse_for_folders

        refuse_for_folders(
            {
                "--categorical": bool(categorical),
                "--input-format": input_format is not None,
                "--encoding": encoding != "utf-8",
            },
            "leave it out: the files are read by their suffixes as UTF-8, types edited in --metadata",
        )
        inspect_folder(input, metadata, force, as_json)
        return
    require_stdout()
    if metadata is not None:
        check_output(metadata, force, (input,))
    arrow = read_arrow(input, input_format, encoding).table
    options = options_from_flags(rule_flags, categorical=tuple(categorical or ()))
    reference = Reference.of(arrow, options)
    frame = arrow_to_frame(arrow)
    rows = [
        {
            "name": str(spec.name),
            "type": reference.semantics[str(spec.name)].sdtype.value,
            "pii": reference.semantics[str(spec.name)].pii,
            "synthesis": reference.semantics[str(spec.name)].treatment(),
            "kind": spec.kind.value,
            "dtype": str(frame[spec.name].dtype),
            "storage": spec.dtype,
            "missing": spec.missing,
            "distinct": distinct_count(frame[spec.name]),
            "reason": reference.semantics[str(spec.name)].reason,
        }
        for spec in reference.schema
    ]
    suggestions = suggest_by(frame, reference.semantics)
    if metadata is not None:
        from mixsynth.semantics.metadata import save_metadata

        stem = "stdin" if input == STDIO else Path(input).stem
        save_metadata(reference.semantics, metadata, stem)
    found = rule_evidence(arrow, reference.rules)
    if as_json:
        document = {
            "rows": len(frame),
            "columns": rows,
            "rules": found,
            "suggestions": suggestions,
        }
        typer.echo(json.dumps(document, indent=2))
        return
    shown = ("name", "type", "synthesis", "storage", "missing", "distinct")
    # Names and text from the data are escaped, as in error messages: no terminal
    # escape code in them acts.
    print_table(
        one_line(f"{input}: {len(frame)} rows x {len(rows)} columns"),
        list(shown),
        [
            [
                (f"{row['type']} ({row['pii']})" if row["pii"] else str(row["type"]))
                if key == "type"
                else one_line(str(row[key]))
                for key in shown
            ]
            for row in rows
        ],
    )
    notes = ["Why:"] + [one_line(f"  {row['name']}: {row['reason']}") for row in rows]
    if found:
        notes += ["Rules (kept in every synthetic row; --no-detect-rules: only declared ones):"]
        notes += [
            one_line(f"  {entry['rule']} ({entry['origin']}; {entry['evidence']})")
            for entry in found
        ]
    notes += [
        f"Suggestion: --by {hint['by']} (it explains {hint['eta_squared']:.0%} of the "
        f"variance of {hint['explains']}; {hint['groups']} groups of at least "
        f"{hint['smallest_group']} rows): mixing inside its groups keeps that link."
        for hint in suggestions
    ]
    print_notes(notes)
