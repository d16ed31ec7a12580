"""Fresh keys: new values of the same type and shape as a key column's real ones.

Integers continue after the real maximum; text keys keep their literal characters and
the character class at each position; UUIDs stay UUIDs. Every key is unique and never
a real one, also when a table is made partition by partition (:class:`KeyShare`).
The same shapes make the random strings that stand in for personal data of a kind
Faker does not know (:func:`shaped_strings`, used by :mod:`mixsynth.semantics.fakes`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from mixsynth.errors import InputError, OptionError, warn

#: Above this many spellings, keys are drawn position by position instead of by rank.
_RANKABLE = 2**62

_UUID_DASHES = (8, 13, 18, 23)


def _code_points(text: str) -> np.ndarray:
    return np.array([ord(c) for c in text], dtype=np.uint32)


_HEX_CODES = _code_points("0123456789abcdefABCDEF")

# Character classes a varying position may hold, in order of preference: the first that
# holds every character seen there is used.
_CLASSES = [
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789abcdef",
    "0123456789ABCDEF",
    "0123456789abcdefghijklmnopqrstuvwxyz",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
]
_CLASS_CODES = [_code_points(c) for c in _CLASSES]


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


@dataclass(frozen=True)
class _Pattern:
    """Keys of one length: an alphabet (code points) for each position.

    A position whose alphabet has one character is a literal (a prefix such as
    ``ACC-``, a dash, a leading zero every key has). A key is a number in the mixed
    radix of the alphabets' sizes (the last position varies fastest), which lets
    fresh keys be drawn as integers and checked against the real ones with numpy.
    """

    alphabets: tuple[np.ndarray, ...]

    @property
    def length(self) -> int:
        return len(self.alphabets)

    @property
    def size(self) -> int:
        """How many keys the pattern can spell."""
        size = 1
        for alphabet in self.alphabets:
            size *= len(alphabet)
        return size

    def widened(self, extra: int) -> _Pattern:
        """The pattern with ``extra`` more positions after its last varying one.

        The new positions take that position's class (digits after digits); a
        pattern with no varying position gets digits at its end.
        """
        varying = [i for i, a in enumerate(self.alphabets) if len(a) > 1]
        at = varying[-1] + 1 if varying else self.length
        fill = self.alphabets[varying[-1]] if varying else _CLASS_CODES[0]
        return _Pattern(self.alphabets[:at] + (fill,) * extra + self.alphabets[at:])

    def ranks(self, codes: np.ndarray) -> np.ndarray:
        """The ranks of the keys (rows of code points) that the pattern spells."""
        rank = np.zeros(len(codes), dtype=np.int64)
        fits = np.ones(len(codes), dtype=bool)
        for position, alphabet in enumerate(self.alphabets):
            # A lookup table from code point to place in the alphabet (-1: not in it).
            table = np.full(int(max(alphabet.max(), codes[:, position].max(initial=0))) + 1, -1)
            table[alphabet] = np.arange(len(alphabet))
            index = table[codes[:, position]]
            fits &= index >= 0
            rank = rank * len(alphabet) + index
        return rank[fits]

    def spell(self, ranks: np.ndarray) -> np.ndarray:
        """The keys (rows of code points) with these ranks."""
        codes = np.empty((len(ranks), self.length), dtype=np.uint32)
        rest = ranks.copy()
        for position in range(self.length - 1, -1, -1):
            alphabet = self.alphabets[position]
            if len(alphabet) == 1:
                codes[:, position] = alphabet[0]
                continue
            rest, index = np.divmod(rest, len(alphabet))
            codes[:, position] = alphabet[index]
        return codes

    def draw(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` keys drawn position by position (duplicates possible)."""
        codes = np.empty((count, self.length), dtype=np.uint32)
        for position, alphabet in enumerate(self.alphabets):
            codes[:, position] = alphabet[rng.integers(0, len(alphabet), size=count)]
        return codes


def _strings(codes: np.ndarray) -> list[str]:
    """Rows of code points as strings."""
    length = codes.shape[1]
    if length == 0:
        return [""] * len(codes)
    return np.ascontiguousarray(codes).view(f"U{length}").ravel().tolist()


class _Shapes:
    """The real values as rows of code points, one block per length, and a pattern
    for each length.

    Literal positions: the prefix and suffix every value shares, and any position
    that is the same in every value of a length (with two values or more of that
    length). Other positions: the smallest class (digits, hex, lower, upper, letters,
    letters and digits) holding the characters seen there, else exactly those.
    """

    def __init__(self, real: list[str]) -> None:
        lengths = np.fromiter(map(len, real), dtype=np.int64, count=len(real))
        width = max(int(lengths.max()), 1)
        codes = np.asarray(real, dtype=f"U{width}").view(np.uint32).reshape(len(real), width)
        sizes, counts = np.unique(lengths, return_counts=True)
        self.lengths, self.weights = sizes.tolist(), counts / counts.sum()
        self.blocks = {size: codes[lengths == size, :size] for size in self.lengths}
        prefix = suffix = 0
        rows = np.arange(len(real))
        while prefix < sizes[0] and np.all(codes[:, prefix] == codes[0, prefix]):
            prefix += 1
        while suffix < sizes[0]:
            column = codes[rows, lengths - 1 - suffix]
            if not np.all(column == column[0]):
                break
            suffix += 1
        self.patterns = {
            size: self._pattern(block, prefix, suffix) for size, block in self.blocks.items()
        }

    @staticmethod
    def _pattern(block: np.ndarray, prefix: int, suffix: int) -> _Pattern:
        size = block.shape[1]
        alphabets = []
        for position in range(size):
            seen = _distinct(block[:, position])
            fixed = position < prefix or position >= size - suffix
            if len(seen) == 1 and (fixed or len(block) > 1):
                alphabets.append(seen)
            else:
                alphabets.append(_smallest_class(seen))
        return _Pattern(tuple(alphabets))


def _distinct(codes: np.ndarray) -> np.ndarray:
    """The distinct code points in ``codes``, sorted (counting is faster than sorting)."""
    if codes.max() < 2**16:
        return np.flatnonzero(np.bincount(codes)).astype(np.uint32)
    return _sorted_distinct(codes)


def _smallest_class(seen: np.ndarray) -> np.ndarray:
    for codes in _CLASS_CODES:
        if np.isin(seen, codes).all():
            return codes
    return seen


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
        pattern = _Pattern((_CLASS_CODES[-1],) * 8)
        return object_array(_strings(_new_keys(pattern, count, _NO_CODES, rng, share)))
    shapes = _Shapes(real)
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
            taken = [shapes.blocks.get(pattern.length, _NO_CODES), *made.get(pattern.length, [])]
            if shared is not None or pattern.size - sum(len(t) for t in taken) >= len(slots):
                break
            pattern = pattern.widened(1)
        if pattern.length != length:
            widened.append((length, pattern.length))
        keys = _new_keys(pattern, len(slots), np.concatenate(taken, axis=None), rng, share)
        made.setdefault(pattern.length, []).append(keys)
        out[slots] = _strings(keys)
    if widened:
        said = ", ".join(f"{a} to {b}" for a, b in widened)
        warn(
            f"the real keys' shape holds too few new values for {count} fresh ids; "
            f"lengthened from {said} characters",
            stacklevel=3,
        )
    return out


_NO_CODES = np.empty((0, 0), dtype=np.uint32)


def _shared_patterns(shapes: _Shapes, share: KeyShare) -> dict[int, _Pattern]:
    """Each real length's pattern when keys are made partition by partition: one that
    leaves every partition's share of free ranks room for the largest partition's
    keys, lengthened when needed to a length no real key and no other pattern has, so
    that keys of one length always come from one pattern (decided on the real keys
    and ``share.most`` alone: the same in every partition)."""
    patterns: dict[int, _Pattern] = {}
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
    pattern: _Pattern,
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
        seen = set(_strings(taken))
        keys: list[np.ndarray] = []
        while sum(len(k) for k in keys) < count:
            drawn = pattern.draw((count - sum(len(k) for k in keys)) * parts, rng)
            fresh: list[int] = []
            for row, key in enumerate(_strings(drawn)):
                mine = parts == 1 or zlib.crc32(key.encode()) % parts == index
                if mine and key not in seen and len(fresh) + sum(map(len, keys)) < count:
                    seen.add(key)
                    fresh.append(row)
            keys.append(drawn[fresh])
        return np.concatenate(keys)
    used = _sorted_distinct(pattern.ranks(taken))
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
            ranks = _sorted_distinct(draws)
            ranks = ranks[~np.isin(ranks, used)]
        ranks = rng.permutation(ranks)[:count]
    return pattern.spell(ranks)


def _sorted_distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting (faster here than numpy's hash-based unique)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))[: len(values)]]


def object_array(values: list) -> np.ndarray:
    """``values`` as a 1-D object array (``np.array`` would make fixed-width strings)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def shaped_strings(real: list[str], count: int, rng: np.random.Generator) -> np.ndarray:
    """Random strings of the real values' shape, none of them a real value."""
    if count == 0:
        return object_array([])
    if not real:
        return object_array(_strings(_Pattern((_CLASS_CODES[5],) * 8).draw(count, rng)))
    shapes = _Shapes(real)
    wanted = rng.choice(shapes.lengths, size=count, p=shapes.weights)
    taken = set(real)
    out = np.empty(count, dtype=object)
    for length in shapes.lengths:
        slots = np.flatnonzero(wanted == length)
        pattern = shapes.patterns[length]
        while pattern.size <= len(shapes.blocks.get(pattern.length, _NO_CODES)):
            pattern = pattern.widened(1)  # every spelling is real: lengthen
        values: list[str] = []
        while len(values) < len(slots):
            drawn = _strings(pattern.draw(len(slots) - len(values), rng))
            values.extend(v for v in drawn if v not in taken)
        out[slots] = values
    return out
