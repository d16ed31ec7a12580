"""The privacy target's search (:mod:`mixsynth.engine.target`) measured with the
report's DCR share (:func:`mixsynth.metrics.dcr_share`), the one definition of the
figure: the engine sits below the metrics, so the share is given to it from here."""

from __future__ import annotations

from typing import Any

from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.target import TargetChoice, choose_margin


def choose_privacy_settings(table: Any, options: SynthesisOptions, seed: int) -> TargetChoice:
    """The settings ``options.privacy_target`` asks for, searched on ``table`` (a
    DataFrame or a pyarrow Table) with ``seed``."""
    assert options.privacy_target is not None  # the callers resolve only a target given
    return choose_margin(table, options, options.privacy_target, seed, _share_of(options))


def _share_of(options: SynthesisOptions):
    """The DCR share of a synthetic table, columns read as generate reads them. The
    search measures many synthetic tables against each of a few halves: each half's
    frame and semantics are made once (keyed by the half, which the search keeps)."""
    from mixsynth.io.convert import arrow_to_frame
    from mixsynth.metrics import dcr_share
    from mixsynth.metrics.privacy import real_semantics

    def frame(table: Any) -> Any:
        return table if hasattr(table, "iloc") else arrow_to_frame(table)

    halves: dict[int, tuple[Any, Any, Any]] = {}  # id -> (the half, its frame, semantics)

    def half(table: Any) -> tuple[Any, Any]:
        if id(table) not in halves:
            read = frame(table)
            semantics = real_semantics(read, options.categorical, options.metadata)
            halves[id(table)] = (table, read, semantics)  # the half kept: its id stays its own
        return halves[id(table)][1:]

    def share(train: Any, holdout: Any, synthetic: Any) -> float:
        (train_frame, semantics), (holdout_frame, _) = half(train), half(holdout)
        return dcr_share(
            train_frame,
            holdout_frame,
            frame(synthetic),
            categorical=options.categorical,
            metadata=options.metadata,
            semantics=semantics,
        )

    return share
