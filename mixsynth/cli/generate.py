"""``mixsynth generate``: synthesize a table, in memory or on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mixsynth.choices import (
    STDIO,
    Engine,
    TableFormat,
)
from mixsynth.cli.app import app, say
from mixsynth.cli.common import (
    DashboardOption,
    EncodingOption,
    EngineOption,
    InputFormatOption,
    MemoryLimitOption,
    SchedulerOption,
    WorkersOption,
    declared_flags,
    generation_progress,
    options_from_flags,
    parse_balance,
    quiet_warnings,
    task_progress,
)
from mixsynth.errors import OptionError


@app.command()
@declared_flags(before="seed", placed={"rows": "generations"})
def generate(
    input: Annotated[
        str,
        typer.Argument(
            help="Input table (.csv or .parquet), - for stdin, or a folder of linked tables "
            "(one file per table; docs/multi-table.md)."
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Output table (last generation); - for stdout."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Write every generation as gen-001.<ext>, gen-002.<ext>, ... here."),
    ] = None,
    generations: Annotated[
        int,
        typer.Option(
            "--generations", "-g", help="Generations; each is made from the previous one."
        ),
    ] = 1,
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Random seed; the same seed gives byte-identical files."),
    ] = None,
    report: Annotated[
        str | None,
        typer.Option(
            help="Write a comparison report; .json, .md or .html by suffix (- = JSON on stdout)."
        ),
    ] = None,
    holdout: Annotated[
        str | None,
        typer.Option(
            metavar="SHARE|FILE",
            help="Hold out this share of the input's rows before synthesis (split with "
            "--seed; written to --out-dir as holdout.<ext>), or give a file of held-out "
            "rows: the report's privacy and utility baseline, rows never seen.",
        ),
    ] = None,
    format: Annotated[
        TableFormat | None,
        typer.Option(
            "--format",
            help="Output format (default: from the output suffix).",
            case_sensitive=False,
        ),
    ] = None,
    input_format: InputFormatOption = None,
    encoding: EncodingOption = "utf-8",
    resume: Annotated[
        bool,
        typer.Option(
            help="With --out-dir: continue an interrupted run from its last complete file."
        ),
    ] = False,
    force: Annotated[bool, typer.Option(help="Overwrite existing output files.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress or notes on stderr.")
    ] = False,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            metavar="COL=VALUE",
            help="Mix only inside the rows where a categorical or boolean column has this "
            "value, so every synthetic row has it too (repeatable: all must hold).",
        ),
    ] = None,
    balance: Annotated[
        str | None,
        typer.Option(
            metavar="COL[=STRATEGY]",
            help="Balance the classes of COL: write the real rows, then new rows mixed inside "
            "each class. STRATEGY as imbalanced-learn's: auto (default: every class up to the "
            "largest), minority, not-minority, not-majority, all, or a ratio for two classes.",
        ),
    ] = None,
    only_new: Annotated[
        bool, typer.Option(help="With --balance: write only the new rows, not the real ones.")
    ] = False,
    engine: EngineOption = Engine.MEMORY,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    memory_limit: MemoryLimitOption = None,
    dashboard: DashboardOption = False,
    shuffle: Annotated[
        bool | None,
        typer.Option(
            "--shuffle/--no-shuffle",
            help="Dask: spread rows over partitions at random (seeded) before mixing "
            "(default), or mix inside the partitions as they are (faster; see docs/scale.md).",
        ),
    ] = None,
    partition_rows: Annotated[
        int | None,
        typer.Option(help="Dask: rows per partition after the shuffle (default: ~128 MiB)."),
    ] = None,
    scale: Annotated[
        float | None,
        typer.Option(
            help="A folder of linked tables: make S times as many rows of each table without "
            "a parent (default 1); children follow their parents."
        ),
    ] = None,
    **options: Any,
) -> None:
    """Synthesize a table with mixup, for one or more generations.

    Example: mixsynth generate sample_data/penguins.csv -o synth.csv --generations 5
    """
    from mixsynth.cli.multi_table import generate_folder, is_folder
    from mixsynth.engine.conditions import parse_where
    from mixsynth.jobs.cluster import DaskSettings
    from mixsynth.jobs.generate import GenerateJob
    from mixsynth.jobs.holdout import parse_holdout

    if is_folder(input) and engine is not Engine.DASK:  # Dask: a folder of parts is one table
        generate_folder(
            input=input,
            flags=options,
            refused={
                "-o/--output": output is not None,
                "--where": bool(where),
                "--balance": balance is not None,
                "--format": format is not None,
                "--input-format": input_format is not None,
                "--encoding": encoding != "utf-8",
            },
            out_dir=out_dir,
            generations=generations,
            scale=1.0 if scale is None else scale,
            seed=seed,
            report=report,
            resume=resume,
            force=force,
            quiet=quiet,
        )
        return
    if scale is not None:
        raise OptionError("--scale is for a folder of linked tables", "give --rows N for one table")

    job = GenerateJob(
        input=input,
        options=options_from_flags(options),
        generations=generations,
        output=output,
        output_format=format,
        out_dir=out_dir,
        seed=seed,
        input_format=input_format,
        encoding=encoding,
        report=report,
        resume=resume,
        force=force,
        say=(lambda line: None) if quiet else say,
        where=parse_where(where or []),
        balance=parse_balance(balance) if balance is not None else None,
        only_new=only_new,
        holdout=None if holdout is None else parse_holdout(holdout),
        engine=engine,
        dask=DaskSettings(scheduler, workers, memory_limit, dashboard, say=say),
        shuffle=shuffle,
        partition_rows=partition_rows,
    )
    if engine is Engine.DASK:
        with quiet_warnings(quiet), task_progress(quiet) as advance:
            job.run(on_tasks=advance)
        return
    with quiet_warnings(quiet), generation_progress(generations, quiet) as advance:
        job.run(on_progress=advance)
    if not quiet:
        say(_what_was_written(output, out_dir, generations, report))


def _what_was_written(
    output: str | None, out_dir: Path | None, generations: int, report: str | None
) -> str:
    """One line saying where generate put everything (stdout: '-')."""
    where = {STDIO: "stdout"}
    parts = []
    if out_dir is not None:
        files = "gen-001" if generations == 1 else f"gen-001 to gen-{generations:03d}"
        parts.append(f"generations {files} in {str(out_dir)!r}")
    if output is not None:
        parts.append(f"the last generation to {where.get(output, repr(output))}")
    if report is not None:
        parts.append(f"the report to {where.get(report, repr(report))}")
    return "wrote " + ", ".join(parts)
