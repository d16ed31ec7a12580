"""``mixsynth compare``: real against synthetic, a report and a verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mixsynth.choices import Engine
from mixsynth.cli.app import app, require_stdout, say, stdout_console
from mixsynth.cli.common import (
    DashboardOption,
    EncodingOption,
    EngineOption,
    InputFormatOption,
    MemoryLimitOption,
    MetadataOption,
    SchedulerOption,
    WorkersOption,
    declared_flags,
    options_from_flags,
    task_progress,
)


@app.command()
@declared_flags(("rules", "rule_files", "detect_rules"), before="force")
def compare(
    real: Annotated[
        str,
        typer.Argument(
            help="Real table (.csv or .parquet), - for stdin, or a folder of linked tables."
        ),
    ],
    synthetic: Annotated[
        str,
        typer.Argument(
            help="Synthetic table (.csv or .parquet), - for stdin, or a folder of linked tables."
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option(help="Column to predict: utility of a model trained on synthetic rows."),
    ] = None,
    holdout: Annotated[
        str | None,
        typer.Option(
            help="Real rows of the same table that the synthesizer never saw (REAL being the "
            "rows it was fed): the baseline of the privacy figures and the utility test set. "
            "Without it they are measured on halves of REAL and cannot pass."
        ),
    ] = None,
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write every figure as JSON here (- = stdout).")
    ] = None,
    markdown_path: Annotated[
        str | None, typer.Option("--markdown", help="Write Markdown tables here (- = stdout).")
    ] = None,
    html_path: Annotated[
        str | None,
        typer.Option("--html", help="Write one self-contained HTML file with plots here."),
    ] = None,
    sample_rows: Annotated[
        int | None,
        typer.Option(
            help="Rows drawn (with --seed) for the costly figures: distance to closest "
            "record and utility. Default 10000."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed of the subsample and the utility models.")
    ] = 0,
    input_format: InputFormatOption = None,
    encoding: EncodingOption = "utf-8",
    categorical: Annotated[
        list[str] | None,
        typer.Option(
            "--categorical",
            help="Compare this column as categories (frequencies), not as numbers, e.g. "
            "integer codes. Repeatable.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="TOML file of thresholds ([thresholds] name = limit); options below win."
        ),
    ] = None,
    max_variance_drift: Annotated[
        float | None,
        typer.Option(help="Fail if a numeric column's variance ratio is outside 1 ± X."),
    ] = None,
    min_column_shapes: Annotated[
        float | None, typer.Option(help="Fail if the column shapes score is below X.")
    ] = None,
    min_overall_score: Annotated[
        float | None, typer.Option(help="Fail if the overall quality score is below X.")
    ] = None,
    min_pair_trends: Annotated[
        float | None, typer.Option(help="Fail if the column pair trends score is below X.")
    ] = None,
    max_correlation_diff: Annotated[
        float | None,
        typer.Option(help="Fail if a pair's correlation differs by more than X."),
    ] = None,
    max_exact_copy_share: Annotated[
        float | None,
        typer.Option(help="Fail if more than this share of synthetic rows copy a real row."),
    ] = None,
    min_dcr_ratio: Annotated[
        float | None,
        typer.Option(
            help="Fail if the synthetic rows' 5th-percentile distance to the closest real "
            "row is below X times the real holdout rows' (near-copies)."
        ),
    ] = None,
    min_utility_ratio: Annotated[
        float | None,
        typer.Option(
            help="Fail if a model trained on synthetic rows scores below X times one "
            "trained on real rows (needs --target)."
        ),
    ] = None,
    attacks: Annotated[
        bool,
        typer.Option(
            "--attacks",
            help="Also run anonymeter's singling-out, linkability and inference attacks, "
            "with --holdout as the control set (needs mixsynth[privacy]).",
        ),
    ] = False,
    attack_count: Annotated[
        int,
        typer.Option(
            min=1, help="Attacks per evaluation with --attacks (more: narrower intervals)."
        ),
    ] = 100,
    max_dcr_share: Annotated[
        float | None,
        typer.Option(
            help="Fail if more than this share of synthetic rows are closer to the real "
            "rows than to as many --holdout rows (0.5: a fresh sample).",
        ),
    ] = None,
    max_unique_value_leak: Annotated[
        float | None,
        typer.Option(
            help="Fail if, in a column that is not mixed, more than this share of "
            "synthetic rows carry a value that occurs once in the real table.",
        ),
    ] = None,
    metadata: MetadataOption = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing report files.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary on the terminal; exit status only.")
    ] = False,
    engine: EngineOption = Engine.MEMORY,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    memory_limit: MemoryLimitOption = None,
    dashboard: DashboardOption = False,
    **rule_flags: Any,
) -> None:
    """Compare a real and a synthetic table: a verdict, then shapes, pairs, privacy, utility.

    Every report opens with pass / warn / fail per area and the rule that decided it
    (default rules: docs/report.md). Exit status 1 when a threshold you set (an option
    below or --config) is broken, with one line each on stderr.

    Example: mixsynth compare real.csv synth.csv --html report.html --min-overall-score 0.8
    """
    from mixsynth.jobs.cluster import DaskSettings
    from mixsynth.jobs.compare import CompareJob
    from mixsynth.report import render_terminal
    from mixsynth.report.verdict import broken_user_limits

    paths = {"json": json_path, "markdown": markdown_path, "html": html_path}
    limits = {
        "max_variance_drift": max_variance_drift,
        "min_column_shapes": min_column_shapes,
        "min_overall_score": min_overall_score,
        "min_pair_trends": min_pair_trends,
        "max_correlation_diff": max_correlation_diff,
        "max_exact_copy_share": max_exact_copy_share,
        "min_dcr_ratio": min_dcr_ratio,
        "max_dcr_share": max_dcr_share,
        "max_unique_value_leak": max_unique_value_leak,
        "min_utility_ratio": min_utility_ratio,
    }
    from mixsynth.cli.multi_table import compare_folders, is_folder

    if is_folder(real) and engine is not Engine.DASK:  # Dask: a folder of parts is one table
        compare_folders(
            real=real,
            synthetic=synthetic,
            metadata=metadata,
            outputs=paths,
            refused={
                "--target": target is not None,
                "--categorical": bool(categorical),
                "--holdout": holdout is not None,
                "--attacks": attacks,
            },
            config=config,
            limits=limits,
            seed=seed,
            sample_rows=sample_rows,
            force=force,
            quiet=quiet,
            rules=options_from_flags(rule_flags).declared_rules(),
            detect_rules=rule_flags["detect_rules"],
        )
        return
    job = CompareJob(
        real=real,
        synthetic=synthetic,
        reports={kind: path for kind, path in paths.items() if path is not None},
        target=target,
        sample_rows=sample_rows,
        seed=seed,
        input_format=input_format,
        encoding=encoding,
        categorical=tuple(categorical or ()),
        metadata=metadata,
        rules=options_from_flags(rule_flags, metadata=metadata).declared_rules(),
        detect_rules=rule_flags["detect_rules"],
        config=config,
        limits=limits,
        force=force,
        holdout=holdout,
        attacks=attack_count if attacks else 0,
        engine=engine,
        dask=DaskSettings(scheduler, workers, memory_limit, dashboard, say=say),
    )
    to_stdout = job.to_stdout()
    if to_stdout or not quiet:
        require_stdout()
    with task_progress(quiet or engine is not Engine.DASK) as advance:  # Dask's tasks
        report = job.run(on_tasks=advance)
    if not quiet and not to_stdout:
        render_terminal(report, stdout_console(), job.title)
    broken = broken_user_limits(report)
    for check in broken:
        say(f"Threshold broken: {check['message']} ({check['source']})")
    if broken:
        raise typer.Exit(1)
