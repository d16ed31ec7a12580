"""Column semantics: every inference rule, what each type gets in generate, and the
variance theory still holding with the new defaults (reflect + compensation, decimal
rounding, point masses)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mixsynth.choices import Bounds, Method
from mixsynth.columns import infer_schema
from mixsynth.engine.memory import run_generations, synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.io import arrow_to_frame, read_arrow
from mixsynth.metrics import compare_tables
from mixsynth.semantics.inference import decimal_places, infer_semantics, name_words, suggest_by
from mixsynth.semantics.types import SemanticType
from tests.oracles.mixup import simulate_variance_ratios

SAMPLE_DATA = Path(__file__).resolve().parents[3] / "sample_data"
CUSTOMERS = SAMPLE_DATA / "customers.csv"


def mixsynth(*args: object, check: bool = False) -> subprocess.CompletedProcess:
    """The CLI in a subprocess, as a user runs it (text output captured)."""
    command = [sys.executable, "-m", "mixsynth", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=check)


def semantics_of(frame: pd.DataFrame):
    return infer_semantics(frame, infer_schema(frame))


@pytest.fixture(scope="module")
def customers() -> pa.Table:
    return read_arrow(str(CUSTOMERS)).table


# --- inference rules --------------------------------------------------------------


def test_name_words_split_snake_camel_and_spaces() -> None:
    assert name_words("customerID") == ["customer", "id"]
    assert name_words("zip_code") == ["zip", "code"]
    assert name_words("Full Name") == ["full", "name"]


def test_customer_table_is_inferred_as_a_release_needs(customers: pa.Table) -> None:
    semantics = infer_semantics(customers, infer_schema(customers))
    expected = {
        "customer_id": ("id", None),
        "account_code": ("id", None),
        "full_name": ("pii", "name"),
        "email": ("pii", "email"),
        "phone": ("pii", "phone_number"),
        "zip_code": ("categorical", None),
        "plan": ("categorical", None),
        "age": ("numerical", None),
        "income": ("numerical", None),
        "monthly_spend": ("numerical", None),
        "rating": ("categorical", None),
        "signup_year": ("categorical", None),
        "signup_date": ("datetime", None),
        "churned": ("boolean", None),
    }
    for name, (sdtype, pii) in expected.items():
        assert (semantics[name].sdtype.value, semantics[name].pii) == (sdtype, pii), name
    assert semantics.primary_key is None  # two keys: neither is taken as the primary one
    assert semantics["monthly_spend"].point_mass == 0.0
    assert semantics["monthly_spend"].decimals == 2
    assert "2000 distinct values in 2000 rows" in semantics["customer_id"].reason
    assert "customer_id" in semantics["customer_id"].reason


def test_distinct_integers_are_not_an_id_without_a_key_name() -> None:
    """Integer incomes are often all distinct: a measurement, never a key."""
    rng = np.random.default_rng(0)
    income = rng.choice(10**6, 500, replace=False)
    semantics = semantics_of(pd.DataFrame({"income": income, "user_id": np.arange(500)}))
    assert semantics["income"].sdtype is SemanticType.NUMERICAL
    assert semantics["user_id"].sdtype is SemanticType.ID


def test_few_valued_numbers_are_codes_and_zero_one_is_boolean() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "cylinders": rng.choice([3, 4, 5, 6, 8], 300),
            "label": rng.integers(0, 2, 300),
            "bin": rng.choice([0.5, 1.5, 2.5], 300),  # coded bins stored as floats
            "x": rng.normal(size=300),
        }
    )
    semantics = semantics_of(frame)
    assert semantics["cylinders"].sdtype is SemanticType.CATEGORICAL
    assert "5 distinct values (3, 4, 5, 6, 8)" in semantics["cylinders"].reason
    assert semantics["label"].sdtype is SemanticType.BOOLEAN
    assert semantics["bin"].sdtype is SemanticType.CATEGORICAL
    assert semantics["x"].sdtype is SemanticType.NUMERICAL


def test_a_tiny_table_keeps_its_few_numbers_numerical() -> None:
    """Ten distinct values in twelve rows are not a code: too few rows per value."""
    frame = pd.DataFrame({"x": [1.5, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1.5, 2]})
    assert semantics_of(frame)["x"].sdtype is SemanticType.NUMERICAL


def test_point_mass_must_sit_at_an_edge() -> None:
    rng = np.random.default_rng(2)
    rain = np.where(rng.random(1000) < 0.4, 0.0, rng.gamma(2, 3, 1000).round(1))
    middle = np.where(rng.random(1000) < 0.2, 5.0, rng.uniform(0, 10, 1000))
    semantics = semantics_of(pd.DataFrame({"rain": rain, "middle": middle}))
    assert semantics["rain"].point_mass == 0.0
    assert "40%" in semantics["rain"].reason or "39%" in semantics["rain"].reason
    assert semantics["middle"].point_mass is None


def test_decimal_places() -> None:
    assert decimal_places(np.array([1.25, 3.5, 2.0])) == 2
    assert decimal_places(np.array([1.0, 3.0])) == 0
    assert decimal_places(np.array([0.1 + 0.2])) == 1  # float noise is not a decimal
    assert decimal_places(np.array([0.1234567])) is None  # more than 6: full precision
    assert decimal_places(np.array([np.pi])) is None


def test_text_rules() -> None:
    rng = np.random.default_rng(3)
    n = 200
    frame = pd.DataFrame(
        {
            "ref": [f"X{v:06d}" for v in rng.choice(10**6, n, replace=False)],
            "sku": [f"AB-{v:04d}" for v in rng.choice(10**4, n, replace=False)],
            "product_name": rng.choice(["chair", "table", "lamp"], n),
            "customer_name": [f"Person Number{i}" for i in range(n)],
            "ip": [f"10.0.{i // 250}.{i % 250}" for i in range(n)],
            "notes": [f"the customer called on day {i} about the delayed parcel" for i in range(n)],
            "postcode": [f"{v:05d}" for v in rng.choice(10**5, n, replace=False)],
            "tel": [f"+1 555 {v:07d}" for v in rng.choice(10**7, n, replace=False)],
        }
    )
    semantics = semantics_of(frame)
    assert semantics["ref"].sdtype is SemanticType.ID  # key word
    assert semantics["sku"].sdtype is SemanticType.ID  # one shape with digits
    assert "AA-9999" in semantics["sku"].reason
    assert semantics["product_name"].sdtype is SemanticType.CATEGORICAL  # 3 values
    assert (semantics["customer_name"].sdtype, semantics["customer_name"].pii) == (
        SemanticType.PII,
        "name",
    )
    assert semantics["ip"].pii == "ipv4_address"
    assert semantics["notes"].sdtype is SemanticType.TEXT
    assert semantics["postcode"].sdtype is SemanticType.CATEGORICAL  # all distinct, yet a code
    assert semantics["tel"].pii == "phone_number"


def test_phone_numbers_are_found_by_their_values() -> None:
    rng = np.random.default_rng(13)
    area, exchange, line = (rng.integers(200, 999, 100) for _ in range(3))
    numbers = [f"({a}) {b}-{c:04d}" for a, b, c in zip(area, exchange, line, strict=True)]
    plus = [f"+49151{v:07d}" for v in rng.choice(10**7, 100, replace=False)]
    semantics = semantics_of(pd.DataFrame({"contact": numbers, "mobil": plus}))
    assert semantics["contact"].pii == "phone_number"
    assert semantics["mobil"].pii == "phone_number"


def test_leading_zeros_stay_text_value_for_value(tmp_path: Path) -> None:
    path = tmp_path / "zips.csv"
    path.write_text("zip,n\n02139,1\n10001,2\n00501,3\n", encoding="utf-8")
    table = read_arrow(str(path)).table
    assert table.column("zip").to_pylist() == ["02139", "10001", "00501"]
    assert pa.types.is_integer(table.column("n").type)


def test_international_phone_numbers_stay_text(tmp_path: Path) -> None:
    """+447700900123 read as a number would lose its + and be mixed."""
    path = tmp_path / "phones.csv"
    path.write_text("mobile,x\n+447700900123,1.5\n+447700900456,2.5\n", encoding="utf-8")
    table = read_arrow(str(path)).table
    assert table.column("mobile").to_pylist() == ["+447700900123", "+447700900456"]
    assert pa.types.is_floating(table.column("x").type)


def test_suggest_by_names_a_category_that_explains_a_number() -> None:
    frame = arrow_to_frame(read_arrow(str(SAMPLE_DATA / "penguins.csv")).table)
    semantics = semantics_of(frame)
    hints = suggest_by(frame, semantics)
    assert hints[0]["by"] == "species"
    assert hints[0]["eta_squared"] >= 0.5


# --- what each type gets ----------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_customers(customers: pa.Table) -> pa.Table:
    return synthesize(customers, SynthesisOptions(), np.random.default_rng(11)).frame


def test_ids_are_fresh_unique_and_shaped_like_the_real_ones(customers, synthetic_customers):
    for name in ("customer_id", "account_code"):
        real = set(customers.column(name).to_pylist())
        made = synthetic_customers.column(name).to_pylist()
        assert len(set(made)) == len(made), f"{name}: duplicates"
        assert not real & set(made), f"{name}: a real key in the output"
    assert synthetic_customers.column("customer_id").type == pa.int64()
    assert all(
        re.fullmatch(r"AC-\d{5}", v) for v in synthetic_customers.column("account_code").to_pylist()
    )


def test_personal_data_is_fake_and_never_real(customers, synthetic_customers):
    for name in ("full_name", "email", "phone"):
        real = set(customers.column(name).to_pylist())
        made = synthetic_customers.column(name).to_pylist()
        assert not real & set(made), name
    assert all("@" in v for v in synthetic_customers.column("email").to_pylist())


def test_codes_and_zip_codes_only_take_real_values(customers, synthetic_customers):
    for name in ("zip_code", "rating", "signup_year", "plan", "churned"):
        real = set(customers.column(name).to_pylist())
        assert set(synthetic_customers.column(name).to_pylist()) <= real, name
    assert synthetic_customers.column("zip_code").type == pa.string()


def test_mixed_values_stay_in_range_on_grid_and_point_mass_follows_the_plan(
    customers, synthetic_customers
):
    real, synth = arrow_to_frame(customers), arrow_to_frame(synthetic_customers)
    for name in ("age", "income", "tenure_months", "monthly_spend", "n_orders", "signup_date"):
        assert synth[name].min() >= real[name].min(), name
        assert synth[name].max() <= real[name].max(), name
    spend = synth["monthly_spend"]
    assert np.allclose(spend * 100, np.round(spend * 100))  # two decimals, as the input
    # The point mass keeps its share exactly (balanced anchors, as many rows as the
    # source: each row the dominant donor once) and its link to the plan: free rows spend 0.
    assert (spend == 0).sum() == (real["monthly_spend"] == 0).sum()
    assert ((synth["plan"] == "free") == (spend == 0)).all()
    positive = spend[spend > 0]
    assert positive.min() >= real["monthly_spend"][real["monthly_spend"] > 0].min()


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_the_csv_writes_the_input_decimals(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    mixsynth("generate", str(CUSTOMERS), "-o", str(out), "--seed", "2", check=True)
    spend = [line.split(",")[10] for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert max(len(v.split(".")[1]) if "." in v else 0 for v in spend) <= 2


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_one_warning_line_names_the_made_up_columns(tmp_path: Path) -> None:
    done = mixsynth(
        "generate", str(CUSTOMERS), "-o", str(tmp_path / "o.csv"), "--seed", "1", check=True
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("Warning: made up")]
    assert len(lines) == 1
    for name in ("customer_id", "account_code", "full_name", "email", "phone"):
        assert name in lines[0]


def test_keep_pii_copies_real_values(customers: pa.Table) -> None:
    out = synthesize(customers, SynthesisOptions(keep_pii=True), np.random.default_rng(3)).frame
    assert set(out.column("email").to_pylist()) <= set(customers.column("email").to_pylist())


def test_made_up_columns_keep_their_missing_values_from_the_dominant_donor() -> None:
    rng = np.random.default_rng(4)
    emails = np.array([f"user{i}@example.org" for i in range(400)], dtype=object)
    emails[rng.random(400) < 0.25] = None
    frame = pd.DataFrame({"email": emails, "x": rng.normal(size=400)})
    out = synthesize(frame, SynthesisOptions(), np.random.default_rng(5)).frame
    assert out["email"].isna().sum() == frame["email"].isna().sum()  # balanced anchors: exact
    assert not set(out["email"].dropna()) & set(frame["email"].dropna())


# --- the variance theory with the new defaults --------------------------------------


def walk_spread(options: SynthesisOptions, n: int, generations: int) -> float:
    """The standard deviation of one column's variance ratio after ``generations``, from
    2,000 runs of the documented process on normal columns in numpy, balanced anchors
    and the weights of ``options`` (:mod:`tests.oracles.mixup`): the resampling walk,
    not the runs under test. A mean or median over several columns of one run, which
    share their pairs, spreads no more than one column does."""
    weights = options.weights_for(n, n)
    ratios = simulate_variance_ratios(weights, n, 2000, balanced=True, generations=generations)
    return float(ratios.std(ddof=1))


def _variance_ratio_after(table, generations: int, seed: int, options: SynthesisOptions) -> float:
    reference = Reference.of(table, options)
    numeric = reference.semantics.of_type(SemanticType.NUMERICAL)
    for generation in run_generations(table, options, generations, seed=seed, reference=reference):
        last = generation.frame
    real, synth = arrow_to_frame(table), arrow_to_frame(last)
    return float(
        np.median([synth[c].astype(float).var() / real[c].astype(float).var() for c in numeric])
    )


@pytest.mark.parametrize("bounds", [Bounds.REFLECT, Bounds.CLIP])
def test_bounded_uniform_data_keeps_its_variance_over_generations(bounds: Bounds) -> None:
    """Uniform data leave the range most often (mass at the edges): the folding's
    variance loss is compensated, so 10 generations keep the variance: the mean ratio
    over seeds is within 4 standard errors of the theory's 1, while plain clipping
    without compensation would lose several percent per generation."""
    ratios = []
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        frame = pd.DataFrame({"u": rng.uniform(size=600), "v": rng.uniform(size=600)})
        reference = Reference.of(frame, SynthesisOptions(bounds=bounds))
        last = None
        for generation in run_generations(
            frame, SynthesisOptions(bounds=bounds), 10, seed=seed, reference=reference
        ):
            last = generation.frame
            assert last["u"].between(frame["u"].min(), frame["u"].max()).all()
        ratios.append(np.mean([last[c].var() / frame[c].var() for c in ("u", "v")]))
    se = walk_spread(SynthesisOptions(), 600, 10) / np.sqrt(len(ratios))
    assert abs(np.mean(ratios) - 1) < 4.5 * se, (np.mean(ratios), se)


def test_customers_variance_ratio_after_ten_generations_stays_near_one(customers) -> None:
    ratios = [_variance_ratio_after(customers, 10, seed, SynthesisOptions()) for seed in range(4)]
    spread = walk_spread(SynthesisOptions(), customers.num_rows, 10)
    assert all(abs(r - 1) < 4.5 * spread for r in ratios), (ratios, spread)
    assert abs(np.mean(ratios) - 1) < 4.5 * spread / np.sqrt(len(ratios)), ratios


def test_vanilla_still_follows_rho_to_the_g_with_semantics_on() -> None:
    """The new defaults do not touch vanilla's collapse: inside [0, 1] nothing leaves
    the range, so the variance still shrinks by rho per generation."""
    rng = np.random.default_rng(9)
    frame = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000)})
    options = SynthesisOptions(method=Method.VANILLA, finite_sample=False)
    ratios = []
    for seed in range(6):
        for generation in run_generations(frame, options, 3, seed=seed):
            last = generation.frame
        ratios.append(np.mean([last[c].var(ddof=0) / frame[c].var(ddof=0) for c in "ab"]))
    # Balanced anchors (each row the dominant donor once, weight w = max(lam, 1 - lam)),
    # partners never the anchor: (n rho - 1 + k'^2) / n per generation, k' = (n E[w] - 1)
    # / (n - 1) (docs/theory.md), E[w] by scipy's draws.
    lam = generation.weights.frozen().rvs(size=10**6, random_state=0)
    w = np.maximum(lam, 1 - lam).mean()
    rho = 1 - 2 * np.mean(lam * (1 - lam))
    shifted = (3000 * w - 1) / 2999
    expected = ((3000 * rho - 1 + shifted**2) / 3000) ** 3
    se = walk_spread(options, 3000, 3) / np.sqrt(len(ratios))
    assert abs(np.mean(ratios) - expected) < 4.5 * se, (np.mean(ratios), expected, se)


# --- compare: the unique-value leak figure ------------------------------------------


def test_leak_figure_is_one_when_emails_are_copied_and_zero_by_default(customers) -> None:
    real = arrow_to_frame(customers)
    copied = arrow_to_frame(
        synthesize(customers, SynthesisOptions(keep_pii=True), np.random.default_rng(1)).frame
    )
    default = arrow_to_frame(
        synthesize(customers, SynthesisOptions(), np.random.default_rng(1)).frame
    )
    leaks_copied = compare_tables(real, copied, sample_rows=500)["privacy"]["unique_value_leaks"]
    leaks_default = compare_tables(real, default, sample_rows=500)["privacy"]["unique_value_leaks"]
    assert leaks_copied["email"] == 1.0
    for name in ("email", "full_name", "phone", "account_code", "customer_id"):
        assert leaks_default[name] == 0.0, name
    assert "age" not in leaks_default  # mixed numbers are not looked at


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_max_unique_value_leak_breaks_the_run(tmp_path: Path) -> None:
    copied = tmp_path / "copied.csv"
    mixsynth(
        "generate", str(CUSTOMERS), "-o", str(copied), "--seed", "1", "--keep-pii", "-q", check=True
    )
    done = mixsynth(
        "compare",
        str(CUSTOMERS),
        str(copied),
        "-q",
        "--max-unique-value-leak",
        "0.1",
        "--sample-rows",
        "300",
    )
    assert done.returncode == 1
    # The worst column first (every unique column copied: the first of them), then the others.
    assert "unique-value leak of 'customer_id' is 1 (then " in done.stderr
    assert "'email' 1" in done.stderr


# --- inspect and the metadata file ---------------------------------------------------


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_inspect_json_shows_types_reasons_and_writes_metadata(tmp_path: Path) -> None:
    meta = tmp_path / "meta.json"
    done = mixsynth("inspect", str(CUSTOMERS), "--json", "--metadata", str(meta), check=True)
    document = json.loads(done.stdout)
    rows = {row["name"]: row for row in document["columns"]}
    assert rows["email"]["type"] == "pii" and rows["email"]["pii"] == "email"
    assert rows["customer_id"]["synthesis"] == "fresh keys"
    assert rows["monthly_spend"]["reason"].startswith("1198 distinct values")
    written = json.loads(meta.read_text(encoding="utf-8"))
    assert written["tables"]["customers"]["columns"]["email"]["sdtype"] == "email"


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_an_edited_metadata_file_changes_what_generate_does(tmp_path: Path) -> None:
    meta = tmp_path / "meta.json"
    mixsynth("inspect", str(CUSTOMERS), "--metadata", str(meta), check=True)
    document = json.loads(meta.read_text(encoding="utf-8"))
    document["tables"]["customers"]["columns"]["rating"] = {"sdtype": "numerical"}
    meta.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "out.csv"
    mixsynth(
        "generate",
        str(CUSTOMERS),
        "-o",
        str(out),
        "--seed",
        "3",
        "--metadata",
        str(meta),
        "-q",
        check=True,
    )
    rating = pd.read_csv(out)["rating"]
    assert rating.between(1, 5).all()
    assert rating.nunique() == 5  # mixed, rounded back to whole stars


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_metadata_naming_a_missing_column_is_exit_2(tmp_path: Path) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text(
        json.dumps(
            {"METADATA_SPEC_VERSION": "SINGLE_TABLE_V1", "columns": {"Email": {"sdtype": "email"}}}
        ),
        encoding="utf-8",
    )
    done = mixsynth(
        "generate", str(CUSTOMERS), "-o", str(tmp_path / "o.csv"), "--metadata", str(meta)
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error:") and "Email" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.csv").exists()


def _release_problems(path: Path, real: pd.DataFrame) -> dict[str, float]:
    """Shares of synthetic rows with each problem of a data release (docs/semantics.md)."""
    synth = pd.read_csv(path, dtype={"zip_code": str})
    outside = np.zeros(len(synth), dtype=bool)
    for name in ("tenure_months", "n_orders", "monthly_spend", "age", "income"):
        outside |= (synth[name] < real[name].min()) | (synth[name] > real[name].max())
    free = synth["plan"] == "free"
    spend_text = [line.split(",")[10] for line in path.read_text().splitlines()[1:]]
    return {
        "real e-mails": synth["email"].isin(real["email"]).mean(),
        "real names": synth["full_name"].isin(real["full_name"]).mean(),
        "duplicated or real customer_id": (
            synth["customer_id"].duplicated(keep=False)
            | synth["customer_id"].isin(real["customer_id"])
        ).mean(),
        "rating not 1..5": (~synth["rating"].isin([1, 2, 3, 4, 5])).mean(),
        "unreal signup_year": (~synth["signup_year"].isin(real["signup_year"].unique())).mean(),
        "number outside its real range": outside.mean(),
        "free plan with non-zero spend": (free & (synth["monthly_spend"] != 0)).sum() / free.sum(),
        "spend with more than 2 decimals": np.mean(
            ["." in v and len(v.split(".")[1]) > 2 for v in spend_text]
        ),
    }


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_before_and_after_on_the_customer_table(tmp_path: Path) -> None:
    """The table of docs/semantics.md: plain mixup has every problem, the defaults none."""
    real = pd.read_csv(CUSTOMERS, dtype={"zip_code": str})
    before, after = tmp_path / "before.csv", tmp_path / "after.csv"
    plain = ["--no-semantics", "--bounds", "none", "--no-round-decimals"]
    for out, options in ((before, plain), (after, [])):
        mixsynth(
            "generate", str(CUSTOMERS), "-o", str(out), "--seed", "1", "-q", *options, check=True
        )
    problems_before, problems_after = (
        _release_problems(before, real),
        _release_problems(after, real),
    )
    assert all(share > 0 for share in problems_before.values()), problems_before
    assert all(share == 0 for share in problems_after.values()), problems_after


def test_time_columns_stay_on_their_grid() -> None:
    """Dates stored as timestamps stay dates; times to the second stay whole seconds."""
    rng = np.random.default_rng(12)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, 500), unit="D")
    seconds = pd.Timestamp("2021-06-01") + pd.to_timedelta(rng.integers(0, 10**7, 500), unit="s")
    frame = pd.DataFrame({"day": days.as_unit("ms"), "at": seconds.as_unit("ns")})
    out = synthesize(frame, SynthesisOptions(), np.random.default_rng(2)).frame
    assert (out["day"] == out["day"].dt.normalize()).all()
    assert (out["at"] == out["at"].dt.floor("s")).all()
    assert out["day"].nunique() > 100  # mixed, not copied
    # The whole-day rounding keeps the variance (stochastic, compensated).
    ratio = out["day"].astype("int64").var() / frame["day"].astype("int64").var()
    assert 0.85 < ratio < 1.15


def test_made_up_columns_are_left_out_of_fidelity_and_judged_by_their_leak(customers) -> None:
    """Fresh keys and fakes never match real values by design: scoring them as
    mismatches would fail every default output (column shapes 0.68 on customers)."""
    real = arrow_to_frame(customers)
    synth = arrow_to_frame(
        synthesize(customers, SynthesisOptions(), np.random.default_rng(4)).frame
    )
    report = compare_tables(real, synth, sample_rows=500)
    made_up = {"customer_id", "account_code", "full_name", "email", "phone"}
    assert set(report["schema"]["made_up"]) == made_up
    assert not made_up & set(report["columns"])
    assert report["scores"]["column_shapes"] > 0.9
    assert made_up <= set(report["privacy"]["unique_value_leaks"])
