"""GenerateJob, called as a library: it refuses what the generate command refuses,
the Dask engine's refusals included, before anything is read, made or written."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from mixsynth.choices import Engine, TableFormat
from mixsynth.engine.given import synthesis_options
from mixsynth.errors import MixsynthError
from mixsynth.jobs.cluster import DaskSettings
from mixsynth.jobs.generate import GenerateJob
from tests.conftest import SAMPLE_DATA

PENGUINS = str(SAMPLE_DATA / "penguins.csv")


@pytest.mark.parametrize(
    ("settings", "option"),
    [
        ({"where": {"species": "Adelie"}}, "--where"),
        ({"balance": ("species", "auto")}, "--balance"),
        ({"only_new": True}, "--only-new"),
        ({"report": "r.json"}, "--report"),
        ({"resume": True}, "--resume"),
        ({"output_format": TableFormat.CSV}, "--format csv"),
        ({"output": "-"}, "-o -"),
        ({"options": synthesis_options(keep_associations=True)}, "--keep-associations"),
    ],
)
def test_the_dask_engine_refuses_what_it_cannot_do(tmp_path, settings, option) -> None:
    job = GenerateJob(
        **{"input": PENGUINS, "options": synthesis_options(), "output": str(tmp_path / "o")}
        | settings,
        engine=Engine.DASK,
    )
    with pytest.raises(
        MixsynthError, match="^" + re.escape(f"{option} cannot be used with --engine dask")
    ):
        job.run()  # refused before any cluster starts
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("settings", "option"),
    [
        ({"dask": DaskSettings(workers=2)}, "--workers"),
        ({"dask": DaskSettings(scheduler="tcp://127.0.0.1:8786")}, "--scheduler"),
        ({"shuffle": False}, "--shuffle/--no-shuffle"),
        ({"partition_rows": 1000}, "--partition-rows"),
    ],
)
def test_dask_settings_are_refused_with_the_memory_engine(tmp_path, settings, option) -> None:
    output = tmp_path / "o.csv"
    job = GenerateJob(input=PENGUINS, options=synthesis_options(), output=str(output), **settings)
    with pytest.raises(MixsynthError, match="^" + re.escape(f"{option} needs --engine dask")):
        job.run()
    assert not output.exists()


def test_check_refuses_before_reading_and_takes_the_format_from_the_suffix(tmp_path) -> None:
    missing = GenerateJob(input=PENGUINS, options=synthesis_options())
    with pytest.raises(MixsynthError, match=r"^no output given"):
        missing.check()
    with pytest.raises(MixsynthError, match=r"^--generations must be at least 1"):
        GenerateJob(input=PENGUINS, options=synthesis_options(), output="-", generations=0).check()
    job = GenerateJob(
        input=PENGUINS, options=synthesis_options(), output=str(tmp_path / "o.parquet")
    )
    job.check()
    assert job.output_format is TableFormat.PARQUET
    assert list(tmp_path.iterdir()) == []  # checking writes nothing


def test_a_job_run_writes_what_the_command_writes(tmp_path, run_cli) -> None:
    by_job, by_cli = tmp_path / "job.csv", tmp_path / "cli.csv"
    options = synthesis_options(by="species", method="vanilla")
    GenerateJob(input=PENGUINS, options=options, output=str(by_job), seed=3).run()
    result = run_cli(
        "generate", PENGUINS, "-o", by_cli, "--by", "species", "--method", "vanilla", "--seed", 3
    )
    assert result.exit_code == 0, result.stderr
    assert by_job.read_bytes() == by_cli.read_bytes()
    assert len(pd.read_csv(by_job)) == len(pd.read_csv(PENGUINS))
