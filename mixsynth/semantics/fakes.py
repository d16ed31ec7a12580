"""Made-up values for personal data and free text, from Faker.

- :func:`fake_values`: realistic personal data of a PII subtype from Faker, seeded
  from the run's generator so that files are byte-reproducible (personal data of a
  kind Faker does not know: random strings of the real values' shape, from
  :mod:`mixsynth.semantics.text_shapes`, whose patterns also make the fresh keys);
- :func:`fake_text`: fake sentences whose lengths follow the real ones.

Faker is imported inside the functions: only runs that fake something pay for it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

import numpy as np

from mixsynth.errors import InputError, OptionError
from mixsynth.semantics.keys import present_values
from mixsynth.semantics.text_shapes import object_array, shaped_strings
from mixsynth.semantics.types import GENERIC_PII, PII_SUBTYPES

#: Faker values drawn at most per column; larger outputs sample from this pool, since
#: Faker takes tens of microseconds per value.
FAKE_POOL = 50_000
#: Fake texts drawn at most per column (a sentence costs ~100 µs).
TEXT_POOL = 20_000
#: Faker draws in a row without a new value after which a subtype counts as exhausted.
_GIVE_UP = 2_000


def fake_values(
    subtype: str,
    count: int,
    rng: np.random.Generator,
    locale: str = "en_US",
    real: np.ndarray | None = None,
) -> np.ndarray:
    """``count`` fake values of a PII subtype (a key of ``PII_SUBTYPES``), none real.

    Faker (its ``locale``) is seeded from ``rng``, so a seed gives the same values
    (for a given Faker version). At most :data:`FAKE_POOL` distinct values are drawn;
    a larger ``count`` samples from them, so values are unique within the output when
    ``count`` is at most the pool size and the subtype has that many values (a first
    name or a country has fewer). Multi-line values (addresses) are joined with ", ".

    The generic subtype (:data:`GENERIC_PII`, for personal data of a kind Faker does
    not know) gives random strings of the real values' shape (see :func:`fresh_ids`),
    and phone numbers with real values follow the real values one by one
    (:func:`phone_numbers_like`); repeats allowed, never a real value.
    """
    if count < 0:
        raise OptionError(f"cannot make {count} values", "ask for zero or more")
    _check_locale(locale)
    taken = (
        {str(v) for v in present_values(np.asarray(real, dtype=object))}
        if real is not None
        else set()
    )
    if subtype == "phone_number" and taken:
        return phone_numbers_like(sorted(taken), count, rng)
    if subtype == GENERIC_PII:
        return shaped_strings(sorted(taken), count, rng)
    provider = PII_SUBTYPES.get(subtype)
    if provider is None:
        raise OptionError(
            f"unknown personal-data subtype {subtype!r}{_did_you_mean(subtype, PII_SUBTYPES)}",
            f"use one of: {', '.join([*PII_SUBTYPES, GENERIC_PII])}",
        )
    if count == 0:
        return object_array([])
    fake = _faker(locale, rng)
    make = names_like(fake, taken, rng) if subtype == "name" else getattr(fake, provider)
    wanted = min(count, FAKE_POOL)
    pool: dict[str, None] = {}  # distinct values, in the order drawn
    misses = 0  # draws in a row that gave nothing new: the subtype's values run out
    while len(pool) < wanted and misses < _GIVE_UP:
        value = str(make()).replace("\n", ", ")
        if value in taken or value in pool:
            misses += 1
        else:
            pool[value] = None
            misses = 0
    if not pool:
        raise InputError(
            f"every fake {subtype} Faker made is a real value of the column",
            "the column has few distinct values: treat it as categorical in the metadata",
        )
    return _drawn_from(list(pool), count, rng)


def names_like(fake, real: set[str], rng: np.random.Generator) -> Callable[[], str]:
    """Faker's person names with a title ("Dr.", "Mrs.", "MD", "Jr.") as often as the
    real ones have one: with weighting off Faker draws its name formats uniformly, and
    three en_US formats in four carry one, where a customer table's "Carol Long" has
    none. Without real names, Faker's own formats."""
    person = next(
        (
            p
            for p in fake.get_providers()
            if "person" in type(p).__module__ and hasattr(p, "formats")
        ),
        None,
    )
    if person is None or not real:
        return fake.name
    formats = list(person.formats)
    titled = [f for f in formats if "{{prefix" in f or "{{suffix" in f]
    plain = [f for f in formats if f not in titled] or formats
    titles = {
        str(word)
        for attribute in dir(person)
        if attribute.startswith(("prefixes", "suffixes"))
        for word in getattr(person, attribute)
    }
    share = float(np.mean([_has_title(name, titles) for name in real])) if titles else 0.0

    def make() -> str:
        chosen = titled if titled and rng.random() < share else plain
        return fake.parse(chosen[int(rng.integers(0, len(chosen)))])

    return make


def _has_title(name: str, titles: set[str]) -> bool:
    words = name.split()
    return bool(words) and (words[0] in titles or words[-1] in titles)


#: A leading international prefix ("+1", "+44 ", "001-") that a fake phone number keeps.
INTERNATIONAL_PREFIX = re.compile(r"^(?:\+|00)\d{1,3}")


def phone_numbers_like(real: list[str], count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` phone numbers, each in the format of a real one drawn at random: its
    digits redrawn, its separators, extension mark and international prefix kept
    ("(859)367-3825", "+1-390-594-5282x488"). Real columns mix formats, so a format is
    taken whole from one value: mixed position by position, formats of one length gave
    numbers such as "688-447.3346y209". At most :data:`FAKE_POOL` are written; a larger
    ``count`` samples from them. Never a real value."""
    taken = set(real)
    templates = [real[i] for i in rng.integers(0, len(real), size=min(count, FAKE_POOL))]
    pool: list[str] = []
    for template in templates:
        kept = INTERNATIONAL_PREFIX.match(template)
        start = kept.end() if kept else 0
        head, tail = template[:start], list(template[start:])
        places = [i for i, character in enumerate(tail) if character.isdigit()]
        for _ in range(_GIVE_UP):
            digits = rng.integers(0, 10, size=len(places)).tolist()
            for place, digit in zip(places, digits, strict=True):
                tail[place] = str(digit)
            value = head + "".join(tail)
            if value not in taken:
                pool.append(value)
                break
    if not pool:
        raise InputError(
            "every fake phone number is a real value of the column",
            "the column has few distinct values: treat it as categorical in the metadata",
        )
    return _drawn_from(pool, count, rng)


def fake_text(
    count: int,
    rng: np.random.Generator,
    locale: str = "en_US",
    real_lengths: np.ndarray | None = None,
    real: np.ndarray | None = None,
) -> np.ndarray:
    """``count`` fake sentences (Faker's ``text``) about as long as the real texts.

    Each value's target length is drawn from ``real_lengths`` (80 characters when
    none are given); Faker writes whole words up to that many characters, so values
    run somewhat shorter. Targets under 5 characters get one word. At most
    :data:`TEXT_POOL` texts are written; a larger ``count`` takes, for each target,
    the pool text of the nearest length. Values equal to one of ``real`` are redrawn.
    """
    _check_locale(locale)
    if count == 0:
        return object_array([])
    lengths = np.asarray(real_lengths if real_lengths is not None else [], dtype=np.int64)
    lengths = lengths[lengths > 0]
    if not len(lengths):
        lengths = np.array([80])
    taken = (
        {str(v) for v in present_values(np.asarray(real, dtype=object))}
        if real is not None
        else set()
    )
    fake = _faker(locale, rng)
    targets = rng.choice(lengths, size=min(count, TEXT_POOL))

    def write(target: int) -> str:
        while True:
            value = fake.word() if target < 5 else fake.text(max_nb_chars=int(target))
            if value not in taken:
                return value

    pool = [write(target) for target in targets.tolist()]
    if count <= len(pool):
        return object_array(pool)
    pool_lengths = np.array([len(v) for v in pool])
    order = np.argsort(pool_lengths, kind="stable")
    wanted = rng.choice(lengths, size=count)
    nearest = np.clip(np.searchsorted(pool_lengths[order], wanted), 0, len(pool) - 1)
    return object_array(pool)[order[nearest]]


def _drawn_from(pool: list[str], count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` values of a pool of distinct fakes: the first ``count`` (no repeats)
    when it holds as many, else drawn from it at random."""
    if count <= len(pool):
        return object_array(pool[:count])
    return object_array(pool)[rng.integers(0, len(pool), size=count)]


def _check_locale(locale: str) -> None:
    """Refuse a locale Faker does not have, naming the closest ones."""
    from faker.config import AVAILABLE_LOCALES

    if locale not in AVAILABLE_LOCALES:
        raise OptionError(
            f"unknown locale {locale!r}{_did_you_mean(locale, AVAILABLE_LOCALES)}",
            "use a Faker locale such as en_US, en_GB, de_DE, fr_FR, es_ES, it_IT, ja_JP",
        )


def _faker(locale: str, rng: np.random.Generator):
    """A Faker for ``locale`` seeded from ``rng``.

    Weighting is off: Faker then draws names and formats uniformly from its lists
    instead of by frequency, which is about four times faster for names and emails.
    """
    from faker import Faker

    fake = Faker(locale, use_weighting=False)
    fake.seed_instance(int(rng.integers(0, 2**63 - 1)))
    return fake


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
