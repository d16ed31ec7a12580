"""How the privacy target's internal DCR share depends on the training size.

The search measures each setting on halves of its input, so its shares are those of
n/2-row training sets, while the run is made from n rows. Per table and split (50/50,
the synthesizer fed one half of n rows): the DCR share of the table's usual chosen
setting made from the whole training half against the true holdout (``real_run``), and
the search's way, made from halves of it (``half``, n/2 rows, both ways round, 4 random
splits) and from quarters (``quarter``, n/4); ``extrapolated`` = 2 half - quarter, the
full size's share if the share moves by as much per doubling of the rows.

Run: ``python benchmarks/privacy_target_size.py [--seeds 3]``; prints Markdown and
writes benchmarks/results/privacy_target_size.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd
from privacy_defaults import markdown, write_results
from privacy_figures import split, tables
from privacy_unseen import open_tables

from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.target import Trial
from mixsynth.metrics import dcr_share

#: Each table's setting as the target usually chooses it (benchmarks/results/privacy_target.md
#: and privacy_unseen.md): (margin, copy_neighbours, split_copied, donors, mix_codes).
SETTINGS = {
    "olive": (0.5, 5, False, 2, False),
    "penguins": (0.2, 5, False, 2, False),
    "customers": (0.3, 5, False, 2, False),
    "breast_cancer": (0.0, 5, False, 4, False),
    "wine": (0.0, 5, False, 4, False),
    "Carseats": (0.3, 5, False, 2, False),
    "CPS1985": (0.0, 5, False, 2, False),
    "biopsy": (0.5, 5, False, 2, True),
}
#: Random splits of the training half per size, each measured both ways round.
REPEATS = 4


def share(train: pd.DataFrame, holdout: pd.DataFrame, options: SynthesisOptions, seed: int):
    synthetic = synthesize(train, options, np.random.default_rng(seed)).frame
    return dcr_share(train, holdout, synthetic)


def measured(frame: pd.DataFrame, options: SynthesisOptions, seed: int) -> dict:
    train, holdout = split(frame, seed)
    found = {"real_run": np.mean([share(train, holdout, options, 100 + r) for r in range(2)])}
    for name, parts in (("half", 2), ("quarter", 4)):
        shares = []
        for r in range(REPEATS):
            order = np.random.default_rng([seed, parts, r]).permutation(len(train))
            size = len(train) // parts
            a = train.iloc[order[:size]].reset_index(drop=True)
            b = train.iloc[order[size : 2 * size]].reset_index(drop=True)
            shares += [share(a, b, options, r), share(b, a, options, r + 50)]
        found[name] = float(np.mean(shares))
    found["extrapolated"] = 2 * found["half"] - found["quarter"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    started = time.time()
    frames = {**tables(), **open_tables("olive", "biopsy", "Carseats")}
    rows = []
    for name, setting in SETTINGS.items():
        options = Trial(*setting, share=0.0).options(SynthesisOptions())
        for seed in range(args.seeds):
            found = measured(frames[name], options, seed)
            rows.append({"table": name, "seed": seed, "rows": len(frames[name]) // 2, **found})
    results = pd.DataFrame(rows)
    half_error = results["half"] - results["real_run"]
    extrapolated_error = results["extrapolated"] - results["real_run"]
    write_results(
        "privacy_target_size",
        [
            "# The internal DCR share against the training size",
            "",
            f"- Command: `python benchmarks/privacy_target_size.py {' '.join(sys.argv[1:])}`",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{time.time() - started:.0f} s",
            f"- half - real run: mean {half_error.mean():+.3f}, mean |.| "
            f"{half_error.abs().mean():.3f}; extrapolated - real run: mean "
            f"{extrapolated_error.mean():+.3f}, mean |.| {extrapolated_error.abs().mean():.3f}",
            "",
            *markdown(results.round(3)),
        ],
    )


if __name__ == "__main__":
    main()
