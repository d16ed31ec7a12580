"""Rules found in the data: a rule is what every real row holds, else it is not a rule.

Each kind is looked for on a sample of rows first (a rule broken in the sample is no
rule), and the candidates that survive are confirmed on every row:

- orders ``a <= b`` (or ``<``) between two numeric or two time columns whose ranges
  overlap (an order the ranges imply says nothing), chains reduced to their links;
- affine equalities: each numeric column, in table order, fitted by least squares on
  the columns before it (numpy's ``lstsq``); kept when every row is within half a unit
  of the column's last decimal (``tax = 0.08 * (subtotal - discount)`` to the cent), the
  column then recomputed from the others after rounding;
- a time index: a date column (or whole years) unique in the table or within the
  groups of a key (a categorical column, or an integer one that repeats: a firm-year
  panel), most steps between consecutive values equal; other such unique pairs, and
  failing a pair two keys with the time column, are ``unique together``;
- calendar grids of time columns: 1 January, the 1st, one weekday, midnight, the hour;
- parts of a date: a number column equal to the year, quarter, month, day of the month
  or day of the week of a time column (``signup_year = year(signup_date)``);
- names: a copied text column that holds another's value as whole words in every row
  (``Make`` holds ``Manufacturer`` and ``Model``: :mod:`mixsynth.rules.names`).

Wide tables are capped (:data:`MAX_COLUMNS` columns per search, pairs tested on the
sample as one numpy comparison per column).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from mixsynth.columns import ColumnKind
from mixsynth.rules.data import RuleData, distinct_count, seconds_per_unit
from mixsynth.rules.model import (
    PARTS,
    DatePart,
    Grid,
    Linear,
    Rule,
    TimeIndex,
    Unique,
    date_part,
    on_grid,
)
from mixsynth.rules.names import find_namings

#: Rows of the sample candidates must hold before they are checked on every row.
SAMPLE_ROWS = 4096
#: Columns searched for orders and for equalities (the first ones, in table order).
MAX_COLUMNS = 60
#: Categorical columns tried as the entity of a panel, and time columns tried as index.
MAX_KEYS = 12
#: An equality needs this many rows per term (its columns and the constant): on 20 rows
#: a column rounded to the cent fits 3 others within half a cent by chance (measured).
ROWS_PER_TERM = 20
#: An order is a rule when rows taken at random would break it at least this often
#: (``P(a_i > b_j)``, i and j independent); below, it is what the ranges imply.
MIN_CROSSING = 0.01
#: A time index: at least this share of consecutive steps equal to the usual one.
REGULAR_SHARE = 0.9


def detect_rules(
    data: RuleData,
    numeric: Sequence[str],
    times: Sequence[str],
    categorical: Sequence[str],
    decimals: dict[str, int | None],
    numbers: Sequence[str] = (),
    seed: int = 0,
) -> list[Rule]:
    """Every rule of the kinds above the real rows hold (``numeric``: the mixed number
    columns, ``times`` the time columns, ``categorical`` the copied ones, ``numbers``
    every column stored as numbers, copied ones included, for equalities; the targets of
    equalities are mixed columns)."""
    if data.rows < 3:
        return []
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(data.rows, min(SAMPLE_ROWS, data.rows), replace=False))
    # A column that varies in the sample varies: only the others are read whole.
    varies = {n: _varies(data[n][sample]) or _varies(data[n]) for n in {*numeric, *times, *numbers}}
    numeric = [n for n in numeric if varies[n]][:MAX_COLUMNS]
    times = [n for n in times if varies[n]][:MAX_COLUMNS]
    numbers = [n for n in (numbers or numeric) if varies[n]][:MAX_COLUMNS]
    equalities = find_equalities(data, numbers, decimals, sample, set(numeric))
    targets = {rule.target for rule in equalities}
    rules: list[Rule] = list(equalities)
    rules += find_orders(data, [n for n in numeric if n not in targets], sample)
    rules += find_orders(data, times, sample)
    integers = [n for n in numeric if data.kind(n) is ColumnKind.INTEGER]
    rules += find_time_indexes(data, times + integers, categorical, sample, integers)
    rules += find_grids(data, times, sample)
    rules += find_date_parts(data, [n for n in numbers if n not in targets], times, sample)
    rules += find_namings(data, categorical, sample)
    return rules


def _varies(values: np.ndarray) -> bool:
    """Two distinct values at least (fmin/fmax skip NaN, and warn of nothing: a
    catch_warnings here, in a Dask worker thread, would undo the process's filters)."""
    return bool(np.fmin.reduce(values, initial=np.inf) < np.fmax.reduce(values, initial=-np.inf))


def find_orders(data: RuleData, names: Sequence[str], sample: np.ndarray) -> list[Rule]:
    """``a <= b`` (``a < b`` when never equal) for pairs whose ranges overlap, chains
    reduced to their links (``a <= c`` dropped when ``a <= b <= c``)."""
    if len(names) < 2:
        return []
    matrix = np.column_stack([data[n][sample] for n in names])
    missing = np.isnan(matrix)
    holds = np.zeros((len(names), len(names)), dtype=bool)
    for a in range(len(names)):
        with np.errstate(invalid="ignore"):
            ok = (matrix[:, [a]] <= matrix) | missing[:, [a]] | missing
        holds[a] = ok.all(axis=0)
    np.fill_diagonal(holds, False)
    found: dict[tuple[int, int], float] = {}  #: the smallest gap of each order
    for a, b in zip(*np.nonzero(holds), strict=True):
        if holds[b, a]:
            continue  # equal columns: an equality, not an order
        if _crossing(matrix[:, a], matrix[:, b]) < MIN_CROSSING:
            continue  # the ranges barely overlap: a coincidence, not a rule
        # Confirmed on every row: the smallest gap (fmin skips rows with a value missing)
        # says whether the order holds, and whether strictly, in one pass.
        gap = float(np.fmin.reduce(data[names[b]] - data[names[a]], initial=np.inf))
        if gap < 0:
            continue
        found[(int(a), int(b))] = gap
    rules: list[Rule] = []
    for (a, b), smallest in found.items():
        if any((a, c) in found and (c, b) in found for c in range(len(names))):
            continue  # a link of a chain already says it
        below, above = names[a], names[b]
        strict = 0 < smallest < np.inf
        text = f"{below} {'<' if strict else '<='} {above}"
        # Strict, it is kept as "low + gap <= high", gap the smallest real one: mixing
        # keeps that, and rounding both on one grid (a gap is whole steps) keeps it too,
        # where "low < high" could round to equal.
        gap = smallest if strict else 0.0
        op = "<" if strict else "<="
        coefs = ((below, 1.0), (above, -1.0))
        rules.append(Linear(coefs, 0.0, op, text, origin="detected", margin=gap))
    return rules


def _crossing(low: np.ndarray, high: np.ndarray) -> float:
    """``P(low_i > high_j)`` over independent rows i, j of a sample."""
    low, high = low[~np.isnan(low)], np.sort(high[~np.isnan(high)])
    if low.size == 0 or high.size == 0:
        return 0.0
    return float(np.searchsorted(high, low, side="left").mean() / high.size)


def find_equalities(
    data: RuleData,
    names: Sequence[str],
    decimals: dict[str, int | None],
    sample: np.ndarray,
    targets: set[str] | None = None,
) -> list[Linear]:
    """Each column (of ``targets``, default all) that is an affine function of the
    columns before it, to its rounding."""
    rules: list[Linear] = []
    # A column holding an infinity is no affine function of others, nor a term of one
    # (inf - inf is undefined; least squares on it does not converge).
    names = [n for n in names if not np.isinf(data[n]).any()]
    if len(names) < 2:
        return rules
    matrix = np.column_stack([data[n][sample] for n in names])
    complete = ~np.isnan(matrix).any(axis=1)
    matrix = matrix[complete]
    if len(matrix) < 2 * len(names) + 10:
        return rules
    residual = _residual_spread(matrix)
    for j in range(1, len(names)):
        target = names[j]
        if targets is not None and target not in targets:
            continue
        places = 0 if data.kind(target) is ColumnKind.INTEGER else decimals.get(target)
        allowed = 1e-9 * np.abs(matrix[:, j]).max() + (
            0.5 * 10.0 ** (-places) if places is not None else 0
        )
        if residual[j] > allowed * (1 + 1e-6) + 1e-7 * matrix[:, j].std():
            continue  # its RMS residual on the columns before it is above its tolerance
        design = np.column_stack([np.ones(len(matrix)), matrix[:, :j]])
        coefs = np.linalg.lstsq(design, matrix[:, j], rcond=None)[0]
        # Least squares is not the smallest largest error: a rounded rule (tax to the
        # cent) may only fit with its round coefficients, so these are tried too.
        if not (
            _fits(design, coefs, matrix[:, j], places)
            or _round_fit(design, coefs, matrix[:, j], places) is not None
        ):
            continue
        # Drop the columns that do not count, then prefer round coefficients.
        scale = np.abs(coefs[1:]) * matrix[:, :j].std(axis=0)
        kept = np.flatnonzero(scale > 1e-6 * max(matrix[:, j].std(), 1e-300))
        if kept.size == 0:
            continue
        if len(matrix) < ROWS_PER_TERM * (kept.size + 1):
            continue  # too few rows: a fit to the rounding could be a coincidence
        design = np.column_stack([np.ones(len(matrix)), matrix[:, kept]])
        coefs = np.linalg.lstsq(design, matrix[:, j], rcond=None)[0]
        rounded = _round_fit(design, coefs, matrix[:, j], places)
        if rounded is not None:
            coefs = rounded
        elif not _fits(design, coefs, matrix[:, j], places):
            continue
        terms = (
            (target, 1.0),
            *((names[int(k)], -float(c)) for k, c in zip(kept, coefs[1:], strict=True)),
        )
        rule = Linear(
            terms, -float(coefs[0]), "==", target=target, decimals=places, origin="detected"
        )
        if np.all(data.holds(rule)):
            rules.append(rule)
    return rules


def _residual_spread(matrix: np.ndarray) -> np.ndarray:
    """Each column's RMS residual on the columns before it (and a constant): the
    Cholesky factor of the covariance matrix, column by column, a dependent column's
    step set to 0 (Gram-Schmidt on a p x p matrix, cheap however many rows). It screens
    the least-squares fits: a column whose residual is above its tolerance is no
    affine function of the others."""
    centred = matrix - matrix.mean(axis=0)
    gram = centred.T @ centred / len(matrix)
    size = len(gram)
    factor = np.zeros((size, size))
    spread = np.zeros(size)
    for j in range(size):
        rest = gram[j, j] - factor[j, :j] @ factor[j, :j]
        spread[j] = np.sqrt(max(rest, 0.0))
        if rest > 1e-12 * gram[j, j]:
            factor[j, j] = np.sqrt(rest)
            below = gram[j + 1 :, j] - factor[j + 1 :, :j] @ factor[j, :j]
            factor[j + 1 :, j] = below / factor[j, j]
    return spread


def _round_fit(
    design: np.ndarray, coefs: np.ndarray, target: np.ndarray, places: int | None
) -> np.ndarray | None:
    """The coefficients rounded to the fewest significant digits (1 to 8) that still fit,
    with no intercept if that fits too; None if none does."""
    for digits in range(1, 9):
        rounded = np.array([float(f"{c:.{digits}g}") for c in coefs])
        for intercept in (0.0, rounded[0]):
            rounded[0] = intercept
            if _fits(design, rounded, target, places):
                return rounded
    return None


def _fits(design: np.ndarray, coefs: np.ndarray, target: np.ndarray, places: int | None) -> bool:
    residual = np.abs(design @ coefs - target)
    slack = 1e-9 * (np.abs(design) @ np.abs(coefs) + np.abs(target))
    tolerance = slack + (0.5 * 10.0 ** (-places) * (1 + 1e-6) if places is not None else 0.0)
    return bool(np.all(residual <= tolerance))


def find_time_indexes(
    data: RuleData,
    times: Sequence[str],
    categorical: Sequence[str],
    sample: np.ndarray,
    integers: Sequence[str] = (),
) -> list[Rule]:
    """Time columns (or integer years) unique alone or within the groups of a key: a
    categorical column, or an integer column that repeats (a firm number); a time index
    when the steps are regular, else columns unique together; failing a pair, two keys
    and the time column (a firm, a product and a year). A repeat in the sample rules a
    candidate out before any check on every row, and the keys must fill at least
    :data:`MIN_DENSITY` of their grid of combinations (a panel does; columns unique
    together by chance do not)."""
    rules: list[Rule] = []
    sampled: list[str] | None = None  # keys on the sample, for the first time column
    entities: list[str] | None = None  # of those, keys on every row, when first needed
    found: list[set[str]] = []
    candidates = list(times)[:MAX_KEYS]
    for name in candidates:
        values = data[name]
        if np.isnan(values[sample]).any() or np.isnan(values).any():
            continue
        alone = (
            data.kind(name) is ColumnKind.DATETIME and _unique(values[sample]) and _unique(values)
        )
        if alone:
            step = _regular_step(values[np.argsort(values)][None, :], calendar=data.is_date(name))
            if step is not None:
                rules.append(TimeIndex(name, (), _step_text(step, name, data)))
            continue
        if sampled is None:  # cheap: on the sample
            sampled = [
                c
                for c in [*categorical, *integers]
                if 1 < distinct_count(data[c][sample]) <= sample.size / 3
            ][:MAX_KEYS]
        if not any(
            _unique_together(data, [*key, name], sample, whole=False)
            for key in _keys([e for e in sampled if e != name])
        ):
            continue  # repeats within every key of the sample: no whole-table count needed
        distinct = distinct_count(values)
        if distinct > MAX_TIME_SHARE * data.rows:
            continue  # nearly unique alone (an income): unique within any key by chance
        if entities is None:
            entities = [c for c in sampled if distinct_count(data[c]) <= data.rows / 3]
        keys = _keys([e for e in entities if e != name])
        for key in keys:
            if any(set(key) | {name} >= columns for columns in found):
                break  # said already (firm and year, found with year as the time)
            if not _unique_together(data, [*key, name], sample):
                continue
            # A number is the time of its key's groups when it takes fewer values than
            # the key (years of firms), else the key is (firms of years: found from the
            # key's side, when it is a candidate time too).
            timely = data.kind(name) is ColumnKind.DATETIME or distinct < distinct_count(
                data[key[0]]
            )
            if len(key) == 1 and not timely and key[0] in candidates:
                continue
            found.append({*key, name})
            if len(key) == 1 and timely:
                codes = _codes(data[key[0]])
                order = np.lexsort((values, codes))
                steps = np.diff(values[order])[np.diff(codes[order]) == 0]
                step = _regular_step(steps[None, :], differences=True, calendar=data.is_date(name))
                if step is not None:
                    rules.append(TimeIndex(name, key, _step_text(step, name, data)))
                    break
            rules.append(Unique((*key, name), origin="detected"))
            break
    return rules


#: A time column takes at most this share of distinct values per row: a panel's times
#: repeat across its entities (two firms over 1,000 days: a half), while a column nearly
#: unique alone (an income, 99.5% distinct) is unique within any grouping by chance, and
#: taking it for a key would copy it whole from the donor (docs/privacy.md).
MAX_TIME_SHARE = 0.5
#: Keys unique together must fill at least this share of their grid of combinations
#: (rows over the product of their distinct counts): a panel fills most of it, while
#: columns unique by chance would need a grid far larger than the rows.
MIN_DENSITY = 0.25


def _codes(values: np.ndarray) -> np.ndarray:
    """0, 1, ... for each distinct value (NaN: its own code)."""
    return np.unique(values, return_inverse=True)[1].astype(np.int64)


def _keys(entities: list[str]) -> list[tuple[str, ...]]:
    """Keys tried with a time column: each entity, then each pair of them."""
    return [(e,) for e in entities] + list(combinations(entities, 2))


def _unique_together(
    data: RuleData, names: list[str], sample: np.ndarray, whole: bool = True
) -> bool:
    """No two rows share the values of ``names`` (none missing), on the sample then on
    every row, and the combinations fill at least :data:`MIN_DENSITY` of their grid
    (without ``whole``: on the sample only, a first screen)."""
    for rows in (sample, None) if whole else (sample,):
        columns = [data[n] if rows is None else data[n][rows] for n in names]
        if any(np.isnan(column).any() for column in columns):
            return False
        key = np.zeros(columns[0].size, dtype=np.int64)
        cells = 1.0
        for column in columns:
            codes = _codes(column)
            size = int(codes.max()) + 1
            key = key * size + codes
            cells *= size
        if not _unique(key):
            return False
    return not whole or data.rows >= MIN_DENSITY * cells


def _unique(values: np.ndarray) -> bool:
    return np.unique(values).size == values.size


def _regular_step(
    values: np.ndarray, differences: bool = False, calendar: bool = False
) -> float | None:
    """The usual step when at least :data:`REGULAR_SHARE` of the steps are within 3 % of
    it (a calendar year varies by a day), within :data:`CALENDAR_MONTH_SPREAD` for dates
    (``calendar``, in seconds) a month or more apart, else None."""
    steps = values[0] if differences else np.diff(values[0])
    if steps.size < 2:
        return None
    usual = float(np.median(steps))
    if usual <= 0:
        return None
    # Calendar months are 28 to 31 days long: 10 % of a month, where a year's 365 and
    # 366 days are 0.3 % apart (a monthly series had been no time index).
    tolerance = CALENDAR_MONTH_SPREAD if calendar and usual >= 27 * 86_400 else 0.03
    near = np.abs(steps - usual) <= tolerance * usual
    return usual if near.mean() >= REGULAR_SHARE else None


#: The relative spread of calendar months' lengths about a usual step of a month or more.
CALENDAR_MONTH_SPREAD = 0.1


def _step_text(step: float, name: str, data: RuleData) -> str:
    if data.kind(name) is not ColumnKind.DATETIME:
        return f"{step:g}"
    for seconds, unit in (
        (365.25 * 86_400, "year"),
        (30.44 * 86_400, "month"),
        (7 * 86_400, "week"),
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ):
        if step >= 0.97 * seconds:
            count = step / seconds
            return f"{count:.0f} {unit}{'s' if round(count) != 1 else ''}"
    return f"{step:g} s"


def find_grids(data: RuleData, times: Sequence[str], sample: np.ndarray) -> list[Rule]:
    """The coarsest calendar grid each time column sits on, when coarser than its storage
    (tried on the sample, confirmed on every row)."""
    rules: list[Rule] = []
    for name in times:
        seconds, unit = data[name], seconds_per_unit(data.specs[name].dtype)
        if "timedelta" in data.specs[name].dtype or "duration" in data.specs[name].dtype:
            continue
        anchor = Grid(name, "weekly").anchor(seconds)  # one pass for every grid
        for grid, size in (
            ("yearly", 365 * 86_400),
            ("monthly", 28 * 86_400),
            ("weekly", 7 * 86_400),
            ("daily", 86_400),
            ("hourly", 3_600),
        ):
            if size <= unit:
                break
            rule = Grid(name, grid, origin="detected")
            if on_grid(seconds[sample], grid, anchor).all():
                if on_grid(seconds, grid, anchor).all():
                    rules.append(rule)
                break
    return rules


def find_date_parts(
    data: RuleData, numbers: Sequence[str], times: Sequence[str], sample: np.ndarray
) -> list[Rule]:
    """Each number column equal to a part of a time column (:data:`PARTS`, the first
    that fits) in every row of the sample, then of the table; none on fewer than
    :data:`ROWS_PER_TERM` rows (a coincidence)."""
    dates = [name for name in times if data.is_date(name)][:MAX_KEYS]
    if data.rows < ROWS_PER_TERM or not dates:
        return []
    parts = {(d, p): date_part(data[d][sample], p) for d in dates for p in PARTS}
    rules: list[Rule] = []
    for name in numbers:
        values = data[name][sample]
        if not np.any(np.isfinite(values)) or np.any(values[np.isfinite(values)] % 1):
            continue
        for (date, part), expected in parts.items():
            rule = DatePart(name, part, date, origin="detected")
            known = ~np.isnan(values) & ~np.isnan(expected)
            if known.sum() < ROWS_PER_TERM or not np.array_equal(values[known], expected[known]):
                continue
            if data.holds(rule).all():
                rules.append(rule)
                break
    return rules
