"""Which privacy settings can be the default: margins, copied columns split between the
donors or taken from near rows, ``--keep-associations``, measured as a whole on the
sample tables, two tables of codes and three census-like tables
(benchmarks/privacy_figures.py), each split 50/50 with the synthesizer fed one half, at
generations 1 and 10.

Per table, variant and generation: overall quality against the training half (what
the report shows) and against the holdout half (a fresh real sample scores
``fresh``), the DCR share on the true holdout (0.5 for a fresh sample), the DCR p5
ratio, exact copies of training rows (and a fresh sample's), and the median variance
ratio of the numerical columns against the training half.

Run: ``python benchmarks/privacy_defaults.py [--seeds 2] [--name NAME]``; prints Markdown
and writes benchmarks/results/NAME.md and .csv (NAME: privacy_defaults).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from privacy_figures import privacy_figures, split, tables

from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.metrics import compare_tables
from mixsynth.metrics.privacy import real_semantics
from mixsynth.semantics.types import SemanticType

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = {
    "default": {},
    "default, copies kept": {"keep_copies": True},
    "margin 0.05": {"privacy_margin": 0.05},
    "margin 0.1": {"privacy_margin": 0.1},
    "margin 0.15": {"privacy_margin": 0.15},
    "margin 0.2": {"privacy_margin": 0.2},
    "margin 0.3": {"privacy_margin": 0.3},
    "split": {"split_copied": True},
    "margin 0.1 + split": {"privacy_margin": 0.1, "split_copied": True},
    "margin 0.1 + keep-assoc": {"privacy_margin": 0.1, "keep_associations": True},
    "neighbours 3": {"copy_neighbours": 3},
    "neighbours 5": {"copy_neighbours": 5},
    "neighbours 10": {"copy_neighbours": 10},
    "neighbours 20": {"copy_neighbours": 20},
    "margin 0.1 + neighbours 5": {"privacy_margin": 0.1, "copy_neighbours": 5},
    "margin 0.3 + neighbours 5": {"privacy_margin": 0.3, "copy_neighbours": 5},
    "neighbours 5, no rules": {"copy_neighbours": 5, "detect_rules": False},
    "margin 0.3 + neighbours 5, no rules": {
        "privacy_margin": 0.3,
        "copy_neighbours": 5,
        "detect_rules": False,
    },
    # The privacy target's levers past the margins (docs/privacy.md, "Rows from four donors").
    "margin 0.2 + shapes + neighbours 5": {
        "privacy_margin": 0.2,
        "match_shapes": True,
        "copy_neighbours": 5,
    },
    "margin 0.3 + shapes + neighbours 5": {
        "privacy_margin": 0.3,
        "match_shapes": True,
        "copy_neighbours": 5,
    },
    "margin 0.5 + shapes + neighbours 5": {
        "privacy_margin": 0.5,
        "match_shapes": True,
        "copy_neighbours": 5,
    },
    "mix codes + neighbours 5": {"mix_codes": True, "copy_neighbours": 5},
    "four donors": {"donors": 4},
    "four donors + neighbours 5": {"donors": 4, "copy_neighbours": 5},
    "four donors + shapes + neighbours 5": {
        "donors": 4,
        "match_shapes": True,
        "copy_neighbours": 5,
    },
}
GENERATIONS = (1, 10)


def quality(real: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    return compare_tables(real, synthetic, seed=0)["scores"]["overall"]


def numerical(frame: pd.DataFrame) -> list:
    """The columns mixup's theory is about: numbers mixed as numbers (by the semantics)."""
    semantics = real_semantics(frame, ())
    return [c for c in frame.columns if semantics.columns[str(c)].sdtype is SemanticType.NUMERICAL]


def variance_ratio(train: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    ratios = [synthetic[c].var() / train[c].var() for c in numerical(train) if train[c].var() > 0]
    return float(np.median(ratios)) if ratios else float("nan")


def write_results(name: str, lines: list[str]) -> None:
    """``lines`` written to benchmarks/results/NAME.md and printed."""
    text = "\n".join(lines) + "\n"
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


def markdown(frame: pd.DataFrame) -> list[str]:
    """A Markdown table of a DataFrame's rows."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="50/50 splits per table")
    parser.add_argument("--only", nargs="*", help="tables to run (default: all)")
    parser.add_argument("--variants", nargs="*", help="variants to run (default: all)")
    parser.add_argument("--name", default="privacy_defaults", help="results file name")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    started, load = time.time(), os.getloadavg()[0]
    rows = []
    for name, frame in tables().items():
        if args.only and name not in args.only:
            continue
        for seed in range(args.seeds):
            train, holdout = split(frame, seed)
            fresh = quality(train, holdout)
            for variant, changes in VARIANTS.items():
                if args.variants and variant not in args.variants:
                    continue
                options = SynthesisOptions(**changes)
                generations = run_generations(train, options, max(GENERATIONS), seed=seed)
                for generation in generations:
                    if generation.index not in GENERATIONS:
                        continue
                    synthetic = generation.frame
                    rows.append(
                        {
                            "table": name,
                            "seed": seed,
                            "variant": variant,
                            "generation": generation.index,
                            "quality": quality(train, synthetic),
                            "quality_holdout": quality(holdout, synthetic),
                            "fresh": fresh,
                            "variance_ratio": variance_ratio(train, synthetic),
                            **privacy_figures(train, holdout, synthetic),
                        }
                    )
            print(f"{name} seed {seed} done at {time.time() - started:.0f} s", flush=True)
    results = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    results.to_csv(RESULTS / f"{args.name}.csv", index=False)
    figures = ["quality", "quality_holdout", "fresh", "dcr_share", "dcr_p5_ratio", "copies"]
    figures += ["holdout_copies", "variance_ratio"]
    table = results.groupby(["table", "generation", "variant"], sort=False)[figures].mean()
    lines = [
        "# Privacy settings as defaults: measured",
        "",
        f"- Command: `python benchmarks/privacy_defaults.py {' '.join(sys.argv[1:])}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{time.time() - started:.0f} s, load average at start {load:.2f}",
        f"- Means over {args.seeds} random 50/50 splits per table.",
        "",
        *markdown(table.round(3).reset_index()),
    ]
    write_results(args.name, lines)


if __name__ == "__main__":
    main()
