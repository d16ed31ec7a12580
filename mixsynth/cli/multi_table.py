"""generate, compare and inspect given a folder of linked tables (one file per table):
the commands hand a folder to these, which hand it to :mod:`mixsynth.relational`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mixsynth.choices import STDIO
from mixsynth.cli.app import require_stdout, say, stdout_console
from mixsynth.cli.common import generation_progress, quiet_warnings
from mixsynth.errors import OptionError

if TYPE_CHECKING:
    from mixsynth.relational import RelationalMetadata


def is_folder(path: str | None) -> bool:
    return path is not None and path != STDIO and Path(path).is_dir()


#: Options of one table whose refusal for a folder needs its own reason and way out.
FOLDER_REFUSALS = {
    "--where": (
        "--where keeps the rows of one table that match; across linked tables it would "
        "leave children without their parents or parents without their children",
        "filter the tables first, each child's rows with their parents', and generate "
        "the filtered folder",
    ),
    "--balance": (
        "--balance adds new rows of one table's rare class; in a folder each row is made "
        "with its parents and children, which new rows would not have",
        "generate the folder, then balance one of its tables: mixsynth generate "
        "OUT/gen-001/TABLE.csv --balance COLUMN -o balanced.csv",
    ),
    "--privacy-target": (
        "--privacy-target searches settings on a held-out half of one table; linked "
        "tables are made together, so it is not offered for a folder",
        "give the settings it picks on most tables yourself, e.g. --privacy-margin 0.3 "
        "--copy-neighbours 5 (docs/privacy.md)",
    ),
}


def refuse_for_folders(given: dict[str, bool], hint: str) -> None:
    """One line naming the first option that has no meaning for a folder of tables."""
    for option, present in given.items():
        if present:
            if option in FOLDER_REFUSALS:
                raise OptionError(*FOLDER_REFUSALS[option])
            raise OptionError(f"{option} applies to one table, not to a folder of tables", hint)


def folder_metadata(folder: str, path: str | None, quiet: bool) -> RelationalMetadata:
    """The --metadata file (SDV's multi-table JSON or mixsynth's); without one, the keys
    and relationships found in the folder, said on stderr."""
    from mixsynth.relational import RelationalMetadata

    if path is not None:
        return RelationalMetadata.load(path)
    from mixsynth.relational.detect import detect_metadata
    from mixsynth.relational.files import read_tables

    metadata = detect_metadata(read_tables(folder))
    if not quiet:
        links = ", ".join(r.label() for r in metadata.relationships) or "none"
        say(f"no --metadata: keys and relationships found from names and values: {links}")
    return metadata


def generate_folder(
    *,
    input: str,
    flags: dict[str, Any],
    refused: dict[str, bool],
    out_dir: Path | None,
    generations: int,
    scale: float,
    seed: int | None,
    report: str | None,
    resume: bool,
    force: bool,
    quiet: bool,
) -> None:
    """generate FOLDER --out-dir OUT: every table, every generation in OUT/gen-NNN/.

    ``flags`` are the declared synthesis flags; ``--metadata`` is the multi-table file
    here, and the flags naming one table's columns or rows are refused."""
    from mixsynth.cli.common import options_from_flags

    flags = dict(flags)
    metadata = flags.pop("metadata", None)
    one_table = {
        "--rows": flags.get("rows") is not None,
        "--by": bool(flags.get("by")),
        "--categorical": bool(flags.get("categorical")),
        "--privacy-target": flags.get("privacy_target") is not None,
    }
    refuse_for_folders(
        refused | one_table, "leave it out; column types go in the multi-table --metadata"
    )
    flags = {
        name: value for name, value in flags.items() if name not in ("rows", "by", "categorical")
    }
    options = options_from_flags(flags)
    from mixsynth.jobs.multi_table import MultiTableGenerateJob

    if out_dir is None:
        raise OptionError(
            "a folder of tables needs --out-dir", "give --out-dir OUT: OUT/gen-001/<table>.csv ..."
        )
    if not scale > 0:
        raise OptionError(f"--scale must be above 0, got {scale:g}", "give e.g. --scale 1 or 0.5")
    if generations < 1:
        raise OptionError(f"--generations must be at least 1, got {generations}")
    if report == STDIO:
        require_stdout()
    job = MultiTableGenerateJob(
        input=input,
        metadata=folder_metadata(input, metadata, quiet),
        options=options,
        out_dir=out_dir,
        generations=generations,
        scale=scale,
        seed=seed,
        report=report,
        resume=resume,
        force=force,
        say=(lambda line: None) if quiet else say,
    )
    with quiet_warnings(quiet), generation_progress(generations, quiet) as advance:
        job.run(on_progress=advance)
    if not quiet:
        files = "gen-001" if generations == 1 else f"gen-001 to gen-{generations:03d}"
        written = (
            f"wrote {len(job.metadata.tables)} tables per generation, {files}, in {str(out_dir)!r}"
        )
        say(written + (f", and the report to {report!r}" if report else ""))


def compare_folders(
    *,
    real: str,
    synthetic: str,
    metadata: str | None,
    outputs: dict[str, str | None],
    refused: dict[str, bool],
    config: str | Path | None,
    limits: dict[str, float | None],
    seed: int,
    sample_rows: int | None,
    force: bool,
    quiet: bool,
    rules: tuple = (),
    detect_rules: bool = True,
) -> None:
    """compare REAL_FOLDER SYNTH_FOLDER: every table's report and the relational figures
    (``rules``: declared, each reported in the tables holding its columns)."""
    from mixsynth.io import check_output, write_text
    from mixsynth.relational.compare import compare_relational, judge_relational
    from mixsynth.relational.files import read_tables
    from mixsynth.relational.report import render_relational, summary_lines
    from mixsynth.report.thresholds import load_config, thresholds_from
    from mixsynth.report.verdict import broken_user_limits

    refuse_for_folders(refused, "leave it out; column types go in the multi-table --metadata")
    thresholds = thresholds_from(load_config(config) if config is not None else None, limits)
    if not is_folder(synthetic):
        raise OptionError(
            f"REAL {real!r} is a folder but SYNTH {synthetic!r} is not",
            "give two folders of tables, or two table files",
        )
    for path in outputs.values():
        if path is not None:
            check_output(path, force, (real, synthetic))
    described = folder_metadata(real, metadata, quiet)
    names = list(described.tables)
    from mixsynth.relational.metadata import parse_text_dates, text_dates

    real_tables, synthetic_tables = (
        parse_text_dates(tables, text_dates(tables, described))
        for tables in (read_tables(real, names), read_tables(synthetic, names))
    )
    with quiet_warnings(quiet):
        report = compare_relational(
            real_tables,
            synthetic_tables,
            described,
            seed=seed,
            sample_rows=sample_rows,
            rules=rules,
            detect_rules=detect_rules,
        )
    report = judge_relational(report, thresholds)
    frames = {name: (real_tables[name], synthetic_tables[name]) for name in names}
    for kind, path in outputs.items():
        if path is not None:
            suffix = {"json": ".json", "markdown": ".md", "html": ".html"}[kind]
            write_text(path, render_relational(report, f"report{suffix}", frames))  # by option
    if not quiet and STDIO not in outputs.values():
        console = stdout_console()
        for line in summary_lines(report):
            console.print(line, markup=False, highlight=False)
    broken = [c for table in report["tables"].values() for c in broken_user_limits(table)]
    for check in broken:
        say(f"Threshold broken: {check['message']} ({check['source']})")
    if broken:
        raise typer.Exit(1)


def inspect_folder(folder: str, metadata: str | None, force: bool, as_json: bool) -> None:
    """inspect FOLDER: each table's primary key, the relationships, and the evidence."""
    from mixsynth.io import check_output
    from mixsynth.relational.detect import detect_metadata
    from mixsynth.relational.files import read_tables

    require_stdout()
    if metadata is not None:
        check_output(metadata, force, (folder,))
    found = detect_metadata(read_tables(folder))
    console = stdout_console()
    if as_json:
        console.print_json(json.dumps(found.to_dict()))
    else:
        for name, why in found.evidence["primary_keys"].items():
            key = why["column"] or "(none)"
            console.print(f"table {name}: primary key {key}: {why['why']}", markup=False)
        for entry in found.evidence["relationships"]:
            console.print(
                f"{entry['child']}.{entry['foreign_key']} -> {entry['parent']}.{entry['parent_key']}: "
                f"{entry['why']}",
                markup=False,
            )
        for entry in found.evidence["rejected"]:
            console.print(
                f"not linked: {entry['child']}.{entry['foreign_key']} -> {entry['parent']}: {entry['why']}",
                markup=False,
            )
    if metadata is not None:
        found.save(metadata)
        say(
            f"wrote the metadata to {metadata!r}; edit it and give it to generate/compare --metadata"
        )
