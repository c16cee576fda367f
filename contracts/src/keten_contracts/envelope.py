"""The CloudEvents envelope as this chain uses it: the NL GOV profile for CloudEvents.

What a producer may put on the wire, checked in one place so that the core codec, the router
and the vendor validation command agree. Attributes never carry personal data
(architecture.md principle 2): the model forbids unknown extensions, and ``subject`` and the
routing extensions are checked for anything that looks like a BSN.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Annotated, Any, Final, Literal, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic_core import CoreSchema, Url, core_schema

from keten_contracts.parties import GEMEENTECODE_PATTERN, OIN_PATTERN, Rol

SPECVERSION: Final = "1.0"
DATACONTENTTYPE: Final = "application/json"

# Extension attributes (CloudEvents names: lower-case letters and digits only).
EXT_DATAREF: Final = "dataref"
EXT_GEMEENTECODE: Final = "gemeentecode"
EXT_AANBIEDERSOORT: Final = "aanbiedersoort"
# OIN of the one aanbieder an opdracht is for: organisations, not persons, so no personal data.
EXT_AANBIEDEROIN: Final = "aanbiederoin"
# OIN of the one party a notice about its own subscription is for (the router's notices).
EXT_ABONNEEOIN: Final = "abonneeoin"
EXT_TRACEPARENT: Final = "traceparent"
EXT_TRACESTATE: Final = "tracestate"
# CloudEvents partitioning extension: the producing source's opaque person-level id, used as
# the Kafka key (see ``keten_contracts.events.catalogue.Sleutel``).
EXT_PARTITIONKEY: Final = "partitionkey"
# CloudEvents sequence extension, optional in the NL GOV profile: accepted, never required.
EXT_SEQUENCE: Final = "sequence"
EXT_SEQUENCETYPE: Final = "sequencetype"
EXTENSIONS: Final = frozenset(
    {
        EXT_DATAREF,
        EXT_PARTITIONKEY,
        EXT_SEQUENCE,
        EXT_SEQUENCETYPE,
        EXT_GEMEENTECODE,
        EXT_AANBIEDERSOORT,
        EXT_AANBIEDEROIN,
        EXT_ABONNEEOIN,
        EXT_TRACEPARENT,
        EXT_TRACESTATE,
    }
)

# urn:nld:oin:<20-digit OIN>:systeem:<system name>
SOURCE_PATTERN: Final = r"^urn:nld:oin:\d{20}:systeem:[a-z0-9][a-z0-9-]*$"
# nl.inburgering.<domain>.<resource...>.<past-tense verb>.v<major>
TYPE_PATTERN: Final = r"^nl\.inburgering(\.[a-z][a-z0-9-]*){2,}\.v[1-9][0-9]*$"
TRACEPARENT_PATTERN: Final = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"

# Nine digits standing alone as a token: the way a BSN leaks into an id, path or text
# ("pip-111222333", "/personen/111222333"). Digits inside a longer alphanumeric token (a hex
# id such as "a1112223334f") are not a BSN: treating them as one flags one random opaque id
# in a hundred.
_NINE_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])")


def is_bsn(value: str) -> bool:
    """True when ``value`` is nine digits passing the BSN eleven-test (elfproef)."""
    if not re.fullmatch(r"\d{9}", value):
        return False
    digits = [int(c) for c in value]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0 and value != "000000000"


_NINE_DIGITS_ANYWHERE = re.compile(r"\d{9}")


def contains_bsn(text: str) -> bool:
    """True when a token of exactly nine digits in ``text`` passes the elfproef."""
    # Most texts hold no nine digits in a row at all; that search is ten times cheaper than
    # the token scan (this runs on every attribute of every event a consumer reads).
    if _NINE_DIGITS_ANYWHERE.search(text) is None:
        return False
    return any(is_bsn(m.group()) for m in _NINE_DIGITS.finditer(text))


def source_urn(oin: str, systeem: str) -> str:
    return f"urn:nld:oin:{oin}:systeem:{systeem}"


def type_major_version(event_type: str) -> int:
    return int(event_type.rsplit(".v", 1)[1])


class _CoreUrl:
    """pydantic's ``AnyUrl`` rules, checked by pydantic-core alone. ``AnyUrl`` wraps the same
    core URL in a Python class with a Python validator: two URLs were a third of the time a
    consumer spent on an envelope. The JSON schema is the same (``string``, ``format: uri``)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.url_schema()


CoreUrl = Annotated[Url, _CoreUrl]


class EnvelopeAttributes(BaseModel):
    """All context attributes of one event. Required here means required by this chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = SPECVERSION
    id: UUID
    source: Annotated[str, Field(pattern=SOURCE_PATTERN)]
    type: Annotated[str, Field(pattern=TYPE_PATTERN)]
    # A time zone is required (RFC 3339); checked in pydantic-core, as every rule that can be:
    # this model runs on every event every consumer reads.
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = DATACONTENTTYPE
    dataschema: CoreUrl
    subject: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="The source's opaque resource id; never a BSN or other personal data."
    )
    dataref: CoreUrl = Field(description="Where an authorised party fetches the resource.")
    gemeentecode: Annotated[str, Field(pattern=GEMEENTECODE_PATTERN)] | None = Field(
        default=None, description="CBS code of the gemeente the event concerns, for routing."
    )
    aanbiedersoort: Rol | None = Field(
        default=None, description="Kind of aanbieder the event is meant for, for routing."
    )
    aanbiederoin: Annotated[str, Field(pattern=OIN_PATTERN)] | None = Field(
        default=None, description="OIN of the one aanbieder the event is meant for, for routing."
    )
    abonneeoin: Annotated[str, Field(pattern=OIN_PATTERN)] | None = Field(
        default=None,
        description="OIN of the one subscriber a notice about its own subscription is for, for"
        " routing.",
    )
    partitionkey: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="The producing source's opaque person-level id (the catalogue's `sleutel`"
        " of the type); the Kafka key. Never a BSN."
    )
    sequence: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Order of the event within its producer (sequence extension)."
    )
    sequencetype: Annotated[str, Field(min_length=1, max_length=50)] | None = Field(
        default=None,
        description="How `sequence` is ordered; `Integer` means a signed 32-bit"
        " integer as text (CloudEvents sequence extension 1.0).",
    )
    traceparent: Annotated[str, Field(pattern=TRACEPARENT_PATTERN)] | None = None
    tracestate: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        """The rules pydantic-core cannot state, in one call (one Python call per event)."""
        if self.time.year in (1, 9999):
            try:
                self.time.astimezone(UTC)
            except OverflowError:
                # 9999-12-31T23:59:59-01:00 is valid RFC 3339 but no instant a database, a log
                # or a consumer in UTC can hold: one such event stalled the router's delivery
                # log.
                raise ValueError("time is outside the range of UTC timestamps") from None
        if self.sequencetype == "Integer" and self.sequence is not None:
            try:
                value = int(self.sequence)
            except ValueError:
                msg = "sequence must be an integer when sequencetype is Integer"
                raise ValueError(msg) from None
            if not -(2**31) <= value < 2**31:
                raise ValueError("sequence of type Integer must fit a signed 32-bit integer")
        return self

    @field_validator("subject", "dataref", "partitionkey")
    @classmethod
    def _no_bsn(cls, value: Any) -> Any:
        if contains_bsn(str(value)):
            raise ValueError("must not contain a BSN: use the source's opaque id")
        return value

    @field_validator("aanbiedersoort")
    @classmethod
    def _aanbieder_only(cls, value: Rol | None) -> Rol | None:
        if value is not None and not value.is_aanbieder:
            raise ValueError(f"{value.value!r} is not a kind of aanbieder")
        return value

    def as_cloudevent_attributes(self) -> dict[str, Any]:
        """Attributes as the CloudEvents SDK expects them (strings, datetime for time)."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump(exclude_none=True).items():
            if name == "time":
                out[name] = value
            elif isinstance(value, Rol):
                out[name] = value.value
            else:
                out[name] = str(value)
        return out
