"""Wide tables: `mixsynth compare` and `mixsynth generate` on many columns (issue 11).

Run: ``make bench-wide`` (= ``python benchmarks/bench_wide.py``), about 2 to 5 minutes.
Writes its seeded workloads as Parquet into ``benchmarks/data/`` (gitignored) and prints
Markdown (also written to ``benchmarks/results/bench_wide.md``; docs/benchmarks-wide.md
records a run).

Every command runs in a fresh process under ``/usr/bin/time`` (wall time, peak RSS of
the process). The floor, measured in the same run and interleaved with mixsynth's runs,
is a process that only reads the same tables (as ``compare`` reads them: pandas; as
``generate`` reads them: Arrow): what any tool must pay before computing anything.

Targets (issue 11), on the project's 2-core machine:
- compare, 1,000 columns x 10,000 rows: under 15 s;
- compare, 10,000 columns x 1,000 rows: within 4 GiB;
- generate, 1,000 columns x 10,000 rows: peak RSS about 4x the input's size in memory.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"
TIME = "/usr/bin/time"
PYTHON = sys.executable
#: Every tenth column is categorical (4 levels), the others normal floats.
CATEGORICAL_EVERY = 10

READ_PANDAS = (
    "import sys; from mixsynth.io import read_table; [read_table(p) for p in sys.argv[1:]]"
)
READ_ARROW = "import sys; from mixsynth.io import read_arrow; read_arrow(sys.argv[1])"


def wide_table(columns: int, rows: int, seed: int) -> pa.Table:
    """Correlated normal floats (a shared factor) and a categorical column in ten."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=rows)
    arrays, names = [], []
    for j in range(columns):
        if j % CATEGORICAL_EVERY == CATEGORICAL_EVERY - 1:
            arrays.append(pa.array(rng.choice(["a", "b", "c", "d"], rows)))
        else:
            arrays.append(pa.array(0.6 * factor + 0.8 * rng.normal(size=rows)))
        names.append(f"c{j:05d}")
    return pa.table(arrays, names=names)


def workload(columns: int, rows: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"wide-{columns}x{rows}.parquet"
    if not path.exists():
        pq.write_table(wide_table(columns, rows, seed=columns + rows), path)
    return path


def synthetic_of(real: Path) -> Path:
    """The synthetic side: mixsynth's own output for the real table (seed 1)."""
    path = real.with_name(real.stem + "-synthetic.parquet")
    if not path.exists():
        subprocess.run(
            [PYTHON, "-m", "mixsynth", "generate", str(real), "-o", str(path), "--seed", "1"],
            check=True,
        )
    return path


def measured(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of ``command`` in a fresh process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        subprocess.run(
            [TIME, "-f", "%M", "-o", report.name, *command],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
        peak_kib = int(report.read().split()[-1])
    return seconds, peak_kib / 1024


def in_memory_mib(path: Path) -> float:
    return pq.read_table(path).nbytes / 2**20


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}); Python {platform.python_version()}, "
        f"numpy {np.__version__}, pyarrow {pa.__version__}; mixsynth {commit}"
    )


def main() -> None:
    started = time.time()
    load_before = os.getloadavg()[0]
    lines = [
        "| run | mixsynth | floor (read only) | target |",
        "|---|---|---|---|",
    ]
    scratch = Path(tempfile.mkdtemp(prefix="bench-wide-"))
    cases = [
        ("compare 1,000 columns x 10,000 rows", 1_000, 10_000, "under 15 s"),
        ("compare 10,000 columns x 1,000 rows", 10_000, 1_000, "within 4 GiB"),
    ]
    for label, columns, rows, target in cases:
        real = workload(columns, rows)
        synthetic = synthetic_of(real)
        floor = measured([PYTHON, "-c", READ_PANDAS, str(real), str(synthetic)])
        report = scratch / f"{columns}.json"
        command = ["compare", str(real), str(synthetic), "-q", "--json", str(report)]
        ours = measured([PYTHON, "-m", "mixsynth", *command, "--force"])
        lines.append(
            f"| {label} | {ours[0]:.1f} s, {ours[1]:,.0f} MiB | {floor[0]:.1f} s, "
            f"{floor[1]:,.0f} MiB | {target} |"
        )
    real = workload(1_000, 10_000)
    size = in_memory_mib(real)
    floor = measured([PYTHON, "-c", READ_ARROW, str(real)])
    out = scratch / "generated.parquet"
    ours = measured([PYTHON, "-m", "mixsynth", "generate", str(real), "-o", str(out)])
    lines.append(
        f"| generate 1,000 columns x 10,000 rows (input {size:.0f} MiB in memory) | "
        f"{ours[0]:.1f} s, {ours[1]:,.0f} MiB = {ours[1] / size:.1f}x the input | "
        f"{floor[0]:.1f} s, {floor[1]:,.0f} MiB = {floor[1] / size:.1f}x | about 4x |"
    )
    header = [
        "- Command: `make bench-wide  # = python benchmarks/bench_wide.py` "
        f"(total {time.time() - started:.0f} s)",
        f"- Machine: {machine()}",
        f"- Load average (1 min) at start / end: {load_before:.2f} / {os.getloadavg()[0]:.2f}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "- Workloads: normal floats sharing one factor (correlation 0.36), every tenth "
        "column categorical (4 levels); the synthetic side is `mixsynth generate --seed 1` "
        "of the real one.",
        "",
    ]
    text = "\n".join(header + lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_wide.md").write_text(text)


if __name__ == "__main__":
    main()
