"""Names that hold other columns (mixsynth/rules/names.py): a car's ``Make`` holds its
``Manufacturer`` and ``Model``; found from the values, reported by compare, and kept
when copied columns are taken apart (near rows, split between donors)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mixsynth.engine.memory import synthesize
from mixsynth.engine.neighbours import group_parts
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.metrics.rules import rule_shares
from mixsynth.rules import Naming
from mixsynth.rules.model import names_value

TIES = (("make", "manufacturer"), ("make", "model"))
MAKERS = ["Chevrolet", "Ford", "Dodge", "Mazda", "Honda", "Audi", "Saab", "Volvo"]


SYLLABLES = ["ca", "ma", "ro", "fe", "sti", "va", "lu", "mi", "na", "ce", "le", "ri", "to"]


def model_names(n: int, rng: np.random.Generator) -> list[str]:
    """Distinct made-up model names, words of two or three syllables ("Camaro")."""
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choice(SYLLABLES, rng.integers(2, 4))).capitalize())
    return sorted(names, key=lambda _: rng.random())


def cars(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Car models, each of one maker (every model name distinct): ``make`` is the maker
    and the model; the origin follows the maker, the price the maker and the size."""
    rng = np.random.default_rng(seed)
    maker = rng.choice(MAKERS, n)
    model = model_names(n, rng)
    size = rng.normal(size=n)
    return pd.DataFrame(
        {
            "manufacturer": maker,
            "model": model,
            "make": [f"{a} {b}" for a, b in zip(maker, model, strict=True)],
            "origin": np.where(np.isin(maker, ["Chevrolet", "Ford", "Dodge"]), "USA", "non-USA"),
            "size": size,
            "price": 20 + 3 * size + np.searchsorted(MAKERS, maker) + rng.normal(size=n),
        }
    )


def found(frame: pd.DataFrame) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [r.describe() for r in Reference.of(frame).rules if isinstance(r, Naming)]


def held(frame: pd.DataFrame) -> tuple[float, float]:
    """Shares of rows whose make holds their manufacturer, and their model."""
    makes, makers, models = frame["make"], frame["manufacturer"], frame["model"]
    return (
        float(np.mean([names_value(a, b) for a, b in zip(makes, makers, strict=True)])),
        float(np.mean([names_value(a, b) for a, b in zip(makes, models, strict=True)])),
    )


def test_whole_words_only() -> None:
    assert names_value("Chevrolet Camaro", "Camaro")
    assert names_value("Chevrolet Lumina_APV", "Chevrolet")
    assert names_value("Paris, France", "France")
    assert not names_value("Fordham Road", "Ford")
    assert not names_value("Oxford", "ford") and not names_value("Rover 75", "5")
    assert not names_value("Model 40", "4")
    assert not names_value("Audi 90", "")


def test_a_make_names_its_manufacturer_and_its_model() -> None:
    assert found(cars()) == ["make names manufacturer", "make names model"]


def test_one_row_that_does_not_hold_it_means_no_rule() -> None:
    frame = cars()
    other = "Saab" if frame.loc[117, "manufacturer"] != "Saab" else "Ford"
    frame.loc[117, "make"] = f"{other} {frame.loc[117, 'model']}"  # another maker's
    assert found(frame) == ["make names model"]


def test_a_part_named_by_chance_is_no_rule() -> None:
    """Every make holds "Model" (one value in nine of ten rows): shuffled, it is held
    as often, so the naming says nothing of which row is which."""
    frame = cars()
    frame["kind"] = np.where(np.arange(len(frame)) % 10 == 0, "M", "Model")
    frame["make"] = frame["make"] + " Model" + np.where(frame["kind"] == "M", " M", "")
    assert "make names kind" not in found(frame)
    assert "make names manufacturer" in found(frame)


def test_too_few_rows_say_nothing() -> None:
    assert found(cars(n=19)) == []


@pytest.mark.parametrize(
    "options",
    [SynthesisOptions(copy_neighbours=5), SynthesisOptions(split_copied=True), SynthesisOptions()],
    ids=["near rows", "split", "default"],
)
def test_every_synthetic_row_keeps_its_names(options: SynthesisOptions) -> None:
    """Taken apart, ``make`` and ``manufacturer`` came from different real rows (a
    "Dodge" whose make is "Mazda M012"): Cramér's V corrected for chance is 0 between a
    unique column and any other, so nothing tied them."""
    real = cars()
    for seed in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            synthetic = synthesize(real, options, np.random.default_rng(seed)).frame
        assert held(synthetic) == (1.0, 1.0)
        # The origin still follows the maker as in the real rows.
        real_origin = real.groupby("manufacturer")["origin"].first()
        assert (synthetic["origin"] == synthetic["manufacturer"].map(real_origin)).mean() > 0.95


def test_near_rows_still_take_the_names_from_another_row() -> None:
    """Tied, the names come from one real row, not from the row's own donor: the
    synthetic row's make is its dominant donor's in few rows."""
    real = cars()
    options = SynthesisOptions(copy_neighbours=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = synthesize(real, options, np.random.default_rng(0))
    synthetic = result.frame
    # A make whose row's numbers are its own real row's: the size of that real row.
    own_size = synthetic["make"].map(real.set_index("make")["size"])
    assert (np.abs(own_size - synthetic["size"]) < 1e-9).mean() < 0.2


def test_compare_reports_rows_that_break_a_naming() -> None:
    real = cars()
    broken = real.copy()
    broken["manufacturer"] = broken["manufacturer"].sample(frac=1, random_state=1).to_numpy()
    rule = Naming("make", "manufacturer")
    (kept,) = rule_shares(real, real, [rule])
    (mixed,) = rule_shares(real, broken, [rule])
    assert kept["synthetic"] == 1.0 and not kept["broken"]
    pairs = zip(broken["make"], broken["manufacturer"], strict=True)
    expected = np.mean([names_value(a, b) for a, b in pairs])
    assert mixed["synthetic"] == pytest.approx(expected) and mixed["broken"]
    assert mixed["rule"] == "make names manufacturer"


def test_ties_are_edges_of_the_groups_tree() -> None:
    """Each column a make names follows it (or it follows them) in the tree of copied
    columns: by Cramér's V alone the unique make is tied to nothing, and the model's
    maker would follow some other column's value."""
    parts = group_parts(cars(), ("manufacturer", "origin", "model", "make"), TIES)
    edges = {
        frozenset((parts[k].columns[0], parts[p].columns[0]))
        for k, p in ((k, part.parent) for k, part in enumerate(parts))
        if p is not None
    }
    assert {frozenset(tie) for tie in TIES} <= edges
    assert frozenset(("origin", "manufacturer")) in edges  # the origin follows its maker
