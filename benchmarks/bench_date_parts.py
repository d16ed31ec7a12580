"""What keeping a part of a date does on customers (docs/rules.md, "Parts of a date"):
``signup_year = year(signup_date)`` holds in every real row; ``signup_year`` is a code
copied from the dominant donor while the date is mixed.

For each seed, the train part of the experiment's 70/30 split (experiment_collapse.py)
synthesized for 10 generations with the default options, rules detected (the rule
found and kept) and with ``detect_rules=False`` (before the rule kind existed, no rule
of the table is detected). Reported: the share of synthetic rows whose year is their
date's year at generations 1 and 10, the score of the signup pair in the pair trends
and the overall quality at generation 10 (compare_tables against the train rows).

Run: ``python benchmarks/bench_date_parts.py`` (about 30 s); writes
benchmarks/results/bench_date_parts.md.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from experiment_collapse import HOLDOUT_SHARE, RESULTS, load

from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.metrics import compare_tables, split_holdout

SEEDS = 5
GENERATIONS = 10
PAIR = ("signup_year", "signup_date")


def holding(frame: pd.DataFrame) -> float:
    """Share of rows whose signup year is their signup date's year."""
    return float((frame["signup_year"] == pd.to_datetime(frame["signup_date"]).dt.year).mean())


def scores(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int) -> tuple[float, float]:
    """The signup pair's score in the pair trends and the overall quality."""
    compared = compare_tables(real, synthetic, seed=seed)
    pair = [d["score"] for d in compared["pairs"]["details"] if set(d["columns"]) == set(PAIR)]
    return (float(pair[0]) if pair else float("nan")), float(compared["scores"]["overall"])


def main() -> None:
    rows = []
    for seed in range(SEEDS):
        train, _ = split_holdout(load("customers"), HOLDOUT_SHARE, seed)
        for label, detect in (("rules detected", True), ("--no-detect-rules", False)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                options = SynthesisOptions(detect_rules=detect)
                chain = list(run_generations(train, options, GENERATIONS, seed))
                pair, quality = scores(train, chain[-1].frame, seed)
            rows.append(
                {
                    "seed": seed,
                    "run": label,
                    "held, generation 1": holding(chain[0].frame),
                    f"held, generation {GENERATIONS}": holding(chain[-1].frame),
                    f"pair score, generation {GENERATIONS}": pair,
                    f"quality, generation {GENERATIONS}": quality,
                }
            )
    frame = pd.DataFrame(rows)
    figures = [c for c in frame.columns if c not in ("seed", "run")]
    medians = frame.groupby("run", sort=False)[figures].median()
    lines = [
        "# A part of a date kept: customers' signup year",
        "",
        "- Command: `python benchmarks/bench_date_parts.py`",
        f"- customers, train part of each seed's 70/30 split, default options, {GENERATIONS} "
        f"generations, seeds 0-{SEEDS - 1}; scores against the train rows.",
        "",
        "| seed | run | " + " | ".join(figures) + " |",
        "|---:|---|" + "---:|" * len(figures),
        *(
            f"| {r['seed']} | {r['run']} | " + " | ".join(f"{r[f]:.3f}" for f in figures) + " |"
            for r in rows
        ),
        *(
            f"| median | {run} | " + " | ".join(f"{v:.3f}" for v in row) + " |"
            for run, row in medians.iterrows()
        ),
        "",
    ]
    assert np.isfinite(medians.to_numpy()).all()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_date_parts.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
