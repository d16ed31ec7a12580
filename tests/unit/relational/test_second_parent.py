"""A child with two parents (docs/multi-table.md, "A child with two parents"): its
partner child shares its second parent, and the second parent's partner is one of its
nearest rows in its own columns and its children's figures, so a second parent's
column and the child's columns covary as the real ones do, up to (1 - kappa') times the
neighbours' gap: not kappa' times them as with a uniform partner, nor kappa' kappa as
with a partner child from anywhere too. Checked by simulation (fixed seeds, four
standard errors of the mean over the runs), against both alternatives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Bounds, Method
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import parse_weights
from mixsynth.relational import RelationalMetadata, RelationalPlan, synthesize_tables
from mixsynth.relational.pairs import PARTNER_NEIGHBOURS, nearest_others, parent_features
from tests.unit.relational.test_theory import beyond_four_se, within_four_se

RUNS = 300
pytestmark = pytest.mark.slow  # 300 runs: about 10 s of CPU
#: Uniform weights: strong mixing (kappa 0.75), so that the two laws lie far apart.
OPTIONS = SynthesisOptions(
    method=Method.VANILLA,
    weights=parse_weights("uniform"),
    bounds=Bounds.NONE,
    round_decimals=False,
    semantics=False,
)


def _table(key: str, *columns: str) -> dict:
    return {
        "primary_key": key,
        "columns": {key: {"sdtype": "id"}} | {c: {"sdtype": "numerical"} for c in columns},
    }


def _link(parent: str, key: str, child: str) -> dict:
    return {
        "parent_table_name": parent,
        "parent_primary_key": key,
        "child_table_name": child,
        "child_foreign_key": key,
    }


METADATA = RelationalMetadata.from_dict(
    {
        "tables": {
            "parents": _table("pid", "x"),
            "lookups": _table("lid", "z"),
            "children": {
                "primary_key": "cid",
                "columns": {
                    "cid": {"sdtype": "id"},
                    "pid": {"sdtype": "id"},
                    "lid": {"sdtype": "id"},
                    "y": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [_link("parents", "pid", "children"), _link("lookups", "lid", "children")],
    }
)


def two_parent_tables(children: int = 300, lookups: int = 30, seed: int = 0) -> dict:
    """One child per parent (so that a partner drawn in the other donor's family is a
    uniform other child), each naming a random lookup row; y follows the lookup's z."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=lookups)
    lookup = rng.integers(lookups, size=children)
    return {
        "parents": pd.DataFrame({"pid": np.arange(children), "x": rng.normal(size=children)}),
        "lookups": pd.DataFrame({"lid": np.arange(lookups), "z": z}),
        "children": pd.DataFrame(
            {
                "cid": np.arange(children),
                "pid": np.arange(children),
                "lid": lookup,
                "y": 3 * z[lookup] + rng.normal(size=children),
            }
        ),
    }


def lookup_partners(tables: dict) -> np.ndarray:
    """Each lookup row's candidate partners: its nearest rows in z, its number of
    children and their mean y (standardized), as the synthesizer finds them."""
    lookups, children = tables["lookups"], tables["children"]
    counts = np.bincount(children["lid"], minlength=len(lookups))
    means = children.groupby("lid")[["y"]].mean().reindex(lookups["lid"])
    features = parent_features(lookups, ["z"], [(counts, means)])
    return nearest_others(features, PARTNER_NEIGHBOURS)


def expected_zy(
    tables: dict, kappa: float, kappa_lookup: float, same_lookup: bool, neighbours: bool
) -> float:
    """E[z~ y~] over the children joined to their lookup rows. Every real child c is
    the dominant donor of one synthetic child (y~ = w y_c + (1-w) y_c'), which names
    the synthetic lookup row made from c's (z~ = w' z_l + (1-w') z_l', w and w'
    independent; l' uniform over l's nearest rows, or over all other rows). With one
    child per parent, N children and m_l the mean y of lookup l's children, the
    partner c' is a uniform other child of l (drawn in the partner parent's family when
    it is there, else among l's children): E[y_c' | c] = (N m_l - y_c) / (N - 1); a
    partner from anywhere has (N ybar - y_c) / (N - 1) instead."""
    z = tables["lookups"]["z"].to_numpy()
    children = tables["children"]
    lookup, y = children["lid"].to_numpy(), children["y"].to_numpy()
    n = len(y)
    m = np.bincount(lookup, weights=y, minlength=len(z)) / np.bincount(lookup, minlength=len(z))
    partner_mean = (n * (m[lookup] if same_lookup else y.mean()) - y) / (n - 1)
    if neighbours:
        lookup_partner = z[lookup_partners(tables)].mean(axis=1)
    else:
        lookup_partner = (z.sum() - z) / (len(z) - 1)
    z_mixed = kappa_lookup * z[lookup] + (1 - kappa_lookup) * lookup_partner[lookup]
    y_mixed = kappa * y + (1 - kappa) * partner_mean
    return float(np.mean(z_mixed * y_mixed))


def test_a_second_parents_column_covaries_with_its_children_as_the_real_ones():
    tables = two_parent_tables()
    plan = RelationalPlan.of(tables, METADATA, OPTIONS)
    products = []
    for seed in range(RUNS):
        generation = synthesize_tables(tables, plan, np.random.default_rng(seed))
        joined = generation.tables["children"].merge(generation.tables["lookups"], on="lid")
        assert len(joined) == len(tables["children"])
        products.append((joined["z"] * joined["y"]).mean())
    kappa = generation.generations["parents"].weights.theory().kappa
    kappa_lookup = generation.generations["lookups"].weights.theory().kappa
    figures = pd.Series(products)
    within_four_se(figures, expected_zy(tables, kappa, kappa_lookup, True, neighbours=True))
    beyond_four_se(figures, expected_zy(tables, kappa, kappa_lookup, True, neighbours=False))
    beyond_four_se(figures, expected_zy(tables, kappa, kappa_lookup, False, neighbours=False))
