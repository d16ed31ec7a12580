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

from mixsynth.semantics.types import ColumnSemantics, SemanticType

#: Faker locales whose first and last names make the name lists.
NAME_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR")
#: Share of values that must be full names ("First Last") for a column of person names.
NAME_SHARE = 0.6
#: ... or single first or last names, with a header that says which (first, last, ...).
SINGLE_NAME_SHARE = 0.6
#: Share of notes (text with spaces) naming a person or holding contact data that makes
#: the column personal free text; a note about one person is enough to hide.
NOTE_SHARE = 0.05

#: Words from which a value naming a person is a note whatever the rest of the column.
NOTE_WORDS = 3
#: Words that label a contact rather than write about it ("tel: 555 0101", "ext. 12").
CONTACT_LABELS = {"ext", "extension", "tel", "phone", "fax", "mobile", "cell", "mail", "email"}

CARD = re.compile(r"^\d(?:[ -]?\d){12,18}$")
IBAN = re.compile(r"^[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}$")
#: "First Last", "First M. Last", "Dr. First Last": two to four capitalised words.
FULL_NAME = re.compile(
    r"^(?:(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.? )?([A-Z][a-z'-]+)(?: [A-Z][a-z'-]*\.?){0,2} "
    r"([A-Z][A-Za-z'-]+)(?: (?:Jr|Sr|II|III|IV|MD|PhD|DDS|DVM)\.?)?$"
)
#: An e-mail address or a phone number inside text: international, North American, or
#: a local seven-digit number ("call 555-0101"). An address is only looked for from the
#: start of a word: from every character, a long cell without one took quadratic time
#: (a 40,000-character cell 12 s).
CONTACT = re.compile(
    r"(?<![^@\s])[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"
    r"|\+\d[\d\s().-]{7,}\d|(?:\(?\d{3}\)?[\s.-])?\b\d{3}[\s.-]\d{4}\b"
)


def luhn_valid(value: str) -> bool:
    """True for a number that passes the Luhn check (card numbers), separators ignored."""
    digits = [int(c) for c in value if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return total % 10 == 0


def iban_valid(value: str) -> bool:
    """True for an IBAN whose check digits pass ISO 13616's mod-97 test."""
    compact = value.replace(" ", "").upper()
    if not IBAN.match(compact):
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


@functools.lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) of Faker's person providers in :data:`NAME_LOCALES`
    (loaded once, only for columns whose values could be names)."""
    import importlib

    first: set[str] = set()
    last: set[str] = set()
    for locale in NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute, names in (
            ("first_names", first),
            ("first_names_male", first),
            ("first_names_female", first),
            ("last_names", last),
        ):
            found = getattr(provider, attribute, ())
            names.update(found.keys() if isinstance(found, dict) else found)
    return frozenset(first), frozenset(last)


def is_full_name(value: str) -> bool:
    """ "First Last" whose first word is a known first name (last names include words
    such as Green or Pinto, so they alone are no evidence)."""
    match = FULL_NAME.match(value.strip())
    return match is not None and match.group(1) in name_lists()[0]


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
    first, _ = name_lists()
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
    """Cheap test before the name lists are loaded: some value has a capitalised word."""
    return any(re.search(r"\b[A-Z][a-z]", v) for v in values[:200])


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
    shaped = texts.share(lambda v: FULL_NAME.match(v.strip()))
    full = texts.share(is_full_name) if shaped >= NAME_SHARE else 0.0
    if full >= NAME_SHARE:
        return pii("name", full, "person names (Faker's name lists, 'First Last')")
    if words & PERSON_WORDS and shaped >= NAME_SHARE:
        return pii("name", shaped, f"'First Last' and the name says so ({name!r})")
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
    return None
