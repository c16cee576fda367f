"""The dataref reader against a real HTTP source (uvicorn on loopback) that verifies ZGW tokens
as the chain's sources do."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI
from pydantic import SecretStr

from keten_contracts.clients import Doel
from keten_contracts.parties import Rol
from keten_contracts.resources import get_resource
from keten_core.auth import (
    AuthenticatedCaller,
    Party,
    PartyRegistry,
    TokenVerifier,
    authenticated_party,
)
from keten_core.dataref import BronCredential, BronnenSettings, DatarefLezer
from keten_core.errors import PermanentError, TransientError, is_permanent, is_transient
from keten_core.problems import install_problem_handlers
from tests.integration.test_service import free_port

SECRET = "duo-at-dossier-bron-secret-0123456789abcdef"
OTHER_SECRET = "duo-at-other-source-secret-0123456789abcdef"
PIP = dict(get_resource("pip").example)
seen: list[str] = []


def source_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    registry = PartyRegistry(
        [
            Party(
                client_id="duo",
                service="dossier-bron",
                oin="00000001800866472000",
                rol=Rol.DUO,
                doelen=frozenset({Doel.PLICHT_EN_TERMIJNEN}),
                secret=SECRET,
            )
        ]
    )
    app.state.token_verifier = TokenVerifier(registry, service="dossier-bron")

    @app.get("/api/v1/pips/{pip_id}")
    async def pip(
        pip_id: str, caller: Annotated[AuthenticatedCaller, Depends(authenticated_party)]
    ) -> Any:
        seen.append(caller.client_id)
        if pip_id == "pip-weg":
            return _status(404)
        if pip_id == "pip-druk":
            return _status(503)
        if pip_id == "pip-kapot":
            return {"pipId": pip_id, "versie": "geen getal"}
        # A newer minor release of the contracts may add fields: a reader ignores them.
        return {**PIP, "pipId": pip_id, "nieuwVeld": "x"}

    return app


def _status(code: int) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"status": code}, status_code=code)


@pytest.fixture
async def source() -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(source_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(30):
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        server.should_exit = True
        await task


def lezer(base_url: str) -> DatarefLezer:
    return DatarefLezer(
        [
            BronCredential(base_url=base_url, client_id="duo", secret=SecretStr(SECRET)),
            # A credential for a source elsewhere on the same host must not be chosen.
            BronCredential(
                base_url=base_url.rsplit("/", 1)[0] + "/anders",
                client_id="duo-anders",
                secret=SecretStr(OTHER_SECRET),
            ),
        ],
        rol=Rol.DUO,
    )


async def test_fetches_the_view_with_the_sources_credential_tolerantly(source: str) -> None:
    seen.clear()
    reader = lezer(source)
    try:
        pip = await reader.haal(f"{source}/pips/pip-1", "pip")
    finally:
        await reader.aclose()
    assert pip.pip_id == "pip-1" and pip.leerroute is not None
    assert seen == ["duo"]  # the source verified the token signed with this source's secret


async def test_errors_are_sorted_for_the_consumer(source: str) -> None:
    reader = lezer(source)
    try:
        with pytest.raises(httpx.HTTPStatusError) as gone:
            await reader.haal(f"{source}/pips/pip-weg", "pip")
        assert is_permanent(gone.value)
        with pytest.raises(httpx.HTTPStatusError) as busy:
            await reader.haal(f"{source}/pips/pip-druk", "pip")
        assert is_transient(busy.value) and not is_permanent(busy.value)
        with pytest.raises(PermanentError, match="not a pip view"):
            await reader.haal(f"{source}/pips/pip-kapot", "pip")
        with pytest.raises(PermanentError, match="reads nothing"):
            await reader.haal(f"{source}/pips/pip-1", "cbs-levering")
    finally:
        await reader.aclose()


async def test_a_dataref_outside_every_configured_source_is_not_fetched(source: str) -> None:
    seen.clear()
    reader = lezer(source)
    try:
        # Same host, another path: the token would go to whoever the dataref names.
        outside = source.rsplit("/", 1)[0] + "/elders/pips/pip-1"
        with pytest.raises(TransientError, match="no credential"):
            await reader.haal(outside, "pip")
        with pytest.raises(TransientError):
            await reader.haal(source + "x/pips/pip-1", "pip")  # a prefix, not a path below it
    finally:
        await reader.aclose()
    assert seen == []


async def test_credentials_come_from_keten_bronnen(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = {"base_url": "https://dossier.example/api/v1", "client_id": "duo", "secret": SECRET}
    monkeypatch.setenv("KETEN_BRONNEN", json.dumps([entry]))
    settings = BronnenSettings()
    assert settings.bronnen[0].client_id == "duo"
    reader = DatarefLezer.from_settings(Rol.DUO, settings)
    try:
        assert reader.credential_for("https://dossier.example/api/v1/pips/p") is not None
        assert reader.credential_for("https://evil.example/api/v1/pips/p") is None
    finally:
        await reader.aclose()
    assert SECRET not in repr(settings)
