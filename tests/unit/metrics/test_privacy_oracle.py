"""The privacy figures against brute force: every distance to the closest record (DCR)
figure and percentile of synthetic and holdout rows, exact copies, and unique-value
leaks on hand-made tables.

The oracle (:mod:`tests.oracles.nearest`) computes the documented distance row against
row with numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.metrics import compare_tables
from mixsynth.metrics.core import Sample
from mixsynth.metrics.privacy import unique_value_leaks
from tests.oracles.nearest import brute_force_dcr

EXACT = 1e-12


def table(n: int, seed: int, duplicates: int = 0) -> pd.DataFrame:
    """Ties (two decimals, a column of few values), gaps, a category with missing values,
    one of 40 values (so that the closest row often differs in it), and ``duplicates``
    repeated rows (real duplicates put holdout rows at distance 0)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": np.round(rng.normal(size=n), 2),
            "b": rng.integers(0, 5, n).astype(float),
            "c": rng.gamma(2.0, size=n),
            "kind": pd.Series(rng.choice(["x", "y", "z"], n), dtype=object),
            "size": pd.Series(rng.choice([f"s{i}" for i in range(40)], n), dtype=object),
        }
    )
    frame.loc[rng.random(n) < 0.1, "c"] = np.nan
    frame.loc[rng.random(n) < 0.05, "kind"] = None
    if duplicates:
        frame.iloc[:duplicates] = frame.iloc[n - duplicates :].to_numpy()
    return frame


def synthetic_of(real: pd.DataFrame, seed: int, copies: int) -> pd.DataFrame:
    """A third more rows than the real table: near-copies of real rows (small noise,
    inside the real range, categories sometimes changed), the first ``copies`` exact
    (drawn with replacement, so a real row may be copied twice)."""
    rng = np.random.default_rng(seed)
    rows = len(real) * 4 // 3
    out = real.sample(rows, replace=True, random_state=seed).reset_index(drop=True)
    out.iloc[:copies] = real.iloc[rng.integers(0, 3, copies)].to_numpy()
    noisy = np.arange(len(out)) >= copies
    out.loc[noisy & (rng.random(rows) < 0.3), "size"] = "s0"
    for name in ("a", "c"):
        low, high = real[name].min(), real[name].max()
        moved = out[name] + rng.normal(scale=0.05 * (high - low), size=len(out))
        out.loc[noisy, name] = moved.clip(low, high)[noisy]
    return out


CASES = [(120, 1, 0, 5), (200, 2, 8, 0), (151, 3, 3, 7)]


@pytest.mark.parametrize(("n", "seed", "duplicates", "copies"), CASES)
@pytest.mark.parametrize("compare_seed", [0, 7])
def test_dcr_figures_are_brute_force_nearest_records(n, seed, duplicates, copies, compare_seed):
    real = table(n, seed, duplicates)
    synthetic = synthetic_of(real, seed + 100, copies)
    found = compare_tables(real, synthetic, seed=compare_seed)["privacy"]
    sample = Sample.draw(len(real), len(synthetic), 10_000, compare_seed)
    reference = real.iloc[sample.reference]
    # b, five integer codes, means categories (generate copies it, compare compares it so)
    ours = brute_force_dcr(real, synthetic.iloc[sample.synthetic], reference, codes=("b",))
    holdout = brute_force_dcr(real, real.iloc[sample.holdout], reference, codes=("b",))
    assert found["dcr_median"] == pytest.approx(np.median(ours), abs=EXACT)
    assert found["dcr_p5"] == pytest.approx(np.percentile(ours, 5), abs=EXACT)
    assert found["holdout_dcr_median"] == pytest.approx(np.median(holdout), abs=EXACT)
    assert found["holdout_dcr_p5"] == pytest.approx(np.percentile(holdout, 5), abs=EXACT)
    assert found["synthetic_zero_distance_share"] == pytest.approx(np.mean(ours == 0), abs=EXACT)
    assert found["holdout_exact_copy_share"] == pytest.approx(np.mean(holdout == 0), abs=EXACT)
    assert (found["reference_rows"], found["holdout_rows"], found["synthetic_rows"]) == (
        len(reference),
        len(sample.holdout),
        len(sample.synthetic),
    )
    # The figures are told apart: the 5th percentile is not the 10th, nor the median.
    for distances in (ours, holdout):
        assert np.percentile(distances, 5) not in (
            np.percentile(distances, 10),
            np.median(distances),
        )


def rows_as_tuples(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple("<NA>" if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)
    ]


@pytest.mark.parametrize(("n", "seed", "duplicates", "copies"), CASES)
def test_exact_copy_share_counts_every_synthetic_row_equal_to_a_real_row(
    n, seed, duplicates, copies
) -> None:
    real = table(n, seed, duplicates)
    synthetic = synthetic_of(real, seed + 100, copies)
    known = set(rows_as_tuples(real))
    expected = np.mean([row in known for row in rows_as_tuples(synthetic)])
    assert expected >= copies / len(synthetic)  # the planted copies at least
    if copies:  # not the share of real rows copied: the copies repeat three real rows
        made = set(rows_as_tuples(synthetic))
        assert np.mean([row in made for row in rows_as_tuples(real)]) != expected
    found = compare_tables(real, synthetic)["privacy"]["exact_copy_share"]
    assert found == pytest.approx(expected, abs=EXACT)


def test_unique_value_leak_share_at_intermediate_values() -> None:
    """Real values once: b, c, d (a twice; missing is no value). Of 8 synthetic rows,
    3 carry one of them (b, b, c): 3/8; a missing or a new value leaks nothing."""
    real = pd.DataFrame({"code": ["a", "a", "b", "c", "d", None, None]})
    synthetic = pd.DataFrame({"code": ["a", "b", "b", "c", None, "x", "a", "e"]})
    assert unique_value_leaks(real, synthetic, ["code"]) == {"code": 3 / 8}
    synthetic = pd.DataFrame({"code": ["d", "a", "a", "x"]})
    assert unique_value_leaks(real, synthetic, ["code"]) == {"code": 1 / 4}


def test_unique_value_leak_share_in_the_report() -> None:
    """Through compare: a category column whose every value occurs twice but two (q, r)."""
    values = [f"v{i // 2}" for i in range(40)] + ["q", "r"]
    real = pd.DataFrame({"code": values, "x": np.arange(42.0)})
    synthetic = pd.DataFrame({"code": ["q"] * 3 + ["v1"] * 9 + ["r"] * 2, "x": np.arange(14.0)})
    leaks = compare_tables(real, synthetic, categorical=["code"])["privacy"]["unique_value_leaks"]
    assert leaks["code"] == pytest.approx(5 / 14, abs=EXACT)
