"""Time ``compare_tables`` on a 1,000,000 x 20 table (14 float, 2 int, 1 datetime, 3 discrete).

Run: ``.venv/bin/python benchmarks/bench_compare.py [ROWS]``. Prints the wall time of the
whole comparison and of the same with a utility target.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from mixsynth.metrics import compare_tables


def make(seed: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, 4))
    columns: dict = {f"f{i}": z[:, i % 4] * (i + 1) + rng.normal(size=rows) for i in range(14)}
    columns["f0"][rng.random(rows) < 0.02] = np.nan
    columns["i0"] = rng.integers(0, 100, rows)
    columns["i1"] = rng.poisson(3, rows)
    columns["t"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        rng.integers(0, 10**8, rows), unit="s"
    )
    columns["c0"] = np.where(z[:, 0] > 0, "a", "b")
    columns["c1"] = rng.choice(["x", "y", "z", "w"], rows)
    columns["c2"] = z[:, 1] > 0.5
    return pd.DataFrame(columns)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    real, synthetic = make(0, rows), make(1, rows)
    for target in (None, "c0"):
        start = time.perf_counter()
        report = compare_tables(real, synthetic, target=target)
        seconds = time.perf_counter() - start
        print(
            f"compare {rows} x {real.shape[1]} (target={target}): {seconds:.1f} s, "
            f"overall {report['scores']['overall']:.3f}"
        )


if __name__ == "__main__":
    main()
