"""Rows from four donors (``--donors 4``, docs/privacy.md): what they do to the variance.

1. The variance over generations: on random halves of wine (89 rows), the mean over
   the numerical columns of the variance ratio against the half, at generations 1 and
   10, averaged over the halves with its standard error; default weights against four
   donors (the mean is kept, the spread of the random walk is the price).
2. The rules: on breast cancer (14 detected orders), the median and smallest variance
   ratio of one generation, and the rows moved back to keep an order, with and
   without rule detection and shape matching.

The quality and DCR share of four donors beside the margins are measured by
``privacy_defaults.py`` (its "four donors" variants).

Run: ``python benchmarks/privacy_donors.py [--halves 20]``; prints Markdown and writes
benchmarks/results/privacy_donors_variance.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from privacy_defaults import markdown
from privacy_figures import SAMPLES

from mixsynth.engine.memory import GenerationStream, run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.io import read_table

RESULTS = Path(__file__).resolve().parent / "results"


def over_generations(halves: int) -> pd.DataFrame:
    wine = pd.read_parquet(SAMPLES / "wine.parquet")
    numeric = wine.select_dtypes("number").columns
    rows = []
    for name, options in (
        ("default", SynthesisOptions()),
        ("four donors", SynthesisOptions(donors=4)),
    ):
        ratios: dict[int, list[float]] = {1: [], 10: []}
        for seed in range(halves):
            order = np.random.default_rng(seed).permutation(len(wine))[: len(wine) // 2]
            half = wine.iloc[order].reset_index(drop=True)
            for generation in run_generations(half, options, 10, seed=seed):
                if generation.index in ratios:
                    ratio = generation.frame[numeric].var() / half[numeric].var()
                    ratios[generation.index].append(float(ratio.mean()))
        for index, values in ratios.items():
            rows.append(
                {
                    "weights": name,
                    "generation": index,
                    "mean variance ratio": round(float(np.mean(values)), 3),
                    "standard error": round(float(np.std(values, ddof=1) / np.sqrt(halves)), 3),
                }
            )
    return pd.DataFrame(rows)


def with_rules() -> pd.DataFrame:
    real = read_table(SAMPLES / "breast_cancer.csv").frame
    numeric = real.select_dtypes("number").columns
    rows = []
    for detect in (True, False):
        for shapes in (False, True):
            options = SynthesisOptions(donors=4, detect_rules=detect, match_shapes=shapes)
            stream = GenerationStream(real, options, np.random.default_rng(0))
            out = stream.finish(pd.concat(list(stream))).frame
            ratio = out[numeric].var() / real[numeric].var()
            rows.append(
                {
                    "rules detected": len(stream.reference.rules),
                    "match shapes": shapes,
                    "median variance ratio": round(float(ratio.median()), 3),
                    "smallest": round(float(ratio.min()), 3),
                    "rows moved back": stream.rule_repairs,
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--halves", type=int, default=20, help="random halves of wine")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    started = time.time()
    lines = [
        "# Four donors: the variance",
        "",
        f"- Command: `python benchmarks/privacy_donors.py {' '.join(sys.argv[1:])}`",
        "",
        f"## Over generations, {args.halves} random halves of wine",
        "",
        *markdown(over_generations(args.halves)),
        "",
        "## Orders detected on breast cancer (569 rows), one generation",
        "",
        *markdown(with_rules()),
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{time.time() - started:.0f} s",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "privacy_donors_variance.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
