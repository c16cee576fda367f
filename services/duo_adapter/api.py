"""DUO's source API: what DUO shares with the linked gemeente (art. 33 wet; 9.2, 9.4, 9.6
Besluit), every read through ``keten_core.source_read`` (caller, purpose
uitvoering-inburgering, the wall between gemeenten, the view, the processing log).

The row's gemeente is the person's current (linked) gemeente: after a move only the new
gemeente reads DUO's data. The gemeente ticks signalen off here (``afhandelen``), which DUO
records (who, when) and announces (``signaal.afgehandeld``).
"""

# No "from __future__ import annotations": the read routes are built in a function, and
# FastAPI must see their dependency annotations as objects, not strings.
import re
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from keten_contracts.access import Rij, projecteer
from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, ContractModel
from keten_contracts.resources import duo as contract
from keten_contracts.resources import get_resource
from keten_core import clock
from keten_core.problems import Problem, problem_responses
from keten_core.service import ServiceRuntime, runtime
from keten_core.source_read import BronLezing, bron_lezing, served_json
from keten_core.verwerkingslog import Betrokkene

from . import models

__all__ = [
    "API_PREFIX",
    "dataref",
    "handel_signaal_af",
    "lees_rij",
    "lees_signaal",
    "rijen_van_plicht",
    "router",
    "zoek_signalen",
]

# The source's API root below its base URL; the paths below it are contract
# (keten_contracts.resources: collection per resource).
API_PREFIX = "/api/v1"

READ_ERRORS: Final = problem_responses(401, 403, 404, 422, 503)


def dataref(base_url: str, resource: str, resource_id: str) -> str:
    """Where a party fetches ``resource_id`` at this source (the ``dataref`` of DUO's
    events)."""
    return get_resource(resource).dataref(base_url.rstrip("/") + API_PREFIX, resource_id)


router = APIRouter(prefix=API_PREFIX, tags=["bron"])


async def _persoon(session: AsyncSession, plicht_id: str) -> models.Inburgeringsplichtige | None:
    return (
        await session.execute(
            select(models.Inburgeringsplichtige)
            .join(models.Inburgeringsplicht)
            .where(models.Inburgeringsplicht.inburgeringsplicht_id == plicht_id)
        )
    ).scalar_one_or_none()


def _rij(persoon: models.Inburgeringsplichtige) -> Rij:
    return Rij(gemeentecode=persoon.gemeentecode, doelgroep=persoon.doelgroep)


def _betrokkene(persoon: models.Inburgeringsplichtige) -> Betrokkene:
    return Betrokkene("bsn", persoon.bsn)


async def lees_rij(
    keten: ServiceRuntime,
    lezing: BronLezing,
    model: type[Any],
    resource_id: str,
) -> ContractModel:
    """One resource row of a plicht: the caller's view of it (logged), or 404. Shared by the
    API and the sandbox portal (``portaal``), so both apply one policy."""
    async with keten.unit_of_work() as uow:
        row = await uow.session.get(model, resource_id)
        persoon = None
        if row is not None:
            plicht_id = row.inburgeringsplicht_id
            persoon = await _persoon(uow.session, plicht_id)
        if row is None or persoon is None:
            await lezing.niet_gevonden(resource_id)
        instance = (
            row.to_contract(persoon)
            if isinstance(row, models.Inburgeringsplicht)
            else row.to_contract()
        )
    return await lezing.lever(instance, rij=_rij(persoon), betrokkene=_betrokkene(persoon))


def _read_route(resource: str, model: type[Any], operation_id: str) -> None:
    rd = get_resource(resource)
    lezen = bron_lezing(resource, Doel.UITVOERING_INBURGERING)

    async def read(
        resource_id: Annotated[str, Path(alias=rd.id_alias, max_length=100)],
        keten: Annotated[ServiceRuntime, Depends(runtime)],
        lezing: Annotated[BronLezing, Depends(lezen)],
    ) -> Any:
        return served_json(await lees_rij(keten, lezing, model, resource_id))

    router.add_api_route(
        f"/{rd.collection}/{{{rd.id_alias}}}",
        read,
        methods=["GET"],
        operation_id=operation_id,
        summary=rd.description,
        response_model=rd.model,
        response_model_exclude_none=True,
        responses=READ_ERRORS,
    )


for _resource, _model, _operation in (
    ("inburgeringsplicht", models.Inburgeringsplicht, "inburgeringsplicht-lezen"),
    ("termijn", models.Termijn, "termijn-lezen"),
    ("vrijstelling", models.Vrijstelling, "vrijstelling-lezen"),
    ("ontheffing", models.Ontheffing, "ontheffing-lezen"),
    ("lbt-uitslag", models.LbtUitslag, "lbt-uitslag-lezen"),
    ("examenresultaat", models.Examenresultaat, "examenresultaat-lezen"),
    ("diploma", models.Diploma, "diploma-lezen"),
    ("verlenging", models.Verlenging, "verlenging-lezen"),
    ("duo-boete", models.DuoBoete, "boete-lezen"),
):
    _read_route(_resource, _model, _operation)


TERMIJNEN_LEZEN = bron_lezing("termijn", Doel.UITVOERING_INBURGERING)


@router.get(
    "/inburgeringsplichten/{inburgeringsplichtId}/termijnen",
    operation_id="termijnen-van-plicht",
    summary="The termijnen of one plicht (the plicht's own, MAP and PVT deadlines)",
    response_model=list[contract.Termijn],
    response_model_exclude_none=True,
    responses=READ_ERRORS,
)
async def termijnen_van_plicht(
    plicht_id: Annotated[str, Path(alias="inburgeringsplichtId", max_length=100)],
    keten: Annotated[ServiceRuntime, Depends(runtime)],
    lezing: Annotated[BronLezing, Depends(TERMIJNEN_LEZEN)],
) -> Any:
    """A gemeente (or its dossier-bron) finds a person's termijnen without having kept every
    notification; a plicht it may not read answers 404 like one that does not exist."""
    return served_json(await rijen_van_plicht(keten, lezing, models.Termijn, plicht_id))


async def rijen_van_plicht(
    keten: ServiceRuntime, lezing: BronLezing, model: type[Any], plicht_id: str
) -> list[ContractModel]:
    """The caller's views of one plicht's rows of ``model`` (termijnen, examenresultaten,
    boetes), logged; 404 for a plicht of another gemeente, as for one that does not exist.
    Shared by the API and the sandbox portal."""
    id_column = next(iter(model.__table__.primary_key.columns))
    async with keten.unit_of_work() as uow:
        persoon = await _persoon(uow.session, plicht_id)
        rows = (
            []
            if persoon is None
            else (
                await uow.session.execute(
                    select(model)
                    .where(model.inburgeringsplicht_id == plicht_id)
                    .order_by(id_column)
                )
            )
            .scalars()
            .all()
        )
    if persoon is None or persoon.gemeentecode != lezing.caller.gemeentecode:
        await lezing.niet_gevonden(plicht_id)
    return await lezing.lever_alle(
        (row.to_contract(), _rij(persoon), _betrokkene(persoon)) for row in rows
    )


HANDHAVINGSVERZOEK_LEZEN = bron_lezing("handhavingsverzoek", Doel.UITVOERING_INBURGERING)


@router.get(
    "/handhavingsverzoeken/{handhavingsverzoekId}",
    operation_id="handhavingsverzoek-lezen",
    summary=get_resource("handhavingsverzoek").description,
    response_model=get_resource("handhavingsverzoek").model,
    response_model_exclude_none=True,
    responses=READ_ERRORS,
)
async def handhavingsverzoek_lezen(
    verzoek_id: Annotated[str, Path(alias="handhavingsverzoekId", max_length=100)],
    keten: Annotated[ServiceRuntime, Depends(runtime)],
    lezing: Annotated[BronLezing, Depends(HANDHAVINGSVERZOEK_LEZEN)],
) -> Any:
    """The request is for the gemeente it asks (which imposed the fines), not necessarily the
    person's current gemeente: its row's gemeente is the one asked."""
    async with keten.unit_of_work() as uow:
        verzoek = await uow.session.get(models.Handhavingsverzoek, verzoek_id)
        persoon = None
        if verzoek is not None:
            persoon = await _persoon(uow.session, verzoek.inburgeringsplicht_id)
    if verzoek is None or persoon is None:
        await lezing.niet_gevonden(verzoek_id)
    view = await lezing.lever(
        verzoek.to_contract(),
        rij=Rij(gemeentecode=verzoek.gemeentecode),
        betrokkene=_betrokkene(persoon),
    )
    return served_json(view)


# --- signalen -----------------------------------------------------------------------------

SIGNALEN_LEZEN = bron_lezing("signaal", Doel.UITVOERING_INBURGERING)
SIGNAAL_AFHANDELEN = bron_lezing(
    "signaal", Doel.UITVOERING_INBURGERING, activiteit="signaal afhandelen"
)


@router.get(
    "/signalen",
    operation_id="signalen-zoeken",
    summary="The caller's gemeente's signalen (open by default), oldest first",
    response_model=list[contract.Signaal],
    response_model_exclude_none=True,
    responses={k: v for k, v in READ_ERRORS.items() if k != 404},
)
async def signalen_zoeken(
    keten: Annotated[ServiceRuntime, Depends(runtime)],
    lezing: Annotated[BronLezing, Depends(SIGNALEN_LEZEN)],
    status: Annotated[contract.Signaalstatus | None, Query()] = contract.Signaalstatus.OPEN,
    klasse: Annotated[contract.Signaalklasse | None, Query()] = None,
    code: Annotated[contract.Signaalcode | None, Query()] = None,
    inburgeringsplicht_id: Annotated[
        str | None, Query(alias="inburgeringsplichtId", max_length=100)
    ] = None,
    aangemaakt_vanaf: Annotated[AwareDatetime | None, Query(alias="aangemaaktVanaf")] = None,
    aangemaakt_tot: Annotated[AwareDatetime | None, Query(alias="aangemaaktTot")] = None,
) -> Any:
    views = await zoek_signalen(
        keten,
        lezing,
        status=status,
        klasse=klasse,
        code=code,
        inburgeringsplicht_id=inburgeringsplicht_id,
        aangemaakt_vanaf=aangemaakt_vanaf,
        aangemaakt_tot=aangemaakt_tot,
    )
    return served_json(views)


async def zoek_signalen(
    keten: ServiceRuntime,
    lezing: BronLezing,
    *,
    status: contract.Signaalstatus | None = contract.Signaalstatus.OPEN,
    klasse: contract.Signaalklasse | None = None,
    code: contract.Signaalcode | None = None,
    inburgeringsplicht_id: str | None = None,
    aangemaakt_vanaf: datetime | None = None,
    aangemaakt_tot: datetime | None = None,
) -> list[ContractModel]:
    """The caller's gemeente's signalen, oldest first, as the caller's views (logged). Shared
    by the API and the sandbox portal."""
    # The caller's own gemeente only, in the query (the kit checks each row again): a list
    # shows no other gemeente's persons.
    query = (
        select(models.Signaal, models.Inburgeringsplichtige)
        .join(
            models.Inburgeringsplicht,
            models.Inburgeringsplicht.inburgeringsplicht_id == models.Signaal.inburgeringsplicht_id,
        )
        .join(models.Inburgeringsplichtige)
        .where(models.Signaal.gemeentecode == (lezing.caller.gemeentecode or ""))
    )
    if status is not None:
        query = query.where(models.Signaal.status == status.value)
    if klasse is not None:
        query = query.where(models.Signaal.klasse == klasse.value)
    if code is not None:
        query = query.where(models.Signaal.code == code.value)
    if inburgeringsplicht_id is not None:
        query = query.where(models.Signaal.inburgeringsplicht_id == inburgeringsplicht_id)
    if aangemaakt_vanaf is not None:
        query = query.where(models.Signaal.aangemaakt_op >= aangemaakt_vanaf)
    if aangemaakt_tot is not None:
        query = query.where(models.Signaal.aangemaakt_op < aangemaakt_tot)
    query = query.order_by(models.Signaal.aangemaakt_op, models.Signaal.signaal_id).limit(500)
    async with keten.unit_of_work() as uow:
        rows = (await uow.session.execute(query)).all()
    return await lezing.lever_alle(
        (signaal.to_contract(), Rij(gemeentecode=signaal.gemeentecode), _betrokkene(persoon))
        for signaal, persoon in rows
    )


async def _signaal(
    uow: Any, signaal_id: str
) -> tuple[models.Signaal, models.Inburgeringsplichtige] | None:
    row = (
        await uow.session.execute(
            select(models.Signaal, models.Inburgeringsplichtige)
            .join(
                models.Inburgeringsplicht,
                models.Inburgeringsplicht.inburgeringsplicht_id
                == models.Signaal.inburgeringsplicht_id,
            )
            .join(models.Inburgeringsplichtige)
            .where(models.Signaal.signaal_id == signaal_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


@router.get(
    "/signalen/{signaalId}",
    operation_id="signaal-lezen",
    summary="One signaal of the caller's gemeente",
    response_model=contract.Signaal,
    response_model_exclude_none=True,
    responses=READ_ERRORS,
)
async def signaal_lezen(
    signaal_id: Annotated[str, Path(alias="signaalId", max_length=100)],
    keten: Annotated[ServiceRuntime, Depends(runtime)],
    lezing: Annotated[BronLezing, Depends(SIGNALEN_LEZEN)],
) -> Any:
    return served_json(await lees_signaal(keten, lezing, signaal_id))


async def lees_signaal(keten: ServiceRuntime, lezing: BronLezing, signaal_id: str) -> ContractModel:
    """One signaal as the caller's view (logged), or 404. Shared by the API and the portal."""
    async with keten.unit_of_work() as uow:
        found = await _signaal(uow, signaal_id)
    if found is None:
        await lezing.niet_gevonden(signaal_id)
    signaal, persoon = found
    # A signaal is for the gemeente it was raised for (its row's gemeente), also after a move.
    return await lezing.lever(
        signaal.to_contract(),
        rij=Rij(gemeentecode=signaal.gemeentecode),
        betrokkene=_betrokkene(persoon),
    )


@router.post(
    "/signalen/{signaalId}/afhandelen",
    operation_id="signaal-afhandelen",
    summary="Tick a signaal off (afgehandeld): records who and when, emits signaal.afgehandeld",
    response_model=contract.Signaal,
    response_model_exclude_none=True,
    # 409: already ticked off; 422: the token names no user (user_id).
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def signaal_afhandelen(
    signaal_id: Annotated[str, Path(alias="signaalId", max_length=100)],
    keten: Annotated[ServiceRuntime, Depends(runtime)],
    lezing: Annotated[BronLezing, Depends(SIGNAAL_AFHANDELEN)],
) -> Any:
    """Seed 002 section 3.1: "Doel is dat signalen kunnen worden afgevinkt en daarmee op
    afgehandeld worden gezet". Only the gemeente the signaal is for may tick it off; another
    gemeente gets 404, as for a signaal that does not exist."""
    return served_json(await handel_signaal_af(keten, lezing, signaal_id))


async def handel_signaal_af(
    keten: ServiceRuntime, lezing: BronLezing, signaal_id: str
) -> ContractModel:
    """Tick a signaal off for the caller: the one code path of the API and the sandbox portal
    (policy, 409, the user reference, ``signaal.afgehandeld`` through the outbox, the log)."""
    from .handlers import emit  # the handlers module imports this one

    gebruiker = lezing.caller.user_id
    async with keten.unit_of_work() as uow:
        found = await _signaal(uow, signaal_id)
        if found is None:
            await lezing.niet_gevonden(signaal_id)
        signaal, persoon = found
        rij = Rij(gemeentecode=signaal.gemeentecode)
        betrokkene = _betrokkene(persoon)
        if projecteer(lezing.toegang, "signaal", signaal.to_contract(), rij) is None:
            # Not the caller's: the kit logs the refusal and answers 404 (no 409 below, which
            # would tell another gemeente that the signaal exists).
            await lezing.lever(signaal.to_contract(), rij=rij, betrokkene=betrokkene)
        if signaal.status == contract.Signaalstatus.AFGEHANDELD.value:
            raise Problem(409, detail=f"signaal {signaal_id!r} was already ticked off")
        if not gebruiker or not re.fullmatch(OPAQUE_ID_PATTERN, gebruiker):
            # The contract traces who ticked it off by the user reference in the token.
            raise Problem(422, detail="a tick-off needs the user: user_id in the token")
        signaal.status = contract.Signaalstatus.AFGEHANDELD.value
        signaal.afgehandeld_door = gebruiker
        signaal.afgehandeld_door_client = lezing.caller.client_id
        signaal.afgehandeld_op = max(clock.now(), signaal.aangemaakt_op)
        emit(
            uow,
            keten.settings.base_url,
            "signaal.afgehandeld.v1",
            "signaal",
            signaal_id,
            persoon,
            signaal.inburgeringsplicht_id,
            gemeentecode=signaal.gemeentecode,
        )
        # Served (and logged) before the commit: a failing log write undoes the tick-off.
        view = await lezing.lever(signaal.to_contract(), rij=rij, betrokkene=betrokkene)
    return view
