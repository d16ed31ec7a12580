"""``mixsynth generate`` end to end: the theory through the CLI, files, pipes, errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mixsynth.choices import Bounds, Method
from mixsynth.engine.memory import run_generations
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import sample_variance_factor, vanilla_default
from tests.conftest import SAMPLE_DATA
from tests.oracles.mixup import simulate, simulate_variance_ratios

SEEDS = range(10)
GENERATIONS = 5


def read(path) -> pd.DataFrame:
    return pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path)


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    return list(frame.select_dtypes("number").columns)


def run_seeds(run_cli, tmp_path, source, method: str, *options) -> list[pd.DataFrame]:
    outputs = []
    for seed in SEEDS:
        out = tmp_path / f"{method}-{seed}{source.suffix}"
        result = run_cli(
            "generate",
            source,
            "-o",
            out,
            "--method",
            method,
            "-g",
            GENERATIONS,
            "--seed",
            seed,
            *options,
        )
        assert result.exit_code == 0, result.stderr
        outputs.append(read(out))
    return outputs


def within_standard_error(values: np.ndarray, expected: float, spread: float) -> bool:
    """Mean over the seeds within 4.5 standard errors, ``spread`` the standard deviation
    of one seed's figure from an independent simulation (never the seeds' own spread)."""
    return abs(values.mean() - expected) < 4.5 * spread / np.sqrt(len(values))


def method_weights(method: str, n: int):
    options = SynthesisOptions(method=Method(method))
    return options.weights_for(n, n)


@pytest.mark.parametrize("name", ["penguins.csv", "wine.parquet"])
def test_generations_follow_the_theory(run_cli, tmp_path, name: str) -> None:
    """Variance ratio after 5 generations: rho^5 for vanilla, 1 for generalized;
    correlations kept by both. This is the theory of plain mixup, so values may leave
    the range (--bounds none): folding them back bends a few pairs' correlations by a
    few hundredths over 5 generations (docs/semantics.md), which this test would see.
    The spread of each figure comes from 2,000 runs of the documented process in numpy
    on the same source column or pair (tests.oracles.mixup)."""
    source = SAMPLE_DATA / name
    real = read(source)
    columns = numeric_columns(real)
    n = len(real)
    vanilla = vanilla_default().theory()
    expected = {
        "vanilla": sample_variance_factor(vanilla, n, n, balanced=True) ** GENERATIONS,
        "generalized": 1.0,
    }
    for method, target in expected.items():
        # Rounding adds noise of up to 1/4 unit^2 per generation: compensated in the
        # variance, it still scales the column's covariances by sqrt(1 - noise/Var)
        # per generation and sets a floor under its variance (README "Integer
        # columns"). Over 5 generations that is measurable unless the variance is
        # large: integer columns expected below 25 unit^2 (penguins' year, 3 values)
        # are left out of both checks; tests/unit/engine checks their mean and variance.
        kept = [
            c
            for c in columns
            if not (pd.api.types.is_integer_dtype(real[c]) and real[c].var() * target < 25)
        ]
        outputs = run_seeds(run_cli, tmp_path, source, method, "--bounds", "none")
        spread_ratio, spread_corr = walk_spreads(method_weights(method, n), real[kept])
        ratios = np.array([(o[kept].var() / real[kept].var()).to_numpy() for o in outputs])
        for k, column in enumerate(kept):
            assert within_standard_error(ratios[:, k], target, spread_ratio[k]), (method, column)
        real_corr = real[kept].corr().to_numpy()
        for i, j in zip(*np.triu_indices(len(kept), 1), strict=True):
            diffs = np.array([o[kept].corr().to_numpy()[i, j] - real_corr[i, j] for o in outputs])
            assert within_standard_error(diffs, 0.0, spread_corr[i, j]), (method, i, j)


def walk_spreads(weights, real: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviations of each column's variance ratio and each pair's correlation
    change after GENERATIONS, over 1,000 runs of the documented process in numpy on the
    table's complete rows (tests.oracles.mixup)."""
    table = real.dropna().to_numpy(dtype=float)
    start = np.broadcast_to(table[None], (1000, *table.shape))
    last = simulate(weights, start, balanced=True, generations=GENERATIONS)
    ratios = last.var(axis=1, ddof=1) / table.var(axis=0, ddof=1)
    centred = last - last.mean(axis=1, keepdims=True)
    products = np.einsum("rni,rnj->rij", centred, centred)
    scale = np.sqrt(np.einsum("rii->ri", products))
    changes = products / scale[:, :, None] / scale[:, None, :] - np.corrcoef(table.T)
    return ratios.std(axis=0, ddof=1), changes.std(axis=0, ddof=1)


def test_vanilla_really_collapses_and_generalized_does_not() -> None:
    """Five generations of each method on penguins, three seeds: vanilla's variance
    ratio sits at the theory's factor^5 and more than 4.5 standard errors below 1;
    generalized's at 1 and more than 4.5 standard errors above vanilla's factor^5
    (standard errors from the independent simulation of each method)."""
    real = read(SAMPLE_DATA / "penguins.csv")
    values = real["flipper_length_mm"].dropna().to_numpy()
    n = len(real)
    collapsed = sample_variance_factor(vanilla_default().theory(), n, n, balanced=True) ** 5
    for method, target, other in (("vanilla", collapsed, 1.0), ("generalized", 1.0, collapsed)):
        options = SynthesisOptions(method=Method(method), bounds=Bounds.NONE)
        ratios = []
        for seed in range(3):
            *_, last = run_generations(real, options, 5, seed=seed)
            ratios.append(last.frame["flipper_length_mm"].var() / real["flipper_length_mm"].var())
        spread = simulate_variance_ratios(
            options.weights_for(n, n), len(values), 2000, balanced=True, generations=5,
            source=values,
        ).std(ddof=1)  # fmt: skip
        se = spread / np.sqrt(len(ratios))
        assert abs(np.mean(ratios) - target) < 4.5 * se, (method, ratios, target, se)
        assert abs(np.mean(ratios) - other) > 4.5 * se, (method, ratios, other, se)


@pytest.mark.parametrize("name", ["penguins.csv", "penguins.parquet", "wine.parquet"])
def test_schema_and_missing_rates_are_kept(run_cli, tmp_path, name: str) -> None:
    """Missingness comes from the dominant donor, each real row one row's: the counts
    are kept exactly, with copies kept (``--keep-copies``). By default a row that came
    out equal to a real one (penguins' two rows without a measurement, copied whole)
    takes a value from another row, so a copied column's count moves within its
    binomial spread (three standard errors), and the mixed columns' stay exact."""
    source = SAMPLE_DATA / name
    real = read(source)
    for copies in (["--keep-copies"], []):
        out = tmp_path / f"out{len(copies)}{source.suffix}"
        result = run_cli("generate", source, "-o", out, "-g", 3, "--seed", 1, *copies)
        assert result.exit_code == 0
        synth = read(out)
        assert list(synth.columns) == list(real.columns)
        assert synth.dtypes.equals(real.dtypes)
        found, wanted = synth.isna().sum(), real.isna().sum()
        if copies:
            assert found.equals(wanted)
        else:
            numbers = real.select_dtypes("number").columns
            assert found[numbers].equals(wanted[numbers])
            share = wanted / len(real)
            assert ((found - wanted).abs() <= 3 * np.sqrt(len(real) * share * (1 - share))).all()
        for column in real.select_dtypes(exclude="number").columns:
            assert set(synth[column].dropna()) <= set(real[column].dropna())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_seed_gives_identical_bytes(run_cli, tmp_path, suffix: str) -> None:
    source = SAMPLE_DATA / f"penguins{suffix}"
    outs = [tmp_path / f"a{suffix}", tmp_path / f"b{suffix}", tmp_path / f"c{suffix}"]
    for out, seed in zip(outs, (7, 7, 8), strict=True):
        assert run_cli("generate", source, "-o", out, "-g", 2, "--seed", seed).exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert outs[0].read_bytes() != outs[2].read_bytes()


def test_out_dir_writes_every_generation(run_cli, tmp_path) -> None:
    out_dir, last = tmp_path / "runs", tmp_path / "last.csv"
    source = SAMPLE_DATA / "penguins.csv"
    result = run_cli("generate", source, "--out-dir", out_dir, "-o", last, "-g", 3, "--seed", 2)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out_dir.glob("gen-*")) == [
        "gen-001.csv",
        "gen-002.csv",
        "gen-003.csv",
    ]
    assert (out_dir / "gen-003.csv").read_bytes() == last.read_bytes()
    # Continuing generation 2 for one more generation reproduces generation 3 exactly.
    straight = tmp_path / "straight"
    assert run_cli("generate", source, "--out-dir", straight, "-g", 3, "--seed", 2).exit_code == 0
    assert (straight / "gen-003.csv").read_bytes() == last.read_bytes()


def test_output_format_follows_suffix_or_option(run_cli, tmp_path) -> None:
    source = SAMPLE_DATA / "penguins.csv"
    assert run_cli("generate", source, "-o", tmp_path / "x.parquet", "--seed", 1).exit_code == 0
    assert (tmp_path / "x.parquet").read_bytes()[:4] == b"PAR1"
    result = run_cli("generate", source, "-o", tmp_path / "x.dat", "--format", "parquet")
    assert result.exit_code == 0 and (tmp_path / "x.dat").read_bytes()[:4] == b"PAR1"
    result = run_cli("generate", source, "-o", tmp_path / "y.dat")
    assert result.exit_code == 2 and "--format" in result.stderr
    assert not (tmp_path / "y.dat").exists()


def test_rows_option(run_cli, tmp_path) -> None:
    out = tmp_path / "big.csv"
    source = SAMPLE_DATA / "penguins.csv"
    assert run_cli("generate", source, "-o", out, "--rows", 1000, "--seed", 3).exit_code == 0
    assert len(pd.read_csv(out)) == 1000


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_pipes_stdin_to_stdout() -> None:
    """Nothing but data on stdout, nothing at all on stderr with a seed and no TTY."""
    data = (SAMPLE_DATA / "penguins.csv").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "mixsynth", "generate", "-", "-o", "-", "--seed", "4"],
        input=data,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b"wrote the last generation to stdout\n"  # one line, never stdout
    from io import BytesIO

    synth = pd.read_csv(BytesIO(done.stdout))
    assert list(synth.columns) == list(pd.read_csv(BytesIO(data)).columns)
    assert len(synth) == 344


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path, fmt: str) -> None:
    """`mixsynth generate big.csv -o - | head`: when the reader of stdout goes away, the
    run stops with status 141 (128 + SIGPIPE, see docs/safety.md) and says nothing."""
    rows = 400_000  # several slices, far more than a pipe buffer holds
    source = tmp_path / "big.csv"
    pd.DataFrame({"x": np.arange(rows) * 0.5, "k": np.arange(rows) % 7}).to_csv(source, index=False)
    command = [sys.executable, "-m", "mixsynth", "generate", str(source), "-o", "-"]
    process = subprocess.Popen(
        [*command, "--format", fmt, "--seed", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout.read(100)  # a little, then the reader goes away
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 141
    assert stderr == b""


def test_group_wise_from_the_cli(run_cli, tmp_path) -> None:
    out = tmp_path / "g.csv"
    source = SAMPLE_DATA / "penguins.csv"
    result = run_cli("generate", source, "-o", out, "--by", "species", "--seed", 5, "-g", 3)
    assert result.exit_code == 0, result.stderr
    real, synth = read(source), read(out)
    assert synth["species"].value_counts().equals(real["species"].value_counts())


def bad_input_cases(tmp_path):
    source = SAMPLE_DATA / "penguins.csv"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header = tmp_path / "header.csv"
    header.write_text("a,b\n")
    existing = tmp_path / "existing.csv"
    existing.write_text("keep me\n")
    return {
        "missing file": (
            ["generate", tmp_path / "nope.csv", "-o", tmp_path / "o.csv"],
            "does not exist",
        ),
        "empty file": (["generate", empty, "-o", tmp_path / "o.csv"], "empty"),
        "header only": (["generate", header, "-o", tmp_path / "o.csv"], "no rows"),
        "unknown --by": (["generate", source, "-o", tmp_path / "o.csv", "--by", "nope"], "--by"),
        "bad weights": (["generate", source, "-o", tmp_path / "o.csv", "-w", "beta:-1,2"], "alpha"),
        "conflicting method": (
            [
                "generate",
                source,
                "-o",
                tmp_path / "o.csv",
                "--method",
                "vanilla",
                "-w",
                "epbeta:2,2,0.1,0.1",
            ],
            "vanilla",
        ),
        "bad mix strength": (
            ["generate", source, "-o", tmp_path / "o.csv", "--mix-strength", "1.5"],
            "strength",
        ),
        "zero generations": (
            ["generate", source, "-o", tmp_path / "o.csv", "-g", "0"],
            "generations",
        ),
        "zero rows": (["generate", source, "-o", tmp_path / "o.csv", "--rows", "0"], "rows"),
        "existing output": (["generate", source, "-o", existing], "--force"),
        "no output": (["generate", source], "-o"),
        "output is input": (["generate", source, "-o", source, "--force"], "input"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "empty file",
        "header only",
        "unknown --by",
        "bad weights",
        "conflicting method",
        "bad mix strength",
        "zero generations",
        "zero rows",
        "existing output",
        "no output",
        "output is input",
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, tmp_path, case: str) -> None:
    args, fragment = bad_input_cases(tmp_path)[case]
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    source_bytes = (SAMPLE_DATA / "penguins.csv").read_bytes()
    result = run_cli(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output
    after = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before  # nothing created, nothing changed
    assert (SAMPLE_DATA / "penguins.csv").read_bytes() == source_bytes


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
def test_warnings_are_one_line_after_success_and_quiet_drops_them(tmp_path) -> None:
    """A single-row --by group warns once on stderr; --quiet silences it."""
    source = tmp_path / "groups.csv"
    source.write_text("g,x\na,1.0\na,2.0\nb,3.0\n")
    base = [sys.executable, "-m", "mixsynth", "generate", str(source), "--by", "g", "--seed", "1"]
    loud = subprocess.run([*base, "-o", str(tmp_path / "a.csv")], capture_output=True, text=True)
    assert loud.returncode == 0
    assert loud.stderr.splitlines() == [
        f"wrote the last generation to {str(tmp_path / 'a.csv')!r}",
        "Warning: 1 --by group(s) have a single row; their synthetic rows are copies of it",
    ]
    quiet = subprocess.run(
        [*base, "-o", str(tmp_path / "b.csv"), "--quiet"], capture_output=True, text=True
    )
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_progress_moves_slice_by_slice(tmp_path) -> None:
    """The progress bar hears after every slice of every generation how far the run is:
    increasing, in fractions of a generation, ending at the number of generations."""
    from mixsynth.engine.memory import SLICE_ROWS
    from mixsynth.engine.options import SynthesisOptions
    from mixsynth.jobs.generate import GenerateJob

    source = tmp_path / "big.csv"
    rows = 2 * SLICE_ROWS + 5  # three slices per generation
    pd.DataFrame({"x": np.arange(rows) * 0.5}).to_csv(source, index=False)
    heard: list[float] = []
    job = GenerateJob(
        input=str(source),
        options=SynthesisOptions(),
        generations=2,
        output=str(tmp_path / "out.csv"),
        seed=1,
    )
    job.run(on_progress=heard.append)
    assert len(heard) == 6
    assert heard == sorted(heard) and heard[-1] == 2
    assert heard[0] == pytest.approx(SLICE_ROWS / rows) and heard[2] == 1
