"""What keeping the rules does to one run's variance under a privacy margin (issue 21,
docs/rules.md "The variance"): breast cancer, whose 15 detected inequalities tie 26 of
its 30 columns, on its random halves and whole.

For each table, margin and seed (seed s: the random 50/50 split s for the half and
synthesis seed s), the same run with rules found and kept (the default) and with
``detect_rules=False``: the median variance ratio of the numerical columns after 10
generations (synthetic over input, ddof=1), its mean, 5th and 95th percentiles over the
seeds, the mean paired difference (with minus without) with its standard error, and
the share of the last generation's rows breaking one of the input's rules (with rules:
0 expected). ``--orders SEEDS`` adds bench_rules.py's variance section (the orders
table, with and without rules, default, eps 0.3 and margin 0.3). ``--stages`` instead prints, per tied column, where one generation's
variance goes (the spread, moving rows back onto their rules, rounding, the rule check),
over 10 chained generations of a few seeds.

Run: ``python benchmarks/rules_variance.py [--seeds 30] [--margins 0 0.3]
[--tables breast_cancer_half breast_cancer] [--orders 40] [--name rules_variance]``; writes
benchmarks/results/NAME.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from privacy_defaults import markdown, variance_ratio
from privacy_figures import split, tables

from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.rules import RuleData

RESULTS = Path(__file__).resolve().parent / "results"
GENERATIONS = 10


def training(name: str, seed: int):
    frame = tables()["breast_cancer"]
    return split(frame, seed)[0] if name.endswith("_half") else frame


def one_run(train, margin: float, seed: int, rules: bool) -> tuple[float, float]:
    """The median variance ratio after 10 generations and the share of rows breaking
    one of the input's rules."""
    options = SynthesisOptions(privacy_margin=margin, detect_rules=rules)
    *_, last = run_generations(train, options, GENERATIONS, seed=seed)
    data = RuleData(last.frame)
    broken = np.zeros(len(last.frame), dtype=bool)
    for rule in Reference.of(train).rules:
        broken |= ~data.holds(rule)
    return variance_ratio(train, last.frame), float(broken.mean())


def summary(args: argparse.Namespace) -> list[str]:
    rows = []
    for name in args.tables:
        for margin in args.margins:
            found: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
            for seed in range(args.seeds):
                train = training(name, seed)
                for rules in (True, False):
                    found[rules].append(one_run(train, margin, seed, rules))
            with_rules, without = (np.array([r for r, _ in found[k]]) for k in (True, False))
            difference = with_rules - without
            for rules, ratios in ((True, with_rules), (False, without)):
                rows.append(
                    {
                        "table": name,
                        "margin": margin,
                        "rules": "kept" if rules else "not detected",
                        "runs": args.seeds,
                        "mean": round(float(ratios.mean()), 4),
                        "p5": round(float(np.percentile(ratios, 5)), 4),
                        "p95": round(float(np.percentile(ratios, 95)), 4),
                        "with - without": f"{difference.mean():+.4f} +- "
                        f"{difference.std(ddof=1) / np.sqrt(args.seeds):.4f}",
                        "rows breaking a rule": f"{np.mean([b for _, b in found[rules]]):.2%}",
                    }
                )
            print(rows[-2], rows[-1], file=sys.stderr)
    return markdown(pd.DataFrame(rows))


def stages(seeds: int, margin: float) -> list[str]:
    """Per tied column, the variance ratio (to the generation's source) after each step
    of one generation, averaged over 10 chained generations of ``seeds`` seeds."""
    from mixsynth.engine import ruled
    from mixsynth.rules import keep

    frame = tables()["breast_cancer"]
    target: dict[str, float] = {}
    log: dict[str, dict[str, float]] = {}

    def record(stage: str, values: dict) -> None:
        for name, column in values.items():
            if str(name) in target:
                log.setdefault(stage, {})[str(name)] = np.nanvar(column, ddof=1) / target[name]

    mix_group, unbreak, check = (
        ruled.RuleKeeping._mix_group,
        keep.RulePlan.unbreak,
        ruled.RuleKeeping._check_rules,
    )

    def logged_mix_group(self, group, pairs, rows):
        free = {
            str(spec.name): source[pairs.other]
            + pairs.w * (source[pairs.dominant] - source[pairs.other])
            for spec, source in zip(group.specs, group.sources, strict=True)
        }
        record("1 as drawn (pinned)", free)
        out = mix_group(self, group, pairs, rows)
        record("2 group weights", out[0])
        return out

    def logged_unbreak(self, values, fallback, moved=None):
        if "3 spread, in range" not in log:
            record("3 spread, in range", values)
        repairs = unbreak(self, values, fallback, moved)
        record("4 moved back onto the rules", values)
        return repairs

    def logged_check(self, values, pairs, donors):
        record("5 rounded", values)
        check(self, values, pairs, donors)
        record("6 rule check", values)

    ruled.RuleKeeping._mix_group = logged_mix_group
    keep.RulePlan.unbreak = logged_unbreak
    ruled.RuleKeeping._check_rules = logged_check
    options = SynthesisOptions(privacy_margin=margin)
    records = []
    for seed in range(seeds):
        table = split(frame, seed)[0]
        for generation in range(1, GENERATIONS + 1):
            target.clear()
            target.update({str(c): float(table[c].var()) for c in table.select_dtypes("number")})
            log.clear()
            *_, last = run_generations(table, options, 1, seed=1000 * seed + generation)
            record("7 output", {c: last.frame[c] for c in target})
            for stage, ratios in log.items():
                records += [(stage, name, ratio) for name, ratio in ratios.items()]
            table = last.frame
    found = pd.DataFrame(records, columns=["stage", "column", "ratio"])
    means = found.groupby(["column", "stage"]).ratio.mean().unstack().round(4)
    means = means.sort_values("7 output")
    return markdown(means.reset_index())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--margins", type=float, nargs="+", default=[0.0, 0.3])
    parser.add_argument("--tables", nargs="+", default=["breast_cancer_half", "breast_cancer"])
    parser.add_argument("--orders", type=int, default=0, help="seeds of the orders table")
    parser.add_argument("--stages", action="store_true")
    parser.add_argument("--name", default="rules_variance")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    start, load = time.time(), os.getloadavg()[0]
    if args.stages:
        body = stages(args.seeds, args.margins[-1])
        what = (
            f"Per tied column of breast cancer's halves, its variance ratio (to the "
            f"generation's source) after each step of one generation at margin "
            f"{args.margins[-1]}, averaged over 10 chained generations of {args.seeds} seeds."
        )
    else:
        body = summary(args)
        if args.orders:
            from bench_rules import variance

            body += ["", *variance(args.orders)]
        what = (
            f"Median variance ratio of the numerical columns after {GENERATIONS} generations, "
            f"one value per run, {args.seeds} seeds: with the rules found and kept, and "
            "with detect_rules=False; the difference is per seed (mean +- standard error)."
        )
    lines = [
        "# Rules and a privacy margin: one run's variance",
        "",
        f"- Command: `python benchmarks/rules_variance.py {' '.join(sys.argv[1:])}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{time.time() - start:.0f} s, load average at start {load:.2f}",
        f"- {what}",
        "",
        *body,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.md").write_text(text)


if __name__ == "__main__":
    main()
