"""A column's values as the inference rules read them: an even sample, distinct counts
exact on the sample (on the whole column only when a rule asks), and the sample's
distinct strings with their counts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

#: Values looked at for patterns, decimals and shapes (a seeded, evenly spread sample).
SAMPLE_VALUES = 10_000


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def is_number(arrow_type: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)


def numbers_of(column: pa.ChunkedArray) -> np.ndarray:
    from mixsynth.columns.arrow import to_numpy

    return to_numpy(column, 0)


class ColumnValues:
    """A column's present values, an even sample of them, and distinct counts: exact
    on the sample, on the whole column only when a rule needs it (hashing a million
    values per column would cost seconds before any row is made)."""

    def __init__(self, present: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        from mixsynth.columns.arrow import to_arrow

        self.present, self.observed = present, len(present)
        step = max(1, self.observed // SAMPLE_VALUES)
        indices = np.arange(0, self.observed, step, dtype=np.int64)[:SAMPLE_VALUES]
        # Indices as an Arrow array built from buffers: numpy ones make pyarrow import
        # pandas (0.4 s of every run).
        self.sample = present if step == 1 else present.take(to_arrow(indices, pa.int64(), None))
        self.mode: Any = None  # the most common sampled number (the smallest on ties)
        if is_number(self.sample.type):  # one numpy sort: 4x Arrow's count_distinct + mode
            distinct, counts = np.unique(self.numbers(), return_counts=True)
            self.sample_distinct = len(distinct)
            self.mode = distinct[np.argmax(counts)].item() if len(distinct) else None
        else:
            self.sample_distinct = pc.count_distinct(self.sample).as_py()
        self._distinct = self.sample_distinct if step == 1 else None

    @property
    def is_sampled(self) -> bool:
        return self._distinct is None and len(self.sample) < self.observed

    def distinct(self) -> int:
        """Exact distinct values of the whole column (computed once, when asked)."""
        import pyarrow.compute as pc

        if self._distinct is None:
            self._distinct = pc.count_distinct(self.present).as_py()
        return self._distinct

    def sample_all_distinct(self) -> bool:
        return self.sample_distinct == len(self.sample)

    def counts(self) -> str:
        """'164 distinct values in 342 rows', or what a sample of a large column shows."""
        if self._distinct is None:
            return (
                f"{self.observed} rows, {self.sample_distinct} distinct values in an even "
                f"sample of {len(self.sample)}"
            )
        return f"{plural(self._distinct, 'distinct value')} in {plural(self.observed, 'row')}"

    def numbers(self) -> np.ndarray:
        """The sample of a numeric column as numpy (no nulls: they were dropped)."""
        return numbers_of(self.sample)

    def distinct_texts(self) -> TextCounts:
        """The sample's distinct strings with their counts: the text rules look at each
        distinct value once (a 4-level category is 4 regex matches, not 10,000)."""
        import pyarrow.compute as pc

        counted = pc.value_counts(self.sample)
        return TextCounts(
            np.asarray(counted.field("values").to_pylist(), dtype=object),
            np.asarray(counted.field("counts").to_pylist(), dtype=np.float64),
        )


class TextCounts:
    """Distinct sampled strings and how often each occurs: shares are count-weighted."""

    def __init__(self, values: np.ndarray, counts: np.ndarray) -> None:
        self.values, self.counts = values, counts

    def share(self, test: Any) -> float:
        """Share of the sampled values for which ``test(value)`` is true."""
        if not len(self.values):
            return 0.0
        hits = np.fromiter((bool(test(v)) for v in self.values), bool, len(self.values))
        return float(self.counts[hits].sum() / self.counts.sum())

    def without(self, dropped: set[str]) -> TextCounts:
        """The same counts without the values in ``dropped``."""
        kept = np.fromiter((v not in dropped for v in self.values), bool, len(self.values))
        return TextCounts(self.values[kept], self.counts[kept])

    def matching(self, pattern: re.Pattern) -> float:
        return self.share(lambda v: pattern.match(v.strip()))

    def mean_length(self) -> float:
        lengths = np.fromiter((len(v) for v in self.values), np.float64, len(self.values))
        return float((lengths * self.counts).sum() / self.counts.sum())
