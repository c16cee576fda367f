"""DUO's emulated portal (issue #13): a gemeente user sees its open signalen, opens one, ticks
it off, and sees a person's plicht, termijnen, exams and fines as the gemeente's view allows.

Sandbox only (``keten_core.portaal``): the user picks a gemeente party of the registry. Every
page reads through the API's own functions (``api.zoek_signalen``, ``api.lees_signaal``,
``api.handel_signaal_af``, ``api.lees_rij``, ``api.rijen_van_plicht``) with a ``BronLezing``
made by the API's own dependency factories, so the purpose check, the policy, the views and
the processing log are the API's; a tick-off emits ``signaal.afgehandeld`` through the outbox
exactly as the API's does.
"""

# No "from __future__ import annotations": FastAPI must see the routes' annotations as objects.
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from keten_contracts.clients import Doel
from keten_contracts.parties import Rol
from keten_contracts.resources import duo as contract
from keten_core.auth import AuthenticatedCaller, Party
from keten_core.clock import AMSTERDAM
from keten_core.portaal import Portaal, PortaalSettings, portaal_router
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.settings import KetenSettings
from keten_core.source_read import BronLezing, bron_lezing, get_verwerkingslog, served_json

from . import api, models

__all__ = ["PORTAAL", "router"]


def _gemeente(party: Party) -> bool:
    """DUO's portal is the gemeenten's: only their credentials at duo-adapter sign in."""
    return party.rol is Rol.GEMEENTE


PORTAAL: Final = Portaal(
    titel="DUO-portaal (sandbox)",
    templates_dir=Path(__file__).parent / "templates",
    mag_aanmelden=_gemeente,
    start="/signalen",
    navigatie=[("/signalen", "Open signalen")],
)

# The API's own dependency factories (purpose, policy, log); the rows' resources give the views.
_LEZEN: Final = {
    resource: bron_lezing(resource, Doel.UITVOERING_INBURGERING)
    for resource in ("inburgeringsplicht", "examenresultaat", "duo-boete")
}

Lezer = Callable[..., Awaitable[BronLezing]]


async def _lezing(request: Request, caller: AuthenticatedCaller, factory: Lezer) -> BronLezing:
    """The read context the API would make for a verified token of the signed-in party."""
    return await factory(caller=caller, verwerkingslog=await get_verwerkingslog(request))


def _enum(kind: type[Any], value: str | None, naam: str) -> Any:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise Problem(422, detail=f"onbekende {naam}") from None


def _dag(value: str | None, *, volgende: bool = False) -> datetime | None:
    """A date of the filter form as the start of that day (or the next) in Dutch time."""
    if not value:
        return None
    try:
        dag = date.fromisoformat(value)
    except ValueError:
        raise Problem(422, detail="ongeldige datum") from None
    if volgende:
        dag += timedelta(days=1)
    return datetime.combine(dag, time(), tzinfo=AMSTERDAM)


Aangemeld = Annotated[AuthenticatedCaller, Depends(PORTAAL.aangemeld())]
Keten = Annotated[ServiceRuntime, Depends(runtime)]
Id = Annotated[str, PathParam(max_length=100)]

pages = APIRouter()


@pages.get("/")
async def start() -> Response:
    return RedirectResponse(PORTAAL.url("/signalen"), status_code=303)


@pages.get("/signalen")
async def signalen(
    request: Request,
    caller: Aangemeld,
    keten: Keten,
    klasse: Annotated[str | None, Query(max_length=40)] = None,
    code: Annotated[str | None, Query(max_length=80)] = None,
    persoon: Annotated[str | None, Query(max_length=100)] = None,
    vanaf: Annotated[str | None, Query(max_length=10)] = None,
    tot: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """The gemeente's open signalen, filtered by class, code, person reference and date."""
    lezing = await _lezing(request, caller, api.SIGNALEN_LEZEN)
    views = await api.zoek_signalen(
        keten,
        lezing,
        klasse=_enum(contract.Signaalklasse, klasse, "klasse"),
        code=_enum(contract.Signaalcode, code, "code"),
        inburgeringsplicht_id=persoon or None,
        aangemaakt_vanaf=_dag(vanaf),
        aangemaakt_tot=_dag(tot, volgende=True),  # "tot en met" the chosen day
    )
    return PORTAAL.pagina(
        request,
        "duo/signalen.html",
        {
            "paginatitel": "Open signalen",
            "signalen": served_json(views),
            "filter": {
                "klasse": klasse or "",
                "code": code or "",
                "persoon": persoon or "",
                "vanaf": vanaf or "",
                "tot": tot or "",
            },
            "klassen": [k.value for k in contract.Signaalklasse],
            "codes": [c.value for c in contract.Signaalcode],
        },
    )


@pages.get("/signalen/{signaal_id}")
async def signaal(request: Request, signaal_id: Id, caller: Aangemeld, keten: Keten) -> Response:
    lezing = await _lezing(request, caller, api.SIGNALEN_LEZEN)
    view = served_json(await api.lees_signaal(keten, lezing, signaal_id))
    return PORTAAL.pagina(
        request, "duo/signaal.html", {"paginatitel": f"Signaal {signaal_id}", "signaal": view}
    )


@pages.post("/signalen/{signaal_id}/afhandelen", dependencies=[Depends(PORTAAL.csrf)])
async def afhandelen(request: Request, signaal_id: Id, caller: Aangemeld, keten: Keten) -> Response:
    """The API's tick-off (same function): records who and when, emits through the outbox."""
    lezing = await _lezing(request, caller, api.SIGNAAL_AFHANDELEN)
    await api.handel_signaal_af(keten, lezing, signaal_id)
    PORTAAL.melding(request, f"Signaal {signaal_id} is afgehandeld.")
    return RedirectResponse(PORTAAL.url("/signalen"), status_code=303)


@pages.get("/personen/{plicht_id}")
async def persoon(request: Request, plicht_id: Id, caller: Aangemeld, keten: Keten) -> Response:
    """A person's plicht, termijnen, exams and fines, each in the gemeente's view; another
    gemeente's person is 'niet gevonden', as in the API."""
    plicht = await api.lees_rij(
        keten,
        await _lezing(request, caller, _LEZEN["inburgeringsplicht"]),
        models.Inburgeringsplicht,
        plicht_id,
    )
    termijnen = await api.rijen_van_plicht(
        keten, await _lezing(request, caller, api.TERMIJNEN_LEZEN), models.Termijn, plicht_id
    )
    examens = await api.rijen_van_plicht(
        keten,
        await _lezing(request, caller, _LEZEN["examenresultaat"]),
        models.Examenresultaat,
        plicht_id,
    )
    boetes = await api.rijen_van_plicht(
        keten, await _lezing(request, caller, _LEZEN["duo-boete"]), models.DuoBoete, plicht_id
    )
    return PORTAAL.pagina(
        request,
        "duo/persoon.html",
        {
            "paginatitel": f"Inburgeringsplicht {plicht_id}",
            "plicht_id": plicht_id,
            "plicht": served_json(plicht),
            "termijnen": served_json(termijnen),
            "examens": served_json(examens),
            "boetes": served_json(boetes),
        },
    )


def router(settings: KetenSettings, portaal_settings: PortaalSettings | None = None) -> APIRouter:
    """The portal below ``/portaal`` in the sandbox; no routes at all otherwise."""
    return portaal_router(PORTAAL, pages, sandbox=settings.sandbox, settings=portaal_settings)
