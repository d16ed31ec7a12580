"""One run's variance walk under a privacy margin: the median variance ratio of the
numerical columns after 10 generations, run by run, on halves and whole sample tables.

A margin widens each generation's step of the variance's random walk (E[u^2] drives
the spread of the sample variance, docs/theory.md), so the mean over seeds is kept
while one run can end far from 1. This measures, per table and setting, over many
seeds: the mean, the 5-95% range and the share of runs outside [0.9, 1.1] of the
median variance ratio (synthetic over input, ddof=1) at generation 10, and the cost
side at generations 1 and 10: the mean KS statistic of the numerical columns against
the input and, on the halves, the DCR share against the other half (``--quality``:
the report's overall quality against the input too).

Each seed s uses the random 50/50 split s (for the halves) and synthesis seed s.
``--unpinned`` runs the margins without the engine's variance pinning (docs/privacy.md),
for the comparison.

Run: ``python benchmarks/margin_walk.py [--seeds 30] [--margins 0 0.1 0.3 0.5]
[--tables wine_half ...] [--unpinned] [--quality] [--name margin_walk]``; writes
benchmarks/results/NAME.csv and NAME.md. ``--reach`` prints only how close the pin
gets on correlated normal tables (benchmarks/results/margin_walk_reach.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
from privacy_defaults import markdown, numerical, quality, variance_ratio, write_results
from privacy_figures import privacy_figures, split, tables
from scipy.stats import ks_2samp

from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions

RESULTS = Path(__file__).resolve().parent / "results"
TABLES = ("wine", "penguins", "breast_cancer", "customers")
GENERATIONS = 10
BAND = (0.9, 1.1)


def mean_ks(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list) -> float:
    return float(
        np.mean([ks_2samp(real[c].dropna(), synthetic[c].dropna()).statistic for c in columns])
    )


def one_run(
    train: pd.DataFrame, holdout: pd.DataFrame | None, margin: float, seed: int, scored: bool
) -> dict:
    options = SynthesisOptions(privacy_margin=margin)
    columns = numerical(train)
    row: dict = {}
    for generation in run_generations(train, options, GENERATIONS, seed=seed):
        if generation.index not in (1, GENERATIONS):
            continue
        g = generation.index
        row[f"ks_{g}"] = mean_ks(train, generation.frame, columns)
        if scored:
            row[f"quality_{g}"] = quality(train, generation.frame)
        if holdout is not None:
            row[f"dcr_share_{g}"] = privacy_figures(train, holdout, generation.frame)["dcr_share"]
    row["variance_ratio"] = variance_ratio(train, generation.frame)
    return row


def reach(runs: int = 40, n: int = 150, margin: float = 0.3) -> list[str]:
    """How close the pinned arms get: each generation's largest |variance ratio - 1|
    over its source, on ``runs`` tables of n rows x 4 correlated normal columns (plain
    mixup: no bounds, rounding or rules), 10 generations each."""
    from mixsynth.choices import Bounds

    options = SynthesisOptions(
        privacy_margin=margin, bounds=Bounds.NONE, semantics=False, round_decimals=False
    )
    errors = []
    for seed in range(runs):
        rng = np.random.default_rng(100 + seed)
        source = pd.DataFrame(rng.standard_normal((n, 4)) @ (np.eye(4) + 0.5), columns=list("abcd"))
        for generation in run_generations(source, options, GENERATIONS, seed=seed):
            errors.append(float((generation.frame.var() / source.var() - 1).abs().max()))
            source = generation.frame
    errors_ = np.array(errors)
    return [
        f"- Reach ({runs} tables of {n} rows x 4 correlated normal columns, margin "
        f"{margin:g}, {len(errors_)} generations): largest |variance ratio - 1| of a "
        f"generation over its source within 0.1% in {np.mean(errors_ <= 0.0011):.1%}, "
        f"within 1% in {np.mean(errors_ <= 0.01):.1%}, worst {errors_.max():.3f}.",
    ]


def mirrored(seeds: int = 5) -> list[str]:
    """The share of rows whose arm the pin exchanged, at generation 1 on the halves."""
    from mixsynth.engine.memory import GenerationStream

    found, lines = tables(), []
    for name in TABLES:
        for margin in (0.1, 0.3, 0.5):
            shares = []
            for seed in range(seeds):
                train, _ = split(found[name], seed)
                options = SynthesisOptions(privacy_margin=margin)
                pinned = GenerationStream(train, options, np.random.default_rng(seed))
                with mock.patch("mixsynth.engine.memory.pins_variances", lambda *_: False):
                    drawn = GenerationStream(train, options, np.random.default_rng(seed))
                shares.append(np.mean(pinned.pairs.w != drawn.pairs.w))
            lines.append(
                f"- {name} half ({len(train)} rows), margin {margin:g}: "
                f"{np.mean(shares):.1%} of rows on the other arm than drawn ({seeds} seeds)"
            )
    return lines


def summary(results: pd.DataFrame) -> pd.DataFrame:
    def of(group: pd.DataFrame) -> pd.Series:
        ratio = group["variance_ratio"]
        outside = ((ratio < BAND[0]) | (ratio > BAND[1])).mean()
        figures = {
            "rows": int(group["rows"].iloc[0]),
            "runs": len(group),
            "mean": round(ratio.mean(), 3),
            "sd": round(ratio.std(ddof=1), 3),
            "p5": round(ratio.quantile(0.05), 3),
            "p95": round(ratio.quantile(0.95), 3),
            "outside [0.9, 1.1]": round(outside, 3),
            "KS g1": round(group["ks_1"].mean(), 4),
            "KS g10": round(group[f"ks_{GENERATIONS}"].mean(), 4),
        }
        if "quality_1" in group:
            figures["quality g1"] = round(group["quality_1"].mean(), 4)
            figures[f"quality g{GENERATIONS}"] = round(group[f"quality_{GENERATIONS}"].mean(), 4)
        if "dcr_share_1" in group and group["dcr_share_1"].notna().any():
            figures["DCR share g1"] = round(group["dcr_share_1"].mean(), 3)
            last = group[f"dcr_share_{GENERATIONS}"].mean()
            figures[f"DCR share g{GENERATIONS}"] = round(last, 3)
        else:
            figures["DCR share g1"] = figures[f"DCR share g{GENERATIONS}"] = "-"
        return pd.Series(figures, dtype=object)

    return (
        results.groupby(["table", "setting"], sort=False)
        .apply(of, include_groups=False)
        .reset_index()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--margins", type=float, nargs="*", default=[0.0, 0.1, 0.3, 0.5])
    parser.add_argument("--tables", nargs="*", help="e.g. wine_half penguins (default: all)")
    parser.add_argument("--unpinned", action="store_true", help="margins without the pinning")
    parser.add_argument("--quality", action="store_true", help="overall quality too (slow)")
    parser.add_argument(
        "--reach",
        action="store_true",
        help="only how close the pin gets and how many rows it moves",
    )
    parser.add_argument("--name", default="margin_walk")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.reach:
        text = "\n".join(
            [
                "# How close the pinned arms get",
                "",
                "- Command: `python benchmarks/margin_walk.py --reach`",
                *reach(),
                *mirrored(),
            ]
        )
        (RESULTS / "margin_walk_reach.md").write_text(text + "\n")
        print(text)
        return
    started, load = time.time(), os.getloadavg()[0]
    found = tables()
    # The engine as it was before the pinning: every margin row's arm as drawn.
    unpin = (
        mock.patch("mixsynth.engine.memory.pins_variances", lambda *_: False)
        if args.unpinned
        else nullcontext()
    )
    pinned = "unpinned" if args.unpinned else "pinned"
    rows = []
    with unpin:
        for name in TABLES:
            for whole in (False, True):
                label = name if whole else f"{name}_half"
                if args.tables and label not in args.tables:
                    continue
                for margin in args.margins:
                    setting = f"margin {margin:g}, {pinned}" if margin else "default"
                    for seed in range(args.seeds):
                        train, holdout = split(found[name], seed)
                        if whole:
                            train, holdout = found[name], None
                        figures = one_run(train, holdout, margin, seed, args.quality)
                        rows.append(
                            {"table": label, "rows": len(train), "setting": setting}
                            | {"seed": seed, **figures}
                        )
                    print(f"{label} {setting}: {time.time() - started:.0f} s", flush=True)
    results = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    results.to_csv(RESULTS / f"{args.name}.csv", index=False)
    lines = [
        "# One run's variance walk under a privacy margin",
        "",
        f"- Command: `python benchmarks/margin_walk.py {' '.join(sys.argv[1:])}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{time.time() - started:.0f} s, load average at start {load:.2f}",
        f"- Median variance ratio of the numerical columns (synthetic over input, ddof=1) "
        f"after {GENERATIONS} generations, one value per run, {args.seeds} seeds; its mean, "
        "standard deviation, 5th and 95th percentiles and the share of runs outside "
        "[0.9, 1.1]. KS: mean KS statistic of the numerical columns against the input; "
        "DCR share against the other half (halves only), at generations 1 and 10.",
        "",
        *markdown(summary(results)),
    ]
    write_results(args.name, lines)


if __name__ == "__main__":
    main()
