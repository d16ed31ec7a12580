"""Columns near float64's limits: moment matching works on them (its squares of 1e300
overflowed, and the whole column came out missing) and no numpy warning reaches stderr."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixsynth.engine.moments import match_moments

ROWS = 400


def huge_table() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    tiny = rng.normal(0, 1e-300, ROWS)
    return pd.DataFrame(
        {"huge": rng.normal(0, 1e300, ROWS), "plain": rng.normal(size=ROWS), "tiny": tiny}
    )


def test_match_moments_scales_huge_columns_instead_of_overflowing() -> None:
    source = huge_table()
    rng = np.random.default_rng(6)
    sources = {name: source[name].to_numpy() for name in source}
    outputs = {name: values[rng.integers(0, ROWS, ROWS)] * 0.9 for name, values in sources.items()}
    with np.errstate(all="raise"):  # any overflow or invalid operation is a failure
        match_moments(sources, outputs)
    for name in sources:
        assert np.isfinite(outputs[name]).all(), name
        unit = np.abs(sources[name]).max()  # numpy's own moments of 1e300 overflow
        real, synthetic = sources[name] / unit, outputs[name] / unit
        assert synthetic.mean() == pytest.approx(real.mean(), rel=1e-9, abs=1e-12)
        assert synthetic.std(ddof=1) / real.std(ddof=1) == pytest.approx(1, rel=1e-9)
    plain = np.corrcoef(outputs["huge"] / 1e300, outputs["plain"])[0, 1]
    assert plain == pytest.approx(np.corrcoef(sources["huge"] / 1e300, sources["plain"])[0, 1])


@pytest.mark.parametrize("options", [[], ["--match-moments"], ["--match-shapes"]])
def test_generate_near_the_float_limits_is_quiet_and_complete(
    run_cli, tmp_path: Path, options: list[str]
) -> None:
    source, out = tmp_path / "huge.csv", tmp_path / "out.csv"
    huge_table().to_csv(source, index=False)
    result = run_cli("generate", source, "-o", out, "--seed", "3", "-q", *options)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    synthetic = pd.read_csv(out)
    assert synthetic.notna().all().all(), synthetic.isna().sum()
    if options == ["--match-moments"]:
        for name in synthetic:
            real = huge_table()[name]
            unit = real.abs().max()
            ratio = (synthetic[name] / unit).std() / (real / unit).std()
            assert ratio == pytest.approx(1, rel=1e-6), name
