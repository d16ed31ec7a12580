"""Rules found in the data: what every real row holds, and nothing else."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.rules import Linear, RuleData
from tests.unit.rules.tables import cars, orders, panel, panels, weather


def detected(frame: pd.DataFrame) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [rule.describe() for rule in Reference.of(frame).rules]


def test_orders_sums_and_a_tax_to_the_cent():
    found = detected(orders())
    assert "tax = 0.08 * subtotal - 0.08 * discount" in found
    assert "total = subtotal - discount + tax + shipping" in found
    assert "discount < subtotal" in found
    # A chain is listed by its links: ordered <= shipped < delivered, not ordered < delivered.
    assert "ordered <= shipped" in found and "shipped < delivered" in found
    assert not any(rule.startswith("ordered <") and "delivered" in rule for rule in found)


def test_every_detected_rule_holds_in_every_real_row():
    for frame in (orders(), weather(), panel(), cars()):
        data = RuleData(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rules = Reference.of(frame).rules
        assert rules
        for rule in rules:
            assert data.holds(rule).all(), rule.describe()


def test_one_breaking_row_and_it_is_not_a_rule():
    frame = orders()
    frame.loc[7, "tax"] += 0.02  # a cent and more off its rule
    frame.loc[9, ["ordered", "shipped"]] = frame.loc[9, ["shipped", "ordered"]].to_numpy()
    frame.loc[9, "ordered"] += pd.Timedelta(days=1)
    found = detected(frame)
    assert not any(rule.startswith("tax =") for rule in found)
    assert "ordered <= shipped" not in found


def test_an_order_the_ranges_imply_is_no_rule():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.uniform(18, 90, 500), "income": rng.uniform(1e3, 1e5, 500)})
    assert detected(frame) == []


def test_a_daily_series_has_a_time_index_and_a_panel_its_firm_years():
    assert "time index: date, every 1 day" in detected(weather())
    assert "time index: year per firm, every 1" in detected(panel())


def test_model_years_sit_on_1_january():
    assert detected(cars()) == ["model_year: yearly, on 1 January"]


def test_monthly_and_weekly_grids():
    months = pd.date_range("2020-01-01", periods=40, freq="MS")
    weeks = pd.date_range("2020-01-06", periods=40, freq="7D")  # Mondays
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"month": rng.permutation(months), "week": rng.permutation(weeks), "x": rng.random(40)}
    )
    found = detected(frame)
    assert "month: monthly, on the 1st" in found and "week: weekly, one weekday" in found


def test_detection_can_be_turned_off():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert Reference.of(orders(), SynthesisOptions(detect_rules=False)).rules == ()


def test_an_exact_equality_without_rounding():
    rng = np.random.default_rng(2)
    share = rng.dirichlet([2, 3, 4], 300)
    frame = pd.DataFrame(share, columns=["a", "b", "c"])
    (rule,) = [r for r in Reference.of(frame).rules if isinstance(r, Linear) and r.op == "=="]
    assert rule.describe() == "c = -a - b + 1"


def test_columns_holding_infinities_are_no_terms_of_an_equality():
    """Least squares on a column holding an infinity does not converge (a LinAlgError
    reached the command line: found by the fuzz test); such columns are left out of
    equalities, while the finite columns' rule is still found."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.dirichlet([2, 3, 4], 300), columns=["a", "b", "c"])
    x = rng.normal(size=300)
    x[5] = np.inf
    frame["x"], frame["y"] = x, 2 * x
    equalities = [r for r in Reference.of(frame).rules if isinstance(r, Linear) and r.op == "=="]
    assert [r.describe() for r in equalities] == ["c = -a - b + 1"]


@pytest.mark.slow
def test_detection_stays_cheap_on_a_wide_table():
    """200 numeric columns, 100,000 rows: the searches are capped (MAX_COLUMNS)."""
    import time

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(100_000, 200)), columns=[f"c{i}" for i in range(200)])
    start = time.process_time()
    Reference.of(frame)
    assert time.process_time() - start < 10


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("firm number x year", "time index: year per firm, every 1"),
        ("string id x date", "time index: year per firm, every 1 year"),
        ("store x quarter", "time index: quarter per store, every 3 months"),
        ("firm x year x product", "unique together: year, product, firm"),
    ],
)
def test_panels_keyed_as_real_tables_key_them(name, rule):
    """Two integer columns, a string id and a date, three columns: found, listed once."""
    found = detected(panels()[name])
    assert rule in found
    assert sum(r.startswith(("time index", "unique together")) for r in found) == 1


@pytest.mark.parametrize("per_store", [False, True], ids=["series", "panel"])
def test_a_monthly_series_is_a_time_index(per_store):
    """Months are 28 to 31 days long: 10 % apart, where a year's steps are 0.3 %
    apart. Within 3 % of the usual step, ggplot2's economics (574 months) had been no
    time index: its dates were mixed, and after 10 generations 40 % of its rows shared
    their month with another row. Dates at random times of the month stay none."""
    rng = np.random.default_rng(4)
    months = pd.date_range("1990-01-01", periods=120, freq="MS")
    stores = np.repeat(["a", "b", "c"], 120) if per_store else None
    dates = np.tile(months, 3) if per_store else months
    frame = pd.DataFrame({"date": dates, "sales": rng.normal(size=len(dates))})
    if per_store:
        frame.insert(0, "store", stores)
    per = " per store" if per_store else ""
    assert f"time index: date{per}, every 1 month" in detected(frame)
    frame["date"] = frame["date"] + pd.to_timedelta(rng.integers(0, 27, len(frame)), unit="D")
    assert not any(r.startswith("time index") for r in detected(frame))


def test_integer_columns_unique_together_by_chance_are_no_key():
    """age (60 values) and an income in whole dollars (few repeats): unique together in
    500 rows, but they fill 1.7 % of their grid, where a panel fills most of it."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"age": rng.integers(18, 78, 500), "income": rng.integers(0, 30_000, 500)})
    while frame.duplicated().any():
        frame = frame.drop_duplicates()
    assert frame.income.nunique() < len(frame)  # repeats: income alone is no key
    assert not any(r.startswith(("time index", "unique")) for r in detected(frame))


def test_a_column_nearly_unique_alone_is_no_time_of_a_key():
    """A plan (3 values) and an income 99.5% distinct: unique together, and the pairs
    fill a third of their grid, over the density a panel needs; but income is no time
    its plans repeat. Taken for a key, income was copied whole from the donor (a
    univariate singling-out risk of +0.49 over real rows on customers)."""
    rng = np.random.default_rng(5)
    income = rng.choice(np.arange(20_000, 21_000), 660, replace=False)
    income[:3] = income[4:7]  # a few repeats, each under another plan
    plan = np.array(["free", "basic", "pro"])[np.arange(660) % 3]
    frame = pd.DataFrame({"plan": plan, "income": income})
    assert not frame.duplicated().any() and frame.income.nunique() < len(frame)
    assert len(frame) >= 0.25 * frame.plan.nunique() * frame.income.nunique()
    assert not any(r.startswith(("time index", "unique")) for r in detected(frame))
