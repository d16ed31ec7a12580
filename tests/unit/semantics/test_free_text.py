"""Free text is made up, never copied; labels as rare as it (car models) are categories.

Issue 19: "a column whose values are mostly rare text is never copied verbatim by
default. Short free text that holds names or contact data is made up or dropped with a
warning, never copied" and "a product Name column of car models ('ford pinto') is a
category, copied"; "the same column on 70% and 100% of a table gets the same type".
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mixsynth.cli import app
from mixsynth.columns import infer_schema
from mixsynth.semantics.freetext import is_running_text
from mixsynth.semantics.inference import infer_semantics
from mixsynth.semantics.personal import is_contact_note
from mixsynth.semantics.types import SemanticType

ROWS = 400
#: The model names of the UCI auto-mpg table (its `name` column).
CAR_MODELS = (Path(__file__).parent / "car_models.txt").read_text().splitlines()
ACTS = ["wants a refund", "left it at the door", "wants a call", "paid in cash", "new address"]
ACTS += ["not home", "noisy flat", "ordered two", "no second box", "liked the blue"]
WHEN = ["on monday", "on friday", "last week", "today", "after six", "at lunch", "at noon"]
WHEN += ["yesterday", "tonight", "twice"]
ANSWERS = ["ok", "fine", "good", "n/a"]


def semantics_of(frame: pd.DataFrame) -> dict:
    return infer_semantics(frame, infer_schema(frame, ())).columns


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """A table of orders: car models (183 distinct in 400 rows, most of them rare, like
    auto-mpg's 305 in 398), short notes (100 phrasings, each in about 1% of the rows),
    answers among which 10% are notes naming a person or giving a phone number, and
    four canned sentences."""
    rng = np.random.default_rng(19)
    weights = rng.geometric(0.6, len(CAR_MODELS)).astype(float)
    names = ["Ricky", "Anna", "Paul", "Maria"]
    personal = [
        f"{rng.choice(names)} likes cats, call 555-01{rng.integers(100):02d}"
        if rng.random() < 0.1
        else str(rng.choice(ANSWERS))
        for _ in range(ROWS)
    ]
    return pd.DataFrame(
        {
            "Name": rng.choice(CAR_MODELS, ROWS, p=weights / weights.sum()),
            "notes": [f"{rng.choice(ACTS)} {rng.choice(WHEN)}" for _ in range(ROWS)],
            "remarks": personal,
            "reason": rng.choice(
                ["arrived damaged in the box", "wrong size was sent", "changed my mind", "late"],
                ROWS,
            ),
            "price": np.round(rng.gamma(3.0, 2000.0, ROWS), 2),
        }
    )


def test_running_text_and_labels() -> None:
    assert is_running_text("wants a refund on monday")  # a small word of sentences
    assert is_running_text("Ricky likes cats, call 555-0101")  # clause punctuation
    assert not is_running_text("ford gran torino (sw)")  # a model name
    assert not is_running_text("chevrolet chevelle malibu")
    assert not is_running_text("Acme, Inc.")  # too few words to be a sentence
    assert not is_running_text("no issues")
    assert not is_running_text("Portland, Oregon, USA")  # a place: capitals after commas
    assert not is_running_text("St. Louis Cardinals")
    assert is_running_text("arrived late, box damaged") and is_running_text("box arrived damaged.")
    assert is_contact_note("call 555-0101 after six") and is_contact_note("mail ann@x.org today")
    assert not is_contact_note("tel: 617-555-0143 ext. 12")  # a labelled phone number
    assert not is_contact_note("no issues")


def test_a_long_cell_is_read_in_linear_time() -> None:
    """A cell of 200,000 characters without a space: looking for an e-mail address
    from every character took quadratic time (12 s at 40,000, minutes at this size)."""
    cell = "x" * 200_000
    start = time.perf_counter()
    assert not is_contact_note(cell) and not is_running_text(cell)
    assert not is_contact_note(f"{cell}@ {cell}")
    assert time.perf_counter() - start < 2.0  # about 5 ms when linear


def test_free_text_is_made_up_and_labels_are_categories(table) -> None:
    found = semantics_of(table)
    assert found["Name"].sdtype is SemanticType.CATEGORICAL
    assert found["notes"].sdtype is SemanticType.TEXT
    assert "sentences" in found["notes"].reason
    assert found["remarks"].sdtype is SemanticType.TEXT
    assert found["reason"].sdtype is SemanticType.CATEGORICAL  # four canned sentences
    assert found["price"].sdtype is SemanticType.NUMERICAL


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_column_keeps_its_type_on_70_percent_of_the_table(table, seed) -> None:
    whole = {name: c.sdtype for name, c in semantics_of(table).items()}
    part = {
        name: c.sdtype
        for name, c in semantics_of(table.sample(frac=0.7, random_state=seed)).items()
    }
    assert part == whole


def test_no_note_is_copied_and_models_are(table, tmp_path) -> None:
    """Through generate: no real note or remark in the output, no name or phone number
    of a remark, a warning naming both columns; the car models come from the real ones."""
    table.to_csv(tmp_path / "orders.csv", index=False)
    args = ["generate", str(tmp_path / "orders.csv"), "-o", str(tmp_path / "out.csv")]
    result = CliRunner().invoke(app, [*args, "--seed", "3"])
    assert result.exit_code == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if "never copied" in line]
    assert len(warning) == 1
    assert "notes (fake text)" in warning[0] and "remarks (fake text)" in warning[0]
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert not out["notes"].isin(table["notes"]).any()
    assert not out["remarks"].isin(table["remarks"]).any()
    assert not out["remarks"].str.contains(r"Ricky|Anna|Paul|Maria|555-01").any()
    assert set(out["Name"]) <= set(table["Name"])
    assert out["Name"].nunique() > 50  # copied from the donors, not one value
