"""What keeping the detected orders costs the correlations over generations (docs/rules.md
"Correlations over generations"): open tables whose detected orders tie skewed columns
that sit near a bound (MASS's Boston, ISLR's Hitters and College), whole, 10 generations,
with the rules found and kept and with ``detect_rules=False``.

Per table and setting: the change of the mean absolute correlation of the numerical
columns (more than 10 values) from the input to generation 1 and to generation 10, and
the median variance ratio at generation 10, each the mean over the seeds (with its
standard error at generation 10).

Run: ``python benchmarks/rules_correlation.py [--seeds 6] [--margin 0.3]
[--tables Boston Hitters College] [--name rules_correlation]``; writes
benchmarks/results/NAME.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd
from privacy_defaults import markdown, write_results
from privacy_unseen import open_tables

from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions

GENERATIONS = 10


def mean_absolute_correlation(frame: pd.DataFrame) -> float:
    found = frame.astype(float).corr().to_numpy()
    return float(np.abs(found[np.triu_indices_from(found, 1)]).mean())


def measured(frame: pd.DataFrame, options: SynthesisOptions, seeds: int) -> dict:
    numbers = frame.select_dtypes("number")
    numbers = numbers.loc[:, numbers.nunique() > 10]
    real = mean_absolute_correlation(numbers)
    first, last, ratios = [], [], []
    for seed in range(seeds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            generations = list(run_generations(frame, options, GENERATIONS, seed=seed))
        first.append(mean_absolute_correlation(generations[0].frame[numbers.columns]) - real)
        final = generations[-1].frame[numbers.columns].astype(float)
        last.append(mean_absolute_correlation(final) - real)
        ratios.append(float(np.median(final.var() / numbers.var())))
    return {
        "|corr| change, g1": round(float(np.mean(first)), 4),
        "|corr| change, g10": f"{np.mean(last):+.4f} +- {np.std(last, ddof=1) / np.sqrt(seeds):.4f}",
        "variance ratio, g10": f"{np.mean(ratios):.4f} +- {np.std(ratios, ddof=1) / np.sqrt(seeds):.4f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--margin", type=float, default=0.0, help="privacy margin")
    parser.add_argument("--tables", nargs="*", default=["Boston", "Hitters", "College"])
    parser.add_argument("--name", default="rules_correlation", help="results file name")
    args = parser.parse_args()
    started = time.time()
    rows = []
    for name, frame in open_tables(*args.tables).items():
        for detect in (True, False):
            options = SynthesisOptions(detect_rules=detect, privacy_margin=args.margin)
            found = measured(frame, options, args.seeds)
            rows.append({"table": name, "rules": "kept" if detect else "not detected"} | found)
            print(rows[-1], file=sys.stderr, flush=True)
    write_results(
        args.name,
        [
            "# What keeping the detected orders costs the correlations",
            "",
            f"- Command: `python benchmarks/rules_correlation.py {' '.join(sys.argv[1:])}`",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{time.time() - started:.0f} s; privacy margin {args.margin}",
            f"- Mean absolute correlation of the numerical columns, generation minus input, "
            f"and the median variance ratio, mean over {args.seeds} seeds (+- standard error)",
            "",
            *markdown(pd.DataFrame(rows)),
        ],
    )


if __name__ == "__main__":
    main()
