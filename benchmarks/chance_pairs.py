"""How much of a column's pair-trends score is chance: its pairs scored for synthetic
generations, for real held-out rows, and for the train rows with the column shuffled.

The overall quality counts a category-by-number pair when its real Cramér's V exceeds
0.3; a category of many small groups (customers' zip_code: 150 values on 1,400 train
rows, drawn independently of every other column by benchmarks/make_customers.py)
passes that by chance. Shuffling the column against the others keeps its values and
the table's size and removes any association: what a synthesizer that keeps the true
(null) association scores. Held-out real rows show whether the association generalizes.

Run: ``.venv/bin/python benchmarks/chance_pairs.py [TABLE COLUMN]`` (default: customers
zip_code); writes benchmarks/results/chance_pairs.md.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
from experiment_collapse import ALL, HOLDOUT_SHARE, RESULTS, load, variants

from mixsynth.engine.memory import run_generations
from mixsynth.metrics import compare_tables, split_holdout

SEEDS = 5
GENERATIONS = 10


def pair_scores(real: pd.DataFrame, other: pd.DataFrame, column: str, seed: int) -> float:
    """Mean score of ``column``'s pairs that count in the overall quality."""
    details = compare_tables(real, other, seed=seed)["pairs"]["details"]
    scores = [d["score"] for d in details if column in d["columns"] and d["meets_threshold"]]
    return float(np.mean(scores)) if scores else float("nan")


def main() -> None:
    table, column = (sys.argv[1], sys.argv[2]) if len(sys.argv) > 2 else ("customers", "zip_code")
    rows = []
    for seed in range(SEEDS):
        train, holdout = split_holdout(load(table), HOLDOUT_SHARE, seed)
        shuffled = train.assign(
            **{column: np.random.default_rng(seed).permutation(train[column].to_numpy())}
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            chain = list(run_generations(train, variants()[ALL], GENERATIONS, seed))
            rows.append(
                {
                    "seed": seed,
                    "generation 1": pair_scores(train, chain[0].frame, column, seed),
                    f"generation {GENERATIONS}": pair_scores(train, chain[-1].frame, column, seed),
                    "train, column shuffled": pair_scores(train, shuffled, column, seed),
                    "real holdout rows": pair_scores(train, holdout, column, seed),
                }
            )
    frame = pd.DataFrame(rows).set_index("seed")
    lines = [
        f"# Chance in the pair trends: {table}.{column}",
        "",
        f"- Command: `python benchmarks/chance_pairs.py {table} {column}`",
        f"- Mean score of {column}'s pairs that count in the overall quality (real "
        "Cramér's V > 0.3), against the train part of each seed's 70/30 split; synthetic "
        f"generations of `{ALL}`.",
        "",
        "| seed | " + " | ".join(frame.columns) + " |",
        "|---:|" + "---:|" * len(frame.columns),
        *(
            f"| {seed} | " + " | ".join(f"{v:.3f}" for v in row) + " |"
            for seed, row in frame.iterrows()
        ),
        "| median | " + " | ".join(f"{v:.3f}" for v in frame.median()) + " |",
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chance_pairs.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
