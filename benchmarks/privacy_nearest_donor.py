"""Why a margin of 0.5 leaves numerical tables above a DCR share of 0.6: for each
synthetic row of ``privacy_margin=0.5`` (with the copied columns from near rows), is its
nearest training row one of its donors, and is it closer to the training half than to
the holdout half, for the rows at the midpoint (the inner arm, lambda = 1/2) and the
extrapolated ones (the outer arm, lambda = -1/2 or 3/2), in the numerical columns
(scaled to the training range, mean absolute difference, as the DCR).

Run: ``python benchmarks/privacy_nearest_donor.py [--seeds 2]``; prints one line per
table and split.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from privacy_figures import privacy_figures, split, tables
from scipy.spatial.distance import cdist

from mixsynth.engine.memory import GenerationStream
from mixsynth.engine.options import SynthesisOptions


def scaled(train: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """``frame``'s numerical columns scaled to the training range (missing: mid-range)."""
    numbers = [c for c in train.columns if train[c].dtype.kind in "fi"]
    low, high = train[numbers].min().to_numpy(), train[numbers].max().to_numpy()
    return np.nan_to_num((frame[numbers].to_numpy(float) - low) / (high - low), nan=0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=["wine", "breast_cancer"])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    found = tables()
    for name in args.only:
        for seed in range(args.seeds):
            train, holdout = split(found[name], seed)
            options = SynthesisOptions(privacy_margin=0.5, copy_neighbours=5)
            stream = GenerationStream(train, options, np.random.default_rng(seed))
            synthetic = stream.finish(pd.concat(list(stream))).frame
            made, real, held = (scaled(train, frame) for frame in (synthetic, train, holdout))
            to_train = cdist(made, real, "cityblock")
            to_holdout = cdist(made, held, "cityblock").min(axis=1)
            nearest = to_train.argmin(axis=1)
            donor = (nearest == stream.pairs.dominant) | (nearest == stream.pairs.other)
            closer = to_train.min(axis=1) < to_holdout
            inner = np.isclose(stream.pairs.w, 0.5)
            print(
                f"{name} split {seed}: nearest training row a donor: midpoints "
                f"{donor[inner].mean():.2f}, extrapolated {donor[~inner].mean():.2f}; "
                f"closer to training: midpoints {closer[inner].mean():.2f}, extrapolated "
                f"{closer[~inner].mean():.2f} ({(~inner).mean():.2f} of rows); DCR share "
                f"(all columns) {privacy_figures(train, holdout, synthetic)['dcr_share']:.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
