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
    """The DCR share of a synthetic table, columns read as generate reads them."""
    from mixsynth.io.convert import arrow_to_frame
    from mixsynth.metrics import dcr_share

    def frame(table: Any) -> Any:
        return table if hasattr(table, "iloc") else arrow_to_frame(table)

    def share(train: Any, holdout: Any, synthetic: Any) -> float:
        return dcr_share(
            frame(train),
            frame(holdout),
            frame(synthetic),
            categorical=options.categorical,
            metadata=options.metadata,
        )

    return share
