"""The control API of the COA simulator: what the COA casemanager does in IBIS/TVS, scripted by
chain tests (``keten scenario run`` calls these by operationId).

Mounted only when ``KETEN_CONTROL_API`` is true (otherwise every path is 404), and only COA's own
clients (registry entries with rol ``coa``) may call it (others: 403). Every write is one unit of
work: the state change and its thin events commit together or not at all, so a refused change
(409 problem+json) emits nothing. Answers carry ids, versions and states only: personal data is
served by the source API (``api.py``), through the read kit and its processing log.

| operationId | what |
| --- | --- |
| statushouder-aanmaken | a statushouder in the AZC, with the first klantprofiel content |
| koppelen | link to a vestigingsgemeente; again while in the AZC to re-link (access moves) |
| klantprofiel-bijwerken | partial update while in the AZC; 409 once frozen |
| warme-overdracht-plannen / warme-overdracht-houden | the hand-over meeting |
| vertrek-uit-azc | vestiging in the gemeente: the profile is frozen |
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, Self

from fastapi import APIRouter, Body, Depends, Path
from pydantic import AwareDatetime, Field, create_model, field_validator, model_validator
from pydantic.alias_generators import to_snake
from pydantic.fields import FieldInfo

from keten_contracts.common import (
    OPAQUE_ID_PATTERN,
    Aanbiedmoment,
    ContractModel,
    Gemeentecode,
    OpaqueId,
)
from keten_contracts.events.catalogue import get_event_type
from keten_contracts.parties import Rol
from keten_contracts.resources import get_resource
from keten_contracts.resources.coa import Klantprofiel, Koppelingstatus
from keten_core.auth import require_party
from keten_core.clock import now, today
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.uow import UnitOfWork

from . import domain
from .api import PROBLEM_RESPONSES, api_base_url
from .models import KoppelingRij, StatushouderRij, WarmeOverdrachtRij

__all__ = [
    "KlantprofielInhoud",
    "KlantprofielWijziging",
    "Stand",
    "router",
    "werk_klantprofiel_bij",
]

# Set by COA's system, never by the casemanager: ids, the version, the moment it was offered
# and whether it is frozen.
SYSTEEMVELDEN: Final = frozenset(
    {"klantprofiel_id", "koppeling_id", "versie", "aanbiedmoment", "bevroren"}
)
INHOUD: Final = {
    name: info for name, info in Klantprofiel.model_fields.items() if name not in SYSTEEMVELDEN
}


def _optioneel(info: FieldInfo) -> tuple[Any, FieldInfo]:
    """The contract's field, absent by default. Its constraints and validators stay on the
    value's type (``Annotated``), so they check a value sent and never the null that empties
    the field; description and tags stay on the field."""
    waarde = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    veld = Field(
        default=None, description=info.description, json_schema_extra=info.json_schema_extra
    )
    return (waarde | None, veld)


def _opslagbaar(value: Any) -> None:
    """PostgreSQL stores no NUL character and the JSON column only valid UTF-8: such text is
    refused as invalid input (422), not at the database (500)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain the NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _opslagbaar(key)
            _opslagbaar(item)
    elif isinstance(value, list):
        for item in value:
            _opslagbaar(item)


class _Verzoek(ContractModel):
    """A control request body."""

    @model_validator(mode="before")
    @classmethod
    def _alleen_opslagbare_tekst(cls, data: Any) -> Any:
        _opslagbaar(data)
        return data


# Every content field of the contract's klantprofiel, with the contract's own types and tags
# (derived, so a field added to the contract is editable here without a change).
KlantprofielInhoud = create_model(
    "KlantprofielInhoud",
    __base__=_Verzoek,
    __doc__="The klantprofiel's content as the casemanager records it (every contract field).",
    **{name: (info.annotation, info) for name, info in INHOUD.items()},  # type: ignore[call-overload]
)
# The contract's example klantprofiel, without what COA's system sets.
VOORBEELD: Final = {
    name: value
    for name, value in get_resource("klantprofiel").example.items()
    if to_snake(name) not in SYSTEEMVELDEN
}
VERPLICHT: Final = frozenset(n for n, info in INHOUD.items() if info.is_required())


class _Wijziging(_Verzoek):
    @model_validator(mode="after")
    def _verplicht_blijft(self) -> Self:
        # A field the contract requires may be changed, never emptied.
        leeg = sorted(n for n in self.model_fields_set & VERPLICHT if getattr(self, n) is None)
        if leeg:
            raise ValueError(f"required klantprofiel fields cannot be emptied: {leeg}")
        return self


KlantprofielWijziging = create_model(
    "KlantprofielWijziging",
    __base__=_Wijziging,
    __doc__=(
        "A partial update of the klantprofiel (JSON merge patch, RFC 7396): a field sent is set, "
        "a field sent as null is emptied, a field left out stays as it is."
    ),
    **{name: _optioneel(info) for name, info in INHOUD.items()},  # type: ignore[call-overload]
)


class Koppelverzoek(_Verzoek):
    gemeentecode: Gemeentecode = Field(description="CBS code of the vestigingsgemeente.")
    azc_locatie: str = Field(description="AZC where the person stays.", max_length=200)
    koppeldatum: date | None = Field(default=None, description="Default: today (chain clock).")
    verwachte_vestigingsdatum: date | None = None


class WarmeOverdrachtPlanning(_Verzoek):
    gepland_op: AwareDatetime = Field(description="Planned time of the meeting.")
    locatie: str = Field(description="Where it takes place.", max_length=200)

    @field_validator("gepland_op")
    @classmethod
    def _in_utc_te_bewaren(cls, value: datetime) -> datetime:
        # Stored as timestamptz (UTC): an instant at the edge of the calendar may not fit.
        try:
            value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("gepland_op is out of range") from exc
        return value


class WarmeOverdrachtVerslag(_Verzoek):
    gehouden_op: date | None = Field(default=None, description="Default: today (chain clock).")


class Vertrek(_Verzoek):
    vestigingsdatum: date | None = Field(
        default=None, description="Day of moving into the gemeente. Default: today."
    )


class Stand(ContractModel):
    """Where a statushouder stands after a control action (ids and states, no personal data)."""

    statushouder_id: OpaqueId
    klantprofiel_id: OpaqueId
    koppeling_id: OpaqueId | None = None
    gemeentecode: Gemeentecode | None = None
    versie: int
    aanbiedmoment: Aanbiedmoment | None = None
    bevroren: bool
    warme_overdracht_id: OpaqueId | None = None


router = APIRouter(
    prefix="/control/v1",
    tags=["control"],
    dependencies=[Depends(require_party(Rol.COA))],
    responses=PROBLEM_RESPONSES,
)

Runtime = Annotated[ServiceRuntime, Depends(runtime)]
StatushouderId = Annotated[str, Path(alias="statushouderId", pattern=OPAQUE_ID_PATTERN)]
WarmeOverdrachtId = Annotated[str, Path(alias="warmeOverdrachtId", pattern=OPAQUE_ID_PATTERN)]

# OpenAPI links: the ids a step answers feed the next steps (schemathesis' stateful phase and
# any client that follows them).
_NA_AANMAKEN: Final = {
    201: {
        "links": {
            operation: {
                "operationId": operation,
                "parameters": {"statushouderId": "$response.body#/statushouderId"},
            }
            for operation in (
                "koppelen",
                "klantprofiel-bijwerken",
                "warme-overdracht-plannen",
                "vertrek-uit-azc",
            )
        }
    }
}
_NA_PLANNEN: Final = {
    201: {
        "links": {
            "warme-overdracht-houden": {
                "operationId": "warme-overdracht-houden",
                "parameters": {"warmeOverdrachtId": "$response.body#/warmeOverdrachtId"},
            }
        }
    }
}


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def _regel(check: Callable[..., Any], **feiten: Any) -> Any:
    try:
        return check(**feiten)
    except domain.Regelovertreding as exc:
        raise Problem(409, detail=exc.detail) from exc


async def _statushouder(uow: UnitOfWork, statushouder_id: str) -> StatushouderRij:
    # Locked for the transaction: two replicas changing one person serialise here, so versions
    # rise by one and the person's events commit (and are published) in order.
    rij = await uow.session.get(StatushouderRij, statushouder_id, with_for_update=True)
    if rij is None:
        raise Problem(404, detail=f"No statushouder {statushouder_id!r}.")
    return rij


async def _huidige_koppeling(uow: UnitOfWork, sh: StatushouderRij) -> KoppelingRij | None:
    if sh.koppeling_id is None:
        return None
    return await uow.session.get(KoppelingRij, sh.koppeling_id)


def _stage(
    uow: UnitOfWork,
    base_url: str,
    meldingen: tuple[domain.Melding, ...],
    *,
    sh: StatushouderRij,
    koppeling: KoppelingRij,
    warme_overdracht: WarmeOverdrachtRij | None = None,
) -> None:
    """Stage the thin events: the catalogue entry says which resource each is about (subject
    and dataref) and which ids its data holds; the key is the statushouder."""
    ids = {
        "koppeling": koppeling.koppeling_id,
        "klantprofiel": sh.klantprofiel_id,
        "warme-overdracht": warme_overdracht.warme_overdracht_id if warme_overdracht else None,
    }
    for melding in meldingen:
        entry = get_event_type(melding.type)
        subject = ids[entry.resource]
        assert subject is not None, f"{melding.type} needs a {entry.resource}"
        waarden: dict[str, Any] = {
            "klantprofiel_id": sh.klantprofiel_id,
            "koppeling_id": koppeling.koppeling_id,
            "warme_overdracht_id": ids["warme-overdracht"],
            "versie": sh.versie,
            "aanbiedmoment": melding.aanbiedmoment,
        }
        data = entry.data_model(**{name: waarden[name] for name in entry.data_model.model_fields})
        uow.emit(
            melding.type,
            subject=subject,
            partitionkey=sh.statushouder_id,
            dataref=get_resource(entry.resource).dataref(base_url, subject),
            data=data,
            gemeentecode=koppeling.gemeentecode,
        )


def _stand(
    sh: StatushouderRij,
    koppeling: KoppelingRij | None,
    warme_overdracht: WarmeOverdrachtRij | None = None,
) -> Stand:
    return Stand(
        statushouder_id=sh.statushouder_id,
        klantprofiel_id=sh.klantprofiel_id,
        koppeling_id=sh.koppeling_id,
        gemeentecode=koppeling.gemeentecode if koppeling else None,
        versie=sh.versie,
        aanbiedmoment=Aanbiedmoment(sh.aanbiedmoment) if sh.aanbiedmoment else None,
        bevroren=sh.bevroren,
        warme_overdracht_id=warme_overdracht.warme_overdracht_id if warme_overdracht else None,
    )


@router.post(
    "/statushouders",
    status_code=201,
    operation_id="statushouder-aanmaken",
    responses=_NA_AANMAKEN,
    summary="Register a statushouder in the AZC with the first klantprofiel content",
)
async def statushouder_aanmaken(
    inhoud: Annotated[
        KlantprofielInhoud,  # type: ignore[valid-type]
        Body(openapi_examples={"klantprofiel": {"value": VOORBEELD}}),
    ],
    keten: Runtime,
) -> Stand:
    moment = now()
    sh = StatushouderRij(
        statushouder_id=_id("sh"),
        klantprofiel_id=_id("kp"),
        koppeling_id=None,
        versie=1,
        aanbiedmoment=None,
        vertrokken_op=None,
        profiel=inhoud.model_dump(mode="json", by_alias=True, exclude_none=True),  # type: ignore[attr-defined]
        aangemaakt_op=moment,
        gewijzigd_op=moment,
    )
    async with keten.unit_of_work() as uow:
        uow.session.add(sh)
    return _stand(sh, None)


@router.post(
    "/statushouders/{statushouderId}/koppeling",
    operation_id="koppelen",
    summary="Link the statushouder to a vestigingsgemeente (again: re-link, access moves)",
)
async def koppelen(
    statushouder_id: StatushouderId, verzoek: Koppelverzoek, keten: Runtime
) -> Stand:
    async with keten.unit_of_work() as uow:
        sh = await _statushouder(uow, statushouder_id)
        huidige = await _huidige_koppeling(uow, sh)
        herkoppeling = _regel(
            domain.controleer_herkoppeling,
            huidige_gemeentecode=huidige.gemeentecode if huidige else None,
            nieuwe_gemeentecode=verzoek.gemeentecode,
            vertrokken=sh.bevroren,
        )
        if herkoppeling:
            assert huidige is not None
            # The old gemeente's koppeling is withdrawn: from now on it reads nothing of this
            # person (the read kit gets the new gemeente as the row's gemeente).
            huidige.status = Koppelingstatus.INGETROKKEN.value
        koppeling = KoppelingRij(
            koppeling_id=_id("kop"),
            statushouder_id=sh.statushouder_id,
            gemeentecode=verzoek.gemeentecode,
            koppeldatum=verzoek.koppeldatum or today(),
            status=Koppelingstatus.GEKOPPELD.value,
            azc_locatie=verzoek.azc_locatie,
            verwachte_vestigingsdatum=verzoek.verwachte_vestigingsdatum,
            vestigingsdatum=None,
            aangemaakt_op=now(),
        )
        uow.session.add(koppeling)
        sh.koppeling_id = koppeling.koppeling_id
        sh.aanbiedmoment = Aanbiedmoment.KOPPELING.value
        sh.gewijzigd_op = now()
        _stage(uow, api_base_url(keten), domain.BIJ_KOPPELING, sh=sh, koppeling=koppeling)
    return _stand(sh, koppeling)


@router.patch(
    "/statushouders/{statushouderId}/klantprofiel",
    operation_id="klantprofiel-bijwerken",
    summary="Add or change klantprofiel fields while the person is in the AZC",
)
async def klantprofiel_bijwerken(
    statushouder_id: StatushouderId,
    wijziging: KlantprofielWijziging,  # type: ignore[valid-type]
    keten: Runtime,
) -> Stand:
    return await werk_klantprofiel_bij(keten, statushouder_id, wijziging)


async def werk_klantprofiel_bij(
    keten: ServiceRuntime,
    statushouder_id: str,
    wijziging: Any,  # a KlantprofielWijziging (a model made at import, so typed loosely)
) -> Stand:
    """The casemanager's change (the control API's and the portal's): merged, validated as a
    whole, a new version and its events through the outbox; 409 once the profile is frozen."""
    patch = wijziging.model_dump(mode="json", by_alias=True, exclude_unset=True)
    async with keten.unit_of_work() as uow:
        sh = await _statushouder(uow, statushouder_id)
        _regel(domain.controleer_wijzigbaar, vertrokken=sh.bevroren)
        samengevoegd = {
            name: value for name, value in {**sh.profiel, **patch}.items() if value is not None
        }
        nieuw = KlantprofielInhoud.model_validate(samengevoegd).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        gewijzigd = nieuw != sh.profiel
        nareisprofiel = nieuw.get("nareisprofiel")
        meldingen = domain.meldingen_bij_wijziging(
            gekoppeld=sh.koppeling_id is not None,
            gewijzigd=gewijzigd,
            nareisprofiel_gewijzigd=(
                nareisprofiel is not None and nareisprofiel != sh.profiel.get("nareisprofiel")
            ),
        )
        if gewijzigd:
            sh.profiel = nieuw
            sh.versie += 1
            sh.gewijzigd_op = now()
        koppeling = await _huidige_koppeling(uow, sh)
        if meldingen:
            assert koppeling is not None
            _stage(uow, api_base_url(keten), meldingen, sh=sh, koppeling=koppeling)
    return _stand(sh, koppeling)


@router.post(
    "/statushouders/{statushouderId}/warme-overdrachten",
    status_code=201,
    operation_id="warme-overdracht-plannen",
    responses=_NA_PLANNEN,
    summary="Plan the warme overdracht with the linked gemeente",
)
async def warme_overdracht_plannen(
    statushouder_id: StatushouderId, planning: WarmeOverdrachtPlanning, keten: Runtime
) -> Stand:
    async with keten.unit_of_work() as uow:
        sh = await _statushouder(uow, statushouder_id)
        _regel(
            domain.controleer_warme_overdracht_plannen,
            gekoppeld=sh.koppeling_id is not None,
            vertrokken=sh.bevroren,
        )
        koppeling = await _huidige_koppeling(uow, sh)
        assert koppeling is not None
        overdracht = WarmeOverdrachtRij(
            warme_overdracht_id=_id("wo"),
            koppeling_id=koppeling.koppeling_id,
            statushouder_id=sh.statushouder_id,
            gemeentecode=koppeling.gemeentecode,
            gepland_op=planning.gepland_op,
            locatie=planning.locatie,
            gehouden_op=None,
            klantprofiel_versie=None,
            coa_contactpersoon=sh.profiel["coaContactpersoon"],
        )
        uow.session.add(overdracht)
        _stage(
            uow,
            api_base_url(keten),
            domain.BIJ_WARME_OVERDRACHT_GEPLAND,
            sh=sh,
            koppeling=koppeling,
            warme_overdracht=overdracht,
        )
    return _stand(sh, koppeling, overdracht)


@router.post(
    "/warme-overdrachten/{warmeOverdrachtId}/gehouden",
    operation_id="warme-overdracht-houden",
    summary="Record that the warme overdracht took place; the klantprofiel is offered again",
)
async def warme_overdracht_houden(
    warme_overdracht_id: WarmeOverdrachtId, verslag: WarmeOverdrachtVerslag, keten: Runtime
) -> Stand:
    async with keten.unit_of_work() as uow:
        overdracht = await uow.session.get(WarmeOverdrachtRij, warme_overdracht_id)
        if overdracht is None:
            raise Problem(404, detail=f"No warme overdracht {warme_overdracht_id!r}.")
        # The person first, as every other write locks it: one lock order, no deadlock.
        sh = await _statushouder(uow, overdracht.statushouder_id)
        await uow.session.refresh(overdracht, with_for_update=True)
        _regel(
            domain.controleer_warme_overdracht_houden,
            al_gehouden=overdracht.gehouden_op is not None,
            bij_huidige_koppeling=overdracht.koppeling_id == sh.koppeling_id,
            vertrokken=sh.bevroren,
        )
        koppeling = await _huidige_koppeling(uow, sh)
        assert koppeling is not None
        overdracht.gehouden_op = verslag.gehouden_op or today()
        overdracht.klantprofiel_versie = sh.versie
        sh.aanbiedmoment = Aanbiedmoment.WARME_OVERDRACHT.value
        sh.gewijzigd_op = now()
        _stage(
            uow,
            api_base_url(keten),
            domain.BIJ_WARME_OVERDRACHT_GEHOUDEN,
            sh=sh,
            koppeling=koppeling,
            warme_overdracht=overdracht,
        )
    return _stand(sh, koppeling, overdracht)


@router.post(
    "/statushouders/{statushouderId}/vertrek",
    operation_id="vertrek-uit-azc",
    summary="The person leaves the AZC for the gemeente (vestiging); the profile is frozen",
)
async def vertrek_uit_azc(
    statushouder_id: StatushouderId, vertrek: Vertrek, keten: Runtime
) -> Stand:
    async with keten.unit_of_work() as uow:
        sh = await _statushouder(uow, statushouder_id)
        _regel(
            domain.controleer_vestiging,
            gekoppeld=sh.koppeling_id is not None,
            vertrokken=sh.bevroren,
        )
        koppeling = await _huidige_koppeling(uow, sh)
        assert koppeling is not None
        datum = vertrek.vestigingsdatum or today()
        koppeling.status = Koppelingstatus.GEVESTIGD.value
        koppeling.vestigingsdatum = datum
        sh.vertrokken_op = datum
        sh.aanbiedmoment = Aanbiedmoment.VESTIGING.value
        sh.gewijzigd_op = now()
        _stage(uow, api_base_url(keten), domain.BIJ_VESTIGING, sh=sh, koppeling=koppeling)
    return _stand(sh, koppeling)
