"""Metadata files: what each column means, read from and written to JSON.

Two kinds of file are read:

- SDV's metadata JSON for one table, as ``Metadata.save_to_json`` (spec ``V1``; ``V2``
  and ``MULTI_TABLE_V1`` in the same layout: ``"tables": {name: {...}}``) or the older
  ``SingleTableMetadata.save_to_json`` (spec ``SINGLE_TABLE_V1``: ``"columns"`` at
  the top) write it, so SDV users reuse theirs;
- mixsynth's own file, which *is* such an SDV ``V1`` file (SDV's ``Metadata.load_from_json``
  reads it) plus a top-level ``"mixsynth"`` section holding what SDV has no words for:
  why a type was inferred, the decimals, point mass and range of numeric columns, and
  the types SDV lacks (``ordinal``; personal data faked generically).

Unknown keys are warned about (one warning per file), never fatal; a file that is not
JSON, or not shaped like one of the above, is refused with a one-line message.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mixsynth.errors import InputError, OptionError, OutputError, warn
from mixsynth.semantics.types import (
    GENERIC_PII,
    PII_SUBTYPES,
    ColumnSemantics,
    SemanticType,
    TableMetadata,
)

#: The spec versions read; "V2" is read in V1's layout (tables, relationships).
SINGLE_TABLE_SPECS = ("SINGLE_TABLE_V1",)
MULTI_TABLE_SPECS = ("V1", "V2", "MULTI_TABLE_V1")
#: The version of the "mixsynth" section this module writes.
MIXSYNTH_SECTION_VERSION = 1

#: SDV sdtypes with a type of their own, and the column keys each may have.
_STANDARD = {
    "numerical": (SemanticType.NUMERICAL, {"computer_representation"}),
    "datetime": (SemanticType.DATETIME, {"datetime_format"}),
    "categorical": (SemanticType.CATEGORICAL, {"order", "order_by"}),
    "ordinal": (SemanticType.ORDINAL, {"order", "order_by"}),
    "boolean": (SemanticType.BOOLEAN, set()),
    "id": (SemanticType.ID, {"regex_format"}),
}
#: Every other sdtype (personal data, text, unknown) may say whether it is PII.
_PII_KEYS = {"pii"}
_TABLE_KEYS = {
    "columns",
    "primary_key",
    "alternate_keys",
    "sequence_key",
    "sequence_index",
    "column_relationships",
    "METADATA_SPEC_VERSION",
}
_TOP_KEYS = {"tables", "relationships", "METADATA_SPEC_VERSION", "mixsynth"}
_FACTS = ("decimals", "point_mass", "minimum", "maximum")
_MIXSYNTH_COLUMN_KEYS = {"sdtype", "pii", "reason", *_FACTS}


def load_metadata(path: str | Path) -> TableMetadata:
    """The column semantics a metadata file states (SDV's JSON or mixsynth's own).

    Each column's ``reason`` is ``"from metadata <file name>"``, except in mixsynth's
    own file, where a column whose type was not edited keeps the reason it was
    saved with.
    """
    name = Path(path).name
    document = read_json(path)
    notes: list[str] = []
    table, top = _the_table(document, name, notes)
    allowed = _TABLE_KEYS | ({"mixsynth"} if table is top else set())
    notes += [f"{key!r}" for key in table if key not in allowed]
    metadata = table_metadata(table, mixsynth_section(top, name, notes), name, notes)
    if notes:
        warn(f"metadata file {name}: ignored unknown keys: {', '.join(notes)}", stacklevel=2)
    return metadata


def table_metadata(table: Any, section: dict, name: str, notes: list[str]) -> TableMetadata:
    """One table's entry of a metadata file (its ``columns`` and ``primary_key``), with
    mixsynth's per-column ``section``; unknown keys are added to ``notes``. ``name``
    (the file's) is quoted in errors. Multi-table files give each table in turn."""
    columns = table.get("columns") if isinstance(table, dict) else None
    if not isinstance(columns, dict) or not columns:
        raise bad_metadata(name, 'its table has no "columns" object naming each column\'s sdtype')
    semantics = {}
    for column, entry in columns.items():
        semantics[column] = _column(column, entry, name, notes)
        if column in section:
            semantics[column] = _with_section(semantics[column], section[column], name, notes)
    notes += [f"mixsynth.columns.{c!r} (no such column)" for c in section if c not in columns]
    return TableMetadata(semantics, _primary_key(table.get("primary_key"), columns, name))


def as_metadata(
    metadata: TableMetadata | Mapping[str, Any] | str | Path | None,
) -> TableMetadata | None:
    """TableMetadata from itself, a metadata JSON file (mixsynth's or SDV's), or a dict
    in ``TableMetadata.to_dict()``'s form (only the columns to override)."""
    if metadata is None or isinstance(metadata, TableMetadata):
        return metadata
    if isinstance(metadata, str | Path):
        return load_metadata(metadata)
    columns = metadata.get("columns") if isinstance(metadata, Mapping) else None
    if not isinstance(columns, Mapping):
        raise OptionError(
            "metadata must be a TableMetadata, a metadata file or a dict with a 'columns' dict",
            'e.g. {"columns": {"code": {"sdtype": "categorical"}}} (see get_metadata())',
        )
    facts = {f.name for f in dataclasses.fields(ColumnSemantics)} - {"name", "sdtype"}
    built = {}
    for name, entry in columns.items():
        entry = dict(entry) if isinstance(entry, Mapping) else {"sdtype": entry}
        unknown = sorted(set(entry) - facts - {"sdtype"})
        if unknown:
            raise OptionError(
                f"metadata for column {name!r} has unknown keys: {', '.join(unknown)}",
                f"keys are: sdtype, {', '.join(sorted(facts))}",
            )
        try:
            sdtype = SemanticType(entry.pop("sdtype", None))
        except ValueError:
            raise OptionError(
                f"metadata gives column {name!r} no known sdtype",
                f"sdtypes are: {', '.join(t.value for t in SemanticType)}",
            ) from None
        entry.setdefault("reason", "from metadata")
        built[str(name)] = ColumnSemantics(name=str(name), sdtype=sdtype, **entry)
    return TableMetadata(built, metadata.get("primary_key"))


def check_metadata_columns(metadata: TableMetadata, names: list[str]) -> None:
    """Refuse metadata that names a column the table lacks (a typo, or another table)."""
    missing = [column for column in metadata.columns if column not in names]
    if not missing:
        return
    listed = ", ".join(repr(column) for column in missing)
    close = difflib.get_close_matches(missing[0], [str(n) for n in names], n=1)
    guess = ""
    if close:
        guess = f"; did you mean {close[0]!r}" + (
            f" for {missing[0]!r}?" if len(missing) > 1 else "?"
        )
    raise InputError(
        f"the metadata names column{'s' if len(missing) > 1 else ''} {listed} "
        f"that the table does not have{guess}",
        "correct the names in the metadata file, or remove those columns from it",
    )


def merge_metadata(inferred: TableMetadata, given: TableMetadata) -> TableMetadata:
    """The inferred semantics, overridden column by column by a metadata file's.

    The table's column order is kept. A numeric fact (decimals, point mass, range)
    or format the file sets wins; one it leaves out comes from inference, but only
    where the file kept the inferred type (a point mass means nothing to a column the
    file made categorical).
    """
    check_metadata_columns(given, list(inferred.columns))
    facts = (*_FACTS, "regex_format", "datetime_format", "placeholders", "locale")
    merged = {}
    for name, found in inferred.columns.items():
        stated = given.columns.get(name)
        if stated is None:
            merged[name] = found
            continue
        kept = stated.sdtype == found.sdtype
        merged[name] = stated.with_(
            **{
                fact: getattr(stated, fact)
                if getattr(stated, fact) is not None
                else (getattr(found, fact) if kept else None)
                for fact in facts
            }
        )
    primary_key = given.primary_key
    inferred_key = inferred.primary_key
    if primary_key is None and inferred_key and merged[inferred_key].sdtype == SemanticType.ID:
        primary_key = inferred_key
    return TableMetadata(merged, primary_key)


def save_metadata(metadata: TableMetadata, path: str | Path, table_name: str = "table") -> None:
    """Write mixsynth's own metadata file (an SDV ``V1`` file plus a ``mixsynth``
    section), atomically: a failed write leaves any previous file as it was."""

    table: dict[str, Any] = {}
    if metadata.primary_key is not None:
        table["primary_key"] = metadata.primary_key
    table["columns"] = {name: sdv_entry(c) for name, c in metadata.columns.items()}
    section = {
        name: {
            key: value
            for key, value in {
                "sdtype": c.sdtype.value,
                "pii": c.pii,
                "reason": c.reason,
                **{fact: getattr(c, fact) for fact in _FACTS},
            }.items()
            if value is not None
        }
        for name, c in metadata.columns.items()
    }
    document = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {table_name: table},
        "relationships": [],
        "mixsynth": {"version": MIXSYNTH_SECTION_VERSION, "columns": section},
    }
    write_metadata_document(document, path)


def write_metadata_document(document: dict, path: str | Path) -> None:
    """Write a metadata JSON document atomically (a failed write leaves any previous
    file): one table's, or a folder of linked tables' (:mod:`mixsynth.relational`)."""
    from mixsynth.io import atomic_path

    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        with atomic_path(str(path)) as temporary:
            Path(temporary).write_text(text, encoding="utf-8")
    except OSError as error:
        raise OutputError(
            f"cannot write metadata file {str(path)!r}: {error.strerror or error}",
            "check that the folder exists and is writable; any previous file is unchanged",
        ) from error


# ---------------------------------------------------------------------------------
# Reading


def read_json(path: str | Path) -> Any:
    from mixsynth.io.source import settings_bytes

    name = Path(path).name
    try:
        text = settings_bytes(path, "metadata file").decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"metadata file {name} is not UTF-8 text (byte {error.start})",
            "give a JSON metadata file, e.g. one written by `mixsynth inspect DATA --metadata FILE`",
        ) from error
    except OSError as error:
        raise InputError(
            f"cannot read metadata file {str(path)!r}: {error.strerror or error}",
            "check the path",
        ) from error
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(
            f"metadata file {name} is nested too deeply to be a metadata file",
            "write a fresh one with `mixsynth inspect DATA --metadata FILE`",
        ) from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"metadata file {name} is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}",
            "fix the file, or write a fresh one with `mixsynth inspect DATA --metadata FILE`",
        ) from error


def bad_metadata(name: str, what: str) -> InputError:
    return InputError(
        f"metadata file {name} is not SDV or mixsynth metadata: {what}",
        "give a file written by SDV's Metadata.save_to_json or by "
        "`mixsynth inspect DATA --metadata FILE`",
    )


def _the_table(document: Any, name: str, notes: list[str]) -> tuple[dict, dict]:
    """The one table's description, and the top level (which holds "mixsynth")."""
    if not isinstance(document, dict):
        raise bad_metadata(name, f"it holds a JSON {type(document).__name__}, not an object")
    version = document.get("METADATA_SPEC_VERSION")
    known = SINGLE_TABLE_SPECS + MULTI_TABLE_SPECS
    if version is not None and version not in known:
        layout = "V1" if "tables" in document else "SINGLE_TABLE_V1"
        notes.append(f"METADATA_SPEC_VERSION {version!r} (read as {layout})")
    if "tables" not in document:
        if "columns" not in document:
            raise bad_metadata(name, 'it has neither "tables" nor "columns"')
        return document, document
    notes += [f"{key!r}" for key in document if key not in _TOP_KEYS]
    tables = document["tables"]
    if not isinstance(tables, dict) or not tables:
        raise bad_metadata(name, '"tables" is not an object naming at least one table')
    if len(tables) > 1:
        names = ", ".join(repr(t) for t in tables)
        raise InputError(
            f"metadata file {name} describes {len(tables)} tables ({names}); "
            "mixsynth synthesizes one table at a time",
            'keep only the table to synthesize under "tables"; in SDV: '
            "metadata.get_table_metadata('NAME').save_to_json('one.json')",
        )
    table = next(iter(tables.values()))
    if not isinstance(table, dict):
        raise bad_metadata(name, "its table is not a JSON object")
    return table, document


def _column(column: str, entry: Any, name: str, notes: list[str]) -> ColumnSemantics:
    """One column of SDV metadata as mixsynth semantics."""
    if not isinstance(entry, dict) or not isinstance(entry.get("sdtype"), str):
        raise bad_metadata(name, f'column {column!r} has no "sdtype" string')
    sdtype = entry["sdtype"]
    reason = f"from metadata {name}"
    if sdtype in _STANDARD:
        semantic, keys = _STANDARD[sdtype]
        notes += [f"{column}.{key}" for key in entry if key not in keys | {"sdtype"}]
        formats: dict[str, Any] = {
            key: _text(entry, key, column, name)
            for key in ("regex_format", "datetime_format")
            if key in keys
        }
        return ColumnSemantics(column, semantic, reason, **formats)
    notes += [f"{column}.{key}" for key in entry if key not in _PII_KEYS | {"sdtype"}]
    pii = entry.get("pii", True)  # SDV's default for these sdtypes
    if not isinstance(pii, bool):
        raise bad_metadata(name, f'column {column!r} has "pii": {pii!r}; it must be true or false')
    if not pii:
        return ColumnSemantics(
            column,
            SemanticType.CATEGORICAL,
            f'{reason}: sdtype {sdtype} with "pii": false, so real values are kept (copied)',
        )
    if sdtype == "text":
        return ColumnSemantics(column, SemanticType.TEXT, reason)
    if sdtype in PII_SUBTYPES:
        return ColumnSemantics(column, SemanticType.PII, reason, pii=sdtype)
    if sdtype != "unknown":
        close = difflib.get_close_matches(sdtype, [*_STANDARD, *PII_SUBTYPES], n=1, cutoff=0.8)
        if close:
            raise InputError(
                f"metadata file {name}: column {column!r} has an unknown sdtype {sdtype!r}; "
                f"did you mean {close[0]!r}?",
                f"use one of: {', '.join([*_STANDARD, *PII_SUBTYPES, 'text', 'unknown'])}",
            )
        reason += f": sdtype {sdtype} faked as random strings of the real values' shape"
    return ColumnSemantics(column, SemanticType.PII, reason, pii=GENERIC_PII)


def _text(entry: dict, key: str, column: str, name: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_metadata(name, f"column {column!r} has {key} {value!r}, which is not a string")
    return value


def _primary_key(value: Any, columns: dict, name: str) -> str | None:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]  # SDV writes a one-column key either way
    if value is None or value == []:
        return None
    if isinstance(value, list):
        raise InputError(
            f"metadata file {name} has a primary key of {len(value)} columns ({value})",
            "name one column as the primary key; mixsynth keeps the others' types",
        )
    if value not in columns:
        raise bad_metadata(name, f"its primary key {value!r} is not one of its columns")
    return value


def mixsynth_section(top: dict, name: str, notes: list[str]) -> dict[str, dict]:
    """The per-column entries of mixsynth's own section (empty in SDV's files)."""
    section = top.get("mixsynth")
    if section is None:
        return {}
    if not isinstance(section, dict) or not isinstance(section.get("columns", {}), dict):
        raise bad_metadata(name, 'its "mixsynth" section is not an object with "columns"')
    version = section.get("version", MIXSYNTH_SECTION_VERSION)
    if version != MIXSYNTH_SECTION_VERSION:
        raise InputError(
            f"metadata file {name} has a mixsynth section of version {version!r}; "
            f"this mixsynth reads version {MIXSYNTH_SECTION_VERSION}",
            "write the file again with this mixsynth, or upgrade mixsynth",
        )
    notes += [f"mixsynth.{key}" for key in section if key not in ("version", "columns")]
    columns = section.get("columns", {})
    for column, entry in columns.items():
        if not isinstance(entry, dict):
            raise bad_metadata(name, f"mixsynth.columns.{column} is not a JSON object")
    return columns


def _with_section(
    column: ColumnSemantics, entry: dict, name: str, notes: list[str]
) -> ColumnSemantics:
    """A column with what mixsynth's section adds: its facts, and its own type and
    reason where the SDV part still says what mixsynth wrote (i.e. was not edited)."""
    where = f"mixsynth.columns.{column.name}"
    notes += [f"{where}.{key}" for key in entry if key not in _MIXSYNTH_COLUMN_KEYS]
    facts = {}
    for fact in _FACTS:
        value = entry.get(fact)
        whole = fact == "decimals"
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int if whole else (int, float))
            or (whole and value < 0)
        ):
            kind = "a whole number of 0 or more" if whole else "a number"
            raise bad_metadata(name, f"{where}.{fact} is {value!r}, not {kind}")
        facts[fact] = float(value) if value is not None and not whole else value
    column = column.with_(**facts)
    try:
        saved = column.with_(sdtype=SemanticType(entry.get("sdtype")), pii=entry.get("pii"))
    except ValueError as error:
        raise bad_metadata(
            name, f"{where}.sdtype is {entry.get('sdtype')!r}, not a mixsynth type"
        ) from error
    if saved.pii is not None and saved.pii != GENERIC_PII and saved.pii not in PII_SUBTYPES:
        raise bad_metadata(name, f"{where}.pii is {saved.pii!r}, not a personal-data subtype")
    as_written = _column(column.name, sdv_entry(saved), name, [])
    if (as_written.sdtype, as_written.pii) != (column.sdtype, column.pii):
        return column  # the SDV part was edited: it wins, with its own reason
    return saved.with_(reason=entry.get("reason", column.reason))


# ---------------------------------------------------------------------------------
# Writing


def sdv_entry(column: ColumnSemantics) -> dict[str, Any]:
    """A column as SDV writes it (types SDV lacks: their nearest SDV sdtype)."""
    sdtype = column.sdtype
    if sdtype == SemanticType.PII:
        if column.pii in PII_SUBTYPES:
            return {"sdtype": column.pii, "pii": True}
        return {"sdtype": "unknown", "pii": True}
    if sdtype == SemanticType.TEXT:
        return {"sdtype": "text", "pii": True}
    if sdtype == SemanticType.ORDINAL:
        return {"sdtype": "categorical"}
    entry: dict[str, Any] = {"sdtype": sdtype.value}
    if sdtype == SemanticType.ID and column.regex_format is not None:
        entry["regex_format"] = column.regex_format
    if sdtype == SemanticType.DATETIME and column.datetime_format is not None:
        entry["datetime_format"] = column.datetime_format
    return entry
