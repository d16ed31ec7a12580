"""Rows that hold much of a column's variance: their weight's root mean square instead
of a draw, with a difference of two more rows for their partner's lost term
(``mixsynth.engine.pinning.leveraged_pairs``), against every weight drawn and against
the root mean square weight without the difference (the rule before 2026-12-07 17:00).

Per table and seed, default options, generations 1 to 10 (each made from the one
before): each numeric column's variance ratio to the real table's (ddof=1), the
median over the table's numeric columns, and their mean (whose expectation is 1: its
standard error over the seeds shows a bias). Tables with a heavy row (AER's HMDA and
Ecdat's Hdma: a debt ratio of 3.0 among values under 1.2; MASS's Boston: crime rates)
and the sample tables (none or few such rows).

Run: ``python benchmarks/leverage.py [--seeds 20]``; prints Markdown and writes
benchmarks/results/leverage.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
from unittest import mock

import numpy as np
import pandas as pd
from privacy_defaults import markdown, write_results
from privacy_figures import tables
from privacy_unseen import open_tables

import mixsynth.engine.memory as memory
import mixsynth.engine.pinning as pinning
from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions

SHARE = pinning.LEVERAGE_SHARE


def without_difference(*args):
    """The heavy rows' pairs with the difference term's weight set to 0."""
    pairs = pinning.leveraged_pairs(*args)
    if pairs.spread is None:
        return pairs
    return dataclasses.replace(pairs, spread=np.zeros_like(pairs.spread))


#: (label, LEVERAGE_SHARE, the pairs function the engine calls)
VARIANTS = (
    ("rms weight + difference", SHARE, pinning.leveraged_pairs),
    ("rms weight alone", SHARE, without_difference),
    ("drawn", np.inf, pinning.leveraged_pairs),
)


def ratios(frame: pd.DataFrame, seed: int, generations: int) -> dict[int, list[float]]:
    """Each numeric column's variance ratio at generation 1 and the last."""
    numeric = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    real = frame[numeric].var()
    made = list(run_generations(frame, SynthesisOptions(), generations, seed))
    return {g: list((made[g - 1].frame[numeric].var() / real).to_numpy()) for g in (1, generations)}


def heaviest_share(frame: pd.DataFrame) -> float:
    numeric = frame.select_dtypes("float")
    squares = (numeric - numeric.mean()) ** 2
    return float((squares.max() / squares.sum()).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--generations", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    started = time.time()
    frames = open_tables("HMDA", "Hdma", "Boston")
    frames["Hdma"] = frames["Hdma"].dropna()
    frames["Boston"] = frames["Boston"].astype(float)
    frames.update({k: v for k, v in tables().items() if k in ("penguins", "customers", "wine")})
    rows = []
    for name, frame in frames.items():
        for label, share, pairs_of in VARIANTS:
            with (
                mock.patch.object(pinning, "LEVERAGE_SHARE", share),
                mock.patch.object(memory, "leveraged_pairs", pairs_of),
            ):
                found = [ratios(frame, seed, args.generations) for seed in range(args.seeds)]
            for g in (1, args.generations):
                medians = np.array([np.median(r[g]) for r in found])
                means = np.array([np.mean(r[g]) for r in found])
                columns = np.concatenate([r[g] for r in found])
                rows.append(
                    {
                        "table": name,
                        "heaviest row's share": round(heaviest_share(frame), 3),
                        "weights": label,
                        "generation": g,
                        "median ratio: mean": round(float(medians.mean()), 3),
                        "sd": round(float(medians.std(ddof=1)), 3),
                        "mean ratio ± se": f"{means.mean():.4f} ± "
                        f"{means.std(ddof=1) / np.sqrt(len(means)):.4f}",
                        "outside [0.9, 1.1]": f"{int(((medians < 0.9) | (medians > 1.1)).sum())}/{len(medians)}",
                        "columns: sd": round(float(columns.std(ddof=1)), 3),
                        "columns outside [0.9, 1.1]": round(
                            float(((columns < 0.9) | (columns > 1.1)).mean()), 3
                        ),
                    }
                )
        print(f"{name} done at {time.time() - started:.0f} s", flush=True)
    write_results(
        "leverage",
        [
            "# Heavy rows: their weight's root mean square (with or without the difference), or a draw",
            "",
            f"- Command: `python benchmarks/leverage.py {' '.join(sys.argv[1:])}`",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{time.time() - started:.0f} s",
            "",
            *markdown(pd.DataFrame(rows)),
        ],
    )


if __name__ == "__main__":
    main()
