"""A column that is a part of a date column (``signup_year = year(signup_date)``):
found, declared, kept in every synthetic row, reported."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.errors import MixsynthError
from mixsynth.metrics.rules import rule_shares
from mixsynth.rules import DatePart, RuleData, parse_rule
from mixsynth.rules.model import date_part
from tests.unit.rules.tables import panel, signups

YEAR, MONTH = "signup_year = year(signup_date)", "signup_month = month(signup_date)"


def rules_of(frame: pd.DataFrame, **options) -> list[str]:
    """The parts of dates among the table's rules (its date also sits on a daily grid)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rules = Reference.of(frame, SynthesisOptions(**options)).rules
    return [r.describe() for r in rules if isinstance(r, DatePart)]


def chain(frame: pd.DataFrame, count: int, seed: int = 0, **options) -> list[pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = run_generations(frame, SynthesisOptions(**options), count, seed=seed)
        return [generation.frame for generation in runs]


def share_holding(frame: pd.DataFrame) -> tuple[float, float]:
    """Rows whose year and month columns are their date's, as a user checks them."""
    date = pd.to_datetime(frame["signup_date"])
    return (
        float((frame["signup_year"] == date.dt.year).mean()),
        float((frame["signup_month"] == date.dt.month).mean()),
    )


def test_the_parts_agree_with_pandas_calendar():
    stamps = pd.to_datetime(
        [
            "1969-12-31 23:59:59",
            "1970-01-01 00:00:00",
            "2000-02-29 12:00:00",
            "2023-12-31 00:00:00",
            "1900-03-01 00:00:00",
        ]
    )
    seconds = np.append(stamps.as_unit("s").asi8.astype(float), np.nan)
    expected = {
        "year": stamps.year,
        "quarter": stamps.quarter,
        "month": stamps.month,
        "day": stamps.day,
        "weekday": stamps.day_of_week,
    }
    for part, values in expected.items():
        found = date_part(seconds, part)
        assert np.isnan(found[-1])
        assert found[:-1].tolist() == list(values), part


def test_year_and_month_of_a_date_are_found_with_their_evidence():
    frame = signups()
    assert rules_of(frame) == [YEAR, MONTH]
    data = RuleData(frame)
    for rule in parse_rule(YEAR) + parse_rule(MONTH):
        assert int(data.holds(rule).sum()) == len(frame)


def test_a_column_that_differs_in_one_row_is_no_part():
    frame = signups()
    frame.loc[17, "signup_year"] += 1
    frame.loc[400, "signup_month"] = frame.loc[400, "signup_month"] % 12 + 1
    assert rules_of(frame) == []


def test_detection_can_be_turned_off():
    assert rules_of(signups(), detect_rules=False) == []


def test_a_declared_part_reads_either_way_round():
    (rule,) = parse_rule("year(signup_date) = signup_year")
    assert rule == DatePart("signup_year", "year", "signup_date")
    assert rule.describe() == YEAR


def test_a_declared_part_the_data_break_is_refused_with_the_count():
    frame = signups()
    frame.loc[[3, 5], "signup_year"] -= 1
    options = SynthesisOptions(rules=tuple(parse_rule(YEAR)), detect_rules=False)
    with pytest.raises(
        MixsynthError, match=r"'signup_year = year\(signup_date\)' is broken by 2 of"
    ):
        Reference.of(frame, options)


def test_a_part_of_a_column_without_dates_is_refused():
    options = SynthesisOptions(rules=tuple(parse_rule("signup_year = year(spend)")))
    with pytest.raises(MixsynthError, match="'spend', which holds no dates"):
        Reference.of(signups(), options)


@pytest.mark.parametrize(
    "options",
    [{}, {"match_shapes": True, "keep_associations": True}, {"privacy_margin": 0.3}],
    ids=["default", "structure", "margin"],
)
def test_kept_in_every_row_over_three_generations_with_real_values(options):
    frame = signups()
    for synthetic in chain(frame, 3, **options):
        assert share_holding(synthetic) == (1.0, 1.0)
        assert set(synthetic["signup_year"]) <= set(frame["signup_year"])


def test_a_time_index_that_is_a_part_brings_its_date_from_the_same_donor():
    """A panel's year (copied: its time index) and the filing date whose year it is: both
    from the dominant donor, so the firm-years stay unique and the part holds."""
    frame = panel()
    days = np.random.default_rng(0).integers(0, 365, len(frame))
    frame["filed"] = pd.to_datetime(frame["year"].astype(str) + "-01-01") + pd.to_timedelta(
        days, "D"
    )
    assert rules_of(frame) == ["year = year(filed)"]
    for synthetic in chain(frame, 3):
        assert (synthetic["year"] == pd.to_datetime(synthetic["filed"]).dt.year).all()
        assert not synthetic.duplicated(["firm", "year"]).any()


def test_a_date_in_a_year_no_real_row_has_takes_its_dominant_donors_date():
    """Real signups in 2019 and 2021 only: a date mixed into 2020 has no real year to
    take, so the row takes its date and year from its dominant donor (a real row)."""
    rng = np.random.default_rng(0)
    years = rng.choice([2019, 2021], 600)
    dates = pd.to_datetime([f"{year}-01-01" for year in years]) + pd.to_timedelta(
        rng.integers(0, 365, 600), "D"
    )
    frame = pd.DataFrame(
        {"spend": rng.gamma(2, 30, 600), "signup_year": years, "signup_date": dates}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (generation,) = run_generations(frame, SynthesisOptions(), 1, seed=0)
    synthetic = generation.frame
    assert (synthetic["signup_year"] == synthetic["signup_date"].dt.year).all()
    assert set(synthetic["signup_date"].dt.year) == {2019, 2021}
    assert generation.rule_repairs > 0  # the rows that took their donor's date


def test_without_the_rule_the_same_runs_break_it():
    """The test above can fail: the copied year drifts from the mixed date."""
    year, month = share_holding(chain(signups(), 3, detect_rules=False)[-1])
    assert year < 0.95 and month < 0.5


def test_reported_with_the_share_of_real_and_synthetic_rows():
    frame = signups()
    synthetic = chain(frame, 1)[0]
    broken = synthetic.assign(
        signup_year=synthetic["signup_year"].where(synthetic.index != 0, 1900)
    )
    (entry,) = rule_shares(frame, broken, parse_rule(YEAR))
    assert entry["real"] == 1.0 and entry["synthetic"] == 1 - 1 / len(frame)
    assert entry["broken"] and entry["kind"] == "date part"


@pytest.mark.slow
def test_kept_by_the_dask_engine(tmp_path):
    """Two files, a local cluster (about 10 s): every row keeps both parts."""
    from tests.cli.conftest import run

    folder = tmp_path / "signups"
    folder.mkdir()
    for part in range(2):
        signups(seed=part).to_parquet(folder / f"p{part}.parquet")
    result = run(
        "generate", folder, "--engine", "dask", "--workers", "1", "--seed", "3", "-g", "2",
        "-o", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert share_holding(pd.read_parquet(tmp_path / "out")) == (1.0, 1.0)
