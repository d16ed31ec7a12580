"""Several tables linked by keys: which tables, their columns' meaning, their primary
keys and the relationships (a child table's foreign key naming a parent's primary key).

Read from SDV's multi-table metadata JSON as ``Metadata.save_to_json`` writes it
(``"tables"``, each with ``"columns"`` and ``"primary_key"``; ``"relationships"`` with
``parent_table_name``, ``parent_primary_key``, ``child_table_name``,
``child_foreign_key``) or from mixsynth's own file, which is such a file plus a
``"mixsynth"`` section: each table's column reasons and facts, and the evidence for each
key and relationship that ``mixsynth inspect FOLDER`` found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from mixsynth.errors import InputError, warn
from mixsynth.semantics.metadata import (
    MIXSYNTH_SECTION_VERSION,
    bad_metadata,
    read_json,
    sdv_entry,
    table_metadata,
)
from mixsynth.semantics.types import SemanticType, TableMetadata

_RELATIONSHIP_KEYS = (
    "parent_table_name",
    "parent_primary_key",
    "child_table_name",
    "child_foreign_key",
)


@dataclass(frozen=True)
class Relationship:
    """A child table's foreign key pointing at its parent's primary key."""

    parent: str
    parent_key: str
    child: str
    foreign_key: str

    def to_dict(self) -> dict[str, str]:
        """As SDV writes it."""
        return dict(
            zip(
                _RELATIONSHIP_KEYS,
                (self.parent, self.parent_key, self.child, self.foreign_key),
                strict=True,
            )
        )

    def label(self) -> str:
        return f"{self.child}.{self.foreign_key} -> {self.parent}.{self.parent_key}"


@dataclass(frozen=True)
class RelationalMetadata:
    """Every table's column semantics and the relationships between the tables.

    A child's *first* relationship (in file order) is the one its rows are synthesized
    along (docs/multi-table.md); its other foreign keys follow their parents' donors.
    """

    tables: dict[str, TableMetadata]
    relationships: tuple[Relationship, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)  #: what inspect found, and why

    def __post_init__(self) -> None:
        self._check()

    @classmethod
    def from_dict(cls, document: Any, name: str = "metadata") -> RelationalMetadata:
        """Metadata from a parsed JSON document (SDV's or mixsynth's); ``name`` is quoted
        in errors."""
        if not isinstance(document, dict) or not isinstance(document.get("tables"), dict):
            raise bad_metadata(name, 'it has no "tables" object naming each table')
        if not document["tables"]:
            raise bad_metadata(name, '"tables" names no table')
        notes: list[str] = []
        notes += [
            repr(k)
            for k in document
            if k not in ("tables", "relationships", "METADATA_SPEC_VERSION", "mixsynth")
        ]
        section = document.get("mixsynth") or {}
        if not isinstance(section, dict):
            raise bad_metadata(name, 'its "mixsynth" section is not an object')
        if section.get("version", MIXSYNTH_SECTION_VERSION) != MIXSYNTH_SECTION_VERSION:
            raise InputError(
                f"metadata file {name} has a mixsynth section of version {section.get('version')!r}; "
                f"this mixsynth reads version {MIXSYNTH_SECTION_VERSION}",
                "write the file again with `mixsynth inspect FOLDER --metadata FILE`",
            )
        sections = section.get("tables", {})
        tables = {}
        for table, entry in document["tables"].items():
            columns = (sections.get(table) or {}).get("columns", {})
            tables[str(table)] = table_metadata(entry, columns, name, notes)
            if isinstance(entry, dict):
                notes += [
                    f"{table}.{k}"
                    for k in entry
                    if k
                    not in (
                        "columns",
                        "primary_key",
                        "METADATA_SPEC_VERSION",
                        "alternate_keys",
                        "sequence_key",
                        "sequence_index",
                        "column_relationships",
                    )
                ]
        relationships = document.get("relationships", [])
        if not isinstance(relationships, list):
            raise bad_metadata(name, '"relationships" is not a list')
        parsed = []
        for number, entry in enumerate(relationships, 1):
            if not isinstance(entry, dict) or not all(
                isinstance(entry.get(k), str) for k in _RELATIONSHIP_KEYS
            ):
                raise bad_metadata(
                    name,
                    f"relationship {number} does not name each of {', '.join(_RELATIONSHIP_KEYS)} as a string",
                )
            parsed.append(Relationship(*(entry[k] for k in _RELATIONSHIP_KEYS)))
        if notes:
            warn(f"metadata file {name}: ignored unknown keys: {', '.join(notes)}", stacklevel=2)
        return cls(tables, tuple(parsed), section.get("evidence", {}))

    @classmethod
    def load(cls, path: str | Path) -> RelationalMetadata:
        """Metadata from a JSON file (SDV's ``Metadata.save_to_json`` or mixsynth's)."""
        return cls.from_dict(read_json(path), Path(path).name)

    def to_dict(self) -> dict[str, Any]:
        """SDV's ``V1`` layout, which SDV's ``Metadata.load_from_json`` reads, plus the
        ``mixsynth`` section (reasons, facts, evidence)."""
        tables: dict[str, Any] = {}
        for name, meta in self.tables.items():
            entry: dict[str, Any] = {}
            if meta.primary_key is not None:
                entry["primary_key"] = meta.primary_key
            entry["columns"] = {c: sdv_entry(s) for c, s in meta.columns.items()}
            tables[name] = entry
        section = {
            name: {"columns": meta.to_dict()["columns"]} for name, meta in self.tables.items()
        }
        return {
            "METADATA_SPEC_VERSION": "V1",
            "tables": tables,
            "relationships": [r.to_dict() for r in self.relationships],
            "mixsynth": {
                "version": MIXSYNTH_SECTION_VERSION,
                "tables": section,
                "evidence": self.evidence,
            },
        }

    def save(self, path: str | Path) -> None:
        """Write the file atomically (a failed write leaves any previous file)."""
        from mixsynth.semantics.metadata import write_metadata_document

        write_metadata_document(self.to_dict(), path)

    def parents(self, child: str) -> list[Relationship]:
        """The child's relationships, the one it is synthesized along first."""
        return [r for r in self.relationships if r.child == child]

    def children(self, parent: str) -> list[Relationship]:
        return [r for r in self.relationships if r.parent == parent]

    def is_second_parent(self, table: str) -> bool:
        """Whether ``table`` is the parent of a relationship that is not its child's
        first (an item's product): such children follow another parent's pairs."""
        return any(self.parents(r.child)[0] != r for r in self.children(table))

    def numeric_columns(self, table: str) -> list[str]:
        """The numerical columns of ``table`` (keys aside)."""
        keys = {self.tables[table].primary_key, *self.foreign_keys(table)}
        return [
            name
            for name, column in self.tables[table].columns.items()
            if column.sdtype is SemanticType.NUMERICAL and name not in keys
        ]

    def foreign_keys(self, table: str) -> list[str]:
        return list(dict.fromkeys(r.foreign_key for r in self.parents(table)))

    def order(self) -> list[str]:
        """The tables, every parent before its children (file order otherwise)."""
        graph = TopologicalSorter({name: [] for name in self.tables})
        for r in self.relationships:
            graph.add(r.child, r.parent)
        try:
            return list(graph.static_order())
        except CycleError as error:
            cycle = " -> ".join(error.args[1])
            raise InputError(
                f"the relationships form a cycle ({cycle})",
                "mixsynth synthesizes parents before children; drop one relationship of the cycle",
            ) from None

    def _check(self) -> None:
        """Every relationship names existing tables, columns and the parent's primary key."""
        for r in self.relationships:
            for table in (r.parent, r.child):
                if table not in self.tables:
                    raise InputError(
                        f"relationship {r.label()} names table {table!r}, which the metadata does not describe",
                        f"tables are: {', '.join(self.tables)}",
                    )
            if self.tables[r.parent].primary_key != r.parent_key:
                raise InputError(
                    f"relationship {r.label()}: {r.parent_key!r} is not the primary key of {r.parent!r}",
                    f'set "primary_key": "{r.parent_key}" on table {r.parent!r}',
                )
            if r.foreign_key not in self.tables[r.child].columns:
                raise InputError(
                    f"relationship {r.label()}: table {r.child!r} has no column {r.foreign_key!r}",
                    "correct the relationship's child_foreign_key",
                )
            if r.parent == r.child:
                raise InputError(
                    f"relationship {r.label()} links a table to itself",
                    "mixsynth does not synthesize self-references; drop the relationship",
                )
        self.order()

    def synthesis_semantics(self, table: str) -> TableMetadata:
        """The semantics a table is synthesized with: without its foreign keys (which
        follow the parents' fresh keys), its primary key a key (fresh values)."""
        meta = self.tables[table]
        foreign = set(self.foreign_keys(table))
        columns = {name: c for name, c in meta.columns.items() if name not in foreign}
        key = meta.primary_key
        if key is not None and key not in foreign and columns[key].sdtype is not SemanticType.ID:
            columns[key] = columns[key].with_(
                sdtype=SemanticType.ID, reason="primary key", pii=None
            )
        return TableMetadata(columns, key if key not in foreign else None)


def text_dates(
    tables: dict[str, Any], metadata: RelationalMetadata
) -> dict[str, dict[str, str | None]]:
    """The columns the metadata calls datetime but the tables hold as text (SDV's habit:
    strings in the ``datetime_format``), by table, with that format."""
    found: dict[str, dict[str, str | None]] = {}
    for name, meta in metadata.tables.items():
        frame = tables.get(name)
        if frame is None:
            continue
        for column, meaning in meta.columns.items():
            if meaning.sdtype is SemanticType.DATETIME and column in frame.columns:
                kind = frame[column].dtype.kind
                if kind in "OUT" or str(frame[column].dtype) in ("str", "string"):
                    found.setdefault(name, {})[column] = meaning.datetime_format
    return found


def parse_text_dates(
    tables: dict[str, Any], formats: dict[str, dict[str, str | None]]
) -> dict[str, Any]:
    """The tables with those columns as datetimes (copies where changed)."""
    import pandas as pd

    parsed = dict(tables)
    for name, columns in formats.items():
        frame = parsed[name].copy()
        for column, fmt in columns.items():
            try:
                frame[column] = pd.to_datetime(frame[column], format=fmt)
            except (ValueError, TypeError) as error:
                raise InputError(
                    f"table {name!r}: column {column!r} is datetime in the metadata but its text "
                    f"does not read as dates{f' in the format {fmt!r}' if fmt else ''} ({error})",
                    'correct its "datetime_format" in the metadata, or give it another sdtype',
                ) from None
        parsed[name] = frame
    return parsed


def format_text_dates(
    tables: dict[str, Any], formats: dict[str, dict[str, str | None]]
) -> dict[str, Any]:
    """The tables with those columns written back as text in their format (ISO without one)."""
    written = dict(tables)
    for name, columns in formats.items():
        if name not in written:
            continue
        frame = written[name].copy()
        for column, fmt in columns.items():
            frame[column] = frame[column].dt.strftime(fmt or "%Y-%m-%d %H:%M:%S")
        written[name] = frame
    return written
