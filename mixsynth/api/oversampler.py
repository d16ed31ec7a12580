r"""MixupOverSampler: class balancing by group-wise mixup, with imbalanced-learn's API.

Each new row of class :math:`c` is

.. math:: \tilde x = x_o + w\,(x_d - x_o), \qquad w = \max(\lambda, 1 - \lambda),

with :math:`d` (the anchor) and :math:`o` two rows of class :math:`c` and one weight
:math:`\lambda` per row from the weight distribution. SMOTE's rule,
``X[rows] + steps * diffs`` with the partner among the k nearest neighbours and
``steps`` uniform in [0, 1], is the same form with a local partner and vanilla weights.
"""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator

from mixsynth.choices import Bounds
from mixsynth.engine.balance import SamplingStrategy, new_rows_per_class, oversample
from mixsynth.engine.given import given_default, only_declared, synthesis_options, with_options
from mixsynth.errors import InputError, OptionError

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

#: The synthesis options the over-sampler takes; the others are fixed in fit_resample
#: (features are mixed by storage type, as SMOTE does).
OPTIONS = ("method", "weights")


class MixupOverSampler(BaseEstimator):
    """Over-sample the smaller classes with mixup inside each class.

    Parameters
    ----------
    sampling_strategy : str, float, dict or callable, default="auto"
        As in imbalanced-learn's over-samplers: ``"auto"`` (= ``"not majority"``),
        ``"minority"``, ``"not minority"``, ``"not majority"``, ``"all"`` raise the
        chosen classes to the majority's count; a float in (0, 1] (two classes) makes
        the minority that share of the majority; a dict ``{class: total rows}``; a
        callable ``y -> dict``.
    method : {"generalized", "vanilla"} or None, default=None
        None: generalized (variance-preserving) unless ``weights`` lie inside [0, 1].
    weights : str or WeightDistribution, default=None
        A weight spec, e.g. ``"beta:0.2,0.2"``; None: the method's default weights.
    k_neighbors : int, default=None
        None: the partner of each new row is any row of its class (the theory's
        independent pair, which keeps the class's variance with generalized weights).
        An integer k: the partner is one of the anchor's k nearest rows of its class,
        as in SMOTE; new rows stay in the anchor's neighbourhood, but the class's
        variance shrinks (``benchmarks/bench_balance.py`` measures both).
    random_state : int, numpy Generator or None, default=None
        The same integer gives the same rows on every call.

    Attributes
    ----------
    sampling_strategy_ : dict
        Rows made for each class by the last ``fit_resample``.
    """

    def __init__(
        self,
        sampling_strategy: SamplingStrategy = "auto",
        *,
        k_neighbors: int | None = None,
        random_state: int | np.random.Generator | None = None,
        **options: Any,
    ) -> None:
        only_declared("MixupOverSampler", options, OPTIONS)
        self.sampling_strategy = sampling_strategy
        self.k_neighbors = k_neighbors
        self.random_state = random_state
        for name in OPTIONS:  # scikit-learn's get_params reads them back by name
            setattr(self, name, options.get(name, given_default(name)))

    #: The options are declared once, in SynthesisOptions: scikit-learn's get_params,
    #: help() and IDEs read this signature.
    __init__.__signature__ = with_options(__init__, OPTIONS)  # type: ignore[attr-defined]

    def fit(self, X: ArrayLike | pd.DataFrame, y: ArrayLike | pd.Series) -> MixupOverSampler:
        """Check the data and work out the rows per class (``sampling_strategy_``)."""
        self.fit_resample(X, y)
        return self

    def fit_resample(
        self, X: ArrayLike | pd.DataFrame, y: ArrayLike | pd.Series
    ) -> tuple[np.ndarray | pd.DataFrame, np.ndarray | pd.Series]:
        """``(X_res, y_res)``: the original rows, then the new ones, class after class.

        ``X`` is a 2-D array or a pandas DataFrame (categorical, boolean and string
        columns are copied from the donor rows); ``y`` holds one label per row. The
        result has the input's types: arrays stay arrays of ``X``'s dtype, a DataFrame
        stays a DataFrame (new index 0..n-1) and a Series stays a Series.
        """
        import pandas as pd

        frame, labels = _checked(X, y)
        classes, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
        strategy = self.sampling_strategy
        if callable(strategy):
            strategy = strategy(labels)
        new = new_rows_per_class(classes, counts, strategy)
        self.sampling_strategy_ = {
            label: int(count) for label, count in zip(classes.tolist(), new, strict=True)
        }
        # Features are taken by their storage type, as SMOTE takes them: numbers are
        # mixed (no semantic inference, no rounding to decimals, no range folding);
        # categories, booleans and text are copied from the dominant donor.
        options = synthesis_options(
            **{name: getattr(self, name) for name in OPTIONS},
            bounds=Bounds.NONE,
            semantics=False,
            round_decimals=False,
        )
        made = oversample(
            frame, codes.ravel(), new, options, _generator(self.random_state), None, self._k()
        )
        y_new = np.repeat(classes, new)
        if made is None:
            made = frame.iloc[:0]
        if isinstance(X, pd.DataFrame):
            X_res = pd.concat([frame, made], ignore_index=True)
            X_res.columns = X.columns
        else:
            X_array = np.asarray(X)
            X_res = np.concatenate([X_array, made.to_numpy(dtype=X_array.dtype)])
        y_res = np.concatenate([labels, y_new.astype(labels.dtype, copy=False)])
        if isinstance(y, pd.Series):
            y_res = pd.Series(y_res, name=y.name, dtype=y.dtype)
        return X_res, y_res

    def _k(self) -> int | None:
        k = self.k_neighbors
        if k is None:
            return None
        if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
            raise OptionError(f"k_neighbors must be None or an integer >= 1, got {k!r}")
        return int(k)


def _checked(
    X: ArrayLike | pd.DataFrame, y: ArrayLike | pd.Series
) -> tuple[pd.DataFrame, np.ndarray]:
    """X as a DataFrame with string column names, y as a 1-D array; both checked."""
    import pandas as pd

    if hasattr(X, "toarray") or hasattr(X, "sparse"):
        raise InputError("sparse X is not supported", "give a dense array or a DataFrame")
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True)
        frame.columns = [str(c) for c in X.columns]
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise InputError(
                f"X must be 2-D (rows x features), got {array.ndim} dimension(s)",
                "reshape it, e.g. X.reshape(-1, 1) for one feature",
            )
        frame = pd.DataFrame({f"x{i}": array[:, i] for i in range(array.shape[1])})
    labels = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.ravel()
    if labels.ndim != 1:
        raise InputError("y must hold one label per row (1-D)", "give a 1-D array or a Series")
    if len(labels) != len(frame):
        raise InputError(
            f"X has {len(frame)} rows but y has {len(labels)} labels",
            "give one label per row of X",
        )
    if pd.isna(labels).any():
        raise InputError("y has missing labels", "drop the rows without a label first")
    return frame, labels


def _generator(random_state: Any) -> np.random.Generator:
    """A numpy Generator from an int, None, a Generator or a legacy RandomState."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    try:
        return np.random.default_rng(random_state)
    except (TypeError, ValueError):
        raise OptionError(
            f"cannot use random_state {random_state!r}",
            "give None, an integer or a numpy Generator",
        ) from None
