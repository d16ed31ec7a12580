"""A generation stream is freed as soon as its last reference goes (mixsynth/engine/
memory.py): a reference cycle through it would keep every array it holds (the source
table, the pairs, the column caches) until Python's cyclic collector happens to run,
which over many generations of a large table grew memory by a generation each."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pyarrow as pa
import pytest

from mixsynth.engine.memory import GenerationStream
from mixsynth.engine.options import SynthesisOptions


@pytest.mark.parametrize(
    "options",
    [SynthesisOptions(), SynthesisOptions(split_copied=True), SynthesisOptions(copy_neighbours=3)],
    ids=["default", "split-copied", "copy-neighbours"],
)
def test_a_finished_stream_is_freed_without_the_cyclic_collector(options) -> None:
    rng = np.random.default_rng(0)
    table = pa.table(
        {
            "x": rng.normal(size=200),
            "y": rng.normal(size=200),
            "colour": rng.choice(["red", "green", "blue"], 200),
            "size": rng.choice(["s", "m", "l"], 200),
        }
    )
    gc.collect()
    gc.disable()
    try:
        stream = GenerationStream(table, options, np.random.default_rng(1))
        generation = stream.finish(stream.source.concat(list(stream)))
        freed = weakref.ref(stream)
        del stream
        assert freed() is None
    finally:
        gc.enable()
    assert generation.frame.num_rows == 200
