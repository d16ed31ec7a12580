"""Speed and memory of mixsynth against floors measured in the same run (issue 4).

The machine is shared and absolute times drift, so every figure that has a target is
a ratio against a baseline timed in the same run: end-to-end ``mixsynth generate``
against a bare pyarrow read + write of the same table, and the mixup kernel against
two plain row gathers. Each command runs in a fresh subprocess under
``/usr/bin/time`` (peak RSS and CPU seconds of that process); floor and mixsynth runs
alternate. mixsynth's modules are compiled to bytecode first, as an installed package's
are.

Memory allocator: ``mixsynth`` and the I/O floor both use pyarrow's default pool
(mimalloc; the CLI used malloc until the CSV reader went block by block, whose many
blocks fragment malloc's heap); the same floor with the system allocator is measured
beside it for information. The variable is
removed from every subprocess's environment and set only where stated, so a value in
the caller's shell changes nothing.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_speed.py``). Workloads are
generated, seeded, into benchmarks/data/ (gitignored) on first use; results are
printed as Markdown and written to benchmarks/results/bench.md (``--output``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"
#: The step-by-step run's steps, in order (the keys STAGES reports).
STEPS = ("read", "reference", "synthesize", "write")
PYTHON = sys.executable
MIXSYNTH = str(Path(PYTHON).with_name("mixsynth"))
TIME = "/usr/bin/time"
ROWS = 1_000_000
FLOAT_COLUMNS = 20
SEED = 20261125
#: Arrow's allocator choice, read once when pyarrow is first imported.
POOL = "ARROW_DEFAULT_MEMORY_POOL"

#: A subprocess that does nothing but pyarrow's read and write of the same table: the
#: I/O floor that ``mixsynth generate`` is held to (run with pyarrow's default pool), and
#: run again with the system allocator for information.
IO_FLOOR = """
import json, sys, time
source, dest, fmt = sys.argv[1:]
if fmt == "csv":
    import pyarrow.csv as csv
    start = time.perf_counter()
    table = csv.read_csv(source)
    middle = time.perf_counter()
    csv.write_csv(table, dest)
else:
    import pyarrow.parquet as pq
    start = time.perf_counter()
    table = pq.read_table(source)
    middle = time.perf_counter()
    pq.write_table(table, dest)
print(json.dumps({"read": middle - start, "write": time.perf_counter() - middle}))
"""

#: ``mixsynth generate``'s steps through the library, timed one by one, to show where
#: the time above the floor goes (the rest of the wall time is start-up and exit). The
#: steps are the CLI's: ``read_arrow``, ``Reference.of``, ``synthesize`` on the Arrow
#: table (with the first generation's generator of ``--seed 1``), ``write_table``; run
#: with pyarrow's default pool like the CLI. Each step also reports its RSS
#: high-water mark above its own start (Linux: writing 5 to /proc/self/clear_refs resets
#: the mark), i.e. the memory that step itself adds.
STAGES = """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from mixsynth.io import read_arrow, write_table
from mixsynth.engine.reference import Reference
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.memory import generation_rngs, synthesize
times, added = {"imports": time.perf_counter() - start}, {}
def status(key):
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(key))
    return int(line.split()[1]) / 1024
def timed(name, step):
    Path("/proc/self/clear_refs").write_text("5")
    before = status("VmRSS")
    start = time.perf_counter()
    result = step()
    times[name] = time.perf_counter() - start
    added[name] = status("VmHWM") - before
    return result
source = timed("read", lambda: read_arrow(sys.argv[1]))
reference = timed("reference", lambda: Reference.of(source.table))
rng = generation_rngs(1, 1)[0]
generation = timed(
    "synthesize", lambda: synthesize(source.table, SynthesisOptions(), rng, reference)
)
schema = source.table.schema
timed("write", lambda: write_table(generation.frame, sys.argv[2], source.format, schema))
print(json.dumps({"seconds": times, "added_mib": added}))
"""

#: The 10-generation run of (c), in a subprocess so its peak RSS is its own; on the
#: Arrow table, as the CLI runs it (and with the CLI's allocator).
GENERATIONS = """
import json, sys, time
from mixsynth.io import read_arrow
from mixsynth.engine.reference import Reference
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.memory import run_generations
table = read_arrow(sys.argv[1]).table
generations, repeats = int(sys.argv[2]), int(sys.argv[3])
reference = Reference.of(table)
runs = []
for _ in range(repeats):
    times, start = [], time.perf_counter()
    for generation in run_generations(table, SynthesisOptions(), generations, 1, reference):
        now = time.perf_counter()
        times.append(now - start)
        start = now
    runs.append(times)
print(json.dumps(runs))
"""


@dataclass(frozen=True)
class Run:
    """Wall time, CPU time (user + system, all threads) and peak resident memory of
    one finished subprocess."""

    seconds: float
    peak_mib: float
    stdout: str
    cpu_seconds: float = float("nan")


def environment(pool: str | None = None) -> dict[str, str]:
    """This process's environment without ``ARROW_DEFAULT_MEMORY_POOL``, or with it set
    to ``pool``: each subprocess gets exactly the allocator this script says it has."""
    env = {key: value for key, value in os.environ.items() if key != POOL}
    if pool is not None:
        env[POOL] = pool
    return env


def run(
    command: list[str],
    timeout: float = 600,
    ok: tuple[int, ...] = (0,),
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``command`` to completion: wall clock around it, peak RSS and CPU seconds
    from ``time``.

    ``env`` defaults to :func:`environment` (pyarrow's default pool, unless the command
    chooses another itself, as the ``mixsynth`` CLI does).

    Not ``os.wait4`` on our own child: Linux carries the RSS high-water mark of the
    process that calls exec into the new program, so a child spawned from this (large)
    process would report this process's peak. ``/usr/bin/time`` is small and forks it.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as usage:
        timed = [TIME, "-f", "%M %U %S", "-o", usage.name, *command]
        start = time.perf_counter()
        result = subprocess.run(
            timed,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environment() if env is None else env,
        )
        seconds = time.perf_counter() - start
        if result.returncode not in ok:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
        peak_kib, user, system = usage.read().split()[-3:]
    return Run(seconds, int(peak_kib) / 1024, result.stdout, float(user) + float(system))


# --- workloads --------------------------------------------------------------------


def float_table(rng: np.random.Generator) -> pa.Table:
    """1M x 20 multivariate normal with a random correlation matrix."""
    factors = rng.standard_normal((FLOAT_COLUMNS, FLOAT_COLUMNS))
    cov = factors @ factors.T
    std = np.sqrt(np.diag(cov))
    corr = cov / np.outer(std, std)
    scales = rng.uniform(0.5, 100, FLOAT_COLUMNS)
    values = rng.multivariate_normal(np.zeros(FLOAT_COLUMNS), corr * np.outer(scales, scales), ROWS)
    return pa.table({f"x{c:02d}": values[:, c] for c in range(FLOAT_COLUMNS)})


def mixed_table(rng: np.random.Generator) -> pa.Table:
    """1M rows of floats, integers, a boolean, categoricals of 5 and 200 levels, a datetime.

    Every column but the boolean has 5% missing values (a boolean with missing values
    would stop being a boolean in pandas).
    """

    def holes(array: np.ndarray) -> pa.Array:
        return pa.array(array, mask=rng.random(ROWS) < 0.05)

    levels200 = np.array([f"item_{k:03d}" for k in range(200)])
    levels5 = np.array(["north", "south", "east", "west", "centre"])
    start = np.datetime64("2015-01-01T00:00:00", "s").astype(np.int64)
    seconds = start + rng.integers(0, 10 * 365 * 86400, ROWS)
    return pa.table(
        {
            "income": holes(rng.lognormal(10, 0.8, ROWS)),
            "score": holes(rng.normal(50, 12, ROWS)),
            "ratio": holes(rng.beta(2, 5, ROWS)),
            "temperature": holes(rng.normal(15, 8, ROWS).round(1)),
            "age": holes(rng.integers(18, 90, ROWS)),
            "visits": holes(rng.poisson(3, ROWS)),
            "active": pa.array(rng.random(ROWS) < 0.3),
            "region": holes(levels5[rng.integers(0, 5, ROWS)]),
            "product": holes(levels200[rng.zipf(1.3, ROWS) % 200]),
            "joined": pa.array(seconds, mask=rng.random(ROWS) < 0.05).cast(pa.timestamp("s")),
        }
    )


def workloads() -> dict[str, dict[str, Path]]:
    """Paths of each workload as CSV and Parquet, generated once (seeded)."""
    DATA.mkdir(exist_ok=True)
    makers = {"float20": float_table, "mixed": mixed_table}
    paths = {}
    for name, maker in makers.items():
        files = {fmt: DATA / f"{name}.{fmt}" for fmt in ("csv", "parquet")}
        if not all(p.exists() for p in files.values()):
            table = maker(np.random.default_rng(SEED))
            pacsv.write_csv(table, files["csv"])
            pq.write_table(table, files["parquet"])
        paths[name] = files
    return paths


# --- measurements -----------------------------------------------------------------


def in_memory_mib(path: Path) -> tuple[float, float]:
    """Size of the table in memory: as mixsynth holds it (the Arrow table ``read_arrow``
    returns, ``nbytes``), and as a pandas frame (deep, strings included) for comparison."""
    from mixsynth.io import read_arrow, read_table

    arrow = read_arrow(str(path)).table.nbytes / 2**20
    frame = read_table(str(path)).frame.memory_usage(deep=True).sum() / 2**20
    return arrow, frame


def compile_package() -> None:
    """Bytecode for mixsynth's modules, as an installed package has it (pip compiles
    on install): an editable install run under ``PYTHONDONTWRITEBYTECODE=1`` would
    otherwise compile every module at each start (0.05 s of CPU, measured)."""
    import compileall

    import mixsynth

    compileall.compile_dir(Path(mixsynth.__file__).parent, quiet=1)


def default_pool() -> str:
    """The backend of pyarrow's default memory pool when the variable is not set."""
    probe = "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    return run([PYTHON, "-c", probe]).stdout.strip()


def end_to_end(paths: dict[str, dict[str, Path]], repeats: int, scratch: Path) -> list[dict]:
    """(a) and (d): ``mixsynth generate`` (generalized, one generation) vs the I/O floor.

    Floor, floor with the system allocator (informational) and mixsynth alternate, so
    all see the same page cache and machine load. The ``mixsynth`` console script runs
    with the variable unset and chooses its allocator itself.
    """
    rows = []
    for name, files in paths.items():
        for fmt, source in files.items():
            size, frame_size = in_memory_mib(source)
            dest = scratch / f"{name}-synthetic.{fmt}"
            floor_cmd = [PYTHON, "-c", IO_FLOOR, str(source), str(scratch / f"floor.{fmt}"), fmt]
            mixsynth_cmd = [MIXSYNTH, "generate", str(source), "-o", str(dest)]
            mixsynth_cmd += ["--method", "generalized", "--seed", "1", "--force", "--quiet"]
            floors, system_floors, tools = [], [], []
            for _ in range(repeats):
                floors.append(run(floor_cmd, env=environment()))
                system_floors.append(run(floor_cmd, env=environment("system")))
                tools.append(run(mixsynth_cmd, env=environment()))
            staged = run([PYTHON, "-c", STAGES, str(source), str(dest)], env=environment())
            floor_s = statistics.median(r.seconds for r in floors)
            system_s = statistics.median(r.seconds for r in system_floors)
            system_mib = statistics.median(r.peak_mib for r in system_floors)
            tool_s = statistics.median(r.seconds for r in tools)
            tool_mib = statistics.median(r.peak_mib for r in tools)
            floor_steps = [json.loads(r.stdout) for r in floors]
            rows.append(
                {
                    "table": name,
                    "format": fmt,
                    "floor_s": floor_s,
                    "mixsynth_s": tool_s,
                    "floor_cpu_s": statistics.median(r.cpu_seconds for r in floors),
                    "mixsynth_cpu_s": statistics.median(r.cpu_seconds for r in tools),
                    "ratio": tool_s / floor_s,
                    "target": 1.3 if fmt == "csv" else 1.5,
                    "floor_peak_mib": statistics.median(r.peak_mib for r in floors),
                    "system_floor_s": system_s,
                    "system_ratio": tool_s / system_s,
                    "system_floor_peak_mib": system_mib,
                    "system_memory_ratio": tool_mib / system_mib,
                    "peak_mib": tool_mib,
                    "input_mib": size,
                    "frame_mib": frame_size,
                    "memory_ratio": tool_mib / size,
                    "floor_read_s": statistics.median(f["read"] for f in floor_steps),
                    "floor_write_s": statistics.median(f["write"] for f in floor_steps),
                    "stages": json.loads(staged.stdout)["seconds"],
                    "added_mib": json.loads(staged.stdout)["added_mib"],
                    "stages_wall_s": staged.seconds,
                }
            )
    return rows


def kernel_inputs(rows: int, rng: np.random.Generator):
    """A row-major (rows x 20) array, the layout ``synthesize`` hands the kernel, and
    the pairs and weights mixsynth would draw."""
    from mixsynth.engine.kernel import balanced_anchors
    from mixsynth.engine.options import SynthesisOptions

    x = rng.standard_normal((rows, FLOAT_COLUMNS))
    dominant = rng.permutation(balanced_anchors(rng, rows, rows))
    other = rng.integers(rows, size=rows)
    lam = SynthesisOptions().weights_for(rows, rows).sample(rng, rows)
    return x, dominant, other, np.maximum(lam, 1 - lam)


def best_of(function, repeats: int) -> float:
    """Median wall time of ``function()`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_kernel(rows: int, runs: int) -> tuple[float, float]:
    """Median seconds of the kernel and of its floor on one (rows x 20) problem."""
    from mixsynth.engine.kernel import mixup_kernel

    x, dominant, other, w = kernel_inputs(rows, np.random.default_rng(SEED))
    kernel_s = best_of(lambda: mixup_kernel(x, dominant, other, w), runs)
    floor_s = best_of(lambda: (np.take(x, dominant, axis=0), np.take(x, other, axis=0)), runs)
    return kernel_s, floor_s


def kernel_scaling(sizes: list[int], repeats: int) -> list[dict]:
    """(b) and (e): ``mixup_kernel`` vs two row gathers of the same size and layout."""
    rows = []
    for n in sizes:
        kernel_s, floor_s = time_kernel(n, repeats if n < 10_000_000 else 3)
        rows.append(
            {
                "rows": n,
                "kernel_s": kernel_s,
                "floor_s": floor_s,
                "ratio": kernel_s / floor_s,
                "ns_per_value": kernel_s / (n * FLOAT_COLUMNS) * 1e9,
                "floor_ns_per_value": floor_s / (n * FLOAT_COLUMNS) * 1e9,
            }
        )
    return rows


def generations_run(source: Path, generations: int, repeats: int) -> tuple[list[float], float]:
    """(c): median seconds of each generation of ``run_generations`` on the mixed table."""
    command = [PYTHON, "-c", GENERATIONS, str(source), str(generations), str(repeats)]
    result = run(command, env=environment())
    runs = json.loads(result.stdout)
    return [statistics.median(times) for times in zip(*runs, strict=True)], result.peak_mib


def compare_run(real: Path, synthetic: Path, repeats: int) -> Run | None:
    """(f): ``mixsynth compare`` on the 1M x 20 pair, if the command exists yet."""
    probe = subprocess.run([MIXSYNTH, "compare", "--help"], capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    command = [MIXSYNTH, "compare", str(real), str(synthetic), "--json", "-"]
    first = run(command, ok=(0, 1))
    if first.seconds > 60 or repeats == 1:
        return first
    rest = [run(command, ok=(0, 1)) for _ in range(repeats - 1)]
    runs = [first, *rest]
    return Run(
        statistics.median(r.seconds for r in runs),
        statistics.median(r.peak_mib for r in runs),
        "",
    )


# --- report -----------------------------------------------------------------------


def machine() -> str:
    """Cores, memory, CPU and library versions: what the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        cwd=HERE,
        check=False,
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kib / 2**20:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}, pyarrow {pa.__version__}; "
        f"mixsynth {commit or 'unknown commit'}"
    )


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "**missed**"


def markdown(
    end: list[dict],
    scaling: list[dict],
    generation_times: list[float],
    generation_peak: float,
    compare: Run | None,
    command: str,
    total_s: float,
    load: tuple[float, float],
    pool: str,
) -> str:
    """The results as Markdown, each figure beside its target."""
    lines = [
        "# mixsynth benchmark results",
        "",
        f"- Command: `{command}` (total {total_s:.0f} s)",
        f"- Machine: {machine()}",
        f"- Load average (1 min) at start / end: {load[0]:.2f} / {load[1]:.2f} "
        "(other work on the machine inflates and scatters the times; ratios are more stable)",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "- Workloads: `float20` = 1,000,000 x 20 multivariate normal (random correlation); "
        "`mixed` = 1,000,000 rows of 4 floats, 2 integers, a boolean, categoricals of 5 and "
        "200 levels, a datetime, 5% missing in every column but the boolean.",
        "",
        "## End to end: `mixsynth generate` (generalized, 1 generation) vs the I/O floor",
        "",
        "Floor (what the targets are judged against): a subprocess doing only pyarrow's "
        "read of the input and write of the same table, default options and pyarrow's "
        f"default memory pool ({pool}), as `mixsynth` does. For information only, the same floor with the system allocator "
        f"(`{POOL}=system`), run in the same alternating loop, and mixsynth's ratio against "
        "it: the difference between the two ratios is what the allocator choice alone "
        "accounts for. Median wall time of the runs. CPU seconds (user + system, every "
        "thread; median) for information: steadier than wall time on a shared machine, "
        "but not what the targets judge (mixing and CSV formatting run on two threads).",
        "",
        "| table | format | floor s | mixsynth s | ratio | target | "
        "floor, system allocator s (info) | mixsynth / it (info) | "
        "floor CPU s (info) | mixsynth CPU s (info) |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in end:
        lines.append(
            f"| {r['table']} | {r['format']} | {r['floor_s']:.2f} | {r['mixsynth_s']:.2f} | "
            f"{r['ratio']:.2f}x | <= {r['target']}x {verdict(r['ratio'], r['target'])} | "
            f"{r['system_floor_s']:.2f} | {r['system_ratio']:.2f}x | "
            f"{r['floor_cpu_s']:.2f} | {r['mixsynth_cpu_s']:.2f} |"
        )
    lines += [
        "",
        "Where the time goes: the floor's own read and write (medians), and one run of "
        "the same job through the library, step by step, as the CLI does it and with its "
        "allocator (pyarrow's default): `read_arrow`, `Reference.of`, `synthesize` on the "
        "Arrow table, `write_table` (start-up = wall time minus the steps: interpreter, "
        "imports, exit).",
        "",
        "| table | format | floor read s | floor write s | mixsynth start-up s | "
        "read s | reference s | synthesize s | write s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in end:
        steps = r["stages"]
        startup = r["stages_wall_s"] - sum(steps[step] for step in STEPS)
        lines.append(
            f"| {r['table']} | {r['format']} | {r['floor_read_s']:.2f} | "
            f"{r['floor_write_s']:.2f} | {startup:.2f} | "
            + " | ".join(f"{steps[step]:.2f}" for step in STEPS)
            + " |"
        )
    lines += [
        "",
        "## Peak memory of one generation (the same runs)",
        "",
        "Peak = max RSS of the whole process (interpreter and libraries included), median "
        "of the runs. Input = the table as mixsynth holds it in memory: the Arrow table "
        "`read_arrow` returns (`Table.nbytes`); the 4x target is judged against this size. "
        "The same table as a pandas frame (deep memory usage, strings included), what the "
        "CLI held before it dropped pandas, is shown for comparison only. Floor, system "
        "allocator = the informational floor above. Added = a step's RSS high-water mark "
        "above the RSS at its start (the step-by-step run).",
        "",
        "| table | format | input (Arrow) MiB | pandas frame MiB (info) | floor peak MiB | "
        "floor / input | floor, system allocator peak MiB (info) | mixsynth peak MiB | "
        "mixsynth / input | target | mixsynth / system floor peak (info) | "
        "added by read / reference / synthesize / write, MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in end:
        added = " / ".join(f"{max(r['added_mib'][step], 0):.0f}" for step in STEPS)
        lines.append(
            f"| {r['table']} | {r['format']} | {r['input_mib']:.0f} | {r['frame_mib']:.0f} | "
            f"{r['floor_peak_mib']:.0f} | {r['floor_peak_mib'] / r['input_mib']:.1f}x | "
            f"{r['system_floor_peak_mib']:.0f} | {r['peak_mib']:.0f} | "
            f"{r['memory_ratio']:.1f}x | <= 4x {verdict(r['memory_ratio'], 4)} | "
            f"{r['system_memory_ratio']:.2f}x | {added} |"
        )
    lines += [
        "",
        "## Kernel: `mixup_kernel` vs two row gathers, 20 columns, row-major float64",
        "",
        "Floor: `np.take(x, i, axis=0)` and `np.take(x, j, axis=0)` on the same array. "
        "Target: kernel <= 2x the floor; time linear in rows.",
        "",
        "| rows | kernel s | floor s | ratio | kernel ns per value | floor ns per value |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in scaling:
        lines.append(
            f"| {r['rows']:,} | {r['kernel_s']:.4f} | {r['floor_s']:.4f} | "
            f"{r['ratio']:.2f}x {verdict(r['ratio'], 2)} | {r['ns_per_value']:.2f} | "
            f"{r['floor_ns_per_value']:.2f} |"
        )
    g = np.arange(1, len(generation_times) + 1)
    slope = np.polyfit(g, generation_times, 1)[0] / statistics.mean(generation_times)
    times = ", ".join(f"{t:.2f}" for t in generation_times)
    lines += [
        "",
        f"## {len(generation_times)} generations of the mixed 1M-row table (library, in memory)",
        "",
        "`run_generations` on the Arrow table from `read_arrow`, with pyarrow's default pool, "
        "as the CLI runs it.",
        "",
        f"- Seconds per generation (median of the runs): {times}",
        f"- Least-squares trend: {slope:+.1%} of the mean per generation "
        f"({'flat' if slope <= 0.02 else '**grows**'}; target: no growth with g, "
        "read as <= +2% per generation given the machine's noise)",
        f"- Peak RSS of the whole run: {generation_peak:.0f} MiB",
        "",
        "## `mixsynth compare REAL SYNTH --json -` on the float20 pair (Parquet, 1M x 20)",
        "",
    ]
    if compare is None:
        lines.append("compare: not available yet")
    else:
        lines.append(f"- Wall {compare.seconds:.2f} s, peak RSS {compare.peak_mib:.0f} MiB")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--generations", type=int, default=10, help="generations for (c)")
    parser.add_argument(
        "--max-rows", type=int, default=10_000_000, help="largest size of the scaling table"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS / "bench.md",
        help="where to write the Markdown (default: %(default)s; e.g. /tmp for dev runs)",
    )
    args = parser.parse_args()
    if not Path(TIME).exists():
        sys.exit(f"bench_speed needs {TIME} for peak memory (Debian: apt-get install time)")
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    paths = workloads()
    compile_package()
    pool = default_pool()
    scratch = Path(tempfile.mkdtemp(prefix="out-", dir=DATA))
    try:
        end = end_to_end(paths, args.repeats, scratch)
        sizes = [n for n in (10_000, 100_000, 1_000_000, 10_000_000) if n <= args.max_rows]
        scaling = kernel_scaling(sizes, max(args.repeats, 5))
        generation_times, generation_peak = generations_run(
            paths["mixed"]["parquet"], args.generations, args.repeats
        )
        compare = compare_run(
            paths["float20"]["parquet"], scratch / "float20-synthetic.parquet", args.repeats
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    command = "make bench  # = " + " ".join(["python benchmarks/bench_speed.py", *sys.argv[1:]])
    report = markdown(
        end,
        scaling,
        generation_times,
        generation_peak,
        compare,
        command,
        time.perf_counter() - started,
        (load_start, os.getloadavg()[0]),
        pool,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
