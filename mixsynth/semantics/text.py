"""The rules for text columns: patterns (e-mail, SSN, IPv4, phone), personal data and
free text by their values (:mod:`.personal`, :mod:`.freetext`), names that say what a
column holds, keys by distinct values or one shape; anything else is a category.
:mod:`.inference` gives the order and the reasons."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mixsynth.semantics.freetext import RARE_SHARE, free_text_semantics, rare_share
from mixsynth.semantics.personal import personal_semantics
from mixsynth.semantics.types import GENERIC_PII, ColumnSemantics, SemanticType

if TYPE_CHECKING:
    from mixsynth.semantics.values import ColumnValues, TextCounts

#: Share of sampled values that must match a pattern (e-mail, SSN, ...).
PATTERN_SHARE = 0.9
#: Distinct share above which a text column is "mostly distinct" (names, addresses).
MOSTLY_DISTINCT = 0.5
#: Values needed before weaker evidence (a name word, one shape) makes text a key or
#: personal data; below it only e-mail-like patterns and key names do.
MIN_VALUES_FOR_SHAPES = 20

KEY_WORDS = {"id", "ids", "uuid", "guid", "key", "pk", "identifier"}
TEXT_KEY_WORDS = KEY_WORDS | {"code", "number", "no", "num", "nr", "ref", "reference"}
POSTCODE_WORDS = {"zip", "zipcode", "postcode", "postal", "plz"}
PHONE_WORDS = {"phone", "telephone", "tel", "mobile", "cell", "fax"}
ADDRESS_WORDS = {"address", "street", "addr"}
#: Header words of user names (``username``, ``login``, ``user_name``, ``screen name``),
#: whose values have no spaces (an episode's "nickname" such as "Drag on a Dime" has).
USER_WORDS = {"username", "login", "handle", "nickname", "screenname", "userid"}

PERSON_WORDS = {
    "full", "first", "last", "given", "middle", "sur", "family", "person", "customer",
    "client", "contact", "user", "patient", "employee", "owner", "holder", "member",
}  # fmt: skip

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
SSN = re.compile(r"^\d{3}([- ])\d{2}\1\d{4}$")
IPV4 = re.compile(r"^(\d{1,3}\.){3}\d{1,3}$")
#: Three colons at least and a group of three hex digits (times of day have neither).
IPV6 = re.compile(r"^(?=(?:[^:]*:){3})(?=.*[0-9A-Fa-f]{3})[0-9A-Fa-f:]{2,39}$")
MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$")
URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
#: A code: letters and digits (or six digits at least), one space at most, no date's or
#: time's "/" or ":", at most 30 characters (licence plates "73-OE43", "JV2 3232",
#: passport numbers "491879921", account numbers, ids).
CODE = re.compile(
    r"^(?=[^\d]*\d)(?=[^A-Za-z]*[A-Za-z]|(?:\D*\d){6})(?=.{2,30}$)[^\s/:]+(?: [^\s/:]+)?$"
)
#: Dates and periods ("2005-06-14", "14.06.2005", "6-Aug-09", "1960 Jan", "1998 Q1",
#: "1991 W06") are no codes.
NAMED_DATE = re.compile(
    r"^\d{1,4}[-. ](?:[A-Za-z]{3,9}|\d{1,2})[-. ]\d{1,4}(?:T\S*)?$"
    r"|^\d{4} (?:Q[1-4]|W\d{1,2}|[A-Za-z]{3,9})$"
)
PHONE = re.compile(r"^\+?[\d\s().\-x]{7,}$")
#: Phone numbers recognisable by their values alone: North American with separators
#: (``(617) 555-0143``, ``(617)555-0143``, ``001-617-555-0143x12``), or international
#: (E.164) with a leading +.
PHONE_VALUES = re.compile(
    r"^(((\+?1|001)[\s.-]?)?(\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}|\+\d{8,15})"
    r"(\s?(x|ext\.?)\s?\d+)?$"
)
#: Patterns of contact data a column may mix (a "contact" of e-mails and phones).
CONTACT_PATTERNS = (EMAIL, SSN, PHONE_VALUES)


def name_words(name: str) -> list[str]:
    """Lower-case words of a column name: ``customerID`` and ``customer_id`` -> customer, id."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w]


def _shape(value: str) -> str:
    """Character classes of a value: ``AC-00123`` -> ``AA-99999``."""
    return re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", value)))


def text_semantics(name: str, values: ColumnValues) -> ColumnSemantics:
    """A text column's semantics from its values (``ColumnValues`` of :mod:`.values`), by
    the text rules of :mod:`.inference`'s docstring, in their order, read on the values
    that are not stand-ins for a missing one (:data:`PLACEHOLDERS`): e-mail addresses
    with "none" in 40% of the rows were copied. A made-up column keeps its stand-ins."""
    texts = values.distinct_texts()
    found = tuple(sorted(v for v in texts.values if v.strip().lower() in PLACEHOLDERS))
    rest = texts.without(set(found)) if found else texts
    if not len(rest.values):  # nothing but stand-ins: read them as they are
        found, rest = (), texts
    meaning = _text_semantics(name, values, rest)
    if found and meaning.sdtype.is_generated:
        return meaning.with_(placeholders=found)
    return meaning


#: Values that stand in for a missing one (compared in lower case, stripped).
PLACEHOLDERS = frozenset({
    "", "-", "--", "---", "?", "none", "null", "nil", "nan", "na", "n/a", "n.a.", "unknown",
    "missing", "not available", "not provided", "not given", "anonymous", "redacted",
    "withheld", "tbd", "no email", "no phone",
})  # fmt: skip


def _text_semantics(name: str, values: ColumnValues, texts: TextCounts) -> ColumnSemantics:
    words = set(name_words(name))
    observed = values.observed
    mostly_distinct = (
        values.sample_distinct >= MOSTLY_DISTINCT * len(values.sample)
        and values.sample_distinct > 1
    )
    if words & POSTCODE_WORDS:
        return ColumnSemantics(
            name, SemanticType.CATEGORICAL, f"postal code ({values.counts()}), copied as text"
        )
    for subtype, pattern, what in (
        ("email", EMAIL, "e-mail addresses"),
        ("ssn", SSN, "social security numbers"),
        ("ipv4_address", IPV4, "IPv4 addresses"),
        ("ipv6_address", IPV6, "IPv6 addresses"),
        ("mac_address", MAC, "MAC addresses"),
        ("phone_number", PHONE_VALUES, "phone numbers"),
    ):
        share = texts.matching(pattern)
        if share >= PATTERN_SHARE:
            return ColumnSemantics(
                name, SemanticType.PII, f"{share:.0%} of values look like {what}", pii=subtype
            )
    contact = texts.share(lambda v: any(p.match(v.strip()) for p in CONTACT_PATTERNS))
    if contact >= PATTERN_SHARE:  # e-mail addresses and phone numbers in one column
        return ColumnSemantics(
            name,
            SemanticType.PII,
            f"{contact:.0%} of values are e-mail addresses, phone numbers or other contact "
            "data of several kinds; made up in their shapes",
            pii=GENERIC_PII,
        )
    found = personal_semantics(name, words, texts, PATTERN_SHARE)
    if found is not None:
        return found
    # A name word and values that fit it, among enough people: a count of distinct
    # values, not a share of the rows, so that the same column gets the same type on
    # part of a table (phone numbers shared by households were 45% distinct on a whole
    # table, 55% on a 70% sample).
    if observed >= MIN_VALUES_FOR_SHAPES and len(texts.values) >= MIN_VALUES_FOR_SHAPES:
        pii = _pii_by_name(words, texts)
        if pii is not None:
            return ColumnSemantics(
                name, SemanticType.PII, f"name says {pii[1]}, {values.counts()}", pii=pii[0]
            )
    if observed > 1 and values.sample_all_distinct() and values.distinct() == observed:
        counts = values.counts()
        if words & TEXT_KEY_WORDS:
            return ColumnSemantics(name, SemanticType.ID, f"{counts}, name says key ({name!r})")
        shapes = {_shape(v) for v in texts.values}
        if (
            observed >= MIN_VALUES_FOR_SHAPES
            and len(shapes) == 1
            and re.search(r"9", next(iter(shapes)))
            and " " not in texts.values[0]
        ):
            return ColumnSemantics(
                name, SemanticType.ID, f"{counts}, all of the shape {next(iter(shapes))}"
            )
    found = free_text_semantics(name, texts, observed, mostly_distinct, values.counts())
    if found is not None:
        return found
    found = _rare_codes(name, texts, observed, values.counts())
    if found is not None:
        return found
    note = ", copied"
    if mostly_distinct:
        note = ", copied (mostly distinct values: see the unique-value leak figure)"
    return ColumnSemantics(name, SemanticType.CATEGORICAL, f"{values.counts()}{note}")


def _rare_codes(name: str, texts: TextCounts, observed: int, counts: str) -> ColumnSemantics | None:
    """Web addresses or codes (:data:`CODE`) of which half the rows hold a value found
    in one or two rows only: identifiers of people, cars or accounts, made up (codes in
    their shapes), never copied; each would point at one real row. Codes that repeat are
    a category's, or entities' (a panel's firms, a study's subjects)."""
    if observed < MIN_VALUES_FOR_SHAPES:
        return None
    urls = texts.matching(URL)
    codes = texts.share(lambda v: CODE.match(v.strip()) and not NAMED_DATE.match(v.strip()))
    if max(urls, codes) < PATTERN_SHARE:
        return None
    rare = rare_share(texts.counts, fraction=0)  # in one or two rows: a panel's firm
    if rare < RARE_SHARE:  # ids (a dozen rows each) are entities, kept as a category
        return None
    if urls >= PATTERN_SHARE:
        return ColumnSemantics(
            name, SemanticType.PII, f"web addresses, {rare:.0%} of rows rare; made up", pii="url"
        )
    return ColumnSemantics(
        name,
        SemanticType.PII,
        f"codes ({counts}, {rare:.0%} of rows rare): licence plates, passport or account "
        "numbers are made up in their shapes, never copied",
        pii=GENERIC_PII,
    )


def _pii_by_name(words: set[str], texts: TextCounts) -> tuple[str, str] | None:
    """PII subtype and what the name said, where the values fit it (phone-like,
    addresses with a number, handles without spaces)."""
    if words & PHONE_WORDS and texts.matching(PHONE) >= PATTERN_SHARE:
        return "phone_number", "phone number"
    if (
        words & ADDRESS_WORDS
        and texts.share(lambda v: " " in v.strip() and any(c.isdigit() for c in v)) >= 0.5
    ):
        return ("street_address", "street address") if "street" in words else ("address", "address")
    users = words & USER_WORDS or {"user", "name"} <= words or {"screen", "name"} <= words
    if users and texts.share(lambda v: " " not in v.strip()) >= PATTERN_SHARE:  # handles
        return "user_name", "user name"
    if "name" in words or "surname" in words:
        if "first" in words or "given" in words:
            return "first_name", "first name"
        if "last" in words or "surname" in words or "family" in words:
            return "last_name", "last name"
        if words & PERSON_WORDS:  # a bare "name" is no evidence: products have names too
            return "name", "person name"
    return None
