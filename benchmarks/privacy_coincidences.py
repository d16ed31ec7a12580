"""Default output rows that land on a real row other than their donors, by chance.

Where every mixed column is coarse (ages, counts) each default row is checked against
every real row, not only its donors (``mixsynth.engine.copies.COARSE_VALUES``). Per
table, over random 50/50 splits (the synthesizer fed one half): the share of default
rows equal to a training row, with the check and without it (``COARSE_VALUES = 0``),
beside a fresh half's share, and the overall quality; then the CPU seconds of one
generation of two 1M-row tables, with and without it (best of three).

Run: ``python benchmarks/privacy_coincidences.py [--seeds 6]``; prints Markdown and
writes benchmarks/results/privacy_coincidences.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from unittest import mock

import numpy as np
import pandas as pd
from privacy_defaults import markdown, quality, write_results
from privacy_figures import census_tables, codes_tables, split
from privacy_unseen import open_tables

import mixsynth.engine.copies as copies
from mixsynth.api import MixupSynthesizer
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions

COARSE = copies.COARSE_VALUES


def training_copies(train: pd.DataFrame, other: pd.DataFrame) -> float:
    """The share of ``other``'s rows equal to a training row (values compared as text)."""
    seen = set(train.astype(str).itertuples(index=False))
    return float(np.mean([row in seen for row in other.astype(str).itertuples(index=False)]))


def copies_rows(seeds: int) -> pd.DataFrame:
    tables = {**open_tables("BEPS", "Fair", "biopsy"), **codes_tables(), **census_tables()}
    rows = []
    for name, frame in tables.items():
        for seed in range(seeds):
            train, holdout = split(frame, seed)
            found = {"table": name, "seed": seed}
            for label, coarse in (("checked", COARSE), ("donors_only", 0)):
                with mock.patch.object(copies, "COARSE_VALUES", coarse):
                    synthetic = MixupSynthesizer(seed=seed).fit(train).sample(len(train))
                found[f"copies_{label}"] = training_copies(train, synthetic)
                found[f"quality_{label}"] = quality(train, synthetic)
            found["fresh_copies"] = training_copies(train, holdout)
            rows.append(found)
    return pd.DataFrame(rows)


def cpu_seconds(frame: pd.DataFrame, coarse: int) -> float:
    synthesize(frame.head(1000), SynthesisOptions(), np.random.default_rng(0))  # warm up
    best = []
    with mock.patch.object(copies, "COARSE_VALUES", coarse):
        for seed in range(3):
            started = time.process_time()
            synthesize(frame, SynthesisOptions(), np.random.default_rng(seed))
            best.append(time.process_time() - started)
    return min(best)


def speed_rows() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 1_000_000
    prices = pd.DataFrame({f"price{i}": np.round(rng.lognormal(3, 1, n), 2) for i in range(5)})
    prices["age"] = rng.integers(18, 90, n)
    prices["a"], prices["b"] = rng.choice(list("abcd"), n), rng.choice(list("xyz"), n)
    coarse = pd.DataFrame({"age": rng.integers(18, 90, n), "family": rng.integers(1, 9, n)})
    for k in range(4):
        coarse[f"code{k}"] = rng.choice(list("abcde"), n)
    return pd.DataFrame(
        [
            {
                "table": name,
                "cpu_s_checked": round(cpu_seconds(frame, COARSE), 2),
                "cpu_s_donors_only": round(cpu_seconds(frame, 0), 2),
            }
            for name, frame in (
                ("1M: five prices to the cent, an age, two categories", prices),
                ("1M: two small integers, four categories", coarse),
            )
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    started = time.time()
    found = copies_rows(args.seeds)
    summary = found.groupby("table", sort=False).agg(["mean", "max"]).drop(columns="seed")
    summary.columns = [f"{a}_{b}" for a, b in summary.columns]
    above = int((found["copies_checked"] > found["fresh_copies"]).sum())
    above_before = int((found["copies_donors_only"] > found["fresh_copies"]).sum())
    write_results(
        "privacy_coincidences",
        [
            "# Default rows on a real row other than their donors",
            "",
            f"- Command: `python benchmarks/privacy_coincidences.py {' '.join(sys.argv[1:])}`",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{time.time() - started:.0f} s",
            f"- Runs with more copies than a fresh half: {above} of {len(found)} "
            f"(donors only: {above_before})",
            "",
            *markdown(summary.round(4).reset_index()),
            "",
            *markdown(speed_rows()),
        ],
    )


if __name__ == "__main__":
    main()
