"""What redrawing near-duplicate partners under a privacy margin costs: the time of the
redraw on a large table, how many partners it redraws, and the variance kept (mean
ratio of the synthetic to the source sample variance on 3,000 samples of 20 normal
rows, where it redraws the most, and on the sample tables), with and without it.

Run: ``python benchmarks/partner_redraw.py``; prints Markdown and writes
benchmarks/results/partner_redraw.md.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from privacy_figures import tables

from mixsynth.choices import Pairing
from mixsynth.engine import memory
from mixsynth.engine.donors import redraw_close_partners
from mixsynth.engine.kernel import draw_pairs
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.weights import margin_weights

RESULTS = Path(__file__).resolve().parent / "results"
MARGIN = 0.3


def variance_ratio(redraw: bool, reps: int = 3000) -> tuple[float, float, int]:
    """Mean and standard error of s^2 ratios over reps samples (as --by groups) of 20
    rows holding 10 normal values twice each: every anchor has a duplicate, which the
    redraw refuses as a partner (about 1 partner in 19)."""
    rng = np.random.default_rng(0)
    values = np.repeat(rng.normal(size=10 * reps), 2)
    frame = pd.DataFrame({"x": values, "rep": np.repeat(np.arange(reps), 20).astype(str)})
    options = SynthesisOptions(privacy_margin=MARGIN, by=("rep",), round_decimals=False)
    original = memory.GenerationStream._redraw_close_partners
    if not redraw:
        memory.GenerationStream._redraw_close_partners = lambda self, rng: None
    try:
        stream = memory.GenerationStream(frame, options, np.random.default_rng(1))
        out = stream.finish(pd.concat(list(stream))).frame
    finally:
        memory.GenerationStream._redraw_close_partners = original
    ratios = out.groupby("rep")["x"].var() / frame.groupby("rep")["x"].var()
    return ratios.mean(), ratios.std(ddof=1) / np.sqrt(reps), stream.partners_redrawn


def main() -> None:
    warnings.simplefilter("ignore")
    lines = [
        "# Redrawing near-duplicate partners under a margin",
        "",
        "- Command: `python benchmarks/partner_redraw.py`",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, margin {MARGIN}",
        "",
        "| case | rows | partners redrawn | seconds |",
        "|---|---|---|---|",
    ]
    for rows, width in ((100_000, 10), (1_000_000, 10)):
        rng = np.random.default_rng(2)
        features = rng.random((rows, width), dtype=np.float32)
        pairs, _ = draw_pairs(
            rng, np.zeros(rows, dtype=np.int64), rows, Pairing.BALANCED,
            lambda n, size: margin_weights(MARGIN),
        )  # fmt: skip
        started = time.perf_counter()
        _, _, redrawn = redraw_close_partners(rng, features, pairs)
        seconds = time.perf_counter() - started
        lines.append(f"| uniform {rows:,} x {width} | {rows:,} | {redrawn} | {seconds:.2f} |")
    for name, frame in tables().items():
        stream = memory.GenerationStream(
            frame, SynthesisOptions(privacy_margin=MARGIN), np.random.default_rng(3)
        )
        lines.append(f"| {name} | {len(frame):,} | {stream.partners_redrawn} | - |")
    lines += [
        "",
        "| 3,000 samples of 20 rows, 10 values twice | mean variance ratio | standard error "
        "| partners redrawn |",
        "|---|---|---|---|",
    ]
    for redraw in (True, False):
        mean, se, redrawn = variance_ratio(redraw)
        case = "with" if redraw else "without"
        lines.append(f"| {case} the redraw | {mean:.4f} | {se:.4f} | {redrawn:,} |")
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "partner_redraw.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
