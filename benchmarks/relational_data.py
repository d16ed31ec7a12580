"""A made-up shop with known relations, at any size: customers, their orders, the
orders' items, and the products items name (an item has two parents).

Relations built in (so that a synthesizer's keeping them can be measured):
- income grows with age; a customer's number of orders grows with income
  (Poisson with mean 1 + 4 * income / 100,000);
- an order's amount grows with its customer's income, and web orders are larger;
- an order's number of items is 1 + Poisson(2), one more for business customers;
- an item's unit price is its product's list price with a discount, times 1.2 for
  customers above 80,000 of income.

``python benchmarks/relational_data.py OUT_DIR [ROWS] [shop|bank]`` writes the four tables
and their SDV metadata (``metadata.json``); sample_data/shop/ is ``... sample_data/shop
1000``. The bank (:func:`make_bank`) is a second dataset, built otherwise.
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


def make_shop(customers: int, seed: int = 0, order_rate: float = 1.0) -> dict[str, pd.DataFrame]:
    """The four tables, ``customers`` customers (about 3.1 orders each and 3.3 items
    per order; ``order_rate`` times as many orders, e.g. 1.6 for 5 per customer)."""
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
    counts = rng.poisson(order_rate * (1 + 4 * income / 100_000))
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


def _link(parent: str, key: str, child: str, foreign_key: str | None = None) -> dict:
    return {
        "parent_table_name": parent,
        "parent_primary_key": key,
        "child_table_name": child,
        "child_foreign_key": foreign_key or key,
    }


MERCHANTS = 300

#: A second made-up dataset, unlike the shop: clients, their accounts (many clients have
#: none; how many follows the segment more than income), the accounts' transactions (a
#: heavy-tailed amount, by account kind and merchant), and the merchants transactions
#: name (a second parent with a category and a typical ticket).
BANK_METADATA = {
    "METADATA_SPEC_VERSION": "V1",
    "tables": {
        "clients": {
            "primary_key": "client_id",
            "columns": {
                "client_id": {"sdtype": "id"},
                "age": {"sdtype": "numerical"},
                "income": {"sdtype": "numerical"},
                "segment": {"sdtype": "categorical"},
                "region": {"sdtype": "categorical"},
            },
        },
        "merchants": {
            "primary_key": "merchant_id",
            "columns": {
                "merchant_id": {"sdtype": "id"},
                "sector": {"sdtype": "categorical"},
                "ticket": {"sdtype": "numerical"},
            },
        },
        "accounts": {
            "primary_key": "account_id",
            "columns": {
                "account_id": {"sdtype": "id"},
                "client_id": {"sdtype": "id"},
                "kind": {"sdtype": "categorical"},
                "credit_limit": {"sdtype": "numerical"},
                "opened": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
            },
        },
        "transactions": {
            "primary_key": "transaction_id",
            "columns": {
                "transaction_id": {"sdtype": "id"},
                "account_id": {"sdtype": "id"},
                "merchant_id": {"sdtype": "id"},
                "amount": {"sdtype": "numerical"},
                "online": {"sdtype": "boolean"},
            },
        },
    },
    "relationships": [
        _link("clients", "client_id", "accounts"),
        _link("accounts", "account_id", "transactions"),
        _link("merchants", "merchant_id", "transactions"),
    ],
}


def make_bank(clients: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The bank's four tables, ``clients`` clients (about 1.3x accounts, 8x transactions).

    Built in: income grows with age; premium clients hold 2-5 accounts, retail 0-2
    (a third none), so the number of accounts follows the segment and, through it,
    income; a credit limit grows with income; an account's transactions are Poisson,
    mean 10 for a credit account and 2 for a current one, 1.5 times that for clients
    under 40; an amount is the merchant's ticket times a lognormal factor, doubled for
    premium clients.
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 90, clients)
    premium = rng.random(clients) < 0.15
    income = np.round(np.exp(rng.normal(10.2 + 0.01 * (age - 20) + 0.6 * premium, 0.5)), -2)
    client_table = pd.DataFrame(
        {
            "client_id": np.arange(10_001, 10_001 + clients),
            "age": age,
            "income": income,
            "segment": np.where(premium, "premium", "retail"),
            "region": rng.choice(["north", "south", "east", "west", "centre"], clients),
        }
    )
    ticket = np.round(np.exp(rng.normal(3.0, 0.9, MERCHANTS)), 2)
    merchant_table = pd.DataFrame(
        {
            "merchant_id": np.arange(1, MERCHANTS + 1),
            "sector": rng.choice(["food", "travel", "fuel", "retail", "online"], MERCHANTS),
            "ticket": ticket,
        }
    )
    counts = np.where(premium, rng.integers(2, 6, clients), rng.choice([0, 1, 2], clients))
    owner = np.repeat(np.arange(clients), counts)
    credit = rng.random(owner.size) < np.where(premium[owner], 0.7, 0.3)
    opened = np.datetime64("2015-01-01") + rng.integers(0, 3000, owner.size).astype(
        "timedelta64[D]"
    )
    account_table = pd.DataFrame(
        {
            "account_id": np.arange(1, owner.size + 1),
            "client_id": owner + 10_001,
            "kind": np.where(credit, "credit", "current"),
            "credit_limit": np.where(
                credit, np.round(income[owner] * rng.uniform(0.05, 0.3), -2), 0.0
            ),
            "opened": opened,
        }
    )
    per_account = rng.poisson(np.where(credit, 10, 2) * np.where(age[owner] < 40, 1.5, 1.0))
    account = np.repeat(np.arange(owner.size), per_account)
    merchant = rng.integers(0, MERCHANTS, account.size)
    amount = ticket[merchant] * np.exp(rng.normal(0, 0.5, account.size))
    transaction_table = pd.DataFrame(
        {
            "transaction_id": np.arange(1, account.size + 1),
            "account_id": account + 1,
            "merchant_id": merchant + 1,
            "amount": np.round(amount * np.where(premium[owner[account]], 2.0, 1.0), 2),
            "online": rng.random(account.size) < 0.4,
        }
    )
    return {
        "clients": client_table,
        "merchants": merchant_table,
        "accounts": account_table,
        "transactions": transaction_table,
    }


#: The made-up datasets by name: their maker and their SDV metadata.
DATASETS = {"shop": (make_shop, METADATA), "bank": (make_bank, BANK_METADATA)}


def write_dataset(folder: str | Path, rows: int, seed: int = 0, name: str = "shop") -> None:
    """A dataset's tables as CSV files and their metadata, in ``folder``."""
    make, metadata = DATASETS[name]
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for table, frame in make(rows, seed).items():
        frame.to_csv(root / f"{table}.csv", index=False)
    (root / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")


if __name__ == "__main__":
    write_dataset(
        sys.argv[1],
        int(sys.argv[2]) if len(sys.argv) > 2 else 1000,
        name=sys.argv[3] if len(sys.argv) > 3 else "shop",
    )
