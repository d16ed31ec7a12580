"""The issue's check of linked tables (issue 23, "What I will check"), on the made-up
datasets of relational_data.py (the shop, and the bank, built otherwise):

- every foreign key names an existing synthetic parent;
- every primary key unique and none a real one;
- the child counts per parent distributed as the real ones (KS <= 0.08);
- the correlation of each numeric parent column with its number of children and with
  its children's mean value (each numeric child column) within 0.1 of the real one;
- each table's column shapes >= 0.85;
- after 10 generations, each numeric column of a parent table (a table with children)
  with a variance ratio in [0.85, 1.15];
- compare's scores within 0.02 of SDMetrics' multi-table QualityReport (run in its own
  environment, tests/oracles/sdmetrics_figures.py).

Generation 1 and generation 10 are both checked.

    python benchmarks/relational_check.py [--dataset shop] [--rows 1000] [--seeds 0,1,2]
        [--generations 10] [--sdmetrics-python .venv-sdmetrics/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from scipy.stats import ks_2samp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from relational_data import DATASETS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "relational_check.json"
ORACLE = ROOT / "tests" / "oracles" / "sdmetrics_figures.py"
LIMITS = {"ks": 0.08, "correlation": 0.1, "shapes": 0.85, "variance": (0.85, 1.15), "oracle": 0.02}


def sdmetrics_scores(real: dict, synthetic: dict, metadata: dict, python: str) -> dict:
    """SDMetrics' multi-table QualityReport, in its own environment."""
    with tempfile.TemporaryDirectory() as folder:
        for name in real:
            real[name].to_parquet(Path(folder) / f"{name}.real.parquet")
            synthetic[name].to_parquet(Path(folder) / f"{name}.synthetic.parquet")
        (Path(folder) / "metadata.json").write_text(json.dumps(metadata))
        done = subprocess.run(
            [python, str(ORACLE), "--multi-table", folder], capture_output=True, text=True
        )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout)


def figures(real: dict, synthetic: dict, metadata, sdv: dict, python: str | None) -> dict:
    """Every figure of the check for one synthetic database."""
    from mixsynth.relational.compare import child_counts, compare_relational

    report = compare_relational(real, synthetic, metadata)
    keys = {}
    for name, meta in metadata.tables.items():
        key = synthetic[name][meta.primary_key]
        keys[name] = bool(key.is_unique and not key.isin(real[name][meta.primary_key]).any())
    relationships = {}
    for r, rel in zip(metadata.relationships, report["relationships"], strict=True):
        fk = synthetic[r.child][r.foreign_key].dropna()
        counts = [
            child_counts(tables[r.parent][r.parent_key], tables[r.child][r.foreign_key])
            for tables in (real, synthetic)
        ]
        differences = {
            f"{p['parent_column']} ~ {p['child']}": p["difference"] for p in rel["parent_child"]
        }
        relationships[r.label()] = {
            "integrity": float(fk.isin(synthetic[r.parent][r.parent_key]).mean()),
            "ks": float(ks_2samp(*counts).statistic),
            "correlation_differences": differences,
            "worst_correlation_difference": max(
                (abs(v) for v in differences.values() if v is not None), default=None
            ),
        }
    found = {
        "keys_fresh_and_unique": keys,
        "relationships": relationships,
        "shapes": {n: t["scores"]["column_shapes"] for n, t in report["tables"].items()},
        "scores": report["scores"],
    }
    if python:
        theirs = sdmetrics_scores(real, synthetic, sdv, python)
        names = {
            "column_shapes": "Column Shapes",
            "column_pair_trends": "Column Pair Trends",
            "cardinality": "Cardinality",
            "intertable_trends": "Intertable Trends",
            "overall": "overall",
        }
        found["sdmetrics"] = theirs
        found["worst_score_difference"] = max(
            abs(report["scores"][ours] - theirs[name]) for ours, name in names.items()
        )
    return found


def variance_ratios(real: dict, synthetic: dict, metadata) -> dict:
    """Each numeric column of each parent table: synthetic variance / real variance."""
    parents = {r.parent for r in metadata.relationships}
    ratios = {}
    for name in sorted(parents):
        for column, meta in metadata.tables[name].columns.items():
            if meta.sdtype.value == "numerical":
                ratios[f"{name}.{column}"] = float(
                    synthetic[name][column].var() / real[name][column].var()
                )
    return ratios


def passed(found: dict, ratios: dict | None) -> dict:
    """Each of the issue's checks: kept or not."""
    rels = found["relationships"].values()
    verdict = {
        "integrity": all(r["integrity"] == 1 for r in rels),
        "keys": all(found["keys_fresh_and_unique"].values()),
        "ks": all(r["ks"] <= LIMITS["ks"] for r in rels),
        "correlations": all(
            r["worst_correlation_difference"] is None
            or r["worst_correlation_difference"] <= LIMITS["correlation"]
            for r in rels
        ),
        "shapes": all(v >= LIMITS["shapes"] for v in found["shapes"].values()),
    }
    if "worst_score_difference" in found:
        verdict["sdmetrics"] = found["worst_score_difference"] <= LIMITS["oracle"]
    if ratios is not None:
        low, high = LIMITS["variance"]
        verdict["variance"] = all(low <= v <= high for v in ratios.values())
    return verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="shop")
    parser.add_argument("--rows", type=int, default=1000, help="root rows of the dataset")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--generations", type=int, default=10)
    parser.add_argument(
        "--sdmetrics-python", default=str(Path("/work/main/.venv-sdmetrics/bin/python"))
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.relational import RelationalMetadata, RelationalPlan, run_relational

    warnings.simplefilter("ignore")
    make, sdv = DATASETS[args.dataset]
    real = make(args.rows)
    metadata = RelationalMetadata.from_dict(sdv)
    python = args.sdmetrics_python if Path(args.sdmetrics_python).exists() else None
    runs = []
    for seed in map(int, args.seeds.split(",")):
        plan = RelationalPlan.of(real, metadata, SynthesisOptions())
        made = {g.index: g.tables for g in run_relational(real, plan, args.generations, seed)}
        for index in sorted({1, args.generations}):
            found = figures(real, made[index], metadata, sdv, python)
            ratios = variance_ratios(real, made[index], metadata)
            found |= {"generation": index, "seed": seed, "variance_ratios": ratios}
            found["passed"] = passed(found, ratios if index == args.generations else None)
            runs.append(found)
            print(json.dumps({k: found[k] for k in ("seed", "generation", "passed")}), flush=True)
    rows = {name: len(frame) for name, frame in real.items()}
    results = {"dataset": args.dataset, "rows": rows, "limits": LIMITS, "runs": runs}
    path = args.results.with_name(f"{args.results.stem}_{args.dataset}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, default=float) + "\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
