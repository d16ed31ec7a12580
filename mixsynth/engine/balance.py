r"""Class balancing by mixup: new rows for the smaller classes, each mixed inside its class.

How many rows each class gets follows imbalanced-learn's ``sampling_strategy`` for
over-samplers exactly (``auto``, ``minority``, ``not minority``, ``not majority``,
``all``, a float for two classes, a dict of target counts), so that a SMOTE user
reads it the same way. The rows themselves are group-wise mixup (docs/theory.md, "Columns that are not real numbers") with
one group per class: with generalized weights each class's mean and covariance are
kept in expectation, where SMOTE's interpolation between near neighbours shrinks the
class's spread (``benchmarks/bench_balance.py`` measures it).

Optionally (``k_neighbors``) the partner of each anchor is drawn among its k nearest
neighbours of the same class, as SMOTE does. That keeps new rows near the anchor's
part of the class, but it is no longer the independent pair the weights are solved
for: the partner sits towards the inside of the class, so the class variance shrinks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from numbers import Real
from typing import Any

import numpy as np

from mixsynth.columns import columns_of
from mixsynth.engine.conditions import take_rows
from mixsynth.engine.memory import GenerationStream
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.errors import InputError, OptionError

#: imbalanced-learn's names; '-' and '_' are read as spaces (``not-minority`` on a CLI).
STRATEGIES = ("auto", "minority", "not minority", "not majority", "all")

SamplingStrategy = str | float | Mapping[Any, int] | Callable[..., Mapping[Any, int]]


def new_rows_per_class(
    classes: np.ndarray, counts: np.ndarray, strategy: SamplingStrategy
) -> np.ndarray:
    """How many rows to make for each class (as imbalanced-learn's over-samplers do).

    ``classes`` and ``counts`` are the class labels and their row counts, labels in
    the order ties are broken (the first of equal counts is the majority/minority).
    A dict gives the wanted *total* count of each class it names.
    """
    if len(classes) < 2:
        raise InputError(
            f"balancing needs at least two classes, found {len(classes)}",
            "give a label column with two or more distinct values",
        )
    counts = np.asarray(counts, dtype=np.int64)
    majority, minority = int(np.argmax(counts)), int(np.argmin(counts))
    up_to_majority = counts[majority] - counts
    if isinstance(strategy, str):
        name = strategy.replace("-", " ").replace("_", " ").strip().lower()
        chosen = {
            "auto": np.arange(len(classes)) != majority,
            "not majority": np.arange(len(classes)) != majority,
            "minority": np.arange(len(classes)) == minority,
            "not minority": np.arange(len(classes)) != minority,
            "all": np.ones(len(classes), dtype=bool),
        }.get(name)
        if chosen is None:
            raise OptionError(
                f"unknown sampling strategy {strategy!r}",
                f"give one of {', '.join(STRATEGIES)}, a ratio in (0, 1] or a dict of counts",
            )
        return np.where(chosen, up_to_majority, 0)
    if isinstance(strategy, Real) and not isinstance(strategy, bool):
        return _ratio(classes, counts, float(strategy), majority)
    if isinstance(strategy, Mapping):
        return _targets(classes, counts, strategy)
    raise OptionError(
        f"cannot read sampling strategy {strategy!r}",
        f"give one of {', '.join(STRATEGIES)}, a ratio in (0, 1] or a dict of counts",
    )


def _ratio(classes: np.ndarray, counts: np.ndarray, ratio: float, majority: int) -> np.ndarray:
    """A float: the minority class grows to ``ratio`` times the majority (two classes)."""
    if len(classes) != 2:
        raise OptionError(
            f"a ratio as sampling strategy needs two classes, found {len(classes)}",
            "give a dict of target counts per class instead",
        )
    if not 0 < ratio <= 1:
        raise OptionError(f"a ratio as sampling strategy must lie in (0, 1], got {ratio:g}")
    new = np.floor(counts[majority] * ratio - counts).astype(np.int64)
    new[majority] = 0
    if (new[np.arange(2) != majority] <= 0).any():
        raise OptionError(
            f"a ratio of {ratio:g} would remove rows from the minority class "
            f"({int(counts.min())} rows, {int(counts[majority])} in the majority)",
            "give a larger ratio",
        )
    return new


def _targets(classes: np.ndarray, counts: np.ndarray, targets: Mapping[Any, int]) -> np.ndarray:
    """A dict: each named class grows to the given total; the others are left alone."""
    position = {label: i for i, label in enumerate(classes.tolist())}
    new = np.zeros(len(classes), dtype=np.int64)
    for label, total in targets.items():
        key = label.item() if isinstance(label, np.generic) else label
        if key not in position:
            raise OptionError(
                f"sampling strategy names class {label!r}, which is not in the labels",
                f"classes are: {', '.join(map(repr, classes.tolist()))}",
            )
        have = int(counts[position[key]])
        if int(total) < have:
            raise OptionError(
                f"sampling strategy asks for {int(total)} rows of class {label!r}, "
                f"which already has {have}",
                "an over-sampler only adds rows: give a count at least as large",
            )
        new[position[key]] = int(total) - have
    return new


def oversample(
    table: Any,
    class_codes: np.ndarray,
    new_rows: np.ndarray,
    options: SynthesisOptions,
    rng: np.random.Generator,
    reference: Reference | None = None,
    k_neighbors: int | None = None,
) -> Any:
    """The new rows only: ``new_rows[c]`` rows mixed inside the rows of class code ``c``,
    class after class, as a table of ``table``'s type (None when no row is asked for)."""
    reference = reference or Reference.of(table, options)
    parts = []
    for code in np.flatnonzero(new_rows):
        members = take_rows(table, np.flatnonzero(class_codes == code))
        stream = GenerationStream(
            members, dataclasses.replace(options, rows=int(new_rows[code])), rng, reference
        )
        if k_neighbors is not None:
            _pair_locally(stream, rng, k_neighbors)
        parts.append(stream.source.concat(list(stream)))
    return columns_of(table).concat(parts) if parts else None


def _pair_locally(stream: GenerationStream, rng: np.random.Generator, k: int) -> None:
    """Redraw each row's partner among its anchor's k nearest rows (SMOTE's neighbours).

    Distances are Euclidean over the mixed columns, each scaled by its standard
    deviation (missing values at the column's mean). The anchors and weights the
    stream drew are kept; only the partners change, before any row is made.
    """
    from scipy.spatial import cKDTree

    n = stream.source.rows
    if not stream.mixed or n < 2:
        return
    features = np.column_stack(
        [
            stream.source.encode(spec.name, spec.kind, stream.reference.encodings[spec.name])
            for spec in stream.mixed
        ]
    )
    means = np.nanmean(features, axis=0)
    features = np.where(np.isnan(features), means, features)
    spread = features.std(axis=0)
    features = (features - means) / np.where(spread > 0, spread, 1.0)
    neighbours = min(k, n - 1)
    _, nearest = cKDTree(features).query(features, k=neighbours + 1)
    nearest = np.asarray(nearest).reshape(n, neighbours + 1)[:, 1:]  # column 0: the row itself
    anchors = stream.pairs.dominant
    pick = rng.integers(neighbours, size=len(anchors))
    stream.pairs = dataclasses.replace(stream.pairs, other=nearest[anchors, pick])
