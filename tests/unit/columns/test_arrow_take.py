"""Copied columns taken row by row from an Arrow table (mixsynth/columns/arrow.py):
long text columns of few distinct values are taken through dictionary codes, which
must give the very values, nulls and type a plain take gives."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from mixsynth.columns.arrow import CODED_TEXT_ROWS, ArrowColumns, _few_texts


def test_text_taken_through_codes_is_the_plain_take() -> None:
    rng = np.random.default_rng(0)
    rows = CODED_TEXT_ROWS + 10
    levels = np.array(["north", "south", "", "east ✓"])
    words = pa.array(levels[rng.integers(0, 4, rows)], mask=rng.random(rows) < 0.1)
    ids = pa.array([f"id{k}" for k in range(rows)], type=pa.large_string())
    table = pa.table(
        {
            "words": pa.chunked_array([words.slice(0, 1000), words.slice(1000)]),
            "ids": ids,
        }
    )
    assert _few_texts(pa.chunked_array([words])) and not _few_texts(table.column("ids"))
    taken_rows = rng.integers(0, rows, 5000)
    taken = ArrowColumns(table).take(["words", "ids"], taken_rows)
    for name in ("words", "ids"):
        expected = table.column(name).take(pa.array(taken_rows))
        assert taken[name].type == table.schema.field(name).type
        assert taken[name].equals(expected)
    assert taken["words"].null_count > 0
