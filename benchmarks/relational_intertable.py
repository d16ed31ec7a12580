"""Intertable trends of a second parent's relationship after many generations, with
and without its children's means matched (docs/multi-table.md, "Limits").

For each seed, one run of ``--generations`` generations of the dataset with the
default plan and with ``match_children=False``; printed: the relationship's
intertable trends score (SDMetrics' definition, as ``compare`` computes it) and, for
the first seed, each parent column x child column pair's score.

    python benchmarks/relational_intertable.py [--dataset shop] [--rows 1000]
        [--seeds 0,1,2] [--generations 10]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from relational_data import DATASETS  # noqa: E402

SECOND_PARENT = {"shop": "products", "bank": "merchants"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="shop")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--generations", type=int, default=10)
    args = parser.parse_args()
    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.relational import RelationalMetadata, RelationalPlan, run_relational
    from mixsynth.relational.compare import relationship_figures

    warnings.simplefilter("ignore")
    make, sdv = DATASETS[args.dataset]
    real = make(args.rows)
    metadata = RelationalMetadata.from_dict(sdv)
    r = next(x for x in metadata.relationships if x.parent == SECOND_PARENT[args.dataset])
    seeds = [int(s) for s in args.seeds.split(",")]
    for match in (True, False):
        plan = RelationalPlan.of(real, metadata, SynthesisOptions(), match_children=match)
        for seed in seeds:
            *_, last = run_relational(real, plan, args.generations, seed=seed)
            found = relationship_figures(r, real, last.tables, metadata, seed=0)["intertable"]
            print(f"match_children={match} seed {seed}: intertable trends {found['score']:.3f}")
            if seed == seeds[0]:
                for pair in found["details"]:
                    print(f"    {' x '.join(pair['columns'])}: {float(pair['score']):.3f}")


if __name__ == "__main__":
    main()
