"""``mixsynth compare``: real against synthetic, a report and a verdict."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mixsynth.choices import (
    STDIO,
    Engine,
    TableFormat,
)
from mixsynth.errors import MixsynthError

if TYPE_CHECKING:
    pass


#: Exit status when the reader of stdout goes away (`| head`): 128 + SIGPIPE, what a
from mixsynth.cli.app import app, require_stdout, say, stdout_console
from mixsynth.cli.common import (
    DashboardOption,
    DaskSettings,
    DetectRulesOption,
    EncodingOption,
    EngineOption,
    InputFormatOption,
    MemoryLimitOption,
    MetadataOption,
    RuleOption,
    RulesFileOption,
    SchedulerOption,
    WorkersOption,
    read_metadata_option,
    read_rules_options,
    refuse_dask_only,
    task_progress,
)


@app.command()
def compare(
    real: Annotated[str, typer.Argument(help="Real table (.csv or .parquet), or - for stdin.")],
    synthetic: Annotated[
        str, typer.Argument(help="Synthetic table (.csv or .parquet), or - for stdin.")
    ],
    target: Annotated[
        str | None,
        typer.Option(help="Column to predict: utility of a model trained on synthetic rows."),
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
    max_unique_value_leak: Annotated[
        float | None,
        typer.Option(
            help="Fail if, in a column that is not mixed, more than this share of "
            "synthetic rows carry a value that occurs once in the real table.",
        ),
    ] = None,
    metadata: MetadataOption = None,
    rules: RulesFileOption = None,
    rule: RuleOption = None,
    detect_rules: DetectRulesOption = True,
    force: Annotated[bool, typer.Option(help="Overwrite existing report files.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary on the terminal; exit status only.")
    ] = False,
    engine: EngineOption = Engine.MEMORY,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    memory_limit: MemoryLimitOption = None,
    dashboard: DashboardOption = False,
) -> None:
    """Compare a real and a synthetic table: a verdict, then shapes, pairs, privacy, utility.

    Every report opens with pass / warn / fail per area and the rule that decided it
    (default rules: docs/report.md). Exit status 1 when a threshold you set (an option
    below or --config) is broken, with one line each on stderr.

    Example: mixsynth compare real.csv synth.csv --html report.html --min-overall-score 0.8
    """
    from mixsynth.io import check_output, read_table
    from mixsynth.io.outputs import check_distinct
    from mixsynth.io.provenance import provenance
    from mixsynth.metrics import compare_tables
    from mixsynth.report import check_report_kind, render_terminal, write_report
    from mixsynth.report.verdict import broken_user_limits, judge, load_config, thresholds_from

    outputs = {"json": json_path, "markdown": markdown_path, "html": html_path}
    to_stdout = [f"--{kind}" for kind, path in outputs.items() if path == STDIO]
    if len(to_stdout) > 1:
        raise MixsynthError(f"{' and '.join(to_stdout)} both ask for stdout", "give one a file")
    if to_stdout or not quiet:
        require_stdout()
    check_distinct(
        [(f"--{kind}", path) for kind, path in outputs.items() if path is not None],
        (real, synthetic),
    )
    if real == STDIO and synthetic == STDIO:
        raise MixsynthError("only one of REAL and SYNTH can be - (stdin)")
    thresholds = thresholds_from(
        load_config(config) if config is not None else None,
        {
            "max_variance_drift": max_variance_drift,
            "min_column_shapes": min_column_shapes,
            "min_overall_score": min_overall_score,
            "min_pair_trends": min_pair_trends,
            "max_correlation_diff": max_correlation_diff,
            "max_exact_copy_share": max_exact_copy_share,
            "min_dcr_ratio": min_dcr_ratio,
            "max_unique_value_leak": max_unique_value_leak,
            "min_utility_ratio": min_utility_ratio,
        },
    )
    for kind, path in outputs.items():
        if path is not None:
            check_report_kind(path, kind)
            check_output(path, force, (real, synthetic))
    options: dict[str, Any] = {
        "target": target,
        "seed": seed,
        "categorical": categorical or (),
        "metadata": read_metadata_option(metadata),
    }
    if sample_rows is not None:
        options["sample_rows"] = sample_rows
    settings = DaskSettings(scheduler, workers, memory_limit, dashboard)
    frames = None
    if engine is Engine.DASK:
        report = _compare_dask(settings, quiet, real, synthetic, input_format, encoding, options)
    else:
        refuse_dask_only(
            {"--scheduler": scheduler is not None, "--workers": workers is not None}
            | {"--memory-limit": memory_limit is not None, "--dashboard": dashboard}
        )
        frames = (
            read_table(real, input_format, encoding).frame,
            read_table(synthetic, input_format, encoding).frame,
        )
        declared = read_rules_options(rules, rule, metadata)
        report = compare_tables(*frames, **options, rules=declared, detect_rules=detect_rules)
    report = judge(report, thresholds) | {
        "provenance": provenance({"real": real, "synthetic": synthetic}, report["options"])
    }
    title = f"mixsynth compare: {real} vs {synthetic}"
    for kind, path in outputs.items():
        if path is not None:
            write_report(report, path, kind, title, frames)
    if not quiet and not to_stdout:
        render_terminal(report, stdout_console(), title)
    broken = broken_user_limits(report)
    for check in broken:
        say(f"Threshold broken: {check['message']} ({check['source']})")
    if broken:
        raise typer.Exit(1)


def _compare_dask(
    settings: DaskSettings,
    quiet: bool,
    real: str,
    synthetic: str,
    input_format: TableFormat | None,
    encoding: str,
    options: dict[str, Any],
) -> dict:
    """compare --engine dask: exact moments over every row, the rest on samples."""
    from mixsynth.engine.dask.driver import find_source
    from mixsynth.metrics.dask_compare import compare_dask

    settings.check()
    for source in (real, synthetic):
        find_source(source, input_format)  # refused before the cluster starts
    with settings.client() as client, task_progress(quiet) as advance:
        return compare_dask(
            client,
            real,
            synthetic,
            input_format=input_format,
            encoding=encoding,
            on_progress=advance,
            **options,
        )
