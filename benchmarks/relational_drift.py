"""Drift of linked tables over generations, many seeds: bias or random walk?

For every relationship, each numeric parent column's correlation with the number of
children and with the children's mean of each numeric child column (as ``compare``
computes them), and each parent table's numeric variance ratios, at every generation
of one run per seed. Across seeds, the mean of (synthetic - real) is the bias and the
standard deviation the noise (the random walk); the bias's standard error is the
noise over the square root of the number of seeds.

    python benchmarks/relational_drift.py [--dataset shop] [--seeds 30] [--generations 10]
        [--rows 1000] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from relational_data import DATASETS  # noqa: E402


def relations(tables: dict[str, pd.DataFrame], metadata) -> dict[str, float]:
    """Every parent-child correlation (count and children's means) and every parent
    table's numeric column variance."""
    found = {}
    for r in metadata.relationships:
        parent, child = tables[r.parent], tables[r.child]
        numeric = {
            name: [
                c
                for c, meta in metadata.tables[name].columns.items()
                if meta.sdtype.value == "numerical"
            ]
            for name in (r.parent, r.child)
        }
        keys = parent[r.parent_key]
        counts = child[r.foreign_key].value_counts().reindex(keys, fill_value=0).to_numpy()
        means = child.groupby(r.foreign_key)[numeric[r.child]].mean().reindex(keys)
        for column in numeric[r.parent]:
            x = parent[column].to_numpy(dtype=float)
            found[f"{r.child}->{r.parent}: {column} ~ count"] = float(np.corrcoef(x, counts)[0, 1])
            for c in numeric[r.child]:
                y = means[c].to_numpy(dtype=float)
                both = np.isfinite(y)
                found[f"{r.child}->{r.parent}: {column} ~ mean {c}"] = float(
                    np.corrcoef(x[both], y[both])[0, 1]
                )
    for name in sorted({r.parent for r in metadata.relationships}):
        for column, meta in metadata.tables[name].columns.items():
            if meta.sdtype.value == "numerical":
                found[f"variance {name}.{column}"] = float(tables[name][column].var())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="shop")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--generations", type=int, default=10)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.relational import RelationalMetadata, RelationalPlan, run_relational

    warnings.simplefilter("ignore")
    make, sdv = DATASETS[args.dataset]
    real = make(args.rows)
    metadata = RelationalMetadata.from_dict(sdv)
    truth = relations(real, metadata)
    plan = RelationalPlan.of(real, metadata, SynthesisOptions())
    runs = np.empty((args.seeds, args.generations, len(truth)))
    for seed in range(args.seeds):
        for g in run_relational(real, plan, args.generations, seed):
            runs[seed, g.index - 1] = list(relations(g.tables, metadata).values())
    names = list(truth)
    real_values = np.array([truth[n] for n in names])
    variance = np.array([n.startswith("variance") for n in names])
    shifted = np.where(variance, runs / real_values, runs - real_values)
    summary = {}
    for k, name in enumerate(names):
        mean, sd = shifted[:, :, k].mean(0), shifted[:, :, k].std(0, ddof=1)
        summary[name] = {
            "real": truth[name],
            "figure": "ratio" if variance[k] else "difference",
            "mean": mean.round(4).tolist(),
            "sd": sd.round(4).tolist(),
            "worst": float(np.abs(shifted[:, -1, k] - (1.0 if variance[k] else 0.0)).max()),
        }
        last = args.generations - 1
        print(
            f"{name:55s} real {truth[name]:+.3f}  gen 1 {mean[0]:+.3f} ± {sd[0]:.3f}"
            f"  gen {args.generations} {mean[last]:+.3f} ± {sd[last]:.3f}"
            f"  (bias SE {sd[last] / np.sqrt(args.seeds):.3f}, worst {summary[name]['worst']:.3f})"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps({"dataset": args.dataset, "seeds": args.seeds, "figures": summary}, indent=1)
            + "\n"
        )


if __name__ == "__main__":
    main()
