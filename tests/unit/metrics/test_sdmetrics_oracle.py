"""The quality scores against SDMetrics itself: column shapes (KS and TV complements),
column pair trends (correlation and contingency similarity, with the thresholds of the
QualityReport), the overall score, each column's and each pair's figure.

SDMetrics runs in its own environment (it requires pandas < 3): ``make install`` builds
``.venv-sdmetrics``; ``MIXSYNTH_SDMETRICS_PYTHON`` names another interpreter. The
tables carry ties, gaps, categories with missing values, booleans and dates, and pairs
whose real association sits just under and just over each threshold.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.metrics import compare_tables

ROOT = Path(__file__).resolve().parents[3]
ORACLE = ROOT / "tests" / "oracles" / "sdmetrics_figures.py"
SDMETRICS_PYTHON = Path(
    os.environ.get("MIXSYNTH_SDMETRICS_PYTHON", ROOT / ".venv-sdmetrics" / "bin" / "python")
)
SDTYPE = {"f": "numerical", "i": "numerical", "M": "datetime", "b": "boolean", "O": "categorical"}
#: Both sides compute the same sums in another order: only rounding may differ.
EXACT = 1e-9


def mixed_table(n: int, seed: int) -> pd.DataFrame:
    """Numbers with a correlation of about 0.46 (between SDMetrics' 0.4 and its 0.5
    threshold), ties (one decimal), gaps, a date column of 60 days, a category with
    missing values and a boolean whose association with it is near the 0.3 threshold."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.46 * x + np.sqrt(1 - 0.46**2) * rng.normal(size=n)
    z = np.round(0.8 * x + 0.6 * rng.normal(size=n), 1)
    w = rng.gamma(2.0, size=n) + 0.5 * x
    w[rng.random(n) < 0.1] = np.nan
    level = np.where(x + rng.normal(size=n) > 0.5, "hi", np.where(rng.random(n) < 0.5, "lo", "mid"))
    c = pd.Series(level, dtype=object)
    c[rng.random(n) < 0.05] = None
    d = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    flag = (rng.random(n) < 0.3) | ((level == "hi") & (rng.random(n) < 0.4))
    return pd.DataFrame({"x": x, "y": y, "z": z, "w": w, "c": c, "d": d, "flag": flag})


def perturbed(real: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A synthetic table that is not mixup: resampled rows, noise, some categories moved."""
    rng = np.random.default_rng(seed)
    out = real.sample(len(real), replace=True, random_state=seed).reset_index(drop=True)
    for name in ("x", "y", "w"):
        out[name] = out[name] + rng.normal(scale=0.3, size=len(out))
    out.loc[rng.random(len(out)) < 0.1, "c"] = "mid"
    return out


def cases() -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    real = mixed_table(400, 1)
    penguins = pd.read_csv(ROOT / "sample_data" / "penguins.csv")
    penguins["species"] = penguins["species"].astype(object)
    mixed = synthesize(real, SynthesisOptions(), np.random.default_rng(3)).frame
    return {
        "perturbed": (real, perturbed(real, 2)),
        "mixup": (real, mixed),
        "penguins": (
            penguins,
            synthesize(penguins, SynthesisOptions(), np.random.default_rng(4)).frame,
        ),
        "other_seed": (mixed_table(300, 5), perturbed(mixed_table(300, 5), 6)),
    }


#: Integer codes declared categorical for SDMetrics, as a user would: penguins' year (three
#: values) is a category, and mixsynth compares it as one (the meaning generate gives it).
CODES = {"year"}


def metadata(frame: pd.DataFrame) -> dict:
    return {
        "columns": {
            str(c): {"sdtype": "categorical" if c in CODES else SDTYPE[frame[c].dtype.kind]}
            for c in frame.columns
        }
    }


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> dict[str, tuple[dict, dict]]:
    """Per case: (mixsynth's report, SDMetrics' figures)."""
    if not SDMETRICS_PYTHON.exists():
        pytest.fail(f"no SDMetrics environment at {SDMETRICS_PYTHON}: run `make install`")
    folder = tmp_path_factory.mktemp("sdmetrics")
    tables = cases()
    plain = {}
    for name, (real, synthetic) in tables.items():
        real, synthetic = (
            frame.astype({c: object for c in frame.columns if frame[c].dtype.kind in "OUT"})
            for frame in (real, synthetic)
        )
        plain[name] = real, synthetic
        real.to_parquet(folder / f"{name}.real.parquet")
        synthetic.to_parquet(folder / f"{name}.synthetic.parquet")
        (folder / f"{name}.metadata.json").write_text(json.dumps(metadata(real)))
    done = subprocess.run(
        [str(SDMETRICS_PYTHON), str(ORACLE), str(folder)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    return {name: (compare_tables(*plain[name]), theirs[name]) for name in tables}


CASES = ["perturbed", "mixup", "penguins", "other_seed"]


@pytest.mark.parametrize("case", CASES)
def test_column_shapes_are_sdmetrics_ks_and_tv_complements(compared, case) -> None:
    ours, theirs = compared[case]
    assert set(theirs["shapes"]) == set(ours["columns"])
    for name, shape in theirs["shapes"].items():
        key = {"KSComplement": "ks_complement", "TVComplement": "tv_complement"}[shape["metric"]]
        assert ours["columns"][name][key] == pytest.approx(shape["score"], abs=EXACT), name
    assert ours["scores"]["column_shapes"] == pytest.approx(theirs["column_shapes"], abs=EXACT)


@pytest.mark.parametrize("case", CASES)
def test_pair_scores_metrics_and_thresholds_are_sdmetrics(compared, case) -> None:
    ours, theirs = compared[case]
    mine = {tuple(p["columns"]): p for p in ours["pairs"]["details"]}
    assert len(mine) == len(theirs["pairs"])
    for pair in theirs["pairs"]:
        entry = mine[tuple(pair["columns"])]
        assert entry["metric"] == pair["metric"], pair["columns"]
        assert entry["meets_threshold"] == pair["meets_threshold"], pair
        assert entry["score"] == pytest.approx(pair["score_unthresholded"], abs=EXACT), pair
        if pair["meets_threshold"]:
            assert entry["score"] == pytest.approx(pair["score"], abs=EXACT), pair
        if pair["metric"] == "CorrelationSimilarity":
            assert entry["real_correlation"] == pytest.approx(pair["real_correlation"], abs=EXACT)
            assert entry["synthetic_correlation"] == pytest.approx(
                pair["synthetic_correlation"], abs=EXACT
            )
        else:
            assert entry["real_association"] == pytest.approx(pair["real_association"], abs=EXACT)


@pytest.mark.parametrize("case", CASES)
def test_quality_scores_are_sdmetrics(compared, case) -> None:
    ours, theirs = compared[case]
    scores = ours["scores"]
    assert scores["column_pair_trends"] == pytest.approx(theirs["column_pair_trends"], abs=EXACT)
    assert scores["column_pair_trends_all"] == pytest.approx(
        theirs["column_pair_trends_all"], abs=EXACT
    )
    assert scores["overall"] == pytest.approx(theirs["overall"], abs=EXACT)
    assert scores["pairs_meeting_threshold"] == sum(p["meets_threshold"] for p in theirs["pairs"])


def test_the_tables_straddle_both_thresholds(compared) -> None:
    """The cases can tell a moved threshold: some real correlations lie in (0.4, 0.5]
    and some associations in (0.2, 0.3], as well as above each threshold."""
    pairs = [p for _, theirs in compared.values() for p in theirs["pairs"]]
    correlations = [abs(p["real_correlation"]) for p in pairs if p.get("real_correlation")]
    associations = [p["real_association"] for p in pairs if p.get("real_association")]
    assert any(0.4 < r <= 0.5 for r in correlations) and any(r > 0.5 for r in correlations)
    assert any(0.2 < v <= 0.3 for v in associations) and any(v > 0.3 for v in associations)
