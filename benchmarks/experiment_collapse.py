"""The model-collapse experiment (issue 4) and the structure kept over generations
(issue 14), reproduced with mixsynth.

Generation g+1 is synthesized only from generation g. Vanilla mixup (weights inside
[0, 1]) shrinks every variance by rho per generation, so after g generations the data
keep rho^g of their variance and collapse onto the mean; the generalized weights
(expanded Beta, rho = 1) keep it. What else random-walks or shrinks over generations
(correlations, numeric-category associations, quality, utility) is measured beside it,
per variant, so that the defaults can be decided by evidence (docs/structure.md).

Each seed splits the real rows 70/30 into train and holdout before synthesis:
generation 0 is the train part, the synthesizer never sees the holdout, every figure is
measured against the train part, and the holdout is the test set of utility and the
baseline of the distance to closest record. Tables: every table in sample_data/ and the
paper's bivariate normal (correlation 0.9, n = 1000).

The theory column is rho_n^g, rho_n = ``Generation.expected_variance_factor()``: the
expected factor of the sample variance (ddof=1) per generation, finite n included. For
n rows mixed into n rows with balanced anchors (the default) it is
rho - (1 - k'^2) / n with k' = (n kappa - 1) / (n - 1) (partners are never the
anchor), within O(1/n) of rho; the default generalized weights aim
rho at the value that makes it exactly 1.

Run: ``make experiment`` (or ``.venv/bin/python benchmarks/experiment_collapse.py``).
Writes, in benchmarks/results/: experiment_structure.csv (every figure, long format),
experiment_structure.md (summary, goals, decision table), experiment.csv and
experiment.md (mean ± sd per generation), variance_by_generation.png and
bivariate_scatter.png; and docs/structure.png (every figure per generation).
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from mixsynth.choices import Bounds, Method
from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.engine.weights import WeightDistribution, parse_weights, uniform
from mixsynth.io import read_table
from mixsynth.metrics import (
    association_shift,
    compare_tables,
    correlation_shift,
    holdout_figures,
    split_holdout,
)
from mixsynth.semantics import SemanticType

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
RESULTS = Path(__file__).resolve().parent / "results"
DOCS = ROOT / "docs"
BIVARIATE = "bivariate_normal"
#: Share of the real rows held out before synthesis (seeded by the chain's seed).
HOLDOUT_SHARE = 0.3
#: Targets of the train-on-synthetic utility (the bivariate normal: y from x, R²).
LABELS = {
    "penguins": "species",
    "wine": "cultivar",
    "breast_cancer": "diagnosis",
    "customers": "churned",
    BIVARIATE: "y",
}

DEFAULT = "generalized default"
#: The options of issue 14 under test, each with the variant that adds it alone.
OPTIONS = {
    "match_moments": "default + match_moments",
    "keep_associations": "default + keep_associations",
    "match_shapes": "default + match_shapes",
}
BOTH = "default + both"  #: match_moments and keep_associations
ALL = "default + all three"
VANILLA = "vanilla Beta(0.2,0.2)"
PAPER = "paper EpBeta(4.34,1.33;0.3,0.3)"
#: Variants of the earlier runs, with --extra-variants only (docs/benchmarks.md and
#: docs/semantics.md quote them): they add nothing to the structure question.
EXTRA_VARIANTS: dict[str, SynthesisOptions] = {
    "vanilla Beta(0.1,0.1)": SynthesisOptions(
        method=Method.VANILLA, weights=parse_weights("beta:0.1,0.1")
    ),
    "vanilla Uniform(0,1)": SynthesisOptions(method=Method.VANILLA, weights=uniform()),
    "generalized --bounds clip": SynthesisOptions(bounds=Bounds.CLIP),
    "generalized --bounds none": SynthesisOptions(bounds=Bounds.NONE),
}
#: The figures of the structure experiment, per generation, with their short names.
METRICS = {
    "var_ratio": "median variance ratio",
    "corr_shift": "max |Δcorr|",
    "eta_shift": "mean |Δη|",
    "quality": "overall quality",
    "utility_ratio": "utility ratio",
    "dcr_ratio": "DCR ratio",
}
#: Further figures kept for experiment.md (the variance table the docs cite).
MORE_FIGURES = (
    "theory_var_ratio",
    "var_ratio_colmean",
    "column_shapes",
    "dcr_median",
    "holdout_dcr_median",
)
#: The issue's goals after the last generation, with the best variant.
GOAL_CORR_SHIFT = 0.05
GOAL_QUALITY_DROP = 0.02
GOAL_UTILITY = 0.95
#: A paired change counts as a rise or a fall beyond this many standard errors.
NOISE_SE = 2.0


def variants(extra: bool = False) -> dict[str, SynthesisOptions]:
    """The compared variants by name (with ``extra``, the earlier runs' too)."""
    found = {
        DEFAULT: SynthesisOptions(),
        **{name: SynthesisOptions(**{option: True}) for option, name in OPTIONS.items()},
        BOTH: SynthesisOptions(match_moments=True, keep_associations=True),
        ALL: SynthesisOptions(**dict.fromkeys(OPTIONS, True)),
        VANILLA: SynthesisOptions(method=Method.VANILLA, weights=parse_weights("beta:0.2,0.2")),
        PAPER: SynthesisOptions(
            method=Method.GENERALIZED, weights=WeightDistribution(4.34, 1.33, 0.3, 0.3)
        ),
    }
    return found | (EXTRA_VARIANTS if extra else {})


def table_sources() -> dict[str, Path | None]:
    """Every table of sample_data/ by name (Parquet preferred when both exist), plus
    the bivariate normal, which is generated (``None``)."""
    sources: dict[str, Path | None] = {}
    for path in sorted(SAMPLE_DATA.glob("*.csv")) + sorted(SAMPLE_DATA.glob("*.parquet")):
        sources[path.stem] = path  # the Parquet file, read second, wins
    sources[BIVARIATE] = None
    return sources


@functools.cache
def load(name: str) -> pd.DataFrame:
    """The real table: read as the CLI reads it, or the paper's bivariate normal."""
    path = table_sources()[name]
    if path is not None:
        return read_table(str(path)).frame
    rng = np.random.default_rng(2024)
    values = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], size=1000)
    return pd.DataFrame(values, columns=["x", "y"])


def number(value: float | None) -> float:
    """A figure of the JSON-ready results (None where undefined) as a float."""
    return float("nan") if value is None else float(value)


def utility_ratio(utility: dict | None) -> float:
    """Train-on-synthetic / train-on-real accuracy (R² for a numeric target), both
    tested on the holdout; NaN without a target or when no model could be fitted."""
    ratio = (utility or {}).get("ratio") or {}
    return number(ratio.get("accuracy", ratio.get("r2")))


def run_one(
    table: str, variant: str, options: SynthesisOptions, seed: int, generations: int
) -> list[dict]:
    """Every figure of every generation of one (table, variant, seed) chain."""
    train, holdout = split_holdout(load(table), HOLDOUT_SHARE, seed)
    label = LABELS.get(table)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        semantics = Reference.of(train).semantics
        chain = list(run_generations(train, options, generations, seed))
    # Mixup's theory is about the mixed numbers; labels, codes and categories are copied.
    numerical = semantics.of_type(SemanticType.NUMERICAL)
    categorical = [name for name, meaning in semantics.columns.items() if meaning.sdtype.is_copied]
    label_kind = (label,) if label in categorical else ()
    records = []
    expected = 1.0
    real_scores = None  # the train-on-train model is the same in every generation
    for generation in chain:
        frame = generation.frame
        expected *= generation.expected_variance_factor()
        ratios = frame[numerical].var() / train[numerical].var()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compared = compare_tables(train, frame, seed=seed)
            held = holdout_figures(
                train,
                holdout,
                frame,
                target=label,
                seed=seed,
                categorical=label_kind,
                real_scores=real_scores,
            )
        real_scores = (held["utility"] or {}).get("real")
        records.append(
            {
                "table": table,
                "variant": variant,
                "seed": seed,
                "generation": generation.index,
                "var_ratio": float(ratios.median()),
                "corr_shift": correlation_shift(train, frame, numerical),
                "eta_shift": association_shift(train, frame, numerical, categorical),
                "quality": number(compared["scores"]["overall"]),
                "utility_ratio": utility_ratio(held["utility"]),
                "dcr_ratio": number(held["privacy"]["dcr_ratio"]),
                "theory_var_ratio": expected,
                "var_ratio_colmean": float(ratios.mean()),
                "column_shapes": number(compared["scores"]["column_shapes"]),
                "dcr_median": number(held["privacy"]["dcr_median"]),
                "holdout_dcr_median": number(held["privacy"]["holdout_dcr_median"]),
            }
        )
    return records


def weight_labels(chosen: dict[str, SynthesisOptions]) -> dict[str, str]:
    """Each variant's weights on the bivariate normal's train part (n rows from n)."""
    rows = len(load(BIVARIATE)) - round(len(load(BIVARIATE)) * HOLDOUT_SHARE)
    return {name: options.weights_for(rows, rows).label() for name, options in chosen.items()}


def read_records(path: Path) -> pd.DataFrame:
    """The records of an earlier run, back from its long CSV."""
    long = pd.read_csv(path)
    wide = long.pivot(index=["table", "variant", "seed", "generation"], columns="metric")["value"]
    wide.columns.name = None
    return wide.reset_index()


def long_format(records: pd.DataFrame) -> pd.DataFrame:
    """One row per (table, variant, seed, generation, metric)."""
    keys = ["table", "variant", "seed", "generation"]
    figures = [*METRICS, *MORE_FIGURES]
    return records.melt(id_vars=keys, value_vars=figures, var_name="metric", value_name="value")


# ---------------------------------------------------------------------------
# The variance table (experiment.md, experiment.csv): mean ± sd over seeds


SPREAD_FIGURES = (
    "var_ratio",
    "var_ratio_colmean",
    "theory_var_ratio",
    "corr_shift",
    "column_shapes",
    "dcr_median",
    "holdout_dcr_median",
    "utility_ratio",
)


def summarize(records: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread (standard deviation, min, max) over seeds of every figure."""
    grouped = records.groupby(["table", "variant", "generation"], sort=False)
    parts = [grouped["seed"].nunique().rename("seeds")]
    for figure in SPREAD_FIGURES:
        stats = grouped[figure].agg(["mean", "std", "min", "max"])
        parts.append(stats.add_prefix(f"{figure}_"))
    return pd.concat(parts, axis=1).reset_index()


def cell(row: pd.Series, figure: str, digits: int = 3) -> str:
    """'mean ± sd' of one figure; a dash where it does not apply."""
    mean = row[f"{figure}_mean"]
    if pd.isna(mean):
        return "–"
    return f"{mean:.{digits}f} ± {row[f'{figure}_std']:.{digits}f}"


def variance_markdown(
    summary: pd.DataFrame, weights: dict[str, str], generations: int, seeds: int, command: str
) -> str:
    """The variance table after the last generation, then every table at generations 1,
    5, G (mean ± sd over seeds)."""
    header = (
        "| {first} | variant | g | var ratio, median of columns | mean of columns | "
        "theory ρ_n^g | max abs corr diff | column shapes | DCR median | utility ratio |"
    )
    rule = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"

    def row_line(row: pd.Series, first: str) -> str:
        return (
            f"| {first} | {row['variant']} | {row['generation']} | {cell(row, 'var_ratio')} | "
            f"{cell(row, 'var_ratio_colmean')} | {row['theory_var_ratio_mean']:.3f} | "
            f"{cell(row, 'corr_shift')} | {cell(row, 'column_shapes')} | "
            f"{cell(row, 'dcr_median')} | {cell(row, 'utility_ratio')} |"
        )

    baseline = summary.groupby("table", sort=False)["holdout_dcr_median_mean"].first()
    lines = [
        "# The model-collapse experiment",
        "",
        f"- Command: {command}",
        f"- {generations} generations, each made only from the previous one, generation 0 "
        f"being a seeded {1 - HOLDOUT_SHARE:.0%} train part of the real rows; {seeds} seeds; "
        "figures are mean ± standard deviation over seeds. The structure figures "
        "(associations, quality, goals, decision) are in experiment_structure.md.",
        "- var ratio: Var(generation g) / Var(train) of each numerical column (ddof=1), "
        "then the median and the mean over the columns. theory: ρ_n^g, "
        "ρ_n = ρ - (1 - k'²)/n, k' = (nκ - 1)/(n - 1) (balanced anchors, n rows), the "
        "expectation of each "
        "column's ratio, so of their mean; the median sits a little lower, because "
        "each ratio is a product of g noisy factors (right-skewed).",
        "- weights as used on the bivariate normal's train part (the default's shapes move "
        "a little with n, through the finite-sample target): "
        + "; ".join(f"{variant} = `{label}`" for variant, label in weights.items())
        + ".",
        "- max abs corr diff: largest |Δ| between the train and synthetic Pearson "
        "correlation matrices of the numerical columns.",
        "- column shapes (mean KS / TV complement, 1 = same marginals): "
        "`mixsynth.metrics.compare_tables` against the train part. DCR median (median "
        "distance of a synthetic row to its closest train row) and utility ratio "
        "(accuracy, R² for a numeric target, of a model trained on synthetic rows over "
        "one trained on the train rows, both tested on the holdout): "
        "`mixsynth.metrics.holdout_figures`.",
        "- DCR baseline, holdout rows to the same train rows: "
        + ", ".join(f"{table} {value:.3f}" for table, value in baseline.items())
        + " (a synthetic DCR far below it means near-copies of real rows).",
    ]
    last = summary[summary["generation"] == generations]
    lines += ["", f"## After {generations} generations", "", header.format(first="table"), rule]
    lines += [row_line(row, row["table"]) for _, row in last.iterrows()]
    shown = sorted({1, min(5, generations), generations})
    lines += ["", f"## Generations {', '.join(map(str, shown))}"]
    for table, rows in summary[summary["generation"].isin(shown)].groupby("table", sort=False):
        lines += ["", f"### {table}", "", header.format(first="table"), rule]
        lines += [row_line(row, table) for _, row in rows.iterrows()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# The structure summary (experiment_structure.md): medians, goals, decision


def medians(records: pd.DataFrame) -> pd.DataFrame:
    """Median over seeds of every structure figure and of each chain's quality drop
    since generation 1, per table, variant and generation."""
    keys = ["table", "variant", "generation"]
    figures = [*METRICS, "quality_drop"]
    return with_quality_drop(records).groupby(keys, sort=False)[figures].median().reset_index()


def with_quality_drop(records: pd.DataFrame) -> pd.DataFrame:
    """Each record with quality(g) - quality(1) of its own chain (same seed)."""
    first = records.groupby(["table", "variant", "seed"], sort=False)["quality"].transform("first")
    return records.assign(quality_drop=records["quality"] - first)


def fmt(value: float, digits: int = 3, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def first_last_lines(middle: pd.DataFrame, generations: int) -> list[str]:
    """Per table: each variant's median figures at generation 1 → G."""
    lines = [f"## Generation 1 → {generations}, medians over seeds"]
    names = [name.replace("|", "\\|") for name in METRICS.values()]
    for table, rows in middle.groupby("table", sort=False):
        lines += [
            "",
            f"### {table}",
            "",
            "| variant | " + " | ".join(names) + " |",
            "|---|" + "---:|" * len(names),
        ]
        for variant, data in rows.groupby("variant", sort=False):
            at = data.set_index("generation")
            cells = [f"{fmt(at.at[1, m])} → {fmt(at.at[generations, m])}" for m in METRICS]
            lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return lines


def goal_checks(middle: pd.DataFrame, generations: int) -> pd.DataFrame:
    """The issue's three goals after G generations, per table and variant (medians)."""
    last = middle[middle["generation"] == generations].set_index(["table", "variant"])
    checks = pd.DataFrame(
        {
            "corr_shift": last["corr_shift"],
            "quality_drop": last["quality_drop"],
            "utility_ratio": last["utility_ratio"],
        }
    )
    checks["corr_ok"] = checks["corr_shift"] <= GOAL_CORR_SHIFT
    checks["quality_ok"] = checks["quality_drop"] >= -GOAL_QUALITY_DROP
    checks["utility_ok"] = checks["utility_ratio"] >= GOAL_UTILITY
    checks["met"] = checks[["corr_ok", "quality_ok", "utility_ok"]].sum(axis=1)
    return checks.reset_index()


def holdout_quality(tables: list[str], seeds: int) -> dict[str, float]:
    """Per table, the overall quality of the real held-out rows against the train
    part (median over seeds): what real rows the synthesizer never saw score."""
    found = {}
    for table in tables:
        scores = []
        for seed in range(seeds):
            train, holdout = split_holdout(load(table), HOLDOUT_SHARE, seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scores.append(
                    number(compare_tables(train, holdout, seed=seed)["scores"]["overall"])
                )
        found[table] = float(np.median(scores))
    return found


def goal_lines(
    checks: pd.DataFrame, generations: int, holdout: dict[str, float], middle: pd.DataFrame
) -> list[str]:
    """The goal table, per table the best variant (most goals met, then the smallest
    quality drop), and what unseen real rows score."""
    mark = {True: "✓", False: "✗"}
    lines = [
        f"## Goals after {generations} generations",
        "",
        f"Medians over seeds: max |Δcorr| ≤ {GOAL_CORR_SHIFT}, quality at most "
        f"{GOAL_QUALITY_DROP} below generation 1's (the median of each seed's "
        f"quality(G) − quality(1)), utility ratio ≥ {GOAL_UTILITY}.",
        "",
        "| table | variant | max abs Δcorr | quality(G) − quality(1) | utility ratio | goals met |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for _, row in checks.iterrows():
        lines.append(
            f"| {row['table']} | {row['variant']} | {fmt(row['corr_shift'])} "
            f"{mark[bool(row['corr_ok'])]} | {fmt(row['quality_drop'], sign=True)} "
            f"{mark[bool(row['quality_ok'])]} | {fmt(row['utility_ratio'])} "
            f"{mark[bool(row['utility_ok'])]} | {row['met']}/3 |"
        )
    lines += ["", "Best variant per table:", ""]
    for table, rows in checks.groupby("table", sort=False):
        best = rows.sort_values(["met", "quality_drop"], ascending=False).iloc[0]
        met = [
            goal
            for goal, key in (
                ("Δcorr", "corr_ok"),
                ("quality", "quality_ok"),
                ("utility", "utility_ok"),
            )
            if best[key]
        ]
        lines.append(
            f"- {table}: {best['variant']}, {best['met']}/3 goals met"
            + (f" ({', '.join(met)})" if met else "")
        )
    lines += [
        "",
        "What real rows the synthesizer never saw score: the overall quality of the "
        f"holdout ({HOLDOUT_SHARE:.0%} of the rows) against the train part, median over "
        "seeds, beside the best variant's quality at generations 1 and "
        f"{generations}. The holdout is smaller than a synthetic table (its sampling "
        "noise costs it more), but a synthetic table scoring far above it is closer "
        "to the train rows than new real rows are.",
        "",
        f"| table | real holdout rows | best variant, generation 1 | generation {generations} |",
        "|---|---:|---:|---:|",
    ]
    at = middle.set_index(["table", "variant", "generation"])["quality"]
    for table, rows in checks.groupby("table", sort=False):
        best = rows.sort_values(["met", "quality_drop"], ascending=False).iloc[0]["variant"]
        lines.append(
            f"| {table} | {fmt(holdout.get(table, math.nan))} | "
            f"{fmt(at[(table, best, 1)])} | {fmt(at[(table, best, generations)])} |"
        )
    return lines


def per_generation_lines(middle: pd.DataFrame) -> list[str]:
    """Per table, per generation and variant: the goal figures (medians over seeds)."""
    lines = [
        "## The goal figures per generation",
        "",
        "Each cell: max |Δcorr| / quality(g) − quality(1) / utility ratio, medians over seeds.",
    ]
    for table, rows in middle.groupby("table", sort=False):
        variants_here = list(dict.fromkeys(rows["variant"]))
        lines += [
            "",
            f"### {table}",
            "",
            "| g | " + " | ".join(variants_here) + " |",
            "|---:|" + "---|" * len(variants_here),
        ]
        at = rows.set_index(["generation", "variant"])
        for generation in sorted(rows["generation"].unique()):
            cells = [
                f"{fmt(at.at[(generation, v), 'corr_shift'])} / "
                f"{fmt(at.at[(generation, v), 'quality_drop'], sign=True)} / "
                f"{fmt(at.at[(generation, v), 'utility_ratio'])}"
                for v in variants_here
            ]
            lines.append(f"| {generation} | " + " | ".join(cells) + " |")
    return lines


def paired_change(
    records: pd.DataFrame, table: str, variant: str, generation: int, metric: str
) -> tuple[float, float]:
    """Mean over seeds of variant − default (same seed: same split, same random
    stream), and its standard error."""
    chosen = records[(records["table"] == table) & (records["generation"] == generation)]
    by_seed = chosen.pivot_table(index="seed", columns="variant", values=metric, dropna=False)
    if variant not in by_seed or DEFAULT not in by_seed:
        return math.nan, math.nan
    difference = (by_seed[variant] - by_seed[DEFAULT]).dropna()
    if len(difference) < 2:
        return math.nan, math.nan
    return float(difference.mean()), float(difference.std(ddof=1) / math.sqrt(len(difference)))


def direction(mean: float, error: float) -> str:
    """'up' or 'down' beyond NOISE_SE standard errors, else 'same'; '?' if unknown."""
    if not math.isfinite(mean):
        return "?"
    if mean > NOISE_SE * error:
        return "up"
    if mean < -NOISE_SE * error:
        return "down"
    return "same"


def same_figures(records: pd.DataFrame, table: str, variant: str) -> bool:
    """Whether a variant gave the default's figures exactly, seed by seed and generation
    by generation: the option did nothing on that table."""
    chosen = records[records["table"] == table].set_index(["seed", "generation"])
    ours = chosen.loc[chosen["variant"] == variant, list(METRICS)].sort_index()
    default = chosen.loc[chosen["variant"] == DEFAULT, list(METRICS)].sort_index()
    return ours.shape == default.shape and ours.equals(default)


def decision(records: pd.DataFrame, generations: int) -> pd.DataFrame:
    """For each option of issue 14 and table: does it raise generation G's quality and
    utility without lowering generation 1's, against the default, seed by seed?"""
    rows = []
    present = set(records["variant"])
    for option, variant in OPTIONS.items():
        if variant not in present:
            continue
        for table in dict.fromkeys(records["table"]):
            row: dict = {"option": option, "table": table}
            for metric in ("quality", "utility_ratio"):
                for generation in (1, generations):
                    mean, error = paired_change(records, table, variant, generation, metric)
                    row[f"{metric}_{generation}"] = (mean, error, direction(mean, error))
            raised = all(row[f"{m}_{generations}"][2] == "up" for m in ("quality", "utility_ratio"))
            kept = all(row[f"{m}_1"][2] in ("up", "same") for m in ("quality", "utility_ratio"))
            row["default_on"] = raised and kept
            changes = [
                row[f"{m}_{g}"][2] for m in ("quality", "utility_ratio") for g in (1, generations)
            ]
            row["quality_up_none_down"] = row[f"quality_{generations}"][2] == "up" and (
                "down" not in changes
            )
            row["no_op"] = same_figures(records, table, variant)
            rows.append(row)
    return pd.DataFrame(rows)


def decision_lines(table: pd.DataFrame, generations: int, seeds: int) -> list[str]:
    arrow = {"up": "↑", "down": "↓", "same": "=", "?": "?"}

    def change(value: tuple[float, float, str]) -> str:
        mean, error, way = value
        return f"{fmt(mean, sign=True)} ± {fmt(error)} {arrow[way]}"

    lines = [
        "## Decision: on by default?",
        "",
        f"Change against the generalized default, seed by seed (same split, same seed), "
        f"mean ± standard error over {seeds} seeds; ↑ / ↓ beyond {NOISE_SE:g} standard "
        f"errors, = within them. On by default only if, on every table, generation "
        f"{generations}'s quality and utility rise and generation 1's do not fall.",
        "",
        f"| option | table | quality g1 | utility g1 | quality g{generations} | "
        f"utility g{generations} | raises g{generations}, keeps g1 | quality g{generations} ↑, "
        "nothing ↓ |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for _, row in table.iterrows():
        lines.append(
            f"| {row['option']} | {row['table']} | {change(row['quality_1'])} | "
            f"{change(row['utility_ratio_1'])} | {change(row[f'quality_{generations}'])} | "
            f"{change(row[f'utility_ratio_{generations}'])} | "
            f"{'yes' if row['default_on'] else 'no'}"
            f"{' (does nothing here)' if row['no_op'] else ''} | "
            f"{'yes' if row['quality_up_none_down'] else 'no'} |"
        )
    if len(table):
        lines.append("")
        for option, rows in table.groupby("option", sort=False):
            verdict = "on by default" if rows["default_on"].all() else "an option"
            yes = ", ".join(rows.loc[rows["default_on"], "table"]) or "none"
            softer = ", ".join(rows.loc[rows["quality_up_none_down"], "table"]) or "none"
            lines.append(
                f"- {option}: {verdict} by the rule (yes on: {yes}). Raises generation "
                f"{generations}'s quality and lowers no figure on: {softer}."
            )
    return lines


def structure_markdown(
    records: pd.DataFrame,
    generations: int,
    seeds: int,
    command: str,
    decided: pd.DataFrame,
    holdout: dict[str, float],
) -> str:
    middle = medians(records)
    checks = goal_checks(middle, generations)
    lines = [
        "# Structure kept over generations (issue 14)",
        "",
        f"- Command: {command}",
        f"- Each seed splits the real rows {1 - HOLDOUT_SHARE:.0%}/{HOLDOUT_SHARE:.0%} into "
        "train and holdout before synthesis; generation 0 is the train part, each "
        f"generation is made only from the previous one, {generations} generations, "
        f"{seeds} seeds. Every figure is against the train part; the holdout is only the "
        "test set of utility and the baseline of DCR.",
        "- median variance ratio: Var(synthetic)/Var(train) of each numerical column, "
        "median over columns. max |Δcorr|: largest change of a Pearson correlation "
        "between two numerical columns. mean |Δη|: mean change of the correlation ratio "
        "η of each numerical column with each categorical column. overall quality: "
        "SDMetrics' QualityReport score (mean of column shapes and column pair trends) "
        "from `compare_tables`, made-up columns left out. utility ratio: accuracy (R² "
        "for the bivariate normal's y) of a gradient-boosting model trained on synthetic "
        "rows over one trained on the train rows, both tested on the holdout. DCR ratio: "
        "median distance of synthetic rows to their closest train row over that of the "
        "holdout rows (1: as far as unseen real rows, 0: copies).",
        "",
    ]
    sections = (
        first_last_lines(middle, generations),
        goal_lines(checks, generations, holdout, middle),
        decision_lines(decided, generations, seeds),
        per_generation_lines(middle),
    )
    for section in sections:
        lines += [*section, ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Plots


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_structure(middle: pd.DataFrame, path: Path) -> None:
    """One panel per table and figure: the median over seeds per generation, a line
    per variant, the goals dashed."""
    plt = pyplot()
    tables = list(dict.fromkeys(middle["table"]))
    variant_names = list(dict.fromkeys(middle["variant"]))
    colors = dict(zip(variant_names, plt.get_cmap("tab10").colors, strict=False))
    goals = {"corr_shift": GOAL_CORR_SHIFT, "utility_ratio": GOAL_UTILITY, "var_ratio": 1.0}
    fig, axes = plt.subplots(
        len(tables), len(METRICS), figsize=(3.2 * len(METRICS), 2.6 * len(tables)), squeeze=False
    )
    for row, table in enumerate(tables):
        for col, (metric, title) in enumerate(METRICS.items()):
            ax = axes[row, col]
            for variant, data in middle[middle["table"] == table].groupby("variant", sort=False):
                ax.plot(
                    data["generation"],
                    data[metric],
                    marker="o",
                    markersize=2.5,
                    linewidth=1.2,
                    color=colors[variant],
                    label=variant,
                )
            if middle.loc[middle["table"] == table, metric].isna().all():
                ax.text(0.5, 0.5, "not defined here", ha="center", transform=ax.transAxes)
            if metric in goals:
                ax.axhline(goals[metric], color="grey", linestyle="--", linewidth=0.8)
            ax.grid(True, alpha=0.3)
            ax.tick_params(labelsize=7)
            if row == 0:
                ax.set_title(title, fontsize=9)
            if col == 0:
                ax.set_ylabel(table, fontsize=9)
            if row == len(tables) - 1:
                ax.set_xlabel("generation", fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), frameon=False)
    fig.suptitle("Structure over generations: median over seeds; dashed: the goals (and 1)")
    fig.tight_layout(rect=(0, 0.04, 1, 0.98))
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_variance(summary: pd.DataFrame, path: Path) -> None:
    """Median variance ratio per generation, log y, one panel per table, theory dashed."""
    plt = pyplot()
    tables = list(dict.fromkeys(summary["table"]))
    columns = 2
    rows = -(-len(tables) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(11, 4.2 * rows), squeeze=False)
    names = list(dict.fromkeys(summary["variant"]))
    colors = dict(zip(names, plt.get_cmap("tab10").colors, strict=False))
    for ax, table in zip(axes.flat, tables, strict=False):
        for variant, data in summary[summary["table"] == table].groupby("variant", sort=False):
            g = np.concatenate([[0], data["generation"]])
            mean = np.concatenate([[1], data["var_ratio_mean"]])
            low = np.concatenate([[1], data["var_ratio_min"]])
            high = np.concatenate([[1], data["var_ratio_max"]])
            theory = np.concatenate([[1], data["theory_var_ratio_mean"]])
            color = colors[variant]
            ax.plot(g, mean, marker="o", markersize=3, color=color, label=variant)
            ax.fill_between(g, low, high, color=color, alpha=0.15, linewidth=0)
            ax.plot(g, theory, linestyle="--", color=color, linewidth=1)
        ax.set_yscale("log")
        ax.set_title(table)
        ax.set_xlabel("generation")
        ax.set_ylabel("median variance ratio (synthetic / train)")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes.flat[len(tables) :]:
        ax.remove()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    handles.append(plt.Line2D([], [], color="grey", linestyle="--"))
    labels.append("theory ρ_n^g (same colour)")
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False)
    fig.suptitle("Variance over generations: mean over seeds, band = min-max over seeds")
    fig.tight_layout(rect=(0, 0.07, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_bivariate(chosen: dict[str, SynthesisOptions], generations: int, seed: int, path: Path):
    """The bivariate normal after ``generations`` generations beside the original."""
    plt = pyplot()
    real = load(BIVARIATE)
    panels = {"original (n = 1000, corr 0.9)": real}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for variant, options in chosen.items():
            *_, last = run_generations(real, options, generations, seed)
            panels[f"{variant}, generation {generations}"] = last.frame
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.8), layout="constrained")
    limit = max(float(np.abs(frame.to_numpy()).max()) for frame in panels.values()) * 1.05
    # The original's 2-sigma ellipse, drawn on every panel as the reference.
    angle = np.linspace(0, 2 * np.pi, 200)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(real.to_numpy().T))
    circle = np.stack([np.cos(angle), np.sin(angle)])
    ellipse = (
        eigenvectors @ (2 * np.sqrt(eigenvalues)[:, None] * circle)
    ).T + real.mean().to_numpy()
    for ax, (title, frame) in zip(axes, panels.items(), strict=True):
        ax.scatter(frame["x"], frame["y"], s=4, alpha=0.5, color="tab:blue")
        ax.plot(ellipse[:, 0], ellipse[:, 1], color="black", linestyle="--", linewidth=1)
        var = (frame[["x", "y"]].var() / real[["x", "y"]].var()).median()
        corr = frame["x"].corr(frame["y"])
        ax.set_title(f"{title}\nvar ratio {var:.3f}, corr {corr:.3f}", fontsize=9)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.grid(True, alpha=0.3)
    fig.suptitle(f"Bivariate normal, seed {seed}; dashed: the original's 2σ ellipse")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=10, help="G, generations per chain")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument(
        "--tables",
        nargs="*",
        help="run only these tables; the others' figures are kept from the last run's "
        "experiment_structure.csv (same seeds and generations) and every output rebuilt",
    )
    parser.add_argument(
        "--variants",
        nargs="*",
        help="run only these variants (by name); the others' figures are kept from the "
        "last run's experiment_structure.csv and every output rebuilt",
    )
    parser.add_argument(
        "--extra-variants",
        action="store_true",
        help="also the earlier runs' variants: vanilla Beta(0.1,0.1) and Uniform, bounds clip and none",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="run nothing: rebuild every output from the last run's experiment_structure.csv",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    chosen = variants(args.extra_variants)
    tables = [] if args.rebuild else args.tables or list(table_sources())
    # The costliest tables first, so that the two workers finish together.
    tables.sort(key=lambda name: -load(name).size)
    running = {v: o for v, o in chosen.items() if not args.variants or v in args.variants}
    jobs = [
        (table, variant, options, seed, args.generations)
        for table in tables
        for variant, options in running.items()
        for seed in range(args.seeds)
    ]
    # One worker per core already: OpenMP threads inside scikit-learn's models on top of
    # that oversubscribe the cores (measured 10-30x slower utility fits on 2 cores).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with ProcessPoolExecutor(args.jobs) as pool:
        chains = list(pool.map(run_one, *zip(*jobs, strict=True))) if jobs else []
    records = pd.DataFrame([record for chain in chains for record in chain])
    if args.tables or args.variants or args.rebuild:
        kept = read_records(RESULTS / "experiment_structure.csv")
        rerun = kept["table"].isin(tables) & kept["variant"].isin(running)
        records = pd.concat([kept[~rerun], records])
    # Tables and variants in their listed order (the summaries group without sorting).
    listed = (("table", list(table_sources())), ("variant", [*chosen, *EXTRA_VARIANTS]))
    for column, names in listed:
        records[column] = pd.Categorical(records[column], categories=names, ordered=True)
    records = records.sort_values(["table", "variant", "seed", "generation"])
    records[["table", "variant"]] = records[["table", "variant"]].astype(str)
    RESULTS.mkdir(exist_ok=True)
    # The command, as Markdown.
    command = f"--generations {args.generations} --seeds {args.seeds}"
    if (args.tables or args.variants) and not args.rebuild:
        subset = "".join(
            f" --{flag} " + " ".join(f"'{name}'" for name in names)
            for flag, names in (("tables", args.tables), ("variants", args.variants))
            if names
        )
        command = (
            f"`python benchmarks/experiment_collapse.py {command}{subset}`, the other "
            "figures from the run before"
        )
    else:
        command = f"`make experiment  # = python benchmarks/experiment_collapse.py {command}`"
    long_format(records).to_csv(
        RESULTS / "experiment_structure.csv", index=False, float_format="%.6g"
    )
    decided = decision(records, args.generations)
    holdout = holdout_quality(list(dict.fromkeys(records["table"])), args.seeds)
    structure = structure_markdown(records, args.generations, args.seeds, command, decided, holdout)
    (RESULTS / "experiment_structure.md").write_text(structure)
    plot_structure(medians(records), DOCS / "structure.png")
    summary = summarize(records)
    summary.to_csv(RESULTS / "experiment.csv", index=False, float_format="%.6g")
    (RESULTS / "experiment.md").write_text(
        variance_markdown(summary, weight_labels(chosen), args.generations, args.seeds, command)
    )
    plot_variance(summary, RESULTS / "variance_by_generation.png")
    scatter = {v: chosen[v] for v in (VANILLA, PAPER, DEFAULT, OPTIONS["match_moments"])}
    plot_bivariate(scatter, args.generations, 0, RESULTS / "bivariate_scatter.png")
    print(structure)
    print(f"({len(jobs)} chains in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
