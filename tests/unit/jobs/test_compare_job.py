"""CompareJob, called as a library: the judged report it returns is the one it writes
and the one the compare command writes; its refusals come before any table is read."""

from __future__ import annotations

import json
import re

import pytest

from mixsynth.choices import Engine
from mixsynth.errors import MixsynthError
from mixsynth.jobs.cluster import DaskSettings
from mixsynth.jobs.compare import CompareJob
from mixsynth.report.verdict import broken_user_limits
from tests.conftest import SAMPLE_DATA

PENGUINS = str(SAMPLE_DATA / "penguins.csv")
WINE = str(SAMPLE_DATA / "wine.parquet")


def without_time(report: dict) -> dict:
    return report | {"provenance": report["provenance"] | {"created_utc": None}}


def test_the_report_returned_is_the_report_written_and_the_commands(tmp_path, run_cli) -> None:
    synthetic = tmp_path / "synthetic.csv"
    assert run_cli("generate", PENGUINS, "-o", synthetic, "--seed", 1).exit_code == 0
    written, by_cli = tmp_path / "job.json", tmp_path / "cli.json"
    job = CompareJob(
        real=PENGUINS,
        synthetic=str(synthetic),
        reports={"json": str(written)},
        sample_rows=150,
        limits={"min_overall_score": 0.999},
    )
    report = job.run()
    assert without_time(json.loads(written.read_text())) == without_time(report)
    [broken] = broken_user_limits(report)  # the command's exit status 1
    assert broken["source"] == "--min-overall-score"
    result = run_cli(
        "compare", PENGUINS, synthetic, "--json", by_cli, "--sample-rows", 150,
        "--min-overall-score", 0.999, "-q",
    )  # fmt: skip
    assert result.exit_code == 1
    assert without_time(json.loads(by_cli.read_text())) == without_time(report)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"reports": {"json": "-", "markdown": "-"}}, "--json and --markdown both ask for stdout"),
        ({"real": "-", "synthetic": "-"}, "only one of REAL and SYNTH can be - (stdin)"),
        ({"dask": DaskSettings(workers=2)}, "--workers needs --engine dask"),
        ({"engine": Engine.DASK, "synthetic": "-"}, "the Dask engine cannot read stdin"),
        ({"reports": {"html": "r.json"}}, "--html 'r.json': the suffix says json"),
    ],
)
def test_refused_before_any_table_is_read(tmp_path, settings, message) -> None:
    missing = str(tmp_path / "missing.csv")  # never read: the refusal comes first
    job = CompareJob(**{"real": WINE, "synthetic": missing} | settings)
    with pytest.raises(MixsynthError, match=re.escape(message)):
        job.run()
    assert list(tmp_path.iterdir()) == []
