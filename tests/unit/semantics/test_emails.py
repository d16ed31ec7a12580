"""Made-up e-mail addresses made from the row's made-up name where the real ones are
made from the real names (mixsynth/semantics/emails.py)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mixsynth.cli import app
from mixsynth.semantics.emails import emails_from_names, template_of

CUSTOMERS = "sample_data/customers.csv"
#: Titles of Faker's en_US names (3 % of customers' names have one, and so do the fakes).
TITLES = {
    "mr.",
    "mrs.",
    "ms.",
    "miss",
    "dr.",
    "jr.",
    "ii",
    "iii",
    "iv",
    "v",
    "md",
    "dds",
    "phd",
    "dvm",
}


def test_templates_keep_slots_digits_and_separators_only() -> None:
    assert template_of("dennis.turner0@yahoo.com", "Dennis", "Turner") == "{first}.{last}#"
    assert template_of("dturner@x.com", "Dennis", "Turner") == "{f}{last}"
    assert template_of("dennist12@x.com", "Dennis", "Turner") == "{first}{l}##"
    assert template_of("Jurgen_Muller@x.de", "Jürgen", "Müller") == "{first}_{last}"
    # Other letters left (a town, a nickname) would write a real fragment: no template.
    assert template_of("turner.nyc@x.com", "Dennis", "Turner") is None
    assert template_of("cats4ever@x.com", "Dennis", "Turner") is None


def test_customers_addresses_are_made_from_their_names() -> None:
    real = pd.read_csv(CUSTOMERS)
    pii = {"full_name": "name", "email": "email"}
    (tie,) = emails_from_names(real, pii)
    assert (tie.email, tie.first, tie.last) == ("email", "full_name", "full_name")
    assert set(tie.templates) <= {"{first}.{last}" + "#" * k for k in range(0, 5)}
    # Shuffled, the addresses are no one's in their row: no tie.
    shuffled = real.assign(email=real["email"].sample(frac=1, random_state=0).to_numpy())
    assert emails_from_names(shuffled, pii) == ()


def test_a_first_and_a_last_name_column_make_the_address_too() -> None:
    real = pd.read_csv(CUSTOMERS)
    words = real["full_name"].str.split()
    split = real.assign(given=words.str[0], family=words.str[-1]).drop(columns="full_name")
    (tie,) = emails_from_names(
        split, {"given": "first_name", "family": "last_name", "email": "email"}
    )
    assert (tie.first, tie.last) == ("given", "family")


def generated(tmp_path, frame: pd.DataFrame, engine: str = "memory") -> pd.DataFrame:
    frame.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / ("out.parquet" if engine == "dask" else "out.csv")
    command = ["generate", str(tmp_path / "in.csv"), "-o", str(out), "--seed", "5"]
    result = CliRunner().invoke(app, [*command, "--engine", engine])
    assert result.exit_code == 0, result.stderr
    return pd.read_parquet(out) if engine == "dask" else pd.read_csv(out)


@pytest.mark.parametrize("engine", ["memory", "dask"])
def test_every_made_up_address_spells_its_rows_made_up_name(tmp_path, engine) -> None:
    """Faked column by column, a row read "Mandy Mcgrath", "kruegerbridget@example.com".
    Now each address is first.last and digits of the row's own made-up name (as every
    real one is), none is real, and none repeats."""
    real = pd.read_csv(CUSTOMERS)
    out = generated(tmp_path, real, engine)
    present = out.dropna(subset=["full_name", "email"])
    assert len(present) > 0.9 * len(out)
    for name, address in zip(present["full_name"], present["email"], strict=True):
        words = [w for w in name.lower().split() if w not in TITLES]
        first, last = words[0], words[-1]
        assert re.fullmatch(rf"{re.escape(first)}\.{re.escape(last)}\d*@[\w.-]+", address), (
            name,
            address,
        )
    assert not out["email"].isin(real["email"]).any()
    assert not out["full_name"].isin(real["full_name"]).any()
    assert out["email"].dropna().is_unique


def test_addresses_not_made_from_names_stay_fakers(tmp_path) -> None:
    real = pd.read_csv(CUSTOMERS)
    shuffled = real.assign(email=real["email"].sample(frac=1, random_state=0).to_numpy())
    out = generated(tmp_path, shuffled)
    spelled = [
        name.lower().split()[-1] in address
        for name, address in zip(out["full_name"], out["email"], strict=True)
        if isinstance(name, str) and isinstance(address, str)
    ]
    assert np.mean(spelled) < 0.2
