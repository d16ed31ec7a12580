"""The shape of text values: for each length, the alphabet of each position (literal
characters, or the smallest character class holding those seen there), and the
patterns that rank, spell and draw strings of that shape.

Fresh text keys (:mod:`mixsynth.semantics.keys`) are drawn from these patterns, and so
are the random strings that stand in for personal data of a kind Faker does not know
(:func:`shaped_strings`, used by :mod:`mixsynth.semantics.fakes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def code_points(text: str) -> np.ndarray:
    """The characters of ``text`` as code points (the alphabets' and keys' form)."""
    return np.array([ord(c) for c in text], dtype=np.uint32)


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
CLASS_CODES = [code_points(c) for c in _CLASSES]

#: No keys at all (rows of code points, none long): nothing taken yet.
NO_CODES = np.empty((0, 0), dtype=np.uint32)


@dataclass(frozen=True)
class Pattern:
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

    def widened(self, extra: int) -> Pattern:
        """The pattern with ``extra`` more positions after its last varying one.

        The new positions take that position's class (digits after digits); a
        pattern with no varying position gets digits at its end.
        """
        varying = [i for i, a in enumerate(self.alphabets) if len(a) > 1]
        at = varying[-1] + 1 if varying else self.length
        fill = self.alphabets[varying[-1]] if varying else CLASS_CODES[0]
        return Pattern(self.alphabets[:at] + (fill,) * extra + self.alphabets[at:])

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


def code_strings(codes: np.ndarray) -> list[str]:
    """Rows of code points as strings."""
    length = codes.shape[1]
    if length == 0:
        return [""] * len(codes)
    return np.ascontiguousarray(codes).view(f"U{length}").ravel().tolist()


class Shapes:
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
    def _pattern(block: np.ndarray, prefix: int, suffix: int) -> Pattern:
        size = block.shape[1]
        alphabets = []
        for position in range(size):
            seen = _distinct(block[:, position])
            fixed = position < prefix or position >= size - suffix
            if len(seen) == 1 and (fixed or len(block) > 1):
                alphabets.append(seen)
            else:
                alphabets.append(_smallest_class(seen))
        return Pattern(tuple(alphabets))


def _distinct(codes: np.ndarray) -> np.ndarray:
    """The distinct code points in ``codes``, sorted (counting is faster than sorting)."""
    if codes.max() < 2**16:
        return np.flatnonzero(np.bincount(codes)).astype(np.uint32)
    return sorted_distinct(codes)


def _smallest_class(seen: np.ndarray) -> np.ndarray:
    for codes in CLASS_CODES:
        if np.isin(seen, codes).all():
            return codes
    return seen


def sorted_distinct(values: np.ndarray) -> np.ndarray:
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
        return object_array(code_strings(Pattern((CLASS_CODES[5],) * 8).draw(count, rng)))
    shapes = Shapes(real)
    wanted = rng.choice(shapes.lengths, size=count, p=shapes.weights)
    taken = set(real)
    out = np.empty(count, dtype=object)
    for length in shapes.lengths:
        slots = np.flatnonzero(wanted == length)
        pattern = shapes.patterns[length]
        while pattern.size <= len(shapes.blocks.get(pattern.length, NO_CODES)):
            pattern = pattern.widened(1)  # every spelling is real: lengthen
        values: list[str] = []
        while len(values) < len(slots):
            drawn = code_strings(pattern.draw(len(slots) - len(values), rng))
            values.extend(v for v in drawn if v not in taken)
        out[slots] = values
    return out
