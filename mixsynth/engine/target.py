"""A privacy target (``privacy_target``): the smallest privacy margin whose output is
no closer to the rows it was made from than to rows it never saw.

The input is split in two halves inside the run (seeded); each half is synthesized
with margins 0 (the default weights), 0.05, ..., 0.5, and each output's *DCR share* is
measured: the share of synthetic rows closer to the half they were made from than to
the other, held-out half (ties count one half; a fresh real sample scores 0.5); the
two ways round are averaged.
The first margin whose share is at most the target is chosen; from
:data:`TARGET_SHAPES_MARGIN` on, the trials match shapes too. If no margin reaches it
with the copied columns taken whole from the dominant donor, the search goes on with
them split between the donors (``split_copied``, :mod:`.donors`), the other lever on
closeness. The chosen settings then make the real run, from the whole input.

Distances are those of ``mixsynth compare``'s DCR: the mean over columns of
|a - b| / (range of the half made from) for mixed columns and of a mismatch for the
others; made-up columns (keys, personal data) are left out. On tables larger than
:data:`TARGET_SAMPLE_ROWS` rows the search runs on a seeded sample of that size.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixsynth.columns import columns_of
from mixsynth.engine.copies import category_codes
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference

#: The margins tried, smallest first (0: the default weights).
TARGET_MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
#: Rows of the input the search uses at most (half made from, half held out).
TARGET_SAMPLE_ROWS = 4000
#: From this margin on, the search also matches shapes (``match_shapes``): at margins
#: 0.4-0.5 it gives back 0.02-0.07 of overall quality at about the same DCR share
#: (docs/privacy.md), as wide margins distort the marginal shapes (delta grows as D^2).
TARGET_SHAPES_MARGIN = 0.2


@dataclass(frozen=True)
class TargetChoice:
    """What the search chose and measured (recorded in the run record)."""

    target: float
    margin: float
    split_copied: bool
    share: float  #: DCR share of the chosen settings' output on the held-out half
    reached: bool  #: False: no setting reached the target; the closest one was kept
    #: every (margin, split_copied, share) measured, in the order tried
    tried: tuple[tuple[float, bool, float], ...] = ()

    def record(self) -> dict:
        """What the run record and the report keep of it."""
        return {
            "target": self.target,
            "margin": self.margin,
            "split_copied": self.split_copied,
            "match_shapes": self.margin >= TARGET_SHAPES_MARGIN,
            "dcr_share": self.share,
            "reached": self.reached,
        }

    def describe(self) -> str:
        """One line for the terminal."""
        split = ", copied columns split between donors" if self.split_copied else ""
        shapes = ", shapes matched" if self.margin >= TARGET_SHAPES_MARGIN else ""
        missed = "" if self.reached else f" (none reached {self.target:g}: the closest kept)"
        return (
            f"--privacy-target {self.target:g}: margin {self.margin:g}{split}{shapes}, DCR "
            f"share {self.share:.3f} on a held-out half of the input{missed}"
        )

    def options(self, options: SynthesisOptions) -> SynthesisOptions:
        """``options`` with the chosen margin and copied-column split (the target met)."""
        return _trial(options, self.margin, self.split_copied)


def _trial(options: SynthesisOptions, margin: float, split: bool) -> SynthesisOptions:
    shapes = options.match_shapes or margin >= TARGET_SHAPES_MARGIN
    return dataclasses.replace(
        options,
        privacy_margin=margin,
        split_copied=split,
        match_shapes=shapes,
        privacy_target=None,
    )


def choose_margin(table: Any, options: SynthesisOptions, target: float, seed: int) -> TargetChoice:
    """Search the smallest margin whose DCR share on a held-out half is <= ``target``
    (the mean over the two ways round: each half made from, the other held out)."""
    source = columns_of(table)
    rng = np.random.default_rng(seed)
    rows = rng.permutation(source.rows)[: min(source.rows, TARGET_SAMPLE_ROWS)]
    half = len(rows) // 2
    halves = [
        source.build(source.take(source.names, np.sort(part)))
        for part in (rows[:half], rows[half : 2 * half])
    ]
    tried: list[tuple[float, bool, float]] = []
    for split in dict.fromkeys((options.split_copied, True)):
        for margin in TARGET_MARGINS:
            trial = _trial(options, margin, split)
            shares = []
            for made_from, held_out in (halves, halves[::-1]):
                synthetic = synthesize(made_from, trial, np.random.default_rng(seed)).frame
                reference = Reference.of(made_from, trial)
                shares.append(dcr_share(made_from, held_out, synthetic, reference))
            tried.append((margin, split, float(np.mean(shares))))
            if tried[-1][2] <= target:
                return TargetChoice(target, *tried[-1], True, tuple(tried))
    margin, split, share = min(tried, key=lambda trial: trial[2])
    return TargetChoice(target, margin, split, share, False, tuple(tried))


def dcr_share(train: Any, holdout: Any, synthetic: Any, reference: Reference) -> float:
    """The share of ``synthetic`` rows closer to ``train`` than to ``holdout`` (ties
    count one half), in the DCR distance (see the module)."""
    from scipy.spatial.distance import cdist

    both = columns_of(columns_of(train).concat([train, holdout, synthetic]))
    sizes = np.cumsum([0, len(train), len(holdout), len(synthetic)])
    numbers, codes = [], []
    for spec in reference.schema:
        if spec.name in reference.real_values:  # made up: says nothing about closeness
            continue
        if spec.kind.is_mixed:
            values = both.encode(spec.name, spec.kind, reference.encodings[spec.name])
            fitted = values[: sizes[1]]
            low, high = np.nanmin(fitted, initial=np.inf), np.nanmax(fitted, initial=-np.inf)
            span = high - low if np.isfinite(high - low) and high > low else 1.0
            numbers.append(np.nan_to_num((values - low) / span, nan=-1.0))
        else:
            found = category_codes(both.table, spec.name)
            if found is not None:  # nested values (lists, structs) are left out
                codes.append(found.astype(np.float64))
    numeric = np.column_stack(numbers) if numbers else np.empty((sizes[-1], 0))
    categorical = np.column_stack(codes) if codes else np.empty((sizes[-1], 0))
    width = numeric.shape[1] + categorical.shape[1]

    def nearest(reference_rows: slice, queries: slice) -> np.ndarray:
        total = np.zeros((queries.stop - queries.start, reference_rows.stop - reference_rows.start))
        if numeric.shape[1]:
            total += cdist(numeric[queries], numeric[reference_rows], "cityblock")
        if categorical.shape[1]:
            distances = cdist(categorical[queries], categorical[reference_rows], "hamming")
            total += distances * categorical.shape[1]
        return total.min(axis=1) / max(width, 1)

    fitted_rows, held_rows, made_rows = (slice(sizes[k], sizes[k + 1]) for k in range(3))
    to_train, to_holdout = nearest(fitted_rows, made_rows), nearest(held_rows, made_rows)
    return float(np.mean((to_train < to_holdout) + 0.5 * (to_train == to_holdout)))
