"""The COA and DUO events that open and complete a dossier.

A dossier opens on whichever comes first for a person in a gemeente this source serves:

- **COA's koppeling** (asielstatushouder): ``koppeling.vastgesteld`` and
  ``klantprofiel.aangeboden``/``klantprofiel.gewijzigd``. dossier-bron fetches the koppeling
  and the klantprofiel at coa-adapter (the gemeente's credential there, ``KETEN_BRONNEN``) and
  registers the naw and contact data, the koppeling and the klantprofiel as facts.
- **DUO's plicht** (``inburgeringsplicht.vastgesteld``, ``vestiging.geconstateerd`` for a
  gezins- or overige migrant, ``inburgeringsplicht.gewijzigd``, ``doelgroep.gewijzigd``):
  dossier-bron fetches the plicht at duo-adapter. An asielstatushouder's plicht joins the
  dossier COA opened: the person is matched by BSN within the gemeente (domain primer
  section 3: DUO decides the plicht "needs a BSN"; one dossier per person per gemeente).

Idempotent: the inbox drops a repeated event; an event offering the same values again adds no
fact; a second offer of the klantprofiel updates the facts of the one dossier. An event for a
gemeente this source does not serve (``KETEN_GEMEENTEN``) is skipped before anything is read
at its source.

Errors follow ``keten_core.errors`` through the ``DatarefLezer``: a 403/404/410 at the source
is permanent (dead letter), a 5xx, 429 or timeout transient (retried).
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from keten_contracts.common import Doelgroep
from keten_contracts.envelope import EnvelopeAttributes
from keten_contracts.events.catalogue import TYPE_PREFIX
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import Dossierstatus
from keten_core import clock
from keten_core.dataref import DatarefLezer
from keten_core.errors import PermanentError
from keten_core.routing import EventRouter
from keten_core.uow import UnitOfWork

from . import bewaartermijnen, domain
from .api import Bron
from .domain import BRONSYSTEEM_COA, BRONSYSTEEM_DUO, Feit, Gemeenten, Herkomst
from .models import DossierFeit, DossierRij

__all__ = ["build_events", "feiten_vastleggen", "open_dossier"]

log = structlog.get_logger(__name__)

T = TYPE_PREFIX


def _dataref(envelope: EnvelopeAttributes) -> str:
    if not envelope.dataref:
        raise PermanentError(f"event {envelope.id} has no dataref")
    return str(envelope.dataref)


def zelfde_bron(dataref_url: str, van: str, naar: str, resource_id: str) -> str:
    """The URL of resource ``naar`` at the source that ``dataref_url`` (a ``van``) points at:
    the source's API root is configuration, the paths below it are contract."""
    marker = "/" + get_resource(van).collection + "/"
    if marker not in dataref_url:
        raise PermanentError(f"dataref {dataref_url!r} is not a {van} URL")
    root = dataref_url.rsplit(marker, 1)[0]
    return get_resource(naar).dataref(root, resource_id)


async def open_dossier(
    uow: UnitOfWork,
    gemeentecode: str,
    bsn: str,
    herkomst: Herkomst,
    *,
    dossier_id: str | None = None,
) -> DossierRij:
    """The person's dossier in this gemeente, opened when there is none yet (the BSN's fact
    then names the source that opened it), and locked for this transaction. ``ON CONFLICT DO
    NOTHING`` on (gemeente, BSN): a COA and a DUO event for one person handled at the same
    moment (different partitions) open one dossier."""
    nu = clock.now()
    geopend = await uow.session.scalar(
        insert(DossierRij)
        .values(
            # A given id: the one a hand-over request already keyed its event by (verhuizing).
            dossier_id=dossier_id or domain.nieuw_id(),
            gemeentecode=gemeentecode,
            bsn=bsn,
            status=Dossierstatus.ACTIEF.value,
            geopend_op=nu,
            gewijzigd_op=nu,
        )
        .on_conflict_do_nothing(index_elements=["gemeentecode", "bsn"])
        .returning(DossierRij.dossier_id)
    )
    dossier = (
        await uow.session.execute(
            select(DossierRij)
            .where(DossierRij.gemeentecode == gemeentecode, DossierRij.bsn == bsn)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if geopend is not None:
        _feit(uow, dossier, Feit("bsn", bsn, herkomst), nu)
    return dossier


def _feit(uow: UnitOfWork, dossier: DossierRij, feit: Feit, nu: Any) -> None:
    h = feit.herkomst
    uow.session.add(
        DossierFeit(
            dossier_id=dossier.dossier_id,
            veld=feit.veld,
            waarde=feit.waarde,
            bronsysteem=h.systeem,
            bron_resource=h.resource,
            bron_resource_id=h.resource_id,
            bron_versie=h.versie,
            moment=h.moment,
            vastgelegd_op=nu,
        )
    )


def feiten_vastleggen(uow: UnitOfWork, dossier: DossierRij, feiten: list[Feit]) -> int:
    """Apply ``feiten`` to the dossier: each new value is the field's current value and a row
    of its history; a value the dossier already has adds nothing. Returns the rows added."""
    nu = clock.now()
    added = 0
    for feit in feiten:
        if feit.veld == "bsn":
            continue  # the key the dossier was found by: equal by construction
        if not domain.gewijzigd(dossier.waarde(feit.veld), feit):
            continue
        dossier.zet(feit.veld, feit.waarde)
        _feit(uow, dossier, feit, nu)
        added += 1
    if added:
        dossier.gewijzigd_op = nu
    return added


def build_events(gemeenten: Gemeenten, bron: DatarefLezer, base_url: str) -> EventRouter:
    """The event router of dossier-bron; ``bron`` fetches what COA's and DUO's events point
    at with the gemeente's credential at that source."""
    events = EventRouter()

    def voor_ons(envelope: EnvelopeAttributes) -> bool:
        if gemeenten.bedient(envelope.gemeentecode):
            return True
        # Routed on the extension, before any read: this source does not even fetch another
        # gemeente's person.
        log.info("gebeurtenis_andere_gemeente", type=envelope.type, event_id=str(envelope.id))
        return False

    async def coa(envelope: EnvelopeAttributes, uow: UnitOfWork, koppeling_url: str) -> None:
        koppeling = await bron.haal(koppeling_url, "koppeling")
        if not gemeenten.bedient(koppeling.gemeentecode):
            # The koppeling says another gemeente than the event's routing (e.g. a credential
            # of an SSC member not configured here): not this source's person. (After a
            # re-link COA answers 404 to the old gemeente: a dead letter, by the core's rule.)
            log.info("koppeling_andere_gemeente", event_id=str(envelope.id))
            return
        profiel_url = zelfde_bron(
            koppeling_url, "koppeling", "klantprofiel", koppeling.klantprofiel_id
        )
        profiel = await bron.haal(profiel_url, "klantprofiel")
        # The moment of each fact is the event's time (when COA committed the change); the
        # klantprofiel's version read is kept beside it.
        moment = envelope.time
        feiten = domain.feiten_uit_koppeling(
            koppeling, Herkomst(BRONSYSTEEM_COA, "koppeling", koppeling.koppeling_id, moment)
        )
        profiel_herkomst = Herkomst(
            BRONSYSTEEM_COA, "klantprofiel", profiel.klantprofiel_id, moment, versie=profiel.versie
        )
        dossier = await open_dossier(uow, koppeling.gemeentecode, profiel.bsn, profiel_herkomst)
        if dossier.doelgroep is None:
            # COA links statushouders only: until DUO's plicht says otherwise, the person is
            # an asielstatushouder (domain primer section 2).
            feiten.append(
                Feit(
                    "doelgroep",
                    Doelgroep.ASIELSTATUSHOUDER.value,
                    Herkomst(BRONSYSTEEM_COA, "koppeling", koppeling.koppeling_id, moment),
                )
            )
        feiten.extend(domain.feiten_uit_klantprofiel(profiel, profiel_herkomst))
        feiten_vastleggen(uow, dossier, feiten)

    @events.on(T + "koppeling.vastgesteld.v1")
    async def koppeling_vastgesteld(
        data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork
    ) -> None:
        if voor_ons(envelope):
            await coa(envelope, uow, _dataref(envelope))

    async def klantprofiel(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        """The profile offered (again) or changed: fetched with its koppeling, whose
        gemeentecode says whose it is."""
        if not voor_ons(envelope):
            return
        koppeling_url = zelfde_bron(
            _dataref(envelope), "klantprofiel", "koppeling", data.koppeling_id
        )
        await coa(envelope, uow, koppeling_url)

    events.on(T + "klantprofiel.aangeboden.v1")(klantprofiel)
    events.on(T + "klantprofiel.gewijzigd.v1")(klantprofiel)

    async def plicht(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        """DUO's plicht opens the dossier (gezins- or overige migrant) or joins the one COA
        opened (asielstatushouder, by BSN within the gemeente)."""
        if not voor_ons(envelope):
            return
        gelezen = await bron.haal(_dataref(envelope), "inburgeringsplicht")
        gemeentecode = gelezen.gemeentecode or envelope.gemeentecode
        if not gemeenten.bedient(gemeentecode):
            log.info("plicht_andere_gemeente", event_id=str(envelope.id))
            return
        herkomst = Herkomst(
            BRONSYSTEEM_DUO, "inburgeringsplicht", gelezen.inburgeringsplicht_id, envelope.time
        )
        dossier = await open_dossier(uow, gemeentecode, gelezen.bsn, herkomst)
        feiten_vastleggen(uow, dossier, domain.feiten_uit_plicht(gelezen, herkomst))

    for soort in (
        "inburgeringsplicht.vastgesteld",
        "inburgeringsplicht.gewijzigd",
        "vestiging.geconstateerd",
        "doelgroep.gewijzigd",
        "recht-maatschappelijke-begeleiding.vastgesteld",
    ):
        events.on(f"{T}{soort}.v1")(plicht)

    @events.on(T + "inburgeringsplicht.beeindigd.v1")
    async def plicht_beeindigd(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        """The end of the plicht starts the 5-year retention of art. 9.9 (``bewaartermijnen``)."""
        if not voor_ons(envelope):
            return
        gelezen = await bron.haal(_dataref(envelope), "inburgeringsplicht")
        gemeentecode = gelezen.gemeentecode or envelope.gemeentecode
        if gemeenten.bedient(gemeentecode):
            dossier = await bewaartermijnen.plicht_beeindigd(uow, gemeentecode, gelezen, envelope)
            if dossier is not None:  # its CBS view changed: the SWI supplier reads it again
                Bron(gemeenten).dossier_gewijzigd(base_url, uow, dossier)

    return events
