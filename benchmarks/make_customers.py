"""Write sample_data/customers.csv: a realistic, entirely fake customer table.

It has what a data release must handle (README, "Column semantics"): an integer key,
a text key, names, e-mails and phone numbers, zip codes with leading zeros, a plan,
a spend that is exactly 0 on the free plan (a point mass tied to a category),
counts, ratings 1-5, years, dates and a 0/1 label. Every value is made up (Faker,
seeded): no real person is in it. Run: python benchmarks/make_customers.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from faker import Faker

ROWS = 2000
SEED = 20261127


def customers(rows: int = ROWS, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    names = [fake.unique.name() for _ in range(rows)]
    emails = [
        f"{n.lower().replace(' ', '.').replace('..', '.')}{i}@{fake.free_email_domain()}"
        for i, n in enumerate(names)
    ]
    phones = [fake.unique.numerify("(###) ###-####") for _ in range(rows)]
    zips = np.array([f"{z:05d}" for z in rng.choice(99_999, 150, replace=False)])
    zips[:20] = [f"0{z:04d}" for z in rng.choice(9_999, 20, replace=False)]  # New England
    plan = rng.choice(["free", "basic", "pro"], rows, p=[0.35, 0.45, 0.20])
    age = np.clip(rng.normal(41, 13, rows).round(), 18, 90).astype(int)
    income = np.round(rng.lognormal(10.9, 0.45, rows)).astype(int)
    tenure = np.minimum(rng.geometric(1 / 30, rows) - 1, 120)
    base = np.where(plan == "pro", 79.0, 29.0) + rng.gamma(2.0, 12.0, rows)
    spend = np.where(plan == "free", 0.0, np.round(base, 2))
    orders = rng.poisson(np.where(plan == "free", 2, 6) + tenure / 12)
    rating = rng.choice([1, 2, 3, 4, 5], rows, p=[0.05, 0.08, 0.2, 0.37, 0.3])
    year = rng.choice([2019, 2020, 2021, 2022, 2023], rows)
    day = rng.integers(0, 365, rows)
    date = pd.to_datetime([f"{y}-01-01" for y in year]) + pd.to_timedelta(day, unit="D")
    churned = (rng.random(rows) < 1 / (1 + np.exp(1.5 + 0.04 * tenure - (plan == "free")))).astype(
        int
    )
    return pd.DataFrame(
        {
            "customer_id": 100_001 + rng.permutation(rows),
            "account_code": [f"AC-{v:05d}" for v in rng.choice(100_000, rows, replace=False)],
            "full_name": names,
            "email": emails,
            "phone": phones,
            "zip_code": rng.choice(zips, rows),
            "plan": plan,
            "age": age,
            "income": income,
            "tenure_months": tenure,
            "monthly_spend": spend,
            "n_orders": orders,
            "rating": rating,
            "signup_year": year,
            "signup_date": date.date,
            "churned": churned,
        }
    )


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "sample_data" / "customers.csv"
    customers().to_csv(out, index=False)
    print(f"wrote {out}")
