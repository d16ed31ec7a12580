"""docs/api.md's examples run as written, from a folder that looks like the repository
root: every ```python block (each in a fresh namespace, one interpreter for all, to
pay the imports once), and every ```sh block that starts with mixsynth."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "api.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
BLOCKS = FENCE.findall(PAGE.read_text())
RUN_ALL = """
import json, sys
for number, code in enumerate(json.loads(sys.argv[1])):
    print(f"--- block {number}", flush=True)
    exec(compile(code, f"docs/api.md python block {number}", "exec"), {"__name__": "__main__"})
"""


def run(command: list[str], folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env, timeout=300)


def test_python_examples_run(tmp_path: Path) -> None:
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    python = [code for language, code in BLOCKS if language == "python"]
    assert len(python) >= 5
    done = run([sys.executable, "-c", RUN_ALL, json.dumps(python)], tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr


def test_shell_examples_run(tmp_path: Path) -> None:
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    shell = [code for language, code in BLOCKS if language == "sh" and code.startswith("mixsynth")]
    assert shell
    for code in shell:
        done = run(["bash", "-e", "-c", code], tmp_path)
        assert done.returncode == 0, f"{code}\n{done.stderr}"
