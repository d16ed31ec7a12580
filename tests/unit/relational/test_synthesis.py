"""Several linked tables synthesized together: what docs/multi-table.md says is kept
exactly in every run (integrity, fresh keys, child counts, copied columns across
tables), scale, orphans, generations, and the refusals."""

from __future__ import annotations

import warnings
from collections import Counter

import pandas as pd
import pytest

from mixsynth.api import MultiTableMixupSynthesizer
from mixsynth.choices import Method
from mixsynth.engine.options import SynthesisOptions
from mixsynth.errors import MixsynthError
from mixsynth.relational import RelationalMetadata, RelationalPlan, run_relational
from mixsynth.relational.compare import child_counts
from mixsynth.relational.files import read_tables
from tests.conftest import SAMPLE_DATA

SHOP = SAMPLE_DATA / "shop"


@pytest.fixture(scope="module")
def shop():
    metadata = RelationalMetadata.load(SHOP / "metadata.json")
    return read_tables(SHOP, list(metadata.tables)), metadata


@pytest.fixture(scope="module")
def generations(shop):
    tables, metadata = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = RelationalPlan.of(tables, metadata, SynthesisOptions())
        return list(run_relational(tables, plan, 3, seed=0))


def counts(tables, relationship) -> Counter:
    r = relationship
    return Counter(child_counts(tables[r.parent][r.parent_key], tables[r.child][r.foreign_key]))


def test_every_foreign_key_names_a_fresh_unique_synthetic_parent(shop, generations):
    real, metadata = shop
    for generation in generations:
        synthetic = generation.tables
        for name, meta in metadata.tables.items():
            key = synthetic[name][meta.primary_key]
            assert key.is_unique
            assert not key.isin(real[name][meta.primary_key]).any()
        for r in metadata.relationships:
            assert synthetic[r.child][r.foreign_key].isin(synthetic[r.parent][r.parent_key]).all()


def test_child_counts_are_the_real_ones_along_every_relationship(shop, generations):
    real, metadata = shop
    for generation in generations:
        for r in metadata.relationships:
            assert counts(generation.tables, r) == counts(real, r), r.label()
        for name, frame in real.items():
            assert len(generation.tables[name]) == len(frame)


def test_families_copied_columns_are_real_families(shop, generations):
    """A customer's segment, its number of orders and its orders' channels come from
    one real family: their joint multiset is the real one."""
    real, _ = shop

    def families(tables) -> Counter:
        orders = tables["orders"].merge(tables["customers"], on="customer_id")
        web = orders.groupby("customer_id")["channel"].apply(lambda c: (c == "web").sum())
        customers = tables["customers"].set_index("customer_id")
        size = tables["orders"].groupby("customer_id").size()
        return Counter(
            zip(
                customers["segment"],
                size.reindex(customers.index, fill_value=0),
                web.reindex(customers.index, fill_value=0),
                strict=True,
            )
        )

    for generation in generations:
        assert families(generation.tables) == families(real)


def test_scale_multiplies_the_root_rows_and_resamples_the_counts(shop):
    real, metadata = shop
    synthesizer = MultiTableMixupSynthesizer(metadata, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthesizer.fit(real)
        double = synthesizer.sample(scale=2)
        half = synthesizer.sample(scale=0.5)
    orders = metadata.relationships[0]
    assert len(double["customers"]) == 2 * len(real["customers"])
    assert counts(double, orders) == Counter({k: 2 * v for k, v in counts(real, orders).items()})
    assert len(half["customers"]) == len(real["customers"]) // 2
    assert set(counts(half, orders)) <= set(counts(real, orders))
    for tables in (double, half):
        for r in metadata.relationships:
            assert tables[r.child][r.foreign_key].isin(tables[r.parent][r.parent_key]).all()


def test_parents_variance_is_kept_over_ten_generations(shop):
    real, metadata = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = RelationalPlan.of(real, metadata, SynthesisOptions())
        last = list(run_relational(real, plan, 10, seed=0))[-1]
    for column in ("age", "income"):
        ratio = last.tables["customers"][column].var() / real["customers"][column].var()
        assert 0.85 <= ratio <= 1.15, (column, ratio)


def test_orphans_stay_without_a_parent_and_keep_their_number(shop):
    real, metadata = shop
    orders = real["orders"].copy()
    orders["customer_id"] = orders["customer_id"].astype("Int64")
    orders.loc[:99, "customer_id"] = pd.NA
    tables = {**real, "orders": orders}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthetic = MultiTableMixupSynthesizer(metadata, seed=0).fit(tables).sample()
    keys = synthetic["orders"]["customer_id"]
    assert keys.isna().sum() == 100
    assert keys.dropna().isin(synthetic["customers"]["customer_id"]).all()
    assert len(synthetic["orders"]) == len(orders)


def test_the_same_seed_gives_the_same_tables_and_save_load_keeps_it(shop, tmp_path):
    real, metadata = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthesizer = MultiTableMixupSynthesizer(metadata).fit(real)
        first = synthesizer.sample(seed=5)
        synthesizer.save(tmp_path / "s.pkl")
        again = MultiTableMixupSynthesizer.load(tmp_path / "s.pkl").sample(seed=5)
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])


def _two_tables(**changes) -> dict:
    document = {
        "tables": {
            "a": {
                "primary_key": "id",
                "columns": {"id": {"sdtype": "id"}, "v": {"sdtype": "numerical"}},
            },
            "b": {
                "primary_key": "bid",
                "columns": {"bid": {"sdtype": "id"}, "a_id": {"sdtype": "id"}},
            },
        },
        "relationships": [
            {
                "parent_table_name": "a",
                "parent_primary_key": "id",
                "child_table_name": "b",
                "child_foreign_key": "a_id",
            }
        ],
    }
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_two_tables(relationships=[{"parent_table_name": "a"}]), "does not name each of"),
        (
            _two_tables(
                relationships=[
                    {
                        "parent_table_name": "a",
                        "parent_primary_key": "id",
                        "child_table_name": "c",
                        "child_foreign_key": "a_id",
                    }
                ]
            ),
            "names table 'c'",
        ),
        (
            _two_tables(
                relationships=[
                    {
                        "parent_table_name": "a",
                        "parent_primary_key": "v",
                        "child_table_name": "b",
                        "child_foreign_key": "a_id",
                    }
                ]
            ),
            "is not the primary key",
        ),
        (
            _two_tables(
                relationships=[
                    {
                        "parent_table_name": "a",
                        "parent_primary_key": "id",
                        "child_table_name": "b",
                        "child_foreign_key": "a_id",
                    },
                    {
                        "parent_table_name": "b",
                        "parent_primary_key": "bid",
                        "child_table_name": "a",
                        "child_foreign_key": "v",
                    },
                ]
            ),
            "form a cycle",
        ),
        (_two_tables(tables={}), '"tables" names no table'),
    ],
)
def test_bad_metadata_is_refused_with_what_and_how(document, message):
    with pytest.raises(MixsynthError, match=message) as error:
        RelationalMetadata.from_dict(document)
    assert "\n" not in str(error.value)


def test_bad_data_and_options_are_refused():
    metadata = RelationalMetadata.from_dict(_two_tables())
    a = pd.DataFrame({"id": [1, 2, 2], "v": [0.0, 1.0, 2.0]})
    b = pd.DataFrame({"bid": [1, 2], "a_id": [1, 2]})
    with pytest.raises(MixsynthError, match="missing or repeated"):
        RelationalPlan.of({"a": a, "b": b}, metadata, SynthesisOptions())
    unordered = a.assign(id=[2, 1, 2])  # a repeat among keys out of order
    with pytest.raises(MixsynthError, match="missing or repeated"):
        RelationalPlan.of({"a": unordered, "b": b}, metadata, SynthesisOptions())
    with pytest.raises(MixsynthError, match="no data for table 'b'"):
        RelationalPlan.of({"a": a}, metadata, SynthesisOptions())
    with pytest.raises(MixsynthError, match="--by applies to one table"):
        RelationalPlan.of({"a": a, "b": b}, metadata, SynthesisOptions(by=("v",)))
    with pytest.raises(MixsynthError, match="not fitted"):
        MultiTableMixupSynthesizer(metadata).sample()


def test_dates_given_as_text_are_mixed_and_written_back_in_their_format(shop):
    """SDV's habit: dates as strings in the metadata's datetime_format."""
    real, metadata = shop
    customers = real["customers"].copy()
    customers["signup_date"] = customers["signup_date"].dt.strftime("%d/%m/%Y")
    document = metadata.to_dict()
    document["tables"]["customers"]["columns"]["signup_date"]["datetime_format"] = "%d/%m/%Y"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthesizer = MultiTableMixupSynthesizer(document, seed=0)
        synthetic = synthesizer.fit({**real, "customers": customers}).sample()
    dates = pd.to_datetime(synthetic["customers"]["signup_date"], format="%d/%m/%Y")
    real_dates = real["customers"]["signup_date"]
    assert dates.between(real_dates.min(), real_dates.max()).all()
    assert not dates.isin(real_dates).all()  # mixed, not copied
    document["tables"]["customers"]["columns"]["signup_date"]["datetime_format"] = "%Y/%m/%d"
    with pytest.raises(MixsynthError, match="does not read as dates in the format '%Y/%m/%d'"):
        MultiTableMixupSynthesizer(document).fit({**real, "customers": customers})


def test_a_saved_multi_table_synthesizer_is_its_owners_only_and_headed(shop, tmp_path, monkeypatch):
    """Saved as MixupSynthesizer saves (mixsynth.api.saved): mode 0600, and a file without
    mixsynth's header refused before anything in it is unpickled."""
    import pickle
    import stat

    from mixsynth.errors import InputError
    from tests.unit.api.test_synthesizer_hostile import Alarm

    real, metadata = shop
    path = tmp_path / "s.pkl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MultiTableMixupSynthesizer(metadata).fit(real).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    alarm = tmp_path / "ran"
    monkeypatch.setenv("MIXSYNTH_ALARM", str(alarm))
    hostile = tmp_path / "hostile.pkl"
    hostile.write_bytes(pickle.dumps({"mixsynth_multi_table": 1, "synthesizer": Alarm()}))
    with pytest.raises(InputError, match=r"not a saved MultiTableMixupSynthesizer.*trust"):
        MultiTableMixupSynthesizer.load(hostile)
    assert not alarm.exists()


#: Each parent table's numeric columns and their rounding step (the input's decimals).
PARENT_STEPS = {
    "customers": {"age": 1.0, "income": 1.0},
    "orders": {"amount": 0.01},
    "products": {"list_price": 0.01},
}


def _moments_kept(source: pd.Series, made: pd.Series, step: float) -> bool:
    """Mean and variance equal, up to what rounding to ``step`` after the correction can
    move them: stochastic rounding adds independent noise e of mean 0 and variance at
    most step^2 / 4, so the variance moves by at most step^2 / 4 plus 2 Cov(x, e),
    whose standard error is under sd * step / sqrt(n), and the mean by under
    (step / 2) / sqrt(n); four standard errors each."""
    n, sd = len(source), source.std()
    root = n**0.5
    mean_ok = abs(made.mean() - source.mean()) <= 4 * (step / 2) / root
    variance_ok = abs(made.var() - source.var()) <= step**2 / 4 + 4 * 2 * sd * (step / 2) / root
    return bool(mean_ok and variance_ok)


def test_every_parent_tables_moments_are_its_sources_in_every_generation(shop, generations):
    real, metadata = shop
    assert {name for name in metadata.tables if metadata.children(name)} == set(PARENT_STEPS)
    source = real
    for generation in generations:
        for name, steps in PARENT_STEPS.items():
            for column, step in steps.items():
                kept = _moments_kept(source[name][column], generation.tables[name][column], step)
                assert kept, (generation.index, name, column)
        source = generation.tables


def test_without_matching_a_small_parent_tables_moments_walk(shop):
    """The alternative the matching rules out: the 40 products' list price mixed alone
    moves beyond rounding in a generation (vanilla mixup leaves it so by default)."""
    real, metadata = shop
    vanilla = RelationalPlan.of(real, metadata, SynthesisOptions(method=Method.VANILLA))
    assert not vanilla.match_parents
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = RelationalPlan.of(real, metadata, SynthesisOptions(), match_parents=False)
        made = next(iter(run_relational(real, plan, 1, seed=0))).tables
    prices = real["products"]["list_price"], made["products"]["list_price"]
    assert not _moments_kept(*prices, PARENT_STEPS["products"]["list_price"])
