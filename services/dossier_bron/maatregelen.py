"""The gemeente's enforcement of the inspanningsverplichting through the API (issue 10): warnings
and fines on a dossier, and the Participatiewet measures that stop a fine for the same conduct.

- **Maatregel vastleggen** (the medewerker inburgering, ``Doel.UITVOERING_INBURGERING``): a
  warning (``inspanningsverplichting.waarschuwing.gegeven``) or a fine
  (``inspanningsverplichting.boete.opgelegd``). A fine is judged by the pure rules of
  ``handhaving`` against the dossier's earlier measures, loaded under a lock on the dossier row
  (two fines posted at once cannot both pass the cap): the intake fine from the intake's
  recorded attendance, a PIP fine within the termijn of the first PIP. A refusal is 422
  problem+json with the rule's ``reden`` and, where a lower amount would pass,
  ``maximumInCenten``. What each decision rested on is kept (``gebaseerdOp``).
- **Participatiewet maatregel vastleggen** (the klantmanager Participatiewet,
  ``Doel.UITVOERING_PARTICIPATIEWET``): the benefit was lowered for conduct that is also
  inburgering conduct (seed 002 section 4.2). The medewerker inburgering reads it but cannot
  write it; the klantmanager reads the measures but cannot impose one (``access.mag_wijzigen``).
- **Rechtsmiddel vastleggen**: objection, then appeal, against a fine (only moving on); DUO
  may ask for it (seed 001, row "Minister van SZW/DUO", item s).
- Reads go through the read kit, each functie of the gemeente under its own law's purpose.
- **DUO's handhavingsverzoek**: on ``handhavingsverzoek.ingediend`` dossier-bron fetches the
  request at DUO (the gemeente's credential there) and keeps it; DUO then reads
  ``GET /handhavingsverzoeken/{id}/handhavingsmaatregelen`` under ``Doel.HANDHAVINGSVERZOEK``:
  the fines the request names (all of the person's when it names none), with objection and
  appeal data, never a warning (seed 002 section 4.7; ``policy.project_op_verzoek``).

Events are thin (ids only), keyed by the dossier, under the dossier's gemeente (``api.Bron``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from pydantic import Field, ValidationError, create_model
from sqlalchemy import select

from keten_contracts.access import Rij
from keten_contracts.clients import Doel, Functie
from keten_contracts.common import OPAQUE_ID_PATTERN, ContractModel, Doelgroep
from keten_contracts.envelope import EnvelopeAttributes
from keten_contracts.events.catalogue import TYPE_PREFIX
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources.gemeente import (
    Handhavingsmaatregel,
    Handhavingsverzoek,
    Maatregelreden,
    Maatregelsoort,
    ParticipatiewetMaatregel,
    Rechtsmiddel,
)
from keten_core import clock
from keten_core.auth import AuthenticatedCaller, authenticated_party
from keten_core.dataref import DatarefLezer
from keten_core.errors import PermanentError
from keten_core.problems import Problem
from keten_core.routing import EventRouter
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import (
    BronLezing,
    bron_lezing,
    gedocumenteerde_views,
    get_verwerkingslog,
    served_json,
)
from keten_core.uow import UnitOfWork
from keten_core.verwerkingslog import Verwerkingslog

from . import domain, leerroute
from .api import (
    API_PREFIX,
    PROBLEM_RESPONSES,
    Bron,
    _betrokkene,
    _rij,
    eigen_dossier,
    mag_schrijven,
    met_dossier,
    weigering,
)
from .domain import Gemeenten
from .handhaving import (
    Besluit,
    BoeteVoorstel,
    Maatregel,
    ParticipatiewetSanctie,
    beoordeel_boete,
    beoordeel_intakeboete,
    is_intakereden,
    opbouw_rang,
    participatiewet_sanctie,
)
from .models import (
    DossierRij,
    HandhavingsmaatregelRij,
    HandhavingsverzoekRij,
    IntakeRij,
    ParticipatiewetMaatregelRij,
    PipVersieRij,
    TrajectRij,
)

__all__ = ["build_router", "gemeente_lezing", "met_handhavingsverzoeken"]

Runtime = Annotated[ServiceRuntime, Depends(runtime)]
_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422, 503)}

MaatregelView: Any = view_model("handhavingsmaatregel", Rol.GEMEENTE, same_gemeente=True)
MaatregelViews: Any = gedocumenteerde_views("handhavingsmaatregel", Rol.GEMEENTE, Rol.CBS)
PwMaatregelView: Any = view_model("participatiewet-maatregel", Rol.GEMEENTE, same_gemeente=True)

_H = Handhavingsmaatregel.model_fields
MaatregelVastlegging: Any = create_model(
    "MaatregelVastlegging",
    __base__=ContractModel,
    __doc__="A warning or fine on the dossier (a fine only culpable, within the law's caps).",
    soort=(Maatregelsoort, _H["soort"]),
    datum=(date, _H["datum"]),
    reden=(Maatregelreden, _H["reden"]),
    bedrag_in_centen=(_H["bedrag_in_centen"].annotation, _H["bedrag_in_centen"]),
    verwijtbaar=(bool, _H["verwijtbaar"]),
    participatiewet_maatregel_id=(
        _H["participatiewet_maatregel_id"].annotation,
        _H["participatiewet_maatregel_id"],
    ),
)
_P = ParticipatiewetMaatregel.model_fields
PwMaatregelVastlegging: Any = create_model(
    "PwMaatregelVastlegging",
    __base__=ContractModel,
    __doc__="A Participatiewet measure for conduct that is also inburgering conduct.",
    gedraging=(Maatregelreden, _P["gedraging"]),
    besluitdatum=(date, _P["besluitdatum"]),
)


def gemeente_lezing(resource: str, activiteit: str) -> Callable[..., Awaitable[BronLezing]]:
    """A read by either functie of the gemeente, each under its own law's purpose (seed 002
    section 4.2: each "mag gegevens [...] raadplegen" of the other law): the read kit's
    ``per_rol`` tells roles apart, not functies inside one gemeente, so this picks the kit's
    dependency by functie and the kit does the rest (403, projection, log)."""
    # CBS's reader takes the inburgering branch (its functie is the organisation's) and reads
    # under the SWI purpose; a resource CBS reads nothing of answers it 404.
    inburgering = bron_lezing(
        resource,
        Doel.UITVOERING_INBURGERING,
        activiteit=activiteit,
        per_rol={Rol.CBS: Doel.STATISTIEK_SWI},
    )
    participatiewet = bron_lezing(resource, Doel.UITVOERING_PARTICIPATIEWET, activiteit=activiteit)

    async def dependency(
        caller: Annotated[AuthenticatedCaller, Depends(authenticated_party)],
        verwerkingslog: Annotated[Verwerkingslog, Depends(get_verwerkingslog)],
    ) -> BronLezing:
        kies = (
            participatiewet
            if caller.functie is Functie.KLANTMANAGER_PARTICIPATIEWET
            else inburgering
        )
        return await kies(caller=caller, verwerkingslog=verwerkingslog)

    return dependency


def als_maatregel(rij: HandhavingsmaatregelRij) -> Handhavingsmaatregel:
    return Handhavingsmaatregel(
        handhavingsmaatregel_id=rij.handhavingsmaatregel_id,
        dossier_id=rij.dossier_id,
        soort=Maatregelsoort(rij.soort),
        datum=rij.datum,
        reden=Maatregelreden(rij.reden),
        bedrag_in_centen=rij.bedrag_in_centen,
        verwijtbaar=rij.verwijtbaar,
        rechtsmiddel=Rechtsmiddel(rij.rechtsmiddel),
        participatiewet_maatregel_id=rij.participatiewet_maatregel_id,
    )


def als_pw_maatregel(
    rij: ParticipatiewetMaatregelRij, dossier: DossierRij
) -> ParticipatiewetMaatregel:
    return ParticipatiewetMaatregel(
        participatiewet_maatregel_id=rij.participatiewet_maatregel_id,
        dossier_id=rij.dossier_id,
        gemeentecode=dossier.gemeentecode,
        gedraging=Maatregelreden(rij.gedraging),
        besluitdatum=rij.besluitdatum,
    )


async def _maatregelen(uow: UnitOfWork, dossier_id: str) -> list[HandhavingsmaatregelRij]:
    result = await uow.session.execute(
        select(HandhavingsmaatregelRij)
        .where(HandhavingsmaatregelRij.dossier_id == dossier_id)
        .order_by(HandhavingsmaatregelRij.datum, HandhavingsmaatregelRij.vastgelegd_op)
    )
    return list(result.scalars())


async def _pw_maatregelen(uow: UnitOfWork, dossier_id: str) -> list[ParticipatiewetMaatregelRij]:
    result = await uow.session.execute(
        select(ParticipatiewetMaatregelRij).where(
            ParticipatiewetMaatregelRij.dossier_id == dossier_id
        )
    )
    return list(result.scalars())


# The reasons that concern one traject, and the outcome fields a decision records of it.
_TRAJECT_VAN: Final = {
    Maatregelreden.MAP_NIET_MEEWERKEN: "map",
    Maatregelreden.PVT_NIET_MEEWERKEN: "pvt",
}
_TRAJECTUITKOMST: Final = ("afgerond", "datumAfgerond", "redenNietAfgerond", "verwijtbaar")
# Seed 001 (row "Minister van SZW/DUO", item s): "Door gemeente opgelegde boetes, informatie
# over bezwaar en beroep". Bezwaar comes before beroep (Awb 7:1), so the record only moves on.
_RECHTSMIDDEL_VOLGORDE: Final = (Rechtsmiddel.GEEN, Rechtsmiddel.BEZWAAR, Rechtsmiddel.BEROEP)


class RechtsmiddelVastlegging(ContractModel):
    """An objection or appeal lodged against a fine."""

    rechtsmiddel: Rechtsmiddel = Field(description="Objection or appeal lodged.")


def _weigering(besluit: Besluit, detail: str) -> Problem:
    """The rule's refusal; ``maximumInCenten`` where a lower amount would have passed."""
    assert besluit.weigeringsreden is not None
    problem = weigering(besluit.weigeringsreden.value, detail)
    if besluit.maximum_in_centen > 0:
        problem.extensions["maximumInCenten"] = besluit.maximum_in_centen
    return problem


async def _beoordeel(
    uow: UnitOfWork,
    dossier: DossierRij,
    body: Any,
    eerdere: list[HandhavingsmaatregelRij],
    pw_id: str | None,
) -> dict[str, Any]:
    """Judge the measure by the rules; 422 when refused, else what the decision rested on."""
    voorgaande = [Maatregel.uit_contract(als_maatregel(m)) for m in eerdere]
    grondslag: dict[str, Any] = {
        "voorgaandeMaatregelen": [m.handhavingsmaatregel_id for m in eerdere],
    }
    if is_intakereden(body.reden):
        intake = (
            await uow.session.execute(
                select(IntakeRij).where(IntakeRij.dossier_id == dossier.dossier_id)
            )
        ).scalar_one_or_none()
        # The intake's own record of attendance: an invitation counts as missed only when
        # recorded so (``verschenen: false``), never by default.
        gemist = (
            0
            if intake is None
            else sum(1 for u in intake.uitnodigingen if u.get("verschenen") is False)
        )
        grondslag |= {
            "intakeId": None if intake is None else intake.intake_id,
            "gemisteUitnodigingen": gemist,
        }
        if body.soort is Maatregelsoort.WAARSCHUWING:
            return grondslag
        eerdere_boetes = sum(
            1 for m in voorgaande if m.soort is Maatregelsoort.BOETE and is_intakereden(m.reden)
        )
        besluit = beoordeel_intakeboete(_voorstel(body, pw_id), gemist, eerdere_boetes)
    else:
        versies = await uow.session.execute(
            select(PipVersieRij)
            .where(PipVersieRij.dossier_id == dossier.dossier_id)
            .order_by(PipVersieRij.versie)
            .limit(1)
        )
        eerste = versies.scalar_one_or_none()
        if eerste is None:
            # Seed 002 section 4.7: the fine is for "de afspraken die zijn vastgelegd in het
            # PIP": without a PIP there are none to break.
            raise weigering("geen-pip", "A measure for the PIP's agreements needs a PIP.")
        start = leerroute.termijn_start(eerste.als_contract().vaststellingsdatum)
        # DUO sets the real end and may extend it; dossier-bron holds no DUO termijn yet.
        einde = leerroute.termijn_einde(start)
        traject = _TRAJECT_VAN.get(body.reden)
        if traject is not None:
            # The MAP's or PVT's recorded outcome (a culpable "niet afgerond") is part of what
            # a fine for not cooperating with it rests on.
            rij = await uow.session.scalar(
                select(TrajectRij).where(
                    TrajectRij.dossier_id == dossier.dossier_id, TrajectRij.soort == traject
                )
            )
            grondslag[traject] = (
                None
                if rij is None
                else {
                    "trajectId": rij.traject_id,
                    **{k: rij.gegevens[k] for k in _TRAJECTUITKOMST if k in rij.gegevens},
                }
            )
        grondslag |= {
            "pipId": eerste.pip_id,
            "termijn": {"start": start.isoformat(), "einde": einde.isoformat()},
            "opbouwRang": opbouw_rang(voorgaande, body.datum),
        }
        if body.soort is Maatregelsoort.WAARSCHUWING:
            return grondslag
        besluit = beoordeel_boete(
            voorgaande, _voorstel(body, pw_id), termijn_start=start, termijn_einde=einde
        )
    if not besluit.toegestaan:
        raise _weigering(besluit, "This fine may not be imposed.")
    grondslag["maximumInCenten"] = besluit.maximum_in_centen
    return grondslag


def _voorstel(body: Any, pw_id: str | None) -> BoeteVoorstel:
    return BoeteVoorstel(
        datum=body.datum,
        reden=body.reden,
        bedrag_in_centen=body.bedrag_in_centen,
        verwijtbaar=body.verwijtbaar,
        participatiewet_maatregel_id=pw_id,
    )


def build_router(gemeenten: Gemeenten) -> APIRouter:
    """Warnings and fines (impose, read, list, the decisions' grounds) and the Participatiewet
    measures (record, read)."""
    router = APIRouter(prefix=API_PREFIX, tags=["bron"])
    bron = Bron(gemeenten)

    @router.post(
        "/dossiers/{dossierId}/handhavingsmaatregelen",
        operation_id="handhavingsmaatregel-vastleggen",
        summary="Give a warning or impose a fine (inspanningsverplichting), by the law's rules",
        status_code=201,
        responses={201: {"model": MaatregelView}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def maatregel_vastleggen(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: MaatregelVastlegging,
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "handhavingsmaatregel",
                    Doel.UITVOERING_INBURGERING,
                    activiteit="handhavingsmaatregel vastleggen",
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            # Locked: the earlier measures read below stay what the rules saw until commit.
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(
                lezing,
                "handhavingsmaatregel",
                ["soort", "datum", "reden", "verwijtbaar", *sorted(body.model_fields_set)],
                dossier,
            )
            if body.soort is Maatregelsoort.WAARSCHUWING and body.bedrag_in_centen is not None:
                raise weigering("bedrag-bij-waarschuwing", "A warning carries no amount.")
            if body.soort is Maatregelsoort.BOETE and body.bedrag_in_centen is None:
                raise weigering("bedrag-ontbreekt", "A fine needs bedragInCenten.")
            sancties = await _pw_maatregelen(uow, dossier_id)
            genoemd = body.participatiewet_maatregel_id
            if genoemd is not None and genoemd not in {
                s.participatiewet_maatregel_id for s in sancties
            }:
                raise weigering(
                    "participatiewet-maatregel-onbekend",
                    "participatiewetMaatregelId names no Participatiewet measure of this dossier.",
                )
            pw_id = genoemd or participatiewet_sanctie(
                (
                    ParticipatiewetSanctie(
                        s.participatiewet_maatregel_id, Maatregelreden(s.gedraging), s.besluitdatum
                    )
                    for s in sancties
                ),
                body.reden,
                body.datum,
            )
            eerdere = await _maatregelen(uow, dossier_id)
            grondslag = await _beoordeel(uow, dossier, body, eerdere, pw_id)
            if pw_id is not None:
                grondslag["participatiewetMaatregelId"] = pw_id
            rij = HandhavingsmaatregelRij(
                handhavingsmaatregel_id=domain.nieuw_id("hm"),
                dossier_id=dossier_id,
                soort=body.soort.value,
                datum=body.datum,
                reden=body.reden.value,
                bedrag_in_centen=body.bedrag_in_centen,
                verwijtbaar=body.verwijtbaar,
                rechtsmiddel=Rechtsmiddel.GEEN.value,
                # A warning records the link (no fine may follow); a fine cannot carry one.
                participatiewet_maatregel_id=(
                    pw_id if body.soort is Maatregelsoort.WAARSCHUWING else None
                ),
                gebaseerd_op=grondslag,
                vastgelegd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            try:
                contract = als_maatregel(rij)
            except ValidationError:
                raise Problem(422, detail="The measure breaks its contract.") from None
            uow.session.add(rij)
            soort = (
                "inspanningsverplichting.boete.opgelegd"
                if body.soort is Maatregelsoort.BOETE
                else "inspanningsverplichting.waarschuwing.gegeven"
            )
            bron.emit(
                keten,
                uow,
                soort,
                dossier,
                "handhavingsmaatregel",
                rij.handhavingsmaatregel_id,
                {"handhavingsmaatregelId": rij.handhavingsmaatregel_id, "dossierId": dossier_id},
            )
            await uow.session.flush()
            view = await lezing.lever(contract, rij=_rij(dossier), betrokkene=_betrokkene(dossier))
        return JSONResponse(served_json(view), status_code=201)

    @router.put(
        "/handhavingsmaatregelen/{handhavingsmaatregelId}/rechtsmiddel",
        operation_id="rechtsmiddel-vastleggen",
        summary="Record an objection or appeal against a fine (what DUO may ask for)",
        responses={200: {"model": MaatregelView}, **_ERRORS},
    )
    async def rechtsmiddel_vastleggen(
        maatregel_id: Annotated[
            str, Path(alias="handhavingsmaatregelId", pattern=OPAQUE_ID_PATTERN)
        ],
        body: RechtsmiddelVastlegging,
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "handhavingsmaatregel",
                    Doel.UITVOERING_INBURGERING,
                    activiteit="rechtsmiddel vastleggen",
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            rij = await uow.session.get(HandhavingsmaatregelRij, maatregel_id, with_for_update=True)
            if rij is None:
                await lezing.niet_gevonden(maatregel_id)
            dossier = await eigen_dossier(
                uow,
                lezing,
                rij.dossier_id,
                wijzigen=True,
                gesloten_toegestaan=True,
                zoek_id=maatregel_id,
            )
            mag_schrijven(lezing, "handhavingsmaatregel", ["rechtsmiddel"], dossier)
            if rij.soort != Maatregelsoort.BOETE.value:
                # A warning is no besluit with a sanction: nothing to object to here.
                raise weigering("geen-boete", "Only a fine has objection or appeal data.")
            huidig = _RECHTSMIDDEL_VOLGORDE.index(Rechtsmiddel(rij.rechtsmiddel))
            if _RECHTSMIDDEL_VOLGORDE.index(body.rechtsmiddel) <= huidig:
                raise weigering(
                    "rechtsmiddel-niet-verder", "The objection or appeal record only moves on."
                )
            rij.rechtsmiddel = body.rechtsmiddel.value
            # The history of the record stays with the decision's grounds.
            rij.gebaseerd_op = {
                **rij.gebaseerd_op,
                "rechtsmiddelen": [
                    *rij.gebaseerd_op.get("rechtsmiddelen", []),
                    {
                        "rechtsmiddel": body.rechtsmiddel.value,
                        "vastgelegdOp": clock.now().isoformat(),
                        "vastgelegdDoor": lezing.caller.client_id,
                    },
                ],
            }
            await uow.session.flush()
            view = await lezing.lever(
                als_maatregel(rij), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
            )
        return JSONResponse(served_json(view))

    @router.get(
        "/handhavingsmaatregelen/{handhavingsmaatregelId}",
        operation_id="handhavingsmaatregel-lezen",
        summary="One warning or fine (the gemeente: inburgering and Participatiewet staff; "
        "CBS's reader for the SWI)",
        responses={200: {"model": MaatregelViews}, **_ERRORS},
    )
    async def maatregel_lezen(
        maatregel_id: Annotated[
            str, Path(alias="handhavingsmaatregelId", pattern=OPAQUE_ID_PATTERN)
        ],
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(gemeente_lezing("handhavingsmaatregel", "handhavingsmaatregel lezen")),
        ],
    ) -> Response:
        rij, dossier = await met_dossier(keten, lezing, HandhavingsmaatregelRij, maatregel_id)
        view = await lezing.lever(
            als_maatregel(rij), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
        )
        return JSONResponse(served_json(view))

    @router.get(
        "/dossiers/{dossierId}/handhavingsmaatregelen",
        operation_id="handhavingsmaatregelen-lijst",
        summary="The warnings and fines of one dossier, oldest first",
        responses={200: {"model": list[MaatregelView]}, **_ERRORS},
    )
    async def maatregelen_lijst(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(gemeente_lezing("handhavingsmaatregel", "handhavingsmaatregelen lezen")),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id)
            rijen = await _maatregelen(uow, dossier_id)
        views = await lezing.lever_alle(
            (als_maatregel(r), _rij(dossier), _betrokkene(dossier)) for r in rijen
        )
        return JSONResponse(served_json(views))

    @router.get(
        "/dossiers/{dossierId}/handhavingsmaatregelen/besluiten",
        operation_id="handhavingsmaatregelen-besluiten",
        summary="Every warning and fine with what its decision rested on (opbouw, termijn, "
        "missed invitations)",
        responses={200: {"description": "Measures, oldest first"}, **_ERRORS},
    )
    async def maatregelen_besluiten(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "handhavingsmaatregel",
                    Doel.UITVOERING_INBURGERING,
                    activiteit="handhavingsbesluiten lezen",
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id)
            rijen = await _maatregelen(uow, dossier_id)
        views = await lezing.lever_alle(
            (als_maatregel(r), _rij(dossier), _betrokkene(dossier)) for r in rijen
        )
        return JSONResponse(
            [
                {"handhavingsmaatregel": served_json(view), "gebaseerdOp": r.gebaseerd_op}
                for r, view in zip(rijen, views, strict=True)
            ]
        )

    @router.post(
        "/dossiers/{dossierId}/participatiewet-maatregelen",
        operation_id="participatiewet-maatregel-vastleggen",
        summary="Record a Participatiewet measure for conduct that is also inburgering conduct "
        "(the klantmanager Participatiewet)",
        status_code=201,
        responses={201: {"model": PwMaatregelView}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def pw_maatregel_vastleggen(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: PwMaatregelVastlegging,
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "participatiewet-maatregel",
                    Doel.UITVOERING_PARTICIPATIEWET,
                    activiteit="participatiewet-maatregel vastleggen",
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(
                lezing, "participatiewet-maatregel", ["gedraging", "besluitdatum"], dossier
            )
            rij = ParticipatiewetMaatregelRij(
                participatiewet_maatregel_id=domain.nieuw_id("pwm"),
                dossier_id=dossier_id,
                gedraging=body.gedraging.value,
                besluitdatum=body.besluitdatum,
                vastgelegd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            uow.session.add(rij)
            # No event: Participatiewet data is read inside the gemeente, at the moment a
            # fine is considered, and announced to no chain partner.
            await uow.session.flush()
            view = await lezing.lever(
                als_pw_maatregel(rij, dossier), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
            )
        return JSONResponse(served_json(view), status_code=201)

    @router.get(
        "/participatiewet-maatregelen/{participatiewetMaatregelId}",
        operation_id="participatiewet-maatregel-lezen",
        summary="One Participatiewet measure (the gemeente: both functies read it)",
        responses={200: {"model": PwMaatregelView}, **_ERRORS},
    )
    async def pw_maatregel_lezen(
        pw_id: Annotated[str, Path(alias="participatiewetMaatregelId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                gemeente_lezing("participatiewet-maatregel", "participatiewet-maatregel lezen")
            ),
        ],
    ) -> Response:
        rij, dossier = await met_dossier(keten, lezing, ParticipatiewetMaatregelRij, pw_id)
        view = await lezing.lever(
            als_pw_maatregel(rij, dossier), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
        )
        return JSONResponse(served_json(view))

    @router.get(
        "/handhavingsverzoeken/{handhavingsverzoekId}/handhavingsmaatregelen",
        operation_id="handhavingsverzoek-beantwoorden",
        summary="DUO's read of the fines its request names (never warnings)",
        responses={200: {"description": "The fines named, DUO's view"}, **_ERRORS},
    )
    async def verzoek_beantwoorden(
        verzoek_id: Annotated[str, Path(alias="handhavingsverzoekId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "handhavingsmaatregel",
                    Doel.HANDHAVINGSVERZOEK,
                    activiteit="handhavingsverzoek beantwoorden",
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            verzoek = await uow.session.get(HandhavingsverzoekRij, verzoek_id)
            dossier = (
                None
                if verzoek is None
                else (
                    await uow.session.execute(
                        select(DossierRij).where(
                            DossierRij.gemeentecode == verzoek.gemeentecode,
                            DossierRij.inburgeringsplicht_id == verzoek.inburgeringsplicht_id,
                        )
                    )
                ).scalar_one_or_none()
            )
            if verzoek is None or dossier is None:
                await lezing.niet_gevonden(verzoek_id)
            rijen = await _maatregelen(uow, dossier.dossier_id)
        # The read kit decides per measure (``access.projecteer``): a fine the request names,
        # of the request's gemeente and person, in DUO's view; anything else is left out.
        rij = Rij(
            gemeentecode=dossier.gemeentecode,
            doelgroep=Doelgroep(dossier.doelgroep) if dossier.doelgroep else None,
            inburgeringsplicht_id=dossier.inburgeringsplicht_id,
            handhavingsverzoek=Handhavingsverzoek.model_validate(verzoek.gegevens),
        )
        views = await lezing.lever_alle(
            (als_maatregel(r), rij, _betrokkene(dossier)) for r in rijen
        )
        return JSONResponse(served_json(views))

    return router


def met_handhavingsverzoeken(
    events: EventRouter, gemeenten: Gemeenten, lezer: DatarefLezer
) -> EventRouter:
    """``events`` plus the handler of DUO's ``handhavingsverzoek.ingediend``: the request is
    fetched at DUO's source (the event's ``dataref``) and kept, for DUO's read of the fines.
    Idempotent: a repeated event keeps the first copy."""

    @events.on(f"{TYPE_PREFIX}handhavingsverzoek.ingediend.v1")
    async def verzoek_ingediend(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        if not gemeenten.bedient(envelope.gemeentecode):
            return
        if not envelope.dataref:
            raise PermanentError(f"event {envelope.id} has no dataref")
        # The gemeente's view of the request (every field of it is the gemeente's to read).
        verzoek: Any = await lezer.haal(str(envelope.dataref), "handhavingsverzoek")
        if not gemeenten.bedient(verzoek.gemeentecode):
            return
        if await uow.session.get(HandhavingsverzoekRij, verzoek.handhavingsverzoek_id):
            return
        uow.session.add(
            HandhavingsverzoekRij(
                handhavingsverzoek_id=verzoek.handhavingsverzoek_id,
                gemeentecode=verzoek.gemeentecode,
                inburgeringsplicht_id=verzoek.inburgeringsplicht_id,
                gegevens=verzoek.model_dump(mode="json", by_alias=True, exclude_none=True),
                ontvangen_op=clock.now(),
            )
        )

    return events
