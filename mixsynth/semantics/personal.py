"""Personal data recognised by its values, whatever the header and the table's size.

A header alone proves nothing (a ``Name`` column of car models is a category) and the
share of distinct values changes with the number of rows (the same ``full_name``
column is 49% distinct on a whole table and 59% on a 70% sample), so these rules look
at each value: card numbers pass the Luhn check, IBANs the mod-97 check, person names
are words of the name lists of Faker's locales in the shape "First Last", and short
notes that name a person or hold an e-mail or phone number are free text about people
(other free text is told from labels in :mod:`mixsynth.semantics.freetext`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

from mixsynth.semantics.types import ColumnSemantics, SemanticType

#: Faker locales whose first and last names make the name lists of full names: western,
#: central and eastern European, Turkish, Indian and east Asian ones.
NAME_LOCALES = (
    "en_US", "en_GB", "en_IN", "de_DE", "de_AT", "de_CH", "fr_FR", "es_ES", "es_MX",
    "it_IT", "nl_NL", "pt_BR", "pt_PT", "pl_PL", "cs_CZ", "sv_SE", "da_DK", "no_NO",
    "fi_FI", "ru_RU", "uk_UA", "tr_TR", "hu_HU", "ro_RO", "el_GR", "ja_JP", "zh_CN",
    "zh_TW", "ko_KR",
)  # fmt: skip
#: The narrower lists that notes are searched with: a capitalised word in a note is
#: anything (a brand, a place) more often than a name from a distant locale.
NOTE_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR")
#: Share of values that must be full names ("First Last") for a column of person names.
NAME_SHARE = 0.6
#: ... under a header that says names (``name``, ``customer``, ...): rarer given names.
HEADED_NAME_SHARE = 0.3
#: ... or single first or last names, with a header that says which (first, last, ...).
SINGLE_NAME_SHARE = 0.6
#: Share of notes (text with spaces) naming a person or holding contact data that makes
#: the column personal free text; a note about one person is enough to hide.
NOTE_SHARE = 0.05

#: Words from which a value naming a person is a note whatever the rest of the column.
NOTE_WORDS = 3
#: Words that label a contact rather than write about it ("tel: 555 0101", "ext. 12").
CONTACT_LABELS = {"ext", "extension", "tel", "phone", "fax", "mobile", "cell", "mail", "email"}

CARD = re.compile(r"^\d(?:[ -]?\d){11,18}$")
IBAN = re.compile(r"^[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}$")
TITLES = (
    r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|Dott|Sig|Sig\.ra|Ing"
    r"|Dipl\.-Ing|Univ\.Prof|pan|pani|Bay|Bayan)\.?"
)
PARTICLES = r"(?:van|von|der|den|de|del|della|di|da|du|la|le|dos|das|zu|ter|ten|y|bin|ibn|al)"
SUFFIXES = r"(?:Jr|Sr|II|III|IV|MD|PhD|DDS|DVM|Esq|MBA|B\.Sc|B\.A|B\.Eng|M\.Sc|M\.A)\.?"
#: "First Last", "First M. Last", "Dr. First Last", "Prof. Dr. First van der Last B.Sc.",
#: "Hans-Jürgen Müller-Lüdenscheidt" (matched on :func:`cased_shape`, so letters outside
#: ASCII count by their case): a given and a family name, capitalised, with up to three
#: words or particles between them.
FULL_NAME = re.compile(
    rf"^(?:{TITLES} ){{0,2}}([A-Z][a-z']+(?:-[A-Z]?[a-z']+)*)"
    rf"(?: (?:[A-Z][a-z'-]*\.?|{PARTICLES})){{0,3}} "
    rf"([A-Z][A-Za-z'-]+)(?:,? {SUFFIXES})?$"
)
#: "Last, First" (a directory's order), with a middle name or initial.
LAST_FIRST = re.compile(r"^([A-Z][A-Za-z'-]+), ([A-Z][a-z'-]+)(?: [A-Z][a-z'-]*\.?)?$")
#: Family name first, then given names or initials ("Nagy M. Éva", "Dr. Papp Viktor",
#: "Петров Иван Сергеевич"): read only in letters outside ASCII.
FAMILY_FIRST = re.compile(
    rf"^(?:{TITLES} ){{0,2}}(?:[A-Z]\. )?([A-Z][a-z'-]+)((?: (?:[A-Z][a-z'-]+|[A-Z]\.)){{1,4}})$"
)
#: Chinese, Japanese and Korean characters (kana, ideographs, Hangul syllables).
CJK = re.compile(r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+$")
#: Longer values are not names (and the name patterns need not look at them).
MAX_NAME_LENGTH = 80
#: An e-mail address or a phone number inside text: international, North American, or
#: a local seven-digit number ("call 555-0101"). An address is only looked for from the
#: start of a word: from every character, a long cell without one took quadratic time
#: (a 40,000-character cell 12 s).
CONTACT = re.compile(
    r"(?<![^@\s])[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"
    r"|\+\d[\d\s().-]{7,}\d|(?:\(?\d{3}\)?[\s.-])?\b\d{3}[\s.-]\d{4}\b"
)


def luhn_valid(value: str) -> bool:
    """True for a number of 12 to 19 digits (Maestro's shortest to the longest card
    numbers) that passes the Luhn check, separators ignored."""
    digits = [int(c) for c in value if c.isdigit()]
    if not 12 <= len(digits) <= 19:
        return False
    total = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return total % 10 == 0


def card_number_share(numbers: np.ndarray) -> float:
    """Share of integers that are card numbers (:func:`luhn_valid`): a CSV column of
    16-digit card numbers is read as integers. Checked only where the smallest value
    has 12 digits (most integer columns stop there)."""
    if numbers.size == 0 or numbers.min() < 10**11:
        return 0.0
    return sum(luhn_valid(str(int(n))) for n in numbers) / numbers.size


def iban_valid(value: str) -> bool:
    """True for an IBAN whose check digits pass ISO 13616's mod-97 test."""
    compact = value.replace(" ", "").upper()
    if not IBAN.match(compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


@functools.cache
def _locale_names(locale: str) -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) of one locale's Faker person provider (loaded once,
    only for columns whose values could be names)."""
    import importlib

    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    first: set[str] = set()
    last: set[str] = set()
    for attribute, names in (
        ("first_names", first),
        ("first_names_male", first),
        ("first_names_female", first),
        ("last_names", last),
    ):
        found = getattr(provider, attribute, ())
        if isinstance(found, (dict, list, tuple, set, frozenset)):
            names.update(found.keys() if isinstance(found, dict) else found)
    return frozenset(first), frozenset(last)


@functools.lru_cache(maxsize=2)
def name_lists(locales: tuple[str, ...] = NAME_LOCALES) -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) of Faker's person providers in ``locales``."""
    firsts, lasts = zip(*(_locale_names(locale) for locale in locales), strict=True)
    return frozenset().union(*firsts), frozenset().union(*lasts)


@functools.lru_cache(maxsize=1)
def names_by_locale() -> dict[str, frozenset[str]]:
    """Each of :data:`NAME_LOCALES`' given and family names, together."""
    return {locale: frozenset().union(*_locale_names(locale)) for locale in NAME_LOCALES}


def names_locale(texts: Any) -> str:
    """The locale whose name lists hold the most of the values' names (count-weighted,
    the first in :data:`NAME_LOCALES` on a tie): names are made up in it, so Japanese
    names come out as Japanese ones, not as American ones."""
    known = names_by_locale()
    hits = dict.fromkeys(NAME_LOCALES, 0.0)
    for value, count in zip(texts.values, texts.counts, strict=True):
        parts = _name_parts(value)
        if parts is None:
            continue
        form, given, family = parts
        if form == "cjk":  # family name first; without a space, of one or two characters
            split = given.replace("\u3000", " ").split()
            words = set(split) if len(split) == 2 else {given[:1], given[1:], given[:2], given[2:]}
        else:
            words = {w.strip(",.") for w in value.split()} | {given.title(), family.title()}
        for locale, names in known.items():
            if words & names:
                hits[locale] += float(count)
    return max(hits, key=lambda locale: hits[locale])


def cased_shape(value: str) -> str:
    """``value`` with each letter outside ASCII written ``A`` or ``a`` by its case
    (``Jürgen Müller`` -> ``Jaargen Maaller``; the same length), so that ASCII patterns
    see the capitals of names in any Latin, Greek or Cyrillic script."""
    if value.isascii():
        return value
    return "".join(
        ch if ch.isascii() or not ch.isalpha() else ("A" if ch.isupper() else "a") for ch in value
    )


def _name_parts(value: str) -> tuple[str, str, str] | None:
    """(form, given, family) of a value shaped like a person's name, None otherwise:
    ``full`` ("First Last", written in capitals or not), ``directory`` ("Last, First")
    or ``cjk`` (Chinese, Japanese or Korean characters: family name first, with or
    without a space; ``given`` is then the whole value)."""
    value = value.strip()
    if not value or len(value) > MAX_NAME_LENGTH:
        return None
    shape = cased_shape(value.title() if value.isupper() else value)  # "JOHN O'NEIL"
    for form, pattern, given, family in (
        ("full", FULL_NAME, 1, 2),
        ("directory", LAST_FIRST, 2, 1),
        ("family first", FAMILY_FIRST, 2, 1),
    ):
        match = pattern.match(shape)
        if match is not None:
            return form, value[slice(*match.span(given))], value[slice(*match.span(family))]
    parts = value.replace("\u3000", " ").split(" ")
    if len(parts) <= 2 and all(CJK.match(part) for part in parts) and len(value) <= 9:
        return "cjk", value, ""
    return None


def has_name_shape(value: str) -> bool:
    """Shaped like a person's name (:func:`_name_parts`), known names or not; in capitals
    only when known (a ``facility_name`` of "BAPTIST HOSPICE" is no person's)."""
    if _name_parts(value) is None:
        return False
    return not value.isupper() or is_full_name(value)


def is_full_name(value: str) -> bool:
    """A person's name of a known given name (last names include words such as Green or
    Pinto, so they alone are no evidence): "First Last" or "Last, First"; "Last First"
    of a known family and given name in letters outside ASCII (Russian, Hungarian: read
    so in ASCII, "North Carolina" would be a name); in Chinese, Japanese or Korean
    characters a known family name then a known given name, with or without a space."""
    parts = _name_parts(value)
    if parts is None:
        return False
    first, last = name_lists()
    form, given, family = parts
    if form == "cjk":
        words = given.replace("\u3000", " ").split(" ")
        if len(words) == 2:
            return words[0] in last and words[1] in first
        return any(given[:k] in last and given[k:] in first for k in (1, 2))
    if value.isupper():  # "BAPTIST HOSPICE": capitals hide the case; both names known
        return given.title() in first and family.title() in last
    # A compound given name ("Jérôme-Thibaut") is known by its first part.
    return given in first or given.split("-")[0] in first or _family_first(value, first, last)


def _family_first(value: str, first: frozenset[str], last: frozenset[str]) -> bool:
    """A known family name (a Hungarian wife's "-né" taken off) then a known given name
    among the words after it; read only in letters outside ASCII, as "North Carolina"
    would be one."""
    value = value.strip()
    if value.isascii():
        return False
    match = FAMILY_FIRST.match(cased_shape(value))
    if match is None:
        return False
    family = value[slice(*match.span(1))]
    later = value[slice(*match.span(2))].split()
    return family.removesuffix("né") in last and any(word in first for word in later)


def names_a_person(note: str) -> bool:
    """A note (two words or more) holding an e-mail or a phone number, or words of writing that name someone
    by a capitalised known first name: anywhere in a note of :data:`NOTE_WORDS` words or
    more ("Ricky likes cats"), after the first word of a shorter one ("call Jennifer").
    Labels name nobody: title case ("San Jose", "In Grace Period"), or a first name as
    the first of two words ("Grace period", "Will call")."""
    words = note.split()
    if len(words) < 2:
        return False
    if CONTACT.search(note):
        return True
    if all(word[0].isupper() for word in words if word[0].isalpha()):
        return False
    first, _ = name_lists(NOTE_LOCALES)
    searched = note if len(words) >= NOTE_WORDS else " ".join(words[1:])
    return any(word in first for word in re.findall(r"\b[A-Z][a-z]+\b", searched))


def is_contact_note(value: str) -> bool:
    """An e-mail address or phone number with other words around it ("call 555-0101
    after six"), not a bare or labelled contact (those are PII, found before)."""
    if not CONTACT.search(value):
        return False
    rest = re.findall(r"[A-Za-z]{2,}", CONTACT.sub(" ", value))
    return any(word.lower() not in CONTACT_LABELS for word in rest)


def could_hold_names(values: list[str]) -> bool:
    """Cheap test before the name lists are loaded: some value has a capitalised word
    (in any script), is written in capitals, or in Chinese, Japanese or Korean."""
    return any(
        re.search(r"\b[A-Z][a-z]", v) or v.isupper() or (not v.isascii() and has_name_shape(v))
        for v in values[:200]
    )


#: Name words of a header that say a column of single names is of first or last names.
FIRST_WORDS = {"first", "given", "forename", "firstname"}
LAST_WORDS = {"last", "surname", "family", "lastname"}
#: Words of a header that say a column of "Word Word" values holds people's names.
PERSON_WORDS = {
    "name", "full", "fullname", "person", "customer", "client", "contact", "user",
    "patient", "employee", "owner", "holder", "member",
}  # fmt: skip


def personal_semantics(
    name: str, words: set[str], texts: Any, share: float
) -> ColumnSemantics | None:
    """PII (cards, IBANs, person names) or personal free text (notes naming people), by
    the values of a text column; ``texts`` has ``share(test)`` over the sampled values,
    ``share`` is the share of values a pattern must match. None: nothing personal."""

    def pii(subtype: str, found: float, what: str) -> ColumnSemantics:
        return ColumnSemantics(
            name, SemanticType.PII, f"{found:.0%} of values are {what}", pii=subtype
        )

    cards = texts.share(lambda v: CARD.match(v.strip()) and luhn_valid(v))
    if cards >= share:
        return pii("credit_card_number", cards, "card numbers (Luhn check)")
    ibans = texts.share(lambda v: iban_valid(v.strip()))
    if ibans >= share:
        return pii("iban", ibans, "IBANs (mod-97 check)")
    contact = texts.share(is_contact_note)
    if contact >= NOTE_SHARE:
        return ColumnSemantics(
            name,
            SemanticType.TEXT,
            f"notes: {contact:.0%} hold an e-mail address or phone number among other "
            "words; made up",
        )
    if not could_hold_names(list(texts.values)):
        return None
    # The name lists (importing Faker: 0.1-0.25 s) are loaded only where a test needs
    # them: a full name has the shape, a single name a header that says so.
    shaped = texts.share(has_name_shape)
    full = texts.share(is_full_name) if shaped >= NAME_SHARE else 0.0
    if full >= NAME_SHARE:
        found = pii("name", full, "person names (Faker's name lists, 'First Last')")
        return found.with_(locale=names_locale(texts))
    # A header saying so lowers the bar to HEADED_NAME_SHARE known given names, never to
    # none: "Lansdowne Airport" under `name` and "Acrebrook Drive" under `StreetName`
    # are no people.
    if words & PERSON_WORDS and shaped >= NAME_SHARE and full >= HEADED_NAME_SHARE:
        found = pii("name", shaped, f"'First Last' and the name says so ({name!r})")
        return found.with_(locale=names_locale(texts))
    for subtype, header, position in (("first_name", FIRST_WORDS, 0), ("last_name", LAST_WORDS, 1)):
        if not words & header:
            continue
        known = name_lists()[position]
        single = texts.share(lambda v, known=known: v.strip() in known)
        if single >= SINGLE_NAME_SHARE:
            return pii(subtype, single, f"{subtype.replace('_', ' ')}s, as the name says")
    # A note naming someone is hidden even among one-word values ("ok").
    naming = texts.share(names_a_person)
    if naming >= NOTE_SHARE:
        return ColumnSemantics(
            name,
            SemanticType.TEXT,
            f"notes about people: {naming:.0%} name a person or hold contact data; made up",
        )
    slots = name_slots(list(texts.values))
    if slots >= SLOT_NAMES:
        return ColumnSemantics(
            name,
            SemanticType.TEXT,
            f"notes about people: {slots} different first names open short notes "
            "('Jason called'); made up",
        )
    return None


#: Different known first names opening two-word values from which they are people named
#: in notes ("Jason called", "Maria called"), not a label's first word ("Grace period").
SLOT_NAMES = 5


def name_slots(values: list[str]) -> int:
    """How many different known first names open the two-word values written in
    sentence case: labels hold a few ("Grace period", "Will call"), notes about people
    many ("Jason called", "Maria called", ...)."""
    first, _ = name_lists(NOTE_LOCALES)
    opening = set()
    for value in values:
        words = value.split()
        if len(words) == 2 and words[1][:1].islower() and words[0] in first:
            opening.add(words[0])
    return len(opening)
