"""The time grid a time column's mixed values are rounded back onto
(mixsynth/engine/reference.py): steps are tried on an even sample first, and a step
the sample allows is confirmed on every value."""

from __future__ import annotations

import numpy as np

from mixsynth.engine.reference import TIME_GRID_SAMPLE, _time_grid

DAY = 86_400  #: seconds


def test_a_value_off_the_grid_between_the_sampled_ones_still_counts() -> None:
    rows = 50 * TIME_GRID_SAMPLE
    days = np.arange(rows, dtype=np.float64) * DAY
    assert _time_grid(days, "timestamp[s]") == DAY
    stride = rows // TIME_GRID_SAMPLE
    days[stride // 2] += 3_600  # one value at 1 am, not in the even sample
    assert not np.isin(stride // 2, np.arange(0, rows, stride))
    assert _time_grid(days, "timestamp[s]") == 3_600


def test_missing_values_are_left_out() -> None:
    seconds = np.array([0.0, np.nan, 120.0, 60.0, np.inf])
    assert _time_grid(seconds, "timestamp[s]") == 60
