"""The gemeente's thin events: which dossiers changed, and what their CBS view now says.

For every gemeente event about a resource the SWI record is read from (``domain.RESOURCES``:
dossier, intake, PIP, opdracht, MAP, PVT, begeleiding, handhavingsmaatregel) the handler
fetches, with the ``DatarefLezer`` as ``Rol.CBS`` (dossier-bron serves it under the purpose
``statistiek-swi`` and writes its processing log), the resource the ``dataref`` names and the
dossier it belongs to, and appends each view that changed to the history (``swi_bronversie``),
encrypted, with the moment the source registered the change (the event's ``time``). Nothing is
built here: a quarter's delivery is built from this history (``levering.py``).

Idempotent: the inbox drops a repeated event; a view fetched again unchanged adds no version.
An event of a gemeente this service does not deliver for (``KETEN_CBS_GEMEENTEN``) is skipped
before anything is fetched. Errors follow ``keten_core.errors`` through the reader: 403/404/410
at the source are permanent (dead letter), 5xx, 429 and timeouts transient (retried).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import structlog
from sqlalchemy import select

from keten_contracts.envelope import EnvelopeAttributes
from keten_contracts.events.catalogue import TOPICS, all_event_types
from keten_contracts.resources import get_resource
from keten_core import clock
from keten_core.dataref import DatarefLezer
from keten_core.envelope import find_event_type
from keten_core.errors import PermanentError
from keten_core.routing import EventRouter
from keten_core.uow import UnitOfWork
from keten_core.versleuteling import Sleutelring

from .domain import RESOURCES
from .models import BronversieRij

__all__ = ["build_events", "gevolgde_types", "inhoud"]

log = structlog.get_logger(__name__)


def gevolgde_types() -> list[str]:
    """The gemeente's event types about a resource of the SWI record."""
    return sorted(
        et.type
        for et in all_event_types()
        if et.topic == TOPICS["gemeente"] and et.resource in RESOURCES
    )


def inhoud(view: Any) -> bytes:
    """The canonical JSON of a view (wire names, sorted keys): what is encrypted and compared."""
    data = view.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def _zelfde_bron(dataref: str, van: str, naar: str, resource_id: str) -> str:
    """The URL of ``naar`` at the source ``dataref`` (a ``van``) points at: the API root is
    configuration, the paths below it are contract."""
    marker = "/" + get_resource(van).collection + "/"
    if marker not in dataref:
        raise PermanentError(f"dataref {dataref!r} is not a {van} URL")
    return get_resource(naar).dataref(dataref.rsplit(marker, 1)[0], resource_id)


async def _vastleggen(
    uow: UnitOfWork,
    ring: Sleutelring,
    *,
    gemeentecode: str,
    dossier_id: str,
    resource: str,
    view: Any,
    envelope: EnvelopeAttributes,
) -> bool:
    resource_id = str(getattr(view, get_resource(resource).id_field))
    nieuw = inhoud(view)
    vorige = (
        await uow.session.execute(
            select(BronversieRij.inhoud)
            .where(BronversieRij.resource == resource, BronversieRij.resource_id == resource_id)
            .order_by(BronversieRij.volgnummer.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if vorige is not None and ring.ontsleutel(vorige) == nieuw:
        return False
    uow.session.add(
        BronversieRij(
            gemeentecode=gemeentecode,
            dossier_id=dossier_id,
            resource=resource,
            resource_id=resource_id,
            geregistreerd_op=envelope.time,
            ontvangen_op=clock.now(),
            event_id=str(envelope.id),
            inhoud=ring.versleutel(nieuw),
        )
    )
    # Flushed now: a second event of the same batch compares against this version.
    await uow.session.flush()
    return True


def build_events(
    lezer: DatarefLezer, ring: Sleutelring, gemeenten: Collection[str] = ()
) -> EventRouter:
    """The handlers; ``gemeenten`` (codes) empty means every gemeente the events name."""
    events = EventRouter()
    bediend = frozenset(gemeenten)

    async def bijwerken(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        gemeentecode = envelope.gemeentecode
        if gemeentecode is None or (bediend and gemeentecode not in bediend):
            log.info("swi_event_overgeslagen", type=envelope.type, gemeentecode=gemeentecode)
            return
        if not envelope.dataref:
            raise PermanentError(f"event {envelope.id} has no dataref")
        dataref = str(envelope.dataref)
        et = find_event_type(envelope.type)
        assert et is not None  # only catalogued types are registered
        et_resource = et.resource
        view = await lezer.haal(dataref, et_resource)
        dossier_id = getattr(view, "dossier_id", None) or envelope.partitionkey
        if not dossier_id:
            raise PermanentError(f"event {envelope.id}: no dossier to place {et_resource} in")
        dossier = (
            view
            if et_resource == "dossier"
            else await lezer.haal(
                _zelfde_bron(dataref, et_resource, "dossier", dossier_id), "dossier"
            )
        )
        paren = [("dossier", dossier)]
        if et_resource != "dossier":
            paren.append((et_resource, view))
        for resource, found in paren:
            await _vastleggen(
                uow,
                ring,
                gemeentecode=gemeentecode,
                dossier_id=dossier_id,
                resource=resource,
                view=found,
                envelope=envelope,
            )

    for event_type in gevolgde_types():
        events.on(event_type)(bijwerken)
    return events
