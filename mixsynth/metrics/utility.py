"""Utility: models trained on synthetic rows, scored on real ones."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mixsynth.errors import OptionError
from mixsynth.metrics.core import DISCRETE, NUMERIC, Column, Sample, ratio


def _features(
    columns: Sequence[Column], rows_real: np.ndarray, rows_synthetic: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    """Feature matrices of the chosen rows only (categories as shared integer codes),
    and which features are categorical for HistGradientBoosting (fewer than 250 codes)."""
    real, synthetic, categorical = [], [], []
    for column in columns:
        if column.family == NUMERIC:
            real.append(column.real[rows_real])
            synthetic.append(column.synthetic[rows_synthetic])
            categorical.append(False)
        else:
            code_r, code_s = column.codes
            real.append(code_r[rows_real].astype(np.float64))
            synthetic.append(code_s[rows_synthetic].astype(np.float64))
            categorical.append(bool(max(code_r.max(), code_s.max()) < 250))
    return np.column_stack(real), np.column_stack(synthetic), categorical


def utility(
    columns: Sequence[Column],
    target: str,
    sample: Sample,
    seed: int,
    real_scores: dict | None = None,
) -> dict:
    """TSTR: a model trained on synthetic rows, tested on real holdout rows, against TRTR.

    scikit-learn's HistGradientBoosting (missing values and categories handled
    natively). Accuracy and macro-F1 for a categorical target, R² for a numeric one.
    ``real_scores``: the train-on-real scores of an earlier call with the same real
    rows, sample and seed (the same model), not fitted again.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, f1_score, r2_score
    from threadpoolctl import threadpool_limits

    by_name = {c.name: c for c in columns}
    goal = by_name[target]
    features = [c for c in columns if c.name != target]
    if not features:
        raise OptionError(f"--target {target!r} is the only column compared; nothing to learn")
    classify = goal.family == DISCRETE
    if classify:
        y_r, y_s = goal.codes
        missing_r = goal.real.isna().to_numpy()
        missing_s = goal.synthetic.isna().to_numpy()
    else:
        y_r, y_s = goal.real, goal.synthetic
        missing_r, missing_s = np.isnan(y_r), np.isnan(y_s)
    train_r = sample.reference[~missing_r[sample.reference]]
    test = sample.holdout[~missing_r[sample.holdout]]
    train_s = sample.synthetic_train[~missing_s[sample.synthetic_train]]
    result: dict = {
        "target": target,
        "task": "classification" if classify else "regression",
        "train_rows": len(train_r),
        "test_rows": len(test),
    }
    if len(test) == 0 or len(train_r) < 2 or len(train_s) < 2:
        return result | {"note": "too few rows with a target value"}
    x_r, x_s, mask = _features(features, np.concatenate([train_r, test]), train_s)
    x_train, x_test = x_r[: len(train_r)], x_r[len(train_r) :]

    def fit_score(x: np.ndarray, y: np.ndarray) -> dict:
        model_type = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        if classify and len(np.unique(y)) < 2:
            predicted = np.full(len(test), y[0])
        else:
            model = model_type(categorical_features=mask, random_state=seed)
            predicted = model.fit(x, y).predict(x_test)
        truth = y_r[test]
        if classify:
            return {
                "accuracy": float(accuracy_score(truth, predicted)),
                "macro_f1": float(f1_score(truth, predicted, average="macro")),
            }
        return {"r2": float(r2_score(truth, predicted))}

    # One OpenMP thread: on a busy machine scikit-learn's spinning threads made a
    # 0.1 s fit take 4 s.
    with threadpool_limits(1, user_api="openmp"):
        real_scores = real_scores or fit_score(x_train, y_r[train_r])
        synth_scores = fit_score(x_s, y_s[train_s])
    return result | {
        "real": real_scores,
        "synthetic": synth_scores,
        "ratio": {k: ratio(synth_scores[k], real_scores[k]) for k in real_scores},
    }


# ---------------------------------------------------------------------------
# Whole tables
