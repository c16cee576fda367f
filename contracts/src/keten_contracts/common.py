"""Building blocks shared by resource and event data models: the base model, identifiers and
the code lists of the domain (Dutch terms as in domain.md)."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from keten_contracts.envelope import contains_bsn, is_bsn
from keten_contracts.parties import GEMEENTECODE_PATTERN, OIN_PATTERN

OPAQUE_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class ContractModel(BaseModel):
    """Base of every contract model: camelCase on the wire (NL API Design Rules), snake_case
    in Python, unknown fields rejected so a typo or a smuggled field is an error."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_enum_values=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _leesbare_tekst(cls, data: Any) -> Any:
        # JSON can carry a NUL or half of a surrogate pair ("\ud800"); no database, log or
        # event can hold either, so such text is refused here rather than failing (500) where
        # it is stored (schemathesis sent one to dossier-bron).
        if _onleesbaar(data):
            raise ValueError("text holds a NUL character or an unpaired surrogate")
        return data


_ONLEESBAAR: Final = re.compile("[\x00\ud800-\udfff]")


def _onleesbaar(value: Any) -> bool:
    if isinstance(value, str):
        return _ONLEESBAAR.search(value) is not None
    if isinstance(value, dict):
        return any(_onleesbaar(k) or _onleesbaar(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_onleesbaar(v) for v in value)
    return False


@cache
def tolerant(model: type[ContractModel]) -> type[ContractModel]:
    """``model`` as a tolerant reader parses it: unknown fields ignored, so a consumer keeps
    working when a producer adds an optional field (VERSIONING.md). Producers stay strict."""
    namespace = {
        "model_config": ConfigDict(extra="ignore"),
        "__doc__": model.__doc__,
        "__module__": model.__module__,
    }
    return type(model.__name__, (model,), namespace)


def _no_bsn(value: str) -> str:
    if contains_bsn(value):
        raise ValueError("must not contain a BSN: use the source's opaque id")
    return value


def _valid_bsn(value: str) -> str:
    if not is_bsn(value):
        raise ValueError("not a valid BSN (elfproef)")
    return value


OpaqueId = Annotated[str, Field(pattern=OPAQUE_ID_PATTERN), AfterValidator(_no_bsn)]
Bsn = Annotated[str, Field(pattern=r"^\d{9}$"), AfterValidator(_valid_bsn)]
Gemeentecode = Annotated[str, Field(pattern=GEMEENTECODE_PATTERN)]
Oin = Annotated[str, Field(pattern=OIN_PATTERN)]
# Short free text. No field of this chain invites a story about health (domain.md section 6).
Tekst = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_no_bsn)]
Kwartaal = Annotated[str, Field(pattern=r"^\d{4}-Q[1-4]$")]
# The most hours any field holds (a B1 route is 600 to 1,200): more is a typing error.
MAX_UREN: Final = 10_000
Uren = Annotated[int, Field(ge=0, le=MAX_UREN)]
BedragInCenten = Annotated[int, Field(ge=0, le=1_000_000)]


class Doelgroep(StrEnum):
    ASIELSTATUSHOUDER = "asielstatushouder"
    GEZINSMIGRANT = "gezinsmigrant"
    OVERIGE_MIGRANT = "overige-migrant"


class Leerroute(StrEnum):
    B1 = "b1-route"
    ONDERWIJSROUTE = "onderwijsroute"
    Z_ROUTE = "z-route"


class Taalniveau(StrEnum):
    LAGER_DAN_A1 = "lager-dan-a1"
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"


class Examenonderdeel(StrEnum):
    LEZEN = "lezen"
    LUISTEREN = "luisteren"
    SCHRIJVEN = "schrijven"
    SPREKEN = "spreken"
    KNM = "kennis-nederlandse-maatschappij"
    MAP = "map"
    PVT = "pvt"


class Aanbiedmoment(StrEnum):
    """The three moments COA offers the klantprofiel (domain.md section 3)."""

    KOPPELING = "koppeling"
    WARME_OVERDRACHT = "warme-overdracht"
    VESTIGING = "vestiging"


class Opdrachtsoort(StrEnum):
    B1_CURSUS = "b1-cursus"
    ONDERWIJSROUTE = "onderwijsroute"
    TAALSCHAKELTRAJECT = "taalschakeltraject"
    Z_ROUTE = "z-route"
    MAP = "map"
    PVT = "pvt"
    MAATSCHAPPELIJKE_BEGELEIDING = "maatschappelijke-begeleiding"
    LEERBAARHEIDSTOETS = "leerbaarheidstoets"


class RedenNietAfgerond(StrEnum):
    """Reason codes, deliberately without free text: a story about absence is where health
    data would creep in, and the gemeente must refuse that (domain.md section 6)."""

    NIET_VERSCHENEN = "niet-verschenen"
    ONVOLDOENDE_INSPANNING = "onvoldoende-inspanning"
    VERHUISD = "verhuisd"
    VRIJSTELLING_OF_ONTHEFFING = "vrijstelling-of-ontheffing"
    LEERROUTE_GEWISSELD = "leerroute-gewisseld"
    AANBOD_NIET_BESCHIKBAAR = "aanbod-niet-beschikbaar"
    PERSOONLIJKE_OMSTANDIGHEDEN = "persoonlijke-omstandigheden"
    OVERIG = "overig"


class RedenLateStart(StrEnum):
    WACHTLIJST = "wachtlijst"
    GROEP_NIET_VOL = "groep-niet-vol"
    INBURGERAAR_NIET_BESCHIKBAAR = "inburgeraar-niet-beschikbaar"
    PERSOONLIJKE_OMSTANDIGHEDEN = "persoonlijke-omstandigheden"
    OVERIG = "overig"
