"""The relational method's theory (docs/multi-table.md), checked by simulation: what is
kept exactly in every run, and the closed-form expectations over many runs (fixed
seeds; tolerances of four standard errors of the mean over the runs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Bounds
from mixsynth.engine.options import SynthesisOptions
from mixsynth.relational import RelationalMetadata, RelationalPlan, synthesize_tables
from mixsynth.relational.pairs import count_groups

RUNS = 400
pytestmark = pytest.mark.slow  # 400 runs: about 8 s of CPU
#: Strong mixing, so that kappa, E[w^2] and E[(1-w)^2] are far apart (kappa ~ 0.8).
OPTIONS = SynthesisOptions(
    mix_strength=0.25, bounds=Bounds.NONE, round_decimals=False, semantics=False
)
METADATA = RelationalMetadata.from_dict(
    {
        "tables": {
            "parents": {
                "primary_key": "pid",
                "columns": {"pid": {"sdtype": "id"}, "x": {"sdtype": "numerical"}},
            },
            "children": {
                "primary_key": "cid",
                "columns": {
                    "cid": {"sdtype": "id"},
                    "pid": {"sdtype": "id"},
                    "y": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "parents",
                "parent_primary_key": "pid",
                "child_table_name": "children",
                "child_foreign_key": "pid",
            }
        ],
    }
)


def family_tables(parents: int = 200, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Parents whose x drives how many children they have (some none) and the
    children's y, and larger families whose children differ: so that the law of the
    partner child (each family weighed equally) is not the children's own."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=parents)
    counts = rng.poisson(np.exp(0.5 * x))
    owner = np.repeat(np.arange(parents), counts)
    y = 2 * x[owner] + 0.5 * counts[owner] + rng.normal(size=owner.size)
    return {
        "parents": pd.DataFrame({"pid": np.arange(parents), "x": x}),
        "children": pd.DataFrame({"cid": np.arange(owner.size), "pid": owner, "y": y}),
    }


def moments_of_weights(theory) -> tuple[float, float, float]:
    """E[w^2], E[w(1-w)], E[(1-w)^2] from rho = E[w^2] + E[(1-w)^2] and
    2 kappa - 1 = E[w^2] - E[(1-w)^2]."""
    w2 = (theory.rho + 2 * theory.kappa - 1) / 2
    return w2, theory.kappa - w2, theory.rho - w2


def partner_law(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Expectations under Q, the law of the partner child, and the real figures the
    theory needs. Each real child c of parent d is the dominant donor of one synthetic
    child; its partner c' is a uniform child of o, o a uniform other parent of d's
    count group (a uniform child of any parent when o has none). Per parent d:
    A = E[x_o], B = E[mean y of o's family], C = E[x_o mean y of o's family],
    D = E[mean y^2 of o's family] (leave-one-out means over the group)."""
    parents, children = tables["parents"], tables["children"]
    x = parents["x"].to_numpy()
    owner = children["pid"].to_numpy()
    counts = np.bincount(owner, minlength=len(x))
    y = children["y"].to_numpy()
    family_mean = np.bincount(owner, weights=y, minlength=len(x))
    family_square = np.bincount(owner, weights=y**2, minlength=len(x))
    with np.errstate(invalid="ignore"):
        family_mean, family_square = family_mean / counts, family_square / counts
    none = counts == 0
    family_mean[none], family_square[none] = y.mean(), (y**2).mean()
    group = count_groups(counts)
    size = np.bincount(group)[group]

    def other(values: np.ndarray) -> np.ndarray:
        return (np.bincount(group, weights=values)[group] - values) / (size - 1)

    a, b = other(x), other(family_mean)
    c, d = other(x * family_mean), other(family_square)
    some = ~none
    return {
        "y": y.mean(),
        "y2": (y**2).mean(),
        "y_q": b[owner].mean(),
        "y2_q": d[owner].mean(),
        "y_yq": (y * b[owner]).mean(),
        "xy_joined": (x[owner] * y).mean(),
        "xd_yq": (x[owner] * b[owner]).mean(),
        "xo_y": (a[owner] * y).mean(),
        "xy_q": c[owner].mean(),
        "xy_family": (x * family_mean)[some].mean(),
        "xd_yq_family": (x * b)[some].mean(),
        "xo_y_family": (a * family_mean)[some].mean(),
        "xy_q_family": c[some].mean(),
    }


@pytest.fixture(scope="module")
def runs():
    tables = family_tables()
    # The mixing law itself: parents' moments not matched after mixing (match_parents)
    plan = RelationalPlan.of(tables, METADATA, OPTIONS, match_parents=False)
    figures = []
    for seed in range(RUNS):
        generation = synthesize_tables(tables, plan, np.random.default_rng(seed))
        parents, children = generation.tables["parents"], generation.tables["children"]
        counts = children.groupby("pid").size().reindex(parents["pid"], fill_value=0).to_numpy()
        joined = children.merge(parents, on="pid")
        x = parents["x"].to_numpy()
        family = children.groupby("pid")["y"].mean().reindex(parents["pid"]).to_numpy()
        some = counts > 0
        figures.append(
            {
                "xy_family": (x[some] * family[some]).mean(),
                "cov_xk": np.cov(x, counts, bias=True)[0, 1],
                "y": children["y"].mean(),
                "y2": (children["y"] ** 2).mean(),
                "xy_joined": (joined["x"] * joined["y"]).mean(),
            }
        )
    theory = generation.generations["parents"].weights.theory()
    return tables, pd.DataFrame(figures), theory


def four_se(values: pd.Series) -> float:
    return 4 * values.std(ddof=1) / np.sqrt(len(values))


def within_four_se(values: pd.Series, expected: float) -> None:
    assert abs(values.mean() - expected) <= four_se(values), (values.mean(), expected)


def beyond_four_se(values: pd.Series, alternative: float) -> None:
    """The runs tell the theory from ``alternative``: the test can fail."""
    assert abs(values.mean() - alternative) > four_se(values), (values.mean(), alternative)


def test_a_parent_column_keeps_its_covariance_with_its_number_of_children(runs):
    """Parents are paired within groups of about as many children (count_groups): the
    count comes from the dominant donor d, and E[x~ | d] = kappa x_d + (1 - kappa)
    (S_g - x_d) / (n_g - 1), the partner a uniform other member of d's group g; the
    counts' mean is the real one in every run, so the covariance's expectation is
    mean_d k_d E[x~ | d] - mean(x) mean(k): the real covariance up to the spread of
    x within groups, where pairing over all parents (the first round) gave kappa
    times it, which the runs tell apart."""
    tables, figures, theory = runs
    x = tables["parents"]["x"].to_numpy()
    counts = np.bincount(tables["children"]["pid"], minlength=len(x))
    group = count_groups(counts)
    sums, sizes = np.bincount(group, weights=x)[group], np.bincount(group)[group]
    partner = (sums - x) / (sizes - 1)
    kappa = theory.kappa
    expected = np.mean(counts * (kappa * x + (1 - kappa) * partner)) - x.mean() * counts.mean()
    within_four_se(figures["cov_xk"], expected)
    pooled = kappa * np.cov(x, counts, bias=True)[0, 1]  # pairing over all parents
    beyond_four_se(figures["cov_xk"], pooled)


def test_a_child_column_mean_and_second_moment_follow_the_partner_law(runs):
    tables, figures, theory = runs
    real = partner_law(tables)
    w2, w1w, one_w2 = moments_of_weights(theory)
    within_four_se(figures["y"], theory.kappa * real["y"] + (1 - theory.kappa) * real["y_q"])
    within_four_se(figures["y2"], w2 * real["y2"] + 2 * w1w * real["y_yq"] + one_w2 * real["y2_q"])


def test_parent_and_child_columns_share_one_weight(runs):
    """E[x~ y~] over the joined rows: E[w^2] E_J[x_d y_c] + E[w(1-w)] (E[x_d y_c']
    + E[x_o y_c]) + E[(1-w)^2] E[x_o y_c'] (partner_law); with a weight of their own (drawn alike, independently)
    the children would give kappa^2 E_J[xy] + kappa (1-kappa) (...) + (1-kappa)^2 E_Q[xy],
    which the runs tell apart."""
    tables, figures, theory = runs
    real = partner_law(tables)
    w2, w1w, one_w2 = moments_of_weights(theory)
    expected = w2 * real["xy_joined"] + w1w * (real["xd_yq"] + real["xo_y"]) + one_w2 * real["xy_q"]
    within_four_se(figures["xy_joined"], expected)
    kappa = theory.kappa
    independent = (
        kappa**2 * real["xy_joined"]
        + kappa * (1 - kappa) * (real["xd_yq"] + real["xo_y"])
        + (1 - kappa) ** 2 * real["xy_q"]
    )
    beyond_four_se(figures["xy_joined"], independent)


def test_a_parent_column_and_its_childrens_mean_follow_the_shared_weight(runs):
    """Over the synthetic parents with children: E[x~ mean(y~)] = E[w^2] E+[x_d ybar_d]
    + E[w(1-w)] (E+[x_d ybar_o] + E+[x_o ybar_d]) + E[(1-w)^2] E+[x_o ybar_o] (+: the
    dominant donor has children; o its partner parent), so
    the covariance is rho times the real one when the partner law is the children's."""
    tables, figures, theory = runs
    real = partner_law(tables)
    w2, w1w, one_w2 = moments_of_weights(theory)
    expected = (
        w2 * real["xy_family"]
        + w1w * (real["xd_yq_family"] + real["xo_y_family"])
        + one_w2 * real["xy_q_family"]
    )
    within_four_se(figures["xy_family"], expected)
    kappa = theory.kappa
    independent = (
        kappa**2 * real["xy_family"]
        + kappa * (1 - kappa) * (real["xd_yq_family"] + real["xo_y_family"])
        + (1 - kappa) ** 2 * real["xy_q_family"]
    )
    beyond_four_se(figures["xy_family"], independent)  # children with weights of their own
