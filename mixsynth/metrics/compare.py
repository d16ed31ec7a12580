"""The whole comparison (:func:`compare_tables`): every figure of real against
synthetic, its sample, its memory estimate, and one generation's entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixsynth.errors import InputError, OptionError, column_hint
from mixsynth.metrics.core import DEFAULT_SAMPLE_ROWS, Column, Sample, align, clean
from mixsynth.metrics.holdout import holdout_figures
from mixsynth.metrics.pairs import compare_pairs, quality_scores
from mixsynth.metrics.privacy import (
    dcr_row_limit,
    leak_columns,
    privacy,
    real_semantics,
    unique_value_leaks,
    without_made_up,
)
from mixsynth.metrics.shapes import compare_columns
from mixsynth.metrics.utility import utility

if TYPE_CHECKING:
    from mixsynth.semantics.types import TableMetadata


def check_compare_memory(real_rows: int, synthetic_rows: int, columns: int) -> None:
    """Refuse a comparison that cannot fit in memory, before it starts.

    The figures hold a few float64 copies of each table's compared columns (values,
    centred values, masks, bins): at least 4 x 8 bytes per cell, a lower bound, so
    nothing feasible is refused; pair figures are computed in bounded blocks.
    """
    import os

    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: cannot tell
        return
    needed = 32 * columns * (real_rows + synthetic_rows)
    if needed > physical:
        raise InputError(
            f"comparing {columns} columns of {real_rows} and {synthetic_rows} rows needs at "
            f"least {needed / 2**30:.3g} GiB, more than this machine's {physical / 2**30:.3g} GiB",
            "compare fewer columns or a sample of the rows",
        )


def compare_tables(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    target: str | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    seed: int = 0,
    categorical: Sequence[str] = (),
    metadata: TableMetadata | None = None,
    holdout: pd.DataFrame | None = None,
    rules: Sequence[Any] = (),
    detect_rules: bool = True,
) -> dict:
    """Every figure of real against synthetic, as a JSON-ready dict (docs/report.md).

    ``metadata`` (a :class:`mixsynth.semantics.TableMetadata`) says which columns are
    not mixed numbers, for the unique-value leak figure; inferred without it.
    ``holdout``: real rows of the same table that the synthesizer never saw (``real``
    being the rows it was fed): the baseline of the privacy figures and the test set of
    utility. Without it both are measured on halves of ``real``, which the synthesizer
    saw, so they are optimistic: ``privacy.true_holdout`` says which. ``rules``
    (:mod:`mixsynth.rules`) are reported with the share of rows holding each, with those
    every real row holds when ``detect_rules`` (docs/rules.md).
    """
    if sample_rows < 2:
        raise OptionError(f"--sample-rows must be at least 2, got {sample_rows}")
    with np.errstate(all="ignore"):  # undefined figures become None, without noise
        return _compare(
            real,
            synthetic,
            target,
            sample_rows,
            seed,
            categorical,
            metadata,
            holdout,
            (tuple(rules), detect_rules),
        )


def copied_numbers(semantics: TableMetadata, columns: list[Column]) -> list[str]:
    """Numeric columns whose meaning (inferred as generate and inspect infer it, or
    from the metadata) is a category or a flag, which generate copies: codes, 0/1
    labels. Compared as categories, as they were made."""
    return [
        c.name
        for c in columns
        if c.kind.is_mixed
        and (meaning := semantics.columns.get(c.name)) is not None
        and meaning.sdtype.is_copied
    ]


def treatments(
    real: pd.DataFrame, semantics: TableMetadata, compared: set[str], schema: dict
) -> list:
    """Every column of the real table, with what generate does to it (``mixed``,
    ``copied``, ``made up``), or ``left out`` when the tables cannot be compared on it,
    whether it is compared, and why (the inference's or the metadata's reason)."""
    left_out = {name: "only in the real table" for name in schema["only_in_real"]}
    left_out |= {
        e["column"]: f"kinds differ ({e['real']} / {e['synthetic']})"
        for e in schema["incompatible"]
    }
    found = []
    for name in map(str, real.columns):
        meaning = semantics.columns.get(name)
        if meaning is None:
            continue
        sdtype = meaning.sdtype
        treatment = "made up" if sdtype.is_generated else "copied" if sdtype.is_copied else "mixed"
        why = meaning.reason
        if name in left_out:
            treatment, why = "left out", f"{left_out[name]}; {why}"
        elif name not in compared:
            why = (
                f"{why}; its real values never reappear, so only the unique-value leak "
                "figure looks at it"
            )
        found.append(
            {
                "column": name,
                "meaning": sdtype.value,
                "treatment": treatment,
                "compared": name in compared,
                "why": why,
            }
        )
    return found


def _compare(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    target: str | None,
    sample_rows: int,
    seed: int,
    categorical: Sequence[str],
    metadata: TableMetadata | None,
    holdout: pd.DataFrame | None,
    rules: tuple[tuple, bool] = ((), True),
) -> dict:
    from mixsynth.metrics.rules import real_rules, rule_shares
    from mixsynth.semantics.inference import suggest_by

    columns, schema = align(real, synthetic, categorical)  # checks the tables first
    semantics = real_semantics(real, categorical, metadata)
    copied = copied_numbers(semantics, columns)
    if copied:  # one meaning per column: codes generate copies are compared as categories
        categorical = [*categorical, *copied]
        columns, schema = align(real, synthetic, categorical)
    columns, made_up = without_made_up(columns, semantics)
    if made_up:
        schema["made_up"] = made_up
    if target is not None and target not in {c.name for c in columns}:
        raise OptionError(
            f"--target column {target!r} is not compared",
            column_hint(target, [c.name for c in columns]),
        )
    check_compare_memory(len(real), len(synthetic), len(columns))
    declared, detect = rules
    kept = real_rules(real, categorical, semantics, declared) if detect else list(declared)
    figures = compare_columns(columns)
    column_figures = dict(zip([c.name for c in columns], figures, strict=True))
    pairs = compare_pairs(columns, seed)
    report = {
        "rows": {"real": len(real), "synthetic": len(synthetic)},
        "schema": schema,
        "treatments": treatments(real, semantics, {c.name for c in columns}, schema),
        "options": {"sample_rows": sample_rows, "seed": seed, "target": target},
        "scores": quality_scores(column_figures, pairs),
        "columns": column_figures,
        "pairs": pairs,
        "rules": rule_shares(real, synthetic, kept),
        **_privacy_and_utility(
            real,
            synthetic,
            columns,
            target,
            sample_rows,
            seed,
            holdout,
            categorical=[*categorical, *copied],  # the same columns as categories
            metadata=metadata,
        ),
        "suggestions": suggest_by(real, semantics),
    }
    report["privacy"]["unique_value_leaks"] = unique_value_leaks(
        real, synthetic, leak_columns(semantics, synthetic)
    )
    if holdout is not None:
        report["rows"]["holdout"] = len(holdout)
    return clean(report)


def _privacy_and_utility(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    columns: list[Column],
    target: str | None,
    sample_rows: int,
    seed: int,
    holdout: pd.DataFrame | None,
    **semantics: Any,
) -> dict:
    """The privacy and utility figures: against the true holdout when there is one,
    else on two halves of ``real`` (``true_holdout`` false: the synthesizer saw both)."""
    if holdout is not None:
        return holdout_figures(
            real, holdout, synthetic, target=target, sample_rows=sample_rows, seed=seed, **semantics
        )
    sample = Sample.draw(len(real), len(synthetic), sample_rows, seed)
    # Nearest records cost reference x query rows x coordinates: on a wide table the
    # rows are fewer, so that the cost stays that of DCR_BUDGET (privacy states them).
    dcr_rows = dcr_row_limit(columns, sample_rows)
    dcr_sample = (
        sample
        if dcr_rows >= sample_rows
        else Sample.draw(len(real), len(synthetic), dcr_rows, seed)
    )
    return {
        "privacy": {
            **privacy(columns, dcr_sample),
            "sample_rows_limit": dcr_rows,
            "true_holdout": False,
        },
        "utility": utility(columns, target, sample, seed) if target is not None else None,
    }


def generation_entry(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    generation_index: int,
    predicted_variance_ratio: float,
    *,
    out_of_range: dict[str, float] | None = None,
    **options: Any,
) -> dict:
    """One generation against the REAL input: :func:`compare_tables` figures plus the
    generation number and the theory's predicted variance ratio rho^g (also per numeric
    column, beside the measured one, with the share out of range before bounds)."""
    entry = compare_tables(real, synthetic, **options)
    for name, figures in entry["columns"].items():
        if "variance_ratio" in figures:
            figures["predicted_variance_ratio"] = clean(predicted_variance_ratio)
            if out_of_range and name in out_of_range:
                figures["out_of_range_before_bounds"] = clean(out_of_range[name])
    return {
        "generation": generation_index,
        "predicted_variance_ratio": clean(predicted_variance_ratio),
    } | entry
