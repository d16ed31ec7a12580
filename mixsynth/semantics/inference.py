"""Inferring what each column means, conservatively, with the reason said.

Rules, in the order they are tried (the reason of each says which one fired):

- Stored as true/false: ``boolean``. Stored as dates or times: ``datetime``.
- Numbers:
  - an integer column whose values are all distinct **and** whose name says it is a
    key (a word such as ``id``, ``key``, ``uuid``, ``pk``): ``id``. Distinct values
    alone never make an id: integer incomes often are distinct;
  - only the values 0 and 1: ``boolean`` (a label), copied;
  - at most :data:`CODE_MAX_DISTINCT` distinct values, each seen
    :data:`CODE_MIN_ROWS_PER_VALUE` times on average: ``categorical`` (a code: ratings,
    cylinder counts, coded bins stored as floats), copied, so only real values occur;
  - anything else: ``numerical``, mixed. Its facts: the decimal places of the input
    (floats, up to :data:`MAX_DECIMALS`), and a *point mass* (a spend of 0 on a free
    plan, a day without rain): the most common value, at the minimum or maximum, holding
    at least :data:`POINT_MASS_SHARE` of the values; kept apart from mixing.
- Text:
  - postal codes (name: zip, postcode, postal): ``categorical``, copied as text;
  - e-mail addresses, SSNs, IPv4 addresses, phone numbers written with separators or
    a leading + by their values (90% match): ``pii``;
  - phone numbers, person names, addresses by a name word **and** mostly distinct
    values (a ``name`` column of 5 products is a category): ``pii``;
  - all values distinct and a key name word (also ``code``, ``number``, ``ref``), or
    every value of one shape with a digit in it (``AC-00123``): ``id``;
  - the two weaker rules (a name word, one shape) need :data:`MIN_VALUES_FOR_SHAPES`
    values; a handful of rows is not evidence;
  - mostly distinct, long values with spaces: free ``text``;
  - anything else: ``categorical``.

A metadata file overrides any of this (:mod:`mixsynth.semantics.metadata`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from mixsynth.kinds import ColumnKind, ColumnSpec
from mixsynth.semantics.types import ColumnSemantics, SemanticType, TableMetadata

#: A numeric column with at most this many distinct values is a code, copied.
CODE_MAX_DISTINCT = 10
#: ... provided each value is seen this many times on average (not a tiny table).
CODE_MIN_ROWS_PER_VALUE = 5
#: A single value holding at least this share of a numerical column is a point mass.
POINT_MASS_SHARE = 0.10
#: Decimal places looked for in float columns; more means full precision.
MAX_DECIMALS = 6
#: Values looked at for patterns, decimals and shapes (a seeded, evenly spread sample).
SAMPLE_VALUES = 10_000
#: Share of sampled values that must match a pattern (e-mail, SSN, ...).
PATTERN_SHARE = 0.9
#: Distinct share above which a text column is "mostly distinct" (names, addresses).
MOSTLY_DISTINCT = 0.5
#: Values needed before weaker evidence (a name word, one shape) makes text a key or
#: personal data; below it only e-mail-like patterns and key names do.
MIN_VALUES_FOR_SHAPES = 20

KEY_WORDS = {"id", "ids", "uuid", "guid", "key", "pk", "identifier"}
TEXT_KEY_WORDS = KEY_WORDS | {"code", "number", "no", "num", "nr", "ref", "reference"}
POSTCODE_WORDS = {"zip", "zipcode", "postcode", "postal", "plz"}
PHONE_WORDS = {"phone", "telephone", "tel", "mobile", "cell", "fax"}
ADDRESS_WORDS = {"address", "street", "addr"}
PERSON_WORDS = {
    "full", "first", "last", "given", "middle", "sur", "family", "person", "customer",
    "client", "contact", "user", "patient", "employee", "owner", "holder", "member",
}  # fmt: skip

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
IPV4 = re.compile(r"^(\d{1,3}\.){3}\d{1,3}$")
PHONE = re.compile(r"^\+?[\d\s().\-x]{7,}$")
#: Phone numbers recognisable by their values alone: North American with separators,
#: or international (E.164) with a leading +.
PHONE_VALUES = re.compile(
    r"^((\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}|\+\d{8,15})(\s?(x|ext\.?)\s?\d+)?$"
)


def name_words(name: str) -> list[str]:
    """Lower-case words of a column name: ``customerID`` and ``customer_id`` -> customer, id."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _arrow_column(table: Any, name: str) -> Any:
    """One column as an Arrow ChunkedArray (a DataFrame's is converted; None if it
    cannot be). Numpy-backed columns are handed over directly: pyarrow's
    ``Table.from_pandas`` costs milliseconds even on tiny frames."""
    import pyarrow as pa

    if isinstance(table, pa.Table):
        return table.column(name) if name in table.column_names else None
    try:
        series = table[name]
        values = series.to_numpy()
        if values.dtype.kind in "biuf":
            return pa.chunked_array([pa.array(values, from_pandas=True)])
        return pa.chunked_array([pa.Array.from_pandas(series)])
    except (pa.ArrowException, TypeError, ValueError, KeyError):
        return None


def infer_semantics(table: Any, schema: Sequence[ColumnSpec]) -> TableMetadata:
    """Semantics of every column of a DataFrame or pyarrow Table, given its storage kinds."""
    columns = {
        str(spec.name): infer_column(str(spec.name), spec.kind, _arrow_column(table, spec.name))
        for spec in schema
    }
    keys = [name for name, c in columns.items() if c.sdtype is SemanticType.ID]
    return TableMetadata(columns=columns, primary_key=keys[0] if len(keys) == 1 else None)


def infer_column(name: str, kind: ColumnKind, column: Any) -> ColumnSemantics:
    """One column's semantics from its storage kind and values (an Arrow ChunkedArray)."""
    if kind is ColumnKind.BOOLEAN:
        return ColumnSemantics(name, SemanticType.BOOLEAN, "stored as true/false")
    if kind is ColumnKind.DATETIME:
        return ColumnSemantics(name, SemanticType.DATETIME, "stored as dates or times")
    if column is None:
        return _storage_only(name, kind)
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    try:
        return _infer_values(name, kind, column)
    except (pa.ArrowException, TypeError, ValueError):  # nested or exotic types
        return _storage_only(name, kind)


def _infer_values(name: str, kind: ColumnKind, column: Any) -> ColumnSemantics:
    import pyarrow as pa
    import pyarrow.compute as pc

    present = column.drop_null()
    if pa.types.is_floating(column.type):
        present = present.filter(pc.invert(pc.is_nan(present)))
    observed = len(present)
    if observed == 0:
        return _storage_only(name, kind, "no values to look at")
    distinct = pc.count_distinct(present).as_py()
    if kind.is_mixed:
        return _numeric(name, kind, present, observed, distinct)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return _text(name, present, observed, distinct)
    return ColumnSemantics(
        name, SemanticType.CATEGORICAL, f"{_plural(distinct, 'distinct value')}, copied"
    )


def _storage_only(
    name: str, kind: ColumnKind, why: str = "could not be analysed"
) -> ColumnSemantics:
    sdtype = {
        ColumnKind.BOOLEAN: SemanticType.BOOLEAN,
        ColumnKind.DATETIME: SemanticType.DATETIME,
    }.get(kind, SemanticType.NUMERICAL if kind.is_mixed else SemanticType.CATEGORICAL)
    return ColumnSemantics(name, sdtype, f"from its storage type ({why})")


def storage_semantics(table: Any, schema: Sequence[ColumnSpec]) -> TableMetadata:
    """Semantics from storage kinds alone (``--no-semantics``): numbers and times
    mixed, everything else copied, as before the semantic layer."""
    return TableMetadata(
        columns={str(s.name): _storage_only(str(s.name), s.kind, "--no-semantics") for s in schema}
    )


def _sample(values: Any) -> np.ndarray:
    """Up to SAMPLE_VALUES values, evenly spread (deterministic), as numpy."""
    step = max(1, len(values) // SAMPLE_VALUES)
    picked = values if step == 1 else values.take(np.arange(0, len(values), step)[:SAMPLE_VALUES])
    return np.asarray(picked.to_pylist(), dtype=object)


def _numeric(
    name: str, kind: ColumnKind, present: Any, observed: int, distinct: int
) -> ColumnSemantics:
    import pyarrow.compute as pc

    words = set(name_words(name))
    counts = f"{_plural(distinct, 'distinct value')} in {_plural(observed, 'row')}"
    if kind is ColumnKind.INTEGER and distinct == observed and observed > 1 and words & KEY_WORDS:
        return ColumnSemantics(name, SemanticType.ID, f"{counts}, name says key ({name!r})")
    if distinct <= 2 and pc.all(pc.is_in(present, value_set=_zero_one(present.type))).as_py():
        return ColumnSemantics(
            name, SemanticType.BOOLEAN, f"only 0 and 1 ({observed} rows), copied"
        )
    if distinct <= CODE_MAX_DISTINCT and observed >= CODE_MIN_ROWS_PER_VALUE * distinct:
        values = pc.unique(present).sort().to_pylist()
        shown = ", ".join(f"{v:g}" for v in values)
        return ColumnSemantics(
            name,
            SemanticType.CATEGORICAL,
            f"a code: {_plural(distinct, 'distinct value')} ({shown}) in {observed} rows "
            f"(at most {CODE_MAX_DISTINCT} means a code), copied",
        )
    reason = [f"{counts}, mixed"]
    point_mass = None
    top = pc.mode(present, n=1)
    if len(top) and distinct >= 3:
        value, count = top[0]["mode"].as_py(), top[0]["count"].as_py()
        extremes = pc.min_max(present)
        at_edge = value in (extremes["min"].as_py(), extremes["max"].as_py())
        if count >= POINT_MASS_SHARE * observed and at_edge:
            point_mass = float(value)
            reason.append(f"point mass at {value:g} holds {count / observed:.0%} of values")
    decimals = None
    if kind is ColumnKind.CONTINUOUS:
        decimals = decimal_places(np.asarray(_sample(present), dtype=np.float64))
        if decimals is not None:
            reason.append(f"{_plural(decimals, 'decimal place')}")
    return ColumnSemantics(
        name, SemanticType.NUMERICAL, "; ".join(reason), decimals=decimals, point_mass=point_mass
    )


def _zero_one(data_type: Any):
    import pyarrow as pa

    return pa.array([0, 1]).cast(data_type)


def decimal_places(values: np.ndarray) -> int | None:
    """Fewest decimal places (<= MAX_DECIMALS) that write every value exactly, else None."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    for places in range(MAX_DECIMALS + 1):
        scaled = values * 10.0**places
        if np.abs(scaled).max() >= 2**52:  # beyond float64's whole numbers: no grid
            return None
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return places
    return None


def _share(values: np.ndarray, pattern: re.Pattern) -> float:
    return float(np.mean([bool(pattern.match(v.strip())) for v in values])) if len(values) else 0.0


def _shape(value: str) -> str:
    """Character classes of a value: ``AC-00123`` -> ``AA-99999``."""
    return re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", value)))


def _text(name: str, present: Any, observed: int, distinct: int) -> ColumnSemantics:
    words = set(name_words(name))
    sample = _sample(present)
    counts = f"{_plural(distinct, 'distinct value')} in {_plural(observed, 'row')}"
    mostly_distinct = distinct >= MOSTLY_DISTINCT * observed and distinct > 1
    if words & POSTCODE_WORDS:
        return ColumnSemantics(
            name, SemanticType.CATEGORICAL, f"postal code ({counts}), copied as text"
        )
    for subtype, pattern, what in (
        ("email", EMAIL, "e-mail addresses"),
        ("ssn", SSN, "social security numbers"),
        ("ipv4_address", IPV4, "IPv4 addresses"),
        ("phone_number", PHONE_VALUES, "phone numbers"),
    ):
        share = _share(sample, pattern)
        if share >= PATTERN_SHARE:
            return ColumnSemantics(
                name, SemanticType.PII, f"{share:.0%} of values look like {what}", pii=subtype
            )
    if mostly_distinct and observed >= MIN_VALUES_FOR_SHAPES:
        pii = _pii_by_name(words, sample)
        if pii is not None:
            return ColumnSemantics(
                name, SemanticType.PII, f"name says {pii[1]}, {counts}", pii=pii[0]
            )
    if distinct == observed and observed > 1:
        if words & TEXT_KEY_WORDS:
            return ColumnSemantics(name, SemanticType.ID, f"{counts}, name says key ({name!r})")
        shapes = {_shape(v) for v in sample}
        if (
            observed >= MIN_VALUES_FOR_SHAPES
            and len(shapes) == 1
            and re.search(r"9", next(iter(shapes)))
            and " " not in sample[0]
        ):
            return ColumnSemantics(
                name, SemanticType.ID, f"{counts}, all of the shape {next(iter(shapes))}"
            )
    lengths = np.array([len(v) for v in sample])
    spaced = np.mean([" " in v.strip() for v in sample])
    if mostly_distinct and lengths.mean() >= 25 and spaced >= 0.5:
        return ColumnSemantics(
            name,
            SemanticType.TEXT,
            f"free text: {counts}, {lengths.mean():.0f} characters on average",
        )
    note = ", copied"
    if mostly_distinct:
        note = ", copied (mostly distinct values: see the unique-value leak figure)"
    return ColumnSemantics(name, SemanticType.CATEGORICAL, f"{counts}{note}")


def _pii_by_name(words: set[str], sample: np.ndarray) -> tuple[str, str] | None:
    """PII subtype and what the name said, for mostly-distinct text columns."""
    if words & PHONE_WORDS and _share(sample, PHONE) >= PATTERN_SHARE:
        return "phone_number", "phone number"
    if words & ADDRESS_WORDS:
        return ("street_address", "street address") if "street" in words else ("address", "address")
    if "name" in words or "surname" in words:
        if "first" in words or "given" in words:
            return "first_name", "first name"
        if "last" in words or "surname" in words or "family" in words:
            return "last_name", "last name"
        if words & PERSON_WORDS or words == {"name"}:
            return "name", "person name"
    return None


def eta_squared(values: np.ndarray, codes: np.ndarray) -> float:
    """Correlation ratio squared: the share of a numeric column's variance that a
    category explains (between-group over total sum of squares)."""
    keep = np.isfinite(values)
    values, codes = values[keep], codes[keep]
    if values.size < 2:
        return float("nan")
    total = float(((values - values.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    counts = np.bincount(codes)
    sums = np.bincount(codes, weights=values)
    present = counts > 0
    between = float((sums[present] ** 2 / counts[present]).sum() - values.sum() ** 2 / values.size)
    return between / total


#: A category explains a numeric column "strongly" from this correlation ratio up.
SUGGEST_BY_ETA2 = 0.5
#: ... and is worth mixing inside when every group has at least this many rows.
SUGGEST_BY_MIN_GROUP = 20


def suggest_by(frame: Any, semantics: TableMetadata) -> list[dict]:
    """Categorical columns worth giving as ``--by``: each explains a numerical column
    strongly (eta^2 >= SUGGEST_BY_ETA2) and its groups are all large enough to mix in.
    Mixing inside its groups keeps that association, which copying from donors would
    shrink by kappa per generation (THEORY.md section 6). Strongest first."""
    import pandas as pd

    numeric = semantics.of_type(SemanticType.NUMERICAL)
    suggestions = []
    for name in semantics.of_type(
        SemanticType.CATEGORICAL, SemanticType.BOOLEAN, SemanticType.ORDINAL
    ):
        try:
            codes, levels = pd.factorize(frame[name])
        except TypeError:  # lists or structs (Parquet): not a grouping key
            continue
        sizes = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0)
        if len(levels) < 2 or sizes.min() < SUGGEST_BY_MIN_GROUP:
            continue
        known = codes >= 0
        best = None
        for column in numeric:
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
            eta2 = eta_squared(values[known], codes[known])
            if np.isfinite(eta2) and (best is None or eta2 > best[1]):
                best = (column, eta2)
        if best is not None and best[1] >= SUGGEST_BY_ETA2:
            suggestions.append(
                {
                    "by": name,
                    "explains": best[0],
                    "eta_squared": round(best[1], 4),
                    "groups": len(levels),
                    "smallest_group": int(sizes.min()),
                }
            )
    return sorted(suggestions, key=lambda s: -s["eta_squared"])
