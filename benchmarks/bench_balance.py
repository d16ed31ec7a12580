"""Class balancing: mixup against no resampling, random over-sampling and SMOTE.

Five binary tables, imbalanced by a stated recipe (a class of a shipped sample table
subsampled, and scikit-learn's ``make_classification``), stratified 5-fold
cross-validation, two classifiers (logistic regression on standardized features and
histogram gradient boosting), the same folds for every method. Every method sees only
the training fold: the scaler is fitted there, the sampler resamples it, the
classifier learns from the result and predicts the untouched test fold.

Figures (mean and standard deviation over the folds):

- balanced accuracy, F1 of the minority class, PR-AUC (average precision of the
  minority class's predicted probability);
- the minority class's variance ratio after resampling: the variance (ddof=1) of the
  training fold's minority rows after resampling over before, per feature, averaged
  over the features. 1 = the class's spread is kept; below 1 = it shrank.

Methods: none; imbalanced-learn's RandomOverSampler and SMOTE (k = 5); MixupOverSampler
with vanilla weights (Beta(0.2, 0.2)), with the default generalized weights, and with
generalized weights and local pairing (partner among the anchor's 5 nearest neighbours
of its class, as SMOTE). All over-samplers use ``sampling_strategy="auto"`` (the
minority up to the majority's count).

Run: ``make bench-balance`` (or ``.venv/bin/python benchmarks/bench_balance.py``).
Writes benchmarks/results/balance.csv and balance.md, and prints the Markdown.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from mixsynth import MixupOverSampler

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
RESULTS = Path(__file__).resolve().parent / "results"


def subsampled(
    frame: pd.DataFrame, label: str, minority: str, keep: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Numeric features and a 0/1 target (1 = ``minority``), rows with a missing
    feature dropped, the minority class cut to ``keep`` rows drawn at random."""
    frame = frame.dropna(subset=list(frame.select_dtypes("number").columns))
    minority_rows = frame.index[frame[label] == minority]
    dropped = pd.Index(minority_rows).difference(
        pd.Index(np.random.default_rng(seed).choice(minority_rows, keep, replace=False))
    )
    frame = frame.drop(index=dropped)
    X = frame.select_dtypes("number").to_numpy(dtype=np.float64)
    return X, (frame[label] == minority).to_numpy().astype(np.int64)


def tables() -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
    """name -> (X, y, recipe)."""
    cancer = pd.read_csv(SAMPLE_DATA / "breast_cancer.csv")
    penguins = pd.read_csv(SAMPLE_DATA / "penguins.csv").drop(columns="year")
    wine = pd.read_parquet(SAMPLE_DATA / "wine.parquet")
    third = sorted(wine["cultivar"].unique())[-1]
    made = {}
    made["breast_cancer"] = (
        *subsampled(cancer, "diagnosis", "malignant", 40),
        "sample_data/breast_cancer.csv: malignant (212 rows) cut to 40 at random (seed 0) "
        "against 357 benign; 30 features",
    )
    made["penguins"] = (
        *subsampled(penguins, "species", "Chinstrap", 20),
        "sample_data/penguins.csv, rows with a missing measurement dropped: Chinstrap "
        "(68) cut to 20 at random (seed 0) against the 274 Adelie and Gentoo; the 4 "
        "body measurements",
    )
    made["wine"] = (
        *subsampled(wine, "cultivar", third, 12),
        f"sample_data/wine.parquet: cultivar {third!r} (48 rows) cut to 12 at random "
        "(seed 0) against the other 130; 13 features",
    )
    for name, recipe in {
        "make_classification_a": dict(
            n_samples=2000, n_features=10, n_informative=4, n_redundant=2,
            weights=[0.95], flip_y=0.01, class_sep=1.0, random_state=0,
        ),
        "make_classification_b": dict(
            n_samples=2000, n_features=20, n_informative=6, n_redundant=4,
            n_clusters_per_class=3, weights=[0.9], flip_y=0.03, class_sep=0.6,
            random_state=1,
        ),
    }.items():  # fmt: skip
        X, y = make_classification(**recipe)
        spec = ", ".join(f"{k}={v}" for k, v in recipe.items())
        made[name] = (X, y, f"sklearn.datasets.make_classification({spec})")
    return made


SAMPLERS: dict[str, Callable[[int], object | None]] = {
    "none": lambda seed: None,
    "random over-sampling": lambda seed: RandomOverSampler(random_state=seed),
    "SMOTE (k=5)": lambda seed: SMOTE(k_neighbors=5, random_state=seed),
    "mixup vanilla Beta(0.2,0.2)": lambda seed: MixupOverSampler(
        method="vanilla", random_state=seed
    ),
    "mixup generalized": lambda seed: MixupOverSampler(random_state=seed),
    "mixup generalized, local (k=5)": lambda seed: MixupOverSampler(
        k_neighbors=5, random_state=seed
    ),
}

CLASSIFIERS: dict[str, Callable[[int], object]] = {
    "logistic regression": lambda seed: LogisticRegression(max_iter=2000),
    "gradient boosting": lambda seed: HistGradientBoostingClassifier(random_state=seed),
}


def minority_variance_ratio(before: np.ndarray, after: np.ndarray) -> float:
    """Mean over features of Var(after) / Var(before), ddof=1 (features of zero
    variance skipped)."""
    var_before, var_after = before.var(axis=0, ddof=1), after.var(axis=0, ddof=1)
    usable = var_before > 0
    return float(np.mean(var_after[usable] / var_before[usable]))


def evaluate_table(name: str, folds: int, seed: int) -> pd.DataFrame:
    """Every figure of one table, on one thread: two tables run at once, one per core.
    (Gradient boosting's own threads fought over the shared cores: 20 to 100 s per fit
    instead of 2 s.)"""
    X, y, _ = tables()[name]
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a fold whose model predicts no minority row
        return pd.DataFrame(evaluate(X, y, folds, seed)).assign(table=name)


def evaluate(X: np.ndarray, y: np.ndarray, folds: int, seed: int) -> list[dict]:
    """One row per (classifier, method, fold)."""
    rows = []
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fold, (train, test) in enumerate(splitter.split(X, y)):
        scaler = StandardScaler().fit(X[train])
        X_train, X_test, y_train = scaler.transform(X[train]), scaler.transform(X[test]), y[train]
        for method, make_sampler in SAMPLERS.items():
            sampler = make_sampler(seed + fold)
            started = time.perf_counter()
            X_res, y_res = (
                (X_train, y_train) if sampler is None else sampler.fit_resample(X_train, y_train)
            )
            resample_seconds = time.perf_counter() - started
            ratio = minority_variance_ratio(X_train[y_train == 1], X_res[y_res == 1])
            for classifier, make_classifier in CLASSIFIERS.items():
                model = make_classifier(seed).fit(X_res, y_res)
                predicted = model.predict(X_test)
                rows.append(
                    {
                        "classifier": classifier,
                        "method": method,
                        "fold": fold,
                        "balanced_accuracy": balanced_accuracy_score(y[test], predicted),
                        "minority_f1": f1_score(y[test], predicted, pos_label=1),
                        "pr_auc": average_precision_score(
                            y[test], model.predict_proba(X_test)[:, 1]
                        ),
                        "minority_variance_ratio": ratio,
                        "resample_seconds": resample_seconds,
                    }
                )
    return rows


FIGURES = ("balanced_accuracy", "minority_f1", "pr_auc", "minority_variance_ratio")


#: Short method names for the summary's columns.
SHORT = {
    "none": "none",
    "random over-sampling": "random",
    "SMOTE (k=5)": "SMOTE",
    "mixup vanilla Beta(0.2,0.2)": "mixup vanilla",
    "mixup generalized": "mixup generalized",
    "mixup generalized, local (k=5)": "mixup local k=5",
}


def summary_tables(results: pd.DataFrame) -> str:
    """One table per figure: a row per (table, classifier), a column per method, the
    best mean in bold (ties too); the variance ratio once per table (no classifier)."""
    lines = []
    for figure in FIGURES:
        data, keys = results, ["table", "classifier"]
        if figure == "minority_variance_ratio":  # the same for both classifiers
            data, keys = results[results["classifier"] == results["classifier"].iloc[0]], ["table"]
        stats = data.groupby([*keys, "method"], sort=False)[figure].agg(["mean", "std"])
        lines += [
            "",
            f"**{figure.replace('_', ' ').replace('pr auc', 'PR-AUC')}**",
            "",
            "| " + " | ".join(keys) + " | " + " | ".join(SHORT[m] for m in SAMPLERS) + " |",
            "|" + "---|" * len(keys) + "---:|" * len(SAMPLERS),
        ]
        for key, group in stats.groupby(level=list(range(len(keys))), sort=False):
            group = group.droplevel(list(range(len(keys))))
            best = group["mean"].max()
            cells = []
            for method in SAMPLERS:
                mean, std = group.loc[method, "mean"], group.loc[method, "std"]
                cell = f"{mean:.3f} ± {std:.3f}"
                bold = figure != "minority_variance_ratio" and np.isclose(mean, best)
                cells.append(f"**{cell}**" if bold else cell)
            key = key if isinstance(key, tuple) else (key,)
            lines.append("| " + " | ".join(key) + " | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(results: pd.DataFrame, recipes: dict[str, str], folds: int, seconds: float) -> str:
    """Per classifier, one row per table and method: mean ± sd over folds; then the
    wins: how often each method has the best mean of a figure."""
    summary = results.groupby(["classifier", "table", "method"], sort=False)[list(FIGURES)].agg(
        ["mean", "std"]
    )
    lines = [
        "# Class balancing: mixup against random over-sampling and SMOTE",
        "",
        f"`make bench-balance` (benchmarks/bench_balance.py), {folds}-fold stratified "
        f"cross-validation, the same folds for every method; {seconds:.0f} s. Each cell: "
        "mean ± standard deviation over the folds. Variance ratio: the minority class's "
        "variance after resampling over before, on the training fold (1 = kept).",
        "",
        "Tables (minority = class 1):",
        "",
        *[f"- **{name}**: {recipe}" for name, recipe in recipes.items()],
        "",
        "## Summary (best mean in bold)",
        summary_tables(results),
    ]
    for classifier in results["classifier"].unique():
        lines += [
            "",
            f"## {classifier}",
            "",
            "| table | method | balanced accuracy | minority F1 | PR-AUC | minority variance ratio |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for (_, table, method), row in summary.xs(classifier, drop_level=False).iterrows():
            cells = [f"{row[(f, 'mean')]:.3f} ± {row[(f, 'std')]:.3f}" for f in FIGURES]
            lines.append(f"| {table} | {method} | " + " | ".join(cells) + " |")
    lines += ["", "## Best mean per table (ties counted for each)", ""]
    lines += [
        "| classifier | figure | " + " | ".join(SAMPLERS) + " |",
        "|---|---|" + "---:|" * len(SAMPLERS),
    ]
    means = results.groupby(["classifier", "table", "method"])[list(FIGURES[:3])].mean()
    for classifier in results["classifier"].unique():
        for figure in FIGURES[:3]:
            table = means.loc[classifier][figure].unstack("method")
            best = table.eq(table.max(axis=1), axis=0).sum()
            lines.append(
                f"| {classifier} | {figure.replace('_', ' ')} | "
                + " | ".join(str(int(best.get(m, 0))) for m in SAMPLERS)
                + " |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    recipes = {
        name: f"{recipe} ({int((y == 1).sum())} minority, {int((y == 0).sum())} majority rows)"
        for name, (X, y, recipe) in tables().items()
    }
    with ProcessPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(evaluate_table, name, args.folds, args.seed) for name in recipes]
        results = pd.concat([job.result() for job in jobs], ignore_index=True)
    RESULTS.mkdir(exist_ok=True)
    results.to_csv(RESULTS / "balance.csv", index=False)
    text = markdown(results, recipes, args.folds, time.perf_counter() - started)
    (RESULTS / "balance.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
