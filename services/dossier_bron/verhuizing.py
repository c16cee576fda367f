"""The hand-over between gemeenten after a move (contracts 0.2: ``Overdrachtsverzoek``,
``Overdracht``; events ``overdracht.aangevraagd``, ``verhuizing.overgedragen``).

Seed 002 (``002_774eb578c0679392.txt``, section 4.5): "moet de nieuwe gemeente van vestiging
[...] contact zoeken met de gemeente van vertrek en de overdracht initiëren" and "informeert de
gemeente van vertrek de ontvangende gemeente over de inhoud van het inburgeringsaanbod en de
voortgang"; seed 004 (section 4.2.4): "Onderdeel van dit dossier is ook een overzicht van
eventueel opgelegde boetes". Art. 9.4 lid 4 Besluit: the old college hands over the PIP, the
voortgang and the handhaving done. Each gemeente keeps its own dossier.

1. **The request** (``POST /overdrachtsverzoeken``, the new gemeente's medewerker, after DUO's
   ``verhuizing.gemeld`` or on its own knowledge): names the old gemeente and DUO's
   ``inburgeringsplichtId``; ``overdracht.aangevraagd`` goes to the OLD gemeente
   (``gemeentecode`` = old, ``source`` = the new gemeente), keyed by the id the new
   gemeente's dossier will get (one partition per dossier, also before it exists).
2. **The old gemeente reads it** (``GET /overdrachtsverzoeken/{id}``, purpose
   ``verhuizing-overdracht``, only when addressed to it) and **answers with the package**
   (``POST /overdrachtsverzoeken/{id}/overdracht``): links to the brede intake, every PIP
   version, the opdrachten and the maatregelen of its dossier of that plicht. Its dossier is
   closed (``overgedragen``) and stays its own: its staff go on reading it, nobody else does.
   ``verhuizing.overgedragen`` goes to the NEW gemeente, keyed by the old dossier.
3. **The new gemeente reads the package and the parts it links**
   (``GET /overdrachten/{id}``, ``GET /overdrachten/{id}/<collection>/{resourceId}``, purpose
   ``verhuizing-overdracht``): what ``keten_contracts.access.projecteer`` allows a gemeente
   for a hand-over (``policy.project_voor_overdracht``), never the old dossier itself. Before
   the package, or for a part it does not link, the answer is 404, as for an unknown id.
4. **The new gemeente opens its own dossier** from the package
   (``POST /overdrachten/{id}/overname``): the person's data from its own BRP (BSN in the body,
   checked against the old dossier's, neither repeated in the answer), DUO's plicht id from
   the package. Its id is the one the request's event was keyed by (unless the gemeente
   already had a dossier of the person: then that one is used; one the gemeente handed over
   itself, when the person comes back, is its regie again, ``actief``).

The old dossier's CBS view carries the hand-over date (``overgedragenOp``) while it is handed
over; ``dossier.gewijzigd`` tells the gemeente's SWI supplier at the hand-over and at a return,
so the person leaves and rejoins that gemeente's quarterly deliveries.

One dossier-bron serving both gemeenten (a shared-service centre) is the case tested; the
contracts place the request at the new gemeente's source and the package at the old one's,
which here is the same service and the same paths. Two separate dossier-bron instances would
also need each to consume the other's event and fetch at its ``dataref`` (not built yet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from keten_contracts.access import Rij, mag_wijzigen
from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, Bsn, ContractModel, Doelgroep, Gemeentecode
from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import TYPE_PREFIX
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import (
    Adres,
    Dossierstatus,
    Onderdeelsoort,
    Overdracht,
    Overdrachtsverzoek,
)
from keten_core import clock
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import BronLezing, bron_lezing, served_json
from keten_core.uow import UnitOfWork
from keten_core.verwerkingslog import Betrokkene

from . import domain
from .api import (
    API_PREFIX,
    PROBLEM_RESPONSES,
    SERVICE_NAAM,
    Bron,
    _rij,
    dataref,
    weigering,
)
from .domain import BRONSYSTEEM_DUO, Gemeenten, Herkomst
from .models import (
    DossierRij,
    HandhavingsmaatregelRij,
    IntakeRij,
    OpdrachtRij,
    OverdrachtRij,
    OverdrachtsverzoekRij,
    PipVersieRij,
)

__all__ = ["build_router"]

Runtime = Annotated[ServiceRuntime, Depends(runtime)]

_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422, 503)}
BRONSYSTEEM_BRP: Final = "brp"


def _regie(resource: str, activiteit: str) -> Callable[..., Awaitable[BronLezing]]:
    return bron_lezing(resource, Doel.UITVOERING_INBURGERING, activiteit=activiteit)


def _overdracht(resource: str, activiteit: str) -> Callable[..., Awaitable[BronLezing]]:
    # The purpose-bound read between two gemeenten (art. 9.4 lid 4 Besluit).
    return bron_lezing(resource, Doel.VERHUIZING_OVERDRACHT, activiteit=activiteit)


# --- bodies and contract forms --------------------------------------------------------------


class Verzoek(ContractModel):
    """The new gemeente asks the old one (the asking gemeente is the caller's mandate)."""

    vorige_gemeentecode: Gemeentecode = Field(description="The old gemeente.")
    inburgeringsplicht_id: str = Field(
        pattern=OPAQUE_ID_PATTERN, description="The person, by DUO's reference."
    )
    datum: date


class Overdragen(ContractModel):
    datum: date = Field(description="Date of the hand-over.")


class Overname(ContractModel):
    """The person's data from the new gemeente's BRP and DUO's doelgroep: its own dossier."""

    bsn: Bsn = Field(description="Burgerservicenummer (in the body, never in the URL).")
    voornamen: str = Field(min_length=1, max_length=200)
    geslachtsnaam: str = Field(min_length=1, max_length=200)
    geboortedatum: date
    adres: Adres
    doelgroep: Doelgroep


def _verzoek(rij: OverdrachtsverzoekRij) -> Overdrachtsverzoek:
    return Overdrachtsverzoek(
        overdrachtsverzoek_id=rij.overdrachtsverzoek_id,
        gemeentecode=rij.gemeentecode,
        vorige_gemeentecode=rij.vorige_gemeentecode,
        inburgeringsplicht_id=rij.inburgeringsplicht_id,
        datum=rij.datum,
    )


def _pakket(rij: OverdrachtRij) -> Overdracht:
    return Overdracht.model_validate(
        {
            "overdrachtId": rij.overdracht_id,
            "overdrachtsverzoekId": rij.overdrachtsverzoek_id,
            "gemeentecode": rij.gemeentecode,
            "nieuweGemeentecode": rij.nieuwe_gemeentecode,
            "inburgeringsplichtId": rij.inburgeringsplicht_id,
            "onderdelen": rij.onderdelen,
            "datum": rij.datum,
        }
    )


def _betrokkene(dossier: DossierRij) -> Betrokkene:
    return Betrokkene("bsn", dossier.bsn)


def _mag_schrijven(lezing: BronLezing, resource: str, model: type[BaseModel], rij: Rij) -> bool:
    return all(mag_wijzigen(lezing.toegang, resource, veld, rij) for veld in model.model_fields)


async def _onderdelen(uow: UnitOfWork, dossier_id: str) -> list[dict[str, Any]]:
    """Links to what the old gemeente hands over: the intake, every PIP version (with its
    changes), the opdrachten (progress and hours are reported on them) and the maatregelen."""
    links: list[dict[str, Any]] = []
    bronnen: list[tuple[Onderdeelsoort, Any, Any]] = [
        (Onderdeelsoort.INTAKE, IntakeRij.intake_id, IntakeRij),
        (Onderdeelsoort.PIP, PipVersieRij.pip_id, PipVersieRij),
        (Onderdeelsoort.OPDRACHT, OpdrachtRij.opdracht_id, OpdrachtRij),
        (
            Onderdeelsoort.HANDHAVINGSMAATREGEL,
            HandhavingsmaatregelRij.handhavingsmaatregel_id,
            HandhavingsmaatregelRij,
        ),
    ]
    for soort, kolom, model in bronnen:
        rows = await uow.session.execute(
            select(model).where(model.dossier_id == dossier_id).order_by(kolom)
        )
        for row in rows.scalars():
            link: dict[str, Any] = {"soort": soort.value, "resourceId": getattr(row, kolom.key)}
            if isinstance(row, PipVersieRij):
                link["versie"] = row.versie
            links.append(link)
    return links


async def _onderdeel(
    uow: UnitOfWork, soort: Onderdeelsoort, resource_id: str
) -> tuple[str, Any] | None:
    """A part of a dossier as its contract instance, with the dossier it belongs to."""
    from . import maatregelen, opdrachten  # route modules: imported late, as they import api

    if soort is Onderdeelsoort.INTAKE:
        intake = await uow.session.get(IntakeRij, resource_id)
        return None if intake is None else (intake.dossier_id, intake.als_contract())
    if soort is Onderdeelsoort.PIP:
        pip = await uow.session.get(PipVersieRij, resource_id)
        return None if pip is None else (pip.dossier_id, pip.als_contract())
    if soort is Onderdeelsoort.OPDRACHT:
        opdracht = await uow.session.get(OpdrachtRij, resource_id)
        if opdracht is None:
            return None
        dossier = await uow.session.get(DossierRij, opdracht.dossier_id)
        assert dossier is not None
        return opdracht.dossier_id, opdrachten.als_opdracht(opdracht, dossier)
    if soort is Onderdeelsoort.HANDHAVINGSMAATREGEL:
        maatregel = await uow.session.get(HandhavingsmaatregelRij, resource_id)
        return (
            None
            if maatregel is None
            else (maatregel.dossier_id, maatregelen.als_maatregel(maatregel))
        )
    return None  # voortgang: no table at this source yet


# --- routes -----------------------------------------------------------------------------------


def build_router(gemeenten: Gemeenten) -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, tags=["verhuizing"])

    def emit(
        keten: ServiceRuntime,
        uow: UnitOfWork,
        soort: str,
        *,
        van: str,
        naar: str,
        sleutel: str,
        resource: str,
        resource_id: str,
        data: dict[str, Any],
    ) -> None:
        """A hand-over event: from gemeente ``van`` (its OIN the source) to gemeente ``naar``
        (the routing ``gemeentecode``: only that gemeente receives it), keyed by ``sleutel``."""
        uow.emit(
            f"{TYPE_PREFIX}{soort}.v1",
            subject=resource_id,
            partitionkey=sleutel,
            dataref=dataref(keten.settings.base_url, resource, resource_id),
            data=data,
            gemeentecode=naar,
            source=source_urn(gemeenten.oin(van), SERVICE_NAAM),
        )

    @router.post(
        "/overdrachtsverzoeken",
        operation_id="overdracht-aanvragen",
        status_code=201,
        summary="The new gemeente asks the old one to hand over after a move",
        responses={201: {"model": Overdrachtsverzoek}, **_ERRORS},
    )
    async def overdracht_aanvragen(
        body: Verzoek,
        keten: Runtime,
        lezing: Annotated[
            BronLezing, Depends(_regie("overdrachtsverzoek", "overdracht aanvragen"))
        ],
    ) -> Response:
        nieuw = lezing.caller.gemeentecode
        if nieuw is None or not gemeenten.bedient(nieuw):
            raise Problem(403, detail="This source does not serve the caller's gemeente.")
        if body.vorige_gemeentecode == nieuw:
            raise weigering("zelfde-gemeente", "A hand-over is between two different gemeenten.")
        if not _mag_schrijven(
            lezing, "overdrachtsverzoek", Overdrachtsverzoek, Rij(gemeentecode=nieuw)
        ):
            raise Problem(403, detail="This client may not ask for a hand-over.")
        rij = OverdrachtsverzoekRij(
            overdrachtsverzoek_id=domain.nieuw_id("ovz"),
            gemeentecode=nieuw,
            vorige_gemeentecode=body.vorige_gemeentecode,
            inburgeringsplicht_id=body.inburgeringsplicht_id,
            datum=body.datum,
            # The id the new gemeente's own dossier will get: the event's key already.
            sleutel=domain.nieuw_id(),
            vastgelegd_op=clock.now(),
            vastgelegd_door=lezing.caller.client_id,
        )
        verzoek = _verzoek(rij)
        async with keten.unit_of_work() as uow:
            uow.session.add(rij)
            emit(
                keten,
                uow,
                "overdracht.aangevraagd",
                van=nieuw,
                naar=rij.vorige_gemeentecode,
                sleutel=rij.sleutel,
                resource="overdrachtsverzoek",
                resource_id=rij.overdrachtsverzoek_id,
                data={
                    "overdrachtsverzoekId": rij.overdrachtsverzoek_id,
                    "inburgeringsplichtId": rij.inburgeringsplicht_id,
                },
            )
            await uow.session.flush()
            view = await lezing.lever(verzoek, rij=Rij(gemeentecode=nieuw), betrokkene=None)
        return JSONResponse(served_json(view), status_code=201)

    @router.get(
        "/overdrachtsverzoeken/{overdrachtsverzoekId}",
        operation_id="overdrachtsverzoek-lezen",
        summary="The old gemeente reads the hand-over request addressed to it",
        responses={200: {"model": Overdrachtsverzoek}, **_ERRORS},
    )
    async def overdrachtsverzoek_lezen(
        verzoek_id: Annotated[str, Path(alias="overdrachtsverzoekId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[
            BronLezing, Depends(_overdracht("overdrachtsverzoek", "overdrachtsverzoek lezen"))
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            rij = await uow.session.get(OverdrachtsverzoekRij, verzoek_id)
        if rij is None:
            await lezing.niet_gevonden(verzoek_id)
        verzoek = _verzoek(rij)
        view = await lezing.lever(
            verzoek,
            rij=Rij(gemeentecode=rij.gemeentecode, overdrachtsverzoek=verzoek),
            betrokkene=None,
        )
        return JSONResponse(served_json(view))

    @router.post(
        "/overdrachtsverzoeken/{overdrachtsverzoekId}/overdracht",
        operation_id="overdragen",
        status_code=201,
        summary="The old gemeente answers with its hand-over package; its dossier is closed",
        responses={201: {"model": Overdracht}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def overdragen(
        verzoek_id: Annotated[str, Path(alias="overdrachtsverzoekId", pattern=OPAQUE_ID_PATTERN)],
        body: Overdragen,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_regie("overdracht", "overdragen na verhuizing"))],
    ) -> Response:
        oud = lezing.caller.gemeentecode
        async with keten.unit_of_work() as uow:
            verzoek = await uow.session.get(OverdrachtsverzoekRij, verzoek_id)
            if verzoek is None or oud is None or verzoek.vorige_gemeentecode != oud:
                # Not addressed to the caller: the answer of an unknown request.
                await lezing.niet_gevonden(verzoek_id)
            dossier = (
                await uow.session.execute(
                    select(DossierRij)
                    .where(
                        DossierRij.gemeentecode == oud,
                        DossierRij.inburgeringsplicht_id == verzoek.inburgeringsplicht_id,
                    )
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if dossier is None or not dossier.volledig:
                raise weigering(
                    "geen-dossier-van-plicht",
                    "This gemeente has no dossier of the inburgeringsplicht the request names.",
                )
            if not _mag_schrijven(lezing, "overdracht", Overdracht, _rij(dossier)):
                raise Problem(403, detail="This client may not hand a dossier over.")
            onderdelen = await _onderdelen(uow, dossier.dossier_id)
            rij = OverdrachtRij(
                overdracht_id=domain.nieuw_id("ovd"),
                overdrachtsverzoek_id=verzoek.overdrachtsverzoek_id,
                dossier_id=dossier.dossier_id,
                gemeentecode=oud,
                nieuwe_gemeentecode=verzoek.gemeentecode,
                inburgeringsplicht_id=verzoek.inburgeringsplicht_id,
                onderdelen=onderdelen,
                datum=body.datum,
                vastgelegd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            try:
                pakket = _pakket(rij)
            except ValidationError as exc:
                raise weigering(
                    "niets-over-te-dragen", "The dossier has no part to hand over yet."
                ) from exc
            # The old gemeente keeps its dossier, closed: no longer its regie.
            dossier.status = Dossierstatus.OVERGEDRAGEN.value
            dossier.gewijzigd_op = clock.now()
            uow.session.add(rij)
            try:
                await uow.session.flush()
            except IntegrityError as exc:
                raise Problem(409, detail="This request has been answered already.") from exc
            emit(
                keten,
                uow,
                "verhuizing.overgedragen",
                van=oud,
                naar=rij.nieuwe_gemeentecode,
                sleutel=dossier.dossier_id,
                resource="overdracht",
                resource_id=rij.overdracht_id,
                data={
                    "overdrachtId": rij.overdracht_id,
                    "overdrachtsverzoekId": rij.overdrachtsverzoek_id,
                },
            )
            # The old dossier's CBS view now has its hand-over date (``overgedragenOp``): the
            # SWI supplier of the old gemeente leaves the person out from the next quarter.
            Bron(gemeenten).dossier_gewijzigd(keten.settings.base_url, uow, dossier)
            view = await lezing.lever(pakket, rij=_rij(dossier), betrokkene=_betrokkene(dossier))
        return JSONResponse(served_json(view), status_code=201)

    async def _pakket_en_verzoek(
        uow: UnitOfWork, overdracht_id: str
    ) -> tuple[OverdrachtRij, Overdrachtsverzoek | None, DossierRij] | None:
        pakket = await uow.session.get(OverdrachtRij, overdracht_id)
        if pakket is None:
            return None
        verzoek = await uow.session.get(OverdrachtsverzoekRij, pakket.overdrachtsverzoek_id)
        dossier = await uow.session.get(DossierRij, pakket.dossier_id)
        assert dossier is not None
        return pakket, None if verzoek is None else _verzoek(verzoek), dossier

    @router.get(
        "/overdrachten/{overdrachtId}",
        operation_id="overdracht-lezen",
        summary="The new gemeente reads the hand-over package that answers its request",
        responses={200: {"model": Overdracht}, **_ERRORS},
    )
    async def overdracht_lezen(
        overdracht_id: Annotated[str, Path(alias="overdrachtId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_overdracht("overdracht", "overdracht lezen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            gevonden = await _pakket_en_verzoek(uow, overdracht_id)
        if gevonden is None:
            await lezing.niet_gevonden(overdracht_id)
        rij, verzoek, dossier = gevonden
        pakket = _pakket(rij)
        view = await lezing.lever(
            pakket,
            rij=Rij(
                gemeentecode=rij.gemeentecode,
                doelgroep=_rij(dossier).doelgroep,
                overdrachtsverzoek=verzoek,
                overdracht=pakket,
            ),
            betrokkene=_betrokkene(dossier),
        )
        return JSONResponse(served_json(view))

    def onderdeel_route(soort: Onderdeelsoort) -> None:
        collection = get_resource(soort.value).collection
        # A default, not an annotation: annotations are strings here and cannot name locals.
        lezen = Depends(_overdracht(soort.value, f"{soort.value} lezen voor overdracht"))

        @router.get(
            f"/overdrachten/{{overdrachtId}}/{collection}/{{resourceId}}",
            operation_id=f"overdracht-{soort.value}-lezen",
            summary=f"The new gemeente reads a {soort.value} the package links",
            responses={200: {"model": dict[str, Any]}, **_ERRORS},
        )
        async def onderdeel_lezen(
            overdracht_id: Annotated[str, Path(alias="overdrachtId", pattern=OPAQUE_ID_PATTERN)],
            resource_id: Annotated[str, Path(alias="resourceId", pattern=OPAQUE_ID_PATTERN)],
            keten: Runtime,
            lezing: BronLezing = lezen,
        ) -> Response:
            async with keten.unit_of_work() as uow:
                gevonden = await _pakket_en_verzoek(uow, overdracht_id)
                deel = await _onderdeel(uow, soort, resource_id)
            # Only a part of the package's own dossier (the package names the dossier's
            # parts; the policy checks the link).
            if gevonden is None or deel is None or deel[0] != gevonden[0].dossier_id:
                await lezing.niet_gevonden(resource_id)
            rij, _, dossier = gevonden
            view = await lezing.lever(
                deel[1],
                rij=Rij(
                    gemeentecode=rij.gemeentecode,
                    doelgroep=_rij(dossier).doelgroep,
                    overdracht=_pakket(rij),
                ),
                betrokkene=_betrokkene(dossier),
                resource_id=resource_id,
            )
            return JSONResponse(served_json(view))

    for soort in (
        Onderdeelsoort.INTAKE,
        Onderdeelsoort.PIP,
        Onderdeelsoort.OPDRACHT,
        Onderdeelsoort.HANDHAVINGSMAATREGEL,
    ):
        onderdeel_route(soort)

    @router.post(
        "/overdrachten/{overdrachtId}/overname",
        operation_id="overnemen",
        status_code=201,
        summary="The new gemeente opens its own dossier from the package (BRP data in the body)",
        responses={201: {"model": dict[str, Any]}, **_ERRORS},
    )
    async def overnemen(
        overdracht_id: Annotated[str, Path(alias="overdrachtId", pattern=OPAQUE_ID_PATTERN)],
        body: Overname,
        keten: Runtime,
        lezing: Annotated[
            BronLezing, Depends(_regie("dossier", "dossier overnemen na verhuizing"))
        ],
    ) -> Response:
        from .handlers import feiten_vastleggen, open_dossier  # handlers import api

        nieuw = lezing.caller.gemeentecode
        async with keten.unit_of_work() as uow:
            pakket = await uow.session.get(OverdrachtRij, overdracht_id)
            if pakket is None or nieuw is None or pakket.nieuwe_gemeentecode != nieuw:
                await lezing.niet_gevonden(overdracht_id)
            oud = await uow.session.get(DossierRij, pakket.dossier_id)
            verzoek = await uow.session.get(OverdrachtsverzoekRij, pakket.overdrachtsverzoek_id)
            if oud is None or verzoek is None:
                await lezing.niet_gevonden(overdracht_id)
            if oud.bsn != body.bsn:
                # Said without repeating either BSN.
                raise weigering(
                    "bsn-past-niet-bij-overdracht",
                    "The person in the body is not the person the package is about.",
                )
            rij = Rij(gemeentecode=nieuw, doelgroep=body.doelgroep)
            velden = ("voornamen", "geslachtsnaam", "geboortedatum", "adres", "doelgroep")
            if not all(mag_wijzigen(lezing.toegang, "dossier", v, rij) for v in velden):
                raise Problem(403, detail="This client may not open a dossier.")
            nu = clock.now()
            uit_pakket = Herkomst(SERVICE_NAAM, "overdracht", pakket.overdracht_id, nu)
            dossier = await open_dossier(
                uow, nieuw, body.bsn, uit_pakket, dossier_id=verzoek.sleutel
            )
            # The person came back to a gemeente that handed them over before: its own dossier
            # (one per person per gemeente) is its regie again, and no longer handed over.
            terug = dossier.status == Dossierstatus.OVERGEDRAGEN.value
            if terug:
                dossier.status = Dossierstatus.ACTIEF.value
                dossier.gewijzigd_op = nu
            brp = Herkomst(BRONSYSTEEM_BRP, "persoonslijst", dossier.dossier_id, nu)
            # The doelgroep is DUO's (its plicht), the rest the new gemeente's BRP.
            duo = Herkomst(BRONSYSTEEM_DUO, "inburgeringsplicht", pakket.inburgeringsplicht_id, nu)
            feiten = [
                domain.Feit(
                    v, domain.waarde_json(getattr(body, v)), duo if v == "doelgroep" else brp
                )
                for v in velden
            ]
            feiten.append(
                domain.Feit("inburgeringsplichtId", pakket.inburgeringsplicht_id, uit_pakket)
            )
            feiten_vastleggen(uow, dossier, feiten)
            verzoek.dossier_id = dossier.dossier_id
            await uow.session.flush()
            if terug:  # its CBS view lost the hand-over date: the person is delivered again
                Bron(gemeenten).dossier_gewijzigd(keten.settings.base_url, uow, dossier)
            view = await lezing.lever(
                dossier.als_contract(), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
            )
        return JSONResponse(served_json(view), status_code=201)

    return router
