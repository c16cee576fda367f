"""COA's emulated portal, TVS-like (issue #13): a gemeente user sees the koppelingen to its
gemeente, a klantprofiel in the gemeente's view and its PDF; the COA casemanager sees the
linked statushouders and edits a klantprofiel while the person is in the AZC.

Sandbox only (``keten_core.portaal``): the user picks a gemeente party or COA's own party of
the registry. Every page reads through the API's own functions (``api.zoek_koppelingen``,
``api.lees_koppeling``, ``api.lees_klantprofiel``, ``api.klantprofiel_als_pdf``) with a
``BronLezing`` made by the API's own dependency factories, so the purpose, the policy, the
views and the processing log are the API's. The casemanager's change is the control API's
(``control.werk_klantprofiel_bij``): the same merge, validation, freezing rule (409 after
vertrek) and events through the outbox.
"""

# No "from __future__ import annotations": FastAPI must see the routes' annotations as objects.
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from pydantic.alias_generators import to_camel, to_snake

from keten_contracts.clients import Doel
from keten_contracts.common import OPAQUE_ID_PATTERN, Taalniveau
from keten_contracts.parties import Rol
from keten_core.auth import AuthenticatedCaller, Party
from keten_core.portaal import CSRF_FIELD, Portaal, PortaalSettings, portaal_router
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.settings import KetenSettings
from keten_core.source_read import BronLezing, bron_lezing, get_verwerkingslog, served_json

from . import api, control

__all__ = ["PORTAAL", "router"]


def _mag_aanmelden(party: Party) -> bool:
    """TVS's users: the linked gemeenten (and parties they mandate), and COA's casemanager."""
    return party.rol in (Rol.GEMEENTE, Rol.COA)


PORTAAL: Final = Portaal(
    titel="COA-portaal TVS (sandbox)",
    templates_dir=Path(__file__).parent / "templates",
    mag_aanmelden=_mag_aanmelden,
    start="/",
    # One entry for both kinds of user: the start page sends each to its own list.
    navigatie=[("/", "Overzicht")],
)

# The casemanager reads the klantprofiel as its owner, under COA's own purpose (the API's
# routes serve the gemeente's purpose, which COA's credential does not carry).
CASEMANAGER_LEZEN: Final = bron_lezing(
    "klantprofiel", Doel.KOPPELING_EN_KLANTPROFIEL, activiteit="klantprofiel lezen casemanager"
)

# The fields the edit form offers: the klantprofiel's plain fields the casemanager's view
# holds. Nested data (family, status, voorinburgering, education, work, contact person) is
# shown read-only; the control API changes it.
TEKSTVELDEN: Final = ("voornamen", "geslachtsnaam", "nationaliteit", "computervaardigheden")
LIJSTVELDEN: Final = ("trainingen", "competenties")  # one entry per line
JANEEVELDEN: Final = ("contactUaf", "cvGemaakt")
KEUZEVELDEN: Final[Mapping[str, list[str]]] = {"taalvaardigheid": [t.value for t in Taalniveau]}
LANGE_TEKSTVELDEN: Final = ("ambities",)
FORMULIERVELDEN: Final = (
    *TEKSTVELDEN,
    *KEUZEVELDEN,
    *LANGE_TEKSTVELDEN,
    *LIJSTVELDEN,
    *JANEEVELDEN,
)

Lezer = Callable[..., Awaitable[BronLezing]]


async def _lezing(request: Request, caller: AuthenticatedCaller, factory: Lezer) -> BronLezing:
    """The read context the API would make for a verified token of the signed-in party."""
    return await factory(caller=caller, verwerkingslog=await get_verwerkingslog(request))


def _casemanager(caller: AuthenticatedCaller) -> bool:
    return caller.rol is Rol.COA


Aangemeld = Annotated[AuthenticatedCaller, Depends(PORTAAL.aangemeld())]
Keten = Annotated[ServiceRuntime, Depends(runtime)]
Id = Annotated[str, PathParam(max_length=100, pattern=OPAQUE_ID_PATTERN)]

pages = APIRouter()


@pages.get("/")
async def start(caller: Aangemeld) -> Response:
    doel = "/statushouders" if _casemanager(caller) else "/koppelingen"
    return RedirectResponse(PORTAAL.url(doel), status_code=303)


@pages.get("/koppelingen")
async def koppelingen(request: Request, caller: Aangemeld, keten: Keten) -> Response:
    """The koppelingen to the gemeente, as the API lists them."""
    lezing = await _lezing(request, caller, api.KOPPELING_LEZEN)
    views = await api.zoek_koppelingen(keten, lezing)
    return PORTAAL.pagina(
        request,
        "coa/koppelingen.html",
        {"paginatitel": "Koppelingen", "koppelingen": served_json(views)},
    )


@pages.get("/koppelingen/{koppeling_id}")
async def koppeling(
    request: Request, koppeling_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """One koppeling; another gemeente's is 'niet gevonden', as in the API."""
    lezing = await _lezing(request, caller, api.KOPPELING_LEZEN)
    view = served_json(await api.lees_koppeling(keten, lezing, koppeling_id))
    return PORTAAL.pagina(
        request,
        "coa/koppeling.html",
        {"paginatitel": f"Koppeling {koppeling_id}", "koppeling": view},
    )


@pages.get("/statushouders")
async def statushouders(request: Request, caller: Aangemeld, keten: Keten) -> Response:
    """The casemanager's list: every linked statushouder's klantprofiel."""
    if not _casemanager(caller):
        raise Problem(403, detail="Alleen de casemanager van het COA.")
    lezing = await _lezing(request, caller, CASEMANAGER_LEZEN)
    views = await api.zoek_klantprofielen(keten, lezing)
    return PORTAAL.pagina(
        request,
        "coa/statushouders.html",
        {"paginatitel": "Statushouders", "klantprofielen": served_json(views)},
    )


async def _klantprofiel(
    request: Request, caller: AuthenticatedCaller, keten: ServiceRuntime, klantprofiel_id: str
) -> dict[str, Any]:
    factory = CASEMANAGER_LEZEN if _casemanager(caller) else api.KLANTPROFIEL_LEZEN
    lezing = await _lezing(request, caller, factory)
    view: dict[str, Any] = served_json(await api.lees_klantprofiel(keten, lezing, klantprofiel_id))
    return view


def _klantprofielpagina(
    request: Request,
    caller: AuthenticatedCaller,
    profiel: Mapping[str, Any],
    *,
    formulier: Mapping[str, str] | None = None,
    fouten: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    return PORTAAL.pagina(
        request,
        "coa/klantprofiel.html",
        {
            "paginatitel": f"Klantprofiel {profiel['klantprofielId']}",
            "profiel": profiel,
            # The form only while the person is in the AZC, and only for the casemanager.
            "bewerkbaar": _casemanager(caller) and not profiel.get("bevroren", True),
            "formulier": formulier if formulier is not None else _formulierwaarden(profiel),
            "fouten": fouten or [],
            "velden": {
                "tekst": TEKSTVELDEN,
                "keuze": KEUZEVELDEN,
                "lang": LANGE_TEKSTVELDEN,
                "lijst": LIJSTVELDEN,
                "janee": JANEEVELDEN,
            },
        },
        status_code=status_code,
    )


@pages.get("/klantprofielen/{klantprofiel_id}")
async def klantprofiel(
    request: Request, klantprofiel_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """The klantprofiel in the caller's view: the gemeente's (with the PDF), or the
    casemanager's with the edit form while the person is in the AZC."""
    profiel = await _klantprofiel(request, caller, keten, klantprofiel_id)
    return _klantprofielpagina(request, caller, profiel)


@pages.get("/klantprofielen/{klantprofiel_id}/pdf")
async def klantprofiel_pdf(
    request: Request, klantprofiel_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """The API's PDF of the gemeente's view (same read, same activity in the log)."""
    lezing = await _lezing(request, caller, api.KLANTPROFIEL_PDF)
    view = await api.lees_klantprofiel(keten, lezing, klantprofiel_id)
    return api.klantprofiel_als_pdf(klantprofiel_id, view)


def _formulierwaarden(profiel: Mapping[str, Any]) -> dict[str, str]:
    """The profile's values as the form's text (lists one per line, booleans ja/nee)."""
    waarden: dict[str, str] = {}
    for naam in FORMULIERVELDEN:
        waarde = profiel.get(naam)
        if waarde is None:
            waarden[naam] = ""
        elif isinstance(waarde, bool):
            waarden[naam] = "ja" if waarde else "nee"
        elif isinstance(waarde, list):
            waarden[naam] = "\n".join(str(w) for w in waarde)
        else:
            waarden[naam] = str(waarde)
    return waarden


def _wijziging(formulier: Mapping[str, str]) -> dict[str, Any]:
    """The form as a merge patch, as the control API takes it: a field sent empty empties it
    (null), a field not sent stays as it is."""
    patch: dict[str, Any] = {}
    for naam in FORMULIERVELDEN:
        if naam not in formulier:
            continue
        tekst = formulier[naam].strip()
        if naam in LIJSTVELDEN:
            regels = [r.strip() for r in tekst.splitlines() if r.strip()]
            patch[naam] = regels or None
        elif naam in JANEEVELDEN:
            patch[naam] = {"ja": True, "nee": False}.get(tekst)
        else:
            patch[naam] = tekst or None
    return patch


def _veldnamen(exc: ValidationError, patch: Mapping[str, Any]) -> list[str]:
    """The fields a refused form got wrong, by wire name (the page labels them). The rule on
    the whole change (a required field may not be emptied) names the fields it found empty."""
    namen: list[str] = []
    for fout in exc.errors():
        loc = [deel for deel in fout["loc"] if isinstance(deel, str)]
        if loc:
            gevonden = [to_camel(loc[0])]
        else:
            gevonden = [
                n for n, w in patch.items() if w is None and to_snake(n) in control.VERPLICHT
            ]
        namen.extend(n for n in gevonden or ["formulier"] if n not in namen)
    return namen


@pages.post("/klantprofielen/{klantprofiel_id}", dependencies=[Depends(PORTAAL.csrf)])
async def klantprofiel_bijwerken(
    request: Request, klantprofiel_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """The casemanager's change through the control API's own write path; after vertrek the
    same rule refuses it (a forged form included)."""
    if not _casemanager(caller):  # as the control API: COA's own parties only
        raise Problem(403, detail="Alleen de casemanager van het COA wijzigt het klantprofiel.")
    statushouder_id = await api.statushouder_van_klantprofiel(keten, klantprofiel_id)
    if statushouder_id is None:
        raise Problem(404, detail="Geen klantprofiel.")
    formulier = {
        naam: waarde
        for naam, waarde in (await request.form()).items()
        if isinstance(waarde, str) and naam != CSRF_FIELD
    }
    patch = _wijziging(formulier)
    try:
        wijziging = control.KlantprofielWijziging.model_validate(patch)
    except ValidationError as exc:
        profiel = await _klantprofiel(request, caller, keten, klantprofiel_id)
        return _klantprofielpagina(
            request,
            caller,
            profiel,
            formulier=formulier,
            fouten=_veldnamen(exc, patch),
            status_code=422,
        )
    try:
        stand = await control.werk_klantprofiel_bij(keten, statushouder_id, wijziging)
    except Problem as exc:
        if exc.status != 409:
            raise
        return PORTAAL.pagina(
            request,
            "coa/niet_wijzigbaar.html",
            {"paginatitel": "Niet meer te wijzigen", "klantprofiel_id": klantprofiel_id},
            status_code=409,
        )
    PORTAAL.melding(request, f"Het klantprofiel is opgeslagen (versie {stand.versie}).")
    return RedirectResponse(PORTAAL.url(f"/klantprofielen/{klantprofiel_id}"), status_code=303)


def router(settings: KetenSettings, portaal_settings: PortaalSettings | None = None) -> APIRouter:
    """The portal below ``/portaal`` in the sandbox; no routes at all otherwise."""
    return portaal_router(PORTAAL, pages, sandbox=settings.sandbox, settings=portaal_settings)
