"""What keeps dates (docs/rules.md, "Time"): a time index's partners drawn near in time,
and values rounded onto a calendar grid (1 January, the 1st of a month)."""

from __future__ import annotations

import numpy as np

#: Partners of a time index are drawn within this many steps of the anchor (either side):
#: measured in benchmarks/bench_rules.py (docs/rules.md, "Time").
TIME_WINDOW = 2


def near_partners(
    rng: np.random.Generator,
    anchors: np.ndarray,
    time: np.ndarray,
    blocks: np.ndarray,
    window: int | None = None,
) -> np.ndarray:
    """A partner for each anchor among the rows within ``window`` steps of it in time,
    inside its block (a firm of a panel and its pairing group). Offsets past a block's
    end are reflected back into it, so every row is a partner about equally often."""
    window = window or TIME_WINDOW
    order = np.lexsort((time, blocks))
    position = np.empty_like(order)
    position[order] = np.arange(order.size)
    sorted_blocks = blocks[order]
    starts = np.searchsorted(sorted_blocks, sorted_blocks, side="left")
    ends = np.searchsorted(sorted_blocks, sorted_blocks, side="right")
    where = position[anchors]
    start, size = starts[where], ends[where] - starts[where]
    offset = rng.integers(1, window + 1, size=anchors.size) * rng.choice((-1, 1), size=anchors.size)
    own = where - start
    local = own + offset
    local = np.where(local < 0, -local - 1, local)  # reflect at the start
    local = np.where(local >= size, 2 * size - local - 1, local)  # and at the end
    local = np.where(local == own, own - offset, local)  # reflected onto itself: the other side
    small = size <= 2 * window + 1
    if small.any():  # a short block: any other row of it
        draw = rng.integers(0, np.maximum(size[small] - 1, 1))
        local[small] = np.where((draw >= own[small]) & (size[small] > 1), draw + 1, draw)
    local = np.clip(local, 0, size - 1)
    return order[start + local]


def round_calendar(rng: np.random.Generator, seconds: np.ndarray, grid: str) -> np.ndarray:
    """Times (seconds since the epoch) stochastically rounded to the 1st of a month or to
    1 January: between two grid points, up with probability the fraction of the way, as
    :func:`~mixsynth.semantics.treatments.stochastic_round` rounds numbers (in years or
    months since 1970, its variance compensated: rounding alone adds up to a quarter of a
    year squared a generation, which model years over a decade, variance 14, would feel:
    +1.2 % a generation)."""
    from mixsynth.semantics.treatments import stochastic_round

    unit = "Y" if grid == "yearly" else "M"
    finite = np.isfinite(seconds)
    out = seconds.copy()
    stamps = seconds[finite].astype("datetime64[s]")
    low = stamps.astype(f"datetime64[{unit}]")
    start = low.astype("datetime64[s]").astype(np.float64)
    stop = (low + 1).astype("datetime64[s]").astype(np.float64)
    position = low.astype(np.int64) + (seconds[finite] - start) / (stop - start)
    stochastic_round(rng, position)
    points = position.astype(np.int64).astype(f"datetime64[{unit}]")
    out[finite] = points.astype("datetime64[s]").astype(np.float64)
    return out
