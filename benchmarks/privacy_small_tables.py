"""How low can the DCR share go on a small table of many numerical columns? The
numerical columns of wine (89-row halves, 13 columns) and breast cancer (284-row
halves, 30 columns), random 50/50 splits, the synthesizer fed one half
(docs/privacy.md, "Small tables of many numerical columns").

Settings:

- ``four donors``: the engine with the privacy target's settings
  (``Trial(...).options``: shapes matched between the source's values);
- ``normal (half)``: rows drawn from a normal with the training half's mean and
  covariance, ``raw`` and ``+ shapes`` (each column mapped by rank onto values between
  the training half's, :func:`mixsynth.engine.shapes.quantiles_between`, as the trials
  do). Every affine mix of real rows with weights summing to 1 and squares summing
  to 1 has the training half's mean and covariance, and mixing more donors makes the
  rows more normal, so this is the limit of the lever and a floor for any synthesizer
  that keeps the half's covariance;
- ``normal (whole)``: the same with the whole table's mean and covariance, which no
  synthesizer fed one half can know: what a sample of the population's shape scores.

Figures, mean (and standard deviation over splits) of the DCR share
(:func:`mixsynth.metrics.dcr_share`): ``holdout``, the output made from the training
half against the other half; ``internal``, as the search measures it (the training
half split in two, each made from one and measured against the other, averaged);
the holdout share's difference from four donors' on the same splits (mean ± standard
error).
Then, on wine's splits 0-4 (those of ``privacy_target.py``), each setting's share
averaged over ``--draws`` runs: what a split itself contributes.

Run: ``python benchmarks/privacy_small_tables.py [--splits 30] [--draws 10]``; prints
Markdown and writes benchmarks/results/privacy_small_tables.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from privacy_defaults import markdown
from privacy_figures import SAMPLES

from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.shapes import quantiles_between
from mixsynth.engine.target import Trial
from mixsynth.io import read_table
from mixsynth.metrics.privacy import dcr_share

RESULTS = Path(__file__).resolve().parent / "results"

#: A setting: (training rows, whole table, rng) -> synthetic rows.
Make = Callable[[pd.DataFrame, pd.DataFrame, np.random.Generator], pd.DataFrame]


def engine(donors: int) -> Make:
    options = Trial(0.0, 0, False, donors, False, share=0.0).options(SynthesisOptions())
    return lambda train, whole, rng: synthesize(train, options, rng).frame


def normal(of_whole: bool, shapes: bool) -> Make:
    def make(train: pd.DataFrame, whole: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        source = (whole if of_whole else train).to_numpy(np.float64)
        rows = rng.multivariate_normal(source.mean(axis=0), np.cov(source.T), len(train))
        if shapes:
            x = train.to_numpy(np.float64)
            for j in range(x.shape[1]):
                values = quantiles_between(np.sort(x[:, j]), len(rows), rng)
                rows[np.argsort(rows[:, j]), j] = values
        return pd.DataFrame(rows, columns=train.columns)

    return make


SETTINGS: dict[str, Make] = {
    "four donors": engine(4),
    "normal (half), raw": normal(False, False),
    "normal (half) + shapes": normal(False, True),
    "normal (whole), raw": normal(True, False),
    "normal (whole) + shapes": normal(True, True),
}


def halves(frame: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = rng.permutation(len(frame))
    half = len(frame) // 2
    return (
        frame.iloc[order[:half]].reset_index(drop=True),
        frame.iloc[order[half : 2 * half]].reset_index(drop=True),
    )


def shares(make: Make, frame: pd.DataFrame, seed: int) -> tuple[float, float]:
    """(holdout share, internal share) on the 50/50 split ``seed``."""
    train, holdout = halves(frame, np.random.default_rng(seed))
    rng = np.random.default_rng([seed, 1])
    held = dcr_share(train, holdout, make(train, frame, rng), seed=seed)
    a, b = halves(train, rng)
    inside = [dcr_share(x, y, make(x, frame, rng), seed=seed) for x, y in ((a, b), (b, a))]
    return held, float(np.mean(inside))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=30)
    parser.add_argument("--draws", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    started = time.time()
    frames = {
        "wine": pd.read_parquet(SAMPLES / "wine.parquet").select_dtypes("number"),
        "breast cancer": read_table(SAMPLES / "breast_cancer.csv")
        .frame.select_dtypes("number")
        .dropna(),
    }
    rows = []
    for name, frame in frames.items():
        four = None
        for setting, make in SETTINGS.items():
            found = np.array([shares(make, frame, seed) for seed in range(args.splits)])
            four = found if four is None else four  # the first setting: four donors
            paired = found[:, 0] - four[:, 0]
            rows.append(
                {
                    "table": name,
                    "setting": setting,
                    "holdout": found[:, 0].mean(),
                    "holdout_sd": found[:, 0].std(ddof=1),
                    "internal": found[:, 1].mean(),
                    "internal_sd": found[:, 1].std(ddof=1),
                    "internal - holdout": (found[:, 1] - found[:, 0]).mean(),
                    "holdout - four donors's": f"{paired.mean():+.3f} ± "
                    f"{paired.std(ddof=1) / np.sqrt(len(paired)):.3f}",
                }
            )
            print(f"{name}, {setting}: {time.time() - started:.0f} s", flush=True)
    per_split = []
    wine = frames["wine"]
    for setting, make in SETTINGS.items():
        row: dict = {"setting": setting}
        for seed in range(5):
            train, holdout = halves(wine, np.random.default_rng(seed))
            draws = [
                dcr_share(train, holdout, make(train, wine, np.random.default_rng([seed, d])))
                for d in range(args.draws)
            ]
            row[f"split {seed}"] = f"{np.mean(draws):.3f} ± {np.std(draws, ddof=1):.3f}"
        per_split.append(row)
    text = "\n".join(
        [
            "# DCR share on small tables of many numerical columns",
            "",
            f"- Command: `python benchmarks/privacy_small_tables.py {' '.join(sys.argv[1:])}`",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{time.time() - started:.0f} s",
            f"- {args.splits} random 50/50 splits per table; numerical columns only",
            "",
            *markdown(pd.DataFrame(rows).round(3)),
            "",
            f"Wine, the splits of `privacy_target.py` (mean ± sd over {args.draws} runs):",
            "",
            *markdown(pd.DataFrame(per_split)),
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "privacy_small_tables.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
