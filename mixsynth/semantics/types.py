"""What a column *means*, as opposed to how it is stored (:mod:`mixsynth.columns`).

The storage kind says whether a column can be mixed; the semantic type says whether
it should be, and what a data release needs instead:

- ``numerical``: mixed (a measurement), held inside the real range, on the input's
  decimal grid, with its point mass (e.g. 0 for a free plan's spend) kept;
- ``datetime``: mixed as time units, like a number;
- ``categorical``, ``boolean``, ``ordinal``: copied from the dominant donor row, so
  only values that occur in the real table appear (codes, labels, zip codes, ratings);
- ``id``: a key: fresh unique values of the same shape, never a real one;
- ``pii``: personal data of a subtype (email, phone_number, name, address, ...):
  realistic fake values from Faker, never a real one;
- ``text``: free text, which may hold anything personal: fake sentences.

The names follow SDV's ``sdtype`` vocabulary, so a metadata file can be shared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any


class SemanticType(str, Enum):
    NUMERICAL = "numerical"
    DATETIME = "datetime"
    CATEGORICAL = "categorical"
    ORDINAL = "ordinal"
    BOOLEAN = "boolean"
    ID = "id"
    PII = "pii"
    TEXT = "text"

    @property
    def is_copied(self) -> bool:
        """Values come from the dominant donor row, unchanged."""
        return self in (SemanticType.CATEGORICAL, SemanticType.ORDINAL, SemanticType.BOOLEAN)

    @property
    def is_generated(self) -> bool:
        """Values are made up (fresh keys, fakes): no real value is ever written."""
        return self in (SemanticType.ID, SemanticType.PII, SemanticType.TEXT)

    @property
    def is_mixed(self) -> bool:
        return self in (SemanticType.NUMERICAL, SemanticType.DATETIME)


#: PII subtypes mixsynth can fake (SDV's sdtype names), each with its Faker provider.
PII_SUBTYPES: dict[str, str] = {
    "email": "email",
    "phone_number": "phone_number",
    "name": "name",
    "first_name": "first_name",
    "last_name": "last_name",
    "address": "address",
    "street_address": "street_address",
    "city": "city",
    "postcode": "postcode",
    "country": "country",
    "ssn": "ssn",
    "credit_card_number": "credit_card_number",
    "iban": "iban",
    "ipv4_address": "ipv4",
    "ipv6_address": "ipv6",
    "mac_address": "mac_address",
    "user_name": "user_name",
    "url": "url",
    "company": "company",
    "license_plate": "license_plate",
}

#: The PII subtype for personal data of a kind Faker has no provider for (an SDV sdtype
#: such as ``vin`` marked ``"pii": true``, or ``unknown``): faked as random strings of
#: the real values' shape, never a real value.
GENERIC_PII = "generic"


@dataclass(frozen=True)
class ColumnSemantics:
    """One column's meaning and the facts its treatment needs.

    ``reason`` says why it was inferred (or "from metadata"). The numeric facts are
    filled by inference (a metadata file may set or clear them): ``decimals`` the
    input's decimal places (None: full precision), ``point_mass`` a value holding a
    large share of the rows, kept apart from mixing.
    """

    name: str
    sdtype: SemanticType
    reason: str = ""
    pii: str | None = None  #: subtype for PII columns (a key of PII_SUBTYPES)
    decimals: int | None = None
    point_mass: float | None = None
    minimum: float | None = None  #: a range hint from metadata (encoded units)
    maximum: float | None = None
    regex_format: str | None = None  #: an id's pattern from SDV metadata (kept, not used)
    datetime_format: str | None = None  #: strftime format from SDV metadata
    #: Stand-ins for a missing value ("none", "-") in a made-up column: kept as they are
    #: (a row whose dominant donor holds one gets it), never counted as personal data.
    placeholders: tuple[str, ...] | None = None
    #: Faker locale of the made-up values, where the real ones tell (person names: the
    #: locale whose name lists hold most of them); None: the run's ``--locale``.
    locale: str | None = None

    def describe(self) -> str:
        """The type as shown to users, e.g. ``pii (email)``."""
        return f"{self.sdtype.value} ({self.pii})" if self.pii else self.sdtype.value

    def treatment(self, keep_pii: bool = False) -> str:
        """What ``generate`` does with the column, in a few words."""
        if self.sdtype.is_generated and keep_pii:
            return "copied (--keep-pii)"
        if self.sdtype.is_mixed:
            return "mixed, point mass kept" if self.point_mass is not None else "mixed"
        return {
            SemanticType.ID: "fresh keys",
            SemanticType.PII: f"fake {(self.pii or 'values').replace('_', ' ')}",
            SemanticType.TEXT: "fake text",
        }.get(self.sdtype, "copied")

    def with_(self, **changes: Any) -> ColumnSemantics:
        return replace(self, **changes)


@dataclass(frozen=True)
class TableMetadata:
    """Every column's semantics, in table order, and the primary key if any."""

    columns: dict[str, ColumnSemantics] = field(default_factory=dict)
    primary_key: str | None = None

    def __getitem__(self, name: str) -> ColumnSemantics:
        return self.columns[name]

    def of_type(self, *types: SemanticType) -> list[str]:
        return [name for name, c in self.columns.items() if c.sdtype in types]

    def generated(self) -> list[str]:
        """Columns whose values are made up (ids, PII, free text)."""
        return [name for name, c in self.columns.items() if c.sdtype.is_generated]

    def to_dict(self) -> dict:
        return {
            "primary_key": self.primary_key,
            "columns": {
                name: {k: v for k, v in asdict(c).items() if v is not None and k != "name"}
                for name, c in self.columns.items()
            },
        }
