"""What matching shapes between the source's values (``shapes_between``) changes in a
column's distribution: for samples of a normal, an exponential and a lognormal law of
n = 50, 300 and 2,000 values, the variance of Q(U) (the source's values at (i + 1/2)/n
joined linearly, half a gap past the ends; closed form) over the source's, the mean's
shift in standard deviations, and the largest distance between the distribution
functions of m = n values and the source's (KS) over 20 draws, against the bound
1/m + 1/n. Beside it the variance ratio with the values joined to the ends
(at i/(n-1)), which gives the minimum and maximum half a value's share.

Run: ``python benchmarks/privacy_shapes_between.py``; prints Markdown.
"""

from __future__ import annotations

import numpy as np

from mixsynth.engine.shapes import extended, quantiles_between

LAWS = {
    "normal": lambda rng, n: rng.normal(size=n),
    "exponential": lambda rng, n: rng.exponential(size=n),
    "lognormal": lambda rng, n: rng.lognormal(size=n),
}


def moments(positions: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Mean and variance of the piecewise-linear Q(U) through (positions, values)."""
    a, b, h = values[:-1], values[1:], np.diff(positions)
    mean = np.sum(h * (a + b)) / 2
    return mean, np.sum(h * (a * a + a * b + b * b)) / 3 - mean**2


def ks(source: np.ndarray, values: np.ndarray) -> float:
    points = np.concatenate([source, values])
    return np.abs(
        np.searchsorted(values, points, side="right") / len(values)
        - np.searchsorted(source, points, side="right") / len(source)
    ).max()


def main() -> None:
    print(
        "| law | n | variance ratio | to the ends instead | mean shift (sd) | KS max | 1/m + 1/n |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, law in LAWS.items():
        for n in (50, 300, 2000):
            source = np.sort(law(np.random.default_rng(0), n))
            mean, variance = moments(*extended(source))
            _, ends = moments(np.arange(n) / (n - 1), source)
            worst = max(
                ks(source, quantiles_between(source, n, np.random.default_rng(seed)))
                for seed in range(20)
            )
            print(
                f"| {name} | {n} | {variance / source.var():.3f} | {ends / source.var():.3f} "
                f"| {(mean - source.mean()) / source.std():+.4f} | {worst:.4f} | {2 / n:.4f} |"
            )


if __name__ == "__main__":
    main()
