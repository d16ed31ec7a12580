"""Seeded tables with the rules of issue 21: orders with sums and a tax to the cent,
a seasonal daily weather series, a firm-year panel, model years stored as dates."""

from __future__ import annotations

import numpy as np
import pandas as pd


def orders(n: int = 1500, seed: int = 1) -> pd.DataFrame:
    """tax = 0.08 (subtotal - discount) to the cent, total = subtotal - discount + tax +
    shipping, discount < subtotal (half the discounts 0), ship date <= delivery date."""
    rng = np.random.default_rng(seed)
    subtotal = np.round(rng.gamma(2, 50, n), 2) + 1
    discount = np.where(rng.random(n) < 0.5, 0, np.round(subtotal * rng.random(n) * 0.3, 2))
    tax = np.round(0.08 * (subtotal - discount), 2)
    shipping = rng.choice([0, 4.99, 9.99], n)
    ordered = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D")
    shipped = ordered + pd.to_timedelta(rng.integers(0, 5, n), "D")
    return pd.DataFrame(
        {
            "subtotal": subtotal,
            "discount": discount,
            "tax": tax,
            "shipping": shipping,
            "total": np.round(subtotal - discount + tax + shipping, 2),
            "ordered": ordered,
            "shipped": shipped,
            "delivered": shipped + pd.to_timedelta(rng.integers(1, 9, n), "D"),
        }
    )


def weather(years: float = 4, seed: int = 0) -> pd.DataFrame:
    """One row per day: temp_max seasonal (corr. ~0.85 with -cos(2 pi doy / 365.25)) with
    AR(1) noise, temp_min below it."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-01-01", periods=int(365.25 * years), freq="D")
    season = -np.cos(2 * np.pi * dates.dayofyear.to_numpy() / 365.25)
    noise, shocks = np.zeros(len(dates)), rng.normal(0, 3, len(dates))
    for day in range(1, len(dates)):
        noise[day] = 0.7 * noise[day - 1] + shocks[day]
    temp_max = np.round(15 + 10 * season + noise, 1)
    return pd.DataFrame(
        {
            "date": dates,
            "temp_min": np.round(temp_max - rng.gamma(3, 2, len(dates)) - 0.1, 1),
            "temp_max": temp_max,
            "rain": np.round(rng.gamma(0.5, 4, len(dates)), 1),
        }
    )


def panel(firms: int = 60, years: int = 12, seed: int = 0) -> pd.DataFrame:
    """One row per firm and year (an integer), revenue growing along each firm."""
    rng = np.random.default_rng(seed)
    rows = []
    for firm in range(firms):
        level = rng.normal(100, 30)
        for year in range(2005, 2005 + years):
            level *= np.exp(rng.normal(0.03, 0.1))
            rows.append((f"firm{firm:03d}", year, round(level, 2), round(level * 0.1, 2)))
    return pd.DataFrame(rows, columns=["firm", "year", "revenue", "costs"])


def cars(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Model years stored as dates, all on 1 January."""
    rng = np.random.default_rng(seed)
    years = rng.integers(1970, 1983, n)
    return pd.DataFrame(
        {
            "model_year": pd.to_datetime([f"{year}-01-01" for year in years]),
            "mpg": np.round(rng.normal(23, 6, n), 1),
            "weight": rng.integers(1600, 5000, n),
        }
    )


def seasonal_correlation(frame: pd.DataFrame) -> float:
    """corr(temp_max, -cos(2 pi day of year / 365.25))."""
    day = frame["date"].dt.dayofyear.to_numpy()
    return float(np.corrcoef(frame["temp_max"], -np.cos(2 * np.pi * day / 365.25))[0, 1])


def lag1_autocorrelation(frame: pd.DataFrame) -> float:
    """temp_max's correlation with the day before's, in date order."""
    values = frame.sort_values("date")["temp_max"].to_numpy()
    return float(np.corrcoef(values[:-1], values[1:])[0, 1])


def panels(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Panels as real tables key them: a firm number and a year (two integer columns), a
    string id and a date, a store number and quarters, and a firm, a year and a product
    (three columns, one row each)."""
    rng = np.random.default_rng(seed)
    firms = panel(seed=seed)
    quarters = pd.DataFrame(
        [
            (store, quarter)
            for store in range(40)
            for quarter in pd.date_range("2015-01-01", periods=16, freq="QS")
        ],
        columns=["store", "quarter"],
    )
    quarters["sales"] = np.round(rng.gamma(2, 100, len(quarters)), 2)
    products = pd.DataFrame(
        [
            (firm, year, product)
            for firm in range(20)
            for year in range(2010, 2016)
            for product in "ABC"
        ],
        columns=["firm", "year", "product"],
    )
    products["units"] = rng.integers(1, 100, len(products))
    return {
        "firm number x year": firms.assign(firm=firms.firm.str[4:].astype(int)),
        "string id x date": firms.assign(
            firm=firms.firm.str.replace("firm", "F-"),
            year=pd.to_datetime(firms.year.astype(str) + "-01-01"),
        ),
        "store x quarter": quarters,
        "firm x year x product": products,
    }


def signups(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """As sample_data/customers.csv: a signup date over five years and its year as a code
    (copied), its month as a number, a plan and a spend; nothing else ties them."""
    rng = np.random.default_rng(seed)
    date = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1826, n), "D")
    return pd.DataFrame(
        {
            "plan": rng.choice(["free", "basic", "pro"], n),
            "spend": np.round(rng.gamma(2, 30, n), 2),
            "signup_year": date.year,
            "signup_month": date.month,
            "signup_date": date,
        }
    )


def close_orders(n: int = 2000, seed: int = 1) -> pd.DataFrame:
    """Small whole numbers (rounding puts many mixed rows back on a donor, so copy repair
    runs on every rule's columns): low <= high <= total, total = low + high + extra, a
    month (a number) that is the month of a date on the 1st of the month, a category."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 4, n)
    low = base * 10 + rng.integers(0, 3, n)
    high = low + rng.integers(0, 3, n)
    extra = rng.integers(0, 40, n)
    date = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 3, n) * 31, "D")
    date = date.to_period("M").to_timestamp()
    return pd.DataFrame(
        {
            "low": low,
            "high": high,
            "total": low + high + extra,
            "extra": extra,
            "month": date.month,
            "date": date,
            "label": np.where(base > 1, "hi", "lo"),
        }
    )
