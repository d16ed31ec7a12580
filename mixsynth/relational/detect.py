"""Keys and relationships of a folder of tables, found from names and values, with the
evidence (what ``mixsynth inspect FOLDER`` shows and writes).

- A table's **primary key**: a column with no missing and no repeated value, named
  ``id``, ``<table>_id`` or ``<table in the singular>_id`` (else the one such column
  whose name ends in ``id``).
- A **relationship**: a column of another table named like a parent's key (the key's
  own name, or ``<parent in the singular>_id``) all of whose present values are keys of
  that parent. A name that matches with values that do not is reported, not used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mixsynth.relational.metadata import RelationalMetadata, Relationship
from mixsynth.semantics.types import SemanticType, TableMetadata

if TYPE_CHECKING:
    import pandas as pd


def singular(name: str) -> str:
    """``customers`` -> ``customer``, ``categories`` -> ``category`` (English plurals)."""
    lower = name.lower()
    if lower.endswith("ies"):
        return name[:-3] + "y"
    if lower.endswith(("ses", "xes")):
        return name[:-2]
    return name[:-1] if lower.endswith("s") and not lower.endswith("ss") else name


def _key_names(table: str) -> list[str]:
    return ["id", f"{table}_id", f"{singular(table)}_id"]


def _is_key(values: pd.Series) -> bool:
    return len(values) > 0 and not values.isna().any() and values.is_unique


def primary_key(table: str, frame: pd.DataFrame) -> tuple[str | None, str]:
    """The table's primary key and why (or None and why not)."""
    lowered = {str(c).lower(): str(c) for c in frame.columns}
    for name in _key_names(table.lower()):
        column = lowered.get(name)
        if column is not None and _is_key(frame[column]):
            return (
                column,
                f"named {column!r} like the table's key, {len(frame)} unique values, none missing",
            )
    candidates = [
        str(c) for c in frame.columns if str(c).lower().endswith("id") and _is_key(frame[c])
    ]
    if len(candidates) == 1:
        return candidates[0], "the one column named like a key with unique values, none missing"
    return None, "no column named like a key has unique values and none missing"


def detect_metadata(tables: dict[str, pd.DataFrame]) -> RelationalMetadata:
    """Each table's column semantics (inferred as for one table), its primary key and
    the relationships between the tables, with the evidence for each."""
    from mixsynth.columns import infer_schema
    from mixsynth.semantics.inference import infer_semantics

    keys: dict[str, str | None] = {}
    evidence: dict[str, Any] = {"primary_keys": {}, "relationships": [], "rejected": []}
    for name, frame in tables.items():
        keys[name], why = primary_key(name, frame)
        evidence["primary_keys"][name] = {"column": keys[name], "why": why}
    relationships = []
    for child, frame in tables.items():
        for column in map(str, frame.columns):
            if column == keys[child]:
                continue
            for parent, key in keys.items():
                if parent == child or key is None:
                    continue
                if column.lower() not in (key.lower(), f"{singular(parent).lower()}_id"):
                    continue
                present = frame[column].dropna()
                found = present.isin(tables[parent][key])
                share = float(found.mean()) if len(present) else 0.0
                entry = {
                    "child": child,
                    "foreign_key": column,
                    "parent": parent,
                    "parent_key": key,
                    "why": f"named like {parent}.{key}; {int(found.sum())} of {len(present)} present "
                    f"values ({share:.1%}) are {parent} keys",
                }
                if len(present) and found.all():
                    relationships.append(Relationship(parent, key, child, column))
                    evidence["relationships"].append(entry)
                else:
                    evidence["rejected"].append(entry)
    metadata = {}
    for name, frame in tables.items():
        inferred = infer_semantics(frame, infer_schema(frame))
        columns = dict(inferred.columns)
        key_columns = [keys[name], *(r.foreign_key for r in relationships if r.child == name)]
        for key_column in key_columns:
            if key_column is not None:
                columns[key_column] = columns[key_column].with_(
                    sdtype=SemanticType.ID, pii=None, decimals=None, point_mass=None, reason="key"
                )
        metadata[name] = TableMetadata(columns, keys[name])
    return RelationalMetadata(metadata, tuple(relationships), evidence)
