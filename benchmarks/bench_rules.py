"""What keeping rules costs and what it keeps (docs/rules.md):

1. time: one generation of a seeded 1,000,000-row table with 5 inequalities and 2
   equalities (a tax to the cent and a total), rules found and kept, against the same
   run with ``detect_rules=False``, in one process, alternating (median of repeats);
2. the time index's window: the seasonal correlation and the lag-1 autocorrelation of a
   daily weather series after 1 and 10 generations, for several windows;
3. the variance: the median variance ratio after 10 generations with and without rules
   (the orders table, 40 seeds, paired), default, at eps 0.3 and with a privacy
   margin of 0.3.

Run: ``make bench-rules`` (or ``.venv/bin/python benchmarks/bench_rules.py``); prints
Markdown and writes benchmarks/results/bench_rules.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mixsynth.engine.memory import run_generations, synthesize  # noqa: E402
from mixsynth.engine.options import SynthesisOptions  # noqa: E402
from mixsynth.engine.reference import Reference  # noqa: E402
from mixsynth.rules import RuleData  # noqa: E402
from mixsynth.rules import dates as rules_dates  # noqa: E402
from tests.unit.rules.tables import (  # noqa: E402
    lag1_autocorrelation,
    orders,
    seasonal_correlation,
    weather,
)

RESULTS = ROOT / "benchmarks" / "results"


def ruled_table(rows: int, seed: int = 0) -> pa.Table:
    """5 inequalities (discount < subtotal, temp_min < temp_max, ordered <= shipped <
    delivered, low <= high) and 2 equalities (tax, total), plus 4 free columns."""
    frame = orders(rows, seed)
    rng = np.random.default_rng(seed + 1)
    temp_min = np.round(rng.normal(10, 5, rows), 1)
    frame["temp_min"] = temp_min
    frame["temp_max"] = np.round(temp_min + rng.gamma(2, 3, rows) + 0.1, 1)
    frame["low"] = rng.normal(0, 1, rows)
    frame["high"] = frame["low"] + rng.exponential(1, rows)
    for name in ("a", "b", "c", "d"):
        frame[name] = rng.normal(size=rows)
    return pa.Table.from_pandas(frame, preserve_index=False)


def one_run(table: pa.Table, detect: bool) -> tuple[float, float, Reference]:
    """Wall and CPU seconds (all threads) of the reference and one generation."""
    start, cpu = time.perf_counter(), time.process_time()
    options = SynthesisOptions(detect_rules=detect)
    reference = Reference.of(table, options)
    synthesize(table, options, np.random.default_rng(1), reference)
    return time.perf_counter() - start, time.process_time() - cpu, reference


def timing(rows: int, repeats: int) -> list[str]:
    table = ruled_table(rows)
    times: dict[bool, list[float]] = {True: [], False: []}
    cpus: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(repeats):
        for detect in (False, True):
            seconds, cpu, reference = one_run(table, detect)
            times[detect].append(seconds)
            cpus[detect].append(cpu)
    kinds = [r.kind for r in reference.rules]
    plain, ruled = statistics.median(times[False]), statistics.median(times[True])
    plain_cpu, ruled_cpu = statistics.median(cpus[False]), statistics.median(cpus[True])
    return [
        "## Time",
        "",
        f"One generation of {rows:,} rows x {table.num_columns} columns (Arrow, in memory, "
        f"reference included), median of {repeats} alternating runs.",
        "",
        f"Rules found and kept: {kinds.count('order')} orders, "
        f"{kinds.count('equality')} equalities, {len(kinds)} in all: "
        + "; ".join(r.describe() for r in reference.rules),
        "",
        "| run | wall s | ratio | CPU s (all threads) | ratio |",
        "|---|---:|---:|---:|---:|",
        f"| without rules (`detect_rules=False`) | {plain:.2f} | 1.00 | {plain_cpu:.2f} | 1.00 |",
        f"| rules found and kept | {ruled:.2f} | {ruled / plain:.2f} | {ruled_cpu:.2f} | "
        f"{ruled_cpu / plain_cpu:.2f} |",
        "",
        f"Goal: at most 1.3x (CPU). All runs, wall s: without "
        f"{', '.join(f'{t:.2f}' for t in times[False])}; with "
        f"{', '.join(f'{t:.2f}' for t in times[True])}. CPU s: without "
        f"{', '.join(f'{t:.2f}' for t in cpus[False])}; with "
        f"{', '.join(f'{t:.2f}' for t in cpus[True])}.",
        "",
    ]


def windows(seeds: int) -> list[str]:
    frame = weather(4)
    lines = [
        "## The time index's window",
        "",
        f"A daily series of 4 years (tests/unit/rules/tables.py: weather): real seasonal "
        f"correlation {seasonal_correlation(frame):.3f}, lag-1 autocorrelation "
        f"{lag1_autocorrelation(frame):.3f}. Mean over {seeds} seeds.",
        "",
        "| window (days either side) | season, gen 1 | season, gen 10 | lag-1, gen 1 | lag-1, gen 10 |",
        "|---:|---:|---:|---:|---:|",
    ]
    chosen = rules_dates.TIME_WINDOW
    for window in (1, 2, 3, 7, 30, 180):
        rules_dates.TIME_WINDOW = window
        figures = []
        for seed in range(seeds):
            for generation in run_generations(frame, SynthesisOptions(), 10, seed=seed):
                if generation.index in (1, 10):
                    figures.append(
                        (
                            generation.index,
                            seasonal_correlation(generation.frame),
                            lag1_autocorrelation(generation.frame),
                        )
                    )
        row = [str(window)]
        for column in (1, 2):
            for index in (1, 10):
                row.append(f"{np.mean([f[column] for f in figures if f[0] == index]):.3f}")
        lines.append("| " + " | ".join(row) + " |")
    rules_dates.TIME_WINDOW = chosen
    without = []
    for seed in range(seeds):
        *_, last = run_generations(frame, SynthesisOptions(detect_rules=False), 10, seed=seed)
        without.append(seasonal_correlation(last.frame))
    lines += [
        "",
        f"Without rules (dates mixed as numbers): season at generation 10 "
        f"{np.mean(without):.3f}. The engine's window: {chosen}.",
        "",
    ]
    return lines


def variance_ratios(table: pd.DataFrame, result: pd.DataFrame, names: list[str]) -> float:
    """The median over ``names`` of each column's variance ratio (dates as numbers)."""
    ratios = []
    for name in names:
        synthetic, real = result[name], table[name]
        if real.dtype.kind == "M":
            synthetic, real = synthetic.astype("int64"), real.astype("int64")
        ratios.append(synthetic.var() / real.var())
    return float(np.median(ratios))


def variance(seeds: int) -> list[str]:
    frame = orders(1500)
    columns = {
        "all": list(frame.columns),
        "mixed": [c for c in frame if c not in ("tax", "total", "shipping")],
    }
    lines = [
        "## The variance target",
        "",
        f"Median variance ratio after 10 generations, orders table (1,500 rows), {seeds} "
        "seeds, over all its columns (dates as numbers) and over the mixed ones (without "
        "tax and total, which rules recompute from subtotal and discount, and shipping, "
        "copied); the difference is per seed (same seed, with minus without rules), mean "
        "+- standard error.",
        "",
        "| options | columns | with rules | without | difference | rows breaking an order without rules |",
        "|---|---|---:|---:|---:|---:|",
    ]
    rules = Reference.of(frame).rules
    for label, extra in (
        ("default", {}),
        ("--eps 0.3", {"eps": (0.3, 0.3)}),
        ("--privacy-margin 0.3", {"privacy_margin": 0.3}),
    ):
        medians: dict[tuple[bool, str], list[float]] = {}
        breaking = []
        for seed in range(seeds):
            for detect in (True, False):
                options = SynthesisOptions(detect_rules=detect, **extra)
                *_, last = run_generations(frame, options, 10, seed=seed)
                for name, names in columns.items():
                    ratio = variance_ratios(frame, last.frame, names)
                    medians.setdefault((detect, name), []).append(ratio)
                if not detect:
                    data = RuleData(last.frame)
                    broken = np.zeros(len(last.frame), dtype=bool)
                    for rule in rules:
                        if rule.kind != "equality":  # rounding breaks those everywhere
                            broken |= ~data.holds(rule)
                    breaking.append(broken.mean())
        for name in columns:
            with_rules, without = medians[(True, name)], medians[(False, name)]
            difference = np.array(with_rules) - np.array(without)
            error = difference.std(ddof=1) / np.sqrt(seeds)
            lines.append(
                f"| {label} | {name} | {np.mean(with_rules):.3f} | {np.mean(without):.3f} | "
                f"{difference.mean():+.4f} +- {error:.4f} | {np.mean(breaking):.1%} |"
            )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--seeds", type=int, default=8, help="seeds of the window table")
    parser.add_argument("--variance-seeds", type=int, default=40)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    load = os.getloadavg()[0]
    lines = [
        "# Rules: what keeping them costs and keeps",
        "",
        "- Command: `make bench-rules  # = python benchmarks/bench_rules.py`",
        f"- Load average (1 min) at start: {load:.2f}; CPUs: {os.cpu_count()}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
    ]
    lines += timing(args.rows, args.repeats)
    lines += windows(args.seeds)
    lines += variance(args.variance_seeds)
    lines.append(f"Load average (1 min) at end: {os.getloadavg()[0]:.2f}")
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_rules.md").write_text(text)


if __name__ == "__main__":
    main()
