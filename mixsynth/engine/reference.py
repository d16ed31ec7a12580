"""The reference every generation is held to: the original input's schema,
semantics, encodings, ranges, time grids, the real values made-up columns must avoid,
and the categories partners share under ``keep_associations``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.columns import (
    ColumnKind,
    ColumnSpec,
    NumericEncoding,
    columns_of,
    finite_range,
    infer_schema,
)
from mixsynth.columns.kinds import UNIT_NANOSECONDS
from mixsynth.engine.options import SynthesisOptions
from mixsynth.errors import InputError, warn
from mixsynth.semantics.treatments import (
    mass_rows,
)
from mixsynth.semantics.types import SemanticType, TableMetadata

if TYPE_CHECKING:
    from mixsynth.columns.kinds import DataTable, TableColumns


@dataclass(frozen=True)
class Reference:
    """What every generation is held to: the original input's schema, semantics,
    encodings and ranges, and the real values that made-up columns must avoid.

    Bounds use the original range through all generations, never a generation's own;
    for a column with a point mass, the range of its other values.
    """

    schema: list[ColumnSpec]  #: storage kinds, copied/made-up columns set to categorical
    encodings: dict[str, NumericEncoding]
    ranges: dict[str, tuple[float, float]]
    semantics: TableMetadata = field(default_factory=TableMetadata)
    real_values: dict[str, np.ndarray] = field(default_factory=dict)  #: of made-up columns
    time_grids: dict[str, int] = field(default_factory=dict)  #: time columns' steps, in units
    #: Categorical columns partners must share (``keep_associations``), chosen on the input.
    association_columns: tuple = ()
    #: Groups of copied columns each row takes from either donor (``split_copied``).
    copy_groups: tuple = ()
    #: The rules every generation keeps (mixsynth.rules): declared, and detected on the input.
    rules: tuple = ()
    #: E-mail columns made up from the row's made-up names (mixsynth.semantics.emails).
    email_ties: tuple = ()

    @classmethod
    def of(cls, table: DataTable, options: SynthesisOptions | None = None) -> Reference:
        """The reference of a DataFrame or a pyarrow Table under ``options``."""
        options = options or SynthesisOptions()
        if len(table) == 0:
            raise InputError("the table has no rows", "give a table with at least one row")
        storage = infer_schema(table, options.categorical)
        semantics = table_semantics(table, storage, options)
        columns = columns_of(table)
        schema, encodings, ranges, real_values, time_grids = [], {}, {}, {}, {}
        for spec in storage:
            meaning = semantics.columns[str(spec.name)]
            if not meaning.sdtype.is_mixed and spec.kind.is_mixed:
                spec = dataclasses.replace(spec, kind=ColumnKind.CATEGORICAL)
            schema.append(spec)
            if meaning.sdtype.is_generated and not options.keep_pii:
                real_values[spec.name] = columns.distinct_values(spec.name)
            if not spec.kind.is_mixed:
                continue
            encoding = columns.encoding(spec.name, spec.kind)
            encodings[spec.name] = encoding
            low, high = columns.value_range(spec.name, spec.kind, encoding)
            if meaning.point_mass is not None:
                values = columns.encode(spec.name, spec.kind, encoding)
                low, high = finite_range(values[values != meaning.point_mass])
            if meaning.minimum is not None:
                low = meaning.minimum
            if meaning.maximum is not None:
                high = meaning.maximum
            ranges[spec.name] = (low, high)
            if spec.kind is ColumnKind.DATETIME and options.round_decimals:
                grid = _time_grid(columns.encode(spec.name, spec.kind, encoding), spec.dtype)
                if grid > 1:
                    time_grids[spec.name] = grid
        email_ties = () if options.keep_pii else _email_ties(table, semantics, real_values)
        say_what_is_made_up(semantics, options.keep_pii, email_ties)
        from mixsynth.rules import table_rules

        rules = table_rules(
            table,
            schema,
            semantics,
            options.declared_rules(),
            options.detect_rules,
            encodings,
            None if options.categorical else storage,  # else kinds forced by --categorical
        )
        associations: tuple = ()
        groups: tuple = ()
        split = options.split_copied or options.copy_neighbours > 0
        if options.keep_associations or split:
            mixed = _mixed_columns(columns, schema, semantics, encodings)
        if options.keep_associations:
            numeric = {
                name: values
                for name, values in mixed.items()
                if semantics.columns[str(name)].sdtype is SemanticType.NUMERICAL
            }
            associations = _association_columns(table, schema, semantics, numeric)
            _say_associations(associations)
        if split:
            from mixsynth.engine.donors import copy_groups

            # A column a rule names comes from the dominant donor, with the rest of its
            # rule; but a unique key taken from near rows stays unique (they permute the
            # dominant donors) and no longer tells whose numbers the row has, and a
            # column that names another is tied to it in the groups instead.
            from mixsynth.rules import naming_ties, placing

            placed = placing(rules)
            units = _copied_units(placed) if options.copy_neighbours else []
            ruled = {name for rule in placed for name in rule.columns} - {
                name for unit in units for name in unit
            }
            copied = [
                s.name
                for s in schema
                if semantics.columns[str(s.name)].sdtype.is_copied and s.name not in ruled
            ]
            # A neighbour follows the numbers: the groups that explain them need not stay.
            explained = {} if options.copy_neighbours else mixed
            anchored = (*options.by, *associations)
            groups = copy_groups(table, copied, explained, anchored, units, naming_ties(rules))
        if options.match_moments:
            _say_moments_matched_one_by_one(columns, schema, semantics)
        return cls(
            schema,
            encodings,
            ranges,
            semantics,
            real_values,
            time_grids,
            associations,
            groups,
            tuple(rules),
            email_ties,
        )


#: Rules kept by taking their columns from one real row, which need not be the
#: dominant donor (docs/rules.md): unique keys and fixed combinations.
MOVABLE_RULES = ("unique", "combination")


def _copied_units(rules: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The columns of each unique key or fixed combination that no other kind of rule
    names (an order or a part of a date on a key's column ties it to the dominant
    donor), those of rules sharing a column joined."""
    elsewhere = {n for r in rules if r.kind not in MOVABLE_RULES for n in r.columns}
    units: list[set[Any]] = []
    for rule in rules:
        if rule.kind not in MOVABLE_RULES or elsewhere & set(rule.columns):
            continue
        unit = set(rule.columns)
        for other in [u for u in units if u & unit]:
            unit |= other
            units.remove(other)
        units.append(unit)
    order = [n for r in rules for n in r.columns]
    return [tuple(sorted(unit, key=order.index)) for unit in units]


def _say_associations(associations: tuple) -> None:
    from mixsynth.engine.associations import ASSOCIATION_ETA2, ASSOCIATION_MIN_GROUP

    if associations:
        message = (
            f"--keep-associations: partners are drawn within the groups of "
            f"{', '.join(map(str, associations))} (groups under "
            f"{ASSOCIATION_MIN_GROUP} rows mix together)"
        )
    else:
        message = (
            "--keep-associations: no categorical column explains a numerical one "
            f"(eta^2 >= {ASSOCIATION_ETA2:g} with groups large enough); rows mix as without it"
        )
    warn(message, stacklevel=4)


def _say_moments_matched_one_by_one(
    columns: TableColumns, schema: list[ColumnSpec], semantics: TableMetadata
) -> None:
    """Columns with many missing values or a point mass get their mean and variance
    matched, not their covariances with the others: say which."""
    from mixsynth.engine.moments import JOINT_MAX_GAP_SHARE

    def apart(spec: ColumnSpec) -> bool:
        if semantics.columns[str(spec.name)].point_mass is not None:
            return True
        missing = columns.missing_rows(spec.name)
        return missing is not None and missing.mean() > JOINT_MAX_GAP_SHARE

    names = [str(spec.name) for spec in schema if spec.kind.is_mixed and apart(spec)]
    if names:
        warn(
            f"--match-moments: {', '.join(names)} {'has' if len(names) == 1 else 'have'} a point mass or over "
            f"{JOINT_MAX_GAP_SHARE:.0%} missing values; their means and variances are "
            "matched exactly, their covariances with other columns are not",
            stacklevel=4,
        )


def _association_columns(
    table: DataTable,
    schema: list[ColumnSpec],
    semantics: TableMetadata,
    numeric: dict[Any, np.ndarray],
) -> tuple:
    """The categories that explain numerical columns, for ``keep_associations``."""
    from mixsynth.engine.associations import association_columns

    kinds = (SemanticType.CATEGORICAL, SemanticType.BOOLEAN, SemanticType.ORDINAL)
    categorical = [s.name for s in schema if semantics.columns[str(s.name)].sdtype in kinds]
    return association_columns(table, categorical, numeric)


def _mixed_columns(
    columns: TableColumns,
    schema: list[ColumnSpec],
    semantics: TableMetadata,
    encodings: dict[str, NumericEncoding],
) -> dict[Any, np.ndarray]:
    """The mixed columns (numbers, dates) as float64, NaN where missing or on a point mass."""
    numeric = {}
    for spec in schema:
        meaning = semantics.columns[str(spec.name)]
        if spec.kind.is_mixed:
            values = np.array(columns.encode(spec.name, spec.kind, encodings[spec.name]))
            at_mass = mass_rows(values, meaning.point_mass)
            numeric[spec.name] = values if at_mass is None else np.where(at_mass, np.nan, values)
    return numeric


#: Steps a time column's values may all sit on, coarsest first: week (one weekday), day, hour, minute, second, ms.
TIME_STEPS_NS = (7 * 86_400 * 10**9, 86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3)


#: Values of a time column a grid is tried on before all of them.
TIME_GRID_SAMPLE = 4096


def _time_grid(encoded: np.ndarray, dtype: str) -> int:
    """The coarsest step (in the column's own units) that every value sits on: a day for
    dates stored as timestamps, a second for times written to the second. Mixed values
    are rounded back onto it, so a date column never gets a time of day."""
    import re

    match = re.search(r"\[(ns|us|ms|s|day|D)\b", dtype)
    observed = encoded[np.isfinite(encoded)]
    if match is None or observed.size == 0:
        return 1
    unit = UNIT_NANOSECONDS[match.group(1)]
    # Offsets from the first value (the encoding's), so a step is a whole number of units.
    whole = np.round(observed).astype(np.int64)
    # A step the values of an even sample are off is not tried on every value (an
    # integer remainder per value and step: 0.1 s on 1M timestamps to the second).
    sample = whole[:: max(1, whole.size // TIME_GRID_SAMPLE)]
    for step_ns in TIME_STEPS_NS:
        if step_ns % unit or step_ns <= unit:
            continue
        step = step_ns // unit
        if not np.any(sample % step) and not np.any(whole % step):
            return int(step)
    return 1


def _email_ties(table: DataTable, semantics: TableMetadata, made_up: dict) -> tuple:
    """The made-up e-mail columns whose real addresses are made from a made-up name
    column's names (mixsynth.semantics.emails)."""
    pii = {
        name: meaning.pii
        for name in made_up
        if (meaning := semantics.columns[str(name)]).sdtype is SemanticType.PII and meaning.pii
    }
    if "email" not in pii.values():
        return ()
    from mixsynth.semantics.emails import emails_from_names

    return emails_from_names(table, pii)


def say_what_is_made_up(semantics: TableMetadata, keep_pii: bool, email_ties: tuple = ()) -> None:
    """One warning naming the key and personal-data columns and what they get (an
    address made from the row's made-up name says from which)."""
    names = semantics.generated()
    if not names:
        return
    if keep_pii:
        message = (
            f"--keep-pii: the output holds real values of {', '.join(names)} "
            "(keys, personal data or free text), copied from donor rows"
        )
    else:
        sources = {str(tie.email): f", from {tie.names()}" for tie in email_ties}
        made = ", ".join(f"{n} ({semantics[n].treatment()}{sources.get(n, '')})" for n in names)
        message = f"made up, never copied from real rows: {made}; --keep-pii keeps real values"
    warn(message, stacklevel=3)


#: The fewest distinct values of a code ``mix_codes`` mixes: two values are a label.
MIXED_CODE_MIN_VALUES = 3


def _codes_mixed(
    table: DataTable, storage: list[ColumnSpec], semantics: TableMetadata
) -> TableMetadata:
    """``mix_codes``: the numeric codes of whole values (stored as numbers, inferred as
    categories) made numerical, rounded to whole values. Mixed, a rating or a bin makes
    new combinations with the other columns instead of carrying a real row's."""
    columns = columns_of(table)
    mixed = {}
    for spec in storage:
        meaning = semantics.columns[str(spec.name)]
        if meaning.sdtype is not SemanticType.CATEGORICAL or spec.kind not in (
            ColumnKind.INTEGER,
            ColumnKind.CONTINUOUS,
        ):
            continue
        values = columns.encode(spec.name, spec.kind, columns.encoding(spec.name, spec.kind))
        values = values[np.isfinite(values)]
        if np.any(values != np.round(values)) or len(np.unique(values)) < MIXED_CODE_MIN_VALUES:
            continue
        mixed[str(spec.name)] = meaning.with_(
            sdtype=SemanticType.NUMERICAL,
            reason=f"{meaning.reason.removesuffix(', copied')}, mixed and rounded (mix_codes)",
            decimals=0 if spec.kind is ColumnKind.CONTINUOUS else None,
        )
    return dataclasses.replace(semantics, columns={**semantics.columns, **mixed})


def table_semantics(
    table: DataTable, storage: list[ColumnSpec], options: SynthesisOptions
) -> TableMetadata:
    """The semantics synthesis uses: inferred (or storage kinds only without
    ``options.semantics``), then the metadata file's, then the codes mixed
    (``mix_codes``), then --categorical, which wins."""
    from mixsynth.semantics.inference import infer_semantics, storage_semantics

    semantics = (infer_semantics if options.semantics else storage_semantics)(table, storage)
    if options.metadata is not None:
        from mixsynth.semantics.metadata import check_metadata_columns, merge_metadata

        check_metadata_columns(options.metadata, [str(spec.name) for spec in storage])
        semantics = merge_metadata(semantics, options.metadata)
    if options.mix_codes:
        semantics = _codes_mixed(table, storage, semantics)
    forced = {
        name: semantics.columns[name].with_(
            sdtype=SemanticType.CATEGORICAL, reason="--categorical", decimals=None, point_mass=None
        )
        for name in map(str, options.categorical)
    }
    semantics = dataclasses.replace(semantics, columns={**semantics.columns, **forced})
    for spec in storage:
        meaning = semantics.columns[str(spec.name)]
        if meaning.sdtype.is_mixed and not spec.kind.is_mixed:
            raise InputError(
                f"column {str(spec.name)!r} is {meaning.sdtype.value} in the metadata but "
                f"stored as {spec.dtype}, which cannot be mixed",
                "store it as numbers or dates, or give it another sdtype in the metadata",
            )
    return semantics
