"""The Dask engine (generate/compare --engine dask) against the in-memory engine and
docs/theory.md ("Tables in parts"), on a local cluster of two in-process workers, and once on real
dask-scheduler and dask-worker processes."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster

from mixsynth.choices import Bounds, Method
from mixsynth.engine.dask import DaskGenerateJob
from mixsynth.engine.dask.reference import summarize_part, whole_reference
from mixsynth.engine.dask.shuffle import MIN_PARTITION_ROWS, merge_tiny
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.engine.weights import parse_weights
from mixsynth.errors import MixsynthError
from mixsynth.metrics import compare_tables
from mixsynth.metrics.dask_compare import compare_dask
from mixsynth.semantics.keys import KeyShare, fresh_ids
from tests.conftest import SAMPLE_DATA
from tests.oracles.mixup import WeightMoments, exact_moment

ROWS = 20_000
#: Correlated columns: corr(a, b) ~ 0.71, corr(b, c) ~ 0.2, corr(a, c) ~ 0.
MIXING = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 1.0]])


def make_table(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)) @ MIXING
    return pd.DataFrame(
        {
            "a": x[:, 0],
            "b": x[:, 1] * 10 + 5,
            "c": x[:, 2],
            "k": rng.integers(0, 50, rows),
            "s": rng.choice(["x", "y", "z"], rows),
        }
    )


def write_files(frame: pd.DataFrame, folder: Path, parts: int) -> Path:
    """``frame`` cut into ``parts`` Parquet files of consecutive rows: one dataset."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, piece in enumerate(np.array_split(np.arange(len(frame)), parts)):
        pq.write_table(
            pa.Table.from_pandas(frame.iloc[piece], preserve_index=False),
            folder / f"part{i:02d}.parquet",
        )
    return folder


@pytest.fixture(scope="module")
def client():
    """Two single-threaded workers in this process, reachable over TCP (so that the CLI
    can be pointed at them with --scheduler)."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    frame = make_table()
    return frame, write_files(frame, tmp_path_factory.mktemp("input") / "data", 4)


def run_job(client, source: Path, dest: Path, **settings) -> list:
    settings.setdefault("options", SynthesisOptions())
    settings.setdefault("seed", 3)
    job = DaskGenerateJob(input=str(source), output=str(dest), **settings)
    return job.run(client)


def variance_ratio_se(source: np.ndarray, weights) -> float:
    """Standard error of the sample variance of len(source) rows mixed from ``source``,
    relative to its expectation: sqrt((k - 1) / n), k the kurtosis of one mixed row
    given the source, exact (tests.oracles.mixup), not that of the rows under test."""
    centred, lam = source - source.mean(), WeightMoments(weights)
    k = exact_moment([centred] * 4, lam) / exact_moment([centred] * 2, lam) ** 2
    return math.sqrt((k - 1) / len(source))


# ---------------------------------------------------------------------------
# Statistics: as in memory, as docs/theory.md says


def test_generalized_keeps_means_variances_correlations_as_in_memory(
    client, dataset, tmp_path
) -> None:
    real, source = dataset
    results = run_job(client, source, tmp_path / "out", partition_rows=2_000)
    assert results[0].partitions >= 8  # the shuffle spread the rows over ~10 partitions
    dask_out = pd.read_parquet(tmp_path / "out")
    memory_out = synthesize(real, SynthesisOptions(), np.random.default_rng(3)).frame
    assert len(dask_out) == len(real) == len(memory_out)
    corr_real = real[["a", "b", "c"]].corr().to_numpy()
    for synthetic in (dask_out, memory_out):
        for column in ("a", "b", "c"):
            r, s = real[column].to_numpy(), synthetic[column].to_numpy()
            # The synthetic mean: resampling noise of at most two rows' worth per row.
            assert abs(s.mean() - r.mean()) < 4 * r.std() * math.sqrt(2 / len(r))
            se = variance_ratio_se(r, SynthesisOptions().weights_for(len(r), len(r)))
            assert abs(s.var(ddof=1) / r.var(ddof=1) - 1) < 4 * se
        corr = synthetic[["a", "b", "c"]].corr().to_numpy()
        upper = np.triu_indices(3, k=1)
        bound = 4 * (1 - corr_real[upper] ** 2) / math.sqrt(len(real))
        assert np.all(np.abs(corr[upper] - corr_real[upper]) < bound)
    # Copied columns: the joint distribution of categories is resampled.
    shares = dask_out["s"].value_counts(normalize=True)
    expected = real["s"].value_counts(normalize=True)
    assert np.all(np.abs(shares - expected) < 4 * math.sqrt(0.25 / len(real)))


def test_vanilla_follows_rho_to_the_g_with_the_shuffle(client, dataset, tmp_path) -> None:
    real, source = dataset
    options = SynthesisOptions(method=Method.VANILLA, weights=parse_weights("beta:0.2,0.2"))
    rho = options.weights.theory().rho
    generations, parts = 3, 10
    run_job(
        client,
        source,
        tmp_path / "out",
        options=options,
        generations=generations,
        partition_rows=ROWS // parts,
    )
    last = pd.read_parquet(tmp_path / "out")
    # docs/theory.md, "Tables in parts": random parts of m rows shrink by rho + (1 - rho)/m per generation.
    factor = (rho + (1 - rho) / (ROWS / parts)) ** generations
    for column in ("a", "b", "c"):
        ratio = last[column].var(ddof=1) / real[column].var(ddof=1)
        se = variance_ratio_se(real[column].to_numpy(), options.weights) * math.sqrt(generations)
        assert abs(ratio / factor - 1) < 4 * se, (column, ratio, factor)


def test_no_shuffle_keeps_the_between_partition_structure(client, tmp_path) -> None:
    """Parts that follow the data (sorted by a): vanilla shrinks only the within-part
    variance, so Var_g = B + rho^g W (docs/theory.md, "Tables in parts"), well above rho^g Var_0."""
    real = make_table().sort_values("a", ignore_index=True)
    parts = 4
    source = write_files(real, tmp_path / "sorted", parts)
    options = SynthesisOptions(method=Method.VANILLA, weights=parse_weights("beta:0.2,0.2"))
    rho, generations = options.weights.theory().rho, 2
    results = run_job(
        client, source, tmp_path / "out", options=options, generations=generations, shuffle=False
    )
    assert results[-1].partitions == parts
    last = pd.read_parquet(tmp_path / "out")
    a = real["a"].to_numpy()
    pieces = np.array_split(a, parts)
    within = sum(len(p) * p.var() for p in pieces) / len(a)
    between = a.var() - within
    # Each part of m rows mixed with balanced anchors: its variance shrinks by
    # ((m - 1) rho + kappa^2) / m a generation, kappa = E[max(lam, 1 - lam)] (scipy).
    lam = options.weights.frozen().rvs(size=10**6, random_state=0)
    kappa, m = np.maximum(lam, 1 - lam).mean(), len(a) / parts
    factor = ((m - 1) * rho + kappa**2) / m
    predicted = (between + factor**generations * within) / a.var()
    ratio = last["a"].var(ddof=0) / a.var()
    spread = variance_ratio_se(pieces[0], options.weights) * math.sqrt(generations / parts)
    se = spread * within / a.var()
    assert abs(ratio - predicted) < 4.5 * se, (ratio, predicted, se)
    assert ratio - rho**generations > 0.2  # far from the in-memory collapse


def test_generations_rows_by_and_bounds(client, dataset, tmp_path) -> None:
    real, source = dataset
    options = SynthesisOptions(rows=5_000, by=("s",), bounds=Bounds.CLIP)
    results = run_job(
        client, source, tmp_path / "out", options=options, generations=2, partition_rows=2_000
    )
    assert [r.rows for r in results] == [5_000, 5_000]
    out = pd.read_parquet(tmp_path / "out")
    assert len(out) == 5_000
    for column in ("a", "b", "c"):  # clipped into the input's range
        assert out[column].between(real[column].min(), real[column].max()).all()
    assert set(out["s"]) <= set(real["s"])


def test_by_mixes_only_inside_groups(client, tmp_path) -> None:
    rng = np.random.default_rng(1)
    rows = 4_000
    group = rng.choice(["low", "high"], rows)
    frame = pd.DataFrame({"g": group, "v": np.where(group == "low", 0.0, 100.0) + rng.random(rows)})
    source = write_files(frame, tmp_path / "in", 2)
    run_job(client, source, tmp_path / "out", options=SynthesisOptions(by=("g",)))
    out = pd.read_parquet(tmp_path / "out")
    # EpBeta's support [-0.05, 1.05] moves values at most 5% of a pair's distance out.
    assert (out.loc[out["g"] == "low", "v"] < 2).all()
    assert (out.loc[out["g"] == "high", "v"] > 98).all()


# ---------------------------------------------------------------------------
# Reproducibility


def test_byte_identical_with_one_and_two_workers(client, dataset, tmp_path) -> None:
    _, source = dataset
    settings = {"generations": 2, "partition_rows": 4_000}
    run_job(client, source, tmp_path / "two", **settings)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as single,
    ):
        run_job(single, source, tmp_path / "one", **settings)
    files = sorted(p.name for p in (tmp_path / "two").iterdir())
    assert len(files) == 5 and files == sorted(p.name for p in (tmp_path / "one").iterdir())
    for name in files:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    run_job(client, source, tmp_path / "other", seed=4, **settings)
    assert (tmp_path / "other" / files[0]).read_bytes() != (
        tmp_path / "one" / files[0]
    ).read_bytes()


def test_whole_reference_equals_the_in_memory_reference() -> None:
    """Missing counts, datetime offsets and ranges merged over parts equal Reference.of
    on the whole table (integers and timestamps exactly)."""
    rng = np.random.default_rng(2)
    rows = 3_000
    times = pd.Series(
        pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**9, rows), "s")
    )
    times[:1500] = pd.NaT  # the first part has no observed time: the offset is the next's
    frame = pd.DataFrame(
        {
            "t": times,
            "i": pd.array(rng.integers(-(2**40), 2**40, rows), dtype="Int64"),
            "f": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(size=rows)),
            "s": rng.choice(["p", "q"], rows),
        }
    )
    frame.loc[5, "i"] = pd.NA
    options = SynthesisOptions()
    summaries = [
        summarize_part(frame.iloc[piece], options) for piece in np.array_split(np.arange(rows), 3)
    ]
    merged = whole_reference(summaries, "t")
    expected = Reference.of(pa.Table.from_pandas(frame, preserve_index=False), options)
    assert (merged.schema, merged.encodings, merged.ranges) == (
        expected.schema,
        expected.encodings,
        expected.ranges,
    )
    for name, meaning in expected.semantics.columns.items():  # reasons quote counts
        assert merged.semantics[name].with_(reason="") == meaning.with_(reason="")


def test_merge_tiny_partitions() -> None:
    assert merge_tiny([100, 100, 400, 600, 0, 50]) == [[0, 1, 2], [3, 5]]
    assert merge_tiny([10, 20]) == [[0, 1]]
    assert merge_tiny([MIN_PARTITION_ROWS] * 3) == [[0], [1], [2]]


def test_tiny_files_are_merged_before_mixing(client, tmp_path) -> None:
    frame = make_table(2_000)
    source = write_files(frame, tmp_path / "tiny", 20)  # 100 rows a file
    results = run_job(client, source, tmp_path / "out", shuffle=False)
    sizes = [pq.read_metadata(p).num_rows for p in sorted((tmp_path / "out").iterdir())]
    assert sum(sizes) == 2_000 and min(sizes) >= MIN_PARTITION_ROWS
    assert results[0].partitions == len(sizes) <= 4


# ---------------------------------------------------------------------------
# compare --engine dask


def with_holes(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Missing values and a timestamp column, for the pairwise-complete moments."""
    rng = np.random.default_rng(seed)
    frame = frame.copy()
    frame.loc[rng.random(len(frame)) < 0.1, "a"] = np.nan
    frame.loc[rng.random(len(frame)) < 0.05, "c"] = np.nan
    hours = rng.normal(size=len(frame)) + frame["c"].fillna(0)
    frame["t"] = pd.to_datetime("2021-01-01") + pd.to_timedelta(hours * 3600, "s").round("s")
    return frame


def assert_close(dask: object, memory: object, path: str = "") -> None:
    """The same report, up to floating-point rounding of the merged moments."""
    if isinstance(memory, dict):
        assert set(dask) >= set(memory), path
        for key in memory:
            assert_close(dask[key], memory[key], f"{path}.{key}")
    elif isinstance(memory, list):
        assert len(dask) == len(memory), path
        for i, (d, m) in enumerate(zip(dask, memory, strict=True)):
            assert_close(d, m, f"{path}[{i}]")
    elif isinstance(memory, float):
        assert dask == pytest.approx(memory, rel=1e-9, abs=1e-12), path
    else:
        assert dask == memory, path


def test_compare_equals_the_in_memory_compare(client, tmp_path) -> None:
    """With a sample as large as the tables, every figure equals the in-memory report;
    with a small one, the exact figures still do."""
    real = with_holes(make_table(3_000, seed=5), 6)
    synthetic = with_holes(make_table(2_500, seed=7), 8)
    real_path = write_files(real, tmp_path / "real", 3)
    synth_path = write_files(synthetic, tmp_path / "synth", 2)
    memory = compare_tables(real, synthetic, target="c", sample_rows=3_000, seed=1)
    whole = compare_dask(
        client, str(real_path), str(synth_path), target="c", sample_rows=3_000, seed=1
    )
    assert whole.pop("sampling")["sample_rows"] == {"real": 3_000, "synthetic": 2_500}
    assert_close(whole, memory)
    sampled = compare_dask(client, str(real_path), str(synth_path), sample_rows=500, seed=1)
    assert sampled["sampling"]["sample_rows"] == {"real": 500, "synthetic": 500}
    assert sampled["rows"] == memory["rows"]
    assert_close(sampled["pairs"]["correlation"], memory["pairs"]["correlation"])
    for figure in ("covariance_norm_ratio", "covariance_log_det_ratio"):
        assert sampled["pairs"][figure] == pytest.approx(memory["pairs"][figure], rel=1e-9)
    for name in ("a", "b", "c", "k", "t"):
        for figure in ("variance_ratio", "mean_diff_std", "missing_rate_diff"):
            assert sampled["columns"][name][figure] == pytest.approx(
                memory["columns"][name][figure], rel=1e-9, abs=1e-12
            )
        for side in ("real", "synthetic"):
            for figure in ("count", "mean", "std", "min", "max", "missing_rate"):
                assert sampled["columns"][name][side][figure] == pytest.approx(
                    memory["columns"][name][side][figure], rel=1e-9
                )
        # Sampled shapes: within the stated sampling error of the whole-table KS.
        ks_error = sampled["sampling"]["ks_critical_95"]
        assert (
            abs(sampled["columns"][name]["ks_statistic"] - memory["columns"][name]["ks_statistic"])
            < 2 * ks_error
        )


# ---------------------------------------------------------------------------
# The command line


def test_cli_generate_out_dir_and_output(client, dataset, tmp_path, run_cli) -> None:
    _, source = dataset
    address = client.scheduler.address
    args = ["generate", source, "--engine", "dask", "--scheduler", address, "--seed", "1"]
    result = run_cli(*args, "--out-dir", tmp_path / "runs", "-g", "2", "-o", tmp_path / "last")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["gen-001", "gen-002"]
    last = sorted((tmp_path / "last").iterdir())
    assert [p.read_bytes() for p in last] == [
        p.read_bytes() for p in sorted((tmp_path / "runs" / "gen-002").iterdir())
    ]
    again = run_cli(*args, "-o", tmp_path / "last")
    assert again.exit_code == 2 and "already exists" in again.stderr
    forced = run_cli(*args, "-o", tmp_path / "last", "--force", "-q")
    assert forced.exit_code == 0 and forced.stderr == ""
    # A glob of CSV files, output to a dataset folder.
    csv_folder = tmp_path / "csv"
    csv_folder.mkdir()
    table = make_table(1_200)
    for i, rows in enumerate(np.array_split(np.arange(len(table)), 2)):
        table.iloc[rows].to_csv(csv_folder / f"p{i}.csv", index=False)
    from_csv = run_cli(
        "generate",
        f"{csv_folder}/*.csv",
        "--engine",
        "dask",
        "--scheduler",
        address,
        "-o",
        tmp_path / "from_csv",
        "--seed",
        "2",
    )
    assert from_csv.exit_code == 0, from_csv.stderr
    assert len(pd.read_parquet(tmp_path / "from_csv")) == 1_200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--report", "r.json"], "--report cannot be used with --engine dask"),
        (["--out-dir", "runs", "--resume"], "--resume cannot be used with --engine dask"),
        (["--format", "csv"], "--format csv cannot be used with --engine dask"),
        (["-o", "-"], "-o - cannot be used with --engine dask"),
        (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--workers and --memory-limit"),
        (["--scheduler", "localhost"], "is not an address"),
        (["--memory-limit", "lots"], "cannot use --memory-limit"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--partition-rows", "10"], "--partition-rows must be at least"),
        (["--generations", "0"], "--generations must be at least 1"),
        (["--method", "vanilla", "--weights", "epbeta:4,1,0.3,0.3"], "--method vanilla"),
    ],
)
def test_cli_refusals(dataset, tmp_path, run_cli, monkeypatch, args, message) -> None:
    """Each refused before any work: exit 2, one line on stderr, nothing written."""
    _, source = dataset
    monkeypatch.chdir(tmp_path)
    base = ["generate", source, "--engine", "dask", "--seed", "1"]
    if "-o" not in args and "--out-dir" not in args:
        base += ["-o", "out"]
    result = run_cli(*base, *args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_refusals_of_inputs_and_engine(dataset, tmp_path, run_cli) -> None:
    _, source = dataset
    stdin = run_cli("generate", "-", "--engine", "dask", "-o", tmp_path / "o")
    assert stdin.exit_code == 2 and "cannot read stdin" in stdin.stderr
    nothing = run_cli(
        "generate", tmp_path / "none*.parquet", "--engine", "dask", "-o", tmp_path / "o"
    )
    assert nothing.exit_code == 2 and "matches no file" in nothing.stderr
    inside = run_cli("generate", source, "--engine", "dask", "-o", source / "out")
    assert inside.exit_code == 2 and "overlaps the input" in inside.stderr
    for option in (["--no-shuffle"], ["--workers", "2"], ["--scheduler", "tcp://h:1"]):
        memory = run_cli("generate", source / "part00.parquet", "-o", tmp_path / "o.csv", *option)
        assert memory.exit_code == 2 and "needs --engine dask" in memory.stderr
    compare = run_cli(
        "compare", source / "part00.parquet", source / "part01.parquet", "--dashboard"
    )
    assert compare.exit_code == 2 and "needs --engine dask" in compare.stderr
    assert not list(tmp_path.iterdir())


def test_cli_compare_dask(client, dataset, tmp_path, run_cli) -> None:
    real, source = dataset
    synth = write_files(make_table(seed=9), tmp_path / "synth", 2)
    result = run_cli(
        "compare",
        source,
        synth,
        "--engine",
        "dask",
        "--scheduler",
        client.scheduler.address,
        "--json",
        tmp_path / "r.json",
        "--sample-rows",
        "2000",
        "--max-variance-drift",
        "0.5",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["rows"] == {"real": ROWS, "synthetic": ROWS}
    assert report["sampling"]["sample_rows"] == {"real": 2000, "synthetic": 2000}
    assert report["columns"]["a"]["real"]["mean"] == pytest.approx(real["a"].mean(), rel=1e-9)


def test_dask_is_imported_only_by_the_dask_engine() -> None:
    probe = "import sys, mixsynth.cli, mixsynth.jobs.generate; print('dask' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# ---------------------------------------------------------------------------
# Real processes: a scheduler and workers (`dask scheduler`, `dask worker`) on 127.0.0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_real_scheduler_and_workers(tmp_path) -> None:
    source = write_files(make_table(3_000), tmp_path / "in", 3)
    bin_dir = Path(sys.executable).parent
    address = f"tcp://127.0.0.1:{free_port()}"
    started = [
        subprocess.Popen(
            [
                bin_dir / "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                address.rsplit(":", 1)[1],
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        started.append(
            subprocess.Popen(
                [
                    bin_dir / "dask",
                    "worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--memory-limit",
                    "1GiB",
                    "--local-directory",
                    tmp_path / "w",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        with Client(address, timeout="60s") as watcher:
            watcher.wait_for_workers(2, timeout=120)
        mixsynth = [str(bin_dir / "mixsynth")]
        common = ["--engine", "dask", "--scheduler", address]
        generate = subprocess.run(
            [
                *mixsynth,
                "generate",
                str(source),
                *common,
                "-o",
                str(tmp_path / "out"),
                "--seed",
                "4",
                "--partition-rows",
                "1000",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert generate.returncode == 0, generate.stderr
        assert generate.stderr == ""  # no TTY: no progress bar
        compare = subprocess.run(
            [
                *mixsynth,
                "compare",
                str(source),
                str(tmp_path / "out"),
                *common,
                "--json",
                str(tmp_path / "r.json"),
                "--max-variance-drift",
                "0.1",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert compare.returncode == 0, compare.stderr
    finally:
        for process in reversed(started):
            process.terminate()
        deadline = time.monotonic() + 30
        for process in reversed(started):
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert len(pd.read_parquet(tmp_path / "out")) == 3_000
    assert len(list((tmp_path / "out").iterdir())) == 3
    shutil.rmtree(tmp_path / "w", ignore_errors=True)


# ---------------------------------------------------------------------------
# Column semantics under Dask


def customers_in_files(folder: Path, parts: int) -> pd.DataFrame:
    """sample_data/customers.csv cut into ``parts`` CSV files (a zip code with leading
    zeros in some files only); returns the whole table."""
    real = pd.read_csv(SAMPLE_DATA / "customers.csv", dtype={"zip_code": str})
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(real)), parts)):
        real.iloc[rows].to_csv(folder / f"part{i}.csv", index=False)
    return real


def test_semantics_mean_the_same_as_in_memory(client, tmp_path, run_cli) -> None:
    """customers.csv in two files, with --keep-pii: the point mass, the decimals, the
    text zip codes and the dates are kept as in memory, personal data copied."""
    real = customers_in_files(tmp_path / "customers", 2)
    args = ["generate", f"{tmp_path}/customers/*.csv", "--engine", "dask", "--seed", "1"]
    args += ["--scheduler", client.scheduler.address, "-o", tmp_path / "out"]
    kept = run_cli(*args, "--keep-pii")
    assert kept.exit_code == 0, kept.stderr
    out = pd.read_parquet(tmp_path / "out")
    assert len(out) == len(real)
    # Balanced anchors and the mass taken from the dominant donor: the share is exact.
    assert (out["monthly_spend"] == 0).sum() == (real["monthly_spend"] == 0).sum()
    cents = out["monthly_spend"] * 100
    assert np.allclose(cents, cents.round(), atol=1e-6)  # the input's two decimals
    assert out["zip_code"].str.len().eq(5).all() and out["zip_code"].str.startswith("0").any()
    assert str(pq.read_schema(next((tmp_path / "out").iterdir())).field("signup_date").type) == (
        "date32[day]"
    )
    assert set(out["email"]) <= set(real["email"])  # copied from donors, as asked


def test_keys_and_personal_data_are_made_up_across_partitions(client, tmp_path, run_cli) -> None:
    """customers.csv in four files, shuffled into four partitions: fresh integer keys
    count up from the power of ten above the real maximum without a gap or a repeat, fresh text keys keep
    the AC-nnnnn shape, are all distinct and none real; no real name, email or phone
    number appears; the same bytes with one worker."""
    real = customers_in_files(tmp_path / "customers", 4)
    args = ["generate", f"{tmp_path}/customers/*.csv", "--engine", "dask", "--seed", "1"]
    args += ["--partition-rows", "500", "--force"]
    made = run_cli(*args, "--scheduler", client.scheduler.address, "-o", tmp_path / "out")
    assert made.exit_code == 0, made.stderr
    assert "made up, never copied from real rows: customer_id (fresh keys)" in made.stderr
    assert len(list((tmp_path / "out").iterdir())) == 4
    out = pd.read_parquet(tmp_path / "out")
    assert len(out) == len(real)
    start = 10 ** len(str(real["customer_id"].max()))
    assert sorted(out["customer_id"]) == list(range(start, start + len(real)))
    codes = out["account_code"]
    assert codes.is_unique and not codes.isin(real["account_code"]).any()
    assert codes.str.fullmatch(r"AC-\d{5}").all()
    for column in ("full_name", "email", "phone"):
        assert out[column].notna().all()
        assert not out[column].isin(real[column]).any(), column
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as single,
    ):
        again = run_cli(*args, "--scheduler", single.scheduler.address, "-o", tmp_path / "one")
    assert again.exit_code == 0, again.stderr
    for part in sorted((tmp_path / "out").iterdir()):
        assert part.read_bytes() == (tmp_path / "one" / part.name).read_bytes()


@pytest.mark.parametrize("kind", ["integers", "text", "dense text", "uuid", "long text"])
def test_key_shares_are_disjoint(kind) -> None:
    """Fresh keys made partition by partition (KeyShare) never meet: integers follow
    each other, text keys and UUIDs fall in disjoint classes, even when the shape is
    nearly full (dense) or must be lengthened, or too large to rank (long text)."""
    rng = np.random.default_rng(5)
    real = {
        "integers": np.arange(10, 1_000, dtype=np.int64),
        "text": np.array([f"K-{i:05d}" for i in rng.choice(100_000, 3_000, replace=False)]),
        "dense text": np.array([f"Z{i:03d}" for i in range(900)]),  # 100 spellings left
        "uuid": np.array([str(u) for u in fresh_ids(np.array([UUID]), 500, rng)]),
        "long text": np.array(["".join(rng.choice(list("abcdefgh"), 24)) for _ in range(200)]),
    }[kind].astype(object if kind != "integers" else np.int64)
    sizes = [300, 0, 250, 400]
    before = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    made = [
        fresh_ids(real, n, np.random.default_rng(k), KeyShare(k, len(sizes), int(b), max(sizes)))
        for k, (n, b) in enumerate(zip(sizes, before, strict=True))
    ]
    union = np.concatenate(made)
    assert len(union) == sum(sizes) and len(set(union.tolist())) == len(union)
    assert not set(union.tolist()) & set(real.tolist())
    if kind == "integers":
        assert sorted(union.tolist()) == list(range(1_000, 1_000 + sum(sizes)))
    # Random keys rarely collide anyway: their classes show that they cannot.
    classes = {
        "uuid": lambda key: int(key[:8], 16) % len(sizes),
        "long text": lambda key: zlib.crc32(key.encode()) % len(sizes),
    }.get(kind)
    if classes is not None:
        for k, keys in enumerate(made):
            assert {classes(key) for key in keys} <= {k}


UUID = "6f1c2a3e-1b2c-4d5e-8f90-123456789abc"


def test_match_moments_per_partition_matches_the_whole_table(client, tmp_path) -> None:
    """docs/theory.md ("Tables in parts") and the law of total covariance: each partition's mean and covariance
    matched to its own source's, with output partitions as large as the input ones,
    give the whole table's mean vector and covariance exactly (up to rounding)."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(6_000, 3)) @ MIXING
    x[:3_000] += [5.0, -2.0, 1.0]  # partitions that differ: the between part matters
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    source = write_files(frame, tmp_path / "data", 3)
    options = SynthesisOptions(match_moments=True, bounds=Bounds.NONE)
    for shuffle in (True, False):
        out = tmp_path / f"out-{shuffle}"
        run_job(client, source, out, options=options, shuffle=shuffle, partition_rows=1_000)
        synthetic = pd.read_parquet(out).to_numpy()
        assert np.allclose(synthetic.mean(axis=0), x.mean(axis=0), rtol=0, atol=1e-9)
        assert np.allclose(np.cov(synthetic.T), np.cov(x.T), rtol=1e-9, atol=1e-9)
    # Without the matching the covariance is only kept within sampling error.
    run_job(client, source, tmp_path / "plain", partition_rows=1_000)
    plain = pd.read_parquet(tmp_path / "plain").to_numpy()
    assert not np.allclose(np.cov(plain.T), np.cov(x.T), rtol=1e-6, atol=1e-6)


def test_match_shapes_per_partition_keeps_the_whole_tables_values(client, tmp_path) -> None:
    """Each output partition takes its source partition's values (as many rows), so the
    whole output holds the whole input's values, with and without the shuffle."""
    rng = np.random.default_rng(9)
    x = rng.gamma(2.0, size=(6_000, 3)) @ MIXING
    x[:3_000] += [5.0, -2.0, 1.0]
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    source = write_files(frame, tmp_path / "data", 3)
    options = SynthesisOptions(match_shapes=True, round_decimals=False)
    for shuffle in (True, False):
        out = tmp_path / f"out-{shuffle}"
        run_job(client, source, out, options=options, shuffle=shuffle, partition_rows=1_000)
        synthetic = pd.read_parquet(out)
        for name in frame:
            np.testing.assert_array_equal(np.sort(synthetic[name]), np.sort(frame[name]))


def test_keep_associations_is_refused_before_any_work(tmp_path) -> None:
    source = write_files(make_table(1_000), tmp_path / "data", 2)
    job = DaskGenerateJob(
        input=str(source),
        output=str(tmp_path / "out"),
        options=SynthesisOptions(keep_associations=True),
    )
    with pytest.raises(MixsynthError, match="cannot keep associations"):
        job.check()
    assert not (tmp_path / "out").exists()


def test_partitions_that_disagree_on_a_column_are_refused() -> None:
    rng = np.random.default_rng(3)
    flags = pd.DataFrame({"v": rng.integers(0, 2, 1000), "x": rng.normal(size=1000)})
    counts = pd.DataFrame({"v": rng.integers(0, 500, 1000), "x": rng.normal(size=1000)})
    options = SynthesisOptions()
    summaries = [summarize_part(flags, options), summarize_part(counts, options)]
    with pytest.raises(MixsynthError, match="disagree on what column 'v' means"):
        whole_reference(summaries, "mixed.parquet")
    plain = SynthesisOptions(semantics=False)  # storage types only: both integers
    merged = whole_reference([summarize_part(f, plain) for f in (flags, counts)], "m")
    assert merged.ranges["v"] == (0.0, float(counts["v"].max()))


def test_files_of_different_tables_are_refused(client, tmp_path, run_cli) -> None:
    """Found by the workers: the error travels back whole, nothing is written."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    make_table(600).to_csv(folder / "a.csv", index=False)
    make_table(600).drop(columns="c").to_csv(folder / "b.csv", index=False)
    result = run_cli(
        "generate", f"{folder}/*.csv", "--engine", "dask", "--scheduler",
        client.scheduler.address, "-o", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "do not all have the same columns" in result.stderr
    assert "(give files of one table)" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(importlib.util.find_spec("bokeh") is not None, reason="bokeh is installed")
def test_dashboard_without_bokeh_is_refused(dataset, tmp_path, run_cli) -> None:
    _, source = dataset
    result = run_cli("generate", source, "--engine", "dask", "-o", tmp_path / "o", "--dashboard")
    assert result.exit_code == 2 and "--dashboard needs the bokeh package" in result.stderr


def test_rules_every_partition_holds_are_kept(client, tmp_path, run_cli) -> None:
    """Orders, a sum and a tax to the cent, over three files: every synthetic row keeps
    them after 3 generations (docs/rules.md)."""
    from mixsynth.rules import RuleData
    from tests.unit.rules.tables import orders

    folder = tmp_path / "orders"
    folder.mkdir()
    for part in range(3):
        pq.write_table(pa.Table.from_pandas(orders(700, seed=part)), folder / f"p{part}.parquet")
    address = client.scheduler.address
    result = run_cli(
        "generate", folder, "--engine", "dask", "--scheduler", address, "--seed", "4",
        "-g", "3", "-o", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    real = pd.concat(pd.read_parquet(p) for p in sorted(folder.iterdir()))
    synthetic = pd.read_parquet(tmp_path / "out")
    with_rules = Reference.of(real).rules
    assert {r.kind for r in with_rules} >= {"order", "equality"}
    data = RuleData(synthetic)
    for rule in with_rules:
        assert data.holds(rule).all(), rule.describe()


@pytest.mark.slow
@pytest.mark.parametrize("lost", ["scheduler", "workers"])
def test_losing_the_cluster_mid_run_is_one_line(tmp_path, lost: str) -> None:
    """The scheduler, or the last worker (without a nanny to restart it), killed while
    generate runs: one line naming what was lost, exit 2, no output (it was 100 lines
    of Dask's chained tracebacks)."""
    source = write_files(make_table(200_000), tmp_path / "in", 4)
    bin_dir = Path(sys.executable).parent
    address = f"tcp://127.0.0.1:{free_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [
            bin_dir / "dask",
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            address.rsplit(":", 1)[1],
            "--no-dashboard",
        ],
        **quiet,
    )
    worker = subprocess.Popen(
        [
            bin_dir / "dask",
            "worker",
            address,
            "--nthreads",
            "1",
            "--no-dashboard",
            "--no-nanny",
            "--local-directory",
            tmp_path / "w",
        ],
        **quiet,
    )
    try:
        with Client(address, timeout="60s") as watcher:
            watcher.wait_for_workers(1, timeout=120)
        run = subprocess.Popen(
            [
                bin_dir / "mixsynth",
                "generate",
                source,
                "--engine",
                "dask",
                "--scheduler",
                address,
                "-o",
                tmp_path / "out",
                "--seed",
                "1",
                "-g",
                "200",
                "--partition-rows",
                "2000",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(8)  # 200 generations of 100 partitions: minutes of work
        assert run.poll() is None, run.communicate()
        (scheduler if lost == "scheduler" else worker).kill()
        _, stderr = run.communicate(timeout=180)
    finally:
        for process in (worker, scheduler):
            process.kill()
            process.wait()
    assert run.returncode == 2, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: lost the Dask {lost}"), stderr
    assert address in lines[0]
    assert not (tmp_path / "out").exists()


def _sleep_and_return(value: int) -> int:
    time.sleep(2)
    return value


def test_a_run_with_no_worker_left_gives_up_after_the_grace(monkeypatch) -> None:
    """Every worker gone mid-run (retired, not crashed: no task fails): Dask would keep
    the tasks for a worker forever; the tracker gives up after the grace, as workers lost."""
    import threading

    from dask import delayed

    from mixsynth.engine.dask import tasks

    monkeypatch.setattr(tasks, "NO_WORKER_GRACE", 1.0)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(1, timeout=60)
        threading.Timer(0.5, cluster.scale, (0,)).start()
        start = time.monotonic()
        with pytest.raises(tasks.ClusterLost, match="no worker left for 1 s") as lost:
            tasks.Tracker(lambda done, total: None).run(
                client, [delayed(_sleep_and_return)(i) for i in range(4)]
            )
        assert not lost.value.scheduler
        assert time.monotonic() - start < 30


def test_copied_columns_from_near_rows_per_partition(client, tmp_path) -> None:
    """copy_neighbours works per partition: each copied column keeps the input's counts,
    and a row keeps its donor's three independent codes (4 values each, as the default
    output of the same seed has them) by chance only, 1/64 of rows (4.5 binomial SEs)."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"x": rng.normal(size=6_000)})
    for name in ("p", "q", "r"):
        frame[name] = rng.choice(list("abcd"), 6_000)
    source = write_files(frame, tmp_path / "data", 3)
    outputs = {}
    for k in (0, 5):
        run_job(client, source, tmp_path / f"out-{k}", options=SynthesisOptions(copy_neighbours=k))
        outputs[k] = pd.read_parquet(tmp_path / f"out-{k}")
    for name in ("p", "q", "r"):
        assert outputs[5][name].value_counts().to_dict() == frame[name].value_counts().to_dict()
    np.testing.assert_array_equal(outputs[0]["x"], outputs[5]["x"])  # the same pairs
    kept = (outputs[0][["p", "q", "r"]] == outputs[5][["p", "q", "r"]]).all(axis=1).mean()
    assert abs(kept - 1 / 64) < 4.5 * np.sqrt(1 / 64 * 63 / 64 / len(frame))


def test_four_donors_per_partition_keep_the_whole_tables_moments(client, dataset, tmp_path) -> None:
    """--donors 4 mixes inside each partition (theory: tables in parts): the whole
    table's means and variances kept (normal columns: a mixed row is normal, so the
    sample variance's relative standard error is sqrt(2 / n)), the four donors of a row
    from its partition."""
    frame, source = dataset
    run_job(client, source, tmp_path / "out", options=SynthesisOptions(donors=4))
    out = pd.read_parquet(tmp_path / "out")
    assert len(out) == len(frame)
    for name in ("a", "b", "c"):
        se = math.sqrt(2 / len(frame))
        assert abs(out[name].var() / frame[name].var() - 1) < 4.5 * se, name
        mean_se = frame[name].std() / math.sqrt(len(frame))
        assert abs(out[name].mean() - frame[name].mean()) < 4.5 * mean_se
