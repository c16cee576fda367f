"""The composition root against the real broker and database: one process serves HTTP, relays
its outbox and consumes its events through the unit of work; liveness fails when a task dies;
the API serves (and writes to the outbox) while the broker is unreachable; shutdown is bounded;
two replicas run one active relay."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
import jsonschema
import pytest
import uvicorn
from fastapi import APIRouter, Depends
from prometheus_client import REGISTRY
from sqlalchemy import text

from keten_contracts.envelope import EnvelopeAttributes
from keten_core.consumer import EventConsumer
from keten_core.routing import EventRouter
from keten_core.service import KetenService, ServiceRuntime, runtime
from keten_core.settings import KetenSettings
from keten_core.testing import fresh_database
from keten_core.uow import UnitOfWork

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

OIN = "00000001002220647000"
PIP_GEWIJZIGD = "nl.inburgering.pip.gewijzigd.v1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_service(
    name: str, database_url: str, bootstrap: str, prefix: str, *, port: int | None = None
) -> KetenService:
    """A small service: a route that records a PIP change (state + event in one unit of
    work), and a handler of that event that writes an effect."""
    router = APIRouter()
    events = EventRouter()

    @router.post("/pips/{pip_id}", status_code=201)
    async def wijzig(
        pip_id: str, keten: Annotated[ServiceRuntime, Depends(runtime)]
    ) -> dict[str, Any]:
        async with keten.unit_of_work() as uow:
            await uow.session.execute(
                text("INSERT INTO test_pip (id) VALUES (:id) ON CONFLICT DO NOTHING"),
                {"id": pip_id},
            )
            event = uow.emit(
                PIP_GEWIJZIGD,
                subject=pip_id,
                partitionkey=pip_id,
                dataref=f"https://dossier.example.nl/api/v1/pips/{pip_id}",
                data={"pipId": pip_id, "dossierId": "dos-1", "versie": 2},
                gemeentecode="0363",
            )
        return {"id": event.get_id(), "dataschema": event.get_dataschema()}

    @events.on(PIP_GEWIJZIGD)
    async def gewijzigd(data: Any, envelope: EnvelopeAttributes, uow: UnitOfWork) -> None:
        await uow.session.execute(
            text("INSERT INTO test_effect (event_id, pip_id) VALUES (:e, :p)"),
            {"e": str(envelope.id), "p": data.pip_id},
        )

    settings = KetenSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        oin=OIN,
        topic_prefix=prefix,
        dead_letter_topic=f"{prefix}deadletter",
        log_json=False,
        **({} if port is None else {"http_port": port}),
    )
    return KetenService(name, settings=settings, routers=[router], events=events)


@asynccontextmanager
async def serving(
    service: KetenService, port: int | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The service on a real loopback port (uvicorn, lifespan included)."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(service.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
                await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        async with asyncio.timeout(60):
            await task


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE test_pip (id text PRIMARY KEY)"))
            await connection.execute(text("CREATE TABLE test_effect (event_id text, pip_id text)"))
        await engine.dispose()
        yield url


async def scalar(url: str, sql: str) -> Any:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql))).scalar()
    finally:
        await engine.dispose()


async def wait_for(url: str, sql: str, expected: Any, timeout_s: float = 30) -> None:
    async with asyncio.timeout(timeout_s):
        while await scalar(url, sql) != expected:  # noqa: ASYNC110 - polls another process
            await asyncio.sleep(0.1)


def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}."


async def test_a_route_and_a_handler_share_the_unit_of_work_end_to_end(
    database, kafka_bootstrap_servers
):
    name = f"svc-{uuid.uuid4().hex[:6]}"
    service = build_service(name, database, kafka_bootstrap_servers, prefix())
    # The group is behind the topic prefix (runs sharing a cluster never share a group); the
    # inbox, in the service's own database, keeps the plain name.
    assert service.consumer_group == service.settings.topic_prefix + name
    async with serving(service) as client:
        assert (await client.get("/health/live")).status_code == 200
        ids = [(await client.post(f"/pips/pip-{n}")).json()["id"] for n in range(3)]
        await wait_for(database, "SELECT count(*) FROM test_effect", 3)
        # Applied once each; the inbox holds the claims under the service's name.
        assert await scalar(database, "SELECT count(DISTINCT event_id) FROM test_effect") == 3
        assert (
            await scalar(database, f"SELECT count(*) FROM keten_inbox WHERE consumer = '{name}'")
            == 3
        )
        assert await scalar(database, "SELECT count(*) FROM keten_outbox") == 0
        metrics = (await client.get("/metrics")).text
        assert "keten_consumer_events_handled_total" in metrics
        assert "keten_outbox_published_total" in metrics
    handled = REGISTRY.get_sample_value(
        "keten_consumer_events_handled_total",
        {"group": service.consumer_group, "type": PIP_GEWIJZIGD},
    )
    assert handled == 3
    assert len(set(ids)) == 3


async def test_the_dataschema_of_an_emitted_event_resolves_at_the_producing_service(
    database, kafka_bootstrap_servers
):
    # NL GOV CloudEvents 1.1: dataschema URLs resolve in a running chain (served by the project).
    port = free_port()
    name = f"svc-{uuid.uuid4().hex[:6]}"
    service = build_service(name, database, kafka_bootstrap_servers, prefix(), port=port)
    async with serving(service, port) as client:
        emitted = (await client.post("/pips/pip-schema")).json()
        url = emitted["dataschema"]
        assert url == (f"http://127.0.0.1:{port}/contracts/schemas/events/{PIP_GEWIJZIGD}.json")
        answer = await client.get(url)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/schema+json")
        schema = answer.json()
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate({"pipId": "pip-schema", "dossierId": "dos-1", "versie": 2}, schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"pipId": "pip-schema", "bsn": "111222333"}, schema)
        # Only the release's own files: no path reaches outside the schemas directory.
        for bad in ("events/../../render.py", "events/nl.inburgering.bestaat.niet.v1.json"):
            missing = await client.get(f"/contracts/schemas/{bad}")
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/problem+json"
        asyncapi = await client.get("/contracts/asyncapi.yaml")
        assert asyncapi.status_code == 200 and PIP_GEWIJZIGD in asyncapi.text


async def test_liveness_fails_when_the_consumer_task_dies(database, kafka_bootstrap_servers):
    service = build_service(
        f"svc-{uuid.uuid4().hex[:6]}", database, kafka_bootstrap_servers, prefix()
    )
    async with serving(service) as client:
        app_state = None
        async with asyncio.timeout(30):
            while True:
                live = await client.get("/health/live")
                assert live.status_code == 200
                app_state = service_runtime(service)
                if app_state is not None and "consumer" in app_state.tasks:
                    break
                await asyncio.sleep(0.1)
        # The consumer's client fails for good (as when its group is not authorised).
        consumer: EventConsumer = app_state.consumer
        consumer._consumer.getmany = _raise_forever  # type: ignore[method-assign]
        async with asyncio.timeout(10):
            while (live := await client.get("/health/live")).status_code == 200:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        assert live.status_code == 503
        assert "consumer stopped" in live.json()["failures"]["tasks"]
        # Readiness is about reaching the database; a dead consumer is liveness' business.
        assert (await client.get("/health/ready")).status_code == 200


async def _raise_forever(*args: object, **kwargs: object) -> Any:
    raise RuntimeError("group authorisation failed")


def service_runtime(service: KetenService) -> ServiceRuntime | None:
    return service.runtime


async def test_the_api_serves_and_writes_to_the_outbox_while_the_broker_is_unreachable(
    database,
):
    closed = f"127.0.0.1:{free_port()}"
    service = build_service(f"svc-{uuid.uuid4().hex[:6]}", database, closed, prefix())
    started = time.monotonic()
    async with serving(service) as client:
        assert (await client.get("/health/ready")).status_code == 200
        assert (await client.get("/health/live")).status_code == 200
        response = await client.post("/pips/pip-offline")
        assert response.status_code == 201
        assert await scalar(database, "SELECT count(*) FROM keten_outbox") == 1
    # Shutdown did not wait for the broker for ever.
    assert time.monotonic() - started < 45


async def test_two_replicas_run_one_active_relay(database, kafka_bootstrap_servers):
    topic_prefix = prefix()
    name = f"svc-{uuid.uuid4().hex[:6]}"
    a = build_service(name, database, kafka_bootstrap_servers, topic_prefix)
    b = build_service(name, database, kafka_bootstrap_servers, topic_prefix)
    async with serving(a) as client_a, serving(b) as client_b:
        async with asyncio.timeout(30):
            while not (service_runtime(a) and service_runtime(b)):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            while not (service_runtime(a).relay and service_runtime(b).relay):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        seen: set[tuple[bool, bool]] = set()
        for n in range(10):
            client = client_a if n % 2 else client_b
            assert (await client.post(f"/pips/pip-r{n}")).status_code == 201
            seen.add((service_runtime(a).relay.active, service_runtime(b).relay.active))
            await asyncio.sleep(0.05)
        await wait_for(database, "SELECT count(*) FROM test_effect", 10)
        assert (True, True) not in seen
        assert any(True in pair for pair in seen)
