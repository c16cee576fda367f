"""The portal kit: server-rendered web pages on top of a service's own API code (issue #13).

A portal is a thin shell: every page reads through the same code as the API
(``keten_core.source_read``: the caller's purpose, the policy, the view, the processing log);
only the way the caller is known differs. The kit gives a service:

- ``Portaal``: Jinja2 templates (the kit's base layout plus the service's own, in Dutch),
  the kit's static CSS, a signed session (Starlette's ``SessionMiddleware``, itsdangerous) and
  a CSRF token per session checked on every POST;
- the **sandbox sign-in** (``Portaal.router()``): the DUO and COA portals are sandbox tools, so
  the user picks one of the registry's parties allowed to use the portal (no eHerkenning);
  the choice lives in the signed session cookie and becomes an ``AuthenticatedCaller`` exactly
  like a verified token;
- Dutch error pages for 403/404/409/422/503 (``Portaal.foutpagina``), from the ``Problem``
  the shared code raises;
- the **OpenID Connect sign-in** (``Portaal.oidc_router()``, ``OidcAanmelding``) for production
  tools such as the router console: authlib's Starlette client, the authorization code flow with
  PKCE (S256), state and nonce checked, the ID token verified against the provider's JWKS (its
  issuer, audience and expiry too). The signed-in person is an ``OidcGebruiker`` (``sub``, name,
  the ID token's claims); what those claims allow is the service's own mapping onto its
  existing authorisation, never a policy of the kit.

The portal's routes are a ``Mount`` below ``prefix`` (``/portaal``) holding the session
middleware, so a service adds it as one more router (``KetenService(routers=[...])``) and the
OpenAPI document does not change. ``portaal_router`` returns no routes at all unless
``KETEN_SANDBOX`` is on: a sandbox sign-in must not exist in production.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlencode, urlsplit

import httpx
import structlog
from fastapi import APIRouter, Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.websockets import WebSocketClose

from keten_core.auth import AuthenticatedCaller, Party, TokenVerifier
from keten_core.clock import AMSTERDAM
from keten_core.problems import Problem

__all__ = [
    "CSRF_FIELD",
    "OidcAanmelding",
    "OidcGebruiker",
    "Portaal",
    "PortaalSettings",
    "portaal_router",
]

log = structlog.get_logger(__name__)

KIT_TEMPLATES: Final = Path(__file__).parent / "templates"
KIT_STATIC: Final = Path(__file__).parent / "static"
CSRF_FIELD: Final = "csrf_token"
# Session keys.
_PARTIJ: Final = "partij"
_CSRF: Final = "csrf"
_MELDING: Final = "melding"
_OIDC: Final = "oidc"
_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})

# Dutch titles of the error pages (the real portals speak Dutch).
FOUTTITELS: Final[Mapping[int, str]] = {
    400: "Ongeldig verzoek",
    403: "Geen toegang",
    404: "Niet gevonden",
    409: "Al verwerkt",
    422: "Niet te verwerken",
    503: "Tijdelijk niet beschikbaar",
}


class PortaalSettings(BaseSettings):
    """``KETEN_PORTAAL_SESSIE_SLEUTEL``: the key that signs the session cookie (at least 32
    bytes). A sandbox without one gets a random key per process (sessions end at a restart);
    outside the sandbox a portal refuses to start without it."""

    model_config = SettingsConfigDict(env_prefix="KETEN_", extra="ignore")

    portaal_sessie_sleutel: SecretStr | None = Field(default=None, min_length=32)

    def sleutel(self, *, sandbox: bool) -> str:
        if self.portaal_sessie_sleutel is not None:
            return self.portaal_sessie_sleutel.get_secret_value()
        if not sandbox:
            raise ValueError("a portal outside the sandbox needs KETEN_PORTAAL_SESSIE_SLEUTEL")
        return secrets.token_urlsafe(32)


def _label(naam: str) -> str:
    """``aangemaaktOp`` -> ``Aangemaakt op``: field names of a view as column headings."""
    woorden: list[str] = []
    huidig = ""
    for teken in naam:
        if teken.isupper() and huidig:
            woorden.append(huidig)
            huidig = teken.lower()
        else:
            huidig += teken
    woorden.append(huidig)
    tekst = " ".join(woorden)
    return tekst[:1].upper() + tekst[1:]


def _waarde(waarde: Any) -> str:
    """A view's value as a Dutch reader expects it: ja/nee, lists joined, dates as dd-mm-jjjj
    and instants in Dutch time (the wire keeps ISO 8601)."""
    if waarde is True or waarde is False:
        return "ja" if waarde else "nee"
    if isinstance(waarde, list):
        return ", ".join(_waarde(w) for w in waarde)
    if isinstance(waarde, str) and len(waarde) >= 10 and waarde[4:5] == "-" == waarde[7:8]:
        try:
            if len(waarde) == 10:
                return date.fromisoformat(waarde).strftime("%d-%m-%Y")
            moment = datetime.fromisoformat(waarde)
        except ValueError:
            return waarde
        if moment.tzinfo is not None:
            return moment.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
    return "" if waarde is None else str(waarde)


@dataclass(frozen=True)
class OidcAanmelding:
    """An OpenID Connect provider and this portal's client there. ``redirect_uri`` is the
    portal's ``/callback`` as the provider knows it. http is accepted on loopback only (the
    tests' provider); anything else must be https, or a code and ID token travel in clear."""

    issuer: str
    client_id: str
    client_secret: SecretStr
    redirect_uri: str
    scope: str = "openid profile"
    # The ID token's claims kept in the session (besides sub and name): what the service maps.
    claims: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for naam, url in (("issuer", self.issuer), ("redirect_uri", self.redirect_uri)):
            delen = urlsplit(url)
            if delen.scheme != "https" and not (
                delen.scheme == "http" and delen.hostname in _LOOPBACK
            ):
                raise ValueError(f"OpenID Connect {naam} must be https (http on loopback only)")

    @property
    def https(self) -> bool:
        return urlsplit(self.redirect_uri).scheme == "https"

    @property
    def afgemeld_uri(self) -> str:
        """Where the provider sends the browser after its sign-out: the portal's sign-in page
        (``/aanmelden`` beside ``/callback``); register it as a post-logout redirect URI."""
        return self.redirect_uri.rsplit("/", 1)[0] + "/aanmelden"


@dataclass(frozen=True)
class OidcGebruiker:
    """The person signed in at the OpenID Connect provider, from the verified ID token."""

    sub: str
    naam: str
    claims: Mapping[str, Any]


@dataclass
class Portaal:
    """One service's portal: its title, its templates, and who may sign in."""

    titel: str
    templates_dir: Path | None
    # Which of the registry's parties may use this portal (e.g. gemeenten only).
    mag_aanmelden: Callable[[Party], bool]
    prefix: str = "/portaal"
    start: str = "/"
    # Links in the navigation: (path below the prefix, label).
    navigatie: list[tuple[str, str]] = field(default_factory=list)
    # The sandbox portals say so on every page; a production tool (the router console) does not.
    sandbox: bool = True
    voettekst: str = (
        "Geëmuleerd portaal van de inburgeringsketen."
        " Elke inzage wordt vastgelegd in het verwerkingenlogboek."
    )
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        loaders = [FileSystemLoader(str(KIT_TEMPLATES))]
        if self.templates_dir is not None:
            loaders.insert(0, FileSystemLoader(str(self.templates_dir)))
        env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["label"] = _label
        env.filters["waarde"] = _waarde
        self.templates = Jinja2Templates(env=env)

    # --- sessions, callers, CSRF ------------------------------------------------------------

    def url(self, path: str = "/", **query: Any) -> str:
        """A path of this portal, with the query's non-empty values."""
        params = {k: v for k, v in query.items() if v not in (None, "")}
        return self.prefix + path + (f"?{urlencode(params)}" if params else "")

    @staticmethod
    def csrf_token(request: Request) -> str:
        """The session's CSRF token, made on first use. It lives in the signed session cookie,
        so a form posted from another site (which cannot read the page) cannot carry it."""
        token = request.session.get(_CSRF)
        if not isinstance(token, str):
            token = request.session[_CSRF] = secrets.token_urlsafe(32)
        return token

    async def csrf(self, request: Request) -> None:
        """Dependency of every POST route: the form's token must equal the session's."""
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        expected = request.session.get(_CSRF)
        if (
            not isinstance(sent, str)
            or not isinstance(expected, str)
            or not secrets.compare_digest(sent, expected)
        ):
            log.info("portaal_csrf_geweigerd", path=request.url.path)
            raise Problem(403, detail="Het formulier is verlopen of niet van dit portaal.")

    @staticmethod
    def _registry(request: Request) -> Iterable[Party]:
        verifier = getattr(request.app.state, "token_verifier", None)
        if not isinstance(verifier, TokenVerifier):
            raise RuntimeError("app.state.token_verifier is not set; the lifespan must set it")
        return verifier.registry

    def partijen(self, request: Request) -> list[Party]:
        """The registry's parties that may sign in to this portal."""
        return sorted(
            (p for p in self._registry(request) if self.mag_aanmelden(p)),
            key=lambda p: (p.namens or "", p.client_id),
        )

    def aanroeper(self, request: Request) -> AuthenticatedCaller | None:
        """The signed-in party as a caller, like a verified token; None when not signed in (or
        the party left the registry or this portal since)."""
        client_id = request.session.get(_PARTIJ)
        if not isinstance(client_id, str):
            return None
        party = next((p for p in self.partijen(request) if p.client_id == client_id), None)
        if party is None:
            return None
        # The user reference a tick-off records: one sandbox user per party.
        return AuthenticatedCaller(
            party=party,
            user_id=f"portaal-{party.client_id}"[:100],
            user_representation=f"Sandboxgebruiker {party.client_id}",
        )

    @staticmethod
    def gebruiker(request: Request) -> OidcGebruiker | None:
        """The person signed in with OpenID Connect, or None."""
        gegevens = request.session.get(_OIDC) if "session" in request.scope else None
        if not isinstance(gegevens, dict) or not isinstance(gegevens.get("sub"), str):
            return None
        return OidcGebruiker(
            sub=gegevens["sub"], naam=str(gegevens.get("naam", "")), claims=gegevens["claims"]
        )

    def melding(self, request: Request, tekst: str) -> None:
        """A message shown once on the next page (after a redirect)."""
        request.session[_MELDING] = tekst

    # --- pages ------------------------------------------------------------------------------

    def pagina(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        caller = self.aanroeper(request)
        response: HTMLResponse = self.templates.TemplateResponse(
            request,
            template,
            {
                "portaal": self,
                "aanroeper": caller,
                "gebruiker": self.gebruiker(request),
                "csrf_field": CSRF_FIELD,
                "csrf_token": self.csrf_token(request),
                "melding": request.session.pop(_MELDING, None),
                **(context or {}),
            },
            status_code=status_code,
        )
        # Personal data: never kept by a browser or proxy cache.
        response.headers["Cache-Control"] = "no-store"
        return response

    def foutpagina(self, request: Request, problem: Problem) -> HTMLResponse:
        """A Dutch error page for a problem the shared code raised. A 404 says no more than
        the API's (it does not tell another gemeente whether the person exists)."""
        response = self.pagina(
            request,
            "portaal/fout.html",
            {
                "status": problem.status,
                "fouttitel": FOUTTITELS.get(problem.status, problem.title),
            },
            status_code=problem.status,
        )
        if "Retry-After" in problem.headers:  # a 503 of the processing log says when to retry
            response.headers["Retry-After"] = problem.headers["Retry-After"]
        return response

    async def _als_pagina(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, _NaarAanmelden):
            return RedirectResponse(exc.headers["Location"], status_code=303)
        if isinstance(exc, Problem):
            return self.foutpagina(request, exc)
        return self.foutpagina(
            request, Problem(422, detail="Het formulier is niet juist ingevuld.")
        )

    async def _niet_gevonden(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await WebSocketClose()(scope, receive, send)
            return
        request = Request(scope, receive)
        response = self.foutpagina(request, Problem(404, detail="Deze pagina bestaat niet."))
        await response(scope, receive, send)

    def router(self, pages: APIRouter, *, sandbox: bool, sessie_sleutel: str) -> APIRouter:
        """``pages`` (the service's own, paths below the prefix) with the sign-in pages, the
        static files and the session, as a router holding one ``Mount``."""
        return self._gemount(
            self._aanmelden_router(),
            self._afmelden_router(),
            pages,
            sessie_sleutel=sessie_sleutel,
            same_site="strict",
            https_only=not sandbox,
        )

    def oidc_router(
        self, pages: APIRouter, oidc: OidcAanmelding, *, sessie_sleutel: str
    ) -> APIRouter:
        """Like ``router``, signed in with OpenID Connect instead of the sandbox's party picker;
        for production tools. The session cookie is SameSite=Lax: the provider's redirect back
        to ``/callback`` is a top-level navigation from another site, which a Strict cookie
        (holding the state, nonce and PKCE verifier) would not come with. POSTs stay guarded by
        the CSRF token."""
        client = _oidc_client(oidc)
        return self._gemount(
            self._oidc_aanmelden_router(oidc, client),
            self._afmelden_router(_einde_bij_provider(oidc, client)),
            pages,
            sessie_sleutel=sessie_sleutel,
            same_site="lax",
            https_only=oidc.https,
        )

    def _gemount(
        self,
        aanmelden: APIRouter,
        afmelden: APIRouter,
        pages: APIRouter,
        *,
        sessie_sleutel: str,
        same_site: Literal["lax", "strict"],
        https_only: bool,
    ) -> APIRouter:
        inner = APIRouter()
        # No route of the portal matches: the Dutch "Niet gevonden" page, not the API's
        # problem+json (the router's default raises HTTPException, which the app's own handler
        # answers). A path with a route for another method stays a 405.
        inner.default = self._niet_gevonden
        inner.include_router(aanmelden)
        inner.include_router(afmelden)
        inner.include_router(pages)
        inner.routes.append(Mount("/static", app=_Statisch(self), name="static"))
        app = SessionMiddleware(
            inner,
            secret_key=sessie_sleutel,
            session_cookie="keten_portaal",
            path=self.prefix,
            same_site=same_site,
            https_only=https_only,
            max_age=8 * 3600,
        )

        async def pages_answer_in_html(scope: Any, receive: Any, send: Any) -> None:
            # The shared code raises the API's problems; inside the portal a person in a browser
            # gets a Dutch page instead of problem+json. Routes look their exception handlers up
            # in the scope (Starlette), so the portal's take precedence below its prefix only.
            if scope["type"] == "http" and "starlette.exception_handlers" in scope:
                handlers, status_handlers = scope["starlette.exception_handlers"]
                scope = {
                    **scope,
                    "starlette.exception_handlers": (
                        {
                            **handlers,
                            Problem: self._als_pagina,
                            RequestValidationError: self._als_pagina,
                        },
                        status_handlers,
                    ),
                }
            await app(scope, receive, send)

        outer = APIRouter()
        outer.routes.append(Mount(self.prefix, app=pages_answer_in_html))
        return outer

    def _aanmelden_router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/aanmelden", response_class=HTMLResponse)
        async def aanmelden(request: Request) -> Response:
            return self.pagina(
                request, "portaal/aanmelden.html", {"partijen": self.partijen(request)}
            )

        @router.post("/aanmelden", dependencies=[Depends(self.csrf)])
        async def aanmelden_kiezen(
            request: Request, partij: Annotated[str, Form(max_length=200)]
        ) -> Response:
            if partij not in {p.client_id for p in self.partijen(request)}:
                raise Problem(403, detail="Deze partij mag dit portaal niet gebruiken.")
            request.session.clear()  # a new session: a new CSRF token too
            request.session[_PARTIJ] = partij
            log.info("portaal_aangemeld", client_id=partij)
            return RedirectResponse(self.url(self.start), status_code=303)

        return router

    def _afmelden_router(self, bij_provider: _EindeBijProvider | None = None) -> APIRouter:
        """Sign-out, the same for both sign-ins: the session (and with it the CSRF token) ends
        here; after an OpenID Connect sign-in the provider's session too, where the provider
        offers that (``bij_provider`` gives the address to send the browser to)."""
        router = APIRouter()

        @router.post("/afmelden", dependencies=[Depends(self.csrf)])
        async def afmelden(request: Request) -> Response:
            gebruiker = request.session.get(_OIDC)
            request.session.clear()
            self.melding(request, "U bent afgemeld.")
            doel = await bij_provider(gebruiker) if bij_provider and gebruiker else None
            return RedirectResponse(doel or self.url("/aanmelden"), status_code=303)

        return router

    def _oidc_aanmelden_router(self, oidc: OidcAanmelding, client: Any) -> APIRouter:
        from authlib.integrations.base_client import OAuthError

        router = APIRouter()

        @router.get("/aanmelden", response_class=HTMLResponse)
        async def aanmelden(request: Request) -> Response:
            return self.pagina(request, "portaal/aanmelden_oidc.html")

        # A POST with the CSRF token: another site cannot start a sign-in in the user's name.
        @router.post("/aanmelden", dependencies=[Depends(self.csrf)])
        async def aanmelden_starten(request: Request) -> Response:
            antwoord: Response = await client.authorize_redirect(request, oidc.redirect_uri)
            return antwoord

        @router.get("/callback")
        async def callback(request: Request) -> Response:
            try:
                token = await client.authorize_access_token(request)
            except (OAuthError, ValueError) as exc:
                log.info("portaal_oidc_geweigerd", reden=type(exc).__name__, fout=str(exc)[:200])
                raise Problem(403, detail="Aanmelden is mislukt. Probeer het opnieuw.") from exc
            claims = token.get("userinfo") or {}
            # authlib checks iss against the discovery document; that must be the configured
            # issuer too (OpenID Connect Discovery 1.0, section 4.3).
            if not isinstance(claims.get("sub"), str) or claims.get("iss") != oidc.issuer:
                raise Problem(403, detail="Aanmelden is mislukt: geen geldig ID-token.")
            request.session.clear()  # a new session: a new CSRF token too
            request.session[_OIDC] = {
                "sub": claims["sub"],
                "naam": str(claims.get("name") or claims["sub"]),
                "claims": {k: claims[k] for k in oidc.claims if k in claims},
                # The hint that lets the provider end its session at sign-out.
                "id_token": token.get("id_token"),
            }
            log.info("portaal_oidc_aangemeld", sub=claims["sub"])
            return RedirectResponse(self.url(self.start), status_code=303)

        return router

    def ingelogd(self) -> Callable[[Request], Awaitable[OidcGebruiker]]:
        """Dependency of a page of an OpenID Connect portal: the signed-in person, or a
        redirect to the sign-in page."""

        async def dependency(request: Request) -> OidcGebruiker:
            gebruiker = self.gebruiker(request)
            if gebruiker is None:
                raise _NaarAanmelden(self.url("/aanmelden"))
            return gebruiker

        return dependency

    def aangemeld(self) -> Callable[[Request], Awaitable[AuthenticatedCaller]]:
        """Dependency of a page: the signed-in caller, or a redirect to the sign-in page."""

        async def dependency(request: Request) -> AuthenticatedCaller:
            caller = self.aanroeper(request)
            if caller is None:
                raise _NaarAanmelden(self.url("/aanmelden"))
            return caller

        return dependency


class _NaarAanmelden(Problem):
    """Not signed in: a page answers with a redirect to the sign-in page."""

    def __init__(self, location: str) -> None:
        super().__init__(303, detail="Meld u eerst aan.", headers={"Location": location})


_EindeBijProvider = Callable[[Mapping[str, Any]], Awaitable[str | None]]


def _oidc_client(oidc: OidcAanmelding) -> Any:
    # Imported here: only a portal that signs in with OpenID Connect needs authlib.
    from authlib.integrations.starlette_client import OAuth

    return OAuth().register(
        "keten",
        client_id=oidc.client_id,
        client_secret=oidc.client_secret.get_secret_value(),
        server_metadata_url=oidc.issuer.rstrip("/") + "/.well-known/openid-configuration",
        # authlib adds state, a nonce (openid scope) and the PKCE verifier to the session and
        # checks them on the way back; the ID token against the provider's JWKS.
        client_kwargs={"scope": oidc.scope, "code_challenge_method": "S256"},
    )


def _einde_bij_provider(oidc: OidcAanmelding, client: Any) -> _EindeBijProvider:
    """OpenID Connect RP-Initiated Logout 1.0: the provider's end-session address with the ID
    token as hint and the sign-in page as the way back (registered at the provider). Without
    one, or with the provider unreachable, the sign-out stays local (and is logged): the
    console's own session has ended either way."""

    async def adres(gebruiker: Mapping[str, Any]) -> str | None:
        try:
            metadata = await client.load_server_metadata()
        except (httpx.HTTPError, ValueError) as exc:  # unreachable, or no JSON
            log.warning("portaal_oidc_afmelden_lokaal", fout=repr(exc)[:200])
            return None
        endpoint = metadata.get("end_session_endpoint")
        if not endpoint or not gebruiker.get("id_token"):
            return None
        query = urlencode(
            {
                "id_token_hint": gebruiker["id_token"],
                "post_logout_redirect_uri": oidc.afgemeld_uri,
                "client_id": oidc.client_id,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    return adres


class _Statisch(StaticFiles):
    """The kit's static files; a missing one is the portal's "Niet gevonden" page, not the
    API's problem+json."""

    def __init__(self, portaal: Portaal) -> None:
        super().__init__(directory=KIT_STATIC)
        self.portaal = portaal

    async def get_response(self, path: str, scope: Any) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            problem = Problem(404, detail="Dit bestand bestaat niet.")
            return self.portaal.foutpagina(Request(scope), problem)


def portaal_router(
    portaal: Portaal, pages: APIRouter, *, sandbox: bool, settings: PortaalSettings | None = None
) -> APIRouter:
    """The portal for a sandbox service, or an empty router outside the sandbox: the sandbox
    sign-in (pick a party) must not exist in production."""
    if not sandbox:
        return APIRouter()
    sleutel = (settings or PortaalSettings()).sleutel(sandbox=sandbox)
    return portaal.router(pages, sandbox=sandbox, sessie_sleutel=sleutel)
