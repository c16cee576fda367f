"""The cbs-leverancier's API: freeze a quarter's delivery, list deliveries and their versions,
fetch a delivery, its manifest and its file, and check that a version rebuilds to its bytes.

Every answer goes through the read kit (``keten_core.source_read``): the caller is a ZGW JWT
client of the registry, the view is projected per role (``cbs-levering``: the gemeente reads the
manifest of its own deliveries, CBS every delivery with its file) and every read is written to
the processing log; the file's download also logs one record per person in it, so a
subject-access request finds CBS's download. Errors are problem+json (``keten_core.problems``).

- ``POST /leveringen``: the gemeente freezes its quarter's next version (v1, then
  corrections); 409 before the cut-off, or when a correction would change nothing.
- ``GET /leveringen`` and ``/leveringen/{id}``: the deliveries (every version); CBS's view of
  one holds the file (base64), the gemeente's only the manifest fields.
- ``GET /leveringen/{id}/manifest``: quarter, gemeente, counts, checksum, build time.
- ``GET /leveringen/{id}/bestand``: the XML file (CBS only).
- ``GET /leveringen/{id}/controle``: the gemeente checks that the version rebuilds to its
  bytes, from its frozen snapshot and from the history at its freeze moment.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from sqlalchemy import select

from keten_contracts.access import Rij
from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, ContractModel, Kwartaal
from keten_contracts.envelope import source_urn
from keten_contracts.parties import Rol
from keten_contracts.resources.cbs import CbsLevering
from keten_contracts.swi import SwiManifest
from keten_core import clock
from keten_core.problems import Problem, problem_responses
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import (
    GELEVERD,
    BronLezing,
    bron_lezing,
    gedocumenteerde_views,
    served_json,
)
from keten_core.versleuteling import Sleutelring
from keten_core.verwerkingslog import Betrokkene, VerwerkingslogOnbeschikbaar

from . import levering
from .models import LeveringRij

__all__ = ["API_PREFIX", "SERVICE_NAAM", "router"]

API_PREFIX: Final = "/api/v1"
SERVICE_NAAM: Final = "cbs-leverancier"
RESOURCE: Final = "cbs-levering"

PROBLEM_RESPONSES: Final = problem_responses(400, 401, 403, 404, 409, 422, 503)
_READ_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422, 503)}

Runtime = Annotated[ServiceRuntime, Depends(runtime)]

# The gemeente reads under its own task, CBS under the SWI (the purpose is the endpoint's).
LEZEN: Final = bron_lezing(
    RESOURCE, Doel.STATISTIEK_SWI, per_rol={Rol.GEMEENTE: Doel.UITVOERING_INBURGERING}
)
BESTAND_LEZEN: Final = bron_lezing(RESOURCE, Doel.STATISTIEK_SWI, activiteit="swi-bestand lezen")
SAMENSTELLEN: Final = bron_lezing(
    RESOURCE, Doel.UITVOERING_INBURGERING, activiteit="swi-levering samenstellen"
)
LeveringViews: Any = gedocumenteerde_views(RESOURCE, Rol.GEMEENTE, Rol.CBS)

router = APIRouter(prefix=API_PREFIX, tags=["leveringen"])


async def sleutelring(request: Request) -> Sleutelring:
    """The keys of the snapshots and files at rest (``KETEN_CBS_SLEUTELS``)."""
    ring: Sleutelring = request.app.state.cbs_sleutelring
    return ring


Ring = Annotated[Sleutelring, Depends(sleutelring)]


async def event_bron(request: Request) -> Callable[[str], str | None]:
    """The CloudEvents ``source`` of a gemeente's delivery event: its own OIN where configured
    (``KETEN_CBS_GEMEENTEN``), else the service's (``KETEN_OIN``)."""
    gemeenten: Mapping[str, str] = request.app.state.cbs_gemeenten

    def bron(gemeentecode: str) -> str | None:
        oin = gemeenten.get(gemeentecode)
        return source_urn(oin, SERVICE_NAAM) if oin else None

    return bron


EventBron = Annotated[Callable[[str], str | None], Depends(event_bron)]
LeveringId = Annotated[str, Path(alias="leveringId", pattern=OPAQUE_ID_PATTERN)]


# The projection decides whether the caller's view holds the file; the file is decrypted only
# then, by the route, so the contract instance carries a placeholder (base64, as the field is).
_PLAATSHOUDER: Final = base64.b64encode(b"bestand")


def _contract(rij: LeveringRij, *, met_bestand: bool = False) -> CbsLevering:
    manifest = SwiManifest.model_validate(rij.manifest)
    return CbsLevering(
        levering_id=rij.levering_id,
        gemeentecode=rij.gemeentecode,
        kwartaal=rij.kwartaal,
        layout_versie=manifest.layout_versie,
        aangemaakt_op=rij.aangemaakt_op,
        aantal_records=manifest.aantallen.records,
        sha256=rij.sha256,
        levering_versie=rij.versie,
        bestandsnaam=rij.bestandsnaam,
        aantallen=manifest.aantallen,
        bestand=_PLAATSHOUDER if met_bestand else None,
    )


def _rij(rij: LeveringRij) -> Rij:
    return Rij(gemeentecode=rij.gemeentecode)


async def _laad(keten: ServiceRuntime, lezing: BronLezing, levering_id: str) -> LeveringRij:
    async with keten.unit_of_work() as uow:
        rij = await uow.session.get(LeveringRij, levering_id)
    if rij is None:
        await lezing.niet_gevonden(levering_id)
    return rij


async def _personen_loggen(lezing: BronLezing, ring: Sleutelring, rij: LeveringRij) -> None:
    """One processing-log record per person in a file CBS received (the subject-access
    request of each of them finds it), committed before the file leaves."""
    records = levering.records_uit_snapshot(ring.ontsleutel(rij.snapshot))
    log = lezing.verwerkingslog
    try:
        entries = [
            log.record(
                activiteit=lezing.activiteit,
                resource=RESOURCE,
                caller=lezing.caller,
                doel=lezing.doel.value,
                uitkomst=GELEVERD,
                resource_id=rij.levering_id,
                betrokkene=Betrokkene("bsn", r.persoon.bsn),
                velden=("bestand",),
            )
            for r in records
        ]
        if entries:
            await log.schrijf(*entries)
    except VerwerkingslogOnbeschikbaar as exc:
        raise Problem(
            503,
            detail="The processing log cannot be written, so no personal data is served.",
            headers={"Retry-After": "5"},
        ) from exc


class LeveringAanvraag(ContractModel):
    """Freeze the next version of a quarter for the caller's gemeente."""

    kwartaal: Kwartaal = Field(description="Quarter, e.g. 2026-Q1 (after its cut-off).")


@router.post(
    "/leveringen",
    operation_id="levering-samenstellen",
    summary="Freeze the next version of the caller's gemeente's quarter (v1 at the first call, "
    "a correction after)",
    status_code=201,
    responses={
        201: {"model": LeveringViews},
        400: PROBLEM_RESPONSES[400],
        409: PROBLEM_RESPONSES[409],
        **_READ_ERRORS,
    },
)
async def levering_samenstellen(
    aanvraag: LeveringAanvraag,
    keten: Runtime,
    ring: Ring,
    bron: EventBron,
    lezing: Annotated[BronLezing, Depends(SAMENSTELLEN)],
) -> Response:
    gemeentecode = lezing.caller.gemeentecode
    if lezing.caller.rol is not Rol.GEMEENTE or gemeentecode is None:
        raise Problem(403, detail="Only a gemeente freezes its own delivery.")
    source = bron(gemeentecode) or keten.service.source
    if source is None:
        raise Problem(
            503, detail="No OIN is configured for this gemeente (KETEN_CBS_GEMEENTEN, KETEN_OIN)."
        )
    async with keten.unit_of_work() as uow:
        rij = await levering.nieuwe_levering(
            uow,
            ring,
            gemeentecode=gemeentecode,
            kwartaal=aanvraag.kwartaal,
            nu=clock.now(),
            api_root=keten.settings.base_url + API_PREFIX,
            source=source,
        )
    view = await lezing.lever(_contract(rij), rij=_rij(rij), betrokkene=None)
    return JSONResponse(served_json(view), status_code=201)


@router.get(
    "/leveringen",
    operation_id="leveringen-lijst",
    summary="The deliveries the caller may read (the gemeente its own, CBS all), every version",
    responses={200: {"model": list[LeveringViews]}, **_READ_ERRORS},
)
async def leveringen_lijst(
    keten: Runtime,
    lezing: Annotated[BronLezing, Depends(LEZEN)],
    kwartaal: Annotated[Kwartaal | None, Query(description="Only this quarter.")] = None,
) -> Response:
    statement = select(LeveringRij).order_by(
        LeveringRij.gemeentecode, LeveringRij.kwartaal, LeveringRij.versie
    )
    if kwartaal is not None:
        statement = statement.where(LeveringRij.kwartaal == kwartaal)
    if lezing.caller.rol is Rol.GEMEENTE:
        statement = statement.where(LeveringRij.gemeentecode == lezing.caller.gemeentecode)
    async with keten.unit_of_work() as uow:
        rows = list((await uow.session.execute(statement)).scalars())
    views = await lezing.lever_alle((_contract(r), _rij(r), None) for r in rows)
    return JSONResponse(served_json(views))


@router.get(
    "/leveringen/{leveringId}",
    operation_id="levering-lezen",
    summary="One version of a delivery (CBS's view holds the file, base64)",
    responses={200: {"model": LeveringViews}, **_READ_ERRORS},
)
async def levering_lezen(
    levering_id: LeveringId,
    keten: Runtime,
    ring: Ring,
    lezing: Annotated[BronLezing, Depends(LEZEN)],
) -> Response:
    rij = await _laad(keten, lezing, levering_id)
    cbs = lezing.caller.rol is Rol.CBS
    view = await lezing.lever(_contract(rij, met_bestand=cbs), rij=_rij(rij), betrokkene=None)
    served = served_json(view)
    if "bestand" in served:
        await _personen_loggen(lezing, ring, rij)
        served["bestand"] = base64.b64encode(ring.ontsleutel(rij.bestand)).decode()
    return JSONResponse(served)


@router.get(
    "/leveringen/{leveringId}/manifest",
    operation_id="levering-manifest",
    summary="The manifest: quarter, gemeente, version, counts, checksum, build time",
    responses={200: {"model": SwiManifest}, **_READ_ERRORS},
)
async def levering_manifest(
    levering_id: LeveringId,
    keten: Runtime,
    lezing: Annotated[BronLezing, Depends(LEZEN)],
) -> Response:
    rij = await _laad(keten, lezing, levering_id)
    await lezing.lever(_contract(rij), rij=_rij(rij), betrokkene=None)  # the wall, logged
    return JSONResponse(rij.manifest)


@router.get(
    "/leveringen/{leveringId}/bestand",
    operation_id="levering-bestand",
    summary="The delivery file: canonical XML in the SWI record layout (CBS only)",
    responses={
        200: {"content": {"application/xml": {}}, "description": "The file"},
        **_READ_ERRORS,
    },
)
async def levering_bestand(
    levering_id: LeveringId,
    keten: Runtime,
    ring: Ring,
    lezing: Annotated[BronLezing, Depends(BESTAND_LEZEN)],
) -> Response:
    rij = await _laad(keten, lezing, levering_id)
    view = await lezing.lever(_contract(rij, met_bestand=True), rij=_rij(rij), betrokkene=None)
    if getattr(view, "bestand", None) is None:  # a view without the file: not this caller's
        raise Problem(404, detail=f"No {RESOURCE} {levering_id!r} for this caller.")
    await _personen_loggen(lezing, ring, rij)
    return Response(
        content=ring.ontsleutel(rij.bestand),
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{rij.bestandsnaam}"'},
    )


class Controle(ContractModel):
    """Whether a delivered version rebuilds to the same bytes."""

    identiek: bool
    sha256: str = Field(description="Checksum of the delivered file.")
    uit_snapshot: str = Field(description="Checksum rebuilt from the frozen snapshot.")
    uit_historie: str = Field(description="Checksum rebuilt from the history at the freeze.")


@router.get(
    "/leveringen/{leveringId}/controle",
    operation_id="levering-controle",
    summary="Rebuild a delivered version from its snapshot and from the history: identical?",
    responses={200: {"model": Controle}, **_READ_ERRORS},
)
async def levering_controle(
    levering_id: LeveringId,
    keten: Runtime,
    ring: Ring,
    lezing: Annotated[BronLezing, Depends(SAMENSTELLEN)],
) -> Response:
    rij = await _laad(keten, lezing, levering_id)
    await lezing.lever(_contract(rij), rij=_rij(rij), betrokkene=None)  # the wall, logged
    async with keten.unit_of_work() as uow:
        uitkomst = await levering.herbouw(uow.session, ring, rij)
    controle = Controle(
        identiek=uitkomst.identiek,
        sha256=uitkomst.sha256,
        uit_snapshot=uitkomst.uit_snapshot,
        uit_historie=uitkomst.uit_historie,
    )
    return JSONResponse(controle.model_dump(mode="json", by_alias=True))
