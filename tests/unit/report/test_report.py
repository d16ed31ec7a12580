"""Rendering: JSON equals the library dict, Markdown and terminal text, a self-contained
HTML file that a real browser renders, and the generate report across generations."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tempfile

import pandas as pd
import pytest
from rich.console import Console

from mixsynth.engine.weights import sample_variance_factor, uniform
from mixsynth.metrics import compare_tables
from mixsynth.report import render_terminal, to_html, to_json, to_markdown
from tests.conftest import SAMPLE_DATA
from tests.oracles.mixup import simulate_variance_ratios


@pytest.fixture(scope="module")
def report() -> dict:
    real = pd.read_parquet(SAMPLE_DATA / "penguins.parquet")
    synthetic = real.sample(frac=1, replace=True, random_state=2).reset_index(drop=True)
    synthetic["bill_depth_mm"] *= 1.2
    return compare_tables(real, synthetic, target="species")


@pytest.fixture(scope="module")
def generate_report(tmp_path_factory) -> dict:
    from typer.testing import CliRunner

    from mixsynth.cli import app

    folder = tmp_path_factory.mktemp("generate")
    result = CliRunner().invoke(
        app,
        [
            "generate",
            str(SAMPLE_DATA / "penguins.csv"),
            "-o",
            str(folder / "out.csv"),
            "--method",
            "vanilla",
            "--weights",
            "uniform",
            "-g",
            "4",
            "--seed",
            "3",
            "--report",
            str(folder / "report.json"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    return json.loads((folder / "report.json").read_text())


def test_json_is_the_library_dict(report):
    assert json.loads(to_json(report)) == report


def test_json_reads_one_key_or_one_element_a_line() -> None:
    """The first levels one key a line, lists of objects one element a line, deeper
    values on one line each; what json refuses (NaN) is still refused."""
    report = {
        "rows": {"real": 3},
        "columns": {"x": {"real": {"mean": 1.5, "quantiles": {"p50": 1.0}}, "kind": "é"}},
        "pairs": {"details": [{"columns": ["x", "y"]}, {"columns": ["x", "z"]}], "none": []},
        "matrix": [[1.0, None], [None, 1.0]],
    }
    text = to_json(report)
    assert json.loads(text) == report and text.endswith("}\n")
    lines = text.splitlines()
    assert '  "rows": {' in lines and '    "real": 3' in lines
    assert '      "real": {"mean": 1.5, "quantiles": {"p50": 1.0}},' in lines
    assert '      "kind": "é"' in lines  # not escaped
    assert '      {"columns": ["x", "y"]},' in lines and '    "none": []' in lines
    assert "    [1.0, null]," in lines
    with pytest.raises(ValueError):
        to_json({"x": float("nan")})


def test_markdown_has_the_tables(report):
    text = to_markdown(report)
    assert "## Scores (0-1, SDMetrics QualityReport definitions)" in text
    assert f"| overall | {report['scores']['overall']:.3f} |" in text
    assert "| bill_depth_mm |" in text and "## Utility" in text
    # Every table row has as many cells as its header.
    for block in text.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        cells = {len(re.split(r"(?<!\\)\|", row)) for row in rows}
        assert len(cells) <= 1


def test_terminal_is_plain_text_when_not_a_tty(report):
    buffer = io.StringIO()
    render_terminal(report, Console(file=buffer, width=100))
    text = buffer.getvalue()
    assert "\x1b[" not in text
    assert text.index("Scores") < text.index("Worst columns") < text.index("Numeric columns")
    assert "bill_depth_mm" in text


def test_html_is_self_contained(report):
    page = to_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert page.count('src="data:image/png;base64,') >= 2  # histograms, correlations


def test_generate_report_has_every_generation_against_the_real_input(generate_report):
    entries = generate_report["generations"]
    assert [e["generation"] for e in entries] == [1, 2, 3, 4]
    rho = generate_report["weights"]["rho"]
    assert rho == pytest.approx(2 / 3)  # Uniform(0, 1)
    n = generate_report["rows"]["real"]
    factor = sample_variance_factor(uniform().theory(), n, n, balanced=True)
    # Balanced anchors, N = n rows, partners never the anchor: (n rho - 1 + k'^2) / n with
    # k' = (n kappa - 1)/(n - 1), kappa = E[max(U, 1 - U)] = 3/4 (docs/theory.md).
    shifted = (n * 3 / 4 - 1) / (n - 1)
    assert factor == pytest.approx((n * 2 / 3 - 1 + shifted**2) / n, rel=1e-12)
    for entry in entries:
        assert entry["predicted_variance_ratio"] == pytest.approx(factor ** entry["generation"])
        column = entry["columns"]["bill_length_mm"]
        assert column["predicted_variance_ratio"] == entry["predicted_variance_ratio"]
        for key in ("variance_ratio", "ks_statistic", "wasserstein"):
            assert key in column
        assert {"scores", "pairs", "privacy"} <= set(entry)
    # The top level is the full comparison of the last generation.
    last = {
        k: v for k, v in entries[-1].items() if k not in ("generation", "predicted_variance_ratio")
    }
    assert generate_report["scores"] == last["scores"]
    assert generate_report["seed"] == 3
    assert generate_report["options"]["generations"] == 4
    # Collapse: the measured ratio falls with the theory (factor^4, about 0.2), within
    # 4.5 sd of the resampling walk simulated independently (tests.oracles.mixup).
    spread = simulate_variance_ratios(uniform(), n, 2000, balanced=True, generations=4).std()
    measured = entries[-1]["columns"]["bill_length_mm"]["variance_ratio"]
    assert abs(measured - factor**4) < 4.5 * spread, (measured, factor**4, spread)


def test_variance_plot_shows_a_kept_variance_near_one_and_a_collapse_whole(generate_report):
    """Ratios of 0.995 and 1.002 on an axis fitted to them looked as far apart as a
    halved and a doubled variance: the y-axis spans at least [1/2, 2], wider where the
    ratios or the theory go (vanilla Uniform over 4 generations: about 0.2), and only
    columns that moved by more than 10% are named."""
    from mixsynth.report import plots

    kept = json.loads(json.dumps(generate_report))
    for entry in kept["generations"]:
        entry["predicted_variance_ratio"] = 1.0
        for column in entry["columns"].values():
            if "variance_ratio" in column:
                column["variance_ratio"] = 0.995 + 0.007 * (column["variance_ratio"] > 0.2)
    near_one = plots.variance_figure(kept).axes[0]
    assert near_one.get_ylim() == (pytest.approx(0.5), pytest.approx(2.0))
    assert not near_one.texts  # nothing moved by 10%
    collapsed = plots.variance_figure(generate_report).axes[0]
    ratios = [
        c["variance_ratio"] for e in generate_report["generations"] for c in e["columns"].values()
        if c.get("variance_ratio")
    ]  # fmt: skip
    smallest = min(ratios + [e["predicted_variance_ratio"] for e in generate_report["generations"]])
    assert collapsed.get_ylim()[0] == pytest.approx(smallest / 1.15)
    assert collapsed.get_ylim()[1] == pytest.approx(2.0)
    assert {t.get_text() for t in collapsed.texts} <= set(generate_report["columns"])
    assert collapsed.texts  # every column lost most of its variance: named


def test_generate_report_to_stdout_and_bad_suffix(run_cli, tmp_path):
    source = SAMPLE_DATA / "penguins.csv"
    result = run_cli("generate", source, "-o", tmp_path / "a.csv", "--seed", "1", "--report", "-")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["generations"][0]["generation"] == 1
    bad = run_cli("generate", source, "-o", tmp_path / "b.csv", "--report", tmp_path / "r.txt")
    assert bad.exit_code == 2 and "report format" in bad.stderr
    assert not (tmp_path / "b.csv").exists()
    both = run_cli("generate", source, "-o", "-", "--report", "-")
    assert both.exit_code == 2 and "stdout" in both.stderr and both.stdout == ""


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
#: Injected first into the report's <head>: records console errors, script errors and
#: resources that fail to load (an image included).
RECORDER = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(
  String(e.message || (e.target && (e.target.src || e.target.href)) || e)), true);
const shown = console.error;
console.error = (...a) => { window.__errors.push(a.join(" ")); shown(...a); };
</script>"""
#: The report in an iframe of the width under test (headless Chromium will not make its
#: own window narrower than 500 px); on load, what the page showed is written into the DOM.
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" style="border:0;width:WIDTHpx;height:900px"></iframe>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => {
  const inner = frame.contentWindow, doc = frame.contentDocument;
  const images = [...doc.images];
  const result = {errors: inner.__errors, images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    height: doc.documentElement.scrollHeight, width: doc.documentElement.scrollWidth,
    viewport: inner.innerWidth};
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
frame.srcdoc = SOURCE;
</script></body></html>"""


def browser(*args: str, profile: str) -> str:
    done = subprocess.run(
        [CHROMIUM, *BROWSER_FLAGS, f"--user-data-dir={profile}", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout


@pytest.fixture(scope="module")
def generate_html(tmp_path_factory) -> str:
    """The demo's report: 10 generations of the default synthesizer on the penguins."""
    from typer.testing import CliRunner

    from mixsynth.cli import app

    folder = tmp_path_factory.mktemp("html")
    page = folder / "report.html"
    args = ["generate", str(SAMPLE_DATA / "penguins.csv"), "-o", str(folder / "s.csv"),
            "-g", "10", "--seed", "7", "--report", str(page), "-q"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return page.read_text()


@pytest.mark.system  # a fresh interpreter or a browser: the system tier
@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
@pytest.mark.parametrize("width", [420, 1300])
def test_html_renders_whole_in_a_headless_browser(generate_html, tmp_path, width):
    """At a phone's width and a wide screen's: no console error, every image loads, no
    sideways scrolling of the page, and the full-height screenshot shows content to the end."""
    recorded = generate_html.replace("<head>", "<head>" + RECORDER, 1)
    probe = tmp_path / "probe.html"
    probe.write_text(
        PROBE.replace("WIDTH", str(width)).replace(
            "SOURCE",
            json.dumps(recorded).replace("</", "<\\/"),  # no '</script>' inside
        ),
        encoding="utf-8",
    )
    with tempfile.TemporaryDirectory() as profile:
        dom = browser(
            "--window-size=1400,1000",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probe.as_uri(),
            profile=profile,
        )
    found = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom).group(1))
    assert found["errors"] == []
    assert found["viewport"] == width
    # Verdict, 2 generation plots, 8 columns, 4 pairs, the correlation heatmap.
    assert found["images"] == 15 and found["broken"] == []
    assert found["width"] <= width  # wide tables scroll inside their own box
    # The whole page, full height, at that width (a screenshot window may be narrow).
    page = tmp_path / "report.html"
    page.write_text(generate_html, encoding="utf-8")
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        browser(
            f"--window-size={width},{found['height']}",
            f"--screenshot={shot}",
            page.as_uri(),
            profile=profile,
        )
    import matplotlib.image

    pixels = matplotlib.image.imread(str(shot))
    assert pixels.shape[:2] == (found["height"], width)
    # Content to the end: the last tenth of the page (provenance, footnote) is not blank.
    tail = pixels[-pixels.shape[0] // 10 :, :, :3]
    assert (tail < 0.5).any(axis=2).mean() > 0.001
    colours = {tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::97].round(2).tolist()}
    assert len(colours) > 50
