"""The source API (TVS-like): the linked gemeente, and parties it mandates (an SSC client with
``namens`` = that gemeente), read koppeling, klantprofiel (also as PDF) and warme overdracht.

Every read goes through the read kit (``keten_core.source_read``) for
``Doel.UITVOERING_INBURGERING``, with the row's gemeente set to the gemeente of the person's
**current** koppeling: seed 002 section 3.x, the klantprofiel "is raadpleeg- en downloadbaar voor
geautoriseerde medewerkers van de gekoppelde gemeente of door de gemeente gemandateerde
externen". Another gemeente gets 404 (the same answer as for an id that does not exist) and
the attempt is in the processing log; after a re-link the old gemeente is "another gemeente".

Paths are the contracts' collection paths (``keten_contracts.resources``) below ``/api/v1``:
the ``dataref`` of every event points here.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from keten_contracts.access import Rij
from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources.coa import Koppelingstatus
from keten_core.problems import problem_responses
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import BronLezing, bron_lezing, served_json
from keten_core.verwerkingslog import Betrokkene

from .models import KoppelingRij, StatushouderRij, WarmeOverdrachtRij
from .pdf import render_klantprofiel

__all__ = [
    "KLANTPROFIEL_LEZEN",
    "KLANTPROFIEL_PDF",
    "KOPPELING_LEZEN",
    "PROBLEM_RESPONSES",
    "WARME_OVERDRACHT_LEZEN",
    "api_base_url",
    "klantprofiel_als_pdf",
    "lees_klantprofiel",
    "lees_koppeling",
    "lees_warme_overdracht",
    "router",
    "statushouder_van_klantprofiel",
    "zoek_klantprofielen",
    "zoek_koppelingen",
    "zoek_warme_overdrachten",
]

API_PREFIX: Final = "/api/v1"

# RFC 9457: every error is a problem detail (keten_core.problems answers them).
PROBLEM_RESPONSES: Final = problem_responses(400, 401, 403, 404, 409, 422, 503)
_SOURCE_ERRORS: Final = problem_responses(401, 403, 404, 422, 503)

Runtime = Annotated[ServiceRuntime, Depends(runtime)]

KOPPELING_LEZEN = bron_lezing("koppeling", Doel.UITVOERING_INBURGERING)
KLANTPROFIEL_LEZEN = bron_lezing("klantprofiel", Doel.UITVOERING_INBURGERING)
KLANTPROFIEL_PDF = bron_lezing(
    "klantprofiel", Doel.UITVOERING_INBURGERING, activiteit="klantprofiel als PDF lezen"
)
WARME_OVERDRACHT_LEZEN = bron_lezing("warme-overdracht", Doel.UITVOERING_INBURGERING)


def _view(resource: str) -> Any:
    # What the linked gemeente may read: the documented answer (the kit projects per call).
    return view_model(resource, Rol.GEMEENTE, same_gemeente=True)


def _ok(resource: str, *, many: bool = False) -> dict[int | str, dict[str, Any]]:
    model = _view(resource)
    return {200: {"model": list[model] if many else model}, **_SOURCE_ERRORS}


router = APIRouter(prefix=API_PREFIX, tags=["bron"])


def api_base_url(keten: ServiceRuntime) -> str:
    """The base of every ``dataref`` this service emits."""
    return keten.settings.base_url + API_PREFIX


def _betrokkene(sh: StatushouderRij) -> Betrokkene:
    """Whose data is read, for the processing log (the log pseudonymises it)."""
    bsn = sh.bsn
    return Betrokkene("bsn", bsn) if bsn else Betrokkene("statushouder", sh.statushouder_id)


async def _laad(
    keten: ServiceRuntime, sh_id: str | None
) -> tuple[StatushouderRij, KoppelingRij] | None:
    """The statushouder and their current koppeling; None when not linked (nothing to read)."""
    if sh_id is None:
        return None
    async with keten.unit_of_work() as uow:
        sh = await uow.session.get(StatushouderRij, sh_id)
        if sh is None or sh.koppeling_id is None:
            return None
        koppeling = await uow.session.get(KoppelingRij, sh.koppeling_id)
        assert koppeling is not None
        return sh, koppeling


@router.get(
    "/koppelingen",
    operation_id="koppelingen-lijst",
    summary="The koppelingen of the caller's gemeente",
    responses=_ok("koppeling", many=True),
)
async def koppelingen_lijst(
    keten: Runtime, lezing: Annotated[BronLezing, Depends(KOPPELING_LEZEN)]
) -> Response:
    return JSONResponse(served_json(await zoek_koppelingen(keten, lezing)))


# The reads below are the API's and the portal's (``portaal.py``): one path, one policy, one log.


async def zoek_koppelingen(keten: ServiceRuntime, lezing: BronLezing) -> list[Any]:
    """The caller's views of the current koppelingen to its gemeente, oldest first."""
    gemeentecode = lezing.caller.gemeentecode
    rows: list[tuple[KoppelingRij, StatushouderRij]] = []
    if gemeentecode is not None:
        async with keten.unit_of_work() as uow:
            result = await uow.session.execute(
                select(KoppelingRij, StatushouderRij)
                .join(StatushouderRij, StatushouderRij.koppeling_id == KoppelingRij.koppeling_id)
                .where(KoppelingRij.gemeentecode == gemeentecode)
                .where(KoppelingRij.status != Koppelingstatus.INGETROKKEN.value)
                .order_by(KoppelingRij.aangemaakt_op, KoppelingRij.koppeling_id)
            )
            rows = [(k, sh) for k, sh in result.all()]
    return await lezing.lever_alle(
        (k.als_contract(sh), Rij(gemeentecode=k.gemeentecode), _betrokkene(sh)) for k, sh in rows
    )


@router.get(
    "/koppelingen/{koppelingId}",
    operation_id="koppeling-lezen",
    summary="One koppeling",
    responses=_ok("koppeling"),
)
async def koppeling_lezen(
    koppeling_id: Annotated[str, Path(alias="koppelingId", pattern=OPAQUE_ID_PATTERN)],
    keten: Runtime,
    lezing: Annotated[BronLezing, Depends(KOPPELING_LEZEN)],
) -> Response:
    return JSONResponse(served_json(await lees_koppeling(keten, lezing, koppeling_id)))


async def lees_koppeling(keten: ServiceRuntime, lezing: BronLezing, koppeling_id: str) -> Any:
    """The caller's view of one koppeling (404, logged, when it is not theirs)."""
    async with keten.unit_of_work() as uow:
        koppeling = await uow.session.get(KoppelingRij, koppeling_id)
    found = await _laad(keten, koppeling.statushouder_id if koppeling else None)
    if koppeling is None or found is None:
        await lezing.niet_gevonden(koppeling_id)
    sh, huidige = found
    # A withdrawn koppeling carries the old gemeente; the row's gemeente is the current one,
    # so the kit refuses it to everyone (a contradiction is a refusal).
    return await lezing.lever(
        koppeling.als_contract(sh),
        rij=Rij(gemeentecode=huidige.gemeentecode),
        betrokkene=_betrokkene(sh),
    )


async def statushouder_van_klantprofiel(keten: ServiceRuntime, klantprofiel_id: str) -> str | None:
    """Whose klantprofiel this is (no personal data: an id or None)."""
    async with keten.unit_of_work() as uow:
        sh_id: str | None = await uow.session.scalar(
            select(StatushouderRij.statushouder_id).where(
                StatushouderRij.klantprofiel_id == klantprofiel_id
            )
        )
    return sh_id


async def lees_klantprofiel(keten: ServiceRuntime, lezing: BronLezing, klantprofiel_id: str) -> Any:
    """The caller's view of the klantprofiel (404, logged, when it is not theirs)."""
    found = await _laad(keten, await statushouder_van_klantprofiel(keten, klantprofiel_id))
    if found is None:
        await lezing.niet_gevonden(klantprofiel_id)
    sh, huidige = found
    return await lezing.lever(
        sh.klantprofiel(), rij=Rij(gemeentecode=huidige.gemeentecode), betrokkene=_betrokkene(sh)
    )


async def zoek_klantprofielen(keten: ServiceRuntime, lezing: BronLezing) -> list[Any]:
    """The caller's views of the klantprofielen of every linked statushouder, oldest koppeling
    first: the casemanager's list in the portal (COA's own system; the API has no list route,
    a gemeente lists its koppelingen). Rows the caller may not read are left out."""
    async with keten.unit_of_work() as uow:
        result = await uow.session.execute(
            select(StatushouderRij, KoppelingRij)
            .join(KoppelingRij, StatushouderRij.koppeling_id == KoppelingRij.koppeling_id)
            .order_by(KoppelingRij.aangemaakt_op, KoppelingRij.koppeling_id)
        )
        rows = [(sh, k) for sh, k in result.all()]
    return await lezing.lever_alle(
        (sh.klantprofiel(), Rij(gemeentecode=k.gemeentecode), _betrokkene(sh)) for sh, k in rows
    )


KlantprofielId = Annotated[str, Path(alias="klantprofielId", pattern=OPAQUE_ID_PATTERN)]


@router.get(
    "/klantprofielen/{klantprofielId}",
    operation_id="klantprofiel-lezen",
    summary="The klantprofiel (the caller's view)",
    responses=_ok("klantprofiel"),
)
async def klantprofiel_lezen(
    klantprofiel_id: KlantprofielId,
    keten: Runtime,
    lezing: Annotated[BronLezing, Depends(KLANTPROFIEL_LEZEN)],
) -> Response:
    view = await lees_klantprofiel(keten, lezing, klantprofiel_id)
    return JSONResponse(served_json(view))


@router.get(
    "/klantprofielen/{klantprofielId}/pdf",
    operation_id="klantprofiel-pdf",
    summary="The klantprofiel as a PDF, as in TVS (the caller's view only)",
    response_class=Response,
    responses={
        200: {
            "description": "The caller's view of the klantprofiel as a PDF document",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        **_SOURCE_ERRORS,
    },
)
async def klantprofiel_pdf(
    klantprofiel_id: KlantprofielId,
    keten: Runtime,
    lezing: Annotated[BronLezing, Depends(KLANTPROFIEL_PDF)],
) -> Response:
    return klantprofiel_als_pdf(
        klantprofiel_id, await lees_klantprofiel(keten, lezing, klantprofiel_id)
    )


def klantprofiel_als_pdf(klantprofiel_id: str, view: Any) -> Response:
    """The PDF of a view (what the caller may read, nothing more), as a download."""
    return Response(
        render_klantprofiel(view),
        media_type="application/pdf",
        headers={
            # The file name holds the opaque id, never the person's name.
            "Content-Disposition": f'attachment; filename="klantprofiel-{klantprofiel_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/warme-overdrachten/{warmeOverdrachtId}",
    operation_id="warme-overdracht-lezen",
    summary="One warme overdracht",
    responses=_ok("warme-overdracht"),
)
async def warme_overdracht_lezen(
    warme_overdracht_id: Annotated[str, Path(alias="warmeOverdrachtId", pattern=OPAQUE_ID_PATTERN)],
    keten: Runtime,
    lezing: Annotated[BronLezing, Depends(WARME_OVERDRACHT_LEZEN)],
) -> Response:
    view = await lees_warme_overdracht(keten, lezing, warme_overdracht_id)
    return JSONResponse(served_json(view))


async def lees_warme_overdracht(
    keten: ServiceRuntime, lezing: BronLezing, warme_overdracht_id: str
) -> Any:
    """The caller's view of one warme overdracht (404, logged, when it is not theirs): the
    row's gemeente is the gemeente of the person's current koppeling."""
    async with keten.unit_of_work() as uow:
        overdracht = await uow.session.get(WarmeOverdrachtRij, warme_overdracht_id)
    found = await _laad(keten, overdracht.statushouder_id if overdracht else None)
    if overdracht is None or found is None:
        await lezing.niet_gevonden(warme_overdracht_id)
    sh, huidige = found
    return await lezing.lever(
        overdracht.als_contract(),
        rij=Rij(gemeentecode=huidige.gemeentecode),
        betrokkene=_betrokkene(sh),
    )


async def zoek_warme_overdrachten(
    keten: ServiceRuntime,
    lezing: BronLezing,
    *,
    koppeling_id: str | None = None,
    statushouder_id: str | None = None,
) -> list[Any]:
    """The caller's views of the warme overdrachten of one koppeling (the gemeente's koppeling
    page in the portal) or of one statushouder (the casemanager's), earliest planned first.
    Each row as ``lees_warme_overdracht`` reads it (the row's gemeente is the gemeente of the
    person's current koppeling), one log record per row served; rows the caller may not read
    are left out (the API has no list route: the portal's read)."""
    if (koppeling_id is None) == (statushouder_id is None):
        raise ValueError("give either koppeling_id or statushouder_id")
    query = (
        select(WarmeOverdrachtRij, StatushouderRij, KoppelingRij)
        .join(
            StatushouderRij, StatushouderRij.statushouder_id == WarmeOverdrachtRij.statushouder_id
        )
        .join(KoppelingRij, KoppelingRij.koppeling_id == StatushouderRij.koppeling_id)
        .order_by(WarmeOverdrachtRij.gepland_op, WarmeOverdrachtRij.warme_overdracht_id)
    )
    if koppeling_id is not None:
        query = query.where(WarmeOverdrachtRij.koppeling_id == koppeling_id)
    else:
        query = query.where(WarmeOverdrachtRij.statushouder_id == statushouder_id)
    async with keten.unit_of_work() as uow:
        rows = [(wo, sh, k) for wo, sh, k in (await uow.session.execute(query)).all()]
    return await lezing.lever_alle(
        (wo.als_contract(), Rij(gemeentecode=k.gemeentecode), _betrokkene(sh)) for wo, sh, k in rows
    )
