"""Inbound CloudEvents: parties without Kafka access publish thin events about their own
resources at the router (``POST /api/v1/cloudevents``, HTTP structured and binary content mode),
and the router puts them on the domain topic as if the party had produced them itself.

What a publication must be, checked in this order (``publicatie_bezwaren`` is the policy part,
pure, so that ``POST /notificaties`` of the Notificaties API 1.0 applies the very same rules):

- at most ``MAX_BYTES`` (64 KB; a thin event is a few hundred bytes): 413;
- a CloudEvent in structured (``application/cloudevents+json``) or binary (``ce-`` headers)
  HTTP mode, parsed by the CloudEvents SDK, following the chain's envelope (NL GOV profile) and
  naming a catalogue type: 400;
- the caller is no aanbieder (aanbieders report at dossier-bron, which publishes for them);
  its role may produce the type (``policy.may_produce``); the OIN in ``source`` is its own; a
  ``gemeentecode`` is the one the credential acts for (``Party.namens``; national roles such as
  DUO and COA publish about every gemeente); and ``dataref`` lies below the caller's registered
  source URL: 403. The last rule matters most: subscribers fetch ``dataref`` with their own
  credentials, so a forged one would send those to a host of the publisher's choosing;
- the event conforms to its catalogue entry (routing extensions, data schema): 400;
- a duplicate (same ``source`` and ``id``) is answered as the first one was and not published
  again (``router_ontvangen``, unique on both);
- the broker acknowledged it, else 503 and nothing is kept (the caller sends it again).

The registered source URL is the ``bron`` of the caller's party entry (``KETEN_PARTIES``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

import structlog
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert

from keten_contracts.envelope import EXT_DATAREF, EXT_GEMEENTECODE
from keten_contracts.events.catalogue import EventType
from keten_contracts.parties import Rol
from keten_contracts.policy import may_produce
from keten_core.auth import AuthenticatedCaller, authenticated_party
from keten_core.envelope import (
    InvalidEvent,
    conform_to_catalogue,
    find_event_type,
    validate_envelope,
)
from keten_core.problems import Problem, problem_responses
from keten_core.service import ServiceRuntime, runtime
from notificatie_router.models import OntvangenRij

log = structlog.get_logger(__name__)

__all__ = [
    "MAX_BYTES",
    "Bezwaar",
    "Ontvangst",
    "bron_van",
    "publicatie_bezwaren",
    "publiceer",
    "router",
    "weiger",
]

API_PREFIX = "/api/v1"
PROBLEM_BASE = "https://inburgering.example/problems/"
MAX_BYTES: Final = 64 * 1024
# How long a publication waits for the broker's acknowledgement before answering 503.
PUBLICEER_TIMEOUT_S: Final = 10.0
STRUCTURED: Final = "application/cloudevents+json"

router = APIRouter(prefix=API_PREFIX, tags=["publiceren"])

Caller = Annotated[AuthenticatedCaller, Depends(authenticated_party)]
Runtime = Annotated[ServiceRuntime, Depends(runtime)]

_FORMAT: Final = JSONFormat()


# -- the registered source URLs --------------------------------------------------------------


def bron_van(caller: AuthenticatedCaller) -> str | None:
    """The caller's registered source URL (``bron`` of its party entry), or None."""
    return caller.party.bron


def _onder(url: str, bron: str) -> bool:
    """Is ``url`` at or below ``bron``: same scheme and host (port included), and a path that
    continues ``bron``'s at a segment boundary (``/api`` does not cover ``/api-evil``)."""
    a, b = urlsplit(url), urlsplit(bron)
    if (a.scheme.lower(), a.netloc.lower()) != (b.scheme.lower(), b.netloc.lower()):
        return False
    if a.username or a.password or a.query or a.fragment:
        return False
    basis = b.path.rstrip("/")
    return a.path == basis or a.path.startswith(basis + "/")


# -- the policy --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bezwaar:
    """Why a publication is refused: the problem's status, type (a slug), title and detail."""

    status: int
    soort: str
    titel: str
    detail: str


def _oin_van(source: str) -> str | None:
    parts = source.split(":")
    if len(parts) == 6 and parts[:3] == ["urn", "nld", "oin"] and parts[4] == "systeem":
        return parts[3]
    return None


def publicatie_bezwaren(
    caller: AuthenticatedCaller, attributes: Mapping[str, Any], bron: str | None
) -> list[Bezwaar]:
    """Why ``caller`` may not publish an event with these attributes (empty: it may).

    ``attributes`` follow the envelope already (a known type, a well-formed source);
    ``bron`` is the caller's registered source URL.
    """
    niet = "publicatie-niet-toegestaan"
    titel = "The policy does not allow this publication"
    rol = caller.rol
    if rol.is_aanbieder:
        return [
            Bezwaar(
                403,
                "aanbieder-publiceert-bij-dossier-bron",
                "Aanbieders do not publish at the router",
                f"a {rol.value} reports at dossier-bron, which publishes the event for it",
            )
        ]
    bezwaren: list[Bezwaar] = []
    event_type = str(attributes.get("type", ""))
    et = find_event_type(event_type)
    if et is not None and et.beheer:
        # Only the router knows a subscription stopped: a party's copy would be a forgery.
        return [
            Bezwaar(
                403,
                niet,
                titel,
                f"{event_type!r} is the router's own notice about a subscription; no party"
                " publishes it",
            )
        ]
    if not may_produce(rol, event_type):
        bezwaren.append(Bezwaar(403, niet, titel, f"a {rol.value} may not produce {event_type!r}"))
    source = str(attributes.get("source", ""))
    if _oin_van(source) != caller.oin:
        bezwaren.append(
            Bezwaar(
                403,
                niet,
                titel,
                f"source {source!r} does not name the caller's OIN {caller.oin}",
            )
        )
    gemeentecode = attributes.get(EXT_GEMEENTECODE)
    if (
        gemeentecode is not None
        and (rol is Rol.GEMEENTE or caller.gemeentecode is not None)
        and gemeentecode != caller.gemeentecode
    ):
        bezwaren.append(
            Bezwaar(
                403,
                niet,
                titel,
                f"gemeentecode {gemeentecode!r} is not the gemeente the credential acts for"
                f" ({caller.gemeentecode!r})",
            )
        )
    dataref = str(attributes.get(EXT_DATAREF, ""))
    if bron is None:
        bezwaren.append(
            Bezwaar(
                403,
                niet,
                titel,
                f"client {caller.client_id!r} has no registered source URL, so no dataref of"
                " it can be trusted",
            )
        )
    elif not _onder(dataref, bron):
        bezwaren.append(
            Bezwaar(
                403,
                niet,
                titel,
                f"dataref {dataref!r} is not below the caller's registered source URL {bron!r}",
            )
        )
    return bezwaren


def weiger(bezwaren: list[Bezwaar]) -> None:
    """Raise the problem for the first refusal (every reason in ``detail``)."""
    if bezwaren:
        eerste = bezwaren[0]
        raise Problem(
            eerste.status,
            eerste.titel,
            "; ".join(b.detail for b in bezwaren),
            type=PROBLEM_BASE + eerste.soort,
        )


# -- publishing ------------------------------------------------------------------------------


def _ongeldig(detail: str) -> Problem:
    return Problem(
        400, "Not a valid event of the chain", detail, type=PROBLEM_BASE + "ongeldig-event"
    )


def _niet_bereikbaar(detail: str) -> Problem:
    return Problem(
        503,
        "The event could not be published",
        detail + "; nothing was kept, send it again",
        type=PROBLEM_BASE + "broker-niet-bereikbaar",
        headers={"Retry-After": "5"},
    )


async def publiceer(
    keten: ServiceRuntime,
    caller: AuthenticatedCaller,
    event: CloudEvent,
    event_type: EventType,
) -> bool:
    """Publish ``event`` on its domain topic once per (source, id); False for a duplicate.

    The (source, id) row is written in the same transaction that waits for the broker: a
    failed send rolls it back (503, and a retry publishes), a concurrent duplicate waits on
    the unique key and then finds it."""
    producer = keten.producer
    if producer is None:
        raise _niet_bereikbaar("the router is not connected to Kafka")
    topic = keten.settings.topic_prefix + event_type.topic
    rij = {
        "bron": event.get_source(),
        "event_id": event.get_id(),
        "type": event.get_type(),
        "client_id": caller.client_id,
        "ontvangen_op": datetime.now(UTC),
    }
    async with keten.engine.begin() as connection:
        nieuw = (
            await connection.execute(
                insert(OntvangenRij)
                .values(**rij)
                .on_conflict_do_nothing(constraint="uq_router_ontvangen_bron_event_id")
                .returning(OntvangenRij.id)
            )
        ).first()
        if nieuw is None:
            log.info("inbound_dubbel", source=rij["bron"], id=rij["event_id"])
            return False
        try:
            await asyncio.wait_for(producer.publish(topic, event), PUBLICEER_TIMEOUT_S)
        except Exception as exc:  # the broker's refusal, a timeout, a closed producer
            log.warning("inbound_niet_gepubliceerd", topic=topic, error=repr(exc))
            raise _niet_bereikbaar(f"Kafka did not acknowledge it ({type(exc).__name__})") from exc
    log.info("inbound_gepubliceerd", topic=topic, type=rij["type"], client_id=caller.client_id)
    return True


# -- the route ---------------------------------------------------------------------------------


class Ontvangst(BaseModel):
    """The published event's identity (a duplicate gets the same answer)."""

    id: str
    source: str
    type: str


async def _lees(request: Request) -> bytes:
    lengte = request.headers.get("content-length")
    if lengte is not None and lengte.isdigit() and int(lengte) > MAX_BYTES:
        raise _te_groot()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BYTES:
            raise _te_groot()
    return bytes(body)


def _te_groot() -> Problem:
    return Problem(
        413,
        "The event is too large",
        f"an inbound event is at most {MAX_BYTES} bytes (HTTP body); thin events carry"
        " references, not documents",
        type=PROBLEM_BASE + "event-te-groot",
    )


def lees_cloudevent(headers: Mapping[str, str], body: bytes) -> CloudEvent:
    """The CloudEvent of an HTTP request in binary or structured content mode (CloudEvents
    HTTP protocol binding, parsed by the SDK); ``Problem`` 400 when it is none."""
    headers = {k.lower(): v for k, v in headers.items()}
    binary = any(k.startswith("ce-") for k in headers)
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if not binary and content_type != STRUCTURED:
        raise Problem(
            400,
            "Not a CloudEvent",
            f"send the event in structured mode (Content-Type: {STRUCTURED}) or in binary"
            " mode (ce- headers, Content-Type: application/json)",
            type=PROBLEM_BASE + "geen-cloudevent",
        )
    message = ce_http.HTTPMessage(headers=headers, body=body)
    try:
        if binary:
            event = ce_http.from_binary(message, _FORMAT, CloudEvent)
        else:
            event = ce_http.from_structured(message, _FORMAT, CloudEvent)
    # AttributeError: a JSON body that is no object (a list, a string).
    except (BaseCloudEventException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Problem(
            400,
            "Not a CloudEvent",
            f"{type(exc).__name__}: {exc}"[:500],
            type=PROBLEM_BASE + "geen-cloudevent",
        ) from exc
    if not isinstance(event, CloudEvent):  # pragma: no cover - the factory is fixed
        raise _ongeldig("not a CloudEvent 1.0")
    return event


def controleer(
    caller: AuthenticatedCaller, event: CloudEvent, bron: str | None
) -> tuple[CloudEvent, EventType]:
    """The event as the chain publishes it (envelope normalised), after every check; raises the
    problem of the first that fails (400 invalid, 403 policy)."""
    attributes = dict(event.get_attributes())
    data = event.get_data()
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data) if data else None
        except ValueError as exc:
            raise _ongeldig(f"data: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise _ongeldig("data: must be a JSON object")
    try:
        envelope = validate_envelope(attributes)
    except InvalidEvent as exc:
        raise _ongeldig(exc.reason) from exc
    try:
        envelope.time.astimezone(UTC)  # the router's delivery log stores it in UTC
    except OverflowError as exc:  # e.g. 9999-12-31T23:59:59-01:00
        raise _ongeldig("time: not a moment between the years 1 and 9999 in UTC") from exc
    event_type = find_event_type(envelope.type)
    if event_type is None:
        raise _ongeldig(f"type: {envelope.type!r} is not in the catalogue")
    genormaliseerd = envelope.model_dump(mode="json", exclude_none=True)
    weiger(publicatie_bezwaren(caller, genormaliseerd, bron))
    try:
        conform_to_catalogue(genormaliseerd, data)
    except InvalidEvent as exc:
        raise _ongeldig(exc.reason) from exc
    return CloudEvent(envelope.as_cloudevent_attributes(), data), event_type


_BODY_SCHEMA: Final[dict[str, Any]] = {
    "required": True,
    "description": "One CloudEvent of the catalogue: structured mode (the whole event as"
    f" {STRUCTURED}) or binary mode (attributes as ce- headers, data as application/json).",
    "content": {
        STRUCTURED: {"schema": {"type": "object", "additionalProperties": True}},
        "application/json": {"schema": {"type": "object", "additionalProperties": True}},
    },
}


@router.post(
    "/cloudevents",
    status_code=202,
    response_model=Ontvangst,
    operation_id="cloudevent-publiceren",
    summary="Publish a thin event about one of the caller's own resources (CloudEvents HTTP"
    " binding, structured or binary mode); a duplicate (source, id) is accepted once",
    responses={
        **problem_responses(400, 401, 403, 503),
        413: {
            "description": f"The body is larger than {MAX_BYTES} bytes",
            "content": problem_responses(400)[400]["content"],
        },
    },
    openapi_extra={"requestBody": _BODY_SCHEMA},
)
async def cloudevent_publiceren(request: Request, caller: Caller, keten: Runtime) -> Ontvangst:
    body = await _lees(request)
    event, event_type = controleer(caller, lees_cloudevent(request.headers, body), bron_van(caller))
    await publiceer(keten, caller, event, event_type)
    return Ontvangst(id=event.get_id(), source=event.get_source(), type=event.get_type())
