"""COA's emulated portal, TVS-like (issue #13): a gemeente user sees the koppelingen to its
gemeente, a klantprofiel in the gemeente's view and its PDF; the COA casemanager sees the
linked statushouders and edits a klantprofiel while the person is in the AZC, plans and holds
the warme overdracht and reports the vertrek uit het AZC; a gemeente user sees the warme
overdrachten of its koppelingen.

Sandbox only (``keten_core.portaal``): the user picks a gemeente party or COA's own party of
the registry. Every page reads through the API's own functions (``api.zoek_koppelingen``,
``api.lees_koppeling``, ``api.lees_klantprofiel``, ``api.klantprofiel_als_pdf``,
``api.lees_warme_overdracht``, ``api.zoek_warme_overdrachten``) with a ``BronLezing`` made by
the API's own dependency factories, so the purpose, the policy, the views and the processing
log are the API's. The casemanager's actions are the control API's
(``control.werk_klantprofiel_bij``, ``control.warme_overdracht_plannen``,
``control.warme_overdracht_houden``, ``control.vertrek_uit_azc``): the same validation, the
same rules (a refusal is 409: shown on the page in Dutch) and events through the outbox.

The klantprofiel's nested data is edited too (``portaal_formulieren``, derived from the
contract's models): each nested object is a fieldset of the edit form, each list of objects a
table with "Verwijderen" per entry and a "toevoegen" sub-form, each its own POST with the whole
new list (a merge patch replaces arrays).
"""

# No "from __future__ import annotations": FastAPI must see the routes' annotations as objects.
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, time
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
from keten_core.clock import AMSTERDAM, today
from keten_core.portaal import CSRF_FIELD, Portaal, PortaalSettings, portaal_router
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from keten_core.settings import KetenSettings
from keten_core.source_read import BronLezing, bron_lezing, get_verwerkingslog, served_json

from . import api, control
from . import portaal_formulieren as formulieren
from .portaal_formulieren import ONGELDIGE_DATUM
from .portaal_formulieren import lees_datum as _datum

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

# The casemanager reads the warme overdrachten the same way, under COA's own purpose.
CASEMANAGER_WARME_OVERDRACHT_LEZEN: Final = bron_lezing(
    "warme-overdracht",
    Doel.KOPPELING_EN_KLANTPROFIEL,
    activiteit="warme-overdracht lezen casemanager",
)

# The plain fields the edit form offers. The nested data (contact person, status,
# voorinburgering, ...: fieldsets of the same form; family, education, work: tables with their
# own forms) is derived from the contract's models in ``portaal_formulieren``.
TEKSTVELDEN: Final = (
    "voornamen",
    "geslachtsnaam",
    "nationaliteit",
    "computervaardigheden",
    "telefoonnummer",
    "mailadres",
)
LIJSTVELDEN: Final = ("trainingen", "competenties")  # one entry per line
JANEEVELDEN: Final = ("contactUaf", "cvGemaakt", "zelfwerkzaamheidCoaLocatie")
KEUZEVELDEN: Final[Mapping[str, list[str]]] = {"taalvaardigheid": [t.value for t in Taalniveau]}
LANGE_TEKSTVELDEN: Final = ("ambities",)
FORMULIERVELDEN: Final = (
    *TEKSTVELDEN,
    *KEUZEVELDEN,
    *LANGE_TEKSTVELDEN,
    *LIJSTVELDEN,
    *JANEEVELDEN,
)

# The error summary's label of each nested input (by its id after ``veld-``).
FOUTLABELS: Final = formulieren.foutlabels(PORTAAL.templates.env.filters["label"])

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
    """One koppeling with its warme overdrachten; another gemeente's is 'niet gevonden', as in
    the API."""
    lezing = await _lezing(request, caller, api.KOPPELING_LEZEN)
    view = served_json(await api.lees_koppeling(keten, lezing, koppeling_id))
    overdrachten = await api.zoek_warme_overdrachten(
        keten,
        await _lezing(request, caller, api.WARME_OVERDRACHT_LEZEN),
        koppeling_id=koppeling_id,
    )
    return PORTAAL.pagina(
        request,
        "coa/koppeling.html",
        {
            "paginatitel": f"Koppeling {koppeling_id}",
            "koppeling": view,
            "overdrachten": served_json(overdrachten),
        },
    )


@pages.get("/warme-overdrachten/{warme_overdracht_id}")
async def warme_overdracht(
    request: Request, warme_overdracht_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """One warme overdracht through the API's read (the casemanager's under COA's purpose);
    another gemeente's is 'niet gevonden', as in the API."""
    factory = (
        CASEMANAGER_WARME_OVERDRACHT_LEZEN if _casemanager(caller) else api.WARME_OVERDRACHT_LEZEN
    )
    lezing = await _lezing(request, caller, factory)
    view = served_json(await api.lees_warme_overdracht(keten, lezing, warme_overdracht_id))
    return PORTAAL.pagina(
        request,
        "coa/warme_overdracht.html",
        {"paginatitel": f"Warme overdracht {warme_overdracht_id}", "overdracht": view},
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


async def _overdrachten(
    request: Request, caller: AuthenticatedCaller, keten: ServiceRuntime, statushouder_id: str
) -> list[dict[str, Any]]:
    """The casemanager's views of the person's warme overdrachten, earliest planned first."""
    lezing = await _lezing(request, caller, CASEMANAGER_WARME_OVERDRACHT_LEZEN)
    views = await api.zoek_warme_overdrachten(keten, lezing, statushouder_id=statushouder_id)
    gelezen: list[dict[str, Any]] = served_json(views)
    return gelezen


async def _klantprofielpagina(
    request: Request,
    caller: AuthenticatedCaller,
    keten: ServiceRuntime,
    klantprofiel_id: str,
    *,
    formulier: Mapping[str, str] | None = None,
    fouten: Mapping[str, str] | None = None,
    foutkop: str = "Het klantprofiel is niet opgeslagen",
    invoer: Mapping[str, str] | None = None,
    weigering: Callable[[Mapping[str, Any]], str] | None = None,
    status_code: int = 200,
) -> Response:
    """The klantprofiel page; for the casemanager with the warme overdrachten and, while the
    person is in the AZC, the forms. ``fouten``: the refused form's fields (by the name after
    ``veld-``) with a Dutch message or ""; ``weigering``: a rule's refusal (409) in Dutch, from
    the profile as the page reads it after the refusal."""
    profiel = await _klantprofiel(request, caller, keten, klantprofiel_id)
    # The forms only while the person is in the AZC, and only for the casemanager.
    bewerkbaar = _casemanager(caller) and not profiel.get("bevroren", True)
    overdrachten: list[dict[str, Any]] = []
    if _casemanager(caller):
        statushouder_id = await api.statushouder_van_klantprofiel(keten, klantprofiel_id)
        if statushouder_id is not None:
            overdrachten = await _overdrachten(request, caller, keten, statushouder_id)
    houdbaar = [
        wo["warmeOverdrachtId"]
        for wo in overdrachten
        if bewerkbaar and "gehoudenOp" not in wo and wo["koppelingId"] == profiel["koppelingId"]
    ]
    vandaag = today().isoformat()
    waarden = {
        "geplandDatum": "",
        "geplandTijd": "",
        "locatie": "",
        "vestigingsdatum": vandaag,
        **{f"gehoudenOp-{wo}": vandaag for wo in houdbaar},
        **(invoer or {}),
    }
    return PORTAAL.pagina(
        request,
        "coa/klantprofiel.html",
        {
            "paginatitel": f"Klantprofiel {profiel['klantprofielId']}",
            "profiel": profiel,
            "bewerkbaar": bewerkbaar,
            "formulier": formulier if formulier is not None else _formulierwaarden(profiel),
            "fouten": dict(fouten or {}),
            "foutlabels": FOUTLABELS,
            "foutkop": foutkop,
            "weigering": weigering(profiel) if weigering else None,
            "overdrachten": overdrachten,
            "houdbaar": houdbaar,
            "invoer": waarden,
            "velden": {
                "tekst": TEKSTVELDEN,
                "keuze": KEUZEVELDEN,
                "lang": LANGE_TEKSTVELDEN,
                "lijst": LIJSTVELDEN,
                "janee": JANEEVELDEN,
            },
            "groepen": formulieren.GROEPEN,
            "lijsten": formulieren.LIJSTEN,
            # Each list's entries; None: the object that holds it is still empty.
            "regels": {
                lijst.id: formulieren.huidige_lijst(lijst, profiel) for lijst in formulieren.LIJSTEN
            },
        },
        status_code=status_code,
    )


@pages.get("/klantprofielen/{klantprofiel_id}")
async def klantprofiel(
    request: Request, klantprofiel_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """The klantprofiel in the caller's view: the gemeente's (with the PDF), or the
    casemanager's with the warme overdrachten, and the forms while the person is in the AZC."""
    return await _klantprofielpagina(request, caller, keten, klantprofiel_id)


@pages.get("/klantprofielen/{klantprofiel_id}/pdf")
async def klantprofiel_pdf(
    request: Request, klantprofiel_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """The API's PDF of the gemeente's view (same read, same activity in the log)."""
    lezing = await _lezing(request, caller, api.KLANTPROFIEL_PDF)
    view = await api.lees_klantprofiel(keten, lezing, klantprofiel_id)
    return api.klantprofiel_als_pdf(klantprofiel_id, view)


def _formulierwaarden(profiel: Mapping[str, Any]) -> dict[str, str]:
    """The profile's values as the form's text (lists one per line, booleans ja/nee), the
    nested objects' fields by their form names (``coaContactpersoon.naam``)."""
    waarden = formulieren.groepwaarden(profiel)
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


def _veldfouten(exc: ValidationError, patch: Mapping[str, Any]) -> dict[str, str]:
    """The fields a refused form got wrong, by the id after ``veld-`` (the wire name; a nested
    object's field: ``coaContactpersoon-naam``), with a Dutch message (the page labels them).
    The rule on the whole change (a required field may not be emptied) names the fields it
    found empty."""
    fouten: dict[str, str] = {}
    for fout in exc.errors():
        loc = [deel for deel in fout["loc"] if isinstance(deel, str)]
        if loc:
            genest = formulieren.groepveld(loc)
            gevonden = [genest or to_camel(loc[0])]
            melding = formulieren.foutmelding(fout)
        else:
            gevonden = [
                n for n, w in patch.items() if w is None and to_snake(n) in control.VERPLICHT
            ]
            melding = ""
        for naam in gevonden or ["formulier"]:
            fouten.setdefault(naam, melding)
    return fouten


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

    async def geweigerd(fouten: Mapping[str, str]) -> Response:
        return await _klantprofielpagina(
            request,
            caller,
            keten,
            klantprofiel_id,
            formulier=formulier,
            fouten=fouten,
            status_code=422,
        )

    # A nested object is sent whole: its lists (edited in their own tables) as they are now.
    profiel = await _klantprofiel(request, caller, keten, klantprofiel_id)
    try:
        patch = {**_wijziging(formulier), **formulieren.groepwijziging(formulier, profiel)}
    except formulieren.Invoerfout as exc:
        return await geweigerd(exc.fouten)
    try:
        wijziging = control.KlantprofielWijziging.model_validate(patch)
    except ValidationError as exc:
        return await geweigerd(_veldfouten(exc, patch))
    stand = await _bijwerken(keten, statushouder_id, wijziging)
    if stand is None:
        return _niet_wijzigbaar(request, klantprofiel_id)
    PORTAAL.melding(request, f"Het klantprofiel is opgeslagen (versie {stand.versie}).")
    return RedirectResponse(PORTAAL.url(f"/klantprofielen/{klantprofiel_id}"), status_code=303)


async def _bijwerken(
    keten: ServiceRuntime, statushouder_id: str, wijziging: Any
) -> control.Stand | None:
    """The change through the control API's own write path; None when its rule refuses it
    (409: the person has left the AZC, the profile is frozen)."""
    try:
        return await control.werk_klantprofiel_bij(keten, statushouder_id, wijziging)
    except Problem as exc:
        if exc.status != 409:
            raise
        return None


def _niet_wijzigbaar(request: Request, klantprofiel_id: str) -> Response:
    return PORTAAL.pagina(
        request,
        "coa/niet_wijzigbaar.html",
        {"paginatitel": "Niet meer te wijzigen", "klantprofiel_id": klantprofiel_id},
        status_code=409,
    )


# --- the casemanager's warme overdracht and vertrek ---------------------------------------

_TIJD: Final = re.compile(r"\d{2}:\d{2}")


def _tijd(tekst: str) -> time | None:
    """A time input's value (``uu:mm``), or None."""
    tekst = tekst.strip()
    if not _TIJD.fullmatch(tekst):
        return None
    try:
        return time.fromisoformat(tekst)
    except ValueError:
        return None


def _tekstvelden(request_form: Mapping[str, Any], *namen: str) -> dict[str, str]:
    """The form's text values of ``namen`` ("" when not sent)."""
    return {
        naam: waarde if isinstance(waarde := request_form.get(naam), str) else "" for naam in namen
    }


def _planning(
    invoer: Mapping[str, str],
) -> tuple[control.WarmeOverdrachtPlanning | None, dict[str, str]]:
    """The planning form as the control API's request, or the fields it got wrong. The date and
    time are Dutch local time (Europe/Amsterdam), the control API takes an instant."""
    fouten: dict[str, str] = {}
    dag = _datum(invoer["geplandDatum"])
    uur = _tijd(invoer["geplandTijd"])
    locatie = invoer["locatie"].strip()
    if dag is None:
        fouten["geplandDatum"] = ONGELDIGE_DATUM
    if uur is None:
        fouten["geplandTijd"] = "vul een geldige tijd in (uu:mm)"
    if not locatie:
        fouten["locatie"] = "vul de locatie in"
    if dag is None or uur is None:
        return None, fouten
    lokaal = datetime.combine(dag, uur)
    moment = lokaal.replace(tzinfo=AMSTERDAM)
    try:
        # A local time the clock skips (the switch to summer time) does not exist.
        bestaat = moment.astimezone(UTC).astimezone(AMSTERDAM).replace(tzinfo=None) == lokaal
    except OverflowError:
        fouten["geplandDatum"] = ONGELDIGE_DATUM
        return None, fouten
    if not bestaat:
        fouten["geplandTijd"] = "deze tijd bestaat niet op die dag (de klok gaat een uur vooruit)"
    if fouten:
        return None, fouten
    try:
        return control.WarmeOverdrachtPlanning(gepland_op=moment, locatie=locatie), {}
    except ValidationError as exc:
        for fout in exc.errors():
            loc = [deel for deel in fout["loc"] if isinstance(deel, str)]
            if loc and loc[0] in ("gepland_op", "geplandOp"):
                fouten["geplandDatum"] = ONGELDIGE_DATUM
            elif loc and loc[0] == "locatie" and fout["type"] == "string_too_long":
                fouten["locatie"] = "gebruik ten hoogste 200 tekens"
            else:  # the only free text: the NUL character or a broken character
                fouten["locatie"] = "deze tekst kan niet worden opgeslagen"
        return None, fouten


def _dag(datum: date) -> str:
    return datum.strftime("%d-%m-%Y")


async def _ongeldig(
    request: Request,
    caller: AuthenticatedCaller,
    keten: ServiceRuntime,
    klantprofiel_id: str,
    actie: str,
    fouten: Mapping[str, str],
    invoer: Mapping[str, str],
) -> Response:
    """The page again with the error summary of a refused form (422), its input kept."""
    return await _klantprofielpagina(
        request,
        caller,
        keten,
        klantprofiel_id,
        fouten=fouten,
        foutkop=actie,
        invoer=invoer,
        status_code=422,
    )


async def _geweigerd(
    request: Request,
    caller: AuthenticatedCaller,
    keten: ServiceRuntime,
    klantprofiel_id: str,
    actie: str,
    overdracht: Mapping[str, Any] | None,
) -> Response:
    """The page again with a rule's refusal (the control API's 409) in Dutch."""
    return await _klantprofielpagina(
        request,
        caller,
        keten,
        klantprofiel_id,
        weigering=lambda profiel: _weigering(actie, profiel, overdracht),
        status_code=409,
    )


def _weigering(actie: str, profiel: Mapping[str, Any], overdracht: Mapping[str, Any] | None) -> str:
    """A rule's refusal (the control API's 409) in Dutch, from the state the page reads after
    it (the rule's own text is English, for the API's clients)."""
    if overdracht is not None and "gehoudenOp" in overdracht:
        gehouden = date.fromisoformat(overdracht["gehoudenOp"])
        return f"{actie}: deze warme overdracht is al gehouden, op {_dag(gehouden)}."
    if profiel.get("bevroren"):
        return f"{actie}: de persoon heeft het AZC al verlaten. Het klantprofiel is bevroren."
    return f"{actie}: dat kan niet in de huidige stand van het dossier."


async def _casemanager_van(
    caller: AuthenticatedCaller, keten: ServiceRuntime, klantprofiel_id: str
) -> str:
    """The statushouder of the klantprofiel the casemanager acts on (403 for anyone else, as
    the control API; 404 when there is no such klantprofiel)."""
    if not _casemanager(caller):
        raise Problem(403, detail="Alleen de casemanager van het COA.")
    statushouder_id = await api.statushouder_van_klantprofiel(keten, klantprofiel_id)
    if statushouder_id is None:
        raise Problem(404, detail="Geen klantprofiel.")
    return statushouder_id


def _terug(klantprofiel_id: str) -> Response:
    return RedirectResponse(PORTAAL.url(f"/klantprofielen/{klantprofiel_id}"), status_code=303)


@pages.post(
    "/klantprofielen/{klantprofiel_id}/warme-overdrachten", dependencies=[Depends(PORTAAL.csrf)]
)
async def warme_overdracht_plannen(
    request: Request, klantprofiel_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """Plan the warme overdracht through the control API's own function."""
    statushouder_id = await _casemanager_van(caller, keten, klantprofiel_id)
    invoer = _tekstvelden(await request.form(), "geplandDatum", "geplandTijd", "locatie")
    planning, fouten = _planning(invoer)
    actie = "De warme overdracht is niet gepland"
    if planning is None:
        return await _ongeldig(request, caller, keten, klantprofiel_id, actie, fouten, invoer)
    try:
        stand = await control.warme_overdracht_plannen(statushouder_id, planning, keten)
    except Problem as exc:
        if exc.status != 409:
            raise
        return await _geweigerd(request, caller, keten, klantprofiel_id, actie, None)
    lokaal = planning.gepland_op.astimezone(AMSTERDAM)
    PORTAAL.melding(
        request,
        f"De warme overdracht {stand.warme_overdracht_id} is gepland op "
        f"{_dag(lokaal.date())} om {lokaal:%H:%M} ({planning.locatie}).",
    )
    return _terug(klantprofiel_id)


@pages.post(
    "/klantprofielen/{klantprofiel_id}/warme-overdrachten/{warme_overdracht_id}/gehouden",
    dependencies=[Depends(PORTAAL.csrf)],
)
async def warme_overdracht_houden(
    request: Request, klantprofiel_id: Id, warme_overdracht_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """Record that the warme overdracht was held, through the control API's own function."""
    statushouder_id = await _casemanager_van(caller, keten, klantprofiel_id)
    # Only a warme overdracht of this person (read as the page reads them, logged).
    overdrachten = await _overdrachten(request, caller, keten, statushouder_id)
    overdracht = next(
        (wo for wo in overdrachten if wo["warmeOverdrachtId"] == warme_overdracht_id), None
    )
    if overdracht is None:
        raise Problem(404, detail="Geen warme overdracht van deze persoon.")
    veld = f"gehoudenOp-{warme_overdracht_id}"
    invoer = {veld: _tekstvelden(await request.form(), "gehoudenOp")["gehoudenOp"]}
    gehouden_op = _datum(invoer[veld])
    if gehouden_op is None:
        return await _ongeldig(
            request,
            caller,
            keten,
            klantprofiel_id,
            "De warme overdracht is niet als gehouden vastgelegd",
            {veld: ONGELDIGE_DATUM},
            invoer,
        )
    verslag = control.WarmeOverdrachtVerslag(gehouden_op=gehouden_op)
    try:
        await control.warme_overdracht_houden(warme_overdracht_id, verslag, keten)
    except Problem as exc:
        if exc.status != 409:
            raise
        actie = "De warme overdracht is niet als gehouden vastgelegd"
        return await _geweigerd(request, caller, keten, klantprofiel_id, actie, overdracht)
    PORTAAL.melding(
        request,
        f"De warme overdracht {warme_overdracht_id} is gehouden op {_dag(gehouden_op)}. "
        "Het klantprofiel is opnieuw aangeboden aan de gemeente.",
    )
    return _terug(klantprofiel_id)


@pages.post("/klantprofielen/{klantprofiel_id}/vertrek", dependencies=[Depends(PORTAAL.csrf)])
async def vertrek_melden(
    request: Request, klantprofiel_id: Id, caller: Aangemeld, keten: Keten
) -> Response:
    """Report the vertrek uit het AZC through the control API's own function: the klantprofiel
    is frozen, the page read-only from then on."""
    statushouder_id = await _casemanager_van(caller, keten, klantprofiel_id)
    invoer = _tekstvelden(await request.form(), "vestigingsdatum")
    vestigingsdatum = _datum(invoer["vestigingsdatum"])
    if vestigingsdatum is None:
        return await _ongeldig(
            request,
            caller,
            keten,
            klantprofiel_id,
            "Het vertrek is niet gemeld",
            {"vestigingsdatum": ONGELDIGE_DATUM},
            invoer,
        )
    try:
        await control.vertrek_uit_azc(
            statushouder_id, control.Vertrek(vestigingsdatum=vestigingsdatum), keten
        )
    except Problem as exc:
        if exc.status != 409:
            raise
        return await _geweigerd(
            request, caller, keten, klantprofiel_id, "Het vertrek is niet gemeld", None
        )
    PORTAAL.melding(
        request,
        f"Het vertrek uit het AZC is gemeld (vestigingsdatum {_dag(vestigingsdatum)}). "
        "Het klantprofiel is nu bevroren en alleen nog te lezen.",
    )
    return _terug(klantprofiel_id)


# --- the casemanager's lists of objects (family, education, work, introduction modules) ------

LijstId = Annotated[str, PathParam(max_length=100, pattern=r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")]


def _lijst(lijst_id: str) -> formulieren.Lijst:
    lijst = formulieren.lijst_van(lijst_id)
    if lijst is None:
        raise Problem(404, detail="Deze lijst heeft het klantprofiel niet.")
    return lijst


async def _lijst_opslaan(
    request: Request,
    caller: AuthenticatedCaller,
    keten: ServiceRuntime,
    klantprofiel_id: str,
    statushouder_id: str,
    patch: dict[str, Any],
    *,
    foutkop: str,
    gedaan: str,
) -> Response:
    """The whole new list through the control API's write path (a merge patch replaces the
    array), then back to the page with ``gedaan``; after vertrek the rule's 409."""
    try:
        wijziging = control.KlantprofielWijziging.model_validate(patch)
    except ValidationError as exc:  # the entries kept are the stored ones: not expected
        return await _klantprofielpagina(
            request,
            caller,
            keten,
            klantprofiel_id,
            fouten=_veldfouten(exc, patch),
            foutkop=foutkop,
            status_code=422,
        )
    stand = await _bijwerken(keten, statushouder_id, wijziging)
    if stand is None:
        return _niet_wijzigbaar(request, klantprofiel_id)
    PORTAAL.melding(request, f"{gedaan} (versie {stand.versie}).")
    return _terug(klantprofiel_id)


@pages.post(
    "/klantprofielen/{klantprofiel_id}/lijsten/{lijst_id}", dependencies=[Depends(PORTAAL.csrf)]
)
async def regel_toevoegen(
    request: Request, klantprofiel_id: Id, lijst_id: LijstId, caller: Aangemeld, keten: Keten
) -> Response:
    """Add one entry to a list: the entry checked by the contract's model, then the list with
    it through the control API's write path."""
    statushouder_id = await _casemanager_van(caller, keten, klantprofiel_id)
    lijst = _lijst(lijst_id)
    formulier = _tekstvelden(await request.form(), *(veld.naam for veld in lijst.velden))
    invoer = {lijst.veldid(naam): waarde for naam, waarde in formulier.items()}
    foutkop = f"{lijst.met_lidwoord.capitalize()} is niet toegevoegd"
    profiel = await _klantprofiel(request, caller, keten, klantprofiel_id)
    regels = formulieren.huidige_lijst(lijst, profiel)
    fouten: dict[str, str] = {}
    try:
        regel = formulieren.nieuwe_regel(lijst, formulier)
    except formulieren.Invoerfout as exc:
        fouten = exc.fouten
    except ValidationError as exc:
        fouten = formulieren.regelfouten(lijst, exc)
    if not fouten and regels is None:  # the object that holds the list is still empty
        houder = formulieren.LABELS.get(lijst.pad[0], lijst.pad[0]).lower()
        fouten = {f"{lijst.id}-nieuw": f"vul eerst de {houder} in en sla die op"}
    if fouten or regels is None:
        return await _ongeldig(request, caller, keten, klantprofiel_id, foutkop, fouten, invoer)
    return await _lijst_opslaan(
        request,
        caller,
        keten,
        klantprofiel_id,
        statushouder_id,
        formulieren.lijstwijziging(lijst, profiel, [*regels, regel]),
        foutkop=foutkop,
        gedaan=f"{lijst.met_lidwoord.capitalize()} is toegevoegd",
    )


@pages.post(
    "/klantprofielen/{klantprofiel_id}/lijsten/{lijst_id}/verwijderen",
    dependencies=[Depends(PORTAAL.csrf)],
)
async def regel_verwijderen(
    request: Request, klantprofiel_id: Id, lijst_id: LijstId, caller: Aangemeld, keten: Keten
) -> Response:
    """Remove one entry (by its place in the list the page showed) from a list, through the
    control API's write path. The form carries the version it was made from: after another
    change the place may hold another entry, so a stale form is refused."""
    statushouder_id = await _casemanager_van(caller, keten, klantprofiel_id)
    lijst = _lijst(lijst_id)
    formulier = _tekstvelden(await request.form(), "index", "versie")
    profiel = await _klantprofiel(request, caller, keten, klantprofiel_id)
    regels = formulieren.huidige_lijst(lijst, profiel) or []
    actie = f"{lijst.met_lidwoord.capitalize()} is niet verwijderd"
    # After vertrek the control API's rule answers (409), whatever the form's version.
    if formulier["versie"] != str(profiel["versie"]) and not profiel.get("bevroren"):
        return await _klantprofielpagina(
            request,
            caller,
            keten,
            klantprofiel_id,
            weigering=lambda nu: (
                f"{actie}: het klantprofiel is intussen gewijzigd (nu versie {nu['versie']}). "
                "Controleer de gegevens en probeer het opnieuw."
            ),
            status_code=409,
        )
    index = formulier["index"]
    plaats = int(index) if index.isascii() and index.isdigit() and len(index) <= 6 else -1
    if not 0 <= plaats < len(regels):
        raise Problem(404, detail="Deze regel staat niet (meer) in de lijst.")
    return await _lijst_opslaan(
        request,
        caller,
        keten,
        klantprofiel_id,
        statushouder_id,
        formulieren.lijstwijziging(lijst, profiel, regels[:plaats] + regels[plaats + 1 :]),
        foutkop=actie,
        gedaan=f"{lijst.met_lidwoord.capitalize()} is verwijderd",
    )


def router(settings: KetenSettings, portaal_settings: PortaalSettings | None = None) -> APIRouter:
    """The portal below ``/portaal`` in the sandbox; no routes at all otherwise."""
    return portaal_router(PORTAAL, pages, sandbox=settings.sandbox, settings=portaal_settings)
