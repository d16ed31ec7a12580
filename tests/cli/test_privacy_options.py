"""--privacy-margin, --privacy-target, --copy-neighbours, --split-copied and --keep-copies
on the command line and in the Python API (docs/privacy.md)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mixsynth import MixupSynthesizer
from mixsynth.engine.weights import MarginWeights
from tests.conftest import SAMPLE_DATA

PENGUINS = SAMPLE_DATA / "penguins.csv"


def test_weights_shows_the_margin_and_the_extrapolated_share(run_cli) -> None:
    result = run_cli("weights", "--privacy-margin", "0.3", "--json")
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["margin"] == 0.3 and figures["q"] == pytest.approx(0.65)
    assert figures["extrapolated_share"] == pytest.approx(0.35)
    assert figures["kappa"] == pytest.approx(1 - 0.3**2)
    assert figures["delta"] == pytest.approx(0.3**2 * (1 - 0.3**2))
    assert figures["rho"] == pytest.approx(1.0)
    table = run_cli("weights", "--privacy-margin", "0.3")
    assert "share of extrapolated rows" in table.stdout and "0.35" in table.stdout


def test_weights_shows_four_donors(run_cli) -> None:
    """c = 1/2 for factor 1: every donor weighs at most 1/2, the excess kurtosis x 1/4."""
    result = run_cli("weights", "--donors", "4", "--json")
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert (figures["donors"], figures["spread"], figures["rho"]) == (4, 0.5, 1.0)
    assert (figures["delta"], figures["kappa"], figures["novelty"]) == (0.25, 0.5, 0.5)
    table = run_cli("weights", "--donors", "4")
    assert "(x1 + x2)/2 + 0.5 (x3 - x4)" in table.stdout


def test_generate_with_four_donors_and_the_api(run_cli, tmp_path) -> None:
    """--donors 4 on the command line and MixupSynthesizer(donors=4): no real row's
    four measurements in the output, the variance of each near the input's."""
    out = tmp_path / "out.csv"
    result = run_cli("generate", PENGUINS, "-o", out, "--donors", "4", "--seed", "1")
    assert result.exit_code == 0, result.stderr
    real, synthetic = pd.read_csv(PENGUINS), pd.read_csv(out)
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    rows = set(map(tuple, real[numeric].dropna().to_numpy()))
    assert not any(tuple(row) in rows for row in synthetic[numeric].dropna().to_numpy())
    synthesizer = MixupSynthesizer(donors=4, seed=0).fit(real)
    assert synthesizer.weights_.label().startswith("four-donor:")
    assert len(synthesizer.sample(50, seed=1)) == 50


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--privacy-margin", "0.7"], "--privacy-margin must lie from 0 to 0.5"),
        (["--privacy-target", "0.4"], "--privacy-target must lie strictly between 0.5 and 1"),
        (["--privacy-target", "0.6", "--privacy-margin", "0.2"], "give one of them"),
        (["--privacy-margin", "0.2", "--method", "vanilla"], "needs --method generalized"),
        (["--privacy-margin", "0.2", "-w", "epbeta:1,1,0.1,0.1"], "cannot be combined"),
        (["--copy-neighbours", "-1"], "--copy-neighbours must be a whole number of rows"),
        (["--copy-neighbours", "5", "--split-copied"], "cannot be combined"),
        (["--donors", "3"], "--donors must be 2 or 4"),
        (["--donors", "4", "--privacy-margin", "0.2"], "drop --privacy-margin"),
        (["--donors", "4", "-w", "epbeta:1,1,0.1,0.1"], "drop --weights"),
    ],
)
def test_bad_privacy_options_are_one_line_errors(run_cli, tmp_path, args, fragment) -> None:
    out = tmp_path / "out.csv"
    result = run_cli("generate", PENGUINS, "-o", out, *args)
    assert result.exit_code == 2
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_generate_with_a_margin_keeps_rows_away_from_their_donors(run_cli, tmp_path) -> None:
    out = tmp_path / "out.csv"
    result = run_cli("generate", PENGUINS, "-o", out, "--privacy-margin", "0.3", "--seed", "1")
    assert result.exit_code == 0, result.stderr
    real, synthetic = pd.read_csv(PENGUINS), pd.read_csv(out)
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    rows = set(map(tuple, real[numeric].dropna().to_numpy()))
    copies = sum(tuple(row) in rows for row in synthetic[numeric].dropna().to_numpy())
    assert copies == 0  # no row keeps a real row's four measurements


def test_the_target_is_said_and_recorded(run_cli, tmp_path) -> None:
    result = run_cli(
        "generate", PENGUINS, "--out-dir", tmp_path / "run", "--privacy-target", "0.75",
        "--seed", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    record = json.loads((tmp_path / "run" / "mixsynth-run.json").read_text())
    choice = record["privacy_target"]
    assert choice["target"] == 0.75 and 0 <= choice["margin"] <= 0.5
    assert choice["copy_neighbours"] in (0, 5) and not (
        choice["copy_neighbours"] and choice["split_copied"]
    )
    assert record["options"]["copy_neighbours"] == 0  # the option as given; the choice beside
    assert f"margin {choice['margin']:g}" in result.stderr
    assert choice["reached"] == (choice["dcr_share"] <= 0.75)
    resumed = run_cli(
        "generate", PENGUINS, "--out-dir", tmp_path / "run", "--privacy-target", "0.75",
        "--seed", "3", "-g", "2", "--resume",
    )  # fmt: skip
    assert resumed.exit_code == 0, resumed.stderr  # the same search, the same choice


def test_the_api_picks_the_margin_at_fit() -> None:
    real = pd.read_csv(PENGUINS)
    synthesizer = MixupSynthesizer(privacy_target=0.75, seed=0).fit(real)
    choice = synthesizer.privacy_choice_
    assert choice is not None and choice.target == 0.75
    if choice.margin:
        assert isinstance(synthesizer.weights_, MarginWeights)
        assert synthesizer.weights_.margin == choice.margin
    assert len(synthesizer.sample(50, seed=1)) == 50
    assert np.isfinite(choice.share)
