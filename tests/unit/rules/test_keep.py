"""Rules kept in every synthetic row over every generation (THEORY.md section 10)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Method
from mixsynth.engine.memory import run_generations, synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.rules import RuleData
from mixsynth.rules.dates import near_partners
from mixsynth.rules.weights import (
    SPREAD_SAMPLE,
    extend_weights,
    fold_weights,
    range_limits,
    spread_weights,
    swap_weights,
)
from tests.unit.rules.tables import (
    cars,
    lag1_autocorrelation,
    orders,
    panel,
    panels,
    seasonal_correlation,
    weather,
)

OPTIONS = {
    "default": {},
    "vanilla": {"method": Method.VANILLA},
    "wide eps": {"eps": (0.3, 0.3)},
    "match moments": {"match_moments": True},
    "match shapes": {"match_shapes": True},
    "keep associations": {"keep_associations": True},
    "by": {"by": ("shipping",)},
}


def generations(frame: pd.DataFrame, count: int = 10, seed: int = 0, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opts = SynthesisOptions(**options)
        reference = Reference.of(frame, opts)
        yield reference
        yield from run_generations(frame, opts, count, seed=seed, reference=reference)


def broken(reference: Reference, frame: pd.DataFrame) -> dict[str, int]:
    data = RuleData(frame)
    return {r.describe(): int((~data.holds(r)).sum()) for r in reference.rules}


@pytest.mark.parametrize("name", list(OPTIONS))
def test_orders_keep_every_rule_in_every_row_for_ten_generations(name):
    runs = generations(orders(600), **OPTIONS[name])
    reference = next(runs)
    assert len(reference.rules) == 8
    for generation in runs:
        frame = generation.frame
        assert set(broken(reference, frame).values()) == {0}, (
            generation.index,
            broken(reference, frame),
        )
    # The sums to the cent, and the tax within a cent of its rule, as a user checks them.
    total = frame.subtotal - frame.discount + frame.tax + frame.shipping
    assert np.abs(frame.total - total).max() < 0.005
    assert np.abs(frame.tax - 0.08 * (frame.subtotal - frame.discount)).max() <= 0.005 + 1e-9


def test_without_rules_the_same_runs_break_them():
    """The test above can fail: the very same runs without rules break them."""
    frame = orders(600)
    reference = next(generations(frame))
    runs = generations(frame, detect_rules=False, eps=(0.3, 0.3))
    next(runs)
    *_, last = runs
    counts = broken(reference, last.frame)
    assert counts["tax = 0.08 * subtotal - 0.08 * discount"] > 100
    assert counts["discount < subtotal"] > 0


def test_affine_equalities_hold_for_any_weight():
    """Section 10: an affine combination keeps every affine equality, for every weight,
    inside [0, 1] or far outside it."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 1000))
    rows = np.column_stack([a, b, 3 * a - 2 * b + 5])
    lam = rng.uniform(-5, 6, 1000)
    i, j = rng.integers(1000, size=(2, 1000))
    mixed = lam[:, None] * rows[i] + (1 - lam[:, None]) * rows[j]
    residual = mixed[:, 2] - (3 * mixed[:, 0] - 2 * mixed[:, 1] + 5)
    scale = np.abs(mixed).max() * 16 * np.finfo(float).eps
    assert np.abs(residual).max() <= scale


def test_the_exact_weight_interval_is_tight():
    """g(x~) = g_o + w (g_d - g_o): the rule holds up to w = U and breaks just past it."""
    frame = pd.DataFrame({"low": [0.0, 5.0], "high": [1.0, 20.0]})
    data = RuleData(frame)
    from mixsynth.rules import parse_rule
    from mixsynth.rules.keep import RulePlan, Scale

    (rule,) = parse_rule("low <= high")
    plan = RulePlan.of([rule], {"low": Scale(), "high": Scale()}, {"low", "high"})
    sources = {"low": data["low"], "high": data["high"]}
    dominant, other = np.array([0, 1]), np.array([1, 0])
    at_dominant = {name: values[dominant] for name, values in sources.items()}
    at_other = {name: values[other] for name, values in sources.items()}
    steps = {name: at_dominant[name] - at_other[name] for name in sources}
    limit = plan.weight_limits(steps, at_other, [rule])
    # d = row 0 (gap 1), o = row 1 (gap 15): U = 15 / 14; d = row 1: no limit.
    assert limit[0] == pytest.approx(15 / 14) and limit[1] == np.inf
    for w, holds in ((limit[0], True), (limit[0] + 1e-9, False)):
        low = 5.0 + w * (0.0 - 5.0)
        high = 20.0 + w * (1.0 - 20.0)
        assert bool(low <= high + 1e-12) == holds


def test_a_missing_value_leaves_the_other_rules_limits():
    """A row whose donor misses a value of one column is limited by the rules that do
    not name it; only a row none of whose rules is known has no limit (NaN). Before,
    one missing salary among thirteen ordered baseball figures (ISLR's Hitters) freed a
    third of the rows of every order, and at margin 0.3 the figures lost 4-6 % of their
    variance a generation."""
    from mixsynth.rules import parse_rule
    from mixsynth.rules.keep import RulePlan, Scale

    # rows: (low, mid, high); the last two rows have no ``high``.
    frame = pd.DataFrame(
        {"low": [0.0, 5.0, 0.0, 5.0], "mid": [1.0, 20.0, 1.0, 20.0], "high": [2, 30, np.nan, 30]}
    )
    data = RuleData(frame)
    rules = [parse_rule(text)[0] for text in ("low <= mid", "mid <= high")]
    plan = RulePlan.of(rules, {n: Scale() for n in frame}, set(frame))
    sources = {name: data[name] for name in frame}
    dominant, other = np.array([0, 2, 3]), np.array([1, 1, 2])
    at_other = {name: values[other] for name, values in sources.items()}
    steps = {name: values[dominant] - at_other[name] for name, values in sources.items()}
    limit = plan.weight_limits(steps, at_other, rules)
    # row 0: d = (0, 1, 2), o = (5, 20, 30): low <= mid binds at U = 15 / 14, mid <= high
    # at 10 / 9; row 1: d = (0, 1, -), o = (5, 20, 30): low <= mid alone, 15 / 14; row 2:
    # d = (5, 20, 30), o = (0, 1, -): low <= mid falls towards d (no limit), the other
    # rule unknown: no known limit but that.
    assert limit[0] == pytest.approx(min(15 / 14, 10 / 9))
    assert limit[1] == pytest.approx(15 / 14)
    assert limit[2] == np.inf


def test_folded_weights_mirror_at_their_limit():
    """A weight over its row's limit is mirrored at it (2U - w), so it stays as near its
    drawn value as the limit allows; the others, and rows of unknown limit, keep theirs."""
    rng = np.random.default_rng(1)
    w = 0.5 + np.abs(rng.normal(0, 0.3, 10_000))
    limit = np.where(rng.random(10_000) < 0.05, 1.0 + rng.uniform(0, 0.2, 10_000), np.inf)
    limit[:100] = np.nan
    drawn = w.copy()
    folded = fold_weights(w, limit)
    over = drawn > limit
    assert folded == over.sum() > 0
    assert (w[~np.isnan(limit)] <= limit[~np.isnan(limit)]).all()
    np.testing.assert_allclose(w[over], np.maximum(2 * limit[over] - drawn[over], 0))
    np.testing.assert_array_equal(w[~over], drawn[~over])


def test_swapped_weights_keep_their_multiset():
    """Under a privacy margin the rows over their limit swap weights with rows that can
    take them: the multiset, and so the margin, is unchanged."""
    rng = np.random.default_rng(1)
    w = 0.5 + np.abs(rng.normal(0, 0.3, 10_000))
    limit = np.where(rng.random(10_000) < 0.05, 1.0, np.inf)
    before = np.sort(w)
    swap_weights(rng, w, limit)
    assert (w <= limit).all()
    np.testing.assert_array_equal(np.sort(w), before)


def test_spread_weights_stay_inside_their_limits_and_out_of_the_margin():
    """Extrapolating weights pushed further past 1 stay at most their row's limit, never
    enter a privacy margin's gap (0.7, 1.3), and a row with an unknown limit (NaN) keeps
    its weight."""
    rng = np.random.default_rng(6)
    w = np.where(
        rng.random(20_000) < 0.5, rng.uniform(0.5, 0.7, 20_000), rng.uniform(1.3, 2.5, 20_000)
    )
    limit = np.where(rng.random(20_000) < 0.3, rng.uniform(1.0, 3.0, 20_000), np.inf)
    limit[:500] = np.nan
    drawn = w.copy()
    swap_weights(rng, w, limit)
    spread = extend_weights(w, limit, 1.5)
    known = ~np.isnan(limit)
    assert (spread[known] <= limit[known]).all()
    assert not ((spread > 0.7) & (spread < 1.3)).any()
    np.testing.assert_array_equal(spread[~known], drawn[~known])
    assert (spread[known & (w > 1)] >= w[known & (w > 1)]).all()


def test_range_limits_are_tight():
    """The largest weight that keeps a mix inside the range puts it on the range's end."""
    rng = np.random.default_rng(7)
    dominant, other = rng.uniform(0, 1, 1000), rng.uniform(0, 1, 1000)
    limit = np.full(1000, np.inf)
    range_limits(limit, dominant - other, other, 0.0, 1.0)
    assert (limit >= 1).all()
    mixed = other + limit * (dominant - other)
    assert np.allclose(np.minimum(mixed, 1 - mixed), 0, atol=1e-9)


def test_the_spread_factor_gives_a_group_back_its_variance():
    """Limits lose a group's variance (here an order of two uniform columns and their
    ranges, as dates in a year); the factor solved gives the group's mean variance
    ratio, against the weights as drawn, back to 1 (brentq's tolerance), every weight
    still within its limit. Measured: 0.632 with the limited weights, 1.0000 with the
    factor (2.57)."""
    rng = np.random.default_rng(8)
    low = rng.uniform(0, 1, 5000)
    high = low + rng.uniform(0, 0.05, 5000)
    dominant, other = rng.integers(0, 5000, 5000), rng.integers(0, 5000, 5000)
    drawn = np.where(rng.random(5000) < 0.4, rng.uniform(1.3, 2, 5000), rng.uniform(0.5, 0.7, 5000))
    at_d, at_o = [low[dominant], high[dominant]], [low[other], high[other]]
    g_d, g_o = at_d[0] - at_d[1], at_o[0] - at_o[1]  # low - high <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        limit = np.where(g_d > g_o, -g_o / (g_d - g_o), np.inf)
    steps = [at_d[0] - at_o[0], at_d[1] - at_o[1]]
    range_limits(limit, steps[0], at_o[0], -0.2, 1.2)
    range_limits(limit, steps[1], at_o[1], -0.2, 1.25)
    kept = drawn.copy()
    swap_weights(rng, kept, limit)

    def ratio(w):
        pairs = zip(at_d, at_o, strict=True)
        return np.mean([np.var(o + w * (d - o)) / np.var(o + drawn * (d - o)) for d, o in pairs])

    assert ratio(kept) < 0.95  # the limits lose variance
    factor, _ = spread_weights(steps, at_o, drawn, kept, limit)
    spread = extend_weights(kept, limit, factor)
    assert factor > 1 and abs(ratio(spread) - 1) < 1e-3
    assert (spread <= limit).all()


def test_near_partners_stay_within_the_window_and_the_block():
    rng = np.random.default_rng(2)
    time = np.tile(np.arange(50.0), 4)
    blocks = np.repeat(np.arange(4), 50)
    anchors = np.tile(np.arange(200), 50)
    partners = near_partners(rng, anchors, time, blocks, window=3)
    assert (blocks[partners] == blocks[anchors]).all()
    assert (np.abs(time[partners] - time[anchors]) <= 3).all()
    assert (partners != anchors).all()
    # Reflection at the ends: each row is a partner about equally often (50 each).
    counts = np.bincount(partners, minlength=200)
    assert counts.min() > 25 and counts.max() < 80


def test_a_panel_keeps_one_row_per_firm_and_year():
    runs = generations(panel())
    next(runs)
    for generation in runs:
        assert not generation.frame.duplicated(["firm", "year"]).any()


STRUCTURE = {"match_moments": True, "keep_associations": True, "match_shapes": True}


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("firm number x year", {"privacy_margin": 0.3}),
        ("firm number x year", STRUCTURE),
        ("string id x date", {"privacy_margin": 0.3}),
        ("store x quarter", STRUCTURE),
        ("firm x year x product", {"privacy_margin": 0.3}),
        ("firm x year x product", STRUCTURE),
    ],
)
def test_panels_keep_their_keys_unique_and_real(name, options):
    """Each panel's key columns (two integers, a string id and a date, three columns)
    stay unique and real over 10 generations, with a privacy margin of 0.3 or with the
    three structure options."""
    frame = panels()[name]
    keys = [c for c in frame if c not in ("revenue", "costs", "sales", "units")]
    real = set(frame[keys].itertuples(index=False))
    runs = generations(frame, **options)
    next(runs)
    for generation in runs:
        assert not generation.frame.duplicated(keys).any(), generation.index
    assert set(generation.frame[keys].itertuples(index=False)) <= real


def test_model_years_stay_on_1_january():
    runs = generations(cars())
    next(runs)
    for generation in runs:
        stamps = generation.frame.model_year
        assert (stamps.dt.dayofyear == 1).all() and (stamps.dt.hour == 0).all()


def test_the_season_survives_ten_generations():
    """corr(temp_max, -cos(2 pi doy / 365.25)) is about 0.85 in the real series; the issue
    asks for at least 0.6 after 10 generations (it was about 0 without a time index)."""
    frame = weather()
    real = seasonal_correlation(frame)
    runs = generations(frame)
    next(runs)
    for generation in runs:
        assert not generation.frame.date.duplicated().any()
    assert seasonal_correlation(generation.frame) >= 0.6
    assert seasonal_correlation(generation.frame) > real - 0.05
    assert lag1_autocorrelation(generation.frame) > 0.8


@pytest.mark.slow
@pytest.mark.parametrize(
    "options", [{"eps": (0.3, 0.3)}, {"privacy_margin": 0.3}], ids=["eps 0.3", "margin 0.3"]
)
def test_the_variance_target_is_met_with_rules(options):
    """The issue's goal: the median variance ratio after 10 generations within 0.02 of
    what the same run gives without rules. Paired (the same seed draws the same pairs
    and weights with and without rules), over 64 seeds, so that three standard errors
    of the mean difference fit inside 0.02 (checked: the test can tell). Measured:
    -0.0036 +- 0.0039 at eps 0.3; -0.0144 +- 0.0055 at margin 0.3, inside the goal but
    near its edge (subtotal loses 0.3 % a generation: docs/rules.md); before the rules'
    weights were spread, -0.035 +- 0.011 at margin 0.3 on 40 seeds."""
    frame = orders(1500)

    def median_ratio(seed, detect):
        *_, generation = generations(frame, seed=seed, detect_rules=detect, **options)
        ratios = []
        for name in frame:
            synthetic, real = generation.frame[name], frame[name]
            if real.dtype.kind == "M":
                synthetic, real = synthetic.astype("int64"), real.astype("int64")
            ratios.append(synthetic.var() / real.var())
        return np.median(ratios)

    difference = np.array([median_ratio(s, True) - median_ratio(s, False) for s in range(64)])
    error = difference.std(ddof=1) / np.sqrt(len(difference))
    assert 3 * error < 0.02, error
    assert abs(difference.mean()) <= 0.02, (difference.mean(), error)


def test_categories_that_go_together_come_from_one_donor():
    """city -> state (and city's own numbers) need no rule: every categorical column of a
    row is copied from one donor, so each synthetic (city, state) pair is a real one."""
    rng = np.random.default_rng(4)
    cities = {"Austin": "TX", "Dallas": "TX", "Reno": "NV", "Boise": "ID", "Salem": "OR"}
    city = rng.choice(list(cities), 800)
    frame = pd.DataFrame(
        {"city": city, "state": [cities[c] for c in city], "spend": rng.gamma(2, 30, 800)}
    )
    real = set(zip(frame.city, frame.state, strict=True))
    runs = generations(frame, match_shapes=True)
    next(runs)
    for generation in runs:
        pairs = set(zip(generation.frame.city, generation.frame.state, strict=True))
        assert pairs <= real


def test_more_rows_than_real_keys_is_said():
    frame = panel(firms=20, years=12)
    options = SynthesisOptions(rows=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = Reference.of(frame, options)
    from mixsynth.errors import MixsynthWarning

    with pytest.warns(MixsynthWarning, match="300 rows from 240, some real combinations repeat"):
        synthesize(frame, options, np.random.default_rng(0), reference)


def test_fixed_increments_are_kept_by_rounding_not_by_copies():
    rng = np.random.default_rng(5)
    price = rng.integers(1, 4000, 600) * 0.25
    frame = pd.DataFrame({"price": price, "x": rng.normal(size=600)})
    from mixsynth.rules.model import Increments

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        options = SynthesisOptions(rules=(Increments("price", 0.25),), detect_rules=False)
        reference = Reference.of(frame, options)
        *_, last = run_generations(frame, options, 3, seed=0, reference=reference)
    assert np.allclose(last.frame.price / 0.25, np.round(last.frame.price / 0.25))
    assert last.rule_repairs == 0  # rounded, not copied from donors
    assert not last.frame.price.isin(frame.price).all()  # mixed, not copied


def test_model_years_keep_their_variance():
    """Rounding onto 1 January is stochastic rounding in years, its variance compensated
    as for integers: rounding alone would add up to a quarter of a year squared a
    generation (measured before: 1.098 +- 0.019 after 10 generations). Over 16 seeds the
    mean variance ratio of the model years after 10 generations is within three standard
    errors of 1."""
    frame = cars()
    real = frame.model_year.astype("int64").var()
    ratios = []
    for seed in range(16):
        *_, last = generations(frame, seed=seed)
        ratios.append(last.frame.model_year.astype("int64").var() / real)
    error = np.std(ratios, ddof=1) / np.sqrt(len(ratios))
    assert abs(np.mean(ratios) - 1) < 3 * error, (np.mean(ratios), error)


def test_a_seed_gives_one_output_with_moment_matching_and_rules():
    """Above SPREAD_SAMPLE rows a group's weights for the whole generation (moment and
    shape matching) are made once, before the columns' threads: made by whichever of
    its columns' threads came first, the same seed gave different outputs."""
    rng = np.random.default_rng(0)
    low = rng.normal(size=SPREAD_SAMPLE + 4_000)
    frame = pd.DataFrame({"low": low, "high": low + rng.exponential(size=low.size)})
    opts = SynthesisOptions(match_moments=True)
    reference = Reference.of(frame, opts)
    assert [r.describe() for r in reference.rules] == ["low < high"]
    runs = [synthesize(frame, opts, np.random.default_rng(1), reference) for _ in range(5)]
    for run in runs[1:]:
        pd.testing.assert_frame_equal(run.frame, runs[0].frame)


def test_an_equality_target_is_computed_not_mixed():
    """tax and total are recomputed from the other columns in every row where the
    dominant donor has them: they are not mixed first (no share outside the range
    before bounds), unless a matching step looks at their mix."""
    frame = orders(600)
    _, plain = generations(frame, count=1)
    assert {"subtotal", "discount"} <= set(plain.out_of_range)
    assert not {"tax", "total"} & set(plain.out_of_range)
    _, matched = generations(frame, count=1, match_moments=True)
    assert {"tax", "total"} <= set(matched.out_of_range)
