"""The source API of the gemeente's dossier: every read through the read kit
(``keten_core.source_read``) for ``Doel.UITVOERING_INBURGERING``, with the dossier's
gemeentecode and doelgroep as the row's facts and the BSN as the betrokkene of the processing
log. Another gemeente gets 404, the same answer as for an id that does not exist, and the
attempt is logged.

A search by BSN goes in a POST body only (issue 10: "never in a URL, an access log line or a
span attribute"): ``POST /dossiers/zoeken``. The list takes no query parameters at all, so a
BSN put in a URL is refused (400) and never used. Unknown fields in a body are refused with
problem+json that names the field but never echoes its content (``keten_core.problems``).

A dossier DUO opened (gezins- or overige migrant) has only the BSN until the gemeente registers
the person's BRP data (``POST /dossiers/persoonsgegevens``, BSN in the body): DUO's plicht
carries no name, birth date or address, and the Dossier contract requires them. Until then it
is not served, listed or found.

Paths are the contracts' collection paths (``keten_contracts.resources``) below ``/api/v1``:
the ``dataref`` of every dossier-bron event will point here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from types import MappingProxyType
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from keten_contracts.access import Rij, mag_wijzigen
from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, Bsn, ContractModel, Doelgroep
from keten_contracts.envelope import source_urn
from keten_contracts.events.catalogue import TYPE_PREFIX
from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import Adres, Dossier, Dossierstatus
from keten_core import clock
from keten_core.problems import Problem, problem_responses
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import BronLezing, bron_lezing, gedocumenteerde_views, served_json
from keten_core.uow import UnitOfWork
from keten_core.verwerkingslog import Betrokkene

from . import domain
from .domain import Gemeenten
from .models import BewaartermijnRij, DossierRij, OverdrachtRij

# A table of dossier-bron whose rows belong to one dossier (``dossier_id``).
R = TypeVar("R")

__all__ = [
    "API_PREFIX",
    "PROBLEM_RESPONSES",
    "SERVICE_NAAM",
    "Bron",
    "dataref",
    "router",
    "weigering",
]

API_PREFIX: Final = "/api/v1"
SERVICE_NAAM: Final = "dossier-bron"

# RFC 9457: every error is a problem detail (keten_core.problems answers them).
PROBLEM_RESPONSES: Final = problem_responses(400, 401, 403, 404, 409, 422, 503)
_READ_ERRORS: Final = {s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422, 503)}

Runtime = Annotated[ServiceRuntime, Depends(runtime)]

DOSSIER_LEZEN = bron_lezing("dossier", Doel.UITVOERING_INBURGERING)


# The standing reads of other parties on the gemeente's resources, each under its own purpose.
LEESDOELEN_PER_ROL: Final = MappingProxyType(
    {Rol.DUO: Doel.PLICHT_EN_TERMIJNEN, Rol.CBS: Doel.STATISTIEK_SWI}
)


def lezing_per_rol(resource: str) -> Callable[..., Awaitable[BronLezing]]:
    """A read open to the gemeente (its regie), to DUO (its standing read: seed 001, row
    "Minister van SZW/DUO": BSN, naam/adres, PIP, MAP, PVT, leerroute) and to CBS's reader for
    the SWI (seed 004 bijlage B, "Te verstrekken aan CBS": "Persoonsgegevens waaronder BSN",
    PIP, MAP, PVT, ...), each under its own purpose; the read kit projects the view per role
    (a resource CBS reads nothing of answers 404) and logs it."""
    return bron_lezing(resource, Doel.UITVOERING_INBURGERING, per_rol=LEESDOELEN_PER_ROL)


# DUO resolves the dossier of a PIP it is told about (duo-adapter's ``dossier_van``).
DOSSIER_LEZEN_PER_ROL = lezing_per_rol("dossier")
DOSSIER_ZOEKEN = bron_lezing("dossier", Doel.UITVOERING_INBURGERING, activiteit="dossier zoeken")
PERSOONSGEGEVENS_VASTLEGGEN = bron_lezing(
    "dossier", Doel.UITVOERING_INBURGERING, activiteit="persoonsgegevens uit de BRP vastleggen"
)

# What the linked gemeente may read: the documented answer (the kit projects per call).
DossierView: Any = view_model("dossier", Rol.GEMEENTE, same_gemeente=True)
# A read open to the gemeente and DUO (lezing_per_rol): either view.
DossierViews: Any = gedocumenteerde_views("dossier", Rol.GEMEENTE, Rol.DUO, Rol.CBS)

router = APIRouter(prefix=API_PREFIX, tags=["bron"])


def dataref(base_url: str, resource: str, resource_id: str) -> str:
    """Where a party fetches ``resource_id`` at this source (the ``dataref`` of events)."""
    return get_resource(resource).dataref(base_url.rstrip("/") + API_PREFIX, resource_id)


def weigering(code: str, detail: str) -> Problem:
    """A rule's refusal: 422 problem+json with the rule's reason code (``reden``); never the
    request's content."""
    return Problem(422, detail=detail, reden=code)


class Bron:
    """Emits a dossier's events: keyed by the dossier (one partition per dossier keeps their
    order), with the dossier's gemeente as source (a shared-service centre serves several)."""

    def __init__(self, gemeenten: Gemeenten) -> None:
        self.gemeenten = gemeenten

    def emit(
        self,
        keten: ServiceRuntime,
        uow: UnitOfWork,
        soort: str,
        dossier: DossierRij,
        resource: str,
        resource_id: str,
        data: dict[str, Any],
        **routing: Any,
    ) -> None:
        self.emit_vanaf(
            keten.settings.base_url, uow, soort, dossier, resource, resource_id, data, **routing
        )

    def emit_vanaf(
        self,
        base_url: str,
        uow: UnitOfWork,
        soort: str,
        dossier: DossierRij,
        resource: str,
        resource_id: str,
        data: dict[str, Any],
        **routing: Any,
    ) -> None:
        """``emit`` for code without the runtime at hand (an event handler): this source's
        public ``base_url`` given."""
        uow.emit(
            f"{TYPE_PREFIX}{soort}.v1",
            subject=resource_id,
            # One partition per dossier: its events keep their order.
            partitionkey=dossier.dossier_id,
            dataref=dataref(base_url, resource, resource_id),
            data=data,
            gemeentecode=dossier.gemeentecode,
            source=source_urn(self.gemeenten.oin(dossier.gemeentecode), SERVICE_NAAM),
            **routing,
        )

    def dossier_gewijzigd(self, base_url: str, uow: UnitOfWork, dossier: DossierRij) -> None:
        """``dossier.gewijzigd``: the end of the plicht or the hand-over changed the dossier's
        CBS view, and no other event says so; the SWI supplier fetches it again."""
        self.emit_vanaf(
            base_url,
            uow,
            "dossier.gewijzigd",
            dossier,
            "dossier",
            dossier.dossier_id,
            {"dossierId": dossier.dossier_id},
        )


# A dossier the gemeente handed over (verhuizing) or whose retention ended stays readable to
# its own staff, but nobody changes it any more: the new gemeente's dossier carries on.
GESLOTEN: Final = frozenset({Dossierstatus.OVERGEDRAGEN.value, Dossierstatus.AFGESLOTEN.value})


async def eigen_dossier(
    uow: UnitOfWork,
    lezing: BronLezing,
    dossier_id: str,
    *,
    wijzigen: bool = False,
    gesloten_toegestaan: bool = False,
    zoek_id: str | None = None,
) -> DossierRij:
    """The caller's gemeente's complete dossier, else 404 (logged under ``zoek_id``, the id
    the caller asked for): the same answer for unknown, incomplete and another gemeente's, so a
    call reveals no other gemeente's persons. For a write (``wijzigen``) the row is locked,
    which orders the dossier's writes and so its events; a closed dossier is refused with 409
    ``dossier-gesloten`` unless the write concerns its past (``gesloten_toegestaan``: a
    rechtsmiddel against a fine it imposed)."""
    dossier = await uow.session.get(DossierRij, dossier_id, with_for_update=wijzigen)
    if (
        dossier is None
        or not dossier.volledig
        or dossier.gemeentecode != lezing.caller.gemeentecode
    ):
        await lezing.niet_gevonden(zoek_id or dossier_id)
    if wijzigen and not gesloten_toegestaan and dossier.status in GESLOTEN:
        raise Problem(
            409,
            detail=f"The dossier is {dossier.status}: it is kept, but no longer changed.",
            reden="dossier-gesloten",
        )
    return dossier


async def met_dossier(
    keten: ServiceRuntime, lezing: BronLezing, model: type[R], rij_id: str
) -> tuple[R, DossierRij]:
    """Row ``rij_id`` of ``model`` and the dossier it belongs to, for a read through the kit
    (which decides whose they are); 404, logged, when either is missing."""
    async with keten.unit_of_work() as uow:
        rij = await uow.session.get(model, rij_id)
        dossier = None if rij is None else await uow.session.get(DossierRij, rij.dossier_id)
    if rij is None or dossier is None:
        await lezing.niet_gevonden(rij_id)
    return rij, dossier


def mag_schrijven(
    lezing: BronLezing, resource: str, velden: list[str], dossier: DossierRij
) -> None:
    """403 unless the caller may write every field (rule 13, the wall inside the gemeente)."""
    rij = _rij(dossier)
    if not all(mag_wijzigen(lezing.toegang, resource, v, rij) for v in velden):
        raise Problem(403, detail=f"This client may not change the {resource}.")


def _rij(dossier: DossierRij) -> Rij:
    doelgroep = Doelgroep(dossier.doelgroep) if dossier.doelgroep else None
    return Rij(gemeentecode=dossier.gemeentecode, doelgroep=doelgroep)


def _betrokkene(dossier: DossierRij) -> Betrokkene:
    """Whose data is read, for the processing log (the log pseudonymises it)."""
    return Betrokkene("bsn", dossier.bsn)


async def dossier_contracten(session: AsyncSession, dossiers: list[DossierRij]) -> list[Dossier]:
    """The contract's dossiers, with what dossier-bron records beside the dossier row: the
    end of the plicht (``BewaartermijnRij``, from DUO's ``inburgeringsplicht.beeindigd``) and
    the date of the latest hand-over to another gemeente (``OverdrachtRij``) while the dossier
    is handed over."""
    ids = [d.dossier_id for d in dossiers]
    einde: dict[str, date] = {}
    overgedragen: dict[str, date] = {}
    if ids:
        einde = {
            r.dossier_id: r.einde_plicht
            for r in await session.execute(
                select(BewaartermijnRij.dossier_id, BewaartermijnRij.einde_plicht).where(
                    BewaartermijnRij.dossier_id.in_(ids)
                )
            )
        }
        overgedragen = {
            r.dossier_id: r.datum
            for r in await session.execute(
                select(OverdrachtRij.dossier_id, func.max(OverdrachtRij.datum).label("datum"))
                .where(OverdrachtRij.dossier_id.in_(ids))
                .group_by(OverdrachtRij.dossier_id)
            )
        }
    return [
        d.als_contract(
            einde_plicht=einde.get(d.dossier_id),
            # Only while it is handed over: a person who came back reopened it.
            overgedragen_op=(
                overgedragen.get(d.dossier_id)
                if d.status == Dossierstatus.OVERGEDRAGEN.value
                else None
            ),
        )
        for d in dossiers
    ]


async def dossier_contract(session: AsyncSession, dossier: DossierRij) -> Dossier:
    """One dossier as the contract's (``dossier_contracten``)."""
    [contract] = await dossier_contracten(session, [dossier])
    return contract


async def _lijst(keten: ServiceRuntime, lezing: BronLezing, *where: Any) -> list[Any]:
    """The complete dossiers of the caller's gemeente matching ``where``, as the caller's
    views (the gemeente is in the query; the kit checks each row again)."""
    gemeentecode = lezing.caller.gemeentecode
    rows: list[DossierRij] = []
    contracten: list[Dossier] = []
    if gemeentecode is not None:
        async with keten.unit_of_work() as uow:
            result = await uow.session.execute(
                select(DossierRij)
                .where(DossierRij.gemeentecode == gemeentecode, *where)
                .order_by(DossierRij.geopend_op, DossierRij.dossier_id)
                .limit(500)
            )
            rows = [d for d in result.scalars() if d.volledig]
            contracten = await dossier_contracten(uow.session, rows)
    views = await lezing.lever_alle(
        (c, _rij(d), _betrokkene(d)) for d, c in zip(rows, contracten, strict=True)
    )
    return served_json(views)


@router.get(
    "/dossiers",
    operation_id="dossiers-lijst",
    summary="The dossiers of the caller's gemeente (no query parameters: search by POST)",
    responses={200: {"model": list[DossierView]}, 400: PROBLEM_RESPONSES[400], **_READ_ERRORS},
)
async def dossiers_lijst(
    request: Request, keten: Runtime, lezing: Annotated[BronLezing, Depends(DOSSIER_LEZEN)]
) -> Response:
    if request.query_params:
        # A BSN (or anything else) in a URL ends up in access logs and spans: refused, and
        # neither its name nor its value is repeated.
        raise Problem(
            400,
            detail="This list takes no query parameters; search with POST /dossiers/zoeken.",
        )
    return JSONResponse(await _lijst(keten, lezing))


class Zoekvraag(ContractModel):
    """A search within the caller's gemeente, in the body (never in the URL)."""

    bsn: Bsn = Field(description="Burgerservicenummer of the person.")


@router.post(
    "/dossiers/zoeken",
    operation_id="dossiers-zoeken",
    summary="Search the caller's gemeente's dossiers by BSN (in the body, never in the URL)",
    responses={200: {"model": list[DossierView]}, **_READ_ERRORS},
)
async def dossiers_zoeken(
    vraag: Zoekvraag,
    keten: Runtime,
    lezing: Annotated[BronLezing, Depends(DOSSIER_ZOEKEN)],
) -> Response:
    return JSONResponse(await _lijst(keten, lezing, DossierRij.bsn == vraag.bsn))


@router.get(
    "/dossiers/{dossierId}",
    operation_id="dossier-lezen",
    summary="One dossier (the caller's view)",
    responses={200: {"model": DossierViews}, **_READ_ERRORS},
)
async def dossier_lezen(
    dossier_id: Annotated[str, Path(alias="dossierId", pattern=OPAQUE_ID_PATTERN)],
    keten: Runtime,
    lezing: Annotated[BronLezing, Depends(DOSSIER_LEZEN_PER_ROL)],
) -> Response:
    async with keten.unit_of_work() as uow:
        dossier = await uow.session.get(DossierRij, dossier_id)
        contract = (
            None
            if dossier is None or not dossier.volledig
            else await dossier_contract(uow.session, dossier)
        )
    if dossier is None or contract is None:
        await lezing.niet_gevonden(dossier_id)
    view = await lezing.lever(contract, rij=_rij(dossier), betrokkene=_betrokkene(dossier))
    return JSONResponse(served_json(view))


class Persoonsgegevens(ContractModel):
    """The person's data from the gemeente's BRP, for a dossier DUO opened (DUO's plicht
    carries only the BSN)."""

    bsn: Bsn = Field(description="Burgerservicenummer: which dossier (never in the URL).")
    voornamen: str = Field(min_length=1, max_length=200)
    geslachtsnaam: str = Field(min_length=1, max_length=200)
    geboortedatum: date
    adres: Adres


@router.post(
    "/dossiers/persoonsgegevens",
    operation_id="persoonsgegevens-vastleggen",
    summary="Register the person's BRP data on the caller's gemeente's dossier (by BSN)",
    responses={200: {"model": DossierView}, **_READ_ERRORS},
)
async def persoonsgegevens_vastleggen(
    body: Persoonsgegevens,
    keten: Runtime,
    lezing: Annotated[BronLezing, Depends(PERSOONSGEGEVENS_VASTLEGGEN)],
) -> Response:
    from .handlers import feiten_vastleggen  # the handlers module imports this one

    gemeentecode = lezing.caller.gemeentecode
    async with keten.unit_of_work() as uow:
        dossier = (
            await uow.session.execute(
                select(DossierRij)
                .where(DossierRij.gemeentecode == (gemeentecode or ""))
                .where(DossierRij.bsn == body.bsn)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if dossier is None:
            # No resource id to log: the BSN goes to the log as the (pseudonymised) subject
            # only, never as an id.
            await lezing.niet_gevonden("-")
        velden = {
            "voornamen": body.voornamen,
            "geslachtsnaam": body.geslachtsnaam,
            "geboortedatum": body.geboortedatum,
            "adres": body.adres,
        }
        if not all(mag_wijzigen(lezing.toegang, "dossier", v, _rij(dossier)) for v in velden):
            # E.g. Participatiewet staff: they read inburgering data but never change it.
            raise Problem(403, detail="This client may not change the dossier's personal data.")
        herkomst = domain.Herkomst("brp", "persoonslijst", dossier.dossier_id, clock.now())
        feiten_vastleggen(
            uow,
            dossier,
            [domain.Feit(k, domain.waarde_json(v), herkomst) for k, v in velden.items()],
        )
        await uow.session.flush()
        # Served (and logged) before the commit: a failing log write undoes the change.
        view = await lezing.lever(
            await dossier_contract(uow.session, dossier),
            rij=_rij(dossier),
            betrokkene=_betrokkene(dossier),
        )
    return JSONResponse(served_json(view))
