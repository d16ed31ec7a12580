"""Does the bank's point mass explain its first relationship's fade over generations?

The bank's current accounts have a credit limit of exactly 0 (a point mass, copied
from the dominant child, not mixed); the correlation of a client's income with their
accounts' mean credit limit fades over 10 generations (docs/multi-table.md, "Over
generations"). This runs the same seeds on the bank as made and on a variant whose
zero limits are replaced by small positive ones (1-3% of the client's income: no
point mass left, the relation with income slightly stronger), and prints the
difference from the real correlation at generations 1 and 10 (mean ± standard
deviation over the seeds).

    python benchmarks/relational_point_mass.py [--rows 1000] [--seeds 20]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from relational_data import BANK_METADATA, make_bank  # noqa: E402
from relational_drift import relations  # noqa: E402

FIGURE = "accounts->clients: income ~ mean credit_limit"


def without_point_mass(tables: dict) -> dict:
    """The bank with every zero credit limit replaced by 1-3% of its client's income."""
    accounts = tables["accounts"].copy()
    zero = (accounts["credit_limit"] == 0).to_numpy()
    income = tables["clients"].set_index("client_id")["income"]
    client_income = income.reindex(accounts["client_id"]).to_numpy()
    share = np.random.default_rng(5).uniform(0.01, 0.03, zero.sum())
    accounts.loc[zero, "credit_limit"] = np.round(client_income[zero] * share, -2)
    return tables | {"accounts": accounts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.relational import RelationalMetadata, RelationalPlan, run_relational

    warnings.simplefilter("ignore")
    metadata = RelationalMetadata.from_dict(BANK_METADATA)
    bank = make_bank(args.rows)
    for name, real in (("as made", bank), ("without the point mass", without_point_mass(bank))):
        truth = relations(real, metadata)[FIGURE]
        plan = RelationalPlan.of(real, metadata, SynthesisOptions())
        found = {1: [], 10: []}
        for seed in range(args.seeds):
            for generation in run_relational(real, plan, 10, seed):
                if generation.index in found:
                    value = relations(generation.tables, metadata)[FIGURE]
                    found[generation.index].append(value - truth)
        print(
            f"{name}: real {truth:.3f}, "
            + ", ".join(
                f"gen {g} {np.mean(v):+.3f} ± {np.std(v, ddof=1):.3f}" for g, v in found.items()
            )
        )


if __name__ == "__main__":
    main()
