"""How close the privacy target's internal estimate is to the DCR share on a real
holdout: each table split 50/50 (the synthesizer fed one half), the target search run
on the training half (it splits that half again inside), the chosen settings used for
the training half, and the output's DCR share measured against the true holdout.
Also the overall quality against the training half, the median variance ratio at
generations 1 and 10 (each generation made from the one before, the chosen settings
kept), and
the share of numbers that are training values (``real_values``: the mean over numerical
columns of the share of a column's values found among the training half's values of
that column; ``holdout_real_values``: the same of the holdout half, a fresh sample's).

Run: ``python benchmarks/privacy_target.py [--targets 0.6 0.7 0.8] [--seeds 2]
[--only wine breast_cancer]``; prints Markdown and writes
benchmarks/results/privacy_target.md (or ``--name``.md).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from privacy_defaults import markdown, quality, variance_ratio
from privacy_figures import privacy_figures, split, tables

from mixsynth.engine.memory import run_generations, synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.jobs.target import choose_privacy_settings

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=float, nargs="*", default=[0.6, 0.7, 0.8])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="tables to run (default: all)")
    parser.add_argument("--name", default="privacy_target", help="results file name")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    started = time.time()
    rows = []
    for name, frame in tables().items():
        if args.only and name not in args.only:
            continue
        for seed in range(args.seeds):
            train, holdout = split(frame, seed)
            for target in args.targets:
                begun = time.time()
                asked = SynthesisOptions(privacy_target=target)
                choice = choose_privacy_settings(train, asked, seed=seed)
                seconds = time.time() - begun
                options = choice.options(SynthesisOptions())
                synthetic = synthesize(train, options, np.random.default_rng(seed)).frame
                figures = privacy_figures(train, holdout, synthetic)
                *_, tenth = run_generations(train, options, 10, seed=seed)
                rows.append(
                    {
                        "table": name,
                        "seed": seed,
                        "target": target,
                        "margin": choice.margin,
                        "neighbours": choice.chosen.copy_neighbours,
                        "split": choice.chosen.split_copied,
                        "donors": choice.chosen.donors,
                        "reached": choice.reached,
                        "internal_share": choice.share,
                        "holdout_share": figures["dcr_share"],
                        "copies": figures["copies"],
                        "holdout_copies": figures["holdout_copies"],
                        "quality": quality(train, synthetic),
                        "quality_holdout": quality(holdout, synthetic),
                        "variance_ratio": variance_ratio(train, synthetic),
                        "variance_ratio_g10": variance_ratio(train, tenth.frame),
                        "real_values": real_values(train, synthetic),
                        "holdout_real_values": real_values(train, holdout),
                        "trials": len(choice.tried),
                        "search_s": seconds,
                    }
                )
        print(f"{name} done at {time.time() - started:.0f} s", flush=True)
    results = pd.DataFrame(rows).round(3)
    gap = (results["holdout_share"] - results["internal_share"]).abs()
    lines = [
        "# The privacy target: internal estimate against a real holdout",
        "",
        f"- Command: `python benchmarks/privacy_target.py {' '.join(sys.argv[1:])}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{time.time() - started:.0f} s",
        f"- |holdout share - internal share|: median {gap.median():.3f}, "
        f"max {gap.max():.3f} over {len(results)} runs",
        "",
        *markdown(results),
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.md").write_text(text)
    print(text)


def real_values(train: pd.DataFrame, table: pd.DataFrame) -> float:
    """The mean over numerical columns of the share of ``table``'s values that are
    among ``train``'s values of the same column (missing values left out)."""
    shares = []
    for name in train.select_dtypes("number").columns:
        values = table[name].dropna().to_numpy(dtype=float)
        if len(values):
            shares.append(np.isin(values, train[name].dropna().to_numpy(dtype=float)).mean())
    return float(np.mean(shares)) if shares else float("nan")


if __name__ == "__main__":
    main()
