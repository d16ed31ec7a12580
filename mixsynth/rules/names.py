"""Copied columns whose text names another's value (docs/rules.md, "Names that hold
other columns"): a car's ``Make`` ("Chevrolet Camaro") holds its ``Manufacturer`` and
its ``Model``, a ``city_state`` its city.

Such columns are tied row by row, but no association figure sees it where the naming
column is (nearly) unique: Cramér's V corrected for chance is 0 between two columns of
all-distinct values, so copied columns taken from near rows or split between donors took
``Make`` from one real row and ``Manufacturer`` from another ("Dodge" and "Mazda RX-7").
Found here from the values, each tie is a rule (:class:`~mixsynth.rules.model.Naming`)
that the copied columns' groups and trees follow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mixsynth.columns import ColumnKind
from mixsynth.rules.data import RuleData, distinct_count
from mixsynth.rules.model import Naming, Rule, names_value

#: Rows where both columns have a value, at least (fewer: a coincidence is likely).
MIN_ROWS = 20
#: The values of the named column, shuffled among the rows, may be named by chance in at
#: most this share of rows: above it, the naming says little about which row is which.
MAX_CHANCE = 0.5
#: Columns looked at (the first ones, in table order).
MAX_COLUMNS = 60


def find_namings(data: RuleData, copied: Sequence[str], sample: np.ndarray) -> list[Rule]:
    """Each text column that holds another copied column's value as whole words in every
    row where both have one (on the sample, then on every distinct pair of the table),
    where the other's values, shuffled among the rows, would be held in at most
    :data:`MAX_CHANCE` of them."""
    if data.rows < MIN_ROWS:
        return []
    names = [n for n in copied[:MAX_COLUMNS] if distinct_count(data[n][sample]) >= 2]
    texts = [n for n in names if data.kind(n) is ColumnKind.CATEGORICAL]
    values = {name: _texts(data, name, sample) for name in names}
    shuffled = np.random.default_rng(0).permutation(sample.size)
    return [
        Naming(whole, part)
        for whole in texts
        for part in names
        if part != whole
        and _named_in_sample(values[whole], values[part], shuffled)
        and _named_everywhere(data, whole, part)
    ]


def _named_in_sample(whole: list, part: list, shuffled: np.ndarray) -> bool:
    """Held in every row of the sample where both have a value, and by chance (the
    part's values shuffled) in at most :data:`MAX_CHANCE` of them."""
    rows = [i for i in range(len(whole)) if whole[i] is not None and part[i] is not None]
    if len(rows) < MIN_ROWS or not all(names_value(whole[i], part[i]) for i in rows):
        return False
    chance = [
        names_value(whole[i], part[shuffled[i]]) for i in rows if part[shuffled[i]] is not None
    ]
    return bool(chance) and float(np.mean(chance)) <= MAX_CHANCE


def _named_everywhere(data: RuleData, whole: str, part: str) -> bool:
    """Held in every row of the table: each distinct pair of values checked once."""
    a, b = data[whole], data[part]
    known = np.flatnonzero(~np.isnan(a) & ~np.isnan(b))
    _, first = np.unique(a[known] * (np.nanmax(b) + 1) + b[known], return_index=True)
    rows = known[first]
    return bool(Naming.holds_text(_texts(data, whole, rows), _texts(data, part, rows)).all())


def _texts(data: RuleData, name: str, rows: np.ndarray) -> list[str | None]:
    """The column's values on ``rows`` as text (None where missing)."""
    missing = np.isnan(data[name][rows])
    items = data.columns.take([name], rows)[name]
    items = items.to_pylist() if hasattr(items, "to_pylist") else items.tolist()
    return [None if gone else str(v) for v, gone in zip(items, missing, strict=True)]
