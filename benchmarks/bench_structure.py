"""What the structure options cost: ``mixsynth generate`` on the 1M x 20 float table
and the 1M-row mixed table of ``make bench``, plain and with ``--match-moments``,
``--match-shapes``, both, and ``--keep-associations``, the runs alternating so that
a busy machine slows every variant alike; the plain run is the baseline of each ratio.

Run: ``make bench-structure`` (or ``.venv/bin/python benchmarks/bench_structure.py``);
prints Markdown and writes benchmarks/results/bench_structure.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_speed import machine, run, workloads

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
MIXSYNTH = str(Path(sys.executable).with_name("mixsynth"))
VARIANTS = {
    "plain": [],
    "--match-moments": ["--match-moments"],
    "--match-shapes": ["--match-shapes"],
    "--match-moments --match-shapes": ["--match-moments", "--match-shapes"],
    "--keep-associations": ["--keep-associations"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="runs per figure (median)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    paths = workloads()
    times: dict[tuple[str, str], list[float]] = {}
    peaks: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.repeats):
            for table in ("float20", "mixed"):
                for name, flags in VARIANTS.items():
                    output = Path(scratch) / "out.parquet"
                    command = [MIXSYNTH, "generate", str(paths[table]["parquet"])]
                    result = run([*command, "-o", str(output), "--seed", "1", "-q", *flags])
                    output.unlink()
                    times.setdefault((table, name), []).append(result.seconds)
                    peaks.setdefault((table, name), []).append(result.peak_mib)
    lines = [
        "# What the structure options cost",
        "",
        "- Command: `make bench-structure  # = python benchmarks/bench_structure.py`",
        f"- {machine()}",
        f"- Load average (1 min) at start / end: {load:.2f} / {os.getloadavg()[0]:.2f}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- `mixsynth generate TABLE.parquet -o out.parquet --seed 1` (1,000,000 rows), "
        f"median of {args.repeats} alternating runs",
        "",
        "| table | options | time | x plain | peak memory |",
        "|---|---|---:|---:|---:|",
    ]
    for table in ("float20", "mixed"):
        plain = statistics.median(times[(table, "plain")])
        for name in VARIANTS:
            seconds = statistics.median(times[(table, name)])
            peak = statistics.median(peaks[(table, name)])
            lines.append(
                f"| {table} | {name} | {seconds:.1f} s | {seconds / plain:.1f}x | {peak:,.0f} MiB |"
            )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_structure.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
