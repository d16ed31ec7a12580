"""A hostile environment, in fresh processes: a stdout that cannot hold the column
names (PYTHONIOENCODING=ascii, the POSIX locale without UTF-8 mode) and a matplotlib
backend that does not exist. Each command still works, without a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PENGUINS = ROOT / "sample_data" / "penguins.csv"


def mixsynth(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *(["-X", "utf8=0"] if "LC_ALL" in env else []), "-m", "mixsynth"]
        + [str(a) for a in args],
        capture_output=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, **env},
    )


@pytest.fixture
def accented(tmp_path: Path) -> Path:
    path = tmp_path / "sizes.csv"
    rows = "\n".join(f"{i * 1.5},{i % 4},{'éà'[i % 2]}" for i in range(40))
    path.write_text(f"Größe,Stufe,Zeichen\n{rows}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "env",
    [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "PYTHONIOENCODING": "", "PYTHONUTF8": "0"}],
    ids=["ascii", "posix-locale"],
)
@pytest.mark.parametrize("command", ["inspect", "compare"])
def test_a_stdout_that_cannot_hold_the_names_gets_them_escaped(
    accented: Path, env: dict[str, str], command: str
) -> None:
    arguments = [accented] if command == "inspect" else [accented, accented]
    done = mixsynth(command, *arguments, env=env)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr
    out = done.stdout.decode("ascii")  # only ASCII reached stdout
    assert "Gr\\xf6\\xdfe" in out or "Gr\\u00f6\\u00dfe" in out, out


def test_a_bogus_matplotlib_backend_is_not_used_for_png_files(tmp_path: Path) -> None:
    out = tmp_path / "plot.png"
    done = mixsynth(
        "plot", PENGUINS, PENGUINS, "-c", "body_mass_g", "-o", out, env={"MPLBACKEND": "bogus"}
    )
    assert done.returncode == 0, done.stderr.decode()
    assert out.read_bytes().startswith(b"\x89PNG")


def test_non_ascii_file_names_under_the_posix_locale(tmp_path: Path) -> None:
    """Without UTF-8 mode, Python hands 'größe.csv' over with its bytes escaped
    (surrogates), which Arrow cannot take as a name: such files are opened by Python,
    and their names written back as the bytes they were."""
    env = {"LC_ALL": "C", "PYTHONIOENCODING": "", "PYTHONUTF8": "0"}
    (tmp_path / "größe.csv").write_bytes(PENGUINS.read_bytes())
    steps = [
        ["generate", "größe.csv", "-o", "aus-ü.parquet", "--seed", "1", "-q"],
        ["generate", "aus-ü.parquet", "-o", "wieder-ö.csv", "--seed", "1", "-q"],
        ["inspect", "aus-ü.parquet"],
        ["compare", "größe.csv", "wieder-ö.csv", "--json", "bericht-ä.json"],
    ]
    for step in steps:
        done = subprocess.run(
            [sys.executable, "-X", "utf8=0", "-m", "mixsynth", *step],
            capture_output=True,
            timeout=120,
            cwd=tmp_path,
            env={**os.environ, **env},
        )
        assert done.returncode == 0, (step, done.stderr.decode(errors="replace"))
    report = json.loads((tmp_path / "bericht-ä.json").read_text(encoding="utf-8"))
    assert report["provenance"]["inputs"]["real"]["path"] == "größe.csv"
