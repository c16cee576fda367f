"""The portal kit (keten_core.portaal) without servers: the sandbox sign-in lists only the
portal's parties, every POST needs the session's CSRF token, pages need a signed-in party,
problems become Dutch pages, and outside the sandbox the portal has no routes."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.testclient import TestClient

from keten_contracts.clients import Doel, Functie
from keten_contracts.parties import Rol
from keten_core.auth import AuthenticatedCaller, Party, PartyRegistry, TokenVerifier
from keten_core.portaal import CSRF_FIELD, Portaal, PortaalSettings, portaal_router
from keten_core.problems import Problem, install_problem_handlers

SERVICE = "duo-adapter"


def party(client_id: str, rol: Rol, doel: Doel, **extra: object) -> Party:
    return Party(
        client_id=client_id,
        service=SERVICE,
        oin="00000001002564440000",
        rol=rol,
        doelen=frozenset({doel}),
        secret=f"{client_id}-secret-0123456789abcdef-0123456789",
        **extra,
    )


AMSTERDAM = party(
    "amsterdam-duo",
    Rol.GEMEENTE,
    Doel.UITVOERING_INBURGERING,
    namens="0363",
    functie=Functie.MEDEWERKER_INBURGERING,
)
DUO = party("duo-control", Rol.DUO, Doel.PLICHT_EN_TERMIJNEN)

PORTAAL = Portaal(
    titel="Testportaal",
    templates_dir=None,
    mag_aanmelden=lambda p: p.rol is Rol.GEMEENTE,
    start="/pagina",
)

Aangemeld = Annotated[AuthenticatedCaller, Depends(PORTAAL.aangemeld())]
pages = APIRouter()


@pages.get("/pagina")
async def pagina(request: Request, caller: Aangemeld) -> HTMLResponse:
    return PORTAAL.pagina(request, "portaal/fout.html", {"status": 200, "fouttitel": "Welkom"})


@pages.get("/verboden")
async def verboden(caller: Aangemeld) -> Response:
    raise Problem(404, detail="geheim-id-1234")


def client(*, sandbox: bool = True) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.token_verifier = TokenVerifier(
        PartyRegistry([AMSTERDAM, DUO], service=SERVICE), service=SERVICE
    )
    settings = PortaalSettings(portaal_sessie_sleutel="s" * 32)
    app.include_router(portaal_router(PORTAAL, pages, sandbox=sandbox, settings=settings))
    return TestClient(app, base_url="http://127.0.0.1")


def token(html: str) -> str:
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_the_sign_in_lists_the_portals_parties_only_and_needs_the_csrf_token():
    with client() as http:
        page = http.get("/portaal/aanmelden")
        assert page.status_code == 200 and 'lang="nl"' in page.text
        assert "amsterdam-duo" in page.text and "duo-control" not in page.text
        assert page.headers["cache-control"] == "no-store"
        # Not signed in: a page sends the user to the sign-in.
        away = http.get("/portaal/pagina", follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/portaal/aanmelden"
        # Without the session's token the form is refused (a cross-site post has none).
        forged = http.post("/portaal/aanmelden", data={"partij": "amsterdam-duo"})
        assert forged.status_code == 403 and "Geen toegang" in forged.text
        wrong = http.post(
            "/portaal/aanmelden", data={"partij": "amsterdam-duo", CSRF_FIELD: "x" * 43}
        )
        assert wrong.status_code == 403
        # A party outside the portal cannot be picked, even with a valid token.
        other = http.post(
            "/portaal/aanmelden", data={"partij": "duo-control", CSRF_FIELD: token(page.text)}
        )
        assert other.status_code == 403
        signed_in = http.post(
            "/portaal/aanmelden",
            data={"partij": "amsterdam-duo", CSRF_FIELD: token(page.text)},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portaal/pagina"
        welcome = http.get("/portaal/pagina")
        assert "Aangemeld als" in welcome.text and "amsterdam-duo" in welcome.text
        # A problem of the shared code is a Dutch page that says no more than the API.
        missing = http.get("/portaal/verboden")
        assert missing.status_code == 404 and "Niet gevonden" in missing.text
        assert "geheim-id-1234" not in missing.text
        # Signing out needs the token too, and ends the session.
        assert http.post("/portaal/afmelden").status_code == 403
        out = http.post("/portaal/afmelden", data={CSRF_FIELD: token(welcome.text)})
        assert out.status_code == 200 and "Kies een partij" in out.text
        assert http.get("/portaal/pagina", follow_redirects=False).status_code == 303


def test_the_portal_does_not_exist_outside_the_sandbox():
    with client(sandbox=False) as http:
        assert http.get("/portaal/aanmelden").status_code == 404
        assert http.get("/portaal/static/portaal.css").status_code == 404


def test_the_static_css_is_served():
    with client() as http:
        css = http.get("/portaal/static/portaal.css")
        assert css.status_code == 200 and ":focus-visible" in css.text


def test_a_session_key_is_required_outside_the_sandbox():
    with pytest.raises(ValueError, match="KETEN_PORTAAL_SESSIE_SLEUTEL"):
        PortaalSettings().sleutel(sandbox=False)
    assert len(PortaalSettings().sleutel(sandbox=True)) >= 32
    assert PortaalSettings(portaal_sessie_sleutel="k" * 32).sleutel(sandbox=False) == "k" * 32
    with pytest.raises(ValueError):
        PortaalSettings(portaal_sessie_sleutel="kort")


def test_values_are_shown_as_a_dutch_reader_expects():
    from keten_core.portaal import _label, _waarde

    assert _label("aangemaaktOp") == "Aangemaakt op"
    assert _waarde("2026-03-02T08:30:00Z") == "02-03-2026 09:30"  # Dutch time
    assert _waarde("2026-03-02") == "02-03-2026"
    assert _waarde(True) == "ja" and _waarde(["lezen", "spreken"]) == "lezen, spreken"
    assert _waarde("ibp-2026-03-x") == "ibp-2026-03-x" and _waarde(None) == ""


def test_an_unknown_path_in_the_portal_is_the_dutch_not_found_page():
    with client() as http:
        missing = http.get("/portaal/bestaat/niet")
        assert missing.status_code == 404 and 'lang="nl"' in missing.text
        assert "Niet gevonden" in missing.text
        assert missing.headers["content-type"].startswith("text/html")
        assert missing.headers["cache-control"] == "no-store"
        # So is a missing file among the kit's static files, while the existing ones are served.
        assert http.get("/portaal/static/portaal.css").status_code == 200
        no_file = http.get("/portaal/static/bestaat-niet.css")
        assert no_file.status_code == 404 and "Niet gevonden" in no_file.text
        assert no_file.headers["content-type"].startswith("text/html")
        # A known path with another method stays a 405.
        assert http.put("/portaal/aanmelden").status_code == 405
        # Outside the mount the API's own 404 is unchanged.
        api = http.get("/bestaat/niet")
        assert api.status_code == 404 and "html" not in api.headers["content-type"]
        assert "Niet gevonden" not in api.text
