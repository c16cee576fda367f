"""Every error of an app with ``install_problem_handlers`` is an RFC 9457 problem detail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field
from structlog.testing import capture_logs

from keten_core.problems import (
    PROBLEM_JSON,
    Problem,
    install_problem_handlers,
    json_pointer,
)


class Adres(BaseModel):
    postcode: str = Field(pattern=r"^\d{4}[A-Z]{2}$")
    huisnummer: int


class Intake(BaseModel):
    dossier_id: str
    adressen: list[Adres]


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/dossiers/{dossier_id}")
    async def dossier(dossier_id: str) -> dict[str, str]:
        if dossier_id == "verhuisd":
            raise Problem(
                409,
                "Dossier is overgedragen",
                detail="Het dossier is overgedragen aan gemeente 0599.",
                type="https://inburgering.example.nl/problemen/dossier-overgedragen",
                nieuwe_gemeentecode="0599",
            )
        raise HTTPException(404, detail=f"dossier {dossier_id} not found")

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418)

    @app.get("/gestructureerd")
    async def gestructureerd() -> None:
        raise HTTPException(400, detail=[{"veld": "leerroute", "reden": "onbekend"}])

    @app.get("/zoek")
    async def zoek(limit: Annotated[int, Query(ge=1, le=100)]) -> dict[str, int]:
        return {"limit": limit}

    @app.post("/intakes")
    async def intake(body: Intake) -> dict[str, str]:
        return {"dossier_id": body.dossier_id}

    @app.get("/kapot")
    async def kapot() -> None:
        raise RuntimeError("connection to postgresql://keten:hunter2@db failed")

    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: Starlette re-raises after answering 500, as servers expect.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://dossier-bron.test") as c:
        yield c


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    return body


async def test_own_problem_with_type_and_extension(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/dossiers/verhuisd"), 409)
    assert body == {
        "type": "https://inburgering.example.nl/problemen/dossier-overgedragen",
        "title": "Dossier is overgedragen",
        "status": 409,
        "detail": "Het dossier is overgedragen aan gemeente 0599.",
        "instance": "/dossiers/verhuisd",
        "nieuwe_gemeentecode": "0599",
    }


async def test_http_exception_with_detail(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/dossiers/d-42"), 404)
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "dossier d-42 not found",
        "instance": "/dossiers/d-42",
    }


async def test_http_exception_without_detail_has_title_only(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/teapot"), 418)
    assert body["type"] == "about:blank"
    assert body["title"] == "I'm a Teapot"
    assert "detail" not in body


async def test_structured_http_exception_detail_becomes_an_extension(
    client: httpx.AsyncClient,
) -> None:
    body = problem(await client.get("/gestructureerd"), 400)
    assert "detail" not in body
    assert body["errors"] == [{"veld": "leerroute", "reden": "onbekend"}]


async def test_unknown_route(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/bestaat-niet"), 404)
    assert body["title"] == "Not Found"
    assert body["instance"] == "/bestaat-niet"


async def test_method_not_allowed_keeps_allow_header(client: httpx.AsyncClient) -> None:
    response = await client.delete("/zoek")
    problem(response, 405)
    assert response.headers["allow"] == "GET"


async def test_body_validation_names_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/intakes",
        json={"adressen": [{"postcode": "1011AB", "huisnummer": 1}, {"postcode": "nope"}]},
    )
    body = problem(response, 422)
    assert body["type"] == "about:blank"
    assert body["title"] == "Unprocessable Content"
    assert body["instance"] == "/intakes"
    errors = body["errors"]
    assert isinstance(errors, list)
    by_pointer = {error["pointer"]: error for error in errors}
    assert set(by_pointer) == {
        "#/dossier_id",
        "#/adressen/1/postcode",
        "#/adressen/1/huisnummer",
    }
    assert by_pointer["#/dossier_id"]["loc"] == ["body", "dossier_id"]
    assert by_pointer["#/dossier_id"]["code"] == "missing"
    assert "pattern" in by_pointer["#/adressen/1/postcode"]["detail"]
    # The rejected value is not echoed: it could be personal data.
    assert "nope" not in response.text


async def test_query_validation_names_the_parameter(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/zoek", params={"limit": 0}), 422)
    assert body["errors"] == [
        {
            "detail": "Input should be greater than or equal to 1",
            "loc": ["query", "limit"],
            "code": "greater_than_equal",
            "in": "query",
            "parameter": "limit",
        }
    ]


async def test_malformed_json_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/intakes", content=b"{not json", headers={"content-type": "application/json"}
    )
    body = problem(response, 422)
    assert body["errors"][0]["code"] == "json_invalid"


async def test_unhandled_exception_leaks_nothing_and_is_logged(client: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        response = await client.get("/kapot")
    body = problem(response, 500)
    # With a tracer provider installed (another test's service may have set one) the answer
    # also names the trace, for the operator to find the logged error: an opaque id only.
    trace_id = body.pop("trace_id", None)
    assert trace_id is None or (isinstance(trace_id, str) and len(trace_id) == 32)
    assert body == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "instance": "/kapot",
    }
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    [entry] = [e for e in logs if e["event"] == "unhandled_exception"]
    assert entry["log_level"] == "error"
    assert entry["path"] == "/kapot"
    assert isinstance(entry["exc_info"], RuntimeError)


def test_problem_defaults() -> None:
    assert Problem(503).to_dict() == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
    }


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        ([], "#"),
        (["adressen", 0, "postcode"], "#/adressen/0/postcode"),
        (["a/b", "m~n"], "#/a~1b/m~0n"),
        (["met spatie"], "#/met%20spatie"),
    ],
)
def test_json_pointer(path: list[str | int], pointer: str) -> None:
    assert json_pointer(path) == pointer
