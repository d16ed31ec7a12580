"""Scale: the in-memory engine and the Dask engine side by side on 10M and 50M rows.

Workloads: seeded Parquet files of 10M and 50M rows x 20 correlated float64 columns
(1.6 and 8 GB), written a million rows at a time, never whole in memory, into
benchmarks/data/ (gitignored) on first use. Both engines read the same file (the Dask
engine splits it into partitions by row group).

Each run is one ``mixsynth generate`` in a fresh process; its wall time and the peak
of the summed resident memory of its whole process tree (the CLI, and for Dask the
local cluster's scheduler and workers) are sampled with psutil every 0.2 s. The Dask
engine runs on 2 workers of 1.5 GiB each, so the tree stays within the 4 GiB budget;
the in-memory engine at 50M runs under a 4 GiB address-space limit (RLIMIT_AS), which
it cannot meet. Each output's variance ratio (mean over the columns, against the
input) is checked, so a fast wrong run would show.

Run: ``make bench-scale`` (``nice``: the machine is shared). Results are printed as
Markdown, written to benchmarks/results/scale.json and plotted to docs/scale.png.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
PLOT = ROOT / "docs" / "scale.png"
COLUMNS = 20
CHUNK = 1_000_000
GIB = 2**30
BUDGET = 4 * GIB
MIXSYNTH = str(Path(sys.executable).parent / "mixsynth")
DASK = ["--engine", "dask", "--workers", "2", "--memory-limit", "1536MiB"]


def make_input(rows: int) -> Path:
    """A seeded file of ``rows`` x 20 correlated normal columns, a million rows at a time."""
    path = DATA / f"scale-{rows // 1_000_000}M.parquet"
    if path.exists() and pq.read_metadata(path).num_rows == rows:
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    mixing = np.random.default_rng(0).normal(size=(COLUMNS, COLUMNS)) / np.sqrt(COLUMNS)
    names = [f"x{i:02d}" for i in range(COLUMNS)]
    schema = pa.schema([(name, pa.float64()) for name in names])
    partial = path.with_suffix(".partial")
    seeds = np.random.SeedSequence(rows).spawn(rows // CHUNK)
    with pq.ParquetWriter(partial, schema) as writer:
        for seed in seeds:
            x = np.random.default_rng(seed).normal(size=(CHUNK, COLUMNS)) @ mixing
            writer.write_table(pa.table(list(x.T), schema=schema), row_group_size=CHUNK)
    partial.rename(path)
    return path


@dataclass
class Run:
    engine: str
    rows: int
    seconds: float
    peak_rss: int  #: bytes, summed over the process tree
    status: int
    variance_ratio: float | None
    note: str
    load: float  #: the machine's 1-minute load average, mean over the run
    cpu_seconds: float  #: user + system time of the whole process tree

    @property
    def microseconds_per_row(self) -> float:
        return 1e6 * self.seconds / self.rows if self.status == 0 else float("nan")

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.status == 0 else float("nan")


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of a process and all its descendants."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # ended between the listing and the reading
            total += member.memory_info().rss
    return total


def measure(
    command: list[str], address_limit: int | None = None
) -> tuple[float, int, int, str, float, float]:
    """Wall time, peak tree RSS, exit status, the last stderr line of ``command``, the
    mean load average while it ran (other users of the machine show there) and the CPU
    time of its process tree (each process's, added to its parent's when it is reaped:
    the work done, whatever the other users took)."""

    def limit() -> None:
        if address_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_limit, address_limit))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    watched = psutil.Process(child.pid)
    peak = 0
    loads = []
    while child.poll() is None:
        peak = max(peak, tree_rss(watched))
        loads.append(os.getloadavg()[0])
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    lines = child.stderr.read().strip().splitlines()
    load = float(np.mean(loads)) if loads else os.getloadavg()[0]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, peak, child.returncode, lines[-1] if lines else "", load, cpu


def variance_ratio(source: Path, output: Path) -> float:
    """Mean over the columns of Var(output) / Var(input), a column at a time."""
    ratios = []
    for name in pq.read_schema(source).names:
        before = pq.read_table(source, columns=[name]).column(0).to_numpy()
        after = pq.read_table(output, columns=[name]).column(0).to_numpy()
        ratios.append(after.var() / before.var())
    return float(np.mean(ratios))


def run(engine: str, rows: int, work: Path) -> Run:
    source = make_input(rows)
    output = work / f"out-{engine}-{rows}"
    shutil.rmtree(output, ignore_errors=True)
    if output.with_suffix(".parquet").exists():
        output.with_suffix(".parquet").unlink()
    common = ["generate", str(source), "--seed", "1", "-q", "--force"]
    limit, note = None, ""
    if engine == "memory":
        command = [MIXSYNTH, *common, "-o", str(output.with_suffix(".parquet"))]
        if rows > 10_000_000:
            limit, note = BUDGET, "under RLIMIT_AS = 4 GiB"
    else:
        command = [MIXSYNTH, *common, "-o", str(output), *DASK]
        if engine == "dask-no-shuffle":
            command.append("--no-shuffle")
    print(f"running {engine} at {rows:,} rows ...", file=sys.stderr, flush=True)
    seconds, peak, status, last, load, cpu = measure(command, limit)
    written = output.with_suffix(".parquet") if engine == "memory" else output
    ratio = variance_ratio(source, written) if status == 0 else None
    if status != 0:
        note = f"{note}; failed: {last}".strip("; ")
    shutil.rmtree(output, ignore_errors=True)
    if output.with_suffix(".parquet").exists():
        output.with_suffix(".parquet").unlink()
    return Run(engine, rows, seconds, peak, status, ratio, note, load, cpu)


def markdown(runs: list[Run]) -> str:
    lines = [
        "| engine | rows | wall time | rows/s | µs per row | CPU time | peak RSS (all "
        "processes) | variance ratio | load average | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        speed = f"{r.rows_per_second / 1e6:.3f}M" if r.status == 0 else "-"
        per_row = f"{r.microseconds_per_row:.1f}" if r.status == 0 else "-"
        ratio = f"{r.variance_ratio:.4f}" if r.variance_ratio is not None else "-"
        lines.append(
            f"| {r.engine} | {r.rows / 1e6:.0f}M | {r.seconds:.0f} s | {speed} | {per_row} | "
            f"{r.cpu_seconds:.0f} s | "
            f"{r.peak_rss / GIB:.2f} GiB | {ratio} | {r.load:.1f} | {r.note} |"
        )
    return "\n".join(lines)


def plot(runs: list[Run]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for engine, marker in (("memory", "o"), ("dask", "s"), ("dask-no-shuffle", "^")):
        sizes = sorted({r.rows for r in runs if r.engine == engine})
        done = [r for r in (best(runs, engine, rows) for rows in sizes) if r is not None]
        if done:
            x = [r.rows / 1e6 for r in done]
            left.plot(x, [r.seconds for r in done], marker=marker, label=engine)
            right.plot(x, [r.peak_rss / GIB for r in done], marker=marker, label=engine)
        for failed in (r for r in runs if r.engine == engine and r.status != 0):
            right.plot([failed.rows / 1e6], [failed.peak_rss / GIB], "x", color="red")
            right.annotate(f"{engine}: out of memory", (failed.rows / 1e6, failed.peak_rss / GIB))
    right.axhline(BUDGET / GIB, color="grey", linestyle="--", label="4 GiB budget")
    left.set(xlabel="rows (millions), 20 float64 columns", ylabel="wall time (s)")
    right.set(xlabel="rows (millions), 20 float64 columns", ylabel="peak RSS, all processes (GiB)")
    left.legend()
    right.legend()
    figure.suptitle("mixsynth generate: in-memory and Dask engines (2 shared cores)")
    figure.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(PLOT, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50", help="millions of rows, comma-separated")
    parser.add_argument("--work", type=Path, default=DATA / "scale-work")
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="runs of each engine at the first size, alternating (the machine is shared)",
    )
    args = parser.parse_args()
    sizes = [int(s) * 1_000_000 for s in args.sizes.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)
    for rows in sizes:
        make_input(rows)
    # The headline figures first (a shared machine may need the run cut short); the two
    # engines alternate at the first size, so that both see the same other users.
    plan = [(e, r) for r in sizes[:1] for _ in range(args.repeat) for e in ("memory", "dask")]
    plan += [(e, r) for r in sizes[1:] for e in ("dask", "memory")]
    plan += [("dask-no-shuffle", r) for r in sizes[:1]]
    runs: list[Run] = []
    for engine, rows in plan:
        runs.append(run(engine, rows, args.work))
        print(markdown(runs[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
        save(runs)
    shutil.rmtree(args.work, ignore_errors=True)
    print(markdown(runs))
    print()
    print(summary(runs))
    plot(runs)


def best(runs: list[Run], engine: str, rows: int) -> Run | None:
    """The fastest completed run of ``engine`` at ``rows`` (the least disturbed)."""
    done = [r for r in runs if (r.engine, r.rows, r.status) == (engine, rows, 0)]
    return min(done, key=lambda r: r.seconds) if done else None


def summary(runs: list[Run]) -> str:
    """The targets, from the fastest run of each engine at each size."""
    sizes = sorted({r.rows for r in runs})
    lines = []
    memory, dask = best(runs, "memory", sizes[0]), best(runs, "dask", sizes[0])
    if memory and dask:
        lines.append(
            f"- rows per second at {sizes[0] / 1e6:.0f}M: in-memory "
            f"{memory.rows_per_second:,.0f}, Dask {dask.rows_per_second:,.0f}: "
            f"the in-memory engine is {memory.rows_per_second / dask.rows_per_second:.2f}x "
            "as fast (target: at most 3x); CPU time of all processes: in-memory "
            f"{memory.cpu_seconds:.0f} s, Dask {dask.cpu_seconds:.0f} s"
        )
    timed = [(rows, best(runs, "dask", rows)) for rows in sizes]
    timed = [(rows, r) for rows, r in timed if r is not None]
    if len(timed) > 1:
        said = ", ".join(
            f"{r.microseconds_per_row:.2f} µs at {rows / 1e6:.0f}M" for rows, r in timed
        )
        growth = timed[-1][1].microseconds_per_row / timed[0][1].microseconds_per_row
        lines.append(f"- Dask time per row: {said} (ratio {growth:.2f}; linear: 1)")
    for rows in sizes[1:]:
        big = best(runs, "dask", rows)
        if big is not None:
            within = "within" if big.peak_rss <= BUDGET else "over"
            lines.append(
                f"- Dask at {rows / 1e6:.0f}M: peak {big.peak_rss / GIB:.2f} GiB for all "
                f"processes, {within} the {BUDGET / GIB:.0f} GiB budget"
            )
    return "\n".join(lines)


def save(runs: list[Run]) -> None:
    """The results so far, as JSON (a long run can be read while it goes on)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {
                    "cpus": os.cpu_count(),
                    "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
                    "python": platform.python_version(),
                    "load_average_at_end": os.getloadavg(),
                },
                "commit": commit(),
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "runs": [
                    asdict(r)
                    | {
                        "rows_per_second": r.rows_per_second,
                        "microseconds_per_row": r.microseconds_per_row,
                    }
                    for r in runs
                ],
            },
            indent=2,
        )
        + "\n"
    )


def commit() -> str:
    """The code's commit (and whether the work tree differs from it)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{head}{' (modified)' if dirty else ''}"


if __name__ == "__main__":
    main()
