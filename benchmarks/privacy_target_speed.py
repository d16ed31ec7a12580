"""The privacy target's search with its caches (each half's Reference and semantics
made once) against the same search made afresh for every trial: the time of each and
whether every trial's share is the same.

Run: ``python benchmarks/privacy_target_speed.py [--table breast_cancer.csv]``
(a half of the table, target 0.6, seed 0); prints both times.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from privacy_figures import SAMPLES

import mixsynth.engine.target as target
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.io import read_table
from mixsynth.jobs.target import choose_privacy_settings
from mixsynth.metrics import dcr_share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="breast_cancer.csv")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    frame = read_table(SAMPLES / args.table).frame
    order = np.random.default_rng(0).permutation(len(frame))[: len(frame) // 2]
    half = frame.iloc[order].reset_index(drop=True)
    options = SynthesisOptions(privacy_target=0.6)
    started = time.time()
    cached = choose_privacy_settings(half, options, seed=0)
    print(f"cached: {time.time() - started:.1f} s, {len(cached.tried)} trials", flush=True)
    # Afresh: each trial's Reference made from its options, each share from scratch.
    target._References.of = lambda self, table, trial: Reference.of(table, trial)
    target.synthesize = lambda table, trial, rng, reference: synthesize(table, trial, rng)
    started = time.time()
    fresh = target.choose_margin(half, options, 0.6, 0, lambda *tables: dcr_share(*tables))
    print(f"afresh: {time.time() - started:.1f} s, same trials: {fresh.tried == cached.tried}")


if __name__ == "__main__":
    main()
