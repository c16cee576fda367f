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
  the shared code raises.

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
from typing import Annotated, Any, Final
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount

from keten_core.auth import AuthenticatedCaller, Party, TokenVerifier
from keten_core.clock import AMSTERDAM
from keten_core.problems import Problem

__all__ = [
    "CSRF_FIELD",
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

    def router(self, pages: APIRouter, *, sandbox: bool, sessie_sleutel: str) -> APIRouter:
        """``pages`` (the service's own, paths below the prefix) with the sign-in pages, the
        static files and the session, as a router holding one ``Mount``."""
        inner = APIRouter()
        inner.include_router(self._aanmelden_router())
        inner.include_router(pages)
        inner.routes.append(Mount("/static", app=StaticFiles(directory=KIT_STATIC), name="static"))
        app = SessionMiddleware(
            inner,
            secret_key=sessie_sleutel,
            session_cookie="keten_portaal",
            path=self.prefix,
            same_site="strict",
            https_only=not sandbox,
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

        @router.post("/afmelden", dependencies=[Depends(self.csrf)])
        async def afmelden(request: Request) -> Response:
            request.session.clear()
            return RedirectResponse(self.url("/aanmelden"), status_code=303)

        return router

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


def portaal_router(
    portaal: Portaal, pages: APIRouter, *, sandbox: bool, settings: PortaalSettings | None = None
) -> APIRouter:
    """The portal for a sandbox service, or an empty router outside the sandbox: the sandbox
    sign-in (pick a party) must not exist in production."""
    if not sandbox:
        return APIRouter()
    sleutel = (settings or PortaalSettings()).sleutel(sandbox=sandbox)
    return portaal.router(pages, sandbox=sandbox, sessie_sleutel=sleutel)
