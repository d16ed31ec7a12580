"""``mixsynth generate``: synthesize a table, in memory or on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mixsynth.choices import (
    STDIO,
    Bounds,
    Engine,
    Pairing,
    TableFormat,
    format_from_suffix,
)
from mixsynth.cli.app import app, say
from mixsynth.cli.common import (
    CategoricalOption,
    DashboardOption,
    DaskSettings,
    DetectRulesOption,
    EncodingOption,
    EngineOption,
    EpsOption,
    FiniteSampleOption,
    InputFormatOption,
    MemoryLimitOption,
    MetadataOption,
    MethodOption,
    MixStrengthOption,
    RuleOption,
    RulesFileOption,
    SchedulerOption,
    WeightsOption,
    WorkersOption,
    build_options,
    generation_progress,
    parse_balance,
    quiet_warnings,
    read_metadata_option,
    read_rules_options,
    refuse_dask_only,
    task_progress,
)
from mixsynth.engine.weights import (
    DEFAULT_EPS,
    DEFAULT_MIX_STRENGTH,
)
from mixsynth.errors import MixsynthError

if TYPE_CHECKING:
    pass


#: Exit status when the reader of stdout goes away (`| head`): 128 + SIGPIPE, what a


@app.command()
def generate(
    input: Annotated[str, typer.Argument(help="Input table (.csv or .parquet), or - for stdin.")],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Output table (last generation); - for stdout."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(help="Write every generation as gen-001.<ext>, gen-002.<ext>, ... here."),
    ] = None,
    rows: Annotated[
        int | None, typer.Option(help="Rows per generation (default: as many as the input).")
    ] = None,
    generations: Annotated[
        int,
        typer.Option(
            "--generations", "-g", help="Generations; each is made from the previous one."
        ),
    ] = 1,
    method: MethodOption = None,
    weights: WeightsOption = None,
    mix_strength: MixStrengthOption = DEFAULT_MIX_STRENGTH,
    eps: EpsOption = f"{DEFAULT_EPS:g}",
    finite_sample: FiniteSampleOption = True,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Mix only inside groups of this column (repeatable)."),
    ] = None,
    categorical: CategoricalOption = None,
    pairing: Annotated[
        Pairing,
        typer.Option(
            help="balanced: every row an anchor equally often; iid: anchors at random.",
            case_sensitive=False,
        ),
    ] = Pairing.BALANCED,
    bounds: Annotated[
        Bounds,
        typer.Option(
            help="Keep mixed values inside the input's range: reflect (default; the "
            "variance it removes is restored), clip, or none (plain mixup).",
            case_sensitive=False,
        ),
    ] = Bounds.REFLECT,
    metadata: MetadataOption = None,
    rules: RulesFileOption = None,
    rule: RuleOption = None,
    detect_rules: DetectRulesOption = True,
    semantics: Annotated[
        bool,
        typer.Option(
            help="Infer column semantics (ids, personal data, codes, point masses, "
            "decimals); --no-semantics: storage types only, as plain mixup.",
        ),
    ] = True,
    keep_pii: Annotated[
        bool,
        typer.Option(
            help="Copy ids, personal data and free text from real rows instead of "
            "making them up (the output then holds real people's values).",
        ),
    ] = False,
    locale: Annotated[
        str, typer.Option(help="Faker locale of fake personal data, e.g. de_DE.")
    ] = "en_US",
    round_decimals: Annotated[
        bool,
        typer.Option(
            help="Round float columns to the input's decimal places (variance kept).",
        ),
    ] = True,
    match_moments: Annotated[
        bool,
        typer.Option(
            help="Correct each generation so its numeric means and covariances equal its "
            "source's exactly (no random walk of the first two moments; docs/structure.md).",
        ),
    ] = False,
    keep_associations: Annotated[
        bool,
        typer.Option(
            help="Draw partners within the categories that explain numeric columns, so "
            "those associations do not fade over generations (docs/structure.md).",
        ),
    ] = False,
    match_shapes: Annotated[
        bool,
        typer.Option(
            help="Give each numeric column its source's values in the order mixup ranked "
            "the rows, so shapes do not drift over generations (docs/structure.md).",
        ),
    ] = False,
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
) -> None:
    """Synthesize a table with mixup, for one or more generations.

    Example: mixsynth generate sample_data/penguins.csv -o synth.csv --generations 5
    """
    from mixsynth.engine.conditions import parse_where
    from mixsynth.io import check_input, check_output
    from mixsynth.jobs.generate import GenerateJob

    dask_options = {
        "--scheduler": scheduler is not None,
        "--workers": workers is not None,
        "--memory-limit": memory_limit is not None,
        "--dashboard": dashboard,
        "--shuffle/--no-shuffle": shuffle is not None,
        "--partition-rows": partition_rows is not None,
    }
    options = build_options(
        method,
        weights,
        mix_strength,
        eps,
        finite_sample,
        rows,
        by or (),
        categorical or (),
        pairing,
        bounds,
        metadata=read_metadata_option(metadata),
        semantics=semantics,
        keep_pii=keep_pii,
        locale=locale,
        round_decimals=round_decimals,
        match_moments=match_moments,
        keep_associations=keep_associations,
        match_shapes=match_shapes,
        rules=read_rules_options(rules, rule, metadata),
        detect_rules=detect_rules,
    )
    if engine is Engine.DASK:
        refused = {
            "--where": (bool(where), "filter the dataset first, e.g. with Dask or DuckDB"),
            "--balance": (balance is not None, "balance a table that fits in memory"),
            "--only-new": (only_new, "it goes with --balance, which needs the memory engine"),
            "--report": (report is not None, "run 'mixsynth compare --engine dask' on the output"),
            "--resume": (resume, "run again with --force: the same --seed gives the same files"),
            "--format csv": (
                format is TableFormat.CSV,
                "the Dask engine writes Parquet datasets; convert a part file if needed",
            ),
            "-o -": (output == STDIO, "give -o FOLDER: a dataset of part files"),
            "--keep-associations": (
                keep_associations,
                "give the explaining columns with --by, which the Dask engine mixes inside",
            ),
        }
        for option, (given, hint) in refused.items():
            if given:
                raise MixsynthError(f"{option} cannot be used with --engine dask", hint)
        _generate_dask(
            DaskSettings(scheduler, workers, memory_limit, dashboard),
            quiet,
            input=input,
            options=options,
            generations=generations,
            output=output,
            out_dir=out_dir,
            seed=seed,
            input_format=input_format,
            encoding=encoding,
            shuffle=shuffle is not False,
            partition_rows=partition_rows,
            force=force,
        )
        return
    refuse_dask_only(dask_options)

    if generations < 1:
        raise MixsynthError(f"--generations must be at least 1, got {generations}")
    if output is None and out_dir is None:
        raise MixsynthError("no output given", "give -o OUTPUT (- for stdout) or --out-dir DIR")
    if resume and out_dir is None:
        raise MixsynthError("--resume needs --out-dir", "give the --out-dir of the interrupted run")
    check_input(input, input_format)
    if output is not None:
        check_output(output, force, (input,))
    output_format = format
    if output_format is None and output not in (None, STDIO):
        output_format = format_from_suffix(output, "--format")
    job = GenerateJob(
        input=input,
        options=options,
        generations=generations,
        output=output,
        output_format=output_format,
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
    )
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


def _generate_dask(settings: DaskSettings, quiet: bool, **job: Any) -> None:
    """generate --engine dask: everything checked before the cluster starts."""
    from mixsynth.engine.dask.driver import DaskGenerateJob

    settings.check()
    dask_job = DaskGenerateJob(**job, say=(lambda line: None) if quiet else say)
    dask_job.check()
    with quiet_warnings(quiet), settings.client() as client, task_progress(quiet) as advance:
        dask_job.run(client, on_progress=advance)
