"""Readiness against the real database and against closed ports. Readiness checks the database
only: a broker outage must not take the APIs out of rotation (see ``keten_core.health``)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import create_async_engine

from keten_core.health import (
    add_health_check,
    database_check,
    kafka_check,
    run_check,
)
from keten_core.http import create_service_app
from keten_core.settings import KetenSettings

CLOSED_KAFKA = "127.0.0.1:1"
CLOSED_DATABASE = "postgresql+asyncpg://keten:keten@127.0.0.1:1/keten"


async def get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://service.test"
    ) as client:
        return await client.get(path)


def service(kafka: str, database: str) -> FastAPI:
    settings = KetenSettings(kafka_bootstrap_servers=kafka, database_url=database)
    return create_service_app(settings, title="health-test")


@pytest.mark.kafka
@pytest.mark.postgres
async def test_ready_when_the_database_answers(
    kafka_bootstrap_servers: str, database_url: str
) -> None:
    response = await get(service(kafka_bootstrap_servers, database_url), "/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database"}
    check = body["checks"]["database"]
    assert check["status"] == "ok"
    assert "error" not in check
    assert 0 <= check["latency_ms"] < 3000


@pytest.mark.postgres
async def test_ready_stays_200_when_the_broker_is_unreachable(database_url: str) -> None:
    # The outbox keeps the events until the broker is back; the API keeps serving meanwhile.
    response = await get(service(CLOSED_KAFKA, database_url), "/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert "kafka" not in body["checks"]
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.postgres
async def test_database_check_on_the_services_own_engine(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        app = create_service_app(
            KetenSettings(database_url=database_url), title="health-test", checks={}
        )
        # What a lifespan does once it has built the engine.
        add_health_check(app, "database", database_check(engine))
        response = await get(app, "/health/ready")
    finally:
        await engine.dispose()
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["database"]["status"] == "ok"


@pytest.mark.kafka
async def test_503_when_the_database_is_down(kafka_bootstrap_servers: str) -> None:
    response = await get(service(kafka_bootstrap_servers, CLOSED_DATABASE), "/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert set(body["checks"]) == {"database"}
    assert body["checks"]["database"]["status"] == "error"


@pytest.mark.kafka
async def test_kafka_check_against_the_broker(kafka_bootstrap_servers: str) -> None:
    # Not a readiness check any more, but still available (start-up checks, diagnostics).
    result = await run_check("kafka", kafka_check(kafka_bootstrap_servers))
    assert result.ok, result.error


async def test_kafka_check_against_a_closed_port() -> None:
    result = await run_check("kafka", kafka_check(CLOSED_KAFKA, timeout=1.0), time_limit=2.0)
    assert not result.ok
    assert result.error


async def test_503_quickly_when_nothing_listens() -> None:
    app = service(CLOSED_KAFKA, CLOSED_DATABASE)
    started = time.monotonic()
    response = await get(app, "/health/ready")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == "error"
    assert set(body["checks"]) == {"database"}
    check = body["checks"]["database"]
    assert check["status"] == "error"
    assert check["error"]
    assert check["latency_ms"] >= 0
    # The checks run concurrently and each is capped at a few seconds.
    assert elapsed < 4.0


async def test_live_checks_nothing_but_the_process() -> None:
    response = await get(service(CLOSED_KAFKA, CLOSED_DATABASE), "/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_a_hanging_check_is_cut_off() -> None:
    async def hangs() -> None:
        await asyncio.sleep(30)

    started = time.monotonic()
    result = await run_check("slow", hangs, time_limit=0.2)
    assert time.monotonic() - started < 1.0
    assert not result.ok
    assert result.error == "no answer within 0.2s"


async def test_no_checks_means_ready() -> None:
    app = create_service_app(KetenSettings(), title="health-test", checks={})
    response = await get(app, "/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}


def test_malformed_database_url_fails_at_construction() -> None:
    # Not at probe time, where SQLAlchemy's message (quoting the URL) would reach the answer.
    with pytest.raises(ArgumentError):
        database_check("keten:geheim@nergens")
