"""Privacy attacks on the synthetic rows (``compare --attacks``), by anonymeter: singling
out, linkability and inference risks, with the true holdout as the control set (the
risk is the attack's success on the training rows beyond its success on rows the
synthesizer never saw)."""

from __future__ import annotations

import random
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixsynth.columns.kinds import ColumnKind
from mixsynth.errors import OptionError
from mixsynth.metrics.core import NUMERIC, Column, clean
from mixsynth.metrics.privacy import holdout_columns

#: Attacks per evaluation by default: quick, with confidence intervals of about ±0.1.
DEFAULT_ATTACKS = 100
#: Rows of each table the attacks look at (a seeded sample): the attacks' cost grows
#: with the rows times the attacks.
ATTACK_ROWS = 2_000
#: Columns whose value the inference attack tries to guess, one evaluation each.
MAX_SECRETS = 10
#: Tries at a multivariate singling-out query before giving up (anonymeter's default,
#: ten million, can run for minutes on tables where few queries single anyone out).
MAX_ATTEMPTS = 20_000


def check_anonymeter() -> Any:
    """anonymeter's evaluators, or one clear refusal when it is not installed."""
    try:
        from anonymeter import evaluators
    except ImportError:
        raise OptionError(
            "compare --attacks needs anonymeter, which is not installed",
            "pip install 'mixsynth[privacy]'",
        ) from None
    return evaluators


def _risk(evaluation: Any) -> dict:
    risk = evaluation.risk()
    return {"risk": float(risk.value), "ci": [float(risk.ci[0]), float(risk.ci[1])]}


def _guessed_within_tolerance(column: Column) -> bool:
    """Whether a guess of this secret counts within anonymeter's tolerance (5% of the
    value; its regression mode) rather than only when exact: numbers, whose exact value
    a synthesizer that mixes never gives back, so that exact matching would understate
    the risk. Not times: 5% of a time counted from 1970 is years."""
    return column.family == NUMERIC and column.kind is not ColumnKind.DATETIME


def _values(columns: Sequence[Column]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The real (train, then holdout) and synthetic values in one form on both sides:
    numbers as float64, categories as shared codes written as text, missing a category
    of its own (anonymeter's distance needs one dtype per column)."""
    real, synthetic = {}, {}
    for column in columns:
        if column.family == NUMERIC:
            real[column.name], synthetic[column.name] = column.real, column.synthetic
        else:
            real[column.name], synthetic[column.name] = (
                np.char.add("c", codes.astype(str)).astype(object) for codes in column.codes
            )
    return pd.DataFrame(real), pd.DataFrame(synthetic)


def attacks(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    n_attacks: int = DEFAULT_ATTACKS,
    seed: int = 0,
    categorical: Sequence[str] = (),
    metadata: Any = None,
) -> dict:
    """anonymeter's risks of the synthetic rows against ``train`` (the rows the
    synthesizer saw), ``holdout`` being the control: singling out (univariate and
    multivariate), linkability (the columns split in two halves an attacker holds
    separately) and inference of each of the first :data:`MAX_SECRETS` columns from the
    others (a number guessed within 5% of its value counts, a category when exact).
    Each risk with its 95% confidence interval; 0 is no more than a fresh sample gives.
    Made-up columns (keys, personal data) are left out: their real values never
    appear."""
    evaluators = check_anonymeter()
    if n_attacks < 1:
        raise OptionError(f"--attack-count must be at least 1, got {n_attacks}")
    columns = holdout_columns(train, holdout, synthetic, categorical, metadata)
    names = [c.name for c in columns]
    real, synthetic_values = _values(columns)

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) > ATTACK_ROWS:
            frame = frame.sample(ATTACK_ROWS, random_state=seed)
        return frame.reset_index(drop=True)

    ori, control = rows(real.iloc[: len(train)]), rows(real.iloc[len(train) :])
    syn = rows(synthetic_values)
    attacks_run = min(n_attacks, len(control), len(ori))
    random.seed(seed)  # anonymeter draws its targets and queries from both generators
    np.random.seed(seed)
    found: dict[str, Any] = {"n_attacks": attacks_run, "rows": len(ori), "columns": names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could generate only N queries": in the figures
        for mode in ("univariate", "multivariate"):
            evaluator = evaluators.SinglingOutEvaluator(
                ori=ori, syn=syn, control=control, n_attacks=attacks_run,
                max_attempts=MAX_ATTEMPTS,
            )  # fmt: skip
            found[f"singling_out_{mode}"] = _risk(evaluator.evaluate(mode=mode))
        if len(names) >= 2:
            half = len(names) // 2
            evaluator = evaluators.LinkabilityEvaluator(
                ori=ori, syn=syn, control=control, n_attacks=attacks_run,
                aux_cols=(names[:half], names[half:]), n_neighbors=10,
            )  # fmt: skip
            found["linkability"] = _risk(evaluator.evaluate(n_jobs=1))
            found["inference"] = {}
            for column in columns[:MAX_SECRETS]:
                secret = column.name
                evaluator = evaluators.InferenceEvaluator(
                    ori=ori, syn=syn, control=control, n_attacks=attacks_run,
                    aux_cols=[c for c in names if c != secret], secret=secret,
                    regression=_guessed_within_tolerance(column),
                )  # fmt: skip
                found["inference"][secret] = _risk(evaluator.evaluate(n_jobs=1))
    return clean(found)
