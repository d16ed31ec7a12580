"""A made-up shop with known relations, at any size: customers, their orders, the
orders' items, and the products items name (an item has two parents).

Relations built in (so that a synthesizer's keeping them can be measured):
- income grows with age; a customer's number of orders grows with income
  (Poisson with mean 1 + 4 * income / 100,000);
- an order's amount grows with its customer's income, and web orders are larger;
- an order's number of items is 1 + Poisson(2), one more for business customers;
- an item's unit price is its product's list price with a discount, times 1.2 for
  customers above 80,000 of income.

``python benchmarks/relational_data.py OUT_DIR [CUSTOMERS]`` writes the four tables and
their SDV metadata (``metadata.json``); sample_data/shop/ is ``... sample_data/shop 1000``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

PRODUCTS = 40

METADATA = {
    "METADATA_SPEC_VERSION": "V1",
    "tables": {
        "customers": {
            "primary_key": "customer_id",
            "columns": {
                "customer_id": {"sdtype": "id"},
                "age": {"sdtype": "numerical"},
                "income": {"sdtype": "numerical"},
                "segment": {"sdtype": "categorical"},
                "signup_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
            },
        },
        "products": {
            "primary_key": "product_id",
            "columns": {
                "product_id": {"sdtype": "id"},
                "category": {"sdtype": "categorical"},
                "list_price": {"sdtype": "numerical"},
            },
        },
        "orders": {
            "primary_key": "order_id",
            "columns": {
                "order_id": {"sdtype": "id"},
                "customer_id": {"sdtype": "id"},
                "channel": {"sdtype": "categorical"},
                "amount": {"sdtype": "numerical"},
                "order_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
            },
        },
        "items": {
            "primary_key": "item_id",
            "columns": {
                "item_id": {"sdtype": "id"},
                "order_id": {"sdtype": "id"},
                "product_id": {"sdtype": "id"},
                "quantity": {"sdtype": "numerical"},
                "unit_price": {"sdtype": "numerical"},
            },
        },
    },
    "relationships": [
        {
            "parent_table_name": "customers",
            "parent_primary_key": "customer_id",
            "child_table_name": "orders",
            "child_foreign_key": "customer_id",
        },
        {
            "parent_table_name": "orders",
            "parent_primary_key": "order_id",
            "child_table_name": "items",
            "child_foreign_key": "order_id",
        },
        {
            "parent_table_name": "products",
            "parent_primary_key": "product_id",
            "child_table_name": "items",
            "child_foreign_key": "product_id",
        },
    ],
}


def make_shop(customers: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The four tables, ``customers`` customers (about 3x orders, 9x items)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 81, customers)
    income = np.round(np.exp(rng.normal(10.4 + 0.012 * (age - 18), 0.45)), -2)
    business = rng.random(customers) < 0.25
    signup = np.datetime64("2020-01-01") + rng.integers(0, 1461, customers).astype("timedelta64[D]")
    customer_table = pd.DataFrame(
        {
            "customer_id": np.arange(1, customers + 1),
            "age": age,
            "income": income,
            "segment": np.where(business, "business", "consumer"),
            "signup_date": signup,
        }
    )
    product_table = pd.DataFrame(
        {
            "product_id": np.arange(101, 101 + PRODUCTS),
            "category": rng.choice(["books", "garden", "kitchen", "toys"], PRODUCTS),
            "list_price": np.round(np.exp(rng.normal(3.0, 0.7, PRODUCTS)), 2),
        }
    )
    counts = rng.poisson(1 + 4 * income / 100_000)
    owner = np.repeat(np.arange(customers), counts)
    web = rng.random(owner.size) < 0.6
    order_table = pd.DataFrame(
        {
            "order_id": np.arange(1, owner.size + 1),
            "customer_id": owner + 1,
            "channel": np.where(web, "web", "store"),
            "amount": np.round(
                np.exp(rng.normal(3.2 + 0.45 * np.log(income[owner] / 30_000) + 0.3 * web, 0.5)), 2
            ),
            "order_date": signup[owner] + rng.integers(0, 700, owner.size).astype("timedelta64[D]"),
        }
    )
    items_per_order = 1 + rng.poisson(2, owner.size) + business[owner]
    order = np.repeat(np.arange(owner.size), items_per_order)
    product = rng.integers(0, PRODUCTS, order.size)
    rich = income[owner[order]] > 80_000
    price = product_table["list_price"].to_numpy()[product] * rng.uniform(0.7, 1.0, order.size)
    item_table = pd.DataFrame(
        {
            "item_id": np.arange(1, order.size + 1),
            "order_id": order + 1,
            "product_id": product + 101,
            "quantity": 1 + rng.poisson(0.8, order.size),
            "unit_price": np.round(price * np.where(rich, 1.2, 1.0), 2),
        }
    )
    return {
        "customers": customer_table,
        "products": product_table,
        "orders": order_table,
        "items": item_table,
    }


def write_shop(folder: str | Path, customers: int, seed: int = 0) -> None:
    """The tables as CSV files and their metadata, in ``folder``."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in make_shop(customers, seed).items():
        frame.to_csv(root / f"{name}.csv", index=False)
    (root / "metadata.json").write_text(json.dumps(METADATA, indent=2) + "\n")


if __name__ == "__main__":
    write_shop(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
