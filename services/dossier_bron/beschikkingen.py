"""The gemeente's writes on the dossier: the brede intake and the PIP (a versioned
beschikking), with their thin events on the gemeente topic.

Every write is by the gemeente's staff, authenticated, for ``Doel.UITVOERING_INBURGERING``
(the read kit's dependency answers 403 to a client not registered for it, e.g. a klantmanager
Participatiewet), and each written field is checked with ``access.mag_wijzigen`` (seed 002
section 4.2: "de klantmanager Participatiewet [mag] geen gegevens wijzigen die zijn vastgelegd
in het kader van de nieuwe Wet inburgering"). Another gemeente's dossier answers 404, the same
as an unknown id, and the attempt is logged. The answer is the caller's view, served through
the read kit before the commit (a failing processing-log write undoes the change).

Events (``uow.emit``): key = the dossier id (one partition per dossier keeps its order) and
``source`` = the dossier's gemeente's URN (a shared-service centre emits under each gemeente's
OIN). The rules are not here: ``intake`` (invitations, completion), ``handhaving`` (the counts)
and ``leerroute`` (termijn, switch, afschaling, intensiteit) decide; this module applies them
and turns a refusal into 422 problem+json carrying the rule's reason code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from pydantic import Field, ValidationError, create_model
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on

from keten_contracts.clients import Doel
from keten_contracts.common import (
    OPAQUE_ID_PATTERN,
    ContractModel,
    Doelgroep,
    Leerroute,
    Taalniveau,
)
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources.gemeente import Intake, Pip, PipWijzigingsoort
from keten_core import clock
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import (
    BronLezing,
    bron_lezing,
    gedocumenteerde_views,
    served_json,
)
from keten_core.uow import UnitOfWork

from . import domain, leerroute
from .api import (
    API_PREFIX,
    PROBLEM_RESPONSES,
    Bron,
    _betrokkene,
    _rij,
    eigen_dossier,
    lezing_per_rol,
    mag_schrijven,
    met_dossier,
    weigering,
)
from .brief import render_uitnodiging
from .domain import Gemeenten
from .intake import beoordeel_afronding, beoordeel_uitnodiging
from .models import DossierFeit, DossierRij, IntakeRij, PipVersieRij
from .opdrachten import taaluren

__all__ = ["build_router"]

Runtime = Annotated[ServiceRuntime, Depends(runtime)]

# 409: the dossier is closed (api.eigen_dossier), or the write conflicts with its state.
_WRITE_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 409, 422, 503)}

IntakeView: Any = view_model("intake", Rol.GEMEENTE, same_gemeente=True)
PipView: Any = view_model("pip", Rol.GEMEENTE, same_gemeente=True)
PipViews: Any = gedocumenteerde_views("pip", Rol.GEMEENTE, Rol.DUO, Rol.CBS)
IntakeViews: Any = gedocumenteerde_views("intake", Rol.GEMEENTE, Rol.CBS)


def _lezing(resource: str, activiteit: str) -> Callable[..., Awaitable[BronLezing]]:
    return bron_lezing(resource, Doel.UITVOERING_INBURGERING, activiteit=activiteit)


# --- bodies ----------------------------------------------------------------------------------


class Uitnodigingsvraag(ContractModel):
    """An invitation to the brede intake on ``datum``."""

    datum: date = Field(description="Date of the intake conversation the person is invited to.")


class Aanwezigheid(ContractModel):
    verschenen: bool = Field(description="Whether the person came to this invitation.")


# The 0.2 intake items (code lists) the gemeente records on completion: taken from the Intake
# contract itself, so a new item or code reaches this body without a second definition.
_INTAKE_ITEMS: Final = (
    "vervolggesprekken",
    "lbt_afgenomen",
    "lbt_uitslag_id",
    "lbt_uitkomst",
    "opleidingsniveau",
    "alfabetisering",
    "taalniveau",
    "arbeidsmarktperspectief",
    "zelfredzaamheid",
    "werkervaring_herkomst",
    "gewaardeerd_diploma",
    "gezinssituatie",
    "sociaal_netwerk",
    "voorinburgering",
    "onderbouwing_z_route",
)
IntakeAfronding: Any = create_model(
    "IntakeAfronding",
    __base__=ContractModel,
    __doc__="Completion of the brede intake with its items (codes, never free health data).",
    afgerond_op=(date, Field(description="Date completed.")),
    zonder_medewerking=(
        bool,
        Field(default=False, description="Completed without the person (3 missed invitations)."),
    ),
    **{n: (Intake.model_fields[n].annotation, Intake.model_fields[n]) for n in _INTAKE_ITEMS},
)

_PIP_INHOUD: Final = (
    "taalniveau_eerste_pip",
    "intensiteit_uren",
    "map_afspraken",
    "pvt_afspraken",
    "doelen",
    "redenen_niet_halen",
    "voorschoolse_educatie",
)
PipVaststelling: Any = create_model(
    "PipVaststelling",
    __base__=ContractModel,
    __doc__="The first PIP: its date starts the termijn.",
    vaststellingsdatum=(date, Pip.model_fields["vaststellingsdatum"]),
    leerroute=(Leerroute, Pip.model_fields["leerroute"]),
    **{n: (Pip.model_fields[n].annotation, Pip.model_fields[n]) for n in _PIP_INHOUD},
)
PipWijzigingVraag: Any = create_model(
    "PipWijzigingVraag",
    __base__=ContractModel,
    __doc__="A change of the PIP's content (not its leerroute): only the fields sent change.",
    datum=(date, Field(description="Date of the new version.")),
    **{
        n: (Pip.model_fields[n].annotation, Field(default=None, description=f"New {n}."))
        for n in _PIP_INHOUD
    },
)


class Leerroutewissel(ContractModel):
    datum: date = Field(description="Date of the switch (the new version).")
    leerroute: Leerroute = Field(description="The new leerroute.")
    intensiteit_uren: int | None = Field(
        default=None, ge=0, le=10_000, description="Hours of the new leerroute (B1: required)."
    )


class Afschaling(ContractModel):
    """The hours followed are not the caller's to state: the service counts what the
    aanbieders reported on the dossier's language opdrachten (``opdrachten.taaluren``)."""

    datum: date = Field(description="Date of the afschaling (the new version).")


# --- helpers ---------------------------------------------------------------------------------


async def _intake_van(
    uow: UnitOfWork, lezing: BronLezing, intake_id: str, *, wijzigen: bool = True
) -> tuple[IntakeRij, DossierRij]:
    intake = await uow.session.get(IntakeRij, intake_id, with_for_update=wijzigen)
    if intake is None:
        await lezing.niet_gevonden(intake_id)
    dossier = await eigen_dossier(
        uow, lezing, intake.dossier_id, wijzigen=wijzigen, zoek_id=intake_id
    )
    return intake, dossier


async def _lever_intake(lezing: BronLezing, intake: IntakeRij, dossier: DossierRij) -> Any:
    view = await lezing.lever(
        intake.als_contract(), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
    )
    return served_json(view)


async def _versies(uow: UnitOfWork, dossier_id: str) -> list[PipVersieRij]:
    result = await uow.session.execute(
        select(PipVersieRij)
        .where(PipVersieRij.dossier_id == dossier_id)
        .order_by(PipVersieRij.versie)
    )
    return list(result.scalars())


async def _grondslag(uow: UnitOfWork, dossier: DossierRij, **extra: Any) -> dict[str, Any]:
    """What a PIP version rests on: the intake and the dossier facts current now (the latest
    fact per field), by id, plus the decision's own inputs (``extra``)."""
    feiten = await uow.session.execute(
        select(DossierFeit.id, DossierFeit.veld)
        .where(DossierFeit.dossier_id == dossier.dossier_id)
        .ext(distinct_on(DossierFeit.veld))
        .order_by(DossierFeit.veld, DossierFeit.id.desc())
    )
    intake_id = await uow.session.scalar(
        select(IntakeRij.intake_id).where(IntakeRij.dossier_id == dossier.dossier_id)
    )
    return {
        "intakeId": intake_id,
        "feiten": {veld: feit_id for feit_id, veld in feiten},
        **extra,
    }


def _intensiteit(route: Leerroute, doelgroep: Doelgroep, uren: int | None) -> int | None:
    """The leerroute's hours per ``leerroute.vereiste_intensiteit`` (asielstatushouders only);
    the Z-route's fixed 800 when none is given. A misfit is refused with the rule's code."""
    if uren is None and leerroute.vereiste_intensiteit(route, doelgroep) is (
        leerroute.Intensiteitseis.VAST
    ):
        uren = leerroute.Z_ROUTE_UREN
    besluit = leerroute.beoordeel_intensiteit(route, doelgroep, uren)
    if not besluit.toegestaan:
        assert besluit.weigeringsreden is not None
        raise weigering(
            besluit.weigeringsreden.value,
            f"intensiteitUren does not fit the {route.value} of a {doelgroep.value}.",
        )
    return uren


async def _nieuwe_versie(
    keten: ServiceRuntime,
    uow: UnitOfWork,
    bron: Bron,
    lezing: BronLezing,
    dossier: DossierRij,
    vorige: PipVersieRij,
    gegevens: dict[str, Any],
    soort: str,
    **grondslag: Any,
) -> Any:
    """Append version ``vorige.versie + 1`` (the contract validates it first), emit ``soort``
    and serve the caller's view."""
    versie = vorige.versie + 1
    _datum_past(date.fromisoformat(gegevens["wijziging"]["datum"]), _versiedatum(vorige))
    rij = PipVersieRij(
        pip_id=domain.nieuw_id("pip"),
        dossier_id=dossier.dossier_id,
        versie=versie,
        gegevens=gegevens,
        gebaseerd_op=await _grondslag(uow, dossier, vorigePipId=vorige.pip_id, **grondslag),
        vastgelegd_op=clock.now(),
        vastgelegd_door=lezing.caller.client_id,
    )
    pip = _als_pip(rij)  # 422 before anything is stored
    uow.session.add(rij)
    bron.emit(keten, uow, soort, dossier, "pip", rij.pip_id, _pip_data(rij))
    view = await lezing.lever(pip, rij=_rij(dossier), betrokkene=_betrokkene(dossier))
    return served_json(view)


def _versiedatum(rij: PipVersieRij) -> date:
    """The date a version was decided: its change's date, or the first PIP's own date."""
    wijziging = rij.gegevens.get("wijziging")
    return date.fromisoformat(
        wijziging["datum"] if wijziging else rij.gegevens["vaststellingsdatum"]
    )


def _datum_past(datum: date, vorige: date | None) -> None:
    reden = leerroute.beoordeel_versiedatum(datum, vorige, clock.today())
    if reden is not None:
        raise weigering(reden.value, "The date of this PIP version is not possible.")


def _als_pip(rij: PipVersieRij) -> Pip:
    """The version as the contract, or 422 when it breaks one of the contract's own rules
    (the problem names no value: the body may hold personal data)."""
    try:
        return rij.als_contract()
    except ValidationError as exc:
        velden = sorted({".".join(str(p) for p in e["loc"]) or "pip" for e in exc.errors()})
        raise Problem(422, detail=f"The PIP breaks its contract at: {', '.join(velden)}.") from None


def _pip_data(rij: PipVersieRij) -> dict[str, Any]:
    return {"pipId": rij.pip_id, "dossierId": rij.dossier_id, "versie": rij.versie}


async def _huidige_pip(
    uow: UnitOfWork, dossier: DossierRij
) -> tuple[PipVersieRij, list[PipVersieRij]]:
    versies = await _versies(uow, dossier.dossier_id)
    if not versies:
        raise Problem(409, detail="This dossier has no PIP yet.")
    return versies[-1], versies


def _zonder_ids(pip: Pip) -> dict[str, Any]:
    data: dict[str, Any] = pip.model_dump(mode="json", by_alias=True, exclude_none=True)
    for veld in ("pipId", "dossierId", "versie", "wijziging"):
        data.pop(veld, None)
    return data


# --- the router ------------------------------------------------------------------------------


def build_router(gemeenten: Gemeenten) -> APIRouter:
    """The write API of the intake and the PIP (and the PIP's read at the contract path)."""
    router = APIRouter(prefix=API_PREFIX, tags=["bron"])
    bron = Bron(gemeenten)

    @router.post(
        "/dossiers/{dossierId}/intake/uitnodigingen",
        operation_id="intake-uitnodigen",
        summary="Invite the person to the brede intake (at most 3 invitations)",
        status_code=201,
        responses={201: {"model": IntakeView}, **_WRITE_ERRORS},
    )
    async def intake_uitnodigen(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: Uitnodigingsvraag,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("intake", "intake uitnodigen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(lezing, "intake", ["uitnodigingen"], dossier)
            intake = (
                await uow.session.execute(
                    select(IntakeRij).where(IntakeRij.dossier_id == dossier_id).with_for_update()
                )
            ).scalar_one_or_none()
            if intake is None:
                intake = IntakeRij(
                    intake_id=domain.nieuw_id("int"),
                    dossier_id=dossier_id,
                    uitnodigingen=[],
                    afgerond_zonder_medewerking=False,
                    gegevens={},
                    gewijzigd_op=clock.now(),
                )
                uow.session.add(intake)
            reden = beoordeel_uitnodiging(intake.uitnodigingen, intake.afgerond_op is not None)
            if reden is not None:
                raise weigering(reden.value, "No further invitation to this brede intake.")
            intake.uitnodigingen = [
                *intake.uitnodigingen,
                {
                    "datum": body.datum.isoformat(),
                    "volgnummer": len(intake.uitnodigingen) + 1,
                    "verschenen": None,
                },
            ]
            intake.gewijzigd_op = clock.now()
            bron.emit(
                keten,
                uow,
                "intake-uitnodiging.verstuurd",
                dossier,
                "intake",
                intake.intake_id,
                {"intakeId": intake.intake_id, "dossierId": dossier_id},
            )
            await uow.session.flush()
            served = await _lever_intake(lezing, intake, dossier)
        return JSONResponse(served, status_code=201)

    @router.put(
        "/intakes/{intakeId}/uitnodigingen/{volgnummer}/aanwezigheid",
        operation_id="intake-aanwezigheid-vastleggen",
        summary="Record whether the person came to an invitation",
        responses={200: {"model": IntakeView}, **_WRITE_ERRORS},
    )
    async def aanwezigheid_vastleggen(
        intake_id: Annotated[str, Path(alias="intakeId", pattern=OPAQUE_ID_PATTERN)],
        volgnummer: Annotated[int, Path(ge=1, le=3)],
        body: Aanwezigheid,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("intake", "aanwezigheid vastleggen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            intake, dossier = await _intake_van(uow, lezing, intake_id)
            mag_schrijven(lezing, "intake", ["uitnodigingen", "eerste_gesprek_op"], dossier)
            if intake.afgerond_op is not None:
                raise weigering("intake-al-afgerond", "The brede intake is completed.")
            if volgnummer > len(intake.uitnodigingen):
                raise weigering("onbekende-uitnodiging", "No such invitation.")
            uitnodigingen = [dict(u) for u in intake.uitnodigingen]
            uitnodigingen[volgnummer - 1]["verschenen"] = body.verschenen
            intake.uitnodigingen = uitnodigingen
            if body.verschenen and intake.eerste_gesprek_op is None:
                intake.eerste_gesprek_op = date.fromisoformat(
                    uitnodigingen[volgnummer - 1]["datum"]
                )
            intake.gewijzigd_op = clock.now()
            await uow.session.flush()
            served = await _lever_intake(lezing, intake, dossier)
        return JSONResponse(served)

    @router.get(
        "/intakes/{intakeId}/uitnodigingen/{volgnummer}/brief",
        operation_id="intake-uitnodigingsbrief",
        summary="The invitation letter as PDF (holds no BSN)",
        responses={
            200: {"content": {"application/pdf": {}}, "description": "The letter"},
            **_WRITE_ERRORS,
        },
    )
    async def uitnodigingsbrief(
        intake_id: Annotated[str, Path(alias="intakeId", pattern=OPAQUE_ID_PATTERN)],
        volgnummer: Annotated[int, Path(ge=1, le=3)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("intake", "uitnodigingsbrief maken"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            intake, dossier = await _intake_van(uow, lezing, intake_id, wijzigen=False)
        if volgnummer > len(intake.uitnodigingen):
            await lezing.niet_gevonden(f"{intake_id}/{volgnummer}")
        # Served (and logged) as a read of the intake: the letter prints the person's name
        # and address from the dossier and the invitation's date; never the BSN.
        await lezing.lever(
            intake.als_contract(), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
        )
        uitnodiging = intake.uitnodigingen[volgnummer - 1]
        pdf = render_uitnodiging(
            voornamen=dossier.voornamen or "",
            geslachtsnaam=dossier.geslachtsnaam or "",
            adres=dossier.adres or {},
            datum=date.fromisoformat(uitnodiging["datum"]),
            volgnummer=volgnummer,
            kenmerk=intake.intake_id,
        )
        return Response(pdf, media_type="application/pdf")

    @router.post(
        "/intakes/{intakeId}/afronding",
        operation_id="intake-afronden",
        summary="Complete the brede intake (with its items), or without the person after 3 "
        "missed invitations",
        responses={200: {"model": IntakeView}, **_WRITE_ERRORS},
    )
    async def intake_afronden(
        intake_id: Annotated[str, Path(alias="intakeId", pattern=OPAQUE_ID_PATTERN)],
        body: IntakeAfronding,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("intake", "intake afronden"))],
    ) -> Response:
        items = body.model_dump(
            mode="json", by_alias=True, exclude_none=True, include=set(_INTAKE_ITEMS)
        )
        # Every intake item sent is a field of the Intake contract the caller must be allowed
        # to write (zonderMedewerking is afgerond_zonder_medewerking).
        items_gezet = sorted(body.model_fields_set & set(_INTAKE_ITEMS))
        async with keten.unit_of_work() as uow:
            intake, dossier = await _intake_van(uow, lezing, intake_id)
            mag_schrijven(
                lezing,
                "intake",
                ["afgerond_op", "afgerond_zonder_medewerking", *items_gezet],
                dossier,
            )
            reden = beoordeel_afronding(
                intake.uitnodigingen, intake.afgerond_op is not None, body.zonder_medewerking
            )
            if reden is not None:
                raise weigering(reden.value, "The brede intake cannot be completed so.")
            intake.gegevens = items
            intake.afgerond_op = body.afgerond_op
            intake.afgerond_zonder_medewerking = body.zonder_medewerking
            intake.gewijzigd_op = clock.now()
            try:
                intake.als_contract()  # the contract's own rules hold
            except ValidationError:
                raise Problem(422, detail="The intake breaks its contract.") from None
            bron.emit(
                keten,
                uow,
                "intake.afgerond",
                dossier,
                "intake",
                intake.intake_id,
                {"intakeId": intake.intake_id, "dossierId": dossier.dossier_id},
            )
            await uow.session.flush()
            served = await _lever_intake(lezing, intake, dossier)
        return JSONResponse(served)

    @router.get(
        "/intakes/{intakeId}",
        operation_id="intake-lezen",
        summary="The brede intake (the caller's view)",
        responses={200: {"model": IntakeViews}, **_WRITE_ERRORS},
    )
    async def intake_lezen(
        intake_id: Annotated[str, Path(alias="intakeId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "intake",
                    Doel.UITVOERING_INBURGERING,
                    per_rol={Rol.CBS: Doel.STATISTIEK_SWI},
                )
            ),
        ],
    ) -> Response:
        intake, dossier = await met_dossier(keten, lezing, IntakeRij, intake_id)
        return JSONResponse(await _lever_intake(lezing, intake, dossier))

    # --- PIP -------------------------------------------------------------------------------

    @router.post(
        "/dossiers/{dossierId}/pip",
        operation_id="pip-vaststellen",
        summary="Decide the PIP (version 1): its date starts the termijn",
        status_code=201,
        responses={201: {"model": PipView}, 409: PROBLEM_RESPONSES[422], **_WRITE_ERRORS},
    )
    async def pip_vaststellen(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: PipVaststelling,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("pip", "pip vaststellen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            # The intensity is checked after its rule (leerroute.vereiste_intensiteit), so a
            # misfit answers with the rule's reason code rather than a bare 403.
            velden = ["vaststellingsdatum", "leerroute", "doelgroep", *body.model_fields_set]
            mag_schrijven(lezing, "pip", [v for v in velden if v != "intensiteit_uren"], dossier)
            if await _versies(uow, dossier_id):
                raise Problem(409, detail="This dossier has a PIP: change it instead.")
            _datum_past(body.vaststellingsdatum, None)
            intake = (
                await uow.session.execute(
                    select(IntakeRij).where(IntakeRij.dossier_id == dossier_id)
                )
            ).scalar_one_or_none()
            if intake is None or intake.afgerond_op is None:
                # Seed 001 taak 7: "De gemeente stelt op basis van brede intake vast".
                raise weigering("intake-niet-afgerond", "The PIP rests on a completed intake.")
            doelgroep = Doelgroep(dossier.doelgroep)
            gegevens = body.model_dump(mode="json", by_alias=True, exclude_none=True)
            uren = _intensiteit(body.leerroute, doelgroep, body.intensiteit_uren)
            gegevens.pop("intensiteitUren", None)
            if uren is not None:
                mag_schrijven(lezing, "pip", ["intensiteit_uren"], dossier)
                gegevens["intensiteitUren"] = uren
            gegevens["doelgroep"] = doelgroep.value
            # Seed 002 section 3.4.2: three missed invitations -> "wordt de PIP eenzijdig
            # vastgesteld".
            gegevens["eenzijdigVastgesteld"] = intake.afgerond_zonder_medewerking
            rij = PipVersieRij(
                pip_id=domain.nieuw_id("pip"),
                dossier_id=dossier_id,
                versie=1,
                gegevens=gegevens,
                gebaseerd_op=await _grondslag(uow, dossier),
                vastgelegd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            pip = _als_pip(rij)
            uow.session.add(rij)
            bron.emit(keten, uow, "pip.vastgesteld", dossier, "pip", rij.pip_id, _pip_data(rij))
            await uow.session.flush()
            view = await lezing.lever(pip, rij=_rij(dossier), betrokkene=_betrokkene(dossier))
        return JSONResponse(served_json(view), status_code=201)

    @router.post(
        "/dossiers/{dossierId}/pip/wijzigingen",
        operation_id="pip-wijzigen",
        summary="Change the PIP's content: a new version",
        status_code=201,
        responses={201: {"model": PipView}, 409: PROBLEM_RESPONSES[422], **_WRITE_ERRORS},
    )
    async def pip_wijzigen(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: PipWijzigingVraag,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("pip", "pip wijzigen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(
                lezing,
                "pip",
                ["wijziging", *(body.model_fields_set - {"datum", "intensiteit_uren"})],
                dossier,
            )
            vorige, _ = await _huidige_pip(uow, dossier)
            huidig = vorige.als_contract()
            gegevens = _zonder_ids(huidig)
            nieuw = body.model_dump(
                mode="json", by_alias=True, exclude={"datum"}, include=body.model_fields_set
            )
            gegevens.update({k: v for k, v in nieuw.items() if v is not None})
            if "intensiteit_uren" in body.model_fields_set:
                uren = _intensiteit(
                    huidig.leerroute, Doelgroep(dossier.doelgroep), body.intensiteit_uren
                )
                gegevens.pop("intensiteitUren", None)
                if uren is not None:
                    mag_schrijven(lezing, "pip", ["intensiteit_uren"], dossier)
                    gegevens["intensiteitUren"] = uren
                soort = PipWijzigingsoort.INTENSITEIT_GEWIJZIGD
            else:
                soort = PipWijzigingsoort.OVERIG
            gegevens["wijziging"] = {"soort": soort.value, "datum": body.datum.isoformat()}
            served = await _nieuwe_versie(
                keten, uow, bron, lezing, dossier, vorige, gegevens, "pip.gewijzigd"
            )
        return JSONResponse(served, status_code=201)

    @router.post(
        "/dossiers/{dossierId}/pip/leerroutewissel",
        operation_id="leerroute-wisselen",
        summary="Switch leerroute (until 1.5 years after the termijn starts; out of the "
        "onderwijsroute the whole termijn): a new PIP version",
        status_code=201,
        responses={201: {"model": PipView}, 409: PROBLEM_RESPONSES[422], **_WRITE_ERRORS},
    )
    async def leerroute_wisselen(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: Leerroutewissel,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("pip", "leerroute wisselen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(lezing, "pip", ["leerroute", "wijziging"], dossier)
            vorige, versies = await _huidige_pip(uow, dossier)
            huidig = vorige.als_contract()
            # The termijn starts at the FIRST PIP's date; a change leaves it (seed 002 4.4).
            start = leerroute.termijn_start(versies[0].als_contract().vaststellingsdatum)
            besluit = leerroute.beoordeel_wissel(
                huidig.leerroute, body.leerroute, start, body.datum
            )
            if not besluit.toegestaan:
                assert besluit.weigeringsreden is not None
                raise weigering(besluit.weigeringsreden.value, "This switch is not allowed.")
            gegevens = _zonder_ids(huidig)
            gegevens["leerroute"] = body.leerroute.value
            gegevens.pop("intensiteitUren", None)
            uren = _intensiteit(body.leerroute, Doelgroep(dossier.doelgroep), body.intensiteit_uren)
            if uren is not None:
                mag_schrijven(lezing, "pip", ["intensiteit_uren"], dossier)
                gegevens["intensiteitUren"] = uren
            gegevens["wijziging"] = {
                "soort": PipWijzigingsoort.LEERROUTE_GEWISSELD.value,
                "datum": body.datum.isoformat(),
                "vorigeLeerroute": huidig.leerroute.value,
            }
            served = await _nieuwe_versie(
                keten, uow, bron, lezing, dossier, vorige, gegevens, "leerroute.gewisseld"
            )
        return JSONResponse(served, status_code=201)

    @router.post(
        "/dossiers/{dossierId}/pip/afschaling",
        operation_id="leerroute-afschalen",
        summary="Scale the B1 target down to A2 (after at least 600 hours): a new PIP version",
        status_code=201,
        responses={201: {"model": PipView}, 409: PROBLEM_RESPONSES[422], **_WRITE_ERRORS},
    )
    async def leerroute_afschalen(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: Afschaling,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("pip", "leerroute afschalen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(lezing, "pip", ["wijziging"], dossier)
            vorige, versies = await _huidige_pip(uow, dossier)
            huidig = vorige.als_contract()
            afgeschaald = any(
                v.als_contract().wijziging is not None
                and v.als_contract().wijziging.soort is PipWijzigingsoort.AFGESCHAALD
                for v in versies
            )
            # The current target: B1 on the B1-route until scaled down; the other routes
            # have no B1 target to lower (the rule then answers alleen-b1-naar-a2).
            van = (
                Taalniveau.A2
                if afgeschaald or huidig.leerroute is not Leerroute.B1
                else Taalniveau.B1
            )
            # Seed 002 section 4.4: "tenminste 600 uur aan taalles is gevolgd": the attended
            # hours the aanbieders reported, corrections superseding.
            gevolgd = await taaluren(uow, dossier_id)
            besluit = leerroute.beoordeel_afschaling(van, Taalniveau.A2, gevolgd.aanwezig)
            if not besluit.toegestaan:
                assert besluit.weigeringsreden is not None
                raise weigering(besluit.weigeringsreden.value, "This afschaling is not allowed.")
            gegevens = _zonder_ids(huidig)
            gegevens["wijziging"] = {
                "soort": PipWijzigingsoort.AFGESCHAALD.value,
                "datum": body.datum.isoformat(),
            }
            served = await _nieuwe_versie(
                keten,
                uow,
                bron,
                lezing,
                dossier,
                vorige,
                gegevens,
                "leerroute.afgeschaald",
                urenGevolgd=gevolgd.aanwezig,
                urenRapporten=list(gevolgd.rapporten),
            )
        return JSONResponse(served, status_code=201)

    @router.get(
        "/pips/{pipId}",
        operation_id="pip-lezen",
        summary="One PIP version (the caller's view: the gemeente, or DUO for its termijnen)",
        responses={200: {"model": PipViews}, **_WRITE_ERRORS},
    )
    async def pip_lezen(
        pip_id: Annotated[str, Path(alias="pipId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(lezing_per_rol("pip"))],
    ) -> Response:
        rij, dossier = await met_dossier(keten, lezing, PipVersieRij, pip_id)
        view = await lezing.lever(
            rij.als_contract(), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
        )
        return JSONResponse(served_json(view))

    @router.get(
        "/dossiers/{dossierId}/pip/versies",
        operation_id="pip-versies",
        summary="The PIP's history: every version with the data it was based on",
        responses={200: {"description": "Versions, oldest first"}, **_WRITE_ERRORS},
    )
    async def pip_versies(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(_lezing("pip", "pip-geschiedenis lezen"))],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await uow.session.get(DossierRij, dossier_id)
            if (
                dossier is None
                or not dossier.volledig
                or dossier.gemeentecode != lezing.caller.gemeentecode
            ):
                await lezing.niet_gevonden(dossier_id)
            versies = await _versies(uow, dossier_id)
        views = await lezing.lever_alle(
            (v.als_contract(), _rij(dossier), _betrokkene(dossier)) for v in versies
        )
        return JSONResponse(
            [
                {"pip": served_json(view), "gebaseerdOp": v.gebaseerd_op}
                for v, view in zip(versies, views, strict=True)
            ]
        )

    return router
