"""The VNG Notificaties API 1.0 on the router, as Open Notificaties serves it, so that existing
Common Ground components publish and subscribe unchanged (notifications-api-common,
zgw-consumers): ``kanaal``, ``abonnement`` and ``POST /notificaties``, ZGW JWT authentication.

- ``kanaal``: read-only, one per catalogue domain (``notificaties.KANALEN``); a kanaal is a
  topic, so none is created through the API.
- ``abonnement``: stored in the router's one subscription store (``router_abonnement``,
  ``soort="notificaties"``), delivered by the same engine as CloudEvents subscriptions, as 1.0
  messages with the abonnement's ``auth`` as ``Authorization``. Its ``types`` are the catalogue
  types of its kanalen that the caller's role may receive, its kenmerken filters become
  CloudEvents ``exact`` filters (``"*"``: no filter), and the contracts' policy applies to
  every event as for any subscription. The ``callbackUrl`` is checked as Open Notificaties
  checks it (``CallbackURLValidator``): a test notificatie (kanaal ``test``) is POSTed with the
  abonnement's ``auth`` and must be answered 204.
- ``POST /notificaties``: the notificatie becomes a CloudEvent (``notificaties``' mapping, a
  stable id, source ``urn:nld:oin:<caller OIN>:systeem:notificaties-api``), with the same
  checks as an inbound CloudEvent (``inbound.publicatie_bezwaren``), published once per id on
  the kanaal's topic. An unknown kanaal, resource or actie is refused with 400.

Deliberate differences from Open Notificaties: a kenmerken filter on a kenmerk an event does
not carry excludes the event (a CloudEvents ``exact`` filter; Open Notificaties lets it
through); an abonnement needs at least one kanaal; ``PUT``/``PATCH`` of an abonnement are not
offered (delete and create again); the data of the event is derived from the notificatie (the
resource id and the person-level key), so types whose data needs more are refused with 400 and
published as CloudEvents instead.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final

import httpx
import structlog
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select

from keten_contracts.envelope import (
    EXT_AANBIEDEROIN,
    EXT_AANBIEDERSOORT,
    EXT_GEMEENTECODE,
    EXT_PARTITIONKEY,
    source_urn,
)
from keten_contracts.events.catalogue import EventType, Sleutel, all_event_types
from keten_contracts.parties import Rol
from keten_core.auth import AuthenticatedCaller, authenticated_party
from keten_core.envelope import InvalidEvent, find_event_type, new_event
from keten_core.problems import Problem, problem_responses
from keten_core.service import ServiceRuntime, runtime
from notificatie_router import api, inbound
from notificatie_router.domain import abonnement_bezwaren
from notificatie_router.filters import FilterError, compile_filters, parse_filters
from notificatie_router.geheimen import nieuw_geheim
from notificatie_router.models import AbonnementRij
from notificatie_router.notificaties import (
    KANALEN,
    Kanaal,
    Notificatie,
    OnbekendeNotificatie,
    OnbekendKanaal,
    OngeldigeNotificatie,
    kanaal_van_type,
    naar_cloudevent_attributen,
)

log = structlog.get_logger(__name__)

__all__ = ["SYSTEEM", "router"]

PROBLEM_BASE = api.PROBLEM_BASE
# The system name in the source of notificaties published through this API.
SYSTEEM: Final = "notificaties-api"
SOORT: Final = "notificaties"
DOCUMENTATIE: Final = "https://inburgering.example/docs/notificaties#"
# Open Notificaties' CallbackURLValidator: this body, the abonnement's auth, answer 204.
TEST_NOTIFICATIE: Final[dict[str, Any]] = {
    "kanaal": "test",
    "hoofdObject": "http://some.hoofdobject.nl/",
    "resource": "some_resource",
    "resourceUrl": "http://some.resource.nl/",
    "actie": "create",
    "aanmaakdatum": "2019-01-01T12:00:00Z",
    "kenmerken": {},
}
_KANAAL_NS: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:inburgering:notificaties-api:kanaal")
# The data field that carries a type's person-level key (the partitionkey), by its sleutel.
_SLEUTEL_VELDEN: Final = {
    Sleutel.DOSSIER: "dossierId",
    Sleutel.INBURGERINGSPLICHTIGE: "inburgeringsplichtId",
    Sleutel.STATUSHOUDER: "koppelingId",
}

router = APIRouter(prefix=api.API_PREFIX, tags=["notificaties-api-1.0"])

Caller = Annotated[AuthenticatedCaller, Depends(authenticated_party)]
Runtime = Annotated[ServiceRuntime, Depends(runtime)]


# -- models -------------------------------------------------------------------------------


class KanaalUit(BaseModel):
    url: str
    naam: str
    documentatieLink: str
    filters: list[str] = Field(description="The kenmerken an abonnement may filter on.")


class KanaalFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    naam: Annotated[str, Field(min_length=1, max_length=50)]
    filters: dict[str, Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=dict,
        description="kenmerk -> value; '*' matches any value.",
    )


class AbonnementAanvraag(BaseModel):
    """A Notificaties API 1.0 abonnement (``auth`` is write-only)."""

    model_config = ConfigDict(extra="ignore")

    callbackUrl: Annotated[str, Field(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]
    auth: Annotated[str, Field(min_length=1, max_length=1000)]
    kanalen: list[KanaalFilter] = Field(min_length=1, max_length=len(KANALEN))


class AbonnementUit(BaseModel):
    url: str
    callbackUrl: str
    kanalen: list[KanaalFilter]


class NotificatieBericht(BaseModel):
    """A Notificaties API 1.0 message."""

    kanaal: str
    hoofdObject: str
    resource: str
    resourceUrl: str
    actie: str
    aanmaakdatum: datetime
    kenmerken: dict[str, str] = Field(default_factory=dict)


# -- kanaal --------------------------------------------------------------------------------


def _kanaal_uuid(naam: str) -> uuid.UUID:
    return uuid.uuid5(_KANAAL_NS, naam)


def _basis(request: Request) -> str:
    return str(request.base_url).rstrip("/") + api.API_PREFIX


def _als_kanaal(request: Request, kanaal: Kanaal) -> dict[str, Any]:
    return {
        "url": f"{_basis(request)}/kanaal/{_kanaal_uuid(kanaal.naam)}",
        "naam": kanaal.naam,
        "documentatieLink": DOCUMENTATIE + kanaal.naam,
        "filters": list(kanaal.filters),
    }


@router.get(
    "/kanaal",
    response_model=list[KanaalUit],
    operation_id="kanaal-lijst",
    summary="All KANAALen (Notificaties API 1.0): one per domain topic",
    responses=problem_responses(401),
)
async def kanalen(
    request: Request,
    caller: Caller,
    naam: Annotated[str | None, Query(max_length=50, description="Only this kanaal.")] = None,
) -> list[dict[str, Any]]:
    return [_als_kanaal(request, k) for k in KANALEN.values() if naam in (None, k.naam)]


@router.get(
    "/kanaal/{uuid}",
    response_model=KanaalUit,
    operation_id="kanaal-lezen",
    summary="One KANAAL (Notificaties API 1.0)",
    responses=problem_responses(401, 404),
)
async def kanaal(
    request: Request, caller: Caller, id: Annotated[uuid.UUID, Path(alias="uuid")]
) -> dict[str, Any]:
    for k in KANALEN.values():
        if _kanaal_uuid(k.naam) == id:
            return _als_kanaal(request, k)
    raise Problem(404, detail=f"no kanaal {id}")


# -- abonnement ----------------------------------------------------------------------------


def _types_van(kanaal: str, rol: Rol) -> list[str]:
    return sorted(
        et.type
        for et in all_event_types()
        if rol in et.recipients and kanaal_van_type(et.type) == kanaal
    )


def _exact(filters: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in filters.items() if v != "*"}


def _cloudevent_filters(
    groepen: list[tuple[list[str], dict[str, str]]],
) -> list[dict[str, Any]]:
    """Per kanaal its types and kenmerken filters, as CloudEvents filter expressions: one
    ``exact`` when every kanaal filters alike, else per kanaal (its types) and (its filter)."""
    vormen = {tuple(sorted(_exact(f).items())) for _, f in groepen}
    if len(vormen) == 1:
        (vorm,) = vormen
        return [{"exact": dict(vorm)}] if vorm else []
    takken: list[dict[str, Any]] = []
    for types, filters in groepen:
        type_filter: dict[str, Any] = {"any": [{"exact": {"type": t}} for t in types]}
        exact = _exact(filters)
        takken.append({"all": [type_filter, {"exact": exact}]} if exact else type_filter)
    return [{"any": takken}]


def _bezwaar(status: int, soort: str, titel: str, detail: str) -> Problem:
    return Problem(status, titel, detail, type=PROBLEM_BASE + soort)


async def _test_notificatie(callback_url: str, auth: str) -> None:
    """Open Notificaties' ``CallbackURLValidator``: the test notificatie, with the abonnement's
    ``auth``, must be answered 204."""
    titel = "De opgegeven callback URL kan geen notificaties ontvangen."
    try:
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
            antwoord = await client.post(
                callback_url, json=TEST_NOTIFICATIE, headers={"Authorization": auth}
            )
    except httpx.HTTPError as exc:
        raise _bezwaar(
            400,
            "invalid-callback-url",
            titel,
            f"the test notificatie to {callback_url} got no answer: {type(exc).__name__}",
        ) from exc
    if antwoord.status_code != 204:
        raise _bezwaar(
            400,
            "invalid-callback-url",
            titel,
            f"the test notificatie (kanaal 'test', with the abonnement's auth) was answered"
            f" {antwoord.status_code}; a callback must answer 204",
        )


def _als_abonnement(request: Request, rij: AbonnementRij) -> dict[str, Any]:
    return {
        "url": f"{_basis(request)}/abonnement/{rij.id}",
        "callbackUrl": rij.sink,
        "kanalen": rij.instellingen.get("kanalen", []),
    }


@router.post(
    "/abonnement",
    status_code=201,
    response_model=AbonnementUit,
    operation_id="abonnement-1-0-aanmaken",
    summary="Maak een ABONNEMENT aan (Notificaties API 1.0)",
    responses=problem_responses(400, 401, 403, 422),
)
async def abonnement_aanmaken(
    aanvraag: AbonnementAanvraag,
    request: Request,
    caller: Caller,
    keten: Runtime,
    ctx: api.Context,
    response: Response,
) -> dict[str, Any]:
    groepen: list[tuple[list[str], dict[str, str]]] = []
    namen: set[str] = set()
    for groep in aanvraag.kanalen:
        kanaal = KANALEN.get(groep.naam)
        if kanaal is None:
            raise _bezwaar(
                400,
                "onbekend-kanaal",
                "Kanaal met deze naam bestaat niet.",
                f"kanaal {groep.naam!r} is not one of {sorted(KANALEN)}",
            )
        if groep.naam in namen:
            raise Problem(400, detail=f"kanaal {groep.naam!r} is named twice")
        namen.add(groep.naam)
        if onbekend := sorted(set(groep.filters) - set(kanaal.filters)):
            raise _bezwaar(
                400,
                "inconsistent-abonnement-filters",
                "abonnement filters aren't consistent with kanaal filters",
                f"kanaal {kanaal.naam!r} offers filters {list(kanaal.filters)}, not {onbekend}",
            )
        types = _types_van(kanaal.naam, caller.rol)
        if not types:
            raise _bezwaar(
                403,
                "abonnement-niet-toegestaan",
                "The policy does not allow this subscription",
                f"a {caller.rol.value} receives no event type of kanaal {kanaal.naam!r}",
            )
        groepen.append((types, dict(groep.filters)))
    alle_types = sorted({t for types, _ in groepen for t in types})
    gemeentecodes = {f[EXT_GEMEENTECODE] for _, f in groepen if f.get(EXT_GEMEENTECODE, "*") != "*"}
    bezwaren = abonnement_bezwaren(caller.rol, caller.gemeentecode, alle_types, gemeentecodes)
    if bezwaren:
        raise _bezwaar(
            403,
            "abonnement-niet-toegestaan",
            "The policy does not allow this subscription",
            "; ".join(bezwaren),
        )
    filters = _cloudevent_filters(groepen)
    try:
        compile_filters(parse_filters(filters))
    except FilterError as exc:
        raise Problem(400, detail=f"kenmerken filters: {exc}") from exc
    api.check_sink(aanvraag.callbackUrl, ctx.settings)
    await _test_notificatie(aanvraag.callbackUrl, aanvraag.auth)
    rij = await api.nieuw_abonnement(
        keten,
        ctx,
        caller,
        id=uuid.uuid4(),
        soort=SOORT,
        protocol="HTTP",
        sink=aanvraag.callbackUrl,
        types=alle_types,
        source=None,
        filters=filters,
        instellingen={
            "auth": ctx.kluis.versleutel(aanvraag.auth).decode(),
            "kanalen": [g.model_dump() for g in aanvraag.kanalen],
        },
        geheim=nieuw_geheim(),
        rate_per_minuut=None,
    )
    uit = _als_abonnement(request, rij)
    response.headers["Location"] = uit["url"]
    log.info("abonnement_1_0_aangemaakt", abonnement=str(rij.id), client_id=caller.client_id)
    return uit


@router.get(
    "/abonnement",
    response_model=list[AbonnementUit],
    operation_id="abonnement-1-0-lijst",
    summary="Alle ABONNEMENTen van de aanroeper (Notificaties API 1.0)",
    responses=problem_responses(401),
)
async def abonnementen(request: Request, caller: Caller, keten: Runtime) -> list[dict[str, Any]]:
    async with api.sessie(keten) as session:
        query = select(AbonnementRij).where(
            AbonnementRij.oin == caller.oin, AbonnementRij.soort == SOORT
        )
        if caller.gemeentecode is None:
            query = query.where(AbonnementRij.gemeentecode.is_(None))
        else:
            query = query.where(AbonnementRij.gemeentecode == caller.gemeentecode)
        rijen = (await session.scalars(query.order_by(AbonnementRij.aangemaakt_op))).all()
    return [_als_abonnement(request, rij) for rij in rijen]


AbonnementUuid = Annotated[uuid.UUID, Path(alias="uuid")]


async def _eigen_1_0(session: Any, caller: AuthenticatedCaller, id: uuid.UUID) -> AbonnementRij:
    rij = await api.eigen(session, caller, id)
    if rij.soort != SOORT:
        raise Problem(404, detail=f"no Notificaties API abonnement {id} of yours")
    return rij


@router.get(
    "/abonnement/{uuid}",
    response_model=AbonnementUit,
    operation_id="abonnement-1-0-lezen",
    summary="Een ABONNEMENT (Notificaties API 1.0)",
    responses=problem_responses(401, 404),
)
async def abonnement(
    id: AbonnementUuid, request: Request, caller: Caller, keten: Runtime
) -> dict[str, Any]:
    async with api.sessie(keten) as session:
        return _als_abonnement(request, await _eigen_1_0(session, caller, id))


@router.delete(
    "/abonnement/{uuid}",
    status_code=204,
    operation_id="abonnement-1-0-verwijderen",
    summary="Verwijder een ABONNEMENT (Notificaties API 1.0)",
    responses=problem_responses(401, 404),
)
async def abonnement_verwijderen(
    id: AbonnementUuid, caller: Caller, keten: Runtime, ctx: api.Context
) -> Response:
    async with api.sessie(keten) as session, session.begin():
        rij = await _eigen_1_0(session, caller, id)
        await session.execute(delete(AbonnementRij).where(AbonnementRij.id == rij.id))
        api.audit(session, caller, "verwijderd", rij.id, soort=SOORT)
    await api.ververs(ctx)
    return Response(status_code=204)


# -- notificaties --------------------------------------------------------------------------


def _data(et: EventType, attributes: dict[str, str]) -> dict[str, Any]:
    """The thin event's data a notificatie implies: the resource's id, and the person-level key
    where the type's data carries it."""
    velden = {f.alias or n for n, f in et.data_model.model_fields.items()}
    data: dict[str, Any] = {et.subject_field: attributes["subject"]}
    veld = _SLEUTEL_VELDEN.get(et.sleutel)
    if veld is not None and veld in velden and veld != et.subject_field:
        data[veld] = attributes[EXT_PARTITIONKEY]
    return data


@router.post(
    "/notificaties",
    status_code=201,
    response_model=NotificatieBericht,
    operation_id="notificatie-publiceren",
    summary="Publiceer een notificatie (Notificaties API 1.0): it becomes a CloudEvent on the"
    " kanaal's topic",
    responses=problem_responses(400, 401, 403, 503),
)
async def notificatie_publiceren(
    notificatie: Notificatie, caller: Caller, keten: Runtime
) -> dict[str, Any]:
    source = source_urn(caller.oin, SYSTEEM)
    try:
        attributes = naar_cloudevent_attributen(notificatie, source=source)
    except OnbekendKanaal as exc:
        raise _bezwaar(
            400, "onbekend-kanaal", "Kanaal met deze naam bestaat niet.", str(exc)
        ) from exc
    except OnbekendeNotificatie as exc:
        raise _bezwaar(
            400, "onbekende-notificatie", "No event type for this notificatie", str(exc)
        ) from exc
    except OngeldigeNotificatie as exc:
        raise _bezwaar(400, "ongeldige-notificatie", "Not a valid notificatie", str(exc)) from exc
    except OverflowError as exc:  # its id takes aanmaakdatum in UTC, e.g. 9999-12-31T23:59-01:00
        raise _bezwaar(
            400,
            "ongeldige-notificatie",
            "Not a valid notificatie",
            "aanmaakdatum: not a moment between the years 1 and 9999 in UTC",
        ) from exc
    inbound.weiger(inbound.publicatie_bezwaren(caller, attributes, inbound.bron_van(caller)))
    et = find_event_type(attributes["type"])
    assert et is not None  # naar_cloudevent_attributen found it
    try:
        event = new_event(
            type=et.type,
            source=source,
            subject=attributes["subject"],
            partitionkey=attributes[EXT_PARTITIONKEY],
            dataref=attributes["dataref"],
            data=_data(et, attributes),
            dataschema=attributes["dataschema"],
            gemeentecode=attributes.get(EXT_GEMEENTECODE),
            aanbiedersoort=Rol(attributes[EXT_AANBIEDERSOORT])
            if EXT_AANBIEDERSOORT in attributes
            else None,
            aanbiederoin=attributes.get(EXT_AANBIEDEROIN),
            id=uuid.UUID(attributes["id"]),
            time=notificatie.aanmaakdatum,
        )
    except InvalidEvent as exc:
        raise _bezwaar(
            400,
            "ongeldige-notificatie",
            "Not a valid notificatie",
            f"{exc.reason} (a notificatie carries the resource id and the person-level key"
            " only; publish this type as a CloudEvent at /api/v1/cloudevents)",
        ) from exc
    await inbound.publiceer(keten, caller, event, et)
    return notificatie.model_dump(by_alias=True)
