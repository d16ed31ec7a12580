"""MixupSynthesizer: fit once on a real table, sample as often as needed (SDV's habits).

A thin layer over :mod:`mixsynth.engine`: ``fit`` builds the
:class:`~mixsynth.engine.reference.Reference` (column kinds, encodings, ranges) and solves the
weights; ``sample`` runs one generation of ``num_rows`` rows from the real rows.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mixsynth.api.saved import load_pickled, save_pickled
from mixsynth.columns import check_by, columns_of
from mixsynth.engine.conditions import Condition, matching_rows, take_rows
from mixsynth.engine.given import only_declared, synthesis_options, with_options
from mixsynth.engine.memory import check_memory, run_generations, synthesize
from mixsynth.engine.options import Generation
from mixsynth.engine.reference import Reference
from mixsynth.engine.weights import AnyWeights
from mixsynth.errors import InputError, NotFittedError, OptionError
from mixsynth.semantics import TableMetadata

if TYPE_CHECKING:
    from mixsynth.engine.target import TargetChoice

#: Bumped when the saved layout changes, so that an old file is refused clearly.
SAVE_FORMAT = 2


class MixupSynthesizer:
    """A mixup synthesizer for one table: ``fit(data)``, then ``sample(num_rows)``.

    Parameters are those of ``mixsynth generate`` with its defaults (declared once, in
    :class:`~mixsynth.engine.options.SynthesisOptions`): ``method``
    (``"generalized"`` or ``"vanilla"``; ``None`` = generalized unless ``weights`` lie
    inside [0, 1]), ``weights`` (a spec such as ``"beta:0.2,0.2"`` or
    ``"epbeta:4.34,1.33,0.3,0.3"``, or a WeightDistribution), ``mix_strength`` and
    ``eps`` (the generalized solver's inputs), ``finite_sample``, ``bounds``
    (``"none"``, ``"clip"``, ``"reflect"``), ``by`` (group-wise mixup), ``categorical``
    (columns copied from donors instead of mixed), ``pairing`` and ``seed`` (the
    synthesizer's own random generator, used whenever ``sample`` gets no seed).

    Column semantics (ids and personal data made up, codes copied, decimals and point
    masses kept: docs/semantics.md) are inferred as by ``generate``; ``metadata``
    overrides them column by column: a :class:`~mixsynth.semantics.TableMetadata`
    (what :meth:`get_metadata` returns), the path of a metadata JSON file (mixsynth's
    or SDV's), or a dict such as ``{"columns": {"code": {"sdtype": "categorical"}}}``.
    ``semantics``, ``keep_pii``, ``locale``, ``round_decimals``, ``match_moments``,
    ``keep_associations`` and ``match_shapes`` are generate's options of the same names.

    Example::

        synthesizer = MixupSynthesizer(seed=0).fit(frame)
        synthetic = synthesizer.sample(1000)
    """

    def __init__(
        self,
        metadata: TableMetadata | Mapping[str, Any] | str | Path | None = None,
        *,
        seed: int | None = None,
        **options: Any,
    ) -> None:
        only_declared("MixupSynthesizer", options, inspect.signature(type(self)).parameters)
        self.options = synthesis_options(metadata=metadata, **options)
        self.seed = _checked_seed(seed)
        self._rng = np.random.default_rng(seed)
        self._data: Any = None
        self._reference: Reference | None = None
        #: The solved weights for sampling as many rows as the fitted table (after fit).
        self.weights_: AnyWeights | None = None
        #: What ``privacy_target`` chose and measured (after fit; None without one).
        self.privacy_choice_: TargetChoice | None = None
        self._fitted_options = self.options  #: with the margin the target chose

    #: The options are declared once, in SynthesisOptions: help() and IDEs see them here.
    __init__.__signature__ = with_options(__init__)  # type: ignore[attr-defined]

    # Fitting ----------------------------------------------------------------------

    def fit(self, data: Any) -> MixupSynthesizer:
        """Learn the table: a pandas DataFrame, a pyarrow Table, or a path to a CSV or
        Parquet file (read as a DataFrame). Returns the synthesizer, for chaining.

        The real rows are kept: every synthetic row is made from two of them.
        """
        data = _as_table(data)
        self._fitted_options = self.options
        target = self.options.privacy_target
        if target is not None:  # the margin is picked on a held-out half of the data
            from mixsynth.jobs.target import choose_privacy_settings

            seed = self.seed if self.seed is not None else int(self._rng.integers(2**32))
            self.privacy_choice_ = choose_privacy_settings(data, self.options, seed)
            self._fitted_options = self.privacy_choice_.options(self.options)
        self._reference = Reference.of(data, self._fitted_options)
        check_by(columns_of(data).names, self.options.by)
        self._data = data
        self.weights_ = self._fitted_options.weights_for(len(data), len(data))
        return self

    @property
    def fitted(self) -> bool:
        return self._data is not None

    # Sampling ---------------------------------------------------------------------

    def sample(
        self,
        num_rows: int,
        seed: int | None = None,
        conditions: Mapping[str, Any] | None = None,
    ) -> Any:
        """``num_rows`` synthetic rows, of the type the synthesizer was fitted on.

        ``seed`` makes the call reproducible on its own; without it the synthesizer's
        generator is used (and advanced). ``conditions`` (``{"species": "Adelie"}``) on
        categorical or boolean columns mixes only inside the rows that satisfy them, so
        every synthetic row satisfies them too.
        """
        return self._sample(num_rows, self._generator(seed), conditions)

    def sample_from_conditions(
        self, conditions: Iterable[Condition], seed: int | None = None
    ) -> Any:
        """The rows of every :class:`Condition` (``num_rows`` each), one after another."""
        rng = self._generator(seed)
        parts = [self._sample(c.num_rows, rng, c.column_values) for c in conditions]
        if not parts:
            raise OptionError("no conditions given", "give a list of Condition(...)")
        return columns_of(parts[0]).concat(parts)

    def generations(
        self, generations: int, num_rows: int | None = None, seed: int | None = None
    ) -> Iterator[Generation]:
        """Generations 1..``generations``, each made only from the previous one (the
        model-collapse experiment); each :class:`Generation` holds its table as ``.frame``."""
        self._check_fitted()
        if isinstance(generations, bool) or not isinstance(generations, int) or generations < 1:
            raise OptionError(f"generations must be an integer >= 1, got {generations!r}")
        options = dataclasses.replace(
            self._fitted_options, rows=_row_count(num_rows, len(self._data))
        )
        start = int(self._rng.integers(2**63)) if seed is None else _checked_seed(seed)
        return run_generations(self._data, options, generations, start, self._reference)

    def _sample(self, num_rows: int, rng: np.random.Generator, conditions: Any) -> Any:
        self._check_fitted()
        source = self._data
        if conditions is not None and not isinstance(conditions, Mapping):
            raise OptionError(
                f"conditions must be a dict of column -> value, got a {type(conditions).__name__}",
                "e.g. conditions={'species': 'Adelie'}",
            )
        if conditions:
            source = take_rows(source, matching_rows(source, conditions, self._reference))
        rows = _row_count(num_rows)
        check_memory(rows, len(columns_of(source).names), "num_rows")
        options = dataclasses.replace(self._fitted_options, rows=rows)
        return synthesize(source, options, rng, self._reference).frame

    def _generator(self, seed: int | None) -> np.random.Generator:
        return self._rng if seed is None else np.random.default_rng(_checked_seed(seed))

    def _check_fitted(self) -> None:
        if self._data is None:
            raise NotFittedError("the synthesizer is not fitted yet", "call .fit(data) first")

    # Description ------------------------------------------------------------------

    def get_metadata(self) -> TableMetadata:
        """What each column means and gets, as the synthesizer treats it (inferred,
        then the ``metadata`` given): SDV's ``sdtype`` names, each with the reason.
        Edit it and give it back as ``metadata=``, or save it with
        :func:`mixsynth.semantics.metadata.save_metadata` for ``generate --metadata``."""
        self._check_fitted()
        return self._reference.semantics

    def __repr__(self) -> str:
        state = f"fitted on {len(self._data)} rows" if self.fitted else "not fitted"
        return f"MixupSynthesizer(method={self.options.method.value!r}, {state})"

    # Saving -----------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Save the synthesizer to a file with :mod:`pickle`, atomically, readable by
        its owner only (mode 0600).

        The file holds the **real rows** it was fitted on (it needs them to sample), so
        store and share it as you would the real data: a MixsynthWarning says so.
        """
        fitted_on = (
            f"the {len(self._data)} real rows the synthesizer was fitted on"
            if self.fitted
            else None
        )
        save_pickled(self, path, SAVE_FORMAT, fitted_on)

    @classmethod
    def load(cls, path: str | Path) -> MixupSynthesizer:
        """A synthesizer saved by :meth:`save`.

        Loading runs pickle, which can run any code a file holds: load only files you
        trust (e.g. ones you saved yourself). A file without mixsynth's header is
        refused before anything in it is unpickled.
        """
        return load_pickled(path, cls, SAVE_FORMAT)


def _as_table(data: Any) -> Any:
    """A DataFrame or pyarrow Table as given; a path read into a DataFrame."""
    if isinstance(data, str | Path):
        from mixsynth.io import read_table

        return read_table(str(data)).frame
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data.copy()  # later edits to the caller's frame must not change the fit
    raise InputError(
        f"cannot fit on a {type(data).__name__}",
        "give a pandas DataFrame, a pyarrow Table or the path of a CSV or Parquet file",
    )


def _row_count(num_rows: int | None, default: int | None = None) -> int:
    """A checked row count (``None`` = ``default``)."""
    if num_rows is None and default is not None:
        return default
    if isinstance(num_rows, bool) or not isinstance(num_rows, int | np.integer) or num_rows < 1:
        raise OptionError(f"num_rows must be an integer >= 1, got {num_rows!r}")
    return int(num_rows)


def _checked_seed(seed: Any) -> int | None:
    """A seed numpy takes: None or a whole number >= 0."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise OptionError(
            f"seed must be a whole number >= 0 (or None), got {seed!r}", "e.g. seed=0"
        )
    return int(seed)
