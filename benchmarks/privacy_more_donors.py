"""Would more donors than four lower the DCR share further? A numpy prototype on the
numerical columns of wine and breast cancer (docs/privacy.md, "Rows from four donors").

A row is the mean of k distinct rows plus m weighted differences of two more,
``mean(x_1..x_k) + c * sum_j (x_a_j - x_b_j)``, all k + 2m rows distinct, with
c^2 = (1 - 1/k) / (2m) so that the weights sum to 1 and their squares too (variance
kept). The largest weight max(1/k, c) falls from 1/2 (k = 2, m = 1: mixsynth's
``--donors 4``) to 0.41 (k = 3, m = 2) and 0.33 (k = 3, m = 3). Each output is measured
raw and with its columns mapped by rank onto the training values (what
``--match-shapes`` does), against a true holdout: the DCR share
(:func:`mixsynth.metrics.dcr_share`), mean and standard error over random 50/50 splits.

Run: ``python benchmarks/privacy_more_donors.py [--splits 10]``; prints Markdown and
writes benchmarks/results/privacy_more_donors.md.
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

from mixsynth.io import read_table
from mixsynth.metrics.privacy import dcr_share

RESULTS = Path(__file__).resolve().parent / "results"
#: (k rows averaged, m differences)
SHAPES = ((2, 1), (2, 2), (3, 2), (3, 3))


def mixed(x: np.ndarray, rng: np.random.Generator, k: int, m: int) -> np.ndarray:
    n = len(x)
    rows = np.argsort(rng.random((n, n)), axis=1)[:, : k + 2 * m]  # distinct, per row
    c = np.sqrt((1 - 1 / k) / (2 * m))
    out = x[rows[:, :k]].mean(axis=1)
    for j in range(m):
        out += c * (x[rows[:, k + 2 * j]] - x[rows[:, k + 2 * j + 1]])
    return out


def by_rank(synthetic: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each column mapped by rank onto the training column's sorted values."""
    ranks = np.argsort(np.argsort(synthetic, axis=0), axis=0)
    return np.take_along_axis(np.sort(x, axis=0), ranks * len(x) // len(synthetic), axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    started = time.time()
    frames = {
        "wine": pd.read_parquet(SAMPLES / "wine.parquet"),
        "breast cancer": read_table(SAMPLES / "breast_cancer.csv").frame,
    }
    rows = []
    for name, frame in frames.items():
        numbers = frame.select_dtypes("number").dropna()
        for k, m in SHAPES:
            shares: dict[str, list[float]] = {"raw": [], "by rank": []}
            for seed in range(args.splits):
                rng = np.random.default_rng(seed)
                order = rng.permutation(len(numbers))
                half = len(numbers) // 2
                train = numbers.iloc[order[:half]].reset_index(drop=True)
                holdout = numbers.iloc[order[half : 2 * half]].reset_index(drop=True)
                x = train.to_numpy(np.float64)
                out = mixed(x, rng, k, m)
                for how, values in (("raw", out), ("by rank", by_rank(out, x))):
                    synthetic = pd.DataFrame(values, columns=numbers.columns)
                    shares[how].append(dcr_share(train, holdout, synthetic, seed=seed))
            for how, values in shares.items():
                rows.append(
                    {
                        "table": name,
                        "k": k,
                        "m": m,
                        "largest weight": round(max(1 / k, np.sqrt((1 - 1 / k) / (2 * m))), 3),
                        "columns": how,
                        "DCR share": round(float(np.mean(values)), 3),
                        "standard error": round(
                            float(np.std(values, ddof=1) / np.sqrt(len(values))), 3
                        ),
                    }
                )
    lines = [
        "# More donors than four: the DCR share (numpy prototype)",
        "",
        f"- Command: `python benchmarks/privacy_more_donors.py {' '.join(sys.argv[1:])}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{time.time() - started:.0f} s",
        "",
        *markdown(pd.DataFrame(rows)),
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "privacy_more_donors.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
