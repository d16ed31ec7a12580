"""Free text told from labels by its values, so that it is made up, never copied.

A column of notes ("left the parcel at the door, customer was not home") may hold
anything a person wrote, names included, and each note is nearly unique: copied from
donor rows, every synthetic note would be a real one. A column of product names ("ford
pinto", "chevrolet chevelle malibu") is a column of labels: just as many of its values
are rare, but it is a category, worth copying. Rarity cannot tell them apart; the
values' shape can: running text has the small words of sentences (the, a, to, ...) or
sentence punctuation, and labels have neither. Both tests are shares of values, so a
column gets the same type on part of a table as on the whole.
"""

from __future__ import annotations

import re
from typing import Any

from mixsynth.semantics.types import ColumnSemantics, SemanticType

#: Small words of running English text: a value of several words holding one reads as
#: a sentence, not a label (model and product names have none of them).
FUNCTION_WORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "to", "of", "for", "in",
    "on", "at", "by", "with", "from", "about", "into", "as", "is", "are", "was", "were",
    "be", "been", "being", "has", "have", "had", "do", "does", "did", "not", "no", "nor",
    "it", "its", "this", "that", "these", "those", "there", "here", "he", "she", "they",
    "we", "you", "i", "me", "him", "her", "them", "us", "my", "your", "his", "their",
    "our", "will", "would", "can", "could", "should", "may", "might", "must", "please",
    "than", "very",
})  # fmt: skip
#: Punctuation that ends a clause: a comma, semicolon or colon before a lower-case word
#: ("arrived late, box damaged"; not "New York, NY"), or a full stop, ! or ? after a
#: lower-case word ("left at the door." ; not "Acme Inc." or "St. Louis").
SENTENCE_PUNCTUATION = re.compile(r"[,;:]\s+[a-z]|\b[a-z]{2,}[.!?](?:\s|$)")
#: Words a value needs before its small words or punctuation make it running text
#: ("Acme, Inc." is a label, "call me later" a note).
MIN_WORDS = 3
#: A value is rare when it fills at most this share of the (sampled) rows, or at most
#: :data:`RARE_COUNT` of them: a share, not a count, so that a column is as rare on part
#: of a table as on the whole (100 notes repeated over 400 rows are rare in 280 of them too).
RARE_FRACTION = 0.02
RARE_COUNT = 2
#: Shares of values that must be running text, and rare, for a column of free text.
RUNNING_SHARE = 0.5
RARE_SHARE = 0.5
#: Values a column needs before rarity and running text count (a handful is no evidence).
MIN_VALUES = 20
#: Mean length from which mostly distinct values with spaces are free text anyway.
LONG_TEXT = 25


def is_running_text(value: str) -> bool:
    """At least :data:`MIN_WORDS` words, one of them a small word of sentences or
    followed by sentence punctuation."""
    words = value.split()
    if len(words) < MIN_WORDS:
        return False
    if SENTENCE_PUNCTUATION.search(value.strip()):
        return True
    return any(word.strip("\"'()[]").lower() in FUNCTION_WORDS for word in words)


def rare_share(counts: Any, fraction: float = RARE_FRACTION) -> float:
    """Share of the (sampled) rows whose value is rare: in at most ``fraction`` of the
    rows or :data:`RARE_COUNT` of them. ``counts``: each distinct value's."""
    import numpy as np

    weights = np.asarray(counts, dtype=np.float64)
    total = weights.sum()
    if total == 0:
        return 0.0
    return float(weights[weights <= max(RARE_COUNT, fraction * total)].sum() / total)


def free_text_semantics(
    name: str, texts: Any, observed: int, mostly_distinct: bool, counts: str
) -> ColumnSemantics | None:
    """``text`` for a column of notes, None for labels. ``texts`` holds the sampled
    distinct values (``values``) with their ``counts`` and ``share(test)``;
    ``observed`` is the column's count of present values, ``counts`` says it in words."""

    mean_length = texts.mean_length()
    if (
        mostly_distinct
        and mean_length >= LONG_TEXT
        and texts.share(lambda v: " " in v.strip()) >= 0.5
    ):
        return ColumnSemantics(
            name,
            SemanticType.TEXT,
            f"free text: {counts}, {mean_length:.0f} characters on average",
        )
    if observed < MIN_VALUES or not len(texts.counts):
        return None
    rare = rare_share(texts.counts)
    if rare < RARE_SHARE:
        return None
    running = texts.share(is_running_text)
    if running < RUNNING_SHARE:
        return None
    return ColumnSemantics(
        name,
        SemanticType.TEXT,
        f"free text: {running:.0%} of values are sentences (small words such as 'the', "
        f"'to' or sentence punctuation), {rare:.0%} rare; made up",
    )
