"""Metadata files: SDV's JSON read as it is, mixsynth's own file round-tripped, bad
files refused with one line, unknown keys warned about once.

The SDV fixtures in tests/unit/semantics/data/sdv/ follow the examples of SDV's "Metadata JSON" and
"Single Table Metadata JSON" pages and what ``save_to_json`` writes (``pii`` on the
personal-data sdtypes, ``computer_representation``, ``datetime_format``,
``regex_format``, ``order_by``).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixsynth.errors import MixsynthError, MixsynthWarning
from mixsynth.semantics.metadata import (
    check_metadata_columns,
    load_metadata,
    merge_metadata,
    save_metadata,
)
from mixsynth.semantics.types import (
    GENERIC_PII,
    PII_SUBTYPES,
    ColumnSemantics,
    SemanticType,
    TableMetadata,
)
from tests.conftest import examples

SDV = Path(__file__).parent / "data" / "sdv"
T = SemanticType


def load_quietly(path) -> TableMetadata:
    """Load, failing the test on any warning (the file has no unknown keys)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_metadata(path)


def write(tmp_path: Path, document, name: str = "meta.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


# ---------------------------------------------------------------------------------
# SDV files


def test_sdv_single_table_v1_is_read_with_its_sdtypes_and_key():
    meta = load_quietly(SDV / "single_table_v1.json")
    assert list(meta.columns) == [
        "guest_email",
        "has_rewards",
        "room_type",
        "amenities_fee",
        "checkin_date",
        "checkout_date",
        "room_rate",
        "billing_address",
        "credit_card_number",
    ]
    described = {name: c.describe() for name, c in meta.columns.items()}
    assert described == {
        "guest_email": "pii (email)",
        "has_rewards": "boolean",
        "room_type": "categorical",
        "amenities_fee": "numerical",
        "checkin_date": "datetime",
        "checkout_date": "datetime",
        "room_rate": "numerical",
        "billing_address": "pii (address)",
        "credit_card_number": "pii (credit_card_number)",
    }
    assert meta.primary_key == "guest_email"
    assert meta["checkin_date"].datetime_format == "%d %b %Y"
    assert {c.reason for c in meta.columns.values()} == {"from metadata single_table_v1.json"}


def test_sdv_v1_maps_every_kind_of_sdtype():
    meta = load_quietly(SDV / "v1.json")
    assert meta.primary_key == "customer_id"
    assert meta["customer_id"].sdtype == T.ID
    assert meta["customer_id"].regex_format == "CUS-[0-9]{6}"
    assert (meta["full_name"].sdtype, meta["full_name"].pii) == (T.PII, "name")
    assert (meta["email"].sdtype, meta["email"].pii) == (T.PII, "email")
    # SDV's default for a personal-data sdtype without "pii" is true.
    assert (meta["phone"].sdtype, meta["phone"].pii) == (T.PII, "phone_number")
    # "pii": false keeps the real values: copied, and the reason says so.
    assert meta["zip"].sdtype == T.CATEGORICAL and meta["zip"].pii is None
    assert '"pii": false' in meta["zip"].reason and "copied" in meta["zip"].reason
    assert meta["rating"].sdtype == T.CATEGORICAL
    assert meta["age"].sdtype == meta["monthly_spend"].sdtype == T.NUMERICAL
    assert meta["signup_date"].datetime_format == "%Y-%m-%d"
    assert meta["churned"].sdtype == T.BOOLEAN
    # A Faker sdtype mixsynth has no provider for, and "unknown": generic fakes.
    assert (meta["car_vin"].sdtype, meta["car_vin"].pii) == (T.PII, GENERIC_PII)
    assert "vin" in meta["car_vin"].reason and "shape" in meta["car_vin"].reason
    assert (meta["notes"].sdtype, meta["notes"].pii) == (T.PII, GENERIC_PII)
    assert meta["plan"].reason == "from metadata v1.json"


def test_sdv_v2_is_read_like_v1():
    v1, v2 = load_quietly(SDV / "v1.json"), load_quietly(SDV / "v2.json")

    def without_file(meta):
        return {
            n: c.with_(reason=c.reason.replace("v2.json", "v1.json"))
            for n, c in meta.columns.items()
        }

    assert without_file(v2) == without_file(v1)
    assert v2.primary_key == v1.primary_key


def test_single_table_in_multi_table_layout_and_text_and_ordinal(tmp_path):
    document = {
        "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
        "tables": {
            "t": {
                "columns": {
                    "review": {"sdtype": "text"},
                    "size": {"sdtype": "ordinal", "order": ["S", "M", "L"]},
                    "secret_but_kept": {"sdtype": "text", "pii": False},
                },
                "primary_key": [],
            }
        },
        "relationships": [],
    }
    meta = load_quietly(write(tmp_path, document))
    assert meta["review"].sdtype == T.TEXT
    assert meta["size"].sdtype == T.ORDINAL
    assert meta["secret_but_kept"].sdtype == T.CATEGORICAL
    assert meta.primary_key is None


def test_one_column_key_given_as_a_list(tmp_path):
    document = {"columns": {"k": {"sdtype": "id"}}, "primary_key": ["k"]}
    assert load_quietly(write(tmp_path, document)).primary_key == "k"


def test_several_tables_are_refused_naming_them():
    with pytest.raises(MixsynthError) as error:
        load_metadata(SDV / "multi_table_v1.json")
    message = str(error.value)
    assert "2 tables" in message and "'hotels'" in message and "'guests'" in message
    assert "get_table_metadata" in error.value.hint
    assert "\n" not in message


def test_unknown_keys_are_warned_about_once_per_file(tmp_path):
    document = json.loads((SDV / "v1.json").read_text())
    document["comment"] = "top"
    document["tables"]["customers"]["owner"] = "me"
    document["tables"]["customers"]["columns"]["age"]["unit"] = "years"
    document["tables"]["customers"]["columns"]["email"]["domain"] = "x"
    with pytest.warns(MixsynthWarning) as record:
        meta = load_metadata(write(tmp_path, document))
    assert len(record) == 1
    message = str(record[0].message)
    for key in ("'comment'", "'owner'", "age.unit", "email.domain"):
        assert key in message
    assert "meta.json" in message
    assert meta["age"].sdtype == T.NUMERICAL  # not fatal


def test_an_unknown_spec_version_is_warned_and_read_by_layout(tmp_path):
    document = json.loads((SDV / "v1.json").read_text())
    document["METADATA_SPEC_VERSION"] = "V9"
    with pytest.warns(MixsynthWarning, match="'V9'"):
        meta = load_metadata(write(tmp_path, document))
    assert meta["email"].pii == "email"


BAD_FILES = {
    "not json": ("{'columns': }", "not valid JSON: .* at line 1 column 2"),
    "a list": ("[1, 2]", "a JSON list, not an object"),
    "no columns": ({"METADATA_SPEC_VERSION": "V1"}, 'neither "tables" nor "columns"'),
    "empty tables": ({"tables": {}}, '"tables" is not an object'),
    "empty columns": ({"columns": {}}, 'no "columns" object'),
    "no sdtype": ({"columns": {"a": {"type": "numerical"}}}, "column 'a' has no \"sdtype\""),
    "pii not bool": ({"columns": {"a": {"sdtype": "email", "pii": "yes"}}}, "true or false"),
    "typo": ({"columns": {"a": {"sdtype": "numercal"}}}, "did you mean 'numerical'"),
    "pii typo": ({"columns": {"a": {"sdtype": "emial"}}}, "did you mean 'email'"),
    "composite key": (
        {"columns": {"a": {"sdtype": "id"}, "b": {"sdtype": "id"}}, "primary_key": ["a", "b"]},
        "primary key of 2 columns",
    ),
    "key not a column": ({"columns": {"a": {"sdtype": "id"}}, "primary_key": "b"}, "'b'"),
    "regex not text": ({"columns": {"a": {"sdtype": "id", "regex_format": 5}}}, "not a string"),
    "bad decimals": (
        {
            "columns": {"a": {"sdtype": "numerical"}},
            "mixsynth": {"version": 1, "columns": {"a": {"sdtype": "numerical", "decimals": "2"}}},
        },
        "decimals is '2', not a whole number",
    ),
    "bad mixsynth type": (
        {
            "columns": {"a": {"sdtype": "numerical"}},
            "mixsynth": {"columns": {"a": {"sdtype": "float"}}},
        },
        "not a mixsynth type",
    ),
    "newer mixsynth": (
        {"columns": {"a": {"sdtype": "numerical"}}, "mixsynth": {"version": 2, "columns": {}}},
        "version 2",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_with_one_line(tmp_path, case):
    document, expected = BAD_FILES[case]
    with pytest.raises(MixsynthError, match=expected) as error:
        load_metadata(write(tmp_path, document))
    assert "\n" not in str(error.value)
    assert error.value.hint


def test_unreadable_and_non_utf8_files_are_refused(tmp_path):
    with pytest.raises(MixsynthError, match="cannot read metadata file"):
        load_metadata(tmp_path / "missing.json")
    with pytest.raises(MixsynthError, match="cannot read metadata file"):
        load_metadata(tmp_path)  # a folder
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"columns": {"caf\xe9": {"sdtype": "id"}}}'.encode("latin-1"))
    with pytest.raises(MixsynthError, match="not UTF-8"):
        load_metadata(latin)


# ---------------------------------------------------------------------------------
# Columns the table lacks


def test_a_column_the_table_lacks_is_refused_with_a_suggestion():
    meta = load_quietly(SDV / "single_table_v1.json")
    names = [c for c in meta.columns if c != "room_rate"] + ["room_rates"]
    with pytest.raises(MixsynthError) as error:
        check_metadata_columns(meta, names)
    assert "'room_rate'" in str(error.value) and "did you mean 'room_rates'" in str(error.value)


def test_several_missing_columns_are_all_named_and_no_suggestion_when_none_is_close():
    meta = TableMetadata({n: ColumnSemantics(n, T.NUMERICAL) for n in ("alpha", "beta", "gamma")})
    with pytest.raises(MixsynthError) as error:
        check_metadata_columns(meta, ["gamma", "zzz"])
    message = str(error.value)
    assert "columns 'alpha', 'beta'" in message and "did you mean" not in message
    check_metadata_columns(meta, ["alpha", "beta", "gamma", "extra"])  # extra columns: fine


# ---------------------------------------------------------------------------------
# Merging a file over inference


def test_merge_overrides_types_keeps_order_and_facts_only_where_the_type_is_kept():
    inferred = TableMetadata(
        {
            "id": ColumnSemantics("id", T.ID, "id: distinct"),
            "spend": ColumnSemantics("spend", T.NUMERICAL, "mixed", decimals=2, point_mass=0.0),
            "zip": ColumnSemantics("zip", T.NUMERICAL, "mixed", decimals=0, minimum=501.0),
            "age": ColumnSemantics("age", T.NUMERICAL, "mixed", decimals=0, minimum=18.0),
            "plan": ColumnSemantics("plan", T.CATEGORICAL, "text"),
        },
        primary_key="id",
    )
    given = TableMetadata(
        {
            "zip": ColumnSemantics("zip", T.CATEGORICAL, "from metadata m.json"),
            "spend": ColumnSemantics("spend", T.NUMERICAL, "from metadata m.json"),
            "age": ColumnSemantics("age", T.NUMERICAL, "from metadata m.json", minimum=0.0),
        }
    )
    merged = merge_metadata(inferred, given)
    assert list(merged.columns) == ["id", "spend", "zip", "age", "plan"]
    assert merged["id"] == inferred["id"] and merged["plan"] == inferred["plan"]
    # Same type: the inferred facts stay; the file's own facts win.
    assert (merged["spend"].decimals, merged["spend"].point_mass) == (2, 0.0)
    assert merged["spend"].reason == "from metadata m.json"
    assert (merged["age"].minimum, merged["age"].decimals) == (0.0, 0)
    # Another type: the inferred numeric facts go.
    assert merged["zip"] == given["zip"]
    assert merged.primary_key == "id"


def test_merge_keeps_the_inferred_key_only_while_it_is_an_id():
    inferred = TableMetadata({"k": ColumnSemantics("k", T.ID)}, primary_key="k")
    demoted = TableMetadata({"k": ColumnSemantics("k", T.CATEGORICAL)})
    assert merge_metadata(inferred, demoted).primary_key is None
    given_key = TableMetadata({"k": ColumnSemantics("k", T.ID)}, primary_key="k")
    assert (
        merge_metadata(TableMetadata({"k": ColumnSemantics("k", T.ID)}), given_key).primary_key
        == "k"
    )


def test_merge_refuses_a_file_naming_a_column_the_table_lacks():
    inferred = TableMetadata({"a": ColumnSemantics("a", T.NUMERICAL)})
    with pytest.raises(MixsynthError, match="'b'"):
        merge_metadata(inferred, TableMetadata({"b": ColumnSemantics("b", T.NUMERICAL)}))


# ---------------------------------------------------------------------------------
# mixsynth's own file


EVERY_TYPE = TableMetadata(
    {
        "customer_id": ColumnSemantics(
            "customer_id",
            T.ID,
            "id: 2000 distinct values in 2000 rows, name ends in _id",
            regex_format="C[0-9]{4}",
        ),
        "email": ColumnSemantics("email", T.PII, "name says email", pii="email"),
        "vin": ColumnSemantics("vin", T.PII, "", pii=GENERIC_PII),
        "bio": ColumnSemantics("bio", T.TEXT, "long text"),
        "plan": ColumnSemantics("plan", T.CATEGORICAL, "3 values"),
        "rating": ColumnSemantics("rating", T.ORDINAL, "1 to 5"),
        "churned": ColumnSemantics("churned", T.BOOLEAN, "two values"),
        "signup": ColumnSemantics("signup", T.DATETIME, "dates", datetime_format="%Y-%m-%d"),
        "spend": ColumnSemantics(
            "spend", T.NUMERICAL, "mixed", decimals=2, point_mass=0.0, minimum=0.0, maximum=99.5
        ),
        "âge ünïcode": ColumnSemantics("âge ünïcode", T.NUMERICAL, "mixed", decimals=0),
    },
    primary_key="customer_id",
)


def test_save_writes_an_sdv_v1_file_with_a_mixsynth_section(tmp_path):
    path = tmp_path / "meta.json"
    save_metadata(EVERY_TYPE, path, "customers")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document) == ["METADATA_SPEC_VERSION", "tables", "relationships", "mixsynth"]
    assert document["METADATA_SPEC_VERSION"] == "V1" and document["relationships"] == []
    table = document["tables"]["customers"]
    assert table["primary_key"] == "customer_id"
    assert table["columns"] == {
        "customer_id": {"sdtype": "id", "regex_format": "C[0-9]{4}"},
        "email": {"sdtype": "email", "pii": True},
        "vin": {"sdtype": "unknown", "pii": True},
        "bio": {"sdtype": "text", "pii": True},
        "plan": {"sdtype": "categorical"},
        "rating": {"sdtype": "categorical"},
        "churned": {"sdtype": "boolean"},
        "signup": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
        "spend": {"sdtype": "numerical"},
        "âge ünïcode": {"sdtype": "numerical"},
    }
    section = document["mixsynth"]
    assert section["version"] == 1
    assert section["columns"]["spend"] == {
        "sdtype": "numerical",
        "reason": "mixed",
        "decimals": 2,
        "point_mass": 0.0,
        "minimum": 0.0,
        "maximum": 99.5,
    }
    assert section["columns"]["rating"]["sdtype"] == "ordinal"
    assert section["columns"]["vin"]["pii"] == GENERIC_PII


def test_round_trip_of_every_type(tmp_path):
    path = tmp_path / "meta.json"
    save_metadata(EVERY_TYPE, path, "customers")
    assert load_quietly(path) == EVERY_TYPE


def test_an_edited_sdv_part_wins_over_the_saved_type(tmp_path):
    path = tmp_path / "meta.json"
    save_metadata(EVERY_TYPE, path, "customers")
    document = json.loads(path.read_text(encoding="utf-8"))
    document["tables"]["customers"]["columns"]["email"] = {"sdtype": "email", "pii": False}
    document["tables"]["customers"]["columns"]["spend"] = {"sdtype": "categorical"}
    path.write_text(json.dumps(document))
    meta = load_quietly(path)
    assert meta["email"].sdtype == T.CATEGORICAL and '"pii": false' in meta["email"].reason
    assert meta["spend"].sdtype == T.CATEGORICAL
    assert meta["spend"].reason == "from metadata meta.json"
    assert meta["rating"] == EVERY_TYPE["rating"]  # untouched columns keep everything


def test_save_replaces_a_file_atomically_and_refuses_a_missing_folder(tmp_path):
    path = tmp_path / "meta.json"
    path.write_text("old")
    save_metadata(EVERY_TYPE, path, "t")
    assert load_quietly(path) == EVERY_TYPE
    assert os.listdir(tmp_path) == ["meta.json"]  # no temporary file left behind
    with pytest.raises(MixsynthError, match="cannot write metadata file"):
        save_metadata(EVERY_TYPE, tmp_path / "no" / "meta.json", "t")
    assert os.listdir(tmp_path) == ["meta.json"]


def test_a_failed_save_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "meta.json"
    path.write_text("previous")

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(MixsynthError, match="No space left"):
        save_metadata(EVERY_TYPE, path, "t")
    monkeypatch.undo()
    assert path.read_text() == "previous"
    assert os.listdir(tmp_path) == ["meta.json"]


def _columns(draw, names):
    columns = {}
    for name in names:
        sdtype = draw(st.sampled_from(list(SemanticType)))
        pii = draw(st.sampled_from([*PII_SUBTYPES, GENERIC_PII])) if sdtype == T.PII else None
        number = st.none() | st.floats(allow_nan=False, allow_infinity=False)
        columns[name] = ColumnSemantics(
            name,
            sdtype,
            draw(st.text(max_size=30)),
            pii=pii,
            decimals=draw(st.none() | st.integers(0, 15)),
            point_mass=draw(number),
            minimum=draw(number),
            maximum=draw(number),
            regex_format=draw(st.none() | st.text(max_size=10)) if sdtype == T.ID else None,
            datetime_format=draw(st.none() | st.text(max_size=10))
            if sdtype == T.DATETIME
            else None,
        )
    return columns


@st.composite
def table_metadata(draw):
    names = draw(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8, unique=True))
    columns = _columns(draw, names)
    ids = [n for n, c in columns.items() if c.sdtype == T.ID]
    key = draw(st.none() | st.sampled_from(ids)) if ids else None
    return TableMetadata(columns, key)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(meta=table_metadata())
def test_round_trip_of_any_metadata(tmp_path, meta):
    path = tmp_path / "meta.json"
    save_metadata(meta, path, "t")
    assert load_quietly(path) == meta
