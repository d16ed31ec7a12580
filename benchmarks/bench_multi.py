"""make bench-multi: linked tables synthesized together against each table alone, and
against SDV's HMASynthesizer where it installs.

The data: benchmarks/relational_data.py's shop (customers; about 3.1 orders each and
3.3 items per order; 40 products), seeded. Each synthesizer runs in its own process
(peak memory is that process's maximum resident set, beside the real tables' own size
in memory);
timed is fitting and sampling in memory, not reading or writing files. Then, in this
process, the relational figures of each result against the real tables: integrity,
cardinality (1 - KS of child counts), intertable trends (SDMetrics' definitions, on a
sample of the joined rows when large) and the correlation of income with the number of
orders and with their mean amount.

    python benchmarks/bench_multi.py [--customers 1000000] [--order-rate 1.6]
        [--hma-customers 2000] [--hma-python /work/sdv-venv/bin/python] [--generations 1]

"Alone" is what a user had before: each table given to the single-table engine with
its metadata's column types, so keys are made up on both sides of every link (and,
with ``--alone-keep-keys``, real keys copied instead: links kept by chance of the
copies, and real keys released).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from relational_data import METADATA, make_shop  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bench_multi.json"


#: HMA refuses a relationship depth over 2: it is compared on customers and orders.
TWO_TABLES = ("customers", "orders")


def subset(tables: tuple[str, ...] | None) -> dict:
    """METADATA for some tables (all when None) and the relationships among them."""
    if tables is None:
        return METADATA
    return {
        **METADATA,
        "tables": {name: METADATA["tables"][name] for name in tables},
        "relationships": [
            r
            for r in METADATA["relationships"]
            if r["parent_table_name"] in tables and r["child_table_name"] in tables
        ],
    }


def shop(
    customers: int, tables: tuple[str, ...] | None, order_rate: float = 1.0
) -> dict[str, pd.DataFrame]:
    """The shop (``order_rate`` times the sample's orders per customer), or some tables."""
    data = make_shop(customers, order_rate=order_rate)
    return data if tables is None else {name: data[name] for name in tables}


def rss_mib() -> float:
    """This process's peak resident set (VmHWM): unlike getrusage's ru_maxrss, which
    Linux carries over from the forking parent across exec, it is this program's own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_mixsynth(
    mode: str,
    customers: int,
    generations: int,
    out: Path,
    tables: tuple[str, ...] | None,
    order_rate: float,
) -> dict:
    """One synthesizer in this process: times, memory, tables written to ``out``."""
    from mixsynth.engine.memory import run_generations
    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.relational import RelationalMetadata, RelationalPlan, run_relational

    warnings.simplefilter("ignore")
    real = shop(customers, tables, order_rate)
    data_mib = sum(f.memory_usage(deep=True).sum() for f in real.values()) / 2**20
    metadata = RelationalMetadata.from_dict(subset(tables))
    start, cpu = time.perf_counter(), time.process_time()
    if mode == "together":
        plan = RelationalPlan.of(real, metadata, SynthesisOptions())
        *_, last = run_relational(real, plan, generations, seed=0)
        synthetic = last.tables
    else:
        keep = mode == "alone-keep-keys"
        synthetic = {}
        for name, frame in real.items():
            options = SynthesisOptions(metadata=metadata.tables[name], keep_pii=keep)
            *_, last = run_generations(frame, options, generations, seed=0)
            synthetic[name] = last.frame
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    for name, frame in synthetic.items():
        frame.to_parquet(out / f"{name}.parquet")
    rows = {name: len(frame) for name, frame in real.items()}
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mib": rss_mib(),
        "data_mib": data_mib,
        "rows": rows,
    }


HMA_SCRIPT = """
import json, sys, time, warnings
sys.path.insert(0, {benchmarks!r})
warnings.simplefilter("ignore")
from relational_data import make_shop
from sdv.metadata import Metadata
from sdv.multi_table import HMASynthesizer
real = {{n: f for n, f in make_shop({customers}, order_rate={order_rate}).items() if n in {tables!r}}}
data_mib = sum(f.memory_usage(deep=True).sum() for f in real.values()) / 2**20
for frame in real.values():  # dates as the metadata's datetime_format says
    for column in frame.select_dtypes("datetime").columns:
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
metadata = Metadata.load_from_dict({metadata!r})
start, cpu = time.perf_counter(), time.process_time()
synthesizer = HMASynthesizer(metadata, verbose=False)
synthesizer.fit(real)
# SDV 2.0: sample(num_rows, main_table_name) (1.x: sample(scale=1.0))
synthetic = synthesizer.sample(len(real["customers"]), main_table_name="customers")
seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
for name, frame in synthetic.items():
    frame.to_csv({out!r} + "/" + name + ".csv", index=False)  # no pyarrow in SDV's venv
print(json.dumps({{"seconds": seconds, "cpu_seconds": cpu_seconds, "data_mib": data_mib,
    "peak_mib": [int(l.split()[1]) / 1024 for l in open("/proc/self/status")
                 if l.startswith("VmHWM:")][0],
    "rows": {{n: len(f) for n, f in real.items()}}}}))
"""


def figures(
    real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame], tables: tuple | None
) -> dict:
    """Integrity, cardinality and intertable trends per relationship, and the
    correlation of income with the number of orders and their mean amount."""
    from mixsynth.relational import RelationalMetadata
    from mixsynth.relational.compare import relationship_figures

    metadata = RelationalMetadata.from_dict(subset(tables))
    found = {}
    with np.errstate(all="ignore"):
        for r in metadata.relationships:
            rel = relationship_figures(r, real, synthetic, metadata, seed=0)
            found[r.label()] = {
                "integrity": rel["integrity"]["synthetic"],
                "cardinality": rel["cardinality"]["score"],
                "intertable_trends": rel["intertable"]["score"],
                "parent_child": [
                    p for p in rel["parent_child"] if p["parent_column"] in ("income", "amount")
                ],
            }
    return found


def measure(
    args: argparse.Namespace,
    mode: str,
    customers: int,
    tables: tuple[str, ...] | None,
    figures_too: bool,
) -> dict:
    """One synthesizer in its own process, then (``figures_too``) its figures here."""
    with tempfile.TemporaryDirectory() as out:
        if mode == "hma":
            script = HMA_SCRIPT.format(
                benchmarks=str(ROOT / "benchmarks"),
                customers=customers,
                order_rate=args.order_rate,
                out=out,
                tables=tables,
                metadata=subset(tables),
            )
            command = [args.hma_python, "-c", script]
        else:
            command = [
                sys.executable,
                __file__,
                "--customers",
                str(customers),
                "--generations",
                str(args.generations),
                "--order-rate",
                str(args.order_rate),
                "--child",
                mode,
                out,
                *(["--tables", ",".join(tables)] if tables else []),
            ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return {"error": done.stderr.strip()[-2000:]}
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if not figures_too:
            return result
        real = shop(customers, tables, args.order_rate)
        synthetic = {}
        for name, frame in real.items():
            path = Path(out) / f"{name}.parquet"
            if path.exists():
                synthetic[name] = pd.read_parquet(path)
            else:  # SDV's venv writes CSV
                synthetic[name] = pd.read_csv(path.with_suffix(".csv")).astype(
                    frame.dtypes.to_dict()
                )
        start = time.perf_counter()
        result["figures"] = figures(real, synthetic, tables)
        result["figures_seconds"] = time.perf_counter() - start
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--hma-customers", type=int, default=2_000)
    parser.add_argument("--hma-python", default="/work/sdv-venv/bin/python")
    parser.add_argument("--generations", type=int, default=1)
    parser.add_argument(
        "--order-rate",
        type=float,
        default=1.0,
        help="orders per customer relative to the sample's 3.1 (1.6: about 5)",
    )
    parser.add_argument("--modes", default="together,alone,alone-keep-keys")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--repeats", type=int, default=1, help="time each run this often, alternately"
    )
    parser.add_argument("--no-figures", action="store_true", help="time only")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--tables", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one synthesizer, in its own process
        tables = tuple(args.tables.split(",")) if args.tables else None
        result = run_mixsynth(
            args.child[0],
            args.customers,
            args.generations,
            Path(args.child[1]),
            tables,
            args.order_rate,
        )
        print(json.dumps(result))
        return
    results = {
        "customers": args.customers,
        "order_rate": args.order_rate,
        "generations": args.generations,
        "machine": {"cores": os.cpu_count(), "load_average": os.getloadavg()},
        "runs": {},
    }
    runs = [(mode, args.customers, None) for mode in args.modes.split(",") if mode]
    if args.hma_customers and Path(args.hma_python).exists():
        runs += [(m, args.hma_customers, TWO_TABLES) for m in ("together", "alone", "hma")]
    elif args.hma_customers:
        results["hma"] = f"not run: {args.hma_python} not found (pip install sdv there)"
    for repeat in range(args.repeats):  # alternately, so that load changes hit all alike
        for mode, customers, tables in runs:
            label = f"{mode}@{customers}" + ("" if tables is None else "/" + "+".join(tables))
            result = measure(args, mode, customers, tables, figures_too=not args.no_figures)
            result["repeat"] = repeat
            results["runs"].setdefault(label, []).append(result)
            shown = {k: v for k, v in result.items() if k != "figures"}
            print(f"{label}: {json.dumps(shown)}", file=sys.stderr, flush=True)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=1, default=float) + "\n")
    print(f"wrote {args.results}", file=sys.stderr)


if __name__ == "__main__":
    main()
