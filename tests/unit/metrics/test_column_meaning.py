"""One meaning per column: compare reads every column as generate and inspect do (the
same inference, or the metadata), so a code that generate copies is compared as a
category, and a 0/1 target that inspect calls boolean is scored as a classification."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixsynth.columns import infer_schema
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import table_semantics
from mixsynth.metrics import compare_tables
from mixsynth.semantics import SemanticType
from mixsynth.semantics.metadata import as_metadata
from tests.conftest import SAMPLE_DATA


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    real = pd.read_csv(SAMPLE_DATA / "penguins.csv")
    real["heavy"] = (real["body_mass_g"] > 4000).astype(np.int64)  # 0/1: boolean
    synthetic = synthesize(real, SynthesisOptions(), np.random.default_rng(0)).frame
    return real, synthetic


def test_columns_generate_copies_are_compared_as_categories(tables) -> None:
    real, synthetic = tables
    meaning = table_semantics(real, infer_schema(real), SynthesisOptions()).columns
    assert meaning["year"].sdtype is SemanticType.CATEGORICAL  # 2007-2009: a code
    assert meaning["heavy"].sdtype is SemanticType.BOOLEAN
    report = compare_tables(real, synthetic, seed=0)
    for name, column in meaning.items():
        figures = report["columns"][name]
        if column.sdtype.is_copied:
            assert figures["kind"] == "categorical", (name, figures["kind"])
            assert "tv_complement" in figures and "variance_ratio" not in figures
        else:
            assert "variance_ratio" in figures, name


def test_a_boolean_target_is_a_classification(tables) -> None:
    real, synthetic = tables
    report = compare_tables(real, synthetic, target="heavy", seed=0)
    assert report["utility"]["task"] == "classification"


def test_the_metadata_decides_over_the_inference(tables) -> None:
    real, synthetic = tables
    numbers = as_metadata({"columns": {"year": {"sdtype": "numerical"}}})
    report = compare_tables(real, synthetic, seed=0, metadata=numbers)
    assert "variance_ratio" in report["columns"]["year"]


def test_every_real_column_is_named_with_its_treatment_in_every_format(tmp_path) -> None:
    from mixsynth.report import to_html, to_markdown
    from mixsynth.report.sections import sections

    real = pd.read_csv(SAMPLE_DATA / "customers.csv")
    synthetic = synthesize(real, SynthesisOptions(), np.random.default_rng(1)).frame
    report = compare_tables(real, synthetic, seed=0)
    treated = {t["column"]: t for t in report["treatments"]}
    assert list(treated) == list(real.columns)
    assert treated["email"]["treatment"] == "made up" and not treated["email"]["compared"]
    assert treated["plan"]["treatment"] == "copied" and treated["plan"]["compared"]
    assert treated["income"]["treatment"] == "mixed"
    table = next(s for s in sections(report) if s.title == "Columns and their treatment")
    assert [row[0] for row in table.rows] == list(real.columns)
    markdown, page = to_markdown(report), to_html(report)
    for name in real.columns:
        assert f"| {name} |" in markdown and f">{name}<" in page, name


def test_dates_are_shown_as_dates(tmp_path) -> None:
    from mixsynth.report.sections import sections

    real = pd.read_csv(SAMPLE_DATA / "customers.csv", parse_dates=["signup_date"])
    synthetic = synthesize(real, SynthesisOptions(), np.random.default_rng(1)).frame
    report = compare_tables(real, synthetic, seed=0)
    numeric = next(s for s in sections(report) if s.title == "Numeric columns")
    row = next(r for r in numeric.rows if r[0] == "signup_date")
    mean = real["signup_date"].mean()
    assert row[1] == mean.strftime("%Y-%m-%d"), row
