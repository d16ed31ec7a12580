"""Fresh keys: new values of the same type and shape as a key column's real ones.

Integers continue after the real maximum; text keys keep their literal characters and
the character class at each position; UUIDs stay UUIDs. Every key is unique and never
a real one, also when a table is made partition by partition (:class:`KeyShare`).
The shapes of text keys are read and drawn by :mod:`mixsynth.semantics.text_shapes`.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from mixsynth.errors import InputError, OptionError, warn
from mixsynth.semantics.text_shapes import (
    CLASS_CODES,
    NO_CODES,
    Pattern,
    Shapes,
    code_points,
    code_strings,
    object_array,
    sorted_distinct,
)

#: Above this many spellings, keys are drawn position by position instead of by rank.
_RANKABLE = 2**62

_UUID_DASHES = (8, 13, 18, 23)
_HEX_CODES = code_points("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class KeyShare:
    """One partition's share of the fresh keys of a table made partition by partition
    (the Dask engine), so that no two partitions make the same key without seeing
    each other's: integer keys continue from their start plus ``before`` (the
    keys the partitions before this one make); text keys take only the ranks of their
    shape that are ``index`` modulo ``parts``; UUIDs the first 32 bits that are."""

    index: int  #: this partition's place, 0 .. parts - 1
    parts: int  #: how many partitions make keys
    before: int  #: keys made by the partitions before this one
    most: int  #: the most keys any partition makes (lengthening is decided on it)


def fresh_ids(
    real: np.ndarray, count: int, rng: np.random.Generator, share: KeyShare | None = None
) -> np.ndarray:
    """``count`` unique keys like the real ones, none of them a real key.

    Integer keys (an integer array, or whole floats) count up from the power of ten
    above the real maximum (4,837 -> 10000, 10001, ...), in the input's dtype: new rows
    get new numbers, as a database sequence would give them, and the numbers tell
    neither the real maximum nor the count. Text keys (an object array of str) keep
    the shape of the real ones, see :func:`_fresh_text_ids`. Missing values (None,
    NaN) in ``real`` are ignored. With ``share``, only that partition's share of the
    keys (see :class:`KeyShare`): the union over the partitions is still unique.
    """
    real = np.asarray(real)
    if count < 0:
        raise OptionError(f"cannot make {count} ids", "ask for zero or more")
    before = share.before if share is not None else 0
    if real.dtype.kind in "iu":
        return _fresh_integers(real, count, before)
    if real.dtype.kind == "f":
        present = real[~np.isnan(real)]
        if np.all(present == np.round(present)):
            return _fresh_integers(present, count, before)
        raise InputError(
            "an id column holds numbers with decimals",
            "treat the column as numerical, or make it text",
        )
    strings = _present_strings(real)
    uuids = _uuid_codes(strings)
    if uuids is not None:
        return _fresh_uuids(uuids, count, rng, share)
    return _fresh_text_ids(strings, count, rng, share)


def _fresh_integers(real: np.ndarray, count: int, before: int = 0) -> np.ndarray:
    """Consecutive keys from the power of ten above the real maximum (4,837 -> 10,000):
    they tell neither the real maximum nor the count, only its number of digits. A
    dtype too narrow for that start continues after the maximum instead."""
    dtype = real.dtype
    limit = np.iinfo(dtype).max if dtype.kind in "iu" else 2**53
    top = int(real.max()) if real.size else 0
    start = 10 ** len(str(max(top, 0))) + before
    if count and start + count - 1 > limit:
        start = top + 1 + before
    last = start + count - 1
    if count and last > limit:
        raise InputError(
            f"{before + count} new ids after the real maximum {top} do not fit in {dtype}",
            "store the id column as text, or as a wider integer type",
        )
    if dtype.kind == "f":
        return np.arange(start, start + count, dtype=np.float64).astype(dtype)
    return np.arange(start, start + count, dtype=dtype)


def present_values(real: np.ndarray) -> list:
    """The values of an array that are not missing (None, NaN)."""
    return [v for v in real.tolist() if v is not None and not (isinstance(v, float) and v != v)]


def _present_strings(real: np.ndarray) -> list[str]:
    """The non-missing values of an id column, checked to be text."""
    values = real.tolist()
    strings = [v for v in values if v.__class__ is str]
    if len(strings) == len(values):  # the usual case, checked fast
        return strings
    present = present_values(real)
    odd = next((v for v in present if not isinstance(v, str)), None)
    if odd is not None:
        raise InputError(
            f"an id column mixes text with {type(odd).__name__} values such as {odd!r}",
            "store the column as text only, or as integers only",
        )
    return [str(v) for v in present]


def _uuid_codes(strings: list[str]) -> np.ndarray | None:
    """The keys as rows of 36 ASCII codes if every key is shaped like a UUID (hex
    digits, dashes at 8, 13, 18 and 23), else None."""
    if not strings or set(map(len, strings)) != {36}:
        return None
    codes = np.asarray(strings, dtype="U36").view(np.uint32).reshape(len(strings), 36)
    if codes.max() >= 128:
        return None
    allowed = np.zeros((36, 128), dtype=bool)  # position, ASCII code -> allowed there
    allowed[:, _HEX_CODES] = True
    allowed[list(_UUID_DASHES)] = False
    allowed[list(_UUID_DASHES), ord("-")] = True
    return codes if allowed[np.arange(36), codes].all() else None


def _fresh_uuids(
    real: np.ndarray, count: int, rng: np.random.Generator, share: KeyShare | None = None
) -> np.ndarray:
    """Random version-4 UUIDs in the real ones' letter case, none a real one (with
    ``share``, first 32 bits equal to its index modulo its parts).

    Keys are compared by their first 64 bits (60 of them random): a new key whose
    first half equals any other key's, real or new, is redrawn. That is stricter than
    needed and cheap (one sort), and rare (for a million keys, in about one run in
    500,000).
    """
    hex_places = np.array([i for i in range(36) if i not in _UUID_DASHES])
    upper = bool(np.isin(real[:1000, hex_places], _HEX_CODES[16:]).any())
    digits = np.frombuffer(("0123456789ABCDEF" if upper else "0123456789abcdef").encode(), np.uint8)
    value = np.zeros(128, dtype=np.uint64)  # ASCII hex digit -> its value
    value[_HEX_CODES] = [*range(16), *range(10, 16)]
    real_high = (value[real[:, hex_places[:16]]] << np.arange(60, -4, -4, dtype=np.uint64)).sum(
        axis=1, dtype=np.uint64
    )
    raw = np.empty((count, 16), dtype=np.uint8)
    again = np.arange(count)
    while len(again):
        drawn = _uuid4_bytes(len(again), rng)
        raw[again] = drawn if share is None else _take_residue(drawn, share)
        high = np.ascontiguousarray(raw[:, :8]).view(">u8").ravel().astype(np.uint64)
        again = _repeated(real_high, high)
    hexchars = digits[np.stack([raw >> 4, raw & 0x0F], axis=2).reshape(count, 32)]
    text = np.empty((count, 36), dtype=np.uint8)
    for start, stop, source in ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20)):
        text[:, start:stop] = hexchars[:, source : source + stop - start]
    text[:, list(_UUID_DASHES)] = ord("-")
    return object_array(text.view("S36").ravel().astype("U36").tolist())


def _repeated(taken: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Positions in ``new`` of values that occur more than once in ``taken`` + ``new``."""
    every = np.concatenate([taken, new])
    ordered = np.sort(every)
    if not (ordered[1:] == ordered[:-1]).any():  # the usual case, found by one sort
        return np.array([], dtype=np.int64)
    order = np.argsort(every, kind="stable")
    equal = every[order[1:]] == every[order[:-1]]
    repeat = np.zeros(len(every), dtype=bool)
    repeat[order[1:][equal]] = repeat[order[:-1][equal]] = True
    return np.flatnonzero(repeat[len(taken) :])


def _take_residue(raw: np.ndarray, share: KeyShare) -> np.ndarray:
    """UUID bytes (rows of 16) whose first 32 bits are moved to a value that is
    ``share.index`` modulo ``share.parts`` (in place, and returned)."""
    first = raw[:, :4].copy().view(">u4").ravel().astype(np.int64)
    first += share.index - first % share.parts
    first[first >= 2**32] -= share.parts
    raw[:, :4] = first.astype(">u4").view(np.uint8).reshape(-1, 4)
    return raw


def _uuid4_bytes(count: int, rng: np.random.Generator) -> np.ndarray:
    raw = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw


def _fresh_text_ids(
    real: list[str], count: int, rng: np.random.Generator, share: KeyShare | None = None
) -> np.ndarray:
    """Fresh text keys: each takes a length drawn from the real keys' lengths, then
    a key of that length's pattern that is neither real nor already made.

    If a pattern cannot spell enough new keys, its varying part is lengthened (one
    position at a time) and a :class:`MixsynthWarning` says so. With ``share`` the
    patterns are chosen for the largest partition (:func:`_shared_patterns`), the same
    in every partition, so that ranks modulo the partitions keep them apart.
    """
    if count == 0:
        return object_array([])
    if not real:  # nothing to imitate: 8 letters and digits
        pattern = Pattern((CLASS_CODES[-1],) * 8)
        return object_array(code_strings(_new_keys(pattern, count, NO_CODES, rng, share)))
    shapes = Shapes(real)
    shared = _shared_patterns(shapes, share) if share is not None else None
    wanted = rng.choice(shapes.lengths, size=count, p=shapes.weights)
    made: dict[int, list[np.ndarray]] = {}
    out = np.empty(count, dtype=object)
    widened = []
    for length in shapes.lengths:
        slots = np.flatnonzero(wanted == length)
        if not len(slots):
            continue
        pattern = shapes.patterns[length] if shared is None else shared[length]
        while True:
            taken = [shapes.blocks.get(pattern.length, NO_CODES), *made.get(pattern.length, [])]
            if shared is not None or pattern.size - sum(len(t) for t in taken) >= len(slots):
                break
            pattern = pattern.widened(1)
        if pattern.length != length:
            widened.append((length, pattern.length))
        keys = _new_keys(pattern, len(slots), np.concatenate(taken, axis=None), rng, share)
        made.setdefault(pattern.length, []).append(keys)
        out[slots] = code_strings(keys)
    if widened:
        said = ", ".join(f"{a} to {b}" for a, b in widened)
        warn(
            f"the real keys' shape holds too few new values for {count} fresh ids; "
            f"lengthened from {said} characters",
            stacklevel=3,
        )
    return out


def _shared_patterns(shapes: Shapes, share: KeyShare) -> dict[int, Pattern]:
    """Each real length's pattern when keys are made partition by partition: one that
    leaves every partition's share of free ranks room for the largest partition's
    keys, lengthened when needed to a length no real key and no other pattern has, so
    that keys of one length always come from one pattern (decided on the real keys
    and ``share.most`` alone: the same in every partition)."""
    patterns: dict[int, Pattern] = {}
    lengths = set(shapes.lengths)
    for length in shapes.lengths:
        pattern = shapes.patterns[length]
        if pattern.size // share.parts - len(shapes.blocks[length]) < share.most:
            extra = max(lengths) + 1 - length
            while pattern.widened(extra).size // share.parts < share.most:
                extra += 1
            pattern = pattern.widened(extra)
            lengths.add(pattern.length)
        patterns[length] = pattern
    return patterns


def _new_keys(
    pattern: Pattern,
    count: int,
    taken: np.ndarray,
    rng: np.random.Generator,
    share: KeyShare | None = None,
) -> np.ndarray:
    """``count`` distinct keys (rows of code points) of ``pattern``, none in ``taken``
    (rows of the same length, fewer than the pattern's size minus ``count``). With
    ``share``, only ranks that are its index modulo its parts (the CRC-32 of the key
    for patterns too large to rank)."""
    taken = taken.reshape(-1, pattern.length)
    parts, index = (share.parts, share.index) if share is not None else (1, 0)
    if pattern.size > _RANKABLE:
        # So many spellings that a collision is all but impossible; check all the same.
        seen = set(code_strings(taken))
        keys: list[np.ndarray] = []
        while sum(len(k) for k in keys) < count:
            drawn = pattern.draw((count - sum(len(k) for k in keys)) * parts, rng)
            fresh: list[int] = []
            for row, key in enumerate(code_strings(drawn)):
                mine = parts == 1 or zlib.crc32(key.encode()) % parts == index
                if mine and key not in seen and len(fresh) + sum(map(len, keys)) < count:
                    seen.add(key)
                    fresh.append(row)
            keys.append(drawn[fresh])
        return np.concatenate(keys)
    used = sorted_distinct(pattern.ranks(taken))
    if pattern.size // parts - len(used) < 2 * count:
        # Dense: draw from the free ranks without replacement.
        pool = np.setdiff1d(np.arange(pattern.size, dtype=np.int64), used, assume_unique=True)
        if parts > 1:
            pool = pool[pool % parts == index]
        ranks = rng.choice(pool, size=count, replace=False)
    else:
        # Sparse: draw ranks, keep the distinct free ones, shuffle (a uniformly random
        # set of free ranks in random order, as drawing without replacement gives).
        ranks = np.array([], dtype=np.int64)
        size = pattern.size // parts  # ranks r * parts + index, all below pattern.size
        while len(ranks) < count:
            drawn = rng.integers(0, size, size=count + count // 8) * parts + index
            draws = np.concatenate([ranks, drawn])
            ranks = sorted_distinct(draws)
            ranks = ranks[~np.isin(ranks, used)]
        ranks = rng.permutation(ranks)[:count]
    return pattern.spell(ranks)
