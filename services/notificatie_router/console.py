"""The router's operations console (issue #13): server-rendered pages in Dutch at ``/console/``
for an SSC's notification operators. A production tool: sign-in with OpenID Connect (the portal
kit's ``Portaal.oidc_router``), CSRF tokens on every form.

The operator's rights are the router's own: the ID token's ``gemeentecodes`` claim (the setting
``KETEN_ROUTER_CONSOLE_CLAIM``) names the gemeenten the operator is mandated for; each maps onto
the registry's credential of the SSC (``KETEN_ROUTER_CONSOLE_OIN``) with functie
``notificatiebeheerder`` and doel ``beheer-notificaties`` for that gemeente, and every page and
form calls the operations API's own functions (``api.abonnementen``, ``api.abonnement``,
``api.afleveringen``, ``api.herzenden``, ``api.replay``) as that credential, with the operator
(``sub`` and name) as the user. So the API's check (``_is_beheerder``) is the console's too, and
every resend and replay is in the audit log with the operator's identity. A gemeente in the
claim without such a credential gives nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Final

import structlog
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from keten_core.auth import AuthenticatedCaller, Party, TokenVerifier
from keten_core.clock import AMSTERDAM
from keten_core.portaal import OidcAanmelding, OidcGebruiker, Portaal, PortaalSettings
from keten_core.problems import Problem
from keten_core.service import ServiceRuntime, runtime
from notificatie_router import api
from notificatie_router.herhaling import transactie
from notificatie_router.settings import RouterSettings
from notificatie_router.stroom import groepsachterstand

log = structlog.get_logger(__name__)

__all__ = ["CONSOLE_PREFIX", "console_router"]

CONSOLE_PREFIX: Final = "/console"
TEMPLATES: Final = Path(__file__).parent / "templates"
# The chart's window: deliveries per hour over the last day.
UREN: Final = 24

PORTAAL = Portaal(
    titel="Notificatie-router: beheerconsole",
    templates_dir=TEMPLATES,
    mag_aanmelden=lambda _party: False,  # no sandbox party picker: OpenID Connect only
    prefix=CONSOLE_PREFIX,
    navigatie=[("/", "Abonnementen"), ("/audit", "Auditlog")],
    sandbox=False,
    voettekst="Beheerconsole van de notificatie-router. Elk herzenden en elke replay wordt"
    " vastgelegd in het auditlog.",
)

Gebruiker = Annotated[OidcGebruiker, Depends(PORTAAL.ingelogd())]
Runtime = Annotated[ServiceRuntime, Depends(runtime)]


@dataclass(frozen=True)
class Mandaat:
    """The operator's credentials, one per mandated gemeente (gemeentecode -> caller)."""

    aanroepers: Mapping[str, AuthenticatedCaller]


def _beheerder_credential(registry: Sequence[Party], oin: str, gemeentecode: str) -> Party | None:
    return next(
        (
            p
            for p in registry
            if p.oin == oin
            and p.rol is Rol.GEMEENTE
            and p.functie is Functie.NOTIFICATIEBEHEERDER
            and p.namens == gemeentecode
            and Doel.BEHEER_NOTIFICATIES in p.doelen
        ),
        None,
    )


def mandaat(request: Request, gebruiker: Gebruiker) -> Mandaat:
    """The ID token's gemeentecodes as the registry's operator credentials of the SSC."""
    ctx: api.RouterContext = request.app.state.router
    verifier = request.app.state.token_verifier
    assert isinstance(verifier, TokenVerifier)
    codes = gebruiker.claims.get(ctx.settings.router_console_claim)
    aanroepers: dict[str, AuthenticatedCaller] = {}
    oin = ctx.settings.router_console_oin
    if oin and isinstance(codes, list):
        registry = list(verifier.registry)
        for code in sorted({c for c in codes if isinstance(c, str)}):
            party = _beheerder_credential(registry, oin, code)
            if party is not None:
                aanroepers[code] = AuthenticatedCaller(
                    party=party,
                    user_id=gebruiker.sub[:100],
                    user_representation=gebruiker.naam[:200],
                )
    return Mandaat(aanroepers)


Rechten = Annotated[Mandaat, Depends(mandaat)]


async def _abonnement(
    rechten: Mandaat, id: uuid.UUID, keten: ServiceRuntime
) -> tuple[AuthenticatedCaller, dict[str, Any]]:
    """The subscription as the API gives it to the operator credential it belongs to; 404
    (the API's own) when none of the operator's gemeenten may see it."""
    for caller in rechten.aanroepers.values():
        try:
            return caller, await api.abonnement(id, caller, keten)
        except Problem as exc:
            if exc.status != 404:
                raise
    raise Problem(404, detail="Dit abonnement bestaat niet of valt buiten uw mandaat.")


_GEZONDHEID = """
SELECT abonnement_id,
       count(*) FILTER (WHERE aangemaakt_op >= $2) AS recent,
       count(*) FILTER (WHERE aangemaakt_op >= $2 AND (status <> 'afgeleverd' OR pogingen > 1))
           AS recent_mislukt,
       count(*) FILTER (WHERE status = 'wacht') AS wacht,
       count(*) FILTER (WHERE status = 'dood') AS dood,
       min(aangemaakt_op) FILTER (WHERE status <> 'afgeleverd') AS oudste_open
FROM router_aflevering WHERE abonnement_id = ANY($1::uuid[])
GROUP BY abonnement_id
"""

# A delivery counts as failed in its hour when it was not delivered at its first attempt.
_GRAFIEK = """
SELECT date_trunc('hour', aangemaakt_op) AS uur,
       count(*) FILTER (WHERE status = 'afgeleverd' AND pogingen <= 1) AS afgeleverd,
       count(*) FILTER (WHERE status <> 'afgeleverd' OR pogingen > 1) AS mislukt
FROM router_aflevering
WHERE abonnement_id = ANY($1::uuid[]) AND aangemaakt_op >= $2
GROUP BY 1 ORDER BY 1
"""

_AUDIT = """
SELECT op, client_id, actie, abonnement_id, details FROM router_audit
WHERE abonnement_id = ANY($1::uuid[]) ORDER BY id DESC LIMIT 100
"""


def _duur(seconden: float) -> str:
    if seconden < 60:
        return f"{int(seconden)} s"
    if seconden < 3600:
        return f"{int(seconden // 60)} min"
    return f"{int(seconden // 3600)} u {int(seconden % 3600 // 60)} min"


async def _gezondheid(keten: ServiceRuntime, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Health per subscription from the delivery log: the share of the last day's deliveries
    that failed at least once, and the lag (deliveries not delivered yet: waiting in the retry
    schedule or dead, and the age of the oldest)."""
    nu = datetime.now(UTC)
    async with transactie(keten.engine) as driver:
        rijen = await driver.fetch(_GEZONDHEID, ids, nu - timedelta(hours=UREN))
    uit: dict[uuid.UUID, Any] = {}
    for r in rijen:
        recent = r["recent"]
        uit[r["abonnement_id"]] = {
            "faalpercentage": f"{100 * r['recent_mislukt'] / recent:.0f} %" if recent else "-",
            "wacht": r["wacht"],
            "dood": r["dood"],
            "achterstand": _duur((nu - r["oudste_open"]).total_seconds())
            if r["oudste_open"]
            else "geen",
        }
    return uit


async def _grafiek(keten: ServiceRuntime, ids: list[uuid.UUID]) -> dict[str, Any]:
    """Deliveries and failures per hour over the last day, as bars of an inline SVG."""
    nu = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    begin = nu - timedelta(hours=UREN - 1)
    async with transactie(keten.engine) as driver:
        rijen = {r["uur"]: r for r in await driver.fetch(_GRAFIEK, ids, begin)}
    uren = []
    for i in range(UREN):
        uur = begin + timedelta(hours=i)
        r = rijen.get(uur)
        uren.append(
            {
                "label": uur.astimezone(AMSTERDAM).strftime("%H:00"),
                "afgeleverd": r["afgeleverd"] if r else 0,
                "mislukt": r["mislukt"] if r else 0,
            }
        )
    hoogste = max([1, *(u["afgeleverd"] + u["mislukt"] for u in uren)])
    return {"uren": uren, "hoogste": hoogste}


def _moment(waarde: Any) -> str:
    if isinstance(waarde, datetime):
        return waarde.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M:%S")
    return "" if waarde is None else str(waarde)


PORTAAL.templates.env.filters["moment"] = _moment


pages = APIRouter()


@pages.get("/", response_class=HTMLResponse)
async def overzicht(request: Request, rechten: Rechten, keten: Runtime) -> Response:
    abonnementen: dict[uuid.UUID, tuple[str, dict[str, Any]]] = {}
    for code, caller in rechten.aanroepers.items():
        for a in await api.abonnementen(caller, keten):
            abonnementen.setdefault(a["id"], (code, a))
    ids = sorted(abonnementen)
    # The owning party (the API's view leaves the client id out; the API chose the rows).
    async with transactie(keten.engine) as driver:
        eigenaars = {
            r["id"]: r["client_id"]
            for r in await driver.fetch(
                "SELECT id, client_id FROM router_abonnement WHERE id = ANY($1::uuid[])", ids
            )
        }
    per_partij: dict[str, list[dict[str, Any]]] = {}
    for id, (code, a) in abonnementen.items():
        per_partij.setdefault(f"{eigenaars.get(id, '?')} (gemeente {code})", []).append(a)
    return PORTAAL.pagina(
        request,
        "console/overzicht.html",
        {
            "gemeenten": sorted(rechten.aanroepers),
            "per_partij": dict(sorted(per_partij.items())),
            "uitgeschakeld": [a for lijst in per_partij.values() for a in lijst if not a["actief"]],
            "gezondheid": await _gezondheid(keten, ids),
            "grafiek": await _grafiek(keten, ids),
            "achterstand": await _router_achterstand(request),
        },
    )


async def _router_achterstand(request: Request) -> int | None:
    """The router's backlog on the domain topics (all replicas, from the cluster), or None when
    Kafka does not answer in time: the page shows the subscriptions anyway."""
    ctx: api.RouterContext = request.app.state.router
    try:
        async with asyncio.timeout(5):
            return await groepsachterstand(ctx.settings)
    except (KafkaError, TimeoutError, OSError) as exc:
        log.warning("console_achterstand_onbekend", fout=repr(exc)[:200])
        return None


@pages.get("/abonnementen/{abonnement_id}", response_class=HTMLResponse)
async def abonnement(
    request: Request,
    abonnement_id: uuid.UUID,
    rechten: Rechten,
    keten: Runtime,
    status: str | None = None,
) -> Response:
    caller, gegevens = await _abonnement(rechten, abonnement_id, keten)
    gekozen = status if status in ("afgeleverd", "wacht", "dood") else None
    log = await api.afleveringen(abonnement_id, caller, keten, status=gekozen, na=0, aantal=500)
    dood = await api.afleveringen(abonnement_id, caller, keten, status="dood", na=0, aantal=500)
    return PORTAAL.pagina(
        request,
        "console/abonnement.html",
        {
            "abonnement": gegevens,
            "status": gekozen,
            "afleveringen": log["afleveringen"],
            "dood": dood["afleveringen"],
            "gezondheid": (await _gezondheid(keten, [abonnement_id])).get(abonnement_id),
            "grafiek": await _grafiek(keten, [abonnement_id]),
            "nu": datetime.now(AMSTERDAM).strftime("%Y-%m-%dT%H:%M"),
        },
    )


@pages.post("/abonnementen/{abonnement_id}/herzenden", dependencies=[Depends(PORTAAL.csrf)])
async def herzenden(
    request: Request, abonnement_id: uuid.UUID, rechten: Rechten, keten: Runtime
) -> Response:
    caller, _ = await _abonnement(rechten, abonnement_id, keten)
    form = await request.form()
    # One (the row's button), a selection (the checkboxes) or all dead deliveries.
    alle = form.get("alle") == "ja"
    gekozen = [form["een"]] if form.get("een") else form.getlist("aflevering")
    try:
        ids = [int(str(w)) for w in gekozen]
    except ValueError as exc:
        raise Problem(422, detail="Ongeldige aflevering gekozen.") from exc
    terug = PORTAAL.url(f"/abonnementen/{abonnement_id}")
    if not alle and not ids:
        PORTAAL.melding(request, "Kies eerst een of meer afleveringen om te herzenden.")
        return RedirectResponse(terug, status_code=303)
    ctx: api.RouterContext = request.app.state.router
    opdracht = await api.herzenden(
        abonnement_id,
        api.HerzendAanvraag(afleveringen=ids, alleMislukte=alle),
        caller,
        keten,
        ctx,
    )
    PORTAAL.melding(request, f"{opdracht['aantal']} aflevering(en) opnieuw ingepland.")
    return RedirectResponse(terug, status_code=303)


@pages.post("/abonnementen/{abonnement_id}/replay", dependencies=[Depends(PORTAAL.csrf)])
async def replay(
    request: Request, abonnement_id: uuid.UUID, rechten: Rechten, keten: Runtime
) -> Response:
    caller, _ = await _abonnement(rechten, abonnement_id, keten)
    form = await request.form()
    try:
        # datetime-local: the operator's wall clock, Dutch time.
        vanaf = datetime.fromisoformat(str(form.get("vanaf", ""))).replace(tzinfo=AMSTERDAM)
    except ValueError as exc:
        raise Problem(422, detail="Vul een geldig tijdstip in.") from exc
    ctx: api.RouterContext = request.app.state.router
    opdracht = await api.replay(abonnement_id, api.ReplayAanvraag(vanaf=vanaf), caller, keten, ctx)
    PORTAAL.melding(
        request,
        f"Replay vanaf {vanaf.strftime('%d-%m-%Y %H:%M')}: {opdracht['aantal']}"
        " gebeurtenis(sen) opnieuw ingepland.",
    )
    return RedirectResponse(PORTAAL.url(f"/abonnementen/{abonnement_id}"), status_code=303)


@pages.get("/audit", response_class=HTMLResponse)
async def auditlog(request: Request, rechten: Rechten, keten: Runtime) -> Response:
    ids: set[uuid.UUID] = set()
    for caller in rechten.aanroepers.values():
        ids |= {a["id"] for a in await api.abonnementen(caller, keten)}
    async with transactie(keten.engine) as driver:
        rijen = await driver.fetch(_AUDIT, sorted(ids))
    return PORTAAL.pagina(
        request,
        "console/audit.html",
        {"rijen": [{**dict(r), "details": api._json(r["details"])} for r in rijen]},
    )


def console_router(settings: RouterSettings) -> APIRouter:
    """The console below ``/console``, or no routes at all when it is not configured."""
    s = settings
    if not (
        s.router_console_oidc_issuer
        and s.router_console_oidc_client_secret
        and s.router_console_basis_url
    ):
        return APIRouter()
    if not s.router_console_oin:
        raise ValueError("the router console needs KETEN_ROUTER_CONSOLE_OIN (the SSC's OIN)")
    oidc = OidcAanmelding(
        issuer=s.router_console_oidc_issuer,
        client_id=s.router_console_oidc_client_id,
        client_secret=s.router_console_oidc_client_secret,
        redirect_uri=s.router_console_basis_url.rstrip("/") + CONSOLE_PREFIX + "/callback",
        scope=s.router_console_scope,
        claims=(s.router_console_claim,),
    )
    sleutel = PortaalSettings().sleutel(sandbox=s.sandbox)
    return PORTAAL.oidc_router(pages, oidc, sessie_sleutel=sleutel)
