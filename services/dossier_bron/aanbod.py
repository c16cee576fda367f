"""The inburgeringsaanbod: the concrete offer the gemeente makes after the PIP.

Seed 002 (the chain's steps, domain primer section 3): the gemeente makes the concrete offer
at most 3 months after the PIP and tells DUO the date; a later offer means DUO extends the
termijn ex officio. So the offer is made on a PIP (``POST /pips/{pipId}/inburgeringsaanbod``,
the shape of the gemeente stand-in the reference journeys use): no PIP, no offer (404), and
only on the dossier's current version (409 ``pip-niet-actueel``); its date (default today)
cannot lie before the PIP's date, and a late date is not refused (the law attaches DUO's
extension to it, not a ban). One offer per dossier: the first offer's date is what DUO
weighs. The thin ``inburgeringsaanbod.gedaan`` goes to DUO, keyed by the dossier; DUO reads the
offer at the source under its own purpose (``lezing_per_rol``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from sqlalchemy import select

from keten_contracts.access import mag_wijzigen
from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, ContractModel
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources.gemeente import Inburgeringsaanbod
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
    met_dossier,
    weigering,
)
from .domain import Gemeenten
from .models import InburgeringsaanbodRij, PipVersieRij

__all__ = ["AanbodVraag", "build_router"]

Runtime = Annotated[ServiceRuntime, Depends(runtime)]
_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422, 503)}
AanbodView: Any = view_model("inburgeringsaanbod", Rol.GEMEENTE, same_gemeente=True)
AanbodViews: Any = gedocumenteerde_views("inburgeringsaanbod", Rol.GEMEENTE, Rol.DUO)


class AanbodVraag(ContractModel):
    """The offer the gemeente made on the PIP of the path: its date."""

    datum_aanbod: date | None = Field(default=None, description="Date of the offer (today).")


def _als_contract(rij: InburgeringsaanbodRij) -> Inburgeringsaanbod:
    return Inburgeringsaanbod(
        inburgeringsaanbod_id=rij.inburgeringsaanbod_id,
        pip_id=rij.pip_id,
        datum_aanbod=rij.datum_aanbod,
    )


def build_router(gemeenten: Gemeenten) -> APIRouter:
    """Make the offer (the gemeente) and read it (the gemeente, DUO)."""
    router = APIRouter(prefix=API_PREFIX, tags=["bron"])
    bron = Bron(gemeenten)

    @router.post(
        "/pips/{pipId}/inburgeringsaanbod",
        operation_id="inburgeringsaanbod-doen",
        summary="Record the concrete inburgeringsaanbod on the dossier's current PIP version",
        status_code=201,
        responses={201: {"model": AanbodView}, 409: PROBLEM_RESPONSES[409], **_ERRORS},
    )
    async def aanbod_doen(
        pip_id: Annotated[str, Path(alias="pipId", pattern=OPAQUE_ID_PATTERN)],
        body: AanbodVraag,
        keten: Runtime,
        lezing: Annotated[
            BronLezing,
            Depends(
                bron_lezing(
                    "inburgeringsaanbod",
                    Doel.UITVOERING_INBURGERING,
                    activiteit="inburgeringsaanbod doen",
                )
            ),
        ],
    ) -> Response:
        async with keten.unit_of_work() as uow:
            pip = await uow.session.get(PipVersieRij, pip_id)
            if pip is None:
                await lezing.niet_gevonden(pip_id)  # no PIP: no offer
            dossier = await eigen_dossier(
                uow, lezing, pip.dossier_id, wijzigen=True, zoek_id=pip_id
            )
            dossier_id = dossier.dossier_id
            velden = ("inburgeringsaanbod_id", "pip_id", "datum_aanbod")
            if not all(
                mag_wijzigen(lezing.toegang, "inburgeringsaanbod", v, _rij(dossier)) for v in velden
            ):
                # E.g. Participatiewet staff: they read inburgering data but never change it.
                raise Problem(403, detail="This client may not make the inburgeringsaanbod.")
            versies = list(
                (
                    await uow.session.execute(
                        select(PipVersieRij)
                        .where(PipVersieRij.dossier_id == dossier_id)
                        .order_by(PipVersieRij.versie)
                    )
                ).scalars()
            )
            if versies[-1].pip_id != pip_id:
                # The offer carries out the PIP as it stands, not a superseded version.
                raise Problem(
                    409,
                    detail="This PIP version was superseded; make the offer on the current one.",
                    reden="pip-niet-actueel",
                )
            datum = body.datum_aanbod or clock.today()
            if datum < versies[0].als_contract().vaststellingsdatum:
                raise weigering("aanbod-voor-pip", "The offer cannot predate the PIP.")
            bestaand = (
                await uow.session.execute(
                    select(InburgeringsaanbodRij.inburgeringsaanbod_id).where(
                        InburgeringsaanbodRij.dossier_id == dossier_id
                    )
                )
            ).scalar_one_or_none()
            if bestaand is not None:
                raise Problem(
                    409,
                    detail="This dossier's inburgeringsaanbod was made already.",
                    reden="aanbod-al-gedaan",
                )
            rij = InburgeringsaanbodRij(
                inburgeringsaanbod_id=domain.nieuw_id("ia"),
                dossier_id=dossier_id,
                pip_id=versies[-1].pip_id,
                datum_aanbod=datum,
                vastgelegd_op=clock.now(),
                vastgelegd_door=lezing.caller.client_id,
            )
            uow.session.add(rij)
            bron.emit(
                keten,
                uow,
                "inburgeringsaanbod.gedaan",
                dossier,
                "inburgeringsaanbod",
                rij.inburgeringsaanbod_id,
                {"inburgeringsaanbodId": rij.inburgeringsaanbod_id, "pipId": rij.pip_id},
            )
            await uow.session.flush()
            # Served (and logged) before the commit: a failing log write undoes the offer.
            view = await lezing.lever(
                _als_contract(rij), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
            )
        return JSONResponse(served_json(view), status_code=201)

    @router.get(
        "/inburgeringsaanbiedingen/{inburgeringsaanbodId}",
        operation_id="inburgeringsaanbod-lezen",
        summary="The inburgeringsaanbod (the gemeente, or DUO for the termijn)",
        responses={200: {"model": AanbodViews}, **_ERRORS},
    )
    async def aanbod_lezen(
        aanbod_id: Annotated[str, Path(alias="inburgeringsaanbodId", pattern=OPAQUE_ID_PATTERN)],
        keten: Runtime,
        lezing: Annotated[BronLezing, Depends(lezing_per_rol("inburgeringsaanbod"))],
    ) -> Response:
        rij, dossier = await met_dossier(keten, lezing, InburgeringsaanbodRij, aanbod_id)
        # The kit decides: another gemeente's offer answers 404, like an unknown id.
        view = await lezing.lever(
            _als_contract(rij), rij=_rij(dossier), betrokkene=_betrokkene(dossier)
        )
        return JSONResponse(served_json(view))

    return router
