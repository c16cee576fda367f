"""The MAP and the PVT of a dossier (issue 10): the gemeente records the start, then the outcome,
and DUO reads both under its own purpose.

Domain primer section 3: "MAP ends with final conversation, PVT with signing" and the gemeente
tells DUO "date done, or not done + reason + culpable yes/no" (seed 001, row "Minister van
SZW/DUO", items e-j: "Start MAP (gepland/gerealiseerd)", "Map gehaald ja/nee", "Datum behalen
MAP", "Redenen niet behalen MAP", "Verwijtbaar/niet verwijtbaar"; the same for the PVT). A
culpable "niet afgerond" is what a fine for ``map-niet-meewerken``/``pvt-niet-meewerken`` may
later rest on.

- ``POST /dossiers/{dossierId}/<collection>``: the traject started (one MAP and one PVT per
  dossier): ``<soort>.gestart``.
- ``POST /<collection>/{id}/afronding``: the outcome, once: ``<soort>.afgerond`` with the date,
  or ``<soort>.niet-afgerond`` with a reason code and culpability.
- ``GET /<collection>/{id}``: through the read kit, the gemeente and DUO each under its purpose.

Writes by the medewerker inburgering only (``access.mag_wijzigen``); events thin, keyed by the
dossier, under its gemeente (``api.Bron``).
"""

# No ``from __future__ import annotations``: the routes are built in a loop and their path
# parameters are closure variables, which FastAPI can only see as evaluated annotations.

from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from pydantic import Field, ValidationError
from sqlalchemy import select

from keten_contracts.clients import Doel
from keten_contracts.common import (
    OPAQUE_ID_PATTERN,
    ContractModel,
    OpaqueId,
    RedenLateStart,
    RedenNietAfgerond,
)
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import MapTraject, PvtTraject
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
    eigen_dossier,
    lezing_per_rol,
    mag_schrijven,
    met_dossier,
    weigering,
)
from .domain import Gemeenten
from .models import TrajectRij

__all__ = ["SOORTEN", "Trajectafronding", "Trajectstart", "build_router", "uitkomst_weigering"]

Runtime = Annotated[ServiceRuntime, Depends(runtime)]
_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 409, 422, 503)}

# resource -> contract model (the id field is ``<resource>_id``).
SOORTEN: Final[dict[str, type[ContractModel]]] = {"map": MapTraject, "pvt": PvtTraject}


class Trajectstart(ContractModel):
    """The traject started: planned and realised start and the planned deadline."""

    start_gepland: date = Field(description="Planned start.")
    start_gerealiseerd: date = Field(description="Realised start.")
    uiterste_datum_gepland: date = Field(description="Planned deadline.")
    reden_late_start: RedenLateStart | None = Field(
        default=None, description="Reason for a start after the planned one."
    )
    opdracht_id: OpaqueId | None = Field(default=None, description="The opdracht, if any.")


class Trajectafronding(ContractModel):
    """The outcome: done on ``datumAfgerond``, or not done with a reason and culpability."""

    afgerond: bool = Field(description="Done (eindgesprek held / verklaring signed).")
    datum_afgerond: date | None = Field(default=None, description="Date done (when done).")
    reden_niet_afgerond: RedenNietAfgerond | None = Field(
        default=None, description="Reason not done (when not done)."
    )
    verwijtbaar: bool | None = Field(
        default=None, description="Not done through the person's fault (when not done)."
    )


def uitkomst_weigering(start: date, uitkomst: Trajectafronding) -> str | None:
    """Why an outcome is incomplete or contradictory (a reason code), or None. Seed 001 asks
    for "Datum behalen" when done and "Redenen niet behalen" with "Verwijtbaar/niet
    verwijtbaar" when not: each outcome carries its own items and not the other's."""
    if uitkomst.afgerond:
        if uitkomst.datum_afgerond is None:
            return "datum-afgerond-ontbreekt"
        if uitkomst.reden_niet_afgerond is not None or uitkomst.verwijtbaar is not None:
            return "afgerond-met-reden"
        if uitkomst.datum_afgerond < start:
            return "afgerond-voor-start"
        return None
    if uitkomst.datum_afgerond is not None:
        return "niet-afgerond-met-datum"
    if uitkomst.reden_niet_afgerond is None or uitkomst.verwijtbaar is None:
        # Culpability decides whether a fine may follow (seed 002 section 4.7, Awb 5:41).
        return "reden-of-verwijtbaarheid-ontbreekt"
    return None


def _traject(rij: TrajectRij, model: type[ContractModel]) -> Any:
    return model.model_validate(
        {**rij.gegevens, f"{rij.soort}Id": rij.traject_id, "dossierId": rij.dossier_id}
    )


def build_router(gemeenten: Gemeenten) -> APIRouter:
    """The MAP and PVT routes."""
    router = APIRouter(prefix=API_PREFIX, tags=["bron"])
    bron = Bron(gemeenten)
    for soort, model in SOORTEN.items():
        _routes(router, bron, soort, model)
    return router


def _routes(router: APIRouter, bron: Bron, soort: str, model: type[ContractModel]) -> None:
    collection = get_resource(soort).collection
    id_alias = f"{soort}Id"
    View: Any = view_model(soort, Rol.GEMEENTE, same_gemeente=True)
    Views: Any = gedocumenteerde_views(soort, Rol.GEMEENTE, Rol.DUO, Rol.CBS)
    start_lezing = bron_lezing(soort, Doel.UITVOERING_INBURGERING, activiteit=f"{soort} starten")
    afronding_lezing = bron_lezing(
        soort, Doel.UITVOERING_INBURGERING, activiteit=f"{soort} afronden"
    )

    async def starten(
        dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
        body: Trajectstart,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(start_lezing)],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            dossier = await eigen_dossier(uow, lezing, dossier_id, wijzigen=True)
            mag_schrijven(lezing, soort, sorted(body.model_fields_set), dossier)
            bestaand = await uow.session.scalar(
                select(TrajectRij.traject_id).where(
                    TrajectRij.dossier_id == dossier_id, TrajectRij.soort == soort
                )
            )
            if bestaand is not None:
                raise Problem(409, detail=f"This dossier has a {soort} already.", reden="bestaat")
            if body.uiterste_datum_gepland < body.start_gepland:
                raise weigering("uiterste-datum-voor-start", "The deadline is before the start.")
            rij = TrajectRij(
                traject_id=domain.nieuw_id(soort),
                dossier_id=dossier_id,
                soort=soort,
                gegevens=body.model_dump(mode="json", by_alias=True, exclude_none=True),
                gewijzigd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            try:
                contract = _traject(rij, model)
            except ValidationError:
                raise Problem(422, detail=f"The {soort} breaks its contract.") from None
            uow.session.add(rij)
            bron.emit(
                keten,
                uow,
                f"{soort}.gestart",
                dossier,
                soort,
                rij.traject_id,
                {id_alias: rij.traject_id, "dossierId": dossier_id},
            )
            await uow.session.flush()
            view = await lezing.lever(contract, rij=_rij(dossier), betrokkene=_betrokkene(dossier))
        return JSONResponse(served_json(view), status_code=201)

    router.add_api_route(
        f"/dossiers/{{dossierId}}/{collection}",
        starten,
        methods=["POST"],
        operation_id=f"{soort}-starten",
        summary=f"The {soort} started (one per dossier)",
        status_code=201,
        responses={201: {"model": View}, **_ERRORS},
    )

    async def afronden(
        traject_id: Annotated[str, Path(alias="trajectId", pattern=OPAQUE_ID_PATTERN)],
        body: Trajectafronding,
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(afronding_lezing)],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            rij = await uow.session.get(TrajectRij, traject_id, with_for_update=True)
            if rij is None or rij.soort != soort:
                await lezing.niet_gevonden(traject_id)
            dossier = await eigen_dossier(
                uow, lezing, rij.dossier_id, wijzigen=True, zoek_id=traject_id
            )
            mag_schrijven(lezing, soort, ["afgerond", *sorted(body.model_fields_set)], dossier)
            if rij.gegevens.get("afgerond") is not None:
                # The outcome is reported once (DUO acts on it); a correction is another step.
                raise Problem(409, detail=f"This {soort} has its outcome.", reden="al-beeindigd")
            start = date.fromisoformat(rij.gegevens["startGerealiseerd"])
            reden = uitkomst_weigering(start, body)
            if reden is not None:
                raise weigering(reden, f"This outcome of the {soort} is incomplete or contradicts.")
            rij.gegevens = {
                **rij.gegevens,
                **body.model_dump(mode="json", by_alias=True, exclude_none=True),
            }
            rij.gewijzigd_op = clock.now()
            try:
                contract = _traject(rij, model)
            except ValidationError:
                raise Problem(422, detail=f"The {soort} breaks its contract.") from None
            bron.emit(
                keten,
                uow,
                f"{soort}.afgerond" if body.afgerond else f"{soort}.niet-afgerond",
                dossier,
                soort,
                rij.traject_id,
                {id_alias: rij.traject_id, "dossierId": rij.dossier_id},
            )
            await uow.session.flush()
            view = await lezing.lever(contract, rij=_rij(dossier), betrokkene=_betrokkene(dossier))
        return JSONResponse(served_json(view))

    router.add_api_route(
        f"/{collection}/{{trajectId}}/afronding",
        afronden,
        methods=["POST"],
        operation_id=f"{soort}-afronden",
        summary=f"The {soort}'s outcome: done with its date, or not done with reason and "
        "culpability",
        responses={200: {"model": View}, **_ERRORS},
    )

    lees_lezing = lezing_per_rol(soort)

    async def lezen(
        traject_id: Annotated[str, Path(alias="trajectId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(lees_lezing)],
    ) -> Response:
        rij, dossier = await met_dossier(keten, lezing, TrajectRij, traject_id)
        if rij.soort != soort:  # a MAP's id asked as a PVT: unknown there
            await lezing.niet_gevonden(traject_id)
        view = await lezing.lever(
            _traject(rij, model), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
        )
        return JSONResponse(served_json(view))

    router.add_api_route(
        f"/{collection}/{{trajectId}}",
        lezen,
        methods=["GET"],
        operation_id=f"{soort}-lezen",
        summary=f"One {soort} (the caller's view: the gemeente, or DUO for plicht and termijnen)",
        responses={200: {"model": Views}, **_ERRORS},
    )
