"""docs/api.md's examples run as written, from a folder that looks like the repository
root: every ```python block, and every ```sh block that starts with mixsynth."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "api.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
BLOCKS = [
    (lang, body) for lang, body in FENCE.findall(PAGE.read_text()) if lang in ("python", "sh")
]


@pytest.mark.parametrize(
    ("language", "code"), BLOCKS, ids=[f"{i}-{b[0]}" for i, b in enumerate(BLOCKS)]
)
def test_example_runs(tmp_path: Path, language: str, code: str) -> None:
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    if language == "python":
        command = [sys.executable, "-c", code]
    elif code.startswith("mixsynth"):
        command = ["bash", "-e", "-c", code]
    else:
        pytest.skip("not a mixsynth command")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, f"{code}\n{done.stderr}"
