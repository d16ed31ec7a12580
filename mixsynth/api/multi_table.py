"""MultiTableMixupSynthesizer: several linked tables fitted once, sampled as often as
needed, in the habits of SDV's HMASynthesizer (``fit`` a dict of DataFrames,
``sample(scale=...)``, ``save``/``load``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mixsynth.api.saved import load_pickled, save_pickled
from mixsynth.engine.given import declared, only_declared, synthesis_options
from mixsynth.errors import InputError, NotFittedError, OptionError
from mixsynth.relational import (
    RelationalGeneration,
    RelationalMetadata,
    RelationalPlan,
    run_relational,
    synthesize_tables,
)

#: Bumped when the saved layout changes, so that an old file is refused clearly (2: behind
#: mixsynth's header, as MixupSynthesizer's; 3: the plan holds each table's declared rules).
SAVE_FORMAT = 3


class MultiTableMixupSynthesizer:
    """A mixup synthesizer for tables linked by keys: ``fit(tables)``, ``sample(scale)``.

    ``metadata``: a :class:`~mixsynth.relational.RelationalMetadata`, the path of a
    metadata JSON file (SDV's ``Metadata.save_to_json`` or ``mixsynth inspect FOLDER``'s),
    its parsed dict, or an SDV ``Metadata`` object (anything with ``to_dict()``).
    The other keyword arguments are the single-table synthesis options
    (:class:`~mixsynth.api.MixupSynthesizer`'s: ``method``, ``weights``,
    ``mix_strength``, ``eps``, ``bounds``, ``match_shapes``, ...), applied to every
    table; ``seed`` seeds the synthesizer's own random generator.

    Example::

        synthesizer = MultiTableMixupSynthesizer("sample_data/shop/metadata.json", seed=0)
        synthetic = synthesizer.fit(tables).sample(scale=1.0)  # {name: DataFrame}
    """

    def __init__(self, metadata: Any, *, seed: int | None = None, **options: Any) -> None:
        self.metadata = as_relational_metadata(metadata)
        only_declared("MultiTableMixupSynthesizer", options, declared())
        self.options = synthesis_options(**options)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._tables: dict[str, Any] | None = None
        self._text_dates: dict[str, dict[str, str | None]] = {}  #: dates given as text
        self._plan: RelationalPlan | None = None

    def fit(self, tables: Mapping[str, Any]) -> MultiTableMixupSynthesizer:
        """Learn the tables: ``{name: DataFrame}`` (or a folder holding one CSV or
        Parquet file per table). The real rows are kept: synthetic rows are mixed from
        them. Returns the synthesizer, for chaining."""
        import pandas as pd

        if isinstance(tables, str | Path):
            from mixsynth.relational.files import read_tables

            tables = read_tables(tables, list(self.metadata.tables))
        if not isinstance(tables, Mapping) or not all(
            isinstance(frame, pd.DataFrame) for frame in tables.values()
        ):
            raise InputError(
                "fit takes a dict of pandas DataFrames, one per table",
                "e.g. fit({'customers': customers, 'orders': orders})",
            )
        from mixsynth.relational.metadata import parse_text_dates, text_dates

        given = {name: frame for name, frame in tables.items() if name in self.metadata.tables}
        self._text_dates = text_dates(given, self.metadata)
        copied = parse_text_dates({n: f.copy() for n, f in given.items()}, self._text_dates)
        self._plan = RelationalPlan.of(copied, self.metadata, self.options)
        self._tables = copied
        return self

    @property
    def fitted(self) -> bool:
        return self._plan is not None

    def sample(self, scale: float = 1.0, seed: int | None = None) -> dict[str, Any]:
        """Synthetic tables, ``scale`` times as many root rows as the real ones (their
        children follow); ``seed`` for this call only (else the synthesizer's generator)."""
        from mixsynth.relational.metadata import format_text_dates

        real, plan = self._fitted()
        rng = self._rng if seed is None else np.random.default_rng(seed)
        tables = synthesize_tables(real, plan, rng, float(scale)).tables
        return format_text_dates(tables, self._text_dates)

    def generations(
        self, generations: int, seed: int = 0, scale: float = 1.0
    ) -> Iterator[RelationalGeneration]:
        """Generations 1..``generations``, each made only from the previous one (dates
        given as text are datetimes here)."""
        real, plan = self._fitted()
        if generations < 1:
            raise OptionError(f"generations must be at least 1, got {generations}")
        return run_relational(real, plan, generations, seed, float(scale))

    def get_metadata(self) -> RelationalMetadata:
        return self.metadata

    def _fitted(self) -> tuple[dict[str, Any], RelationalPlan]:
        """The fitted tables and plan, or a NotFittedError before fit."""
        if self._tables is None or self._plan is None:
            raise NotFittedError(
                "the synthesizer is not fitted", "call fit(tables) before sample()"
            )
        return self._tables, self._plan

    def __repr__(self) -> str:
        state = "not fitted"
        if self._tables is not None:
            state = "fitted on " + ", ".join(
                f"{n} ({len(f)} rows)" for n, f in self._tables.items()
            )
        return f"MultiTableMixupSynthesizer({state})"

    def save(self, path: str | Path) -> None:
        """Save the synthesizer with :mod:`pickle` behind mixsynth's header, atomically,
        readable by its owner only (mode 0600). The file holds the real rows it was
        fitted on: keep it as private as the real data (a warning says so)."""
        fitted_on = "the real tables the synthesizer was fitted on" if self.fitted else None
        save_pickled(self, path, SAVE_FORMAT, fitted_on)

    @classmethod
    def load(cls, path: str | Path) -> MultiTableMixupSynthesizer:
        """A synthesizer saved by :meth:`save`. Loading runs pickle, which can run any
        code a file holds: load only files you trust; a file without mixsynth's header is
        refused before anything in it is unpickled."""
        return load_pickled(path, cls, SAVE_FORMAT)


def as_relational_metadata(metadata: Any) -> RelationalMetadata:
    """RelationalMetadata from itself, a JSON file, a dict, or an object with ``to_dict``
    (SDV's ``Metadata``)."""
    if isinstance(metadata, RelationalMetadata):
        return metadata
    if isinstance(metadata, str | Path):
        return RelationalMetadata.load(metadata)
    if hasattr(metadata, "to_dict") and not isinstance(metadata, Mapping):
        metadata = metadata.to_dict()
    if isinstance(metadata, Mapping):
        return RelationalMetadata.from_dict(dict(metadata))
    raise InputError(
        f"cannot read multi-table metadata from a {type(metadata).__name__}",
        "give a metadata JSON file, its dict, or SDV's Metadata",
    )
