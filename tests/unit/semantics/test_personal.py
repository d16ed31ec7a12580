"""Personal data recognised by its values (cards, IBANs, SSNs, names, notes), not by
headers or the table's size; and none of it in default output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from mixsynth.columns import infer_schema
from mixsynth.semantics.inference import infer_semantics
from mixsynth.semantics.personal import iban_valid, luhn_valid
from mixsynth.semantics.types import SemanticType

ROWS = 400


def semantics_of(frame: pd.DataFrame) -> dict:
    return infer_semantics(frame, infer_schema(frame, ())).columns


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    """Columns of personal data under headers that say nothing, and two that are not."""
    fake = Faker("en_US")
    fake.seed_instance(4)
    rng = np.random.default_rng(4)
    names = [fake.name() for _ in range(200)]  # repeats: about half the rows distinct
    notes = ["Ricky likes cats", "no issues", "call back later", "Anna asked for a refund"]
    return pd.DataFrame(
        {
            "c1": [fake.credit_card_number(card_type="visa16") for _ in range(ROWS)],
            "c2": [fake.iban() for _ in range(ROWS)],
            "c3": [fake.ssn() for _ in range(ROWS)],
            "c4": list(rng.choice(names, ROWS)),
            "c5": list(rng.choice([*notes, "late delivery", "prefers e-mail"], ROWS)),
            "amount": np.round(rng.gamma(2.0, 30.0, ROWS), 2),
        }
    )


def test_checksums() -> None:
    assert luhn_valid("4539 1488 0343 6467") and not luhn_valid("4539 1488 0343 6468")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid(
        "GB82 WEST 1234 5698 7654 33"
    )


def test_personal_data_is_found_by_its_values_whatever_the_header(people) -> None:
    found = semantics_of(people)
    assert (found["c1"].sdtype, found["c1"].pii) == (SemanticType.PII, "credit_card_number")
    assert (found["c2"].sdtype, found["c2"].pii) == (SemanticType.PII, "iban")
    assert (found["c3"].sdtype, found["c3"].pii) == (SemanticType.PII, "ssn")
    assert (found["c4"].sdtype, found["c4"].pii) == (SemanticType.PII, "name")
    assert found["c5"].sdtype is SemanticType.TEXT  # notes naming Ricky and Anna
    assert found["amount"].sdtype is SemanticType.NUMERICAL


def test_short_notes_naming_someone_among_one_word_answers_are_text() -> None:
    """Two-word notes ("call Jennifer") hide among "ok"/"late"; copied, each would
    hand over a real customer's name."""
    rng = np.random.default_rng(5)
    first = ["Jennifer", "Michael", "Ricky", "Maria", "Hannah", "Lucas"]
    answers = ["ok", "late", "paid"] + [f"call {name}" for name in first]
    frame = pd.DataFrame({"answer": rng.choice(answers, ROWS, p=[0.25] * 3 + [0.25 / 6] * 6)})
    assert semantics_of(frame)["answer"].sdtype is SemanticType.TEXT


def test_sentence_case_labels_holding_a_first_name_stay_categories() -> None:
    """A first name as a label's first word ("Grace period", "Will call") or in a
    title-case label ("San Jose") names nobody."""
    rng = np.random.default_rng(6)
    labels = ["Grace period", "Will call", "Rose gold", "San Jose", "Current", "Charged off"]
    frame = pd.DataFrame({"status": rng.choice(labels, ROWS)})
    assert semantics_of(frame)["status"].sdtype is SemanticType.CATEGORICAL


def test_random_digits_are_not_card_numbers() -> None:
    rng = np.random.default_rng(1)
    digits = ["".join(map(str, rng.integers(0, 10, 16))) for _ in range(ROWS)]
    digits = [d for d in digits if not luhn_valid(d)]  # as a product code column would be
    found = semantics_of(pd.DataFrame({"code": digits}))["code"]
    assert found.pii != "credit_card_number"


def test_a_column_keeps_its_type_on_part_of_the_table(people) -> None:
    """The names are under half distinct on the whole table and over half on a 70%
    sample: the old rule (mostly distinct and a name word) flipped; by values it cannot."""
    table = people.rename(columns={"c4": "full_name"})
    part = table.sample(frac=0.7, random_state=0)
    assert table["full_name"].nunique() / len(table) < 0.5 < part["full_name"].nunique() / len(part)
    assert semantics_of(table)["full_name"].sdtype is SemanticType.PII
    assert semantics_of(part)["full_name"].sdtype is SemanticType.PII


@pytest.mark.parametrize(
    "models",
    [
        [
            "ford pinto",
            "chevrolet chevelle malibu",
            "toyota corolla",
            "amc hornet",
            "buick skylark",
        ],
        ["Ford Pinto", "Chevrolet Malibu", "Toyota Corolla", "Amc Hornet", "Buick Skylark"],
    ],
)
def test_a_name_header_of_products_is_a_category(models) -> None:
    rng = np.random.default_rng(2)
    values = [f"{m} {i}" if i else m for m in models for i in range(40)]
    frame = pd.DataFrame({"Name": list(rng.choice(values, ROWS))})
    assert semantics_of(frame)["Name"].sdtype is SemanticType.CATEGORICAL


def test_default_output_holds_no_real_personal_value(people, tmp_path) -> None:
    from typer.testing import CliRunner

    from mixsynth.cli import app

    people.to_csv(tmp_path / "people.csv", index=False)
    result = CliRunner().invoke(
        app,
        ["generate", str(tmp_path / "people.csv"), "-o", str(tmp_path / "out.csv"), "--seed", "1"],
    )
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(tmp_path / "out.csv", dtype=str)
    for column in ("c1", "c2", "c3", "c4", "c5"):
        assert not out[column].isin(people[column].astype(str)).any(), column
    assert not out["c5"].str.contains("Ricky|Anna").any()


@pytest.mark.parametrize(
    "locale", ["de_DE", "fr_FR", "es_ES", "pl_PL", "ru_RU", "hu_HU", "ja_JP", "zh_CN", "ko_KR"]
)
def test_person_names_of_other_locales_are_found(locale) -> None:
    """Titles, umlauts, accents, hyphens, family name first, other scripts: German
    names ("Prof. Dr. Hans-Jürgen Müller B.Sc.") were copied as a category."""
    fake = Faker(locale)
    fake.seed_instance(7)
    frame = pd.DataFrame({"c": [fake.name() for _ in range(ROWS)]})
    found = semantics_of(frame)["c"]
    assert (found.sdtype, found.pii) == (SemanticType.PII, "name"), found.reason


def test_names_written_last_first_or_in_capitals_are_found() -> None:
    fake = Faker("en_US")
    fake.seed_instance(8)
    people = [(fake.first_name(), fake.last_name()) for _ in range(ROWS)]
    frame = pd.DataFrame(
        {
            "a": [f"{last}, {first}" for first, last in people],
            "b": [f"{first} {last}".upper() for first, last in people],
        }
    )
    found = semantics_of(frame)
    assert found["a"].pii == "name" and found["b"].pii == "name"


def test_places_and_capitalised_organisations_are_not_names() -> None:
    """Read family name first, "North Carolina" is a surname and a first name; in
    capitals, "BAPTIST HOSPICE" starts with one (Baptist): neither names a person."""
    rng = np.random.default_rng(9)
    states = ["North Carolina", "South Carolina", "West Virginia", "New Jersey"]
    facilities = ["BAPTIST HOSPICE", "MERCY HOSPITAL", "GRACE CLINIC", "HOPE CENTER"]
    frame = pd.DataFrame(
        {"state": rng.choice(states, ROWS), "facility_name": rng.choice(facilities, ROWS)}
    )
    found = semantics_of(frame)
    assert found["state"].sdtype is SemanticType.CATEGORICAL
    assert found["facility_name"].sdtype is SemanticType.CATEGORICAL


def test_user_names_are_personal_data_by_their_header() -> None:
    fake = Faker("en_US")
    fake.seed_instance(10)
    handles = [fake.user_name() for _ in range(ROWS)]
    frame = pd.DataFrame({"username": handles, "login": handles, "screen_name": handles})
    for column in frame:
        assert semantics_of(frame[[column]])[column].pii == "user_name", column


def test_card_numbers_stored_as_integers_are_found() -> None:
    """A CSV column of 16-digit card numbers is read as integers; Maestro's have 12."""
    fake = Faker("en_US")
    fake.seed_instance(11)
    frame = pd.DataFrame(
        {
            "card": [int(fake.credit_card_number(card_type="visa16")) for _ in range(ROWS)],
            "maestro": [fake.credit_card_number(card_type="maestro") for _ in range(ROWS)],
            "big": np.random.default_rng(11).integers(10**15, 10**16, ROWS),  # no checksum
        }
    )
    found = semantics_of(frame)
    assert found["card"].pii == "credit_card_number"
    assert found["maestro"].pii == "credit_card_number"
    assert found["big"].sdtype is SemanticType.NUMERICAL


def test_default_output_holds_none_of_these_either(tmp_path) -> None:
    """German and Japanese names, user names and integer card numbers: all made up."""
    from typer.testing import CliRunner

    from mixsynth.cli import app

    german, japanese, english = Faker("de_DE"), Faker("ja_JP"), Faker("en_US")
    for seed, fake in enumerate((german, japanese, english)):
        fake.seed_instance(12 + seed)
    rows = 200
    frame = pd.DataFrame(
        {
            "c1": [german.name() for _ in range(rows)],
            "c2": [japanese.name() for _ in range(rows)],
            "username": [english.user_name() for _ in range(rows)],
            "c4": [int(english.credit_card_number(card_type="visa16")) for _ in range(rows)],
            "amount": np.random.default_rng(12).gamma(2.0, 30.0, rows).round(2),
        }
    )
    frame.to_csv(tmp_path / "in.csv", index=False)
    result = CliRunner().invoke(
        app, ["generate", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--seed", "2"]
    )
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(tmp_path / "out.csv", dtype=str)
    for column in ("c1", "c2", "username", "c4"):
        assert not out[column].isin(frame[column].astype(str)).any(), column


def test_identifiers_of_devices_people_and_cars_are_made_up() -> None:
    """SSNs with spaces, IPv6 and MAC addresses by their pattern; licence plates and
    passport numbers, codes of rare values, by their shape and rarity."""
    fake = Faker("en_US")
    fake.seed_instance(13)
    frame = pd.DataFrame(
        {
            "a": [fake.ssn().replace("-", " ") for _ in range(ROWS)],
            "b": [fake.ipv6() for _ in range(ROWS)],
            "c": [fake.mac_address() for _ in range(ROWS)],
            "d": [fake.license_plate() for _ in range(ROWS)],
            "e": [f"https://www.example.org/homes/{i}-{fake.user_name()}" for i in range(ROWS)],
            "f": [fake.passport_number() for _ in range(ROWS)],  # digits only, or a letter
        }
    )
    found = semantics_of(frame)
    assert [found[c].pii for c in "abcdef"] == [
        "ssn",
        "ipv6_address",
        "mac_address",
        "generic",
        "url",
        "generic",
    ]


def test_repeated_codes_times_and_dates_are_no_identifiers() -> None:
    """Codes that repeat are a category's or entities' (a panel's firms); times of day
    are no IPv6 addresses; dates written with a month's name and periods are no codes;
    a few web addresses are categories."""
    rng = np.random.default_rng(14)
    frame = pd.DataFrame(
        {
            "grade": rng.choice(["A1", "A2", "B1", "B2", "C1"], ROWS),
            "firm": [f"firm{i:03d}" for i in rng.integers(0, 60, ROWS)],  # a panel's
            "time": [f"{h:02d}:{m:02d}:{s:02d}" for h, m, s in rng.integers(0, 24, (ROWS, 3))],
            "day": [f"{d}-Aug-{y:02d}" for d, y in rng.integers(1, 29, (ROWS, 2))],
            "iso": [
                str(d.date())
                for d in pd.Timestamp("2001-01-01")
                + pd.to_timedelta(rng.integers(0, 9000, ROWS), "D")
            ],
            "month": [
                f"{y} {m}"
                for y, m in zip(
                    rng.integers(1900, 2030, ROWS),
                    rng.choice(["Jan", "Q1", "W06"], ROWS),
                    strict=True,
                )
            ],
            "site": rng.choice(["https://a.org", "https://b.org", "https://c.org"], ROWS),
        }
    )
    found = semantics_of(frame)
    assert all(found[c].sdtype is not SemanticType.PII for c in frame), {
        c: found[c].reason for c in frame
    }


def test_two_word_notes_opened_by_many_first_names_are_text() -> None:
    """ "Jason called", "Maria called": the first word is a person, many different ones
    (labels such as "Grace period" or "Will call" hold a few)."""
    fake = Faker("en_US")
    fake.seed_instance(15)
    frame = pd.DataFrame({"log": [f"{fake.first_name()} called" for _ in range(ROWS)]})
    assert semantics_of(frame)["log"].sdtype is SemanticType.TEXT


@pytest.fixture(scope="module")
def with_stand_ins() -> pd.DataFrame:
    """Personal data with stand-ins for missing values, as exports write them."""
    fake = Faker("en_US")
    fake.seed_instance(16)
    rng = np.random.default_rng(16)

    def holes(values: list, share: float, stand_in: str) -> list:
        return [stand_in if rng.random() < share else v for v in values]

    return pd.DataFrame(
        {
            "c1": holes([fake.email() for _ in range(ROWS)], 0.4, "none"),
            "c2": holes([fake.ssn() for _ in range(ROWS)], 0.3, "unknown"),
            "c3": holes([fake.credit_card_number("visa16") for _ in range(ROWS)], 0.3, "-"),
            "c4": holes([fake.name() for _ in range(ROWS)], 0.45, "Anonymous"),
            "c5": [
                fake.email() if rng.random() < 0.5 else fake.phone_number() for _ in range(ROWS)
            ],
            "c6": [fake.phone_number() for _ in range(ROWS)],  # (701)698-6039, 001-...x12
        }
    )


def test_stand_ins_for_missing_values_hide_no_personal_data(with_stand_ins) -> None:
    """E-mail addresses with "none" in 40% of the rows were copied; so were columns
    mixing e-mail addresses and phone numbers, and Faker's own phone formats."""
    found = semantics_of(with_stand_ins)
    assert [found[c].pii for c in ("c1", "c2", "c3", "c4", "c5", "c6")] == [
        "email",
        "ssn",
        "credit_card_number",
        "name",
        "generic",
        "phone_number",
    ]
    assert found["c1"].placeholders == ("none",)
    assert found["c4"].placeholders == ("Anonymous",)


@pytest.mark.parametrize("engine", ["memory", "dask"])
def test_stand_ins_are_kept_and_the_rest_made_up(with_stand_ins, tmp_path, engine) -> None:
    """Each row whose dominant donor holds a stand-in gets it: in memory as many as the
    real rows (balanced donors: each real row is one output row's dominant donor); the
    Dask engine draws donors in each partition, so within three binomial errors."""
    from typer.testing import CliRunner

    from mixsynth.cli import app

    with_stand_ins.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / ("out.parquet" if engine == "dask" else "out.csv")
    result = CliRunner().invoke(
        app,
        ["generate", str(tmp_path / "in.csv"), "-o", str(out), "--seed", "3", "--engine", engine],
    )
    assert result.exit_code == 0, result.stderr
    made = (
        pd.read_parquet(out)
        if engine == "dask"
        else pd.read_csv(out, dtype=str, keep_default_na=False)
    )
    for column, stand_in in (("c1", "none"), ("c2", "unknown"), ("c3", "-"), ("c4", "Anonymous")):
        real = with_stand_ins[column].astype(str)
        share = (real == stand_in).mean()
        error = 0 if engine == "memory" else 3 * np.sqrt(ROWS * share * (1 - share))
        assert abs((made[column] == stand_in).sum() - share * ROWS) <= error, column
        assert not made[column].isin(set(real) - {stand_in}).any(), column


@pytest.mark.parametrize("case", [str.lower, str.title, str.upper])
def test_car_models_under_a_name_header_stay_a_category_in_any_case(case) -> None:
    """auto-mpg's models ("ford pinto", "Ford Pinto", "FORD PINTO") under `Name`: a
    header saying names lowers the bar to 30% known given names, never to none."""
    from pathlib import Path

    models = (Path(__file__).parent / "car_models.txt").read_text().split("\n")
    values = [case(m.strip()) for m in models if m.strip()]
    rng = np.random.default_rng(17)
    frame = pd.DataFrame({"Name": rng.choice(values, ROWS)})
    assert semantics_of(frame)["Name"].sdtype is SemanticType.CATEGORICAL


def test_places_under_a_name_header_are_no_people() -> None:
    """ "Lansdowne Airport" under `name` has the shape of a person's name; a header
    saying names asks for 30% known given names, and places have few."""
    fake = Faker("en_US")
    fake.seed_instance(18)
    kinds = ["Airport", "Field", "Park", "Station", "Bridge", "Harbor"]
    places = [f"{fake.last_name()} {kinds[i % len(kinds)]}" for i in range(ROWS)]
    frame = pd.DataFrame({"name": places})
    assert semantics_of(frame)["name"].sdtype is SemanticType.CATEGORICAL


def test_header_rules_keep_their_type_on_part_of_the_table() -> None:
    """UK phone numbers (no pattern of their own) under `phone`, user names under
    `username` and addresses under `address`, shared by households: under half distinct
    on the whole table, over half on a 70% sample. A share of distinct values flipped
    their type; a count of them does not."""
    fake = Faker("en_GB")
    fake.seed_instance(19)
    rng = np.random.default_rng(19)
    households = 180
    pools = {
        "phone": [fake.phone_number() for _ in range(households)],
        "username": [fake.user_name() for _ in range(households)],
        "address": [fake.address().replace("\n", ", ") for _ in range(households)],
    }
    table = pd.DataFrame({name: rng.choice(pool, ROWS) for name, pool in pools.items()})
    part = table.sample(frac=0.7, random_state=0)
    for name in pools:
        assert table[name].nunique() / len(table) < 0.5 < part[name].nunique() / len(part)
        whole, sample = semantics_of(table[[name]])[name], semantics_of(part[[name]])[name]
        assert whole.sdtype is sample.sdtype is SemanticType.PII, name
        assert whole.pii == sample.pii, name


@pytest.mark.parametrize("locale", ["de_DE", "ru_RU", "ja_JP", "zh_CN"])
def test_names_are_made_up_in_their_own_locale(locale) -> None:
    """Japanese names came out as American ones ("Debbie Booth"): the locale whose name
    lists hold most of the real names makes the fakes, whatever the run's --locale."""
    from mixsynth.semantics.personal import names_by_locale
    from mixsynth.semantics.treatments import made_up_values

    fake = Faker(locale)
    fake.seed_instance(20)
    frame = pd.DataFrame({"c": [fake.name() for _ in range(ROWS)]})
    found = semantics_of(frame)["c"]
    assert found.locale == locale
    made = made_up_values(found, ROWS, np.random.default_rng(20), frame["c"].to_numpy(), "en_US")
    assert not set(made) & set(frame["c"])
    if locale in ("ja_JP", "zh_CN"):  # written in its own script
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(v)) for v in made)
    else:  # most words are that locale's names
        own = names_by_locale()[locale]
        words = [w.strip(",.") for value in made for w in str(value).split()]
        assert np.mean([w in own for w in words]) > 0.5
