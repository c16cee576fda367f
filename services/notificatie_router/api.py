"""The router's HTTP API: subscriptions in the style of the CloudEvents Subscriptions API (as
the VNG Notificatieservices draft profiles it), and their operations: the delivery log, resend,
replay and the pull endpoint.

The subscription's fields keep the spec's names (``sink``, ``protocol``, ``types``, ``source``,
``filters``) so a client written for the spec works unchanged; what the router adds (state,
health, the secret) uses the chain's Dutch terms. The owner is the caller's credential
(organisation and the gemeente it acts for), never a field of the body. Every operation that
sends again (resend, replay) and every secret rotation and deletion is written to the audit log.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
import structlog
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from keten_contracts.clients import Functie
from keten_contracts.parties import Rol
from keten_core.auth import AuthenticatedCaller, authenticated_party
from keten_core.problems import Problem, problem_responses
from keten_core.service import ServiceRuntime, runtime
from notificatie_router.abonnementen import als_ontvanger
from notificatie_router.domain import abonnement_bezwaren
from notificatie_router.filters import (
    Exact,
    Filters,
    compile_filters,
    dump_filters,
)
from notificatie_router.geheimen import Kluis, nieuw_geheim
from notificatie_router.herhaling import als_gebeurtenis, transactie
from notificatie_router.kafka_sink import maak_kafka_sink
from notificatie_router.models import HTTP, KAFKA, AbonnementRij, AuditRij
from notificatie_router.settings import RouterSettings

log = structlog.get_logger(__name__)

__all__ = ["API_PREFIX", "RouterContext", "router"]

API_PREFIX = "/api/v1"
PROBLEM_BASE = "https://inburgering.example/problems/"
# The largest id and sequence number PostgreSQL's bigint holds (larger ones are refused: 422).
BIGINT_MAX = 2**63 - 1

router = APIRouter(prefix=API_PREFIX, tags=["abonnementen"])

Caller = Annotated[AuthenticatedCaller, Depends(authenticated_party)]
Runtime = Annotated[ServiceRuntime, Depends(runtime)]


class RouterContext:
    """What the API shares with the delivery engine (``app.state.router``)."""

    def __init__(self, settings: RouterSettings, kluis: Kluis, stroom: Any) -> None:
        self.settings = settings
        self.kluis = kluis
        self.stroom = stroom


async def context(request: Request) -> RouterContext:
    found: RouterContext = request.app.state.router
    return found


Context = Annotated[RouterContext, Depends(context)]


# -- models -------------------------------------------------------------------------------


class HttpInstellingen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Literal["POST"] = "POST"


class AbonnementAanvraag(BaseModel):
    """A new subscription (CloudEvents Subscriptions API, section 3.2)."""

    model_config = ConfigDict(extra="forbid")

    sink: Annotated[str, Field(min_length=8, max_length=2000, pattern=r"^https?://\S+$")] | None = (
        Field(default=None, description="The webhook URL (HTTP); for KAFKA the router assigns it.")
    )
    protocol: Literal["HTTP", "KAFKA"] = Field(
        description="HTTP: a webhook. KAFKA: a topic of the subscription's own on the chain's"
        " cluster that only the subscriber may read (its credentials are in the answer, once)."
    )
    protocolsettings: HttpInstellingen | None = None
    types: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=100,
        description="Event types; empty: every type the subscriber's role may receive.",
    )
    source: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    filters: Filters = Field(default=(), description="exact, prefix, suffix, all, any, not")
    config: dict[str, str] = Field(default_factory=dict, max_length=0)


class Abonnement(BaseModel):
    """A subscription as its owner sees it."""

    id: uuid.UUID
    sink: str
    protocol: str
    types: list[str]
    source: str | None = None
    filters: list[dict[str, Any]]
    actief: bool
    uitgeschakeldOp: datetime | None = None
    uitgeschakeldReden: str | None = None
    rateLimitPerMinuut: int | None = None
    laatsteSuccesOp: datetime | None = None
    falendSinds: datetime | None = None
    volgnummer: int = Field(description="The subscriber's sequence: the last number given.")
    aangemaaktOp: datetime


class KafkaToegang(BaseModel):
    bootstrapServers: str
    topic: str
    saslMechanism: str
    gebruiker: str
    wachtwoord: str = Field(description="Shown only now.")
    consumerGroupPrefix: str


class AbonnementMetGeheim(Abonnement):
    secret: str = Field(
        description="The signing secret (Standard Webhooks, whsec_...). Shown only now."
    )
    kafka: KafkaToegang | None = Field(
        default=None, description="For a KAFKA subscription: how to read its topic."
    )


class NieuwGeheim(BaseModel):
    secret: str
    vorigGeldigTot: datetime = Field(description="Until then the old secret signs too.")


class Poging(BaseModel):
    model_config = ConfigDict(extra="allow")
    op: datetime | None = None


class Aflevering(BaseModel):
    id: int
    gebeurtenisId: uuid.UUID
    volgnummer: int
    status: Literal["afgeleverd", "wacht", "dood"]
    pogingen: int
    volgendePogingOp: datetime | None = None
    afgeleverdOp: datetime | None = None
    geschiedenis: list[dict[str, Any]]


class Afleveringen(BaseModel):
    afleveringen: list[Aflevering]


class KafkaLevering(BaseModel):
    geleverdOp: datetime = Field(description="The last acknowledgement in the group.")
    eersteOp: datetime = Field(description="The first attempt's start in the group.")
    aantal: int
    gebeurtenisIds: list[uuid.UUID] = Field(description="In the order they were produced.")
    msMax: float = Field(description="The slowest acknowledgement in the group (ms).")


class KafkaLeveringen(BaseModel):
    leveringen: list[KafkaLevering]
    volgende: int | None = Field(description="The cursor for the next page (`na`); null: done.")


class HerzendAanvraag(BaseModel):
    model_config = ConfigDict(extra="forbid")
    afleveringen: list[Annotated[int, Field(ge=1, le=BIGINT_MAX)]] = Field(
        default_factory=list, max_length=10_000
    )
    alleMislukte: bool = Field(default=False, description="All dead deliveries.")


class ReplayAanvraag(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vanaf: datetime = Field(description="Replay the events the router received since then.")


class Opdracht(BaseModel):
    aantal: int = Field(description="Deliveries scheduled now.")


class PullItem(BaseModel):
    volgnummer: int
    event: dict[str, Any]


class Pull(BaseModel):
    items: list[PullItem]
    volgende: int = Field(description="The cursor for the next call (`na`).")


# -- helpers ------------------------------------------------------------------------------


def sessie(keten: ServiceRuntime) -> AsyncSession:
    # Rows stay readable after commit (the answer is built from them).
    return AsyncSession(keten.engine, expire_on_commit=False)


def _nu() -> datetime:
    return datetime.now(UTC)


def _als_abonnement(rij: AbonnementRij) -> dict[str, Any]:
    return {
        "id": rij.id,
        "sink": rij.sink,
        "protocol": rij.protocol,
        "types": list(rij.types),
        "source": rij.source,
        "filters": rij.filters,
        "actief": rij.actief,
        "uitgeschakeldOp": rij.uitgeschakeld_op,
        "uitgeschakeldReden": rij.uitgeschakeld_reden,
        "rateLimitPerMinuut": rij.rate_per_minuut,
        "laatsteSuccesOp": rij.laatste_succes_op,
        "falendSinds": rij.falend_sinds,
        "volgnummer": rij.volgnummer,
        "aangemaaktOp": rij.aangemaakt_op,
    }


def _is_eigenaar(caller: AuthenticatedCaller, rij: AbonnementRij) -> bool:
    return rij.oin == caller.oin and rij.gemeentecode == caller.gemeentecode


async def eigen(session: AsyncSession, caller: AuthenticatedCaller, id: uuid.UUID) -> AbonnementRij:
    """The caller's own subscription, or 404 (another party's is not even confirmed)."""
    rij = await session.get(AbonnementRij, id)
    if rij is None or not _is_eigenaar(caller, rij):
        raise Problem(404, detail=f"no subscription {id} of yours")
    return rij


def _is_beheerder(caller: AuthenticatedCaller, rij: AbonnementRij) -> bool:
    """The gemeente's notification operator (an SSC's credential per mandated gemeente) for
    the subscriptions of that gemeente."""
    return (
        caller.rol is Rol.GEMEENTE
        and caller.functie is Functie.NOTIFICATIEBEHEERDER
        and rij.rol == Rol.GEMEENTE.value
        and rij.gemeentecode is not None
        and rij.gemeentecode == caller.gemeentecode
    )


async def _beheerd(
    session: AsyncSession, caller: AuthenticatedCaller, id: uuid.UUID
) -> AbonnementRij:
    """A subscription the caller owns or operates, or 404."""
    rij = await session.get(AbonnementRij, id)
    if rij is None or not (_is_eigenaar(caller, rij) or _is_beheerder(caller, rij)):
        raise Problem(404, detail=f"no subscription {id} of yours")
    return rij


def gebruiker(caller: AuthenticatedCaller) -> dict[str, str]:
    """The person behind the credential for the audit log (an operator in the console: the ID
    token's subject and name); empty for a machine."""
    if not caller.user_id:
        return {}
    return {"gebruiker": caller.user_id, "gebruikersnaam": caller.user_representation}


def audit(
    session: AsyncSession,
    caller: AuthenticatedCaller,
    actie: str,
    id: uuid.UUID | None,
    **details: Any,
) -> None:
    session.add(
        AuditRij(
            op=_nu(),
            client_id=caller.client_id,
            oin=caller.oin,
            actie=actie,
            abonnement_id=id,
            details={
                k: (str(v) if not isinstance(v, (int, bool, list)) else v)
                for k, v in {**details, **gebruiker(caller)}.items()
            },
        )
    )


def _origin(settings: RouterSettings) -> str:
    if settings.router_origin:
        return settings.router_origin
    return urlsplit(settings.base_url).netloc


async def _handshake(sink: str, origin: str) -> int | None:
    """CloudEvents "HTTP 1.1 Web Hooks for Event Delivery", section 4.1: the sink must agree
    to receive from this origin. Returns the allowed rate per minute (None: unlimited)."""
    handshake = PROBLEM_BASE + "webhook-handshake"
    title = "The sink did not agree to the webhook validation handshake"
    try:
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
            response = await client.options(
                sink, headers={"WebHook-Request-Origin": origin, "WebHook-Request-Rate": "*"}
            )
    except httpx.HTTPError as exc:
        raise Problem(
            422,
            title,
            f"the validation handshake (OPTIONS with WebHook-Request-Origin) got no answer"
            f" from {sink}: {type(exc).__name__}",
            type=handshake,
        ) from exc
    allowed = response.headers.get("WebHook-Allowed-Origin")
    if not response.is_success or allowed not in (origin, "*"):
        raise Problem(
            422,
            title,
            f"the validation handshake (OPTIONS with WebHook-Request-Origin: {origin}) was"
            f" answered {response.status_code} with WebHook-Allowed-Origin {allowed!r};"
            f" it must echo the origin or be '*'",
            type=handshake,
        )
    rate = response.headers.get("WebHook-Allowed-Rate")
    if rate is None or rate.strip() == "*":
        return None
    if not rate.strip().isdigit() or int(rate) < 1:
        raise Problem(
            422, title, f"WebHook-Allowed-Rate {rate!r} is not a number or '*'", type=handshake
        )
    return int(rate)


def check_sink(sink: str, settings: RouterSettings) -> None:
    parts = urlsplit(sink)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (loopback or settings.sandbox):
        raise Problem(422, detail="a webhook sink must be an https URL")
    if parts.username or parts.password:
        raise Problem(422, detail="credentials do not belong in the sink URL")


async def ververs(ctx: RouterContext) -> None:
    """This process's engine uses a changed subscription from the next event on; other
    replicas within a second (they poll). Events consumed before that can be replayed."""
    cache = getattr(ctx.stroom, "cache", None)
    if cache is not None:
        await cache.ververs()


def _blokkeer(ctx: RouterContext, sleutels: set[tuple[uuid.UUID, str]]) -> None:
    """Tell this process's fast path that these chains wait in the schedule now (a replica
    learns it from the table within a second of its next delivery for them)."""
    bezorger = getattr(ctx.stroom, "bezorger", None)
    if bezorger is not None:
        bezorger.geblokkeerd |= sleutels


# -- subscriptions -------------------------------------------------------------------------


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=AbonnementMetGeheim,
    operation_id="abonnement-aanmaken",
    summary="Subscribe a webhook to events (CloudEvents Subscriptions API)",
    responses=problem_responses(400, 401, 403, 422),
)
async def abonnement_aanmaken(
    aanvraag: AbonnementAanvraag,
    caller: Caller,
    keten: Runtime,
    ctx: Context,
    response: Response,
) -> dict[str, Any]:
    bezwaren = abonnement_bezwaren(
        caller.rol, caller.gemeentecode, aanvraag.types, _exact_gemeentecodes(aanvraag)
    )
    if bezwaren:
        raise Problem(
            403,
            "The policy does not allow this subscription",
            "; ".join(bezwaren),
            type=PROBLEM_BASE + "abonnement-niet-toegestaan",
        )
    compile_filters(aanvraag.filters)  # parsed already; compiling proves it usable
    abonnement_id = uuid.uuid4()
    toegang: dict[str, str] | None = None
    rate: int | None = None
    if aanvraag.protocol == KAFKA:
        if not ctx.settings.router_kafka_bootstrap:
            raise Problem(422, detail="this router offers no Kafka sinks (no SASL listener set)")
        if aanvraag.sink is not None:
            raise Problem(422, detail="a KAFKA subscription's topic is assigned by the router")
        toegang = await maak_kafka_sink(ctx.settings, str(abonnement_id))
        sink = toegang["topic"]
    else:
        if aanvraag.sink is None:
            raise Problem(422, detail="an HTTP subscription needs a sink (the webhook URL)")
        check_sink(aanvraag.sink, ctx.settings)
        rate = await _handshake(aanvraag.sink, _origin(ctx.settings))
        sink = aanvraag.sink
    geheim = nieuw_geheim()
    rij = await nieuw_abonnement(
        keten,
        ctx,
        caller,
        id=abonnement_id,
        soort="cloudevents",
        protocol=aanvraag.protocol,
        sink=sink,
        types=sorted(set(aanvraag.types)),
        source=aanvraag.source,
        filters=dump_filters(aanvraag.filters),
        instellingen={},
        geheim=geheim,
        rate_per_minuut=rate,
    )
    response.headers["Location"] = f"{API_PREFIX}/subscriptions/{rij.id}"
    log.info("abonnement_aangemaakt", abonnement=str(rij.id), client_id=caller.client_id)
    return {**_als_abonnement(rij), "secret": geheim, "kafka": toegang}


async def nieuw_abonnement(
    keten: ServiceRuntime,
    ctx: RouterContext,
    caller: AuthenticatedCaller,
    *,
    id: uuid.UUID,
    soort: str,
    protocol: str,
    sink: str,
    types: list[str],
    source: str | None,
    filters: list[dict[str, Any]],
    instellingen: dict[str, Any],
    geheim: str,
    rate_per_minuut: int | None,
) -> AbonnementRij:
    """Store a checked subscription of either API (owner from the token, secret encrypted),
    audited, and in this process's engine from the next event on."""
    nu = _nu()
    rij = AbonnementRij(
        id=id,
        client_id=caller.client_id,
        oin=caller.oin,
        rol=caller.rol.value,
        gemeentecode=caller.gemeentecode,
        soort=soort,
        protocol=protocol,
        sink=sink,
        types=types,
        source=source,
        filters=filters,
        instellingen=instellingen,
        geheim=ctx.kluis.versleutel(geheim),
        rate_per_minuut=rate_per_minuut,
        actief=True,
        volgnummer=0,
        gewist_tot=0,
        aangemaakt_op=nu,
        gewijzigd_op=nu,
    )
    async with sessie(keten) as session, session.begin():
        session.add(rij)
        audit(session, caller, "aangemaakt", rij.id, sink=rij.sink, soort=soort)
    await ververs(ctx)
    return rij


def _exact_gemeentecodes(aanvraag: AbonnementAanvraag) -> list[str]:
    """The gemeentecodes the top-level ``exact`` filters ask for."""
    return [
        value
        for expression in aanvraag.filters
        if isinstance(expression, Exact)
        for name, value in expression.attributes
        if name == "gemeentecode"
    ]


@router.get(
    "/subscriptions",
    response_model=list[Abonnement],
    operation_id="abonnementen-lijst",
    summary="The caller's subscriptions (an operator: its gemeente's)",
    responses=problem_responses(401),
)
async def abonnementen(caller: Caller, keten: Runtime) -> list[dict[str, Any]]:
    async with sessie(keten) as session:
        query = select(AbonnementRij).where(AbonnementRij.oin == caller.oin)
        if caller.functie is Functie.NOTIFICATIEBEHEERDER and caller.gemeentecode is not None:
            # The operator sees every subscription of its gemeente's own parties.
            query = select(AbonnementRij).where(
                AbonnementRij.rol == Rol.GEMEENTE.value,
                AbonnementRij.gemeentecode == caller.gemeentecode,
            )
        elif caller.gemeentecode is None:
            query = query.where(AbonnementRij.gemeentecode.is_(None))
        else:
            query = query.where(AbonnementRij.gemeentecode == caller.gemeentecode)
        rijen = (await session.scalars(query.order_by(AbonnementRij.aangemaakt_op))).all()
    return [_als_abonnement(rij) for rij in rijen]


AbonnementId = Annotated[uuid.UUID, Path(alias="abonnementId")]


@router.get(
    "/subscriptions/{abonnementId}",
    response_model=Abonnement,
    operation_id="abonnement-lezen",
    summary="One subscription, with its state and health",
    responses=problem_responses(401, 404),
)
async def abonnement(id: AbonnementId, caller: Caller, keten: Runtime) -> dict[str, Any]:
    async with sessie(keten) as session:
        return _als_abonnement(await _beheerd(session, caller, id))


class AbonnementWijziging(BaseModel):
    """What the owner may change in place (a JSON merge patch, RFC 7396)."""

    model_config = ConfigDict(extra="forbid")
    actief: bool = Field(
        description="false: stop deliveries; true: resume them (a webhook sink passes the"
        " handshake again). What came meanwhile is delivered by a replay."
    )


@router.patch(
    "/subscriptions/{abonnementId}",
    response_model=Abonnement,
    operation_id="abonnement-wijzigen",
    summary="Disable a subscription, or enable it again after it was disabled",
    responses=problem_responses(400, 401, 404, 422),
)
async def abonnement_wijzigen(
    id: AbonnementId,
    wijziging: AbonnementWijziging,
    caller: Caller,
    keten: Runtime,
    ctx: Context,
) -> dict[str, Any]:
    async with sessie(keten) as session:
        rij = await _beheerd(session, caller, id)
        protocol, sink, actief = rij.protocol, rij.sink, rij.actief
    rate = rij.rate_per_minuut
    if wijziging.actief and not actief and protocol == HTTP:
        # A sink that answered 410 or failed for days must consent again.
        rate = await _handshake(sink, _origin(ctx.settings))
    nu = _nu()
    async with sessie(keten) as session, session.begin():
        rij = await _beheerd(session, caller, id)
        rij.actief = wijziging.actief
        rij.gewijzigd_op = nu
        if wijziging.actief:
            rij.uitgeschakeld_op = rij.uitgeschakeld_reden = rij.falend_sinds = None
            rij.rate_per_minuut = rate
        elif actief:
            rij.uitgeschakeld_op = nu
            rij.uitgeschakeld_reden = f"disabled by {caller.client_id}"
        audit(session, caller, "ingeschakeld" if wijziging.actief else "uitgeschakeld", rij.id)
    await ververs(ctx)
    return _als_abonnement(rij)


@router.delete(
    "/subscriptions/{abonnementId}",
    status_code=204,
    operation_id="abonnement-verwijderen",
    summary="End a subscription (its delivery log goes with it)",
    responses=problem_responses(401, 404),
)
async def abonnement_verwijderen(
    id: AbonnementId, caller: Caller, keten: Runtime, ctx: Context
) -> Response:
    async with sessie(keten) as session, session.begin():
        rij = await eigen(session, caller, id)
        await session.execute(delete(AbonnementRij).where(AbonnementRij.id == rij.id))
        audit(session, caller, "verwijderd", rij.id)
    await ververs(ctx)
    return Response(status_code=204)


@router.post(
    "/subscriptions/{abonnementId}/secret",
    response_model=NieuwGeheim,
    operation_id="geheim-roteren",
    summary="Rotate the signing secret; the old one keeps signing for the overlap period",
    responses=problem_responses(401, 404),
)
async def geheim_roteren(
    id: AbonnementId, caller: Caller, keten: Runtime, ctx: Context
) -> dict[str, Any]:
    geheim = nieuw_geheim()
    nu = _nu()
    tot = nu + timedelta(seconds=ctx.settings.router_geheim_overlap_s)
    async with sessie(keten) as session, session.begin():
        rij = await eigen(session, caller, id)
        rij.vorig_geheim = rij.geheim
        rij.vorig_geheim_tot = tot
        rij.geheim = ctx.kluis.versleutel(geheim)
        rij.gewijzigd_op = nu
        audit(session, caller, "geheim-geroteerd", rij.id, overlap_tot=tot)
    await ververs(ctx)
    return {"secret": geheim, "vorigGeldigTot": tot}


# -- operations ----------------------------------------------------------------------------


@router.get(
    "/subscriptions/{abonnementId}/deliveries",
    response_model=Afleveringen,
    operation_id="afleveringen-lijst",
    summary="The delivery log of a subscription, with every attempt",
    responses=problem_responses(401, 404),
)
async def afleveringen(
    id: AbonnementId,
    caller: Caller,
    keten: Runtime,
    status: Annotated[Literal["afgeleverd", "wacht", "dood"] | None, Query()] = None,
    na: Annotated[
        int, Query(ge=0, le=BIGINT_MAX, description="Only after this sequence number.")
    ] = 0,
    aantal: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    async with sessie(keten) as session:
        await _beheerd(session, caller, id)
    async with transactie(keten.engine) as driver:
        rijen = await driver.fetch(_AFLEVERINGEN, id, na, aantal, status)
    return {
        "afleveringen": [
            {
                "id": r["id"],
                "gebeurtenisId": r["gebeurtenis_id"],
                "volgnummer": r["volgnummer"],
                "status": r["status"],
                "pogingen": r["pogingen"],
                "volgendePogingOp": r["volgende_poging_op"] if r["status"] == "wacht" else None,
                "afgeleverdOp": r["afgeleverd_op"],
                "geschiedenis": _json(r["geschiedenis"]),
            }
            for r in rijen
        ]
    }


@router.get(
    "/subscriptions/{abonnementId}/kafka-deliveries",
    response_model=KafkaLeveringen,
    operation_id="kafka-leveringen-lijst",
    summary="A Kafka sink's acknowledged deliveries, grouped per log write (its failures are in"
    " the delivery log)",
    responses=problem_responses(401, 404),
)
async def kafka_leveringen(
    id: AbonnementId,
    caller: Caller,
    keten: Runtime,
    na: Annotated[int, Query(ge=0, le=BIGINT_MAX, description="The cursor of the last page.")] = 0,
    aantal: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    async with sessie(keten) as session:
        await _beheerd(session, caller, id)
    async with transactie(keten.engine) as driver:
        rijen = await driver.fetch(_KAFKA_LEVERINGEN, id, na, aantal)
    return {
        "leveringen": [
            {
                "geleverdOp": r["laatste_op"],
                "eersteOp": r["eerste_op"],
                "aantal": r["aantal"],
                "gebeurtenisIds": r["gebeurtenis_ids"],
                "msMax": r["ms_max"],
            }
            for r in rijen
        ],
        "volgende": rijen[-1]["id"] if len(rijen) == aantal else None,
    }


_KAFKA_LEVERINGEN = """
SELECT id, eerste_op, laatste_op, aantal, gebeurtenis_ids, ms_max FROM router_kafka_levering
WHERE abonnement_id = $1 AND id > $2 ORDER BY id LIMIT $3
"""

_AFLEVERINGEN = """
SELECT id, gebeurtenis_id, volgnummer, status, pogingen, volgende_poging_op, afgeleverd_op,
       geschiedenis
FROM router_aflevering
WHERE abonnement_id = $1 AND volgnummer > $2 AND ($4::text IS NULL OR status = $4)
ORDER BY volgnummer LIMIT $3
"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


_HERZEND = """
UPDATE router_aflevering
SET status = 'wacht', volgende_poging_op = $3, lease_tot = NULL, pogingen = 0,
    geschiedenis = geschiedenis || $4::jsonb
WHERE abonnement_id = $1 AND status = 'dood' AND ($2::bigint[] IS NULL OR id = ANY($2))
RETURNING id, partitionkey
"""


@router.post(
    "/subscriptions/{abonnementId}/resends",
    status_code=202,
    response_model=Opdracht,
    operation_id="afleveringen-herzenden",
    summary="Send dead deliveries again (one, a selection, or all), in order per key",
    responses=problem_responses(400, 401, 404),
)
async def herzenden(
    id: AbonnementId, aanvraag: HerzendAanvraag, caller: Caller, keten: Runtime, ctx: Context
) -> dict[str, Any]:
    if not aanvraag.alleMislukte and not aanvraag.afleveringen:
        raise Problem(400, detail="name deliveries, or set alleMislukte")
    async with sessie(keten) as session:
        await _beheerd(session, caller, id)
    nu = _nu()
    notitie = json.dumps([{"herzonden": nu.isoformat(), "door": caller.client_id}])
    ids = None if aanvraag.alleMislukte else aanvraag.afleveringen
    async with transactie(keten.engine) as driver:
        rijen = await driver.fetch(_HERZEND, id, ids, nu, notitie)
        await driver.execute(
            "INSERT INTO router_audit (op, client_id, oin, actie, abonnement_id, details)"
            " VALUES ($1, $2, $3, 'herzonden', $4, $5::jsonb)",
            nu,
            caller.client_id,
            caller.oin,
            id,
            json.dumps(
                {
                    "afleveringen": [r["id"] for r in rijen],
                    "alle": aanvraag.alleMislukte,
                    **gebruiker(caller),
                }
            ),
        )
    _blokkeer(ctx, {(id, r["partitionkey"]) for r in rijen})
    return {"aantal": len(rijen)}


_REPLAY_GEBEURTENISSEN = """
SELECT id, attributen, inhoud, ontvangen_op, topic, partitie, positie FROM router_gebeurtenis
WHERE ontvangen_op >= $1 AND (ontvangen_op, id) > ($2, $3)
ORDER BY ontvangen_op, id LIMIT 1000
"""

_REPLAY_BESTAAND = """
UPDATE router_aflevering
SET status = 'wacht', volgende_poging_op = $3, lease_tot = NULL, pogingen = 0,
    geschiedenis = geschiedenis || $4::jsonb
WHERE abonnement_id = $1 AND gebeurtenis_id = ANY($2::uuid[])
RETURNING gebeurtenis_id
"""

_REPLAY_NIEUW = """
WITH n AS (
    UPDATE router_abonnement SET volgnummer = volgnummer + $2 WHERE id = $1
    RETURNING volgnummer
)
INSERT INTO router_aflevering
    (abonnement_id, gebeurtenis_id, volgnummer, partitionkey, status, pogingen,
     volgende_poging_op, geschiedenis, aangemaakt_op)
SELECT $1, g, (SELECT volgnummer FROM n) - $2 + o, k, 'wacht', 0, $5, $6::jsonb, $5
FROM unnest($3::uuid[], $4::text[]) WITH ORDINALITY AS t(g, k, o)
"""


@router.post(
    "/subscriptions/{abonnementId}/replays",
    status_code=202,
    response_model=Opdracht,
    operation_id="abonnement-replay",
    summary="Deliver again every event since a time that the subscription and the policy allow now",
    responses=problem_responses(400, 401, 404, 409, 410),
)
async def replay(
    id: AbonnementId, aanvraag: ReplayAanvraag, caller: Caller, keten: Runtime, ctx: Context
) -> dict[str, Any]:
    nu = _nu()
    vanaf = aanvraag.vanaf if aanvraag.vanaf.tzinfo else aanvraag.vanaf.replace(tzinfo=UTC)
    try:
        vanaf = vanaf.astimezone(UTC)  # PostgreSQL gets it in UTC
    except OverflowError as exc:  # e.g. 9999-12-31T23:59:59-01:00
        raise Problem(
            422, detail="vanaf: not a moment between the years 1 and 9999 in UTC"
        ) from exc
    grens = nu - timedelta(seconds=ctx.settings.router_bewaartermijn_s)
    if vanaf < grens:
        raise Problem(
            410,
            detail=f"events are kept {timedelta(seconds=ctx.settings.router_bewaartermijn_s)};"
            f" the oldest replayable moment is {grens.isoformat()}",
        )
    async with sessie(keten) as session:
        rij = await _beheerd(session, caller, id)
        if not rij.actief:
            raise Problem(409, detail="the subscription is disabled")
        ontvanger = als_ontvanger(rij, ctx.kluis, nu)
    notitie = json.dumps(
        [{"replay": nu.isoformat(), "vanaf": vanaf.isoformat(), "door": caller.client_id}]
    )
    aantal = 0
    sleutels: set[tuple[uuid.UUID, str]] = set()
    cursor: tuple[datetime, uuid.UUID] = (vanaf - timedelta(microseconds=1), uuid.UUID(int=0))
    while True:
        async with transactie(keten.engine) as driver:
            pagina = await driver.fetch(_REPLAY_GEBEURTENISSEN, vanaf, *cursor)
            if not pagina:
                break
            cursor = (pagina[-1]["ontvangen_op"], pagina[-1]["id"])
            gekozen = [g for g in map(als_gebeurtenis, pagina) if ontvanger.ontvangt(g.attributes)]
            if not gekozen:
                continue
            bestaand = {
                r["gebeurtenis_id"]
                for r in await driver.fetch(
                    _REPLAY_BESTAAND, id, [g.id for g in gekozen], nu, notitie
                )
            }
            nieuw = [g for g in gekozen if g.id not in bestaand]
            if nieuw:
                await driver.execute(
                    _REPLAY_NIEUW,
                    id,
                    len(nieuw),
                    [g.id for g in nieuw],
                    [g.partitionkey for g in nieuw],
                    nu,
                    notitie,
                )
            aantal += len(gekozen)
            sleutels |= {(id, g.partitionkey) for g in gekozen}
    async with sessie(keten) as session, session.begin():
        audit(session, caller, "replay", id, vanaf=vanaf, aantal=aantal)
    _blokkeer(ctx, sleutels)
    return {"aantal": aantal}


_PULL = """
SELECT a.volgnummer, g.id, g.attributen, g.inhoud, g.ontvangen_op, g.topic, g.partitie,
       g.positie
FROM router_aflevering a
JOIN router_gebeurtenis g ON g.id = a.gebeurtenis_id
WHERE a.abonnement_id = $1 AND a.volgnummer > $2
ORDER BY a.volgnummer LIMIT $3
"""


@router.get(
    "/subscriptions/{abonnementId}/events",
    response_model=Pull,
    operation_id="gebeurtenissen-ophalen",
    summary="What the subscription got after a cursor, in sequence (a recovering subscriber"
    " fetches what it missed)",
    responses=problem_responses(401, 404, 409, 410),
)
async def ophalen(
    id: AbonnementId,
    caller: Caller,
    keten: Runtime,
    ctx: Context,
    na: Annotated[
        int, Query(ge=0, le=BIGINT_MAX, description="The last sequence number already processed.")
    ] = 0,
    aantal: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    async with sessie(keten) as session:
        rij = await eigen(session, caller, id)
        gewist_tot, protocol = rij.gewist_tot, rij.protocol
    if protocol == KAFKA:
        # Its topic is its pull: every record there, with the subscriber's own offsets.
        raise Problem(
            409,
            detail="a KAFKA subscription reads what it missed from its own topic (its consumer"
            " group's offsets are the cursor); this endpoint is for webhooks",
        )
    if na < gewist_tot:
        raise Problem(
            410,
            detail=f"events up to sequence number {gewist_tot} are past the retention window"
            f" ({timedelta(seconds=ctx.settings.router_bewaartermijn_s)})",
        )
    async with transactie(keten.engine) as driver:
        rijen = await driver.fetch(_PULL, id, na, aantal)
    items = [
        {"volgnummer": r["volgnummer"], "event": json.loads(als_gebeurtenis(r).body)} for r in rijen
    ]
    return {"items": items, "volgende": items[-1]["volgnummer"] if items else na}
