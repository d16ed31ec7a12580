"""The suite's own quality measure: plant each bug of ``mutations.toml`` in a copy of
the project, run the test tier that covers its area, and require that tier to fail.

    python tests/mutations/run.py [--baseline] [--only TEXT]

Prints one line per planted bug (caught or SURVIVED, the seconds, the first failing
test) and exits 1 if any survived, 2 if an entry is stale (its text is not in its file
exactly once) or a run broke down (pytest could not collect, or the baseline failed).
``--baseline`` first runs every tier on the unmodified copy, which must pass.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
IGNORED = shutil.ignore_patterns(
    ".git", ".venv*", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "demo",
    "data", "results", "*.egg-info", "build",
)  # fmt: skip


#: The tests as ``make test`` runs them: a planted bug must be caught without the slow
#: tests, unless its entry says ``markers`` (e.g. "not system" to let slow tests count).
FAST = "not slow and not system"


def copy_project(into: Path) -> Path:
    """The project's sources, tests and sample data, without environments or caches."""
    target = into / "project"
    shutil.copytree(ROOT, target, ignore=IGNORED, symlinks=True)
    return target


def environment(project: Path) -> dict[str, str]:
    """The copy's package first on the path; SDMetrics' environment stays the original's."""
    env = dict(os.environ, PYTHONPATH=str(project), PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("MIXSYNTH_SDMETRICS_PYTHON", str(ROOT / ".venv-sdmetrics" / "bin" / "python"))
    return env


def run_tests(project: Path, tests: list[str], markers: str = FAST) -> tuple[int, str, float]:
    """pytest's exit status, its first failing test and the seconds it took."""
    start = time.monotonic()
    pytest = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*pytest, "-m", markers, *tests],
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
    )
    failed = re.search(r"^(FAILED|ERROR) (\S+)", done.stdout, re.MULTILINE)
    first = failed.group(2) if failed else done.stdout.strip().splitlines()[-1:]
    return done.returncode, str(first), time.monotonic() - start


def plant(project: Path, mutation: dict) -> str | None:
    """Apply one mutation to the copy; the reason it cannot be applied, or None."""
    path = project / mutation["file"]
    text = path.read_text(encoding="utf-8")
    count = text.count(mutation["find"])
    if count != 1:
        return f"stale: {mutation['find']!r} occurs {count} times in {mutation['file']}"
    path.write_text(text.replace(mutation["find"], mutation["replace"]), encoding="utf-8")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", help="first check the tiers pass")
    parser.add_argument("--only", help="run only the mutations whose name contains this")
    args = parser.parse_args()
    listed = tomllib.loads((Path(__file__).parent / "mutations.toml").read_text("utf-8"))
    mutations = [
        m for m in listed["mutation"] if not args.only or args.only.lower() in m["name"].lower()
    ]
    status = 0
    with tempfile.TemporaryDirectory(prefix="mixsynth-mutations-") as scratch:
        project = copy_project(Path(scratch))
        if args.baseline:
            tiers = sorted({m["tier"] for m in mutations})
            code, first, seconds = run_tests(project, tiers)
            print(f"baseline {' '.join(tiers)}: exit {code} in {seconds:.0f} s", flush=True)
            if code != 0:
                print(f"the unmodified tiers fail ({first}): fix them first", file=sys.stderr)
                return 2
        caught = 0
        for mutation in mutations:
            original = (project / mutation["file"]).read_text(encoding="utf-8")
            problem = plant(project, mutation)
            if problem is None:
                code, first, seconds = 0, "", 0.0
                for tests in (mutation.get("first"), mutation["tier"]):
                    if tests is not None and code == 0:
                        markers = mutation.get("markers", FAST)
                        code, first, spent = run_tests(project, [tests], markers)
                        seconds += spent
                (project / mutation["file"]).write_text(original, encoding="utf-8")
                if code == 1:
                    caught += 1
                    verdict = f"caught    {seconds:5.0f} s  by {first}"
                elif code == 0:
                    verdict, status = f"SURVIVED  {seconds:5.0f} s", max(status, 1)
                else:
                    verdict, status = f"BROKE (pytest exit {code}): {first}", 2
            else:
                verdict, status = problem, 2
            print(f"{mutation['name']}: {verdict}", flush=True)
        print(f"{caught} of {len(mutations)} planted bugs caught")
    return status


if __name__ == "__main__":
    sys.exit(main())
