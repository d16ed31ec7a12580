"""The seed paper's model-collapse experiment, reproduced with mixsynth (issue 4).

Generation g+1 is synthesized only from generation g. Vanilla mixup (weights inside
[0, 1]) shrinks every variance by rho per generation, so after g generations the data
keep rho^g of their variance and collapse onto the mean; the generalized weights
(expanded Beta, rho = 1) keep it. This script measures that on every table in
sample_data/ and on the paper's bivariate normal (correlation 0.9, n = 1000), over
several seeds, beside the theory.

The theory column is rho_n^g, rho_n = ``Generation.expected_variance_factor()``: the
expected factor of the sample variance (ddof=1) per generation, finite n included. For
n rows mixed into n rows with balanced anchors (the default) it is
rho - (rho - kappa^2) / n, within O(1/n) of rho; the default generalized weights aim
rho at the value that makes it exactly 1.

Run: ``make experiment`` (or ``.venv/bin/python benchmarks/experiment_collapse.py``).
Writes benchmarks/results/experiment.csv, experiment.md, variance_by_generation.png
and bivariate_scatter.png, and prints the Markdown.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from mixsynth.choices import Bounds
from mixsynth.io import read_table
from mixsynth.metrics import compare_tables
from mixsynth.semantics import SemanticType
from mixsynth.synth import Method, Reference, SynthesisOptions, run_generations
from mixsynth.weights import WeightDistribution, parse_weights, uniform

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
RESULTS = Path(__file__).resolve().parent / "results"
BIVARIATE = "bivariate_normal"
#: Label columns of the sample tables: targets of the train-on-synthetic utility.
LABELS = {
    "penguins": "species",
    "wine": "cultivar",
    "breast_cancer": "diagnosis",
    "customers": "churned",
}
METHODS: dict[str, SynthesisOptions] = {
    "vanilla Beta(0.1,0.1)": SynthesisOptions(
        method=Method.VANILLA, weights=parse_weights("beta:0.1,0.1")
    ),
    "vanilla Beta(0.2,0.2)": SynthesisOptions(
        method=Method.VANILLA, weights=parse_weights("beta:0.2,0.2")
    ),
    "vanilla Uniform(0,1)": SynthesisOptions(method=Method.VANILLA, weights=uniform()),
    "paper EpBeta(4.34,1.33;0.3,0.3)": SynthesisOptions(
        method=Method.GENERALIZED, weights=WeightDistribution(4.34, 1.33, 0.3, 0.3)
    ),
    "generalized default": SynthesisOptions(),
    "generalized --bounds clip": SynthesisOptions(bounds=Bounds.CLIP),
    "generalized --bounds none": SynthesisOptions(bounds=Bounds.NONE),
}
#: Methods drawn in the bivariate scatter plot, beside the original.
SCATTER_METHODS = ("vanilla Beta(0.1,0.1)", "vanilla Uniform(0,1)", "generalized default")
#: Figures from ``mixsynth.metrics``; holdout_dcr_median (real holdout rows' DCR) is the
#: baseline a synthetic DCR median is read against (much lower = near-copies).
METRICS = ("column_shapes", "dcr_median", "holdout_dcr_median", "utility_ratio")
FIGURES = ("var_ratio", "var_ratio_colmean", "corr_diff", *METRICS)


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


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """The columns mixup mixes (numerical by the column semantics); labels, codes, keys
    and categories are copied or made up, so the variance theory is not theirs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Reference.of(frame).semantics.of_type(SemanticType.NUMERICAL)


def variance_ratios(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Var(synthetic) / Var(real) of each numeric column, both ddof=1."""
    return synthetic[columns].var() / real[columns].var()


def correlation_difference(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]
) -> float:
    """Largest absolute difference between the two Pearson correlation matrices."""
    if len(columns) < 2:
        return float("nan")
    real_corr = real[columns].astype(float).corr().to_numpy()
    synthetic_corr = synthetic[columns].astype(float).corr().to_numpy()
    return float(np.nanmax(np.abs(real_corr - synthetic_corr)))


def utility_ratio(utility: dict | None) -> float:
    """Train-on-synthetic / train-on-real accuracy (R² for a numeric target), both
    tested on real holdout rows; NaN when ``compare_tables`` could not fit models."""
    ratio = (utility or {}).get("ratio")
    if not ratio:
        return float("nan")
    return float(ratio.get("accuracy", ratio.get("r2", float("nan"))))


def shared_metrics(real: pd.DataFrame, synthetic: pd.DataFrame, label: str | None) -> dict:
    """Column-shapes score, DCR medians and utility from ``mixsynth.metrics``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare_tables(real, synthetic, target=label, seed=0)
    return {
        "column_shapes": float(result["scores"]["column_shapes"]),
        "dcr_median": float(result["privacy"]["dcr_median"]),
        "holdout_dcr_median": float(result["privacy"]["holdout_dcr_median"]),
        "utility_ratio": utility_ratio(result.get("utility")) if label else np.nan,
    }


def run_one(table: str, method: str, seed: int, generations: int) -> list[dict]:
    """Every figure of every generation of one (table, method, seed) chain."""
    real = load(table)
    columns = numeric_columns(real)
    label = LABELS.get(table)
    records = []
    expected = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chain = list(run_generations(real, METHODS[method], generations, seed))
    for generation in chain:
        expected *= generation.expected_variance_factor()
        ratios = variance_ratios(real, generation.frame, columns)
        records.append(
            {
                "table": table,
                "method": method,
                "weights": generation.weights.label(),
                "rho": generation.weights.theory().rho,
                "seed": seed,
                "generation": generation.index,
                "theory_var_ratio": expected,
                "var_ratio": float(ratios.median()),
                "var_ratio_colmean": float(ratios.mean()),
                "corr_diff": correlation_difference(real, generation.frame, columns),
                **shared_metrics(real, generation.frame, label),
            }
        )
    return records


def summarize(records: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread (standard deviation, min, max) over seeds of every figure."""
    keys = ["table", "method", "weights", "rho", "generation", "theory_var_ratio"]
    grouped = records.groupby(keys, sort=False)
    parts = [grouped["seed"].nunique().rename("seeds")]
    for figure in FIGURES:
        stats = grouped[figure].agg(["mean", "std", "min", "max"])
        parts.append(stats.add_prefix(f"{figure}_"))
    return pd.concat(parts, axis=1).reset_index()


def cell(row: pd.Series, figure: str, digits: int = 3) -> str:
    """'mean ± sd' of one figure; a dash where it does not apply (utility, no label)."""
    mean = row[f"{figure}_mean"]
    if pd.isna(mean):
        return "–"
    return f"{mean:.{digits}f} ± {row[f'{figure}_std']:.{digits}f}"


def markdown(summary: pd.DataFrame, generations: int, seeds: int, command: str) -> str:
    """The summary after the last generation, then every table at generations 1, 5, G."""
    header = (
        "| {first} | method | g | var ratio, median of columns | mean of columns | "
        "theory ρ_n^g | max abs corr diff | column shapes | DCR median | utility ratio |"
    )
    rule = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"

    def row_line(row: pd.Series, first: str) -> str:
        return (
            f"| {first} | {row['method']} | {row['generation']} | {cell(row, 'var_ratio')} | "
            f"{cell(row, 'var_ratio_colmean')} | {row['theory_var_ratio']:.3f} | {cell(row, 'corr_diff')} | "
            f"{cell(row, 'column_shapes')} | {cell(row, 'dcr_median')} | "
            f"{cell(row, 'utility_ratio')} |"
        )

    lines = [
        "# The model-collapse experiment",
        "",
        f"- Command: `{command}`",
        f"- {generations} generations, each made only from the previous one; "
        f"{seeds} seeds; figures are mean ± standard deviation over seeds.",
        "- var ratio: Var(generation g) / Var(real) of each numeric column (ddof=1), "
        "then the median and the mean over the columns. theory: ρ_n^g, "
        "ρ_n = ρ - (ρ - κ²)/n (balanced anchors, n rows), the expectation of each "
        "column's ratio, so of their mean; the median sits a little lower, because "
        "each ratio is a product of g noisy factors (right-skewed).",
        "- weights as used on the first table (the default's shapes move a little with n, "
        "through the finite-sample target): "
        + "; ".join(
            f"{method} = `{label}`"
            for method, label in summary.groupby("method", sort=False)["weights"].first().items()
        )
        + ".",
        "- max abs corr diff: largest |Δ| between the real and synthetic correlation matrices.",
        "- column shapes (mean KS / TV complement, 1 = same marginals), DCR median "
        "(median distance of a synthetic row to its closest real row), utility ratio "
        "(accuracy of a model trained on synthetic rows over one trained on real rows, "
        "both tested on real holdout rows): `mixsynth.metrics.compare_tables` against "
        "the real table.",
    ]
    baseline = summary.groupby("table", sort=False)["holdout_dcr_median_mean"].first()
    lines.append(
        "- DCR baseline, real holdout rows to the same real reference rows: "
        + ", ".join(f"{table} {value:.3f}" for table, value in baseline.items())
        + " (a synthetic DCR far below it means near-copies of real rows)."
    )
    last = summary[summary["generation"] == generations]
    lines += ["", f"## After {generations} generations", "", header.format(first="table"), rule]
    lines += [row_line(row, row["table"]) for _, row in last.iterrows()]
    shown = sorted({1, min(5, generations), generations})
    lines += ["", f"## Generations {', '.join(map(str, shown))}"]
    for table, rows in summary[summary["generation"].isin(shown)].groupby("table", sort=False):
        lines += ["", f"### {table}", "", header.format(first="table"), rule]
        lines += [row_line(row, table) for _, row in rows.iterrows()]
    return "\n".join(lines) + "\n"


def plot_variance(summary: pd.DataFrame, path: Path) -> None:
    """Median variance ratio per generation, log y, one panel per table, theory dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tables = list(dict.fromkeys(summary["table"]))
    columns = 2
    rows = -(-len(tables) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(11, 4.2 * rows), squeeze=False)
    colors = dict(zip(METHODS, plt.get_cmap("tab10").colors, strict=False))
    for ax, table in zip(axes.flat, tables, strict=False):
        for method, data in summary[summary["table"] == table].groupby("method", sort=False):
            g = np.concatenate([[0], data["generation"]])
            mean = np.concatenate([[1], data["var_ratio_mean"]])
            low = np.concatenate([[1], data["var_ratio_min"]])
            high = np.concatenate([[1], data["var_ratio_max"]])
            theory = np.concatenate([[1], data["theory_var_ratio"]])
            color = colors[method]
            ax.plot(g, mean, marker="o", markersize=3, color=color, label=method)
            ax.fill_between(g, low, high, color=color, alpha=0.15, linewidth=0)
            ax.plot(g, theory, linestyle="--", color=color, linewidth=1)
        ax.set_yscale("log")
        ax.set_title(table)
        ax.set_xlabel("generation")
        ax.set_ylabel("median variance ratio (synthetic / real)")
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


def plot_bivariate(generations: int, seed: int, path: Path) -> None:
    """The bivariate normal after ``generations`` generations beside the original."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    real = load(BIVARIATE)
    panels = {"original (n = 1000, corr 0.9)": real}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in SCATTER_METHODS:
            *_, last = run_generations(real, METHODS[method], generations, seed)
            panels[f"{method}, generation {generations}"] = last.frame
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
        var = variance_ratios(real, frame, ["x", "y"]).median()
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
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (at least 5)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    args = parser.parse_args()
    started = time.perf_counter()
    jobs = [
        (table, method, seed, args.generations)
        for table in table_sources()
        for method in METHODS
        for seed in range(args.seeds)
    ]
    # One worker per core already: OpenMP threads inside scikit-learn's models on top of
    # that oversubscribe the cores (measured 10-30x slower utility fits on 2 cores).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with ProcessPoolExecutor(args.jobs) as pool:
        chains = list(pool.map(run_one, *zip(*jobs, strict=True)))
    records = pd.DataFrame([record for chain in chains for record in chain])
    summary = summarize(records)
    RESULTS.mkdir(exist_ok=True)
    summary.to_csv(RESULTS / "experiment.csv", index=False, float_format="%.6g")
    plot_variance(summary, RESULTS / "variance_by_generation.png")
    plot_bivariate(args.generations, 0, RESULTS / "bivariate_scatter.png")
    command = f"make experiment  # = python benchmarks/experiment_collapse.py --generations {args.generations} --seeds {args.seeds}"
    report = markdown(summary, args.generations, args.seeds, command)
    (RESULTS / "experiment.md").write_text(report)
    print(report)
    print(f"({len(jobs)} chains in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
