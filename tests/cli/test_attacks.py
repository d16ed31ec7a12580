"""``compare --attacks``: anonymeter's risks in the JSON and every report format, and
one-line refusals without a holdout."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mixsynth.metrics import split_holdout
from tests.cli.conftest import assert_one_error_line, run
from tests.conftest import SAMPLE_DATA

PENGUINS = SAMPLE_DATA / "penguins.csv"


def test_attacks_need_a_holdout() -> None:
    assert_one_error_line(
        run("compare", PENGUINS, PENGUINS, "--attacks"), "--attacks needs --holdout"
    )


@pytest.mark.slow
def test_attacks_on_copies_and_on_fresh_rows(tmp_path) -> None:
    """Copies of the training rows are linkable and their categories inferable far
    more than fresh rows (the holdout itself, the control: every risk near 0)."""
    pytest.importorskip("anonymeter")
    train, holdout = split_holdout(pd.read_csv(PENGUINS), 0.5, seed=1)
    train.to_csv(tmp_path / "train.csv", index=False)
    holdout.to_csv(tmp_path / "holdout.csv", index=False)
    found = {}
    for name, synthetic in (("copies", train), ("fresh", holdout.sample(frac=1, random_state=0))):
        synthetic.to_csv(tmp_path / f"{name}.csv", index=False)
        result = run(
            "compare", tmp_path / "train.csv", tmp_path / f"{name}.csv",
            "--holdout", tmp_path / "holdout.csv", "--attacks", "--attack-count", 40,
            "--json", tmp_path / f"{name}.json", "--markdown", "-",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert "Privacy attacks (anonymeter)" in result.stdout
        found[name] = json.loads((tmp_path / f"{name}.json").read_text())["attacks"]
    copies, fresh = found["copies"], found["fresh"]
    assert copies["n_attacks"] == 40 and set(copies["inference"]) >= {"species", "sex"}
    for risk in (copies["linkability"], copies["inference"]["sex"]):
        assert risk["ci"][0] > 0.3  # well above nothing
    for risk in (
        fresh["linkability"],
        fresh["singling_out_univariate"],
        *fresh["inference"].values(),
    ):
        assert risk["ci"][0] == 0  # a fresh sample's interval holds 0
