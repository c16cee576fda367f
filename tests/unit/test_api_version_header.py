"""NL API Design Rules that every service gets from ``create_service_app``: ``API-Version`` on
every answer (/core/version-header), in the OpenAPI document on every response, and the document
served in the API's base path to anyone (/core/publish-openapi)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from keten_core.http import API_VERSION_HEADER, create_service_app
from keten_core.problems import PROBLEM_JSON, Problem
from keten_core.settings import KetenSettings

VERSION = "1.4.2"


@pytest.fixture
def app() -> FastAPI:
    app = create_service_app(KetenSettings(), title="proef", version=VERSION, checks={})

    @app.get("/api/v1/dossiers/{dossierId}", operation_id="dossier-lezen")
    async def dossier(dossier_id: Annotated[str, Path(alias="dossierId", max_length=5)]) -> dict:
        if dossier_id == "weg":
            raise Problem(404)
        if dossier_id == "oud":
            raise HTTPException(410)
        if dossier_id == "stuk":
            raise RuntimeError("kapot")
        return {"dossierId": dossier_id}

    @app.get("/api/v1/eigen-versie")
    async def eigen_versie() -> JSONResponse:
        return JSONResponse({}, headers={API_VERSION_HEADER: "9.9.9"})

    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: nothing here needs the database, the tracer or the party registry.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://proef") as client:
        yield client


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/dossiers/d1", 200),
        ("/api/v1/dossiers/weg", 404),  # our Problem
        ("/api/v1/dossiers/oud", 410),  # Starlette's HTTPException
        ("/api/v1/dossiers/veel-te-lang", 422),  # request validation
        ("/api/v1/dossiers/stuk", 500),  # unhandled: answered outside the ordinary middleware
        ("/bestaat-niet", 404),  # no route at all
        ("/health/live", 200),
        ("/api/v1/openapi.json", 200),
    ],
)
async def test_every_answer_carries_the_api_version(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await client.get(path)
    assert response.status_code == status
    assert response.headers.get_list(API_VERSION_HEADER) == [VERSION]


async def test_a_version_the_route_sets_itself_is_not_doubled(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/eigen-versie")
    assert response.headers.get_list(API_VERSION_HEADER) == ["9.9.9"]


async def test_the_openapi_document_is_published_in_the_base_path_to_anyone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # No token, and readable from a browser on another origin (Swagger UI, ReDoc).
    response = await client.get("/api/v1/openapi.json", headers={"Origin": "https://elders.nl"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == app.openapi()
    assert "/api/v1/openapi.json" not in response.json()["paths"]


def test_every_documented_response_declares_the_api_version(app: FastAPI) -> None:
    document = app.openapi()
    header = document["components"]["headers"][API_VERSION_HEADER]
    assert header["schema"] == {"type": "string", "examples": [VERSION]}
    responses = [
        (path, status, response)
        for path, item in document["paths"].items()
        for operation in item.values()
        for status, response in operation["responses"].items()
    ]
    assert {path for path, _, _ in responses} >= {"/api/v1/dossiers/{dossierId}", "/health/ready"}
    for path, status, response in responses:
        assert response["headers"][API_VERSION_HEADER] == {
            "$ref": f"#/components/headers/{API_VERSION_HEADER}"
        }, (path, status)


def test_fastapis_validation_error_is_documented_as_the_problem_we_answer(app: FastAPI) -> None:
    document = app.openapi()
    invalid = document["paths"]["/api/v1/dossiers/{dossierId}"]["get"]["responses"]["422"]
    assert list(invalid["content"]) == [PROBLEM_JSON]
    required = invalid["content"][PROBLEM_JSON]["schema"]["required"]
    assert {"type", "title", "status"} <= set(required)
    # FastAPI's own error schemas are gone once nothing refers to them.
    assert "HTTPValidationError" not in document["components"].get("schemas", {})


class Vraag(BaseModel):
    naam: str


async def test_a_body_that_is_not_json_gets_the_documented_400_problem():
    app = create_service_app(KetenSettings(), title="proef", version=VERSION, checks={})

    @app.post("/api/v1/vragen", operation_id="vraag-stellen", status_code=201)
    async def vraag(body: Vraag) -> dict:
        return {"naam": body.naam}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://proef") as client:
        answer = await client.post(
            "/api/v1/vragen", content=b"\x99", headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM_JSON
    documented = app.openapi()["paths"]["/api/v1/vragen"]["post"]["responses"]["400"]
    assert PROBLEM_JSON in documented["content"]
    # A route without a body has no 400 added.
    assert "400" not in app.openapi()["paths"]["/health/live"]["get"]["responses"]
