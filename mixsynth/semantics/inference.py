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
  - card numbers (Luhn), IBANs (mod 97), person names (Faker's name lists, "First
    Last"; single first or last names with a header saying so) by their values, and
    short notes naming people or holding contact data (free ``text``, made up):
    :mod:`mixsynth.semantics.personal`; a header alone makes no names (a ``Name``
    column of car models is a category);
  - phone numbers and addresses by a name word **and** mostly distinct values: ``pii``;
  - all values distinct and a key name word (also ``code``, ``number``, ``ref``), or
    every value of one shape with a digit in it (``AC-00123``): ``id``;
  - the two weaker rules (a name word, one shape) need :data:`~mixsynth.semantics.text.MIN_VALUES_FOR_SHAPES`
    values; a handful of rows is not evidence;
  - mostly distinct, long values with spaces, or mostly rare values that read as
    sentences (small words such as "the", "to", or sentence punctuation; labels such
    as car models have neither): free ``text``, made up
    (:mod:`mixsynth.semantics.freetext`);
  - anything else: ``categorical``.

A metadata file overrides any of this (:mod:`mixsynth.semantics.metadata`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.columns import ColumnKind, ColumnSpec
from mixsynth.semantics.personal import card_number_share
from mixsynth.semantics.text import KEY_WORDS, PATTERN_SHARE, name_words, text_semantics
from mixsynth.semantics.types import ColumnSemantics, SemanticType, TableMetadata
from mixsynth.semantics.values import ColumnValues, is_number, numbers_of, plural

if TYPE_CHECKING:
    import pyarrow as pa

    from mixsynth.columns.kinds import DataTable

#: A numeric column with at most this many distinct values is a code, copied.
CODE_MAX_DISTINCT = 10
#: ... provided each value is seen this many times on average (not a tiny table).
CODE_MIN_ROWS_PER_VALUE = 5
#: A single value holding at least this share of a numerical column is a point mass.
POINT_MASS_SHARE = 0.10
#: Decimal places looked for in float columns; more means full precision.
MAX_DECIMALS = 6


def _arrow_column(table: DataTable, name: str, positions: dict[str, int]) -> pa.ChunkedArray | None:
    """One column as an Arrow ChunkedArray (a DataFrame's is converted; None if it
    cannot be). Numpy-backed columns are handed over directly: pyarrow's
    ``Table.from_pandas`` costs milliseconds even on tiny frames. An Arrow table's
    column is taken by its position (by name, Arrow scans every field: 3,000 columns
    took 20 s)."""
    import pyarrow as pa

    if isinstance(table, pa.Table):
        return table.column(positions[name]) if name in positions else None
    try:
        series = table[name]
        values = series.to_numpy()
        if values.dtype.kind in "biuf":
            return pa.chunked_array([pa.array(values, from_pandas=True)])
        return pa.chunked_array([pa.Array.from_pandas(series)])
    except (pa.ArrowException, TypeError, ValueError, KeyError):
        return None


def infer_semantics(table: DataTable, schema: Sequence[ColumnSpec]) -> TableMetadata:
    """Semantics of every column of a DataFrame or pyarrow Table, given its storage kinds."""
    positions = {}
    if hasattr(table, "column_names"):  # a pyarrow Table
        positions = {name: i for i, name in enumerate(table.column_names)}
    columns = {
        str(spec.name): _infer_column(
            str(spec.name), spec.kind, _arrow_column(table, spec.name, positions)
        )
        for spec in schema
    }
    keys = [name for name, c in columns.items() if c.sdtype is SemanticType.ID]
    return TableMetadata(columns=columns, primary_key=keys[0] if len(keys) == 1 else None)


def _infer_column(name: str, kind: ColumnKind, column: pa.ChunkedArray | None) -> ColumnSemantics:
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


def _infer_values(name: str, kind: ColumnKind, column: pa.ChunkedArray) -> ColumnSemantics:
    import pyarrow as pa
    import pyarrow.compute as pc

    present = column.drop_null() if column.null_count else column
    if pa.types.is_floating(column.type) and not pa.types.is_float16(column.type):
        from mixsynth.columns.arrow import to_arrow, to_numpy

        numbers = to_numpy(present, np.nan)  # numpy on Arrow's memory: 4x Arrow's speed
        nan = np.isnan(numbers)
        if nan.any():
            present = pa.chunked_array([to_arrow(numbers[~nan], present.type, None)])
    elif pa.types.is_floating(column.type):  # half floats: Arrow cannot even sort them
        present = present.cast(pa.float64())
        present = present.filter(pc.invert(pc.is_nan(present)))
    if len(present) == 0:
        return _storage_only(name, kind, "no values to look at")
    values = ColumnValues(present)
    if kind.is_mixed:
        return _numeric(name, kind, values)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return text_semantics(name, values)
    return ColumnSemantics(name, SemanticType.CATEGORICAL, f"{values.counts()}, copied")


def _storage_only(
    name: str, kind: ColumnKind, why: str = "could not be analysed"
) -> ColumnSemantics:
    sdtype = {
        ColumnKind.BOOLEAN: SemanticType.BOOLEAN,
        ColumnKind.DATETIME: SemanticType.DATETIME,
    }.get(kind, SemanticType.NUMERICAL if kind.is_mixed else SemanticType.CATEGORICAL)
    return ColumnSemantics(name, sdtype, f"from its storage type ({why})")


def storage_semantics(table: DataTable, schema: Sequence[ColumnSpec]) -> TableMetadata:
    """Semantics from storage kinds alone (``--no-semantics``): numbers and times
    mixed, everything else copied, as before the semantic layer."""
    return TableMetadata(
        columns={str(s.name): _storage_only(str(s.name), s.kind, "--no-semantics") for s in schema}
    )


def _extremes(present: Any) -> tuple[float, float]:
    """Smallest and largest value, by numpy on Arrow's memory for numbers (Arrow's
    min_max takes 20 ms on a million floats, numpy 1 ms); dates by Arrow."""
    import pyarrow.compute as pc

    if is_number(present.type):
        numbers = numbers_of(present)
        return numbers.min().item(), numbers.max().item()
    extremes = pc.min_max(present)
    return extremes["min"].as_py(), extremes["max"].as_py()


def _numeric(name: str, kind: ColumnKind, values: ColumnValues) -> ColumnSemantics:
    import pyarrow.compute as pc

    words = set(name_words(name))
    observed = values.observed
    if (
        kind is ColumnKind.INTEGER
        and words & KEY_WORDS
        and observed > 1
        and values.sample_all_distinct()
        and values.distinct() == observed
    ):
        return ColumnSemantics(
            name, SemanticType.ID, f"{values.counts()}, name says key ({name!r})"
        )
    if kind is ColumnKind.INTEGER:
        cards = card_number_share(values.numbers())
        if cards >= PATTERN_SHARE:
            return ColumnSemantics(
                name,
                SemanticType.PII,
                f"{cards:.0%} of values are card numbers (Luhn check), stored as integers",
                pii="credit_card_number",
            )
    low, high = _extremes(values.present)
    few = values.sample_distinct <= CODE_MAX_DISTINCT and values.distinct() <= CODE_MAX_DISTINCT
    if few and values.distinct() <= 2 and {low, high} <= {0, 1}:  # exactly {low, high}
        return ColumnSemantics(
            name, SemanticType.BOOLEAN, f"only 0 and 1 ({observed} rows), copied"
        )
    if few and observed >= CODE_MIN_ROWS_PER_VALUE * values.distinct():
        shown = ", ".join(f"{v:g}" for v in pc.unique(values.present).sort().to_pylist())
        return ColumnSemantics(
            name,
            SemanticType.CATEGORICAL,
            f"a code: {plural(values.distinct(), 'distinct value')} ({shown}) in {observed} "
            f"rows (at most {CODE_MAX_DISTINCT} means a code), copied",
        )
    reason = [f"{values.counts()}, mixed"]
    point_mass = None
    if values.sample_distinct >= 3 and values.mode in (low, high):
        value = values.mode
        count = int(np.count_nonzero(numbers_of(values.present) == value))  # exact share
        if count >= POINT_MASS_SHARE * observed:
            point_mass = float(value)
            reason.append(f"point mass at {value:g} holds {count / observed:.0%} of values")
    decimals = None
    if kind is ColumnKind.CONTINUOUS:
        decimals = decimal_places(values.numbers())
        if decimals is not None:
            reason.append(f"{plural(decimals, 'decimal place')}")
    return ColumnSemantics(
        name, SemanticType.NUMERICAL, "; ".join(reason), decimals=decimals, point_mass=point_mass
    )


def decimal_places(values: np.ndarray) -> int | None:
    """Fewest decimal places (<= MAX_DECIMALS) that write every value as it was written,
    else None (full precision: nothing is rounded).

    A value has ``p`` places when it is the float of a number written with ``p``
    decimals, give or take one unit in its last place (float noise such as 0.1 + 0.2):
    a tolerance relative to the value's size would call 1.7e9 + 0.3 a whole number.
    Float32 values are judged by float32's units.
    """
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    start = 0
    if values.size > 64:  # a few values give a lower bound cheaply (None for most floats)
        start = decimal_places(values[:64])
        if start is None:
            return None
    numbers = values.astype(np.float64, copy=False)
    largest = float(np.abs(numbers).max())
    if largest >= 2**52:  # beyond float64's whole numbers: no grid
        return None
    unit = np.spacing(np.abs(values)).astype(np.float64)  # one unit in the last place
    for places in range(start, MAX_DECIMALS + 1):
        scale = 10.0**places
        if largest * scale >= 2**52:
            return None
        scaled = np.round(numbers * scale)
        if np.all(np.abs(scaled / scale - numbers) <= unit):
            return places
    return None


def cramers_v(table: np.ndarray) -> float:
    """Cramér's V of a contingency table without empty rows or columns (no continuity
    correction), as ``scipy.stats.contingency.association(table, method="cramer")``."""
    if min(table.shape) < 2:
        return math.nan
    total = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / (total * (min(table.shape) - 1)))


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


def eta_squared_columns(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """:func:`eta_squared` of each column of ``values`` against the same ``codes``.

    Columns of finite values are done together, with the same sums in the same order
    (so the same figures to the last bit); the others one by one.
    """
    result = np.empty(values.shape[1])
    finite = np.isfinite(values).all(axis=0)
    for j in np.flatnonzero(~finite):
        result[j] = eta_squared(values[:, j], codes)
    if not finite.any():
        return result
    x = values if finite.all() else values[:, finite]
    x = np.asfortranarray(x)  # each column contiguous: its sums pairwise, as alone
    rows, count = x.shape
    if rows < 2:
        result[finite] = np.nan
        return result
    total = ((x - x.mean(axis=0)) ** 2).sum(axis=0)
    counts = np.bincount(codes)
    levels = counts.size
    # One weighted count over every column: column j's codes are shifted by j * levels.
    shifted = np.add.outer(levels * np.arange(count), codes).ravel()
    sums = np.bincount(shifted, weights=x.ravel(order="F"), minlength=levels * count)
    sums = sums.reshape(count, levels)
    present = counts > 0
    between = (sums[:, present] ** 2 / counts[present]).sum(axis=1) - x.sum(axis=0) ** 2 / rows
    with np.errstate(invalid="ignore", divide="ignore"):
        result[finite] = np.where(total == 0, np.nan, between / total)
    return result


#: A category explains a numeric column "strongly" from this correlation ratio up.
SUGGEST_BY_ETA2 = 0.5
#: ... and is worth mixing inside when every group has at least this many rows.
SUGGEST_BY_MIN_GROUP = 20
#: Candidates looked at on each side (categorical, numerical) for a suggestion.
SUGGEST_BY_MAX_COLUMNS = 50


def suggest_by(frame: Any, semantics: TableMetadata) -> list[dict]:
    """Categorical columns worth giving as ``--by``: each explains a numerical column
    strongly (eta^2 >= SUGGEST_BY_ETA2) and its groups are all large enough to mix in.
    Mixing inside its groups keeps that association, which copying from donors would
    shrink by kappa per generation (docs/theory.md, "Structure over generations"). Strongest first.

    On wide tables only the first :data:`SUGGEST_BY_MAX_COLUMNS` candidates of each side
    are looked at (the work grows with their product)."""
    import pandas as pd

    numeric = semantics.of_type(SemanticType.NUMERICAL)[:SUGGEST_BY_MAX_COLUMNS]
    values = np.empty((len(frame), len(numeric)), order="F")
    for j, column in enumerate(numeric):
        values[:, j] = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    categorical = semantics.of_type(
        SemanticType.CATEGORICAL, SemanticType.BOOLEAN, SemanticType.ORDINAL
    )[:SUGGEST_BY_MAX_COLUMNS]
    suggestions = []
    for name in categorical:
        try:
            codes, levels = pd.factorize(frame[name])
        except TypeError:  # lists or structs (Parquet): not a grouping key
            continue
        known = codes >= 0
        sizes = np.bincount(codes[known]) if known.any() else np.zeros(0, dtype=np.int64)
        if len(levels) < 2 or sizes.min() < SUGGEST_BY_MIN_GROUP:
            continue
        best = None
        rows = values if known.all() else values.T[:, known].T  # stays Fortran order
        for column, eta2 in zip(numeric, eta_squared_columns(rows, codes[known]), strict=True):
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
