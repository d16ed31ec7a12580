"""MixupOverSampler: imbalanced-learn's sampler API over group-wise mixup.

What this guards: ``sampling_strategy`` means exactly what it means in
imbalanced-learn (compared with imbalanced-learn's own RandomOverSampler); the
original rows come first, unchanged, and the new rows are mixed inside their class;
the class variance after resampling follows the theory (kept by generalized weights,
shrunk by vanilla ones as predicted, shrunk further by the local pairing); arrays and
DataFrames keep their types; the sampler clones and runs inside an imblearn Pipeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from mixsynth import MixupOverSampler
from mixsynth.engine.given import synthesis_options
from mixsynth.engine.weights import sample_variance_factor
from mixsynth.errors import MixsynthError
from tests.oracles.mixup import WeightMoments, exact_moment


def imbalanced(counts: dict, features: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian classes with the given row counts, each around its own centre."""
    rng = np.random.default_rng(seed)
    X = np.concatenate(
        [rng.normal(5.0 * i, 1.0 + i, (n, features)) for i, n in enumerate(counts.values())]
    )
    y = np.repeat(list(counts), list(counts.values()))
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.mark.parametrize(
    ("counts", "strategy"),
    [
        ({"a": 60, "b": 25, "c": 10}, "auto"),
        ({"a": 60, "b": 25, "c": 10}, "minority"),
        ({"a": 60, "b": 25, "c": 10}, "not minority"),
        ({"a": 60, "b": 25, "c": 10}, "not majority"),
        ({"a": 60, "b": 25, "c": 10}, "all"),
        ({"a": 60, "b": 25, "c": 10}, {"b": 40, "c": 70}),
        ({0: 80, 1: 20}, 0.5),
        ({0: 80, 1: 20}, 1.0),
    ],
)
def test_sampling_strategy_as_imbalanced_learn(counts: dict, strategy) -> None:
    X, y = imbalanced(counts)
    ours = MixupOverSampler(sampling_strategy=strategy, random_state=0)
    X_res, y_res = ours.fit_resample(X, y)
    theirs = RandomOverSampler(sampling_strategy=strategy, random_state=0).fit(X, y)
    wanted = {k: v for k, v in theirs.sampling_strategy_.items() if v}
    assert {k: v for k, v in ours.sampling_strategy_.items() if v} == wanted
    _, their_y = theirs.fit_resample(X, y)
    assert sorted(pd.Series(y_res).value_counts().items()) == sorted(
        pd.Series(their_y).value_counts().items()
    )
    # Originals first and unchanged, then the new rows (as imbalanced-learn does).
    np.testing.assert_array_equal(X_res[: len(X)], X)
    np.testing.assert_array_equal(y_res[: len(y)], y)


def test_new_rows_are_mixed_inside_their_class() -> None:
    # Vanilla weights lie in [0, 1]: a row mixed inside one class stays inside that
    # class's bounding box; the classes' boxes are far apart, so a row mixed across
    # classes would not.
    X, y = imbalanced({"a": 200, "b": 30, "c": 15}, seed=1)
    X_res, y_res = MixupOverSampler(method="vanilla", random_state=1).fit_resample(X, y)
    new_X, new_y = X_res[len(X) :], y_res[len(y) :]
    assert len(new_X) == 170 + 185
    for label in ("b", "c"):
        members, made = X[y == label], new_X[new_y == label]
        assert (made >= members.min(axis=0)).all() and (made <= members.max(axis=0)).all()
        assert not np.isin(made, X).all()  # new values, not copies


@pytest.mark.parametrize("method", ["generalized", "vanilla"])
def test_class_variance_follows_the_theory(method: str) -> None:
    # 40 minority rows, 20,000 new ones: the new rows' variance over the class's own
    # (both ddof=1) has the theory's expectation: 1 for generalized weights (their
    # finite-sample target), rho_n for vanilla Beta(0.2, 0.2). Tolerance: 4.5 standard
    # errors of a sample variance of 20,000 rows, sqrt((m4 - s^4) / N) / s^2, with m4
    # and s^2 the exact moments of a mixed row given the class (tests.oracles.mixup),
    # not the moments of the rows under test (anchors drawn i.i.d. spread at least as
    # much as balanced ones).
    n, big_n = 40, 20_000
    X, y = imbalanced({"major": n + big_n, "minor": n}, features=2, seed=2)
    X_res, _ = MixupOverSampler(method=method, random_state=3).fit_resample(X, y)
    minor, made = X[y == "minor"], X_res[len(X) :]
    weights = synthesis_options(
        method=method, weights=None, mix_strength=0.5, eps=0.05, finite_sample=True
    ).weights_for(n, big_n)
    expected = sample_variance_factor(weights.theory(), n, big_n, True)
    lam = WeightMoments(weights)
    for column in range(2):
        ratio = made[:, column].var(ddof=1) / minor[:, column].var(ddof=1)
        centred = minor[:, column] - minor[:, column].mean()
        m2, m4 = exact_moment([centred] * 2, lam), exact_moment([centred] * 4, lam)
        se = np.sqrt((m4 - m2**2) / big_n) / minor[:, column].var(ddof=1)
        assert abs(ratio - expected) < 4.5 * se, (column, ratio, expected, se)
    if method == "vanilla":
        assert expected < 0.9  # the test tells the two methods apart


def test_local_pairing_stays_near_the_anchor() -> None:
    # A class of two tight clusters: with k = 1 each row's partner is in its own
    # cluster, so vanilla mixes never land between the clusters; global pairs do.
    X = np.array([[0.0], [1.0], [2.0], [100.0], [101.0], [102.0]] + [[50.0]] * 30)
    y = np.array(["m"] * 6 + ["M"] * 30)
    local = MixupOverSampler(method="vanilla", k_neighbors=1, random_state=0)
    made = local.fit_resample(X, y)[0][len(X) :, 0]
    assert ((made <= 2.0) | (made >= 100.0)).all()
    made = MixupOverSampler(method="vanilla", random_state=0).fit_resample(X, y)[0][len(X) :, 0]
    assert ((made > 2.0) & (made < 100.0)).any()


def test_local_pairing_shrinks_the_class_variance() -> None:
    # Neighbours sit towards the inside of the class, so with generalized weights
    # (solved for independent partners) the new rows' variance falls below the
    # class's. Each seed runs both pairings with the same anchors and weights; the
    # tolerance is 4.5 standard errors of the mean over seeds, each seed's spread from
    # an independent numpy simulation of both pairings (measured: 1.000 and 0.988).
    global_ratios, local_ratios = [], []
    for seed in range(5):
        X, y = imbalanced({"major": 10_100, "minor": 100}, features=2, seed=seed)
        minor = X[y == "minor"]
        for k, ratios in ((None, global_ratios), (5, local_ratios)):
            X_res, _ = MixupOverSampler(k_neighbors=k, random_state=seed).fit_resample(X, y)
            made = X_res[len(X) :]
            ratios.append((made.var(axis=0, ddof=1) / minor.var(axis=0, ddof=1)).mean())
    global_ratios, shrink = np.array(global_ratios), np.array(global_ratios) - local_ratios
    spread_global, spread_shrink = pairing_spreads(minor, 10_000)
    assert abs(global_ratios.mean() - 1) < 4.5 * spread_global / np.sqrt(5)
    assert shrink.mean() > 4.5 * spread_shrink / np.sqrt(5)


def pairing_spreads(minor: np.ndarray, rows: int, runs: int = 300) -> tuple[float, float]:
    """Standard deviations of one seed's global variance ratio and of its shrink (global
    minus local pairing, same anchors and weights), from ``runs`` simulations of the
    documented process in numpy: balanced anchors, weight max(lam, 1 - lam) drawn by
    scipy, partner uniform or among the anchor's 5 nearest rows (scaled columns)."""
    from scipy import stats
    from sklearn.neighbors import NearestNeighbors

    n = len(minor)
    weights = synthesis_options(
        method="generalized", weights=None, mix_strength=0.5, eps=0.05, finite_sample=True
    ).weights_for(n, rows)
    scaled = (minor - minor.mean(axis=0)) / minor.std(axis=0)
    nearest = NearestNeighbors(n_neighbors=6).fit(scaled).kneighbors(scaled)[1][:, 1:]
    rng = np.random.default_rng(0)
    beta = stats.beta(weights.alpha, weights.beta)
    base = minor.var(axis=0, ddof=1)
    global_ratio, shrink = [], []
    for _ in range(runs):
        anchor = rng.permutation(np.resize(np.arange(n), rows))
        lam = -weights.eps0 + (1 + weights.eps0 + weights.eps1) * beta.rvs(rows, random_state=rng)
        w = np.maximum(lam, 1 - lam)[:, None]
        ratios = []
        for partner in (rng.integers(n, size=rows), nearest[anchor, rng.integers(5, size=rows)]):
            made = w * minor[anchor] + (1 - w) * minor[partner]
            ratios.append((made.var(axis=0, ddof=1) / base).mean())
        global_ratio.append(ratios[0])
        shrink.append(ratios[0] - ratios[1])
    return float(np.std(global_ratio, ddof=1)), float(np.std(shrink, ddof=1))


def test_dataframes_keep_columns_dtypes_and_copy_categories() -> None:
    rng = np.random.default_rng(6)
    n = 120
    label = np.where(rng.random(n) < 0.2, "rare", "common")
    X = pd.DataFrame(
        {
            "size": rng.normal(size=n) + (label == "rare") * 10,
            "count": rng.integers(0, 50, n),
            "colour": pd.Categorical(np.where(label == "rare", "red", "blue")),
            "flag": label == "rare",
        },
        index=np.arange(1000, 1000 + n),
    )
    y = pd.Series(label, name="kind", index=X.index)
    X_res, y_res = MixupOverSampler(random_state=0).fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert X_res.dtypes.equals(X.dtypes) and y_res.name == "kind"
    assert list(X_res.index) == list(range(len(X_res)))
    pd.testing.assert_frame_equal(X_res.iloc[:n], X.reset_index(drop=True))
    new = X_res.iloc[n:]
    assert (y_res.iloc[n:] == "rare").all()
    assert (new["colour"] == "red").all() and new["flag"].all()  # copied from rare donors


def test_random_state_clone_and_params() -> None:
    X, y = imbalanced({0: 50, 1: 10})
    sampler = MixupOverSampler(sampling_strategy="minority", weights="beta:0.4", random_state=7)
    first, second = sampler.fit_resample(X, y)[0], sampler.fit_resample(X, y)[0]
    np.testing.assert_array_equal(first, second)
    copy = clone(sampler)
    assert copy.get_params() == sampler.get_params()
    np.testing.assert_array_equal(copy.fit_resample(X, y)[0], first)
    copy.set_params(random_state=8)
    assert not np.array_equal(copy.fit_resample(X, y)[0], first)
    assert set(sampler.get_params()) == {
        "sampling_strategy",
        "method",
        "weights",
        "k_neighbors",
        "random_state",
    }


def test_inside_an_imbalanced_learn_pipeline() -> None:
    X, y = imbalanced({0: 270, 1: 30}, features=4, seed=9)
    pipeline = Pipeline(
        [("mixup", MixupOverSampler(random_state=0)), ("model", LogisticRegression())]
    )
    scores = cross_val_score(
        pipeline,
        X,
        y,
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
        scoring="balanced_accuracy",
    )
    assert scores.shape == (5,) and np.isfinite(scores).all()
    assert scores.mean() > 0.8  # the classes are well apart: the pipeline does learn
    fitted = pipeline.fit(X, y)
    assert len(fitted.predict(X)) == len(X)  # resampling happens only while fitting


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (0.5, "needs two classes"),
        ({"c": 5}, "already has 10"),
        ({"z": 100}, "class 'z'"),
        ("most", "unknown sampling strategy"),
    ],
)
def test_bad_strategies_are_refused(strategy, message: str) -> None:
    X, y = imbalanced({"a": 60, "b": 25, "c": 10})
    with pytest.raises(MixsynthError, match=message):
        MixupOverSampler(sampling_strategy=strategy).fit_resample(X, y)


def test_bad_data_is_refused() -> None:
    X, y = imbalanced({0: 20, 1: 5})
    sampler = MixupOverSampler()
    with pytest.raises(MixsynthError, match="one label per row of X"):
        sampler.fit_resample(X, y[:-1])
    with pytest.raises(MixsynthError, match="missing labels"):
        sampler.fit_resample(X, np.where(y == 1, np.nan, 0.0))
    with pytest.raises(MixsynthError, match="at least two classes"):
        sampler.fit_resample(X, np.zeros(len(y)))
    with pytest.raises(MixsynthError, match="2-D"):
        sampler.fit_resample(X[:, 0], y)
    with pytest.raises(MixsynthError, match="k_neighbors"):
        MixupOverSampler(k_neighbors=0).fit_resample(X, y)
