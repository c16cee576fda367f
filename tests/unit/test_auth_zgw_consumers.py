"""Tokens made by the Common Ground clients' own code, checked by our ``TokenVerifier``.

- zgw-consumers: ``build_client(service)`` for a ``Service`` with auth type ZGW gives a
  requests session whose ``ZGWAuth`` signs one token when the client is built (``iss``,
  ``iat``, ``exp`` = ``iat`` + ``Service.jwt_valid_for``, 12 hours by default, ``client_id``,
  ``user_id``, ``user_representation``) and sends it with every request. The requests below
  go through that client, over a requests adapter that hands them to our ASGI app.
- gemma-zds-client: ``ClientAuth``, the token code of older zgw-consumers releases and of many
  Common Ground apps: no ``exp``; extra keyword arguments become claims (such as ``aud``).

zgw-consumers is a Django app: Django is configured once, without a database (a ``Service``
that is never saved needs none).
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Annotated, Any

import django
import httpx
import jwt
import pytest
import requests
from django.conf import settings as django_settings
from fastapi import Depends, FastAPI
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from keten_core.auth import (
    AuthenticatedCaller,
    Party,
    PartyRegistry,
    TokenVerifier,
    authenticated_party,
)
from keten_core.problems import PROBLEM_JSON, install_problem_handlers

DOSSIER_BRON = "dossier-bron"
DUO_ADAPTER = "duo-adapter"
JWT_EXPIRY = timedelta(hours=1)

DOSSIER_BRON_SECRET = "amsterdam-at-dossier-bron-0123456789abcdef"
DUO_ADAPTER_SECRET = "amsterdam-at-duo-adapter-0123456789abcdef"

# One gemeente, one credential per service it calls.
ENTRIES = [
    {
        "client_id": "gemeente-amsterdam-dossier-bron",
        "service": DOSSIER_BRON,
        "oin": "00000001002564440000",
        "rol": "gemeente",
        "functie": "medewerker-inburgering",
        "namens": "0363",
        "doelen": ["uitvoering-inburgering"],
        "secret": DOSSIER_BRON_SECRET,
    },
    {
        "client_id": "gemeente-amsterdam-duo-adapter",
        "service": DUO_ADAPTER,
        "oin": "00000001002564440000",
        "rol": "gemeente",
        "functie": "medewerker-inburgering",
        "namens": "0363",
        "doelen": ["uitvoering-inburgering"],
        "secret": DUO_ADAPTER_SECRET,
    },
]


@pytest.fixture(scope="module", autouse=True)
def django_for_zgw_consumers() -> None:
    if not django_settings.configured:
        django_settings.configure(
            INSTALLED_APPS=["simple_certmanager", "solo", "privates", "zgw_consumers"],
            USE_TZ=True,
        )
    django.setup()


def make_app(service: str) -> FastAPI:
    parties = [Party.model_validate(entry) for entry in ENTRIES]
    app = FastAPI()
    install_problem_handlers(app)
    app.state.token_verifier = TokenVerifier(
        PartyRegistry(parties, service=service), service=service, jwt_expiry=JWT_EXPIRY
    )

    @app.get("/api/whoami")
    async def whoami(
        caller: Annotated[AuthenticatedCaller, Depends(authenticated_party)],
    ) -> dict[str, Any]:
        return {
            "client_id": caller.client_id,
            "gemeentecode": caller.gemeentecode,
            "user_id": caller.user_id,
            "user_representation": caller.user_representation,
        }

    return app


class ASGIAdapter(BaseAdapter):
    """A requests transport that hands each request to an ASGI app (through
    ``httpx.ASGITransport``), so the zgw-consumers client runs unchanged against our app."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__()
        self.app = app

    async def forward(self, request: requests.PreparedRequest) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app)) as client:
            return await client.request(
                request.method or "GET",
                request.url or "",
                headers=dict(request.headers),
                content=request.body,
            )

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        # The tests are synchronous, as requests is: no event loop runs in this thread.
        answer = asyncio.run(self.forward(request))
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.content
        response.encoding = answer.encoding
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def adapters() -> dict[str, ASGIAdapter]:
    return {service: ASGIAdapter(make_app(service)) for service in (DOSSIER_BRON, DUO_ADAPTER)}


def base_url(service: str) -> str:
    return f"http://{service}.test/api/"


def zgw_consumers_client(
    adapters: dict[str, ASGIAdapter],
    service: str,
    *,
    client_id: str,
    secret: str,
    **service_fields: Any,
) -> Any:
    """A client built the way a Common Ground app builds one: a (here unsaved) ``Service``
    configured in its admin, ``build_client`` from zgw-consumers."""
    from zgw_consumers.client import ZGWAuth, build_client
    from zgw_consumers.constants import APITypes, AuthTypes
    from zgw_consumers.models import Service

    configured = Service(
        label=service,
        slug=service,
        api_type=APITypes.orc,
        api_root=base_url(service),
        auth_type=AuthTypes.zgw,
        client_id=client_id,
        secret=secret,
        user_id="medewerker-17",
        user_representation="M. de Vries",
        **service_fields,
    )
    client = build_client(configured)
    assert isinstance(client.auth, ZGWAuth)
    client.mount(base_url(service), adapters[service])
    return client


def sent_token(response: requests.Response) -> dict[str, Any]:
    header = response.request.headers["Authorization"]
    assert header.startswith("Bearer ")
    return jwt.decode(header.removeprefix("Bearer "), options={"verify_signature": False})


def assert_unauthorized(response: requests.Response, detail_part: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert detail_part in response.json()["detail"]


@pytest.fixture
def clock_at(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``clock_at(module, seconds_ago)``: that module's ``time.time()`` runs behind, so the
    client signs a token as if it had done so that long ago."""

    def set_clock(module: Any, seconds_ago: float) -> None:
        monkeypatch.setattr(module, "time", SimpleNamespace(time=lambda: time.time() - seconds_ago))

    return set_clock


# --- zgw-consumers ------------------------------------------------------------------------


def test_zgw_consumers_token_is_accepted(adapters: dict[str, ASGIAdapter]) -> None:
    client = zgw_consumers_client(
        adapters,
        DOSSIER_BRON,
        client_id="gemeente-amsterdam-dossier-bron",
        secret=DOSSIER_BRON_SECRET,
    )
    response = client.get("whoami")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "client_id": "gemeente-amsterdam-dossier-bron",
        "gemeentecode": "0363",
        "user_id": "medewerker-17",
        "user_representation": "M. de Vries",
    }
    claims = sent_token(response)
    # What zgw-consumers sends: no aud, and exp 12 hours after iat unless configured.
    assert set(claims) == {
        "iss",
        "iat",
        "exp",
        "client_id",
        "user_id",
        "user_representation",
    }
    assert claims["exp"] - claims["iat"] == 12 * 3600


def test_zgw_consumers_token_reused_for_hours_is_accepted(
    adapters: dict[str, ASGIAdapter], clock_at: Any
) -> None:
    import zgw_consumers.client

    # The client signed its one token three hours ago: past JWT_EXPIRY (1 h), before exp.
    clock_at(zgw_consumers.client, 3 * 3600)
    client = zgw_consumers_client(
        adapters,
        DOSSIER_BRON,
        client_id="gemeente-amsterdam-dossier-bron",
        secret=DOSSIER_BRON_SECRET,
    )
    first = client.get("whoami")
    second = client.get("whoami")
    assert first.status_code == second.status_code == 200, first.text
    assert sent_token(first) == sent_token(second)
    assert time.time() - sent_token(first)["iat"] > 3 * 3600 - 60


def test_zgw_consumers_token_past_its_exp_is_refused(
    adapters: dict[str, ASGIAdapter], clock_at: Any
) -> None:
    import zgw_consumers.client

    clock_at(zgw_consumers.client, 2 * 3600)
    client = zgw_consumers_client(
        adapters,
        DOSSIER_BRON,
        client_id="gemeente-amsterdam-dossier-bron",
        secret=DOSSIER_BRON_SECRET,
        jwt_valid_for=3600,
    )
    assert_unauthorized(client.get("whoami"), "expired")


def test_zgw_consumers_credential_for_another_service_is_refused(
    adapters: dict[str, ASGIAdapter],
) -> None:
    # The gemeente's duo-adapter credential works at duo-adapter, not at dossier-bron.
    at_duo_adapter = zgw_consumers_client(
        adapters,
        DUO_ADAPTER,
        client_id="gemeente-amsterdam-duo-adapter",
        secret=DUO_ADAPTER_SECRET,
    )
    assert at_duo_adapter.get("whoami").status_code == 200
    misused = zgw_consumers_client(
        adapters,
        DOSSIER_BRON,
        client_id="gemeente-amsterdam-duo-adapter",
        secret=DUO_ADAPTER_SECRET,
    )
    assert_unauthorized(misused.get("whoami"), "signature or client not recognised")


def test_zgw_consumers_token_signed_with_another_services_secret_is_refused(
    adapters: dict[str, ASGIAdapter],
) -> None:
    forged = zgw_consumers_client(
        adapters,
        DOSSIER_BRON,
        client_id="gemeente-amsterdam-dossier-bron",
        secret=DUO_ADAPTER_SECRET,
    )
    assert_unauthorized(forged.get("whoami"), "signature or client not recognised")


# --- gemma-zds-client (no exp) -------------------------------------------------------------


def zds_client_get(
    adapters: dict[str, ASGIAdapter], service: str, **claims: Any
) -> requests.Response:
    from zds_client import ClientAuth

    auth = ClientAuth(
        client_id="gemeente-amsterdam-dossier-bron",
        secret=DOSSIER_BRON_SECRET,
        user_id="medewerker-17",
        user_representation="M. de Vries",
        **claims,
    )
    with requests.Session() as session:
        session.mount(base_url(service), adapters[service])
        return session.get(f"{base_url(service)}whoami", headers=auth.credentials())


def test_zds_client_token_without_exp_is_accepted(adapters: dict[str, ASGIAdapter]) -> None:
    response = zds_client_get(adapters, DOSSIER_BRON)
    assert response.status_code == 200, response.text
    assert "exp" not in sent_token(response)


def test_zds_client_token_is_refused_after_jwt_expiry(
    adapters: dict[str, ASGIAdapter], clock_at: Any
) -> None:
    import zds_client.auth

    clock_at(zds_client.auth, 50 * 60)
    assert zds_client_get(adapters, DOSSIER_BRON).status_code == 200
    clock_at(zds_client.auth, 70 * 60)
    assert_unauthorized(zds_client_get(adapters, DOSSIER_BRON), "expired")


def test_zds_client_token_with_aud(adapters: dict[str, ASGIAdapter]) -> None:
    assert zds_client_get(adapters, DOSSIER_BRON, aud=DOSSIER_BRON).status_code == 200
    assert_unauthorized(
        zds_client_get(adapters, DOSSIER_BRON, aud=DUO_ADAPTER), "aud does not name this service"
    )
