"""Begeleiding and the doelgroep choice: the gemeente's registrations that feed the SWI
delivery (domain primer section 5) and, for the choice, DUO.

- **Maatschappelijke begeleiding** (start, end): only for a person DUO gave the right to it
  (``recht-maatschappelijke-begeleiding.vastgesteld``, the dossier's fact). Seed 002 section
  3.4.6: "De gemeente registreert alleen de indicatie 'recht op maatschappelijke begeleiding'
  en de startdatum in de eigen administratie, voor eigen gebruik en voor CBS. Melding naar DUO
  is niet nodig."
- **Financieel ontzorgen** (start, end): only asielstatushouders on bijstand, starting within
  the first 6 months after settling. Seed 001 (task 6 "Ontzorgen"): "financieel ontzorgen van
  bijstandsgerechtigde statushouders tijdens de eerste 6 maanden van hun verblijf in de
  gemeente"; seed 002 section 4.1: "Het ontzorgen geldt alleen voor asielstatushouders met een
  bijstandsuitkering." Whether the person is on bijstand is Participatiewet data the gemeente
  may use (art. 35 lid 5 Wet); the staff member states it, and a "no" is refused.
- **Stimuleren financiële zelfredzaamheid**: its own period. Seed 002 section 4.1: "Het CBS zal
  hierover gegevens uitvragen, waaronder 'startdatum en einddatum stimuleren financiële
  zelfredzaamheid'".
- **Voortgangsgesprekken** with gezins- and overige migranten. Seed 002 section 3.4.7: "Indien
  deze voortgangsgesprekken geregistreerd worden, geeft de gemeenten voor gezinsmigranten en
  overige migranten deze door aan CBS."
- **The doelgroep choice.** Seed 002 section 1.4: "bij een wisseling [gelden] altijd de rechten
  van een asielmigrant. Als de inburgeringsplichtige dit niet wil kan deze eenmalig de keuze
  maken om zich te beroepen op een andere status. Dit kan worden aangegeven door de gemeente in
  de portal van DUO". So: an asielstatushouder only, once (a second choice is refused; the
  table's key on the dossier holds that under concurrency too), and only then DUO is told
  (``doelgroepkeuze.vastgelegd``, which only DUO receives; DUO fetches the dossier).

Writes follow ``beschikkingen``: the gemeente's medewerker inburgering for its own dossier
(``access.mag_wijzigen``), 404 for another gemeente's, every answer served through the read
kit before the commit, thin events keyed by the dossier. The rules are the pure functions
below; a refusal is 422 problem+json with the rule's code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Final

from dateutil.relativedelta import relativedelta
from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from pydantic import Field, ValidationError
from sqlalchemy import select

from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, ContractModel, Doelgroep
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources.gemeente import Begeleiding, Begeleidingsoort
from keten_core import clock
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import (
    BronLezing,
    bron_lezing,
    gedocumenteerde_views,
    served_json,
)

from . import domain
from .api import (
    API_PREFIX,
    PROBLEM_RESPONSES,
    Bron,
    _betrokkene,
    _rij,
    dossier_contract,
    eigen_dossier,
    mag_schrijven,
    met_dossier,
    weigering,
)
from .domain import Gemeenten
from .models import BegeleidingRij, DoelgroepkeuzeRij, DossierRij

__all__ = [
    "ONTZORGEN_BINNEN",
    "beoordeel_doelgroepkeuze",
    "beoordeel_start",
    "beoordeel_voortgangsgesprek",
    "build_router",
    "rechten_asielstatushouder",
]

Runtime = Annotated[ServiceRuntime, Depends(runtime)]
DossierId = Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)]
BegeleidingId = Annotated[str, Path(alias="begeleidingId", pattern=OPAQUE_ID_PATTERN)]

_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 409, 422, 503)}

BegeleidingView: Any = view_model("begeleiding", Rol.GEMEENTE, same_gemeente=True)
BegeleidingViews: Any = gedocumenteerde_views("begeleiding", Rol.GEMEENTE, Rol.CBS)
DossierView: Any = view_model("dossier", Rol.GEMEENTE, same_gemeente=True)

# "tijdens de eerste 6 maanden van hun verblijf in de gemeente" (seed 001, task 6).
ONTZORGEN_BINNEN: Final = relativedelta(months=6)

# The periods started here; a voortgangsgesprek is one date (its own endpoint).
PERIODES: Final = frozenset(Begeleidingsoort) - {Begeleidingsoort.VOORTGANGSGESPREK}


# --- the rules (pure) ------------------------------------------------------------------------


def rechten_asielstatushouder(doelgroep: Doelgroep | None, afgezien: bool) -> bool:
    """Whether the asielstatushouder rights apply: the default for an asielstatushouder, until
    the person opts out (once)."""
    return doelgroep is Doelgroep.ASIELSTATUSHOUDER and not afgezien


def beoordeel_start(
    soort: Begeleidingsoort,
    *,
    doelgroep: Doelgroep | None,
    afgezien: bool,
    recht_maatschappelijke_begeleiding: bool | None,
    vestigingsdatum: date | None,
    startdatum: date,
    bijstand: bool | None,
) -> str | None:
    """The reason code a period of ``soort`` may not start, or None."""
    if soort is Begeleidingsoort.MAATSCHAPPELIJKE_BEGELEIDING:
        # Only whom DUO gave the right (seed 002 section 3.4.6).
        if recht_maatschappelijke_begeleiding is not True:
            return "geen-recht-maatschappelijke-begeleiding"
    elif soort is Begeleidingsoort.FINANCIEEL_ONTZORGEN:
        if not rechten_asielstatushouder(doelgroep, afgezien):
            return "ontzorgen-alleen-asielstatushouder"
        if bijstand is not True:
            return "ontzorgen-alleen-bij-bijstand"
        if vestigingsdatum is None:
            return "ontzorgen-nog-niet-gevestigd"
        if not vestigingsdatum <= startdatum < vestigingsdatum + ONTZORGEN_BINNEN:
            return "ontzorgen-buiten-eerste-zes-maanden"
    elif soort is Begeleidingsoort.VOORTGANGSGESPREK:
        return "voortgangsgesprek-is-geen-periode"
    return None


def beoordeel_voortgangsgesprek(doelgroep: Doelgroep | None, afgezien: bool) -> str | None:
    """Voortgangsgesprekken are registered for gezins- and overige migranten (seed 002 section
    3.4.7); an asielstatushouder who kept the asiel rights has the full regie instead."""
    if doelgroep is None or rechten_asielstatushouder(doelgroep, afgezien):
        return "voortgangsgesprek-alleen-gezins-of-overige-migrant"
    return None


def beoordeel_doelgroepkeuze(doelgroep: Doelgroep | None, al_gekozen: bool) -> str | None:
    """Only an asielstatushouder has asiel rights to opt out of, and only once."""
    if al_gekozen:
        return "doelgroepkeuze-al-gemaakt"
    if doelgroep is not Doelgroep.ASIELSTATUSHOUDER:
        return "doelgroepkeuze-alleen-asielstatushouder"
    return None


# --- bodies ----------------------------------------------------------------------------------


class BegeleidingStart(ContractModel):
    """A period of begeleiding starts."""

    soort: Begeleidingsoort = Field(
        description="Kind (not voortgangsgesprek: register that with its own endpoint)."
    )
    startdatum: date = Field(description="First day of the period.")
    bijstand: bool | None = Field(
        default=None,
        description="Financieel ontzorgen only: the person is on bijstand (Participatiewet).",
    )


class BegeleidingEinde(ContractModel):
    einddatum: date = Field(description="Last day of the period.")


class Voortgangsgesprek(ContractModel):
    datum: date = Field(description="Date the voortgangsgesprek was held.")


class Doelgroepkeuze(ContractModel):
    datum: date = Field(description="Date the person made the choice.")


# --- helpers ---------------------------------------------------------------------------------


def _lezing(activiteit: str | None = None) -> Callable[..., Awaitable[BronLezing]]:
    return bron_lezing("begeleiding", Doel.UITVOERING_INBURGERING, activiteit=activiteit)


def _als_contract(rij: BegeleidingRij) -> Begeleiding:
    try:
        return Begeleiding(
            begeleiding_id=rij.begeleiding_id,
            dossier_id=rij.dossier_id,
            soort=Begeleidingsoort(rij.soort),
            startdatum=rij.startdatum,
            einddatum=rij.einddatum,
        )
    except ValidationError:
        # E.g. an end before the start: the contract's own rule, named without the dates.
        raise Problem(422, detail="The begeleiding breaks its contract.") from None


def _doelgroep(dossier: DossierRij) -> Doelgroep | None:
    return Doelgroep(dossier.doelgroep) if dossier.doelgroep else None


async def _lever(lezing: BronLezing, rij: BegeleidingRij, dossier: DossierRij) -> Any:
    view = await lezing.lever(
        _als_contract(rij), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
    )
    return served_json(view)


# --- the router ------------------------------------------------------------------------------


def build_router(gemeenten: Gemeenten) -> APIRouter:
    """Begeleidingen, voortgangsgesprekken and the doelgroep choice."""
    router = APIRouter(prefix=API_PREFIX, tags=["bron"])
    bron = Bron(gemeenten)

    def _emit(keten: ServiceRuntime, uow: Any, soort: str, dossier: DossierRij, b: str) -> None:
        bron.emit(
            keten,
            uow,
            soort,
            dossier,
            "begeleiding",
            b,
            {"begeleidingId": b, "dossierId": dossier.dossier_id},
        )

    @router.post(
        "/dossiers/{dossierId}/begeleidingen",
        operation_id="begeleiding-starten",
        summary="Start a period of maatschappelijke begeleiding, financieel ontzorgen or "
        "stimuleren financiële zelfredzaamheid",
        status_code=201,
        responses={201: {"model": BegeleidingView}, **_ERRORS},
    )
    async def begeleiding_starten(
        dossier_id: DossierId,
        body: BegeleidingStart,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("begeleiding starten"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(lezing, "begeleiding", ["soort", "startdatum"], dossier)
            reden = beoordeel_start(
                body.soort,
                doelgroep=_doelgroep(dossier),
                afgezien=dossier.afzien_rechten_asielstatushouder,
                recht_maatschappelijke_begeleiding=dossier.recht_maatschappelijke_begeleiding,
                vestigingsdatum=dossier.vestigingsdatum,
                startdatum=body.startdatum,
                bijstand=body.bijstand,
            )
            if reden is not None:
                raise weigering(reden, f"No {body.soort.value} can start for this dossier.")
            lopend = await uow.session.scalar(
                select(BegeleidingRij.begeleiding_id).where(
                    BegeleidingRij.dossier_id == dossier_id,
                    BegeleidingRij.soort == body.soort.value,
                    BegeleidingRij.einddatum.is_(None),
                )
            )
            if lopend is not None:
                # One running period per kind: the SWI counts periods, not overlapping copies.
                raise Problem(409, detail=f"A {body.soort.value} period is still running.")
            rij = BegeleidingRij(
                begeleiding_id=domain.nieuw_id("beg"),
                dossier_id=dossier_id,
                soort=body.soort.value,
                startdatum=body.startdatum,
                einddatum=None,
                vastgelegd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            uow.session.add(rij)
            _emit(keten, uow, "begeleiding.gestart", dossier, rij.begeleiding_id)
            await uow.session.flush()
            served = await _lever(lezing, rij, dossier)
        return JSONResponse(served, status_code=201)

    @router.post(
        "/begeleidingen/{begeleidingId}/beeindigen",
        operation_id="begeleiding-beeindigen",
        summary="End a period of begeleiding",
        responses={200: {"model": BegeleidingView}, **_ERRORS},
    )
    async def begeleiding_beeindigen(
        begeleiding_id: BegeleidingId,
        body: BegeleidingEinde,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("begeleiding beeindigen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            rij = await uow.session.get(BegeleidingRij, begeleiding_id, with_for_update=True)
            if rij is None:
                await lezing.niet_gevonden(begeleiding_id)
            dossier = await eigen_dossier(
                uow, lezing, rij.dossier_id, wijzigen=True, zoek_id=begeleiding_id
            )
            mag_schrijven(lezing, "begeleiding", ["einddatum"], dossier)
            if rij.soort == Begeleidingsoort.VOORTGANGSGESPREK.value:
                raise weigering("voortgangsgesprek-is-geen-periode", "A conversation has no end.")
            if rij.einddatum is not None:
                raise Problem(409, detail="This begeleiding has ended already.")
            rij.einddatum = body.einddatum
            _als_contract(rij)  # 422 before anything is stored (an end before the start)
            _emit(keten, uow, "begeleiding.beeindigd", dossier, rij.begeleiding_id)
            await uow.session.flush()
            served = await _lever(lezing, rij, dossier)
        return JSONResponse(served)

    @router.post(
        "/dossiers/{dossierId}/voortgangsgesprekken",
        operation_id="voortgangsgesprek-vastleggen",
        summary="Register a voortgangsgesprek held with a gezins- or overige migrant",
        status_code=201,
        responses={201: {"model": BegeleidingView}, **_ERRORS},
    )
    async def voortgangsgesprek_vastleggen(
        dossier_id: DossierId,
        body: Voortgangsgesprek,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("voortgangsgesprek vastleggen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(lezing, "begeleiding", ["soort", "startdatum"], dossier)
            reden = beoordeel_voortgangsgesprek(
                _doelgroep(dossier), dossier.afzien_rechten_asielstatushouder
            )
            if reden is not None:
                raise weigering(reden, "No voortgangsgesprek is registered for this dossier.")
            rij = BegeleidingRij(
                begeleiding_id=domain.nieuw_id("beg"),
                dossier_id=dossier_id,
                soort=Begeleidingsoort.VOORTGANGSGESPREK.value,
                startdatum=body.datum,
                einddatum=None,
                vastgelegd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            uow.session.add(rij)
            _emit(keten, uow, "voortgangsgesprek.gehouden", dossier, rij.begeleiding_id)
            await uow.session.flush()
            served = await _lever(lezing, rij, dossier)
        return JSONResponse(served, status_code=201)

    @router.get(
        "/begeleidingen/{begeleidingId}",
        operation_id="begeleiding-lezen",
        summary="One begeleiding (the caller's view: the gemeente, or CBS for the SWI)",
        responses={200: {"model": BegeleidingViews}, **_ERRORS},
    )
    async def begeleiding_lezen(
        begeleiding_id: BegeleidingId,
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "begeleiding",
                    Doel.UITVOERING_INBURGERING,
                    per_rol={Rol.CBS: Doel.STATISTIEK_SWI},
                )
            ),
        ],
    ) -> Response:
        rij, dossier = await met_dossier(keten, lezing, BegeleidingRij, begeleiding_id)
        return JSONResponse(await _lever(lezing, rij, dossier))

    @router.get(
        "/dossiers/{dossierId}/begeleidingen",
        operation_id="begeleidingen-van-dossier",
        summary="The dossier's begeleidingen and voortgangsgesprekken, oldest first",
        responses={200: {"model": list[BegeleidingView]}, **_ERRORS},
    )
    async def begeleidingen_van_dossier(
        dossier_id: DossierId,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing())],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await uow.session.get(DossierRij, dossier_id)
            if (
                dossier is None
                or not dossier.volledig
                or dossier.gemeentecode != lezing.caller.gemeentecode
            ):
                await lezing.niet_gevonden(dossier_id)
            rijen = list(
                (
                    await uow.session.execute(
                        select(BegeleidingRij)
                        .where(BegeleidingRij.dossier_id == dossier_id)
                        .order_by(BegeleidingRij.startdatum, BegeleidingRij.begeleiding_id)
                    )
                ).scalars()
            )
        views = await lezing.lever_alle(
            (_als_contract(r), _rij(dossier), _betrokkene(dossier)) for r in rijen
        )
        return JSONResponse(served_json(views))

    @router.post(
        "/dossiers/{dossierId}/doelgroepkeuze",
        operation_id="doelgroepkeuze-vastleggen",
        summary="Record that the asielstatushouder opts out of the asiel rights (once); DUO is "
        "told",
        status_code=201,
        responses={201: {"model": DossierView}, **_ERRORS},
    )
    async def doelgroepkeuze_vastleggen(
        dossier_id: DossierId,
        body: Doelgroepkeuze,
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "dossier", Doel.UITVOERING_INBURGERING, activiteit="doelgroepkeuze vastleggen"
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(lezing, "dossier", ["afzien_rechten_asielstatushouder"], dossier)
            al_gekozen = dossier.afzien_rechten_asielstatushouder or (
                await uow.session.get(DoelgroepkeuzeRij, dossier_id) is not None
            )
            reden = beoordeel_doelgroepkeuze(_doelgroep(dossier), al_gekozen)
            if reden is not None:
                raise weigering(reden, "No doelgroep choice can be recorded for this dossier.")
            uow.session.add(
                DoelgroepkeuzeRij(
                    dossier_id=dossier_id,
                    datum=body.datum,
                    vastgelegd_op=clock.now(),
                    vastgelegd_door=lezing.caller.client_id,
                )
            )
            dossier.afzien_rechten_asielstatushouder = True
            dossier.gewijzigd_op = clock.now()
            # Only now DUO is told (seed 002 section 1.4); it fetches the dossier.
            bron.emit(
                keten,
                uow,
                "doelgroepkeuze.vastgelegd",
                dossier,
                "dossier",
                dossier_id,
                {"dossierId": dossier_id},
            )
            await uow.session.flush()
            view = await lezing.lever(
                await dossier_contract(uow.session, dossier),
                rij=_rij(dossier),
                betrokkene=_betrokkene(dossier),
            )
        return JSONResponse(served_json(view), status_code=201)

    return router
