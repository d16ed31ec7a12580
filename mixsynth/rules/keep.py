r"""How the engine keeps the rules in every synthetic row (THEORY.md §10, docs/rules.md).

Mixed values are ``x_o + w (x_d - x_o)`` (dominant donor d, other o, ``w >= 1/2``).

- **Inequalities** ``g(x) <= 0``: ``g`` of the mixed row is ``g_o + w (g_d - g_o)``,
  so a pair whose donors both hold the rule keeps it for ``w <= U = -g_o / (g_d - g_o)``
  when ``g_d > g_o`` (``U >= 1``; no limit otherwise). The rows whose weight passes their
  ``U`` *swap weights* with random rows that can take them (:func:`limit_weights`): the
  generation's weights stay the very same multiset, so ``E[u]`` and the variance target
  are untouched, only which pair gets which weight changes.
- **Equalities** hold for every weight; rounding would break them, so the target column
  is recomputed from the others after they are rounded, then rounded to its own place.
- **Unique together, time index, fixed combinations**: the columns are copied from the
  dominant donor; a time index's partners are drawn near in time (:func:`near_partners`).
- **Calendar grids**: yearly and monthly values rounded on the calendar
  (:func:`round_calendar`); shorter steps are the engine's time grids.
- Whatever bends a row after mixing (bounds, rounding, moment or shape matching) is
  checked last: a row that breaks a rule takes the columns tied to it by rules from its
  dominant donor, which holds them all (:meth:`RulePlan.repair`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mixsynth.rules.model import Grid, Increments, Linear, Rule, TimeIndex, Together, Unique

#: Rounds of weight swaps before a last clip of the weights left over.
SWAP_ROUNDS = 16
#: Partners of a time index are drawn within this many steps of the anchor (either side):
#: measured in benchmarks/bench_rules.py (docs/rules.md, "Time").
TIME_WINDOW = 2


@dataclass(frozen=True)
class Scale:
    """native = (encoded + offset) * factor: a mixed column's encoding, for rules."""

    offset: float = 0.0
    factor: float = 1.0


@dataclass
class RulePlan:
    """The rules a generation keeps, compiled against the mixed columns' encodings."""

    rules: list[Rule]
    scales: dict[str, Scale]  #: of every column stored as numbers or times
    mixed: frozenset = frozenset()  #: the columns mixed (not copied from the donor)
    copied: tuple[str, ...] = ()  #: mixed columns copied from the dominant donor
    time_index: TimeIndex | None = None
    calendar: dict[str, str] = field(default_factory=dict)  #: column -> yearly/monthly
    checked: list[Rule] = field(default_factory=list)  #: rules checked after mixing
    components: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, rules: list[Rule], scales: dict[str, Scale], mixed: set[str]) -> RulePlan:
        """Rules on columns stored as numbers (``scales``), of which ``mixed`` are mixed."""
        copied: list[str] = []
        time_index = None
        for rule in rules:
            if isinstance(rule, Unique | Together | TimeIndex):
                copied += [name for name in rule.columns if name in mixed and name not in copied]
                if isinstance(rule, TimeIndex) and time_index is None:
                    time_index = rule
        mixed = set(mixed) - set(copied)
        calendar = {}
        checked: list[Rule] = []
        for rule in rules:
            if isinstance(rule, Grid) and rule.column in mixed:
                # Kept exactly by rounding onto the grid (the engine's time grids for
                # steps of a week and less), so not checked again.
                if rule.grid in ("yearly", "monthly"):
                    calendar[rule.column] = rule.grid
            elif isinstance(rule, Linear | Increments) and set(rule.columns) <= set(scales):
                target = rule.target if isinstance(rule, Linear) else None
                if set(rule.columns) & mixed and (target is None or target in mixed):
                    checked.append(rule.kept if isinstance(rule, Linear) else rule)
        components = _components([r.columns for r in checked])
        return cls(
            rules,
            scales,
            frozenset(mixed),
            tuple(copied),
            time_index,
            calendar,
            checked,
            components,
        )

    @property
    def inequalities(self) -> list[Linear]:
        return [
            r
            for r in self.checked
            if isinstance(r, Linear) and r.op != "==" and set(r.columns) <= self.mixed
        ]

    @property
    def limited(self) -> set[str]:
        """The columns of the inequalities that limit weights."""
        return {name for rule in self.inequalities for name in rule.columns}

    @property
    def equalities(self) -> list[Linear]:
        return [r for r in self.checked if isinstance(r, Linear) and r.op == "=="]

    def native(self, name: str, encoded: np.ndarray) -> np.ndarray:
        scale = self.scales[name]
        if scale.offset == 0 and scale.factor == 1:
            return encoded
        native = encoded + scale.offset
        native *= scale.factor
        return native

    def encoded(self, name: str, native: np.ndarray) -> np.ndarray:
        scale = self.scales[name]
        return native / scale.factor - scale.offset

    def weight_limits(
        self, sources: dict[str, np.ndarray], dominant: np.ndarray, other: np.ndarray
    ) -> np.ndarray:
        """Each row's largest weight that keeps every inequality: ``U`` above (inf: none)."""
        limit = np.full(len(dominant), np.inf)
        native = {n: self.native(n, sources[n]) for n in self.limited}
        for rule in self.inequalities:
            form = rule.form({n: native[n] for n in rule.columns})
            g_o = form.take(other)
            step = g_o - form.take(dominant)  # g_o - g_d: negative where g rises to d
            with np.errstate(invalid="ignore"):
                rising = np.flatnonzero(step < 0)
            limit[rising] = np.fmin(limit[rising], g_o[rising] / step[rising])
        return limit

    def equalities_first(self) -> list[Linear]:
        """Equalities in an order where each target is computed before it is used."""
        pending, done, order = list(self.equalities), set(), []
        while pending:
            ready = [
                r
                for r in pending
                if not (set(r.columns) - {r.target}) & {p.target for p in pending if p is not r}
            ]
            ready = ready or pending[:1]
            for rule in ready:
                order.append(rule)
                pending.remove(rule)
                done.add(rule.target)
        return order

    def recompute(self, values: dict[str, np.ndarray]) -> None:
        """Each column with fixed increments rounded to the nearest multiple, then each
        equality's target from its other columns, rounded to its place, in place (encoded
        values)."""
        for rule in self.checked:
            if isinstance(rule, Increments) and rule.column in self.mixed:
                native = self.native(rule.column, values[rule.column])
                steps = np.round(native / rule.step) * rule.step
                values[rule.column][:] = self.encoded(rule.column, steps)
        for rule in self.equalities_first():
            target = rule.target
            if target is None:  # every equality of the plan has one (RulePlan.of)
                continue
            total = np.full(len(values[target]), rule.const)
            for name, coef in rule.coefs:
                if name != target:
                    total += coef * self.native(name, values[name])
            native = -total / dict(rule.coefs)[target]
            if rule.decimals is not None:
                native = np.round(native, rule.decimals)
            present = ~np.isnan(values[target])
            values[target][present] = self.encoded(target, native)[present]

    def unbreak(self, values: dict[str, np.ndarray], fallback: dict[str, np.ndarray]) -> int:
        """Rows of ``values`` (before rounding) that break an inequality take its group's
        columns from ``fallback`` (the mix with limited weights, before the spread is
        restored, bounds kept or moments and shapes matched: it keeps them all); how
        many rows."""
        broken_rows = np.zeros(len(next(iter(values.values()))), dtype=bool)
        for rule in self.inequalities:
            native = {n: self.native(n, values[n]) for n in rule.columns}
            broken = ~rule.holds(native)
            if broken.any():
                broken_rows |= broken
                rows = np.flatnonzero(broken)
                for name in self.components[rule.columns[0]]:
                    if name in fallback:
                        values[name][rows] = fallback[name][rows]
        return int(broken_rows.sum())

    def repair(
        self, values: dict[str, np.ndarray], raw: dict[str, np.ndarray], dominant: np.ndarray
    ) -> int:
        """Rows breaking a rule take its component's columns from their dominant donor
        (``raw``: the source's encoded columns, point masses included); how many rows."""
        broken_rows = np.zeros(len(dominant), dtype=bool)
        for rule in self.checked:
            native = {n: self.native(n, values[n]) for n in rule.columns}
            broken = ~rule.holds(native)
            if broken.any():
                broken_rows |= broken
                rows = np.flatnonzero(broken)
                for name in self.components[rule.columns[0]]:
                    if name in self.mixed:  # the others are the donor's already
                        values[name][rows] = raw[name][dominant[rows]]
        return int(broken_rows.sum())


def _components(groups: list[tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Columns tied together by rules (connected components), for each column."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    for group in groups:
        for name in group[1:]:
            parent[root(name)] = root(group[0])
    members: dict[str, list[str]] = {}
    for name in list(parent):
        members.setdefault(root(name), []).append(name)
    return {name: tuple(members[root(name)]) for name in parent}


def limit_weights(rng: np.random.Generator, w: np.ndarray, limit: np.ndarray) -> int:
    """Weights above their row's ``limit`` swapped with random rows that can take them,
    in place: the multiset of weights is unchanged, so is ``E[u]``. A row with ``w <= 1``
    fits any limit (``U >= 1``): the rows over their limit take, in turn, the next rows
    of a random order of those, and swap where that row's limit takes the larger weight.
    Rows left after :data:`SWAP_ROUNDS` rounds (none in practice) are clipped to their
    limit. Returns how many rows changed weight."""
    over = np.flatnonzero(w > limit)
    if over.size == 0:
        return 0
    takers = np.flatnonzero(w <= 1)
    takers = takers[rng.permutation(takers.size)]
    used = swapped = 0
    for _ in range(SWAP_ROUNDS):
        if over.size == 0 or used >= takers.size:
            break
        pick = takers[used : used + over.size]
        used += pick.size
        rows = over[: pick.size]
        fits = limit[pick] >= w[rows]
        rows, pick = rows[fits], pick[fits]
        w[rows], w[pick] = w[pick], w[rows].copy()
        swapped += 2 * rows.size
        over = over[w[over] > limit[over]]
    w[over] = limit[over]
    return swapped + over.size


def restore_spread(values: np.ndarray, mean: float, std: float) -> None:
    """``values`` (mixed with limited weights) moved and scaled about their mean to the
    ``mean`` and ``std`` the same rows have mixed with the weights as drawn, in place.
    The rows whose weight a rule limited extrapolate far along wide pairs: without this,
    the ruled columns lose a few % of their variance per generation at wide eps
    (measured: benchmarks/bench_rules.py)."""
    finite = np.isfinite(values)
    if finite.sum() < 2 or not (np.isfinite(mean) and np.isfinite(std)):
        return
    body = values[finite]
    spread = body.std()
    if spread > 0:
        values[finite] = mean + (std / spread) * (body - body.mean())


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
    1 January: between two grid points, up with probability the fraction of the way."""
    unit = "Y" if grid == "yearly" else "M"
    finite = np.isfinite(seconds)
    out = seconds.copy()
    stamps = seconds[finite].astype("datetime64[s]")
    low = stamps.astype(f"datetime64[{unit}]")
    start = low.astype("datetime64[s]").astype(np.float64)
    stop = (low + 1).astype("datetime64[s]").astype(np.float64)
    fraction = (seconds[finite] - start) / (stop - start)
    out[finite] = np.where(rng.random(fraction.size) < fraction, stop, start)
    return out
