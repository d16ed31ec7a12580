"""Made-up e-mail addresses made from the row's made-up name, where the real ones are
made from the real names (docs/semantics.md, "Personal data"): "dennis.turner0@yahoo.com"
beside "Dennis Turner". Faked column by column, a row read "Mandy Mcgrath",
"kruegerbridget@example.com": no person's.

On the real rows, each address whose part before the @ spells the row's first or last
name (letters folded to ASCII and lower case) gives a *template*: the names as slots,
a run of digits as that many random digits, the separators (``.``, ``_``, ``-``) kept
("{first}.{last}#"); an address with other letters left (a nickname, a town) gives
none, so no real fragment is ever written. When at least :data:`MIN_SHARE` of the rows
give one, each synthetic row's made-up address takes a real template at random, filled
with its made-up name and fresh digits, and keeps the made-up address's domain; a row
without a name, or whose address would be a real one, keeps Faker's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Real rows whose address spells their name, at least, for addresses made from names.
MIN_SHARE = 0.5
#: Real rows looked at (a seeded sample of larger tables).
SAMPLE_ROWS = 2_000
#: Templates kept at most, one per real row that gives one (drawn uniformly from: each
#: as often as the real rows use it).
MAX_TEMPLATES = 1_000

_PIECES = re.compile(r"\{first\}|\{last\}|\{f\}|\{l\}|#+|[._\-+]")


@dataclass(frozen=True)
class EmailsFromNames:
    """An e-mail column made from a first and a last name column (one whole-name
    column may be both), with the real rows' templates."""

    email: Any
    first: Any
    last: Any
    templates: tuple[str, ...]

    def names(self) -> str:
        """The name column, or the first and last name columns."""
        return str(self.first) if self.first == self.last else f"{self.first} and {self.last}"


def emails_from_names(table: Any, pii: dict[Any, str]) -> tuple[EmailsFromNames, ...]:
    """The e-mail columns of ``table`` (``pii``: each made-up column's subtype) whose real
    addresses are made from a name column's names, with their templates."""
    from mixsynth.columns import columns_of

    columns = columns_of(table)
    emails = [name for name, subtype in pii.items() if subtype == "email"]
    whole = [name for name, subtype in pii.items() if subtype == "name"]
    firsts = [name for name, subtype in pii.items() if subtype == "first_name"]
    lasts = [name for name, subtype in pii.items() if subtype == "last_name"]
    pairs = [(n, n) for n in whole] + [(f, la) for f in firsts for la in lasts]
    if not emails or not pairs:
        return ()
    rows = _sample(columns.rows)
    texts = {
        name: _texts(columns.take([name], rows)[name])
        for name in {*emails, *(n for pair in pairs for n in pair)}
    }
    found = []
    for email in emails:
        best: tuple[float, tuple[Any, Any], list[str]] = (0.0, (None, None), [])
        for first, last in pairs:
            templates = [
                template_of(address, given, family)
                for address, given, family in zip(
                    texts[email], _first_words(texts[first]), _last_words(texts[last]), strict=True
                )
                if address and given and family
            ]
            share = float(np.mean([t is not None for t in templates])) if templates else 0.0
            if share > best[0]:
                best = (share, (first, last), [t for t in templates if t is not None])
        share, (first, last), kept = best
        if share >= MIN_SHARE:
            found.append(EmailsFromNames(email, first, last, tuple(kept[:MAX_TEMPLATES])))
    return tuple(found)


def template_of(address: str, first: str, last: str) -> str | None:
    """The address's part before the @ with the names as slots and digits as ``#``, or
    None when it spells neither name or leaves other letters ("dennis.turner0" ->
    "{first}.{last}#"; "dturner" -> "{f}{last}")."""
    local = _ascii(address.split("@", 1)[0]).lower()
    first, last = _ascii(first).lower(), _ascii(last).lower()
    if not first or not last or (first not in local and last not in local):
        return None
    slots = local
    for name, slot in sorted(((first, "{first}"), (last, "{last}")), key=lambda p: -len(p[0])):
        slots = slots.replace(name, slot, 1)
    # A lone initial beside the other name ("d" + "turner"): the initial's slot.
    slots = re.sub(rf"^{re.escape(first[0])}(?=\{{last\}})", "{f}", slots)
    slots = re.sub(rf"(?<=\{{first\}}){re.escape(last[0])}(?=\d*$)", "{l}", slots)
    slots = re.sub(r"\d", "#", slots)
    if "".join(_PIECES.split(slots)):  # letters left over: a real fragment
        return None
    return slots


def made_from_names(
    made: dict[Any, np.ndarray],
    ties: Sequence[EmailsFromNames],
    rng: np.random.Generator,
    real: dict[Any, np.ndarray],
) -> dict[Any, np.ndarray]:
    """``made`` (each made-up column's values) with each tied e-mail column's addresses
    rebuilt from the same row's made-up names: each row a real template drawn at random,
    filled column-wise (one pass per template; names and domains worked out once per
    distinct made-up value), its digits drawn again where the address is real or written
    already (up to :data:`REDRAWS` times; then Faker's stays). ``real``: each made-up
    column's real values."""
    for tie in ties:
        if tie.email not in made or tie.first not in made or tie.last not in made:
            continue
        given = _per_row(made[tie.first], lambda t: _ascii(_first_word(t)).lower())
        family = _per_row(made[tie.last], lambda t: _ascii(_last_word(t)).lower())
        domains = _per_row(made[tie.email], lambda t: "@" + t.split("@", 1)[-1] if "@" in t else "")
        usable = np.flatnonzero((given[0] != "") & (family[0] != "") & (domains[0] != ""))
        slots = ("{first}", "{f}", "{last}", "{l}")
        names = {slot: v[usable] for slot, v in zip(slots, (*given, *family), strict=True)}
        picks = rng.integers(0, len(tie.templates), size=usable.size)
        written = np.full(usable.size, None, dtype=object)
        seen = {str(v) for v in real.get(tie.email, ())}  # real, then written ones
        pending = np.arange(usable.size)
        for _ in range(REDRAWS):
            local = _filled(
                tie.templates, picks[pending], {k: v[pending] for k, v in names.items()}, rng
            )
            drawn = local + domains[0][usable[pending]]
            new = _new(drawn, seen)
            written[pending[new]] = drawn[new]
            pending = pending[~new]
            if not pending.size:
                break
        addresses = np.asarray(made[tie.email], dtype=object).copy()
        kept = np.flatnonzero(written != None)  # noqa: E711 (element-wise)
        addresses[usable[kept]] = written[kept]
        made[tie.email] = addresses
    return made


#: Draws of an address's digits before a row keeps Faker's address.
REDRAWS = 5


def _new(addresses: np.ndarray, seen: set[str]) -> np.ndarray:
    """Where an address is not in ``seen``, which then holds it (of repeats, the first
    is new)."""
    new = np.zeros(addresses.size, dtype=np.bool_)
    for k, address in enumerate(addresses):
        if address not in seen:
            seen.add(address)
            new[k] = True
    return new


def _per_row(values: np.ndarray, make: Any) -> tuple[np.ndarray, np.ndarray]:
    """``make`` of each row's text and its first letter ("" where missing), worked out
    once per distinct value (made-up values come from a pool of at most 50,000; a dict,
    as ``pa.array`` would import pandas, which the Arrow engine does without)."""
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(v, len(index)) if isinstance(v, str) else -1 for v in values),
        dtype=np.int64,
        count=len(values),
    )
    made = [make(v) for v in index]
    whole = np.array([*made, ""], dtype=object)  # missing (-1): the last, ""
    first = np.array([m[:1] for m in made] + [""], dtype=object)
    return whole[codes], first[codes]


def _filled(
    templates: tuple[str, ...],
    picks: np.ndarray,
    names: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray:
    """The parts before the @: each row's template (``picks``) filled with its names
    (``names``: each slot's values) and fresh digits, one template at a time (numpy
    adds object arrays of text element by element)."""
    local = np.full(picks.size, "", dtype=object)
    for k in np.unique(picks):
        at = np.flatnonzero(picks == k)
        text = np.full(at.size, "", dtype=object)
        for piece in _PIECES.findall(templates[k]):
            if piece in names:
                text = text + names[piece][at]
            elif piece.startswith("#"):
                digits = rng.integers(0, 10 ** len(piece), size=at.size).astype(str)
                text = text + np.char.zfill(digits, len(piece)).astype(object)
            else:
                text = text + piece
        local[at] = text
    return local


def _ascii(text: str) -> str:
    """Folded to ASCII ("Jürgen" -> "Jurgen"; "O'Brien" -> "OBrien"): letters, digits
    and an address's separators kept."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._+-]", "", folded)


#: Words before or after a name that are no name ("Miss", "Jr", "MD"); a word ending in
#: "." ("Dr.", "Jr.") is one too.
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "jr", "sr", "ii", "iii", "iv"}
TITLES |= {"v", "md", "phd", "dds", "dvm", "esq"}


def _words(text: str | None) -> list[str]:
    """A name's words without titles ("Dr. Ann Lee MD", "Miss Ann Lee" -> Ann, Lee)."""
    words = (text or "").split()
    return [w for w in words if not w.endswith(".") and w.lower() not in TITLES]


def _first_word(text: str) -> str:
    return words[0] if (words := _words(text)) else ""


def _last_word(text: str) -> str:
    return words[-1] if (words := _words(text)) else ""


def _first_words(texts: list[str | None]) -> list[str | None]:
    return [_first_word(t) or None if t else None for t in texts]


def _last_words(texts: list[str | None]) -> list[str | None]:
    return [_last_word(t) or None if t else None for t in texts]


def _texts(values: Any) -> list[str | None]:
    items = values.to_pylist() if hasattr(values, "to_pylist") else list(values)
    return [v if isinstance(v, str) else None for v in items]


def _sample(rows: int) -> np.ndarray:
    if rows <= SAMPLE_ROWS:
        return np.arange(rows)
    return np.sort(np.random.default_rng(0).choice(rows, SAMPLE_ROWS, replace=False))
