"""The planted bugs of tests/mutations/mutations.toml still apply: each ``find`` occurs
exactly once in its file, so a refactor cannot silently retire a mutation (the runner
would report it stale only when ``make mutations`` is run)."""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = tomllib.loads((ROOT / "tests" / "mutations" / "mutations.toml").read_text())


@pytest.mark.parametrize("mutation", CATALOGUE["mutation"], ids=lambda m: m["name"][:60])
def test_each_planted_bug_still_applies_to_its_file(mutation: dict) -> None:
    text = (ROOT / mutation["file"]).read_text(encoding="utf-8")
    assert text.count(mutation["find"]) == 1, f"stale mutation: {mutation['name']}"
    assert mutation["find"] != mutation["replace"]
    assert (ROOT / mutation["first"]).exists()
