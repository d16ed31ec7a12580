"""`mixsynth compare` on 1,000 columns x 10,000 rows: this tree against a git revision.

Run: ``python benchmarks/bench_wide_revisions.py BASE [--runs 3]``, e.g. ``BASE`` the
commit before a speed-up. The two trees run alternately, each in a fresh process under
``/usr/bin/time``, so that both meet the same machine state: user + system CPU seconds
are the figure to compare on a shared machine (wall time moves with other processes'
load), with the 1-minute load average at each start. The workloads are bench_wide.py's.
Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_wide import PYTHON, TIME, synthetic_of, workload

ROOT = Path(__file__).resolve().parent.parent
#: Runs the CLI from the source tree in argv[1], not from the editable install.
RUN_TREE = (
    "import sys; root = sys.argv.pop(1); "
    "sys.meta_path = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
    "sys.path.insert(0, root); import mixsynth; assert mixsynth.__file__.startswith(root); "
    "from mixsynth.cli import main; sys.argv[0] = 'mixsynth'; main()"
)


def export(revision: str, folder: Path) -> Path:
    """The mixsynth package of ``revision``, written under ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "mixsynth"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def measure(tree: Path, real: Path, synthetic: Path, scratch: Path) -> dict:
    report, timing = scratch / "report.json", scratch / "time.txt"
    report.unlink(missing_ok=True)
    load = os.getloadavg()[0]
    command = [PYTHON, "-c", RUN_TREE, str(tree), "compare", str(real), str(synthetic)]
    command += ["-q", "--json", str(report)]
    subprocess.run([TIME, "-f", "%U %S %e %M", "-o", str(timing), *command], check=True)
    user, system, wall, peak = timing.read_text().split()[-4:]
    return {
        "load": load,
        "cpu": float(user) + float(system),
        "wall": float(wall),
        "peak_mib": int(peak) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="git revision to compare this tree with")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    real = workload(1_000, 10_000)
    synthetic = synthetic_of(real)
    with tempfile.TemporaryDirectory() as scratch:
        trees = {args.base: export(args.base, Path(scratch)), "this tree": ROOT}
        found: dict[str, list[dict]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, tree in trees.items():
                found[name].append(measure(tree, real, synthetic, Path(scratch)))
    print("| tree | CPU s (user + sys), each run | median CPU s | wall s | peak MiB | load |")
    print("|---|---|---|---|---|---|")
    for name, runs in found.items():
        cpu = ", ".join(f"{r['cpu']:.1f}" for r in runs)
        wall = ", ".join(f"{r['wall']:.1f}" for r in runs)
        load = ", ".join(f"{r['load']:.2f}" for r in runs)
        median = statistics.median(r["cpu"] for r in runs)
        peak = max(r["peak_mib"] for r in runs)
        print(f"| {name} | {cpu} | {median:.1f} | {wall} | {peak:,.0f} | {load} |")


if __name__ == "__main__":
    sys.exit(main())
