"""``mixsynth generate --where`` and ``--balance``: conditional synthesis and class
balancing from the command line, with the same guarantees as the library (rows mixed
inside the matching rows or the class only), the CLI's error contract (one line,
exit 2, no output file) and no pandas import on the way.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SAMPLE_DATA
from tests.unit.engine.test_arrow_engine import run_generate

PENGUINS = SAMPLE_DATA / "penguins.csv"


def test_where_mixes_inside_matching_rows(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "gentoo.csv"
    args = ["--where", "species=Gentoo", "--where", "sex=female", "--method", "vanilla"]
    result = run_cli("generate", PENGUINS, "-o", out, "--seed", 1, "--rows", 1000, *args)
    assert result.exit_code == 0, result.stderr
    real, synthetic = pd.read_csv(PENGUINS), pd.read_csv(out)
    matching = real[(real["species"] == "Gentoo") & (real["sex"] == "female")]
    assert len(synthetic) == 1000
    assert (synthetic["species"] == "Gentoo").all() and (synthetic["sex"] == "female").all()
    # Vanilla weights stay inside [0, 1]: values stay inside the matching rows' range,
    # which is narrower than the whole table's.
    low, high = matching["body_mass_g"].min(), matching["body_mass_g"].max()
    assert synthetic["body_mass_g"].between(low, high).all()
    assert real["body_mass_g"].max() > high
    # Without --rows: as many rows as match.
    result = run_cli("generate", PENGUINS, "-o", out, "--seed", 1, "--force", *args[:4])
    assert result.exit_code == 0 and len(pd.read_csv(out)) == len(matching)


def test_balance_appends_new_rows_per_class(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "balanced.csv"
    result = run_cli("generate", PENGUINS, "-o", out, "--balance", "species", "--seed", 2)
    assert result.exit_code == 0, result.stderr
    real, balanced = pd.read_csv(PENGUINS), pd.read_csv(out)
    counts = real["species"].value_counts()
    assert (balanced["species"].value_counts() == counts.max()).all()
    # The real rows first, unchanged; then only new rows.
    pd.testing.assert_frame_equal(balanced.iloc[: len(real)], real, check_dtype=False)
    new = balanced.iloc[len(real) :]
    assert len(new) == (counts.max() - counts).sum()
    # Each class's new rows come from that class: islands are copied from donors, and
    # Chinstraps live only on Dream.
    assert set(new.loc[new["species"] == "Chinstrap", "island"]) == {"Dream"}

    again = tmp_path / "again.csv"
    run_cli("generate", PENGUINS, "-o", again, "--balance", "species", "--seed", 2)
    assert again.read_bytes() == out.read_bytes()


def test_balance_strategies_and_only_new(run_cli, tmp_path: Path) -> None:
    real = pd.read_csv(PENGUINS)
    counts = real["species"].value_counts()
    out = tmp_path / "minority.parquet"
    result = run_cli(
        "generate", SAMPLE_DATA / "penguins.parquet", "-o", out, "--balance",
        "species=minority", "--only-new", "--seed", 3,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    new = pd.read_parquet(out)
    assert set(new["species"]) == {counts.idxmin()}
    assert len(new) == counts.max() - counts.min()

    out = tmp_path / "all.csv"
    result = run_cli("generate", PENGUINS, "-o", out, "--balance", "species=not-minority")
    assert result.exit_code == 0, result.stderr
    after = pd.read_csv(out)["species"].value_counts()
    assert after[counts.idxmin()] == counts.min()  # left alone
    assert (after.drop(counts.idxmin()) == counts.max()).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "species=Emperor"], "no row has species = 'Emperor'"),
        (["--where", "body_mass_g=3000"], "cannot condition on 'body_mass_g'"),
        (["--where", "species"], "cannot read --where"),
        (["--balance", "sex"], "has 11 missing value(s)"),
        (["--balance", "colour"], "--balance column 'colour' is not in the table"),
        (["--balance", "species=most"], "unknown sampling strategy"),
        (["--balance", "species=0.5"], "needs two classes"),
        (["--balance", "species", "-g", "2"], "cannot be combined with --generations"),
        (["--balance", "species", "--rows", "5"], "cannot be combined with --rows"),
        (["--only-new"], "--only-new needs --balance"),
    ],
)
def test_bad_where_and_balance(run_cli, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out.csv"
    result = run_cli("generate", PENGUINS, "-o", out, *args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert not out.exists()


@pytest.mark.parametrize("extra", [("--where", "s=a"), ("--balance", "s=all")])
def test_where_and_balance_do_not_import_pandas(tmp_path: Path, extra: tuple[str, ...]) -> None:
    source = tmp_path / "in.csv"
    # Integers and floats with missing values, text, dates; a class column without.
    source.write_text(
        "x,k,s,day\n"
        + "".join(
            f"{'' if i % 7 == 0 else i * 0.37},{'' if i % 5 == 0 else i % 9},"
            f"{'ab'[i % 3 == 0]},{'' if i % 6 == 0 else f'2020-01-{1 + i % 28:02d}'}\n"
            for i in range(40)
        )
    )
    output = tmp_path / "out.csv"
    assert not run_generate(tmp_path, str(source), "-o", str(output), "--seed", "1", *extra)
    assert output.exists()


def test_resume_checks_the_where_conditions(run_cli, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    first = ["generate", PENGUINS, "--out-dir", runs, "--where", "species=Gentoo", "--seed", 1]
    assert run_cli(*first, "-g", 2).exit_code == 0
    other = run_cli(*first[:-4], "--where", "species=Adelie", "-g", 3, "--resume")
    assert other.exit_code == 2 and "--where" in other.stderr
    assert not (runs / "gen-003.csv").exists()
    same = run_cli(*first[:-2], "-g", 3, "--resume")
    assert same.exit_code == 0, same.stderr
    assert set(pd.read_csv(runs / "gen-003.csv")["species"]) == {"Gentoo"}
