"""Four-point margin weights or smooth arms? The distortion E[u^2] (theory) and the
marginal shapes measured (mean KS statistic of the numerical columns against the
input) at generations 1 and 10, for margins 0.1, 0.2 and 0.3 with arm spreads 0,
0.05 and 0.1 (all with variance factor 1), on the four sample tables, 3 seeds.

Run: ``python benchmarks/margin_spread.py``; prints Markdown and writes
benchmarks/results/margin_spread.md.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from privacy_figures import tables
from scipy.stats import ks_2samp

from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import margin_weights
from mixsynth.metrics.privacy import real_semantics
from mixsynth.semantics.types import SemanticType

RESULTS = Path(__file__).resolve().parent / "results"
MARGINS, SPREADS, SEEDS = (0.1, 0.2, 0.3), (0.0, 0.05, 0.1), 3
TABLES = ("penguins", "customers", "breast_cancer", "wine")


def mean_ks(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: list) -> float:
    return float(
        np.mean([ks_2samp(real[c].dropna(), synthetic[c].dropna()).statistic for c in numeric])
    )


def main() -> None:
    warnings.simplefilter("ignore")
    started = time.time()
    found = tables()
    rows = []
    for name in TABLES:
        real = found[name]
        semantics = real_semantics(real, ())
        numeric = [
            c for c in real.columns if semantics.columns[str(c)].sdtype is SemanticType.NUMERICAL
        ]
        for margin in MARGINS:
            for spread in SPREADS:
                weights = margin_weights(margin, spread)
                options = SynthesisOptions(weights=weights)
                for seed in range(SEEDS):
                    for generation in run_generations(real, options, 10, seed=seed):
                        if generation.index in (1, 10):
                            rows.append(
                                {
                                    "table": name,
                                    "margin": margin,
                                    "spread": spread,
                                    "delta": round(weights.theory().delta, 4),
                                    "generation": generation.index,
                                    "mean_ks": mean_ks(real, generation.frame, numeric),
                                }
                            )
    results = pd.DataFrame(rows)
    table = (
        results.groupby(["margin", "spread", "generation"])
        .agg(delta=("delta", "first"), mean_ks=("mean_ks", "mean"))
        .reset_index()
        .pivot_table(index=["margin", "spread", "delta"], columns="generation", values="mean_ks")
        .round(4)
        .reset_index()
    )
    lines = [
        "# Margin weights: four points or smooth arms",
        "",
        "- Command: `python benchmarks/margin_spread.py`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{time.time() - started:.0f} s",
        f"- Mean KS of the numerical columns against the input, over {', '.join(TABLES)} "
        f"and {SEEDS} seeds, at generations 1 and 10 (columns 1 and 10).",
        "",
        "| " + " | ".join(map(str, table.columns)) + " |",
        "|" + "---|" * len(table.columns),
        *("| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)),
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "margin_spread.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
