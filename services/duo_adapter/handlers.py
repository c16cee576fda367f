"""The gemeente events DUO consumes, and the writes DUO's rules make (shared with the control
API): a handler fetches the resource at the event's ``dataref`` at the gemeente's source (DUO's
own credential there, purpose plicht-en-termijnen), registers what DUO needs and applies
DUO's rules (``domain``), emitting DUO's events through the unit of work.

Errors follow ``keten_core.errors``: a 403/404/410 at the ``dataref`` is permanent (dead
letter), a 5xx, 429 or timeout is transient (retried); data that does not fit the contract, or
a person DUO does not know, is a ``PermanentError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

import structlog
from sqlalchemy import select

from keten_contracts.common import Doelgroep, Leerroute
from keten_contracts.envelope import EnvelopeAttributes
from keten_contracts.resources import duo as contract
from keten_contracts.resources import get_resource
from keten_core import clock
from keten_core.clock import AMSTERDAM
from keten_core.dataref import DatarefLezer
from keten_core.errors import PermanentError
from keten_core.routing import EventRouter
from keten_core.uow import UnitOfWork

from . import domain, models
from .api import dataref

log = structlog.get_logger(__name__)

TYPE = "nl.inburgering."


def bron_url(dataref_url: str, resource: str, resource_id: str) -> str:
    """The URL of another resource at the same source as ``dataref_url``: the source's API
    root is configuration, the paths are contract (``ResourceDef.path_template``)."""
    for name in ("pip", "inburgeringsaanbod", "map", "pvt", "urenverantwoording", "dossier"):
        marker = "/" + get_resource(name).collection + "/"
        if marker in dataref_url:
            root = dataref_url.rsplit(marker, 1)[0]
            return get_resource(resource).dataref(root, resource_id)
    raise PermanentError(f"dataref {dataref_url!r} is not a gemeente resource URL")


# --- writes shared by the handlers and the control API --------------------------------------


@dataclass
class Persoon:
    """A person with the plicht the write is about."""

    persoon: models.Inburgeringsplichtige
    plicht: models.Inburgeringsplicht


def emit(
    uow: UnitOfWork,
    base_url: str,
    event_type: str,
    resource: str,
    resource_id: str,
    persoon: models.Inburgeringsplichtige,
    plicht_id: str,
    *,
    gemeentecode: str | None = None,
) -> None:
    """Stage a thin DUO event: the resource's id and the plicht, keyed by the person (the
    inburgeringsplichtige id, so one person's events stay in order), routed to the linked
    gemeente unless ``gemeentecode`` names another (a move)."""
    rd = get_resource(resource)
    payload = {rd.id_alias: resource_id}
    if rd.id_alias != "inburgeringsplichtId":
        payload["inburgeringsplichtId"] = plicht_id
    uow.emit(
        TYPE + event_type,
        subject=resource_id,
        partitionkey=persoon.id,
        dataref=dataref(base_url, resource, resource_id),
        data=payload,
        gemeentecode=gemeentecode or persoon.gemeentecode,
    )


def signaal_afgeven(
    uow: UnitOfWork,
    base_url: str,
    persoon: models.Inburgeringsplichtige,
    plicht_id: str,
    code: contract.Signaalcode,
    *,
    betreft_id: str | None = None,
    dossier_id: str | None = None,
    gemeentecode: str | None = None,
) -> models.Signaal:
    """Raise a signaal for the linked gemeente and announce it (``signaal.aangemaakt``).

    Seed 002 section 3.1: "Een signaal wordt afgegeven als er nieuwe relevante informatie
    beschikbaar is of als er van de gemeente actie is gewenst voor het aanleveren van
    gegevens." Klasse and betreft follow from the code (the contracts' code list). The
    signaal is for the linked gemeente unless ``gemeentecode`` names another (the gemeente a
    handhavingsverzoek asks)."""
    definitie = contract.SIGNAALCODELIJST[code]
    signaal = models.Signaal(
        signaal_id=domain.nieuw_id("sig"),
        gemeentecode=gemeentecode or persoon.gemeentecode,
        inburgeringsplicht_id=plicht_id,
        dossier_id=dossier_id,
        klasse=definitie.klasse.value,
        code=code.value,
        codelijst_versie=contract.SIGNAALCODELIJST_VERSIE,
        betreft=definitie.betreft.value,
        betreft_id=betreft_id,
        aangemaakt_op=clock.now(),
        status=contract.Signaalstatus.OPEN.value,
    )
    signaal.to_contract()  # the contract's checks (code list, status) before anything is kept
    uow.session.add(signaal)
    emit(
        uow,
        base_url,
        "signaal.aangemaakt.v1",
        "signaal",
        signaal.signaal_id,
        persoon,
        plicht_id,
        gemeentecode=signaal.gemeentecode,
    )
    return signaal


def beslissing_melden(
    uow: UnitOfWork,
    base_url: str,
    persoon: models.Inburgeringsplichtige,
    plicht_id: str,
    event_type: str,
    resource: str,
    resource_id: str,
    code: contract.Signaalcode,
) -> None:
    """A DUO decision made known: its thin event, then the signaal about that resource for the
    linked gemeente (seed 002 section 3.1: "als er nieuwe relevante informatie beschikbaar
    is")."""
    emit(uow, base_url, event_type, resource, resource_id, persoon, plicht_id)
    signaal_afgeven(uow, base_url, persoon, plicht_id, code, betreft_id=resource_id)


async def persoon_van_plicht(uow: UnitOfWork, plicht_id: str) -> Persoon | None:
    row = (
        await uow.session.execute(
            select(models.Inburgeringsplicht, models.Inburgeringsplichtige)
            .join(models.Inburgeringsplichtige)
            .where(models.Inburgeringsplicht.inburgeringsplicht_id == plicht_id)
        )
    ).first()
    return None if row is None else Persoon(row[1], row[0])


async def termijn_zetten(
    uow: UnitOfWork,
    base_url: str,
    wie: Persoon,
    soort: contract.Termijnsoort,
    begin: date,
    einde: date,
) -> None:
    """Set (``termijn.vastgesteld``) or move (``termijn.gewijzigd``, a new PIP date) one
    termijn; nothing is emitted when it is unchanged (a repeated event)."""
    plicht_id = wie.plicht.inburgeringsplicht_id
    termijn = (
        await uow.session.execute(
            select(models.Termijn).where(
                models.Termijn.inburgeringsplicht_id == plicht_id,
                models.Termijn.soort == soort.value,
            )
        )
    ).scalar_one_or_none()
    if termijn is None:
        termijn = models.Termijn(
            termijn_id=domain.nieuw_id("trm"),
            inburgeringsplicht_id=plicht_id,
            soort=soort.value,
            begindatum=begin,
            einddatum=einde,
            oorspronkelijke_einddatum=einde,
        )
        uow.session.add(termijn)
        event = "termijn.vastgesteld.v1"
    elif termijn.begindatum == begin and termijn.oorspronkelijke_einddatum == einde:
        return
    else:
        # Seed 002 section 4.4: a changed PIP does not move the termijn ("De vastgestelde
        # inburgeringstermijn wijzigt hierdoor niet"); only a corrected first PIP date does.
        termijn.begindatum, termijn.einddatum = begin, einde
        termijn.oorspronkelijke_einddatum = einde
        termijn.laatste_wijziging = contract.Termijnwijziging.PIP_DATUM.value
        event = "termijn.gewijzigd.v1"
    await uow.session.flush()
    emit(uow, base_url, event, "termijn", termijn.termijn_id, wie.persoon, plicht_id)


def registratiedatum(envelope: EnvelopeAttributes) -> date:
    """When the gemeente registered the data: the event's ``time`` (the moment its source
    committed the change, on the chain clock), as a Dutch date. Not the moment DUO consumes
    it: a consumer lag or a replay is not the gemeente's delay."""
    tijd = envelope.time or clock.now()
    if tijd.tzinfo is None:
        tijd = tijd.replace(tzinfo=UTC)
    return tijd.astimezone(AMSTERDAM).date()


def controleer_registratie(
    uow: UnitOfWork,
    base_url: str,
    wie: Persoon,
    soort: str,
    gebeurtenis: date | None,
    envelope: EnvelopeAttributes,
    *,
    betreft_id: str,
    dossier_id: str,
) -> None:
    """The 10-workday rule (``domain.te_laat_geregistreerd``): a late registration raises an
    actie-vereist signaal about the resource."""
    if gebeurtenis is None:
        return
    geregistreerd = registratiedatum(envelope)
    if domain.te_laat_geregistreerd(gebeurtenis, geregistreerd):
        log.info("registratie_te_laat", soort=soort, gebeurtenis=str(gebeurtenis))
        signaal_afgeven(
            uow,
            base_url,
            wie.persoon,
            wie.plicht.inburgeringsplicht_id,
            domain.signaalcode_te_laat(soort),
            betreft_id=betreft_id,
            dossier_id=dossier_id,
        )


# --- consuming the gemeente's events ---------------------------------------------------------


def build_events(base_url: str, bron: DatarefLezer) -> EventRouter:
    """The event router of duo-adapter; ``base_url`` is where DUO's own source answers (for
    the ``dataref`` of what it emits); ``bron`` fetches what the gemeente's events point at,
    with DUO's credential at that gemeente's source (core ``DatarefLezer``, ``KETEN_BRONNEN``;
    a source without a configured credential is retried, never dead-lettered)."""
    events = EventRouter()

    async def dossier_van(uow: UnitOfWork, dataref_url: str, dossier_id: str) -> Persoon:
        """The person of a gemeente dossier: known, or read once at the gemeente's source
        (DUO reads the dossier's ``inburgeringsplichtId`` and BSN)."""
        known = await uow.session.get(models.GemeenteDossier, dossier_id)
        if known is None:
            dossier = await bron.haal(bron_url(dataref_url, "dossier", dossier_id), "dossier")
            plicht_id = dossier.inburgeringsplicht_id
            if plicht_id is None:
                plicht = (
                    await uow.session.execute(
                        select(models.Inburgeringsplicht)
                        .join(models.Inburgeringsplichtige)
                        .where(models.Inburgeringsplichtige.bsn == dossier.bsn)
                    )
                ).scalar_one_or_none()
                plicht_id = None if plicht is None else plicht.inburgeringsplicht_id
            if (
                plicht_id is None
                or await uow.session.get(models.Inburgeringsplicht, plicht_id) is None
            ):
                raise PermanentError(f"dossier {dossier_id}: no inburgeringsplicht at DUO")
            known = models.GemeenteDossier(
                dossier_id=dossier_id,
                gemeentecode=dossier.gemeentecode,
                inburgeringsplicht_id=plicht_id,
            )
            uow.session.add(known)
            await uow.session.flush()
        wie = await persoon_van_plicht(uow, known.inburgeringsplicht_id)
        assert wie is not None  # the foreign key
        return wie

    async def pip_registreren(
        uow: UnitOfWork, url: str, envelope: EnvelopeAttributes
    ) -> tuple[Persoon, Any]:
        pip = await bron.haal(url, "pip")
        wie = await dossier_van(uow, url, pip.dossier_id)
        row = await uow.session.get(models.GemeentePip, pip.pip_id)
        if row is None:
            row = models.GemeentePip(pip_id=pip.pip_id, dossier_id=pip.dossier_id)
            uow.session.add(row)
        row.versie = pip.versie
        row.vaststellingsdatum = pip.vaststellingsdatum
        row.leerroute = Leerroute(pip.leerroute).value
        row.ontvangen_op = clock.now()
        await uow.session.flush()
        return wie, pip

    @events.on(TYPE + "pip.vastgesteld.v1")
    async def pip_vastgesteld(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        """The PIP date starts the 3-year termijn (``domain.termijn_einde``); DUO sets the
        plicht's termijn and the MAP and PVT deadlines and announces each."""
        wie, pip = await pip_registreren(uow, _dataref(envelope), envelope)
        for soort, einde in domain.termijnen_bij_pip(pip.vaststellingsdatum, pip.leerroute).items():
            await termijn_zetten(uow, base_url, wie, soort, pip.vaststellingsdatum, einde)
        # An offer DUO already has (it came first, or the PIP date was corrected): its rule
        # applies to the termijn just set.
        aanbod = (
            await uow.session.execute(
                select(models.GemeenteAanbod).where(models.GemeenteAanbod.pip_id == pip.pip_id)
            )
        ).scalar_one_or_none()
        row = await uow.session.get(models.GemeentePip, pip.pip_id)
        if aanbod is not None and row is not None:
            await verlengen_bij_te_laat_aanbod(uow, base_url, wie, row, aanbod.datum_aanbod)
        controleer_registratie(
            uow,
            base_url,
            wie,
            "pip",
            pip.vaststellingsdatum,
            envelope,
            betreft_id=pip.pip_id,
            dossier_id=pip.dossier_id,
        )

    async def pip_gewijzigd(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        """A new PIP version (incl. a leerroute switch or scale-down): registered; the termijn
        stays (seed 002 section 4.4: "De vastgestelde inburgeringstermijn wijzigt hierdoor
        niet"). The change has its own legal date, checked against the 10 workdays."""
        wie, pip = await pip_registreren(uow, _dataref(envelope), envelope)
        wijziging = pip.wijziging.datum if pip.wijziging is not None else None
        controleer_registratie(
            uow,
            base_url,
            wie,
            "pip-wijziging",
            wijziging,
            envelope,
            betreft_id=pip.pip_id,
            dossier_id=pip.dossier_id,
        )

    for soort in ("pip.gewijzigd", "leerroute.gewisseld", "leerroute.afgeschaald"):
        events.on(TYPE + soort + ".v1")(pip_gewijzigd)

    @events.on(TYPE + "inburgeringsaanbod.gedaan.v1")
    async def inburgeringsaanbod(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        """A late offer extends the termijn ex officio (``domain.ambtshalve_verlenging``):
        DUO records the extension (``verlenging.besloten``), moves the termijn
        (``termijn.gewijzigd``, ambtshalve-verlenging) and signals the gemeente."""
        url = _dataref(envelope)
        aanbod = await bron.haal(url, "inburgeringsaanbod")
        pip = await uow.session.get(models.GemeentePip, aanbod.pip_id)
        if pip is None:
            # The offer came before DUO had the PIP: read it at the same source.
            wie, gelezen = await pip_registreren(uow, bron_url(url, "pip", aanbod.pip_id), envelope)
            pip = await uow.session.get(models.GemeentePip, gelezen.pip_id)
            assert pip is not None
        else:
            wie = await dossier_van(uow, url, pip.dossier_id)
        row = await uow.session.get(models.GemeenteAanbod, aanbod.inburgeringsaanbod_id)
        if row is None:
            row = models.GemeenteAanbod(
                inburgeringsaanbod_id=aanbod.inburgeringsaanbod_id, pip_id=aanbod.pip_id
            )
            uow.session.add(row)
        row.datum_aanbod, row.ontvangen_op = aanbod.datum_aanbod, clock.now()
        controleer_registratie(
            uow,
            base_url,
            wie,
            "inburgeringsaanbod",
            aanbod.datum_aanbod,
            envelope,
            betreft_id=aanbod.inburgeringsaanbod_id,
            dossier_id=pip.dossier_id,
        )
        await verlengen_bij_te_laat_aanbod(uow, base_url, wie, pip, aanbod.datum_aanbod)

    async def traject(
        soort: str, id_field: str, data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork
    ) -> None:
        url = _dataref(envelope)
        gelezen = await bron.haal(url, soort)
        wie = await dossier_van(uow, url, gelezen.dossier_id)
        traject_id = getattr(gelezen, id_field)
        row = await uow.session.get(models.GemeenteTraject, traject_id)
        if row is None:
            row = models.GemeenteTraject(
                traject_id=traject_id, soort=soort, dossier_id=gelezen.dossier_id
            )
            uow.session.add(row)
        row.afgerond = gelezen.afgerond
        row.datum_afgerond = gelezen.datum_afgerond
        row.reden_niet_afgerond = gelezen.reden_niet_afgerond
        row.verwijtbaar = gelezen.verwijtbaar
        row.ontvangen_op = clock.now()
        # Seed 002 section 4.4: "Hetzelfde geldt ; wanneer de MAP en PVT zijn afgerond: ook dan
        # moet registratie binnen tien werkdagen hebben plaatsgevonden."
        controleer_registratie(
            uow,
            base_url,
            wie,
            soort,
            gelezen.datum_afgerond,
            envelope,
            betreft_id=traject_id,
            dossier_id=gelezen.dossier_id,
        )

    async def map_traject(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        await traject("map", "map_id", data, envelope, uow)

    async def pvt_traject(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        await traject("pvt", "pvt_id", data, envelope, uow)

    for uitkomst in ("afgerond", "niet-afgerond"):
        events.on(f"{TYPE}map.{uitkomst}.v1")(map_traject)
        events.on(f"{TYPE}pvt.{uitkomst}.v1")(pvt_traject)

    @events.on(TYPE + "urenverantwoording.aangeleverd.v1")
    async def urenverantwoording(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        """Hours on request. No 10-workday check: seed 002 section 4.4, "Uitzondering hierop
        zijn de taaluren [...] Die gegevens worden uitgewisseld in specifieke situaties"."""
        url = _dataref(envelope)
        uren = await bron.haal(url, "urenverantwoording")
        await dossier_van(uow, url, uren.dossier_id)
        row = await uow.session.get(models.GemeenteUren, uren.urenverantwoording_id)
        if row is None:
            row = models.GemeenteUren(
                urenverantwoording_id=uren.urenverantwoording_id, dossier_id=uren.dossier_id
            )
            uow.session.add(row)
        row.peildatum, row.uren_taal = uren.peildatum, uren.uren_taal
        row.uren_participatie, row.reden = uren.uren_participatie, uren.reden.value
        row.ontvangen_op = clock.now()

    return events


async def termijnen_van(uow: UnitOfWork, plicht_id: str) -> dict[str, models.Termijn]:
    found = await uow.session.execute(
        select(models.Termijn).where(models.Termijn.inburgeringsplicht_id == plicht_id)
    )
    return {t.soort: t for t in found.scalars()}


async def termijn_verlengen(
    uow: UnitOfWork,
    base_url: str,
    wie: Persoon,
    nieuwe_einddatum: date,
    reden: contract.Termijnwijziging,
) -> models.Termijn:
    """Move the end of the plicht's termijn, and the MAP and PVT deadlines that end with it
    (seed 002 section 4.8: "Binnen deze termijn moet de inburgeringsplichtige de leerroute, de
    MAP en de PVT hebben afgerond"); a ``termijn.gewijzigd`` for each one moved."""
    plicht_id = wie.plicht.inburgeringsplicht_id
    termijnen = await termijnen_van(uow, plicht_id)
    plicht = termijnen[contract.Termijnsoort.INBURGERINGSPLICHT.value]
    oud = plicht.einddatum
    for termijn in termijnen.values():
        if termijn.einddatum != oud:
            continue  # a deadline of its own (set apart): not DUO's to move along
        termijn.einddatum, termijn.laatste_wijziging = nieuwe_einddatum, reden.value
        emit(
            uow,
            base_url,
            "termijn.gewijzigd.v1",
            "termijn",
            termijn.termijn_id,
            wie.persoon,
            plicht_id,
        )
    return plicht


async def verlengen_bij_te_laat_aanbod(
    uow: UnitOfWork, base_url: str, wie: Persoon, pip: models.GemeentePip, aanbod_datum: date
) -> None:
    """The late-offer rule (``domain.ambtshalve_verlenging``): a granted ex-officio verlenging
    (``verlenging.besloten``), the termijn moved (``termijn.gewijzigd``) and an informatief
    signaal; nothing when the offer was in time or the termijn already ends that late."""
    plicht_id = wie.plicht.inburgeringsplicht_id
    termijn = (await termijnen_van(uow, plicht_id)).get(
        contract.Termijnsoort.INBURGERINGSPLICHT.value
    )
    if not domain.krijgt_aanbod(Doelgroep(wie.persoon.doelgroep)):
        return  # no offer is owed, so none can be late
    verlenging = domain.ambtshalve_verlenging(pip.vaststellingsdatum, aanbod_datum)
    if termijn is None or verlenging is None or termijn.einddatum >= verlenging.nieuwe_einddatum:
        return  # in time, no termijn yet, or already extended this far (a repeated event)
    besluit = models.Verlenging(
        verlenging_id=domain.nieuw_id("vl"),
        inburgeringsplicht_id=plicht_id,
        ambtshalve=True,
        aangevraagd_op=None,  # ex officio: nobody asked
        besluit=contract.Verlengingsbesluit.GEHONOREERD.value,
        besluitdatum=clock.today(),
        ingangsdatum=termijn.einddatum,
        nieuwe_einddatum=verlenging.nieuwe_einddatum,
    )
    uow.session.add(besluit)
    await uow.session.flush()
    emit(
        uow,
        base_url,
        "verlenging.besloten.v1",
        "verlenging",
        besluit.verlenging_id,
        wie.persoon,
        plicht_id,
    )
    await termijn_verlengen(
        uow,
        base_url,
        wie,
        verlenging.nieuwe_einddatum,
        contract.Termijnwijziging.AMBTSHALVE_VERLENGING,
    )
    # Seed 002 section 3.1: notifications tell of "verlenging van de inburgeringstermijn door
    # DUO"; the signaal points at the moved termijn.
    signaal_afgeven(
        uow,
        base_url,
        wie.persoon,
        plicht_id,
        contract.Signaalcode.TERMIJN_GEWIJZIGD,
        betreft_id=termijn.termijn_id,
    )


def _dataref(envelope: EnvelopeAttributes) -> str:
    if not envelope.dataref:
        raise PermanentError(f"event {envelope.id} has no dataref")
    return str(envelope.dataref)
