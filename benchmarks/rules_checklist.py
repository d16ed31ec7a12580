"""The check list of issue 21 ("What I will check"), run through the CLI: 10 generations
of each table the rules tests build (tests/unit/rules/tables.py: orders with sums and a
tax to the cent and ship and delivery dates, a daily weather series with a season, a
firm-year panel, model years on 1 January; and a city and state table), with default
options, with ``--privacy-margin 0.3`` and with ``--match-moments --keep-associations
--match-shapes``:

- every rule found on the real table holds in every row of every generation;
- the orders' total to the cent and the tax within a cent of its rule; no order broken;
- no repeated firm-year; model years on 1 January; no unreal city and state;
- the median variance ratio (numeric and date columns) at generation 10;
- the weather's seasonal correlation at generation 10 (at least 0.6 asked);

then an SDV Inequality constraint from a file (accepted and kept, 10 generations at the
margin) and a declared rule the data break (refused: exit status 2).

    python benchmarks/rules_checklist.py [--seed 1]   # writes benchmarks/results/rules_checklist.md
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mixsynth.engine.options import SynthesisOptions  # noqa: E402
from mixsynth.engine.reference import Reference  # noqa: E402
from mixsynth.rules import RuleData  # noqa: E402
from tests.unit.rules.tables import cars, orders, panel, seasonal_correlation, weather  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "rules_checklist.md"
OPTIONS = {
    "default": [],
    "--privacy-margin 0.3": ["--privacy-margin", "0.3"],
    "--match-moments --keep-associations --match-shapes": [
        "--match-moments",
        "--keep-associations",
        "--match-shapes",
    ],
}
CITIES = {"Austin": "TX", "Dallas": "TX", "Reno": "NV", "Boise": "ID", "Salem": "OR"}


def city_state(rows: int = 800, seed: int = 4) -> pd.DataFrame:
    """Cities and their states (a fixed combination), and a spend."""
    rng = np.random.default_rng(seed)
    city = rng.choice(list(CITIES), rows)
    return pd.DataFrame(
        {
            "city": city,
            "state": [CITIES[c] for c in city],
            "spend": np.round(rng.gamma(2, 30, rows), 2),
        }
    )


def mixsynth(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mixsynth", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def read(path: Path, dates: list[str]) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=dates)


def variance_ratio(real: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    """The median over numeric and date columns of the variance ratio."""
    ratios = []
    for name in real:
        before, after = real[name], synthetic[name]
        if before.dtype.kind == "M":
            before, after = before.astype("int64"), after.astype("int64")
        if before.dtype.kind in "fiu" and before.var() > 0:
            ratios.append(after.var() / before.var())
    return float(np.median(ratios))


def special(name: str, frame: pd.DataFrame, real: pd.DataFrame) -> str:
    """The check of each table's own rules, as a user makes it."""
    if name == "orders":
        tax = (frame.tax - 0.08 * (frame.subtotal - frame.discount)).abs().max()
        total = frame.subtotal - frame.discount + frame.tax + frame.shipping
        broken = (
            (frame.discount >= frame.subtotal)
            | (frame.ordered > frame.shipped)
            | (frame.shipped >= frame.delivered)
        )
        return (
            f"tax off its rule by at most {tax:.4f}; total off the sum by at most "
            f"{(frame.total - total).abs().max():.4f}; orders broken: {int(broken.sum())}"
        )
    if name == "weather":
        return (
            f"seasonal correlation {seasonal_correlation(frame):.3f} (real "
            f"{seasonal_correlation(real):.3f}); repeated dates {int(frame.date.duplicated().sum())}"
        )
    if name == "panel":
        return f"repeated firm-year pairs {int(frame.duplicated(['firm', 'year']).sum())}"
    if name == "cars":
        off = (frame.model_year.dt.dayofyear != 1) | (frame.model_year.dt.hour != 0)
        return f"model years off 1 January {int(off.sum())}"
    pairs = set(zip(frame.city, frame.state, strict=True))
    return f"unreal city-state pairs {len(pairs - set(CITIES.items()))}"


def margin_spread(seeds: int) -> list[str]:
    """One run's median variance ratio after 10 generations at --privacy-margin 0.3 over
    ``seeds`` seeds, with rules and without (the same seeds: the margin's own spread)."""
    from mixsynth.engine.memory import run_generations

    lines = [
        f"At `--privacy-margin 0.3`, one run's median variance ratio after 10 generations "
        f"over {seeds} seeds (library, the same seeds with and without rules):",
        "",
        "| table | rules | mean | 5-95 % | runs in [0.9, 1.1] | with minus without, mean +- se |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, frame in (("orders", orders(1500)), ("cars", cars())):
        ratios = {}
        for detect in (True, False):
            options = SynthesisOptions(privacy_margin=0.3, detect_rules=detect)
            ratios[detect] = np.array(
                [
                    variance_ratio(frame, list(run_generations(frame, options, 10, seed))[-1].frame)
                    for seed in range(seeds)
                ]
            )
        difference = ratios[True] - ratios[False]
        error = difference.std(ddof=1) / np.sqrt(seeds)
        for detect, label in ((True, "kept"), (False, "off")):
            r = ratios[detect]
            inside = int(((r >= 0.9) & (r <= 1.1)).sum())
            lines.append(
                f"| {name} | {label} | {r.mean():.3f} | {np.quantile(r, 0.05):.3f}-"
                f"{np.quantile(r, 0.95):.3f} | {inside}/{seeds} | "
                + (f"{difference.mean():+.4f} +- {error:.4f} |" if detect else "|")
            )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="1")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    tables = {
        "orders": orders(1500),
        "weather": weather(),
        "panel": panel(),
        "cars": cars(),
        "city_state": city_state(),
    }
    lines = [
        "# Rules: the issue's check list through the CLI",
        "",
        "- Command: `python benchmarks/rules_checklist.py`",
        f"- Seed {args.seed}, 10 generations each; load average (1 min) at start "
        f"{os.getloadavg()[0]:.2f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        "| table | options | rules | rows breaking a rule, gens 1-10 | median variance "
        "ratio, gen 10 | the table's own check, gen 10 |",
        "|---|---|---:|---:|---:|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, frame in tables.items():
            source = work / f"{name}.csv"
            frame.to_csv(source, index=False)
            dates = [c for c in frame if frame[c].dtype.kind == "M"]
            real = read(source, dates)
            rules = Reference.of(real, SynthesisOptions()).rules
            for label, options in OPTIONS.items():
                out = work / f"{name}-{len(lines)}"
                done = mixsynth(
                    "generate", str(source), "--out-dir", str(out), "--generations", "10",
                    "--seed", args.seed, *options,
                )  # fmt: skip
                if done.returncode:
                    lines.append(f"| {name} | {label} | exit {done.returncode}: {done.stderr} |")
                    continue
                broken = 0
                for index in range(1, 11):
                    frame_g = read(out / f"gen-{index:03d}.csv", dates)
                    data = RuleData(frame_g)
                    failing = np.zeros(len(frame_g), dtype=bool)
                    for rule in rules:
                        failing |= ~data.holds(rule)
                    broken += int(failing.sum())
                lines.append(
                    f"| {name} | {label} | {len(rules)} | {broken} | "
                    f"{variance_ratio(real, frame_g):.3f} | {special(name, frame_g, real)} |"
                )
        weather_csv = work / "weather.csv"
        constraint = [
            {
                "constraint_class": "Inequality",
                "constraint_parameters": {
                    "low_column_name": "temp_min",
                    "high_column_name": "temp_max",
                    "strict_boundaries": True,
                },
            }
        ]
        (work / "sdv.json").write_text(json.dumps(constraint))
        out = work / "sdv"
        done = mixsynth(
            "generate", str(weather_csv), "--rules", str(work / "sdv.json"), "--no-detect-rules",
            "--privacy-margin", "0.3", "--generations", "10", "--out-dir", str(out),
            "--seed", args.seed,
        )  # fmt: skip
        last = read(out / "gen-010.csv", ["date"]) if done.returncode == 0 else None
        kept = "-" if last is None else int((last.temp_min >= last.temp_max).sum())
        bad = mixsynth(
            "generate", str(work / "orders.csv"), "-o", str(work / "bad.csv"),
            "--rule", "discount >= 10",
        )  # fmt: skip
        lines += [
            "",
            f"SDV `Inequality` (temp_min < temp_max, strict) from a file, weather, "
            f"`--no-detect-rules --privacy-margin 0.3`, 10 generations: exit "
            f"{done.returncode}, rows of generation 10 with temp_min >= temp_max: {kept}.",
            "",
            f'A declared rule the data break (`--rule "discount >= 10"` on orders): exit '
            f"{bad.returncode}, output written: {(work / 'bad.csv').exists()}; "
            f"`{bad.stderr.strip()}`",
            "",
        ]
    lines += margin_spread(16)
    text = "\n".join(lines)
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
