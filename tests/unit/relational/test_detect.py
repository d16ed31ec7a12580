"""Keys and relationships found in a folder of tables from names and values."""

from __future__ import annotations

import pandas as pd
import pytest

from mixsynth.relational.detect import detect_metadata, singular
from mixsynth.semantics.types import SemanticType


@pytest.mark.parametrize(
    ("plural", "one"),
    [
        ("customers", "customer"),
        ("categories", "category"),
        ("boxes", "box"),
        ("address", "address"),
    ],
)
def test_singular(plural: str, one: str) -> None:
    assert singular(plural) == one


def test_keys_and_links_need_both_the_name_and_the_values() -> None:
    tables = {
        "users": pd.DataFrame({"id": [1, 2, 3], "age": [30, 40, 50]}),
        "posts": pd.DataFrame(
            {"post_id": [10, 11, 12, 13], "user_id": [1, 1, 3, None], "likes": [1, 5, 2, 0]}
        ),
        # named like a users key, but 9 is no user: reported, not linked
        "votes": pd.DataFrame({"vote_id": [1, 2], "user_id": [2, 9]}),
    }
    found = detect_metadata(tables)
    assert {name: meta.primary_key for name, meta in found.tables.items()} == {
        "users": "id",
        "posts": "post_id",
        "votes": "vote_id",
    }
    assert [r.label() for r in found.relationships] == ["posts.user_id -> users.id"]
    assert found.tables["posts"].columns["user_id"].sdtype is SemanticType.ID
    rejected = found.evidence["rejected"]
    assert [(e["child"], e["foreign_key"]) for e in rejected] == [("votes", "user_id")]
    assert "1 of 2 present values (50.0%)" in rejected[0]["why"]
    assert found.order().index("users") < found.order().index("posts")
