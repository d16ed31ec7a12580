"""Ordinal codes copied or mixed (rounded onto their integer grid, which is the set of
real values for contiguous codes)? The two tables of codes of privacy_figures.py, 50/50
splits, 2 seeds, generations 1 and 10: quality against the training half and the
holdout, DCR share, copies. Mixed = the integer code columns given sdtype numerical.

Run: ``python benchmarks/ordinal_codes.py``; prints the table and writes
benchmarks/results/ordinal_codes.csv.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
from privacy_figures import codes_tables, privacy_figures, split

from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.metrics import compare_tables
from mixsynth.semantics.metadata import as_metadata

ORDINAL = {
    "penguin_codes": ["year", "bill_bin", "flipper_bin", "mass_bin"],
    "customer_codes": ["rating", "signup_year", "age_band", "tenure_band", "orders"],
}


def main() -> None:
    warnings.simplefilter("ignore")
    codes = codes_tables()
    rows = []
    for name, frame in codes.items():
        meta = as_metadata({"columns": {c: {"sdtype": "numerical"} for c in ORDINAL[name]}})
        for seed in range(2):
            tr, ho = split(frame, seed)
            for label, kw in [
                ("copied", {}),
                ("copied+split", {"split_copied": True}),
                ("mixed m0", {"metadata": meta}),
                ("mixed m0.1", {"metadata": meta, "privacy_margin": 0.1}),
                ("mixed m0.3", {"metadata": meta, "privacy_margin": 0.3}),
                (
                    "mixed m0.1+split",
                    {"metadata": meta, "privacy_margin": 0.1, "split_copied": True},
                ),
            ]:
                for g in run_generations(tr, SynthesisOptions(**kw), 10, seed=seed):
                    if g.index in (1, 10):
                        f = privacy_figures(tr, ho, g.frame)
                        rows.append(
                            dict(
                                table=name,
                                variant=label,
                                gen=g.index,
                                quality=compare_tables(tr, g.frame)["scores"]["overall"],
                                quality_holdout=compare_tables(ho, g.frame)["scores"]["overall"],
                                **f,
                            )
                        )
    r = (
        pd.DataFrame(rows)
        .groupby(["table", "gen", "variant"], sort=False)
        .mean(numeric_only=True)
        .round(3)
    )
    pd.set_option("display.width", 200)
    print(r.to_string())
    r.to_csv(Path(__file__).resolve().parent / "results" / "ordinal_codes.csv")


if __name__ == "__main__":
    main()
