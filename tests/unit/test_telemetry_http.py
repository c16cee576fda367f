"""Trace context across HTTP hops: a ``traceparent`` sent to app A is continued in A's server
span and carried on A's outgoing httpx call to app B. Also the Kafka header helpers and the
process-wide ``configure_telemetry`` (in a subprocess: OpenTelemetry allows one global tracer
provider per process, and other tests own that)."""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from opentelemetry import baggage, trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from keten_core.health import install_health_routes
from keten_core.telemetry import (
    extract_trace_context,
    inject_trace_headers,
    instrument_app,
    instrument_httpx_client,
)
from keten_core.testing import OtlpCollector

UPSTREAM_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
UPSTREAM_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{UPSTREAM_TRACE_ID}-{UPSTREAM_SPAN_ID}-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def app_b(provider: TracerProvider) -> FastAPI:
    app = FastAPI(title="duo-adapter")

    @app.get("/termijnen/{ref}")
    async def termijn(ref: str, request: Request) -> dict[str, str | None]:
        return {"ref": ref, "traceparent": request.headers.get("traceparent")}

    instrument_app(app, tracer_provider=provider)
    return app


@pytest.fixture
def app_a(provider: TracerProvider, app_b: FastAPI) -> FastAPI:
    app = FastAPI(title="dossier-bron")

    @app.get("/dossiers/{ref}")
    async def dossier(ref: str, request: Request) -> dict[str, object]:
        downstream: httpx.AsyncClient = request.app.state.duo
        response = await downstream.get(f"/termijnen/{ref}")
        return {"ref": ref, "duo": response.json()}

    instrument_app(app, tracer_provider=provider)
    return app


def as_another_process(app: FastAPI) -> Any:
    """Run ``app`` with a fresh context. In-process, B would otherwise inherit A's current span
    through contextvars and never need the header; a separate process has only the header."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.create_task(app(scope, receive, send), context=contextvars.Context())

    return asgi


@pytest.fixture
async def wired_a(
    app_a: FastAPI, app_b: FastAPI, provider: TracerProvider
) -> AsyncIterator[FastAPI]:
    # What a lifespan would do: build the outgoing client for A and instrument it.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=as_another_process(app_b)),
        base_url="http://duo-adapter.test",
    ) as duo:
        instrument_httpx_client(duo, tracer_provider=provider)
        app_a.state.duo = duo
        yield app_a


def server_span(spans: tuple[ReadableSpan, ...], route: str) -> ReadableSpan:
    [span] = [
        s
        for s in spans
        if s.kind is SpanKind.SERVER and s.attributes and s.attributes.get("http.route") == route
    ]
    return span


async def test_traceparent_is_continued_and_propagated(
    wired_a: FastAPI, exporter: InMemorySpanExporter
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=wired_a), base_url="http://dossier-bron.test"
    ) as client:
        response = await client.get("/dossiers/d-7", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200

    spans = exporter.get_finished_spans()
    a_server = server_span(spans, "/dossiers/{ref}")
    b_server = server_span(spans, "/termijnen/{ref}")
    [a_client] = [s for s in spans if s.kind is SpanKind.CLIENT]

    # A continues the caller's trace, under the caller's span.
    assert format(a_server.context.trace_id, "032x") == UPSTREAM_TRACE_ID
    assert a_server.parent is not None
    assert format(a_server.parent.span_id, "016x") == UPSTREAM_SPAN_ID
    # A's outgoing call is a child of A's server span ...
    assert a_client.parent is not None
    assert a_client.parent.span_id == a_server.context.span_id
    # ... and B's server span a child of that call, in the same trace.
    assert b_server.context.trace_id == a_server.context.trace_id
    assert b_server.parent is not None
    assert b_server.parent.span_id == a_client.context.span_id

    # The header B received names A's client span.
    received = response.json()["duo"]["traceparent"]
    assert received == (f"00-{UPSTREAM_TRACE_ID}-{format(a_client.context.span_id, '016x')}-01")


async def test_without_traceparent_a_new_trace_starts(
    wired_a: FastAPI, exporter: InMemorySpanExporter
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=wired_a), base_url="http://dossier-bron.test"
    ) as client:
        assert (await client.get("/dossiers/d-8")).status_code == 200
    spans = exporter.get_finished_spans()
    a_server = server_span(spans, "/dossiers/{ref}")
    b_server = server_span(spans, "/termijnen/{ref}")
    assert a_server.parent is None
    assert format(a_server.context.trace_id, "032x") != UPSTREAM_TRACE_ID
    assert b_server.context.trace_id == a_server.context.trace_id


async def test_health_probes_are_not_traced(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    app = FastAPI()
    install_health_routes(app, {})
    instrument_app(app, tracer_provider=provider)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://probe.test"
    ) as client:
        assert (await client.get("/health/live")).status_code == 200
        assert (await client.get("/health/ready")).status_code == 200
    assert exporter.get_finished_spans() == ()


async def test_only_server_and_client_spans(
    wired_a: FastAPI, exporter: InMemorySpanExporter
) -> None:
    # The per-message ASGI "http send"/"http receive" spans are left out as noise.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=wired_a), base_url="http://dossier-bron.test"
    ) as client:
        assert (await client.get("/dossiers/d-9")).status_code == 200
    kinds = sorted(span.kind.name for span in exporter.get_finished_spans())
    assert kinds == ["CLIENT", "SERVER", "SERVER"]


# --- helpers for Kafka headers ----------------------------------------------------------


def test_inject_trace_headers_in_a_span(provider: TracerProvider) -> None:
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("publish") as span:
        headers = inject_trace_headers()
    context = span.get_span_context()
    flags = f"{int(context.trace_flags):02x}"
    assert headers == {
        "traceparent": f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags}",
    }


def test_inject_leaves_baggage_out(provider: TracerProvider) -> None:
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("publish"):
        context = baggage.set_baggage("bsn", "999993653")
        headers = inject_trace_headers(context)
    assert set(headers) == {"traceparent"}
    assert "999993653" not in json.dumps(headers)


def test_inject_outside_a_span_is_empty() -> None:
    assert inject_trace_headers() == {}


def test_extract_round_trip(provider: TracerProvider) -> None:
    headers = {"traceparent": TRACEPARENT, "tracestate": "keten=1"}
    context = extract_trace_context(headers)
    parent = trace.get_current_span(context).get_span_context()
    assert parent.is_remote
    assert format(parent.trace_id, "032x") == UPSTREAM_TRACE_ID
    assert parent.trace_state.get("keten") == "1"

    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("process", context=context) as span:
        assert inject_trace_headers()["tracestate"] == "keten=1"
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == UPSTREAM_SPAN_ID


@pytest.mark.parametrize("carrier", [{}, {"traceparent": "garbage"}])
def test_extract_without_valid_context_starts_fresh(carrier: dict[str, str]) -> None:
    context = extract_trace_context(carrier)
    assert not trace.get_current_span(context).get_span_context().is_valid


# --- configure_telemetry (process-wide, so in a child process) ---------------------------


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_configure_telemetry_console_exports_with_service_name() -> None:
    result = run_python(
        """
        import sys
        from opentelemetry import trace
        from keten_core.logging import configure_logging
        from keten_core.telemetry import configure_telemetry, inject_trace_headers

        configure_logging(json=True, stream=sys.stderr)  # stdout is for the exported span
        provider = configure_telemetry("dossier-bron", "console")
        assert trace.get_tracer_provider() is provider
        assert configure_telemetry("dossier-bron") is provider  # once per process
        with trace.get_tracer("t").start_as_current_span("intake_registered"):
            assert "traceparent" in inject_trace_headers()
        """
    )
    assert result.returncode == 0, result.stderr
    span = json.loads(result.stdout)
    assert span["name"] == "intake_registered"
    assert span["resource"]["attributes"]["service.name"] == "dossier-bron"


def test_configure_telemetry_otlp_exports_to_the_configured_collector() -> None:
    """``otlp`` sends over OTLP/HTTP to wherever the SDK's own variables point, and the spans
    still queued at shutdown reach the collector."""
    with OtlpCollector() as collector:
        env = {**os.environ, **collector.env(schedule_delay_ms=60_000)}
        result = run_python(
            """
            from opentelemetry import trace
            from keten_core.telemetry import configure_telemetry, shutdown_telemetry
            configure_telemetry("duo-adapter", "otlp")
            with trace.get_tracer("t").start_as_current_span("werk"):
                pass
            assert shutdown_telemetry(5)
            """,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        # Exported at shutdown: the batch delay (a minute) had not come round.
        spans = collector.wait_for(lambda spans: bool(spans), timeout_s=5)
    assert [(s.service, s.name) for s in spans] == [("duo-adapter", "werk")]
    assert not collector.errors


def test_configure_telemetry_rejects_unknown_exporter() -> None:
    result = run_python(
        """
        from keten_core.telemetry import configure_telemetry
        try:
            configure_telemetry("dossier-bron", "jaeger")
        except ValueError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "unknown exporter 'jaeger'" in result.stdout


# --- create_service_app, served by uvicorn (process-wide setup, so in a child process) ------

SERVICE_SCRIPT = """
import asyncio, json
from contextlib import asynccontextmanager
from typing import Annotated

import httpx, structlog, uvicorn
from fastapi import Depends, Request
from opentelemetry import trace

from keten_contracts.clients import Doel
from keten_contracts.parties import Rol
from keten_core.auth import AuthenticatedCaller, Party, PartyRegistry, ZGWTokenAuth, require_party
from keten_core.http import create_service_app
from keten_core.settings import KetenSettings

SECRET = "duo-secret-0123456789abcdef-0123456789"
registry = PartyRegistry(
    [
        Party(
            client_id="duo",
            service="dossier-bron",
            oin="00000001003214345000",
            rol=Rol.DUO,
            doelen=frozenset({Doel.PLICHT_EN_TERMIJNEN}),
            secret=SECRET,
        )
    ]
)


@asynccontextmanager
async def lifespan(app):
    assert app.state.token_verifier.registry is registry
    yield {"greeting": "hallo"}


settings = KetenSettings(service_name="dossier-bron", log_json=True, otel_exporter="none")
app = create_service_app(
    settings, title="dossier-bron", lifespan=lifespan, checks={}, parties=registry
)
log = structlog.get_logger("dossier")


@app.get("/dossiers/{ref}")
async def dossier(
    ref: str,
    request: Request,
    caller: Annotated[AuthenticatedCaller, Depends(require_party(Rol.DUO))],
):
    log.info("dossier_read", ref=ref, client_id=caller.client_id)
    return {"ref": ref, "caller": caller.client_id, "greeting": request.state.greeting}


async def main():
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    results = {}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", auth=ZGWTokenAuth("duo", SECRET)
    ) as client:
        # configure_telemetry (in the lifespan) instrumented every httpx client: the call's
        # client span, and so the traceparent it sends, belong to the trace started here.
        with trace.get_tracer("caller").start_as_current_span("caller") as span:
            ok = await client.get("/dossiers/d-1")
        results["trace_id"] = format(span.get_span_context().trace_id, "032x")
        anonymous = await client.get("/dossiers/d-1", auth=None)
        live = await client.get("/health/live", auth=None)
    for name, response in [("ok", ok), ("anonymous", anonymous), ("live", live)]:
        results[name] = {
            "status": response.status_code,
            "type": response.headers["content-type"],
            "body": response.json(),
        }
    server.should_exit = True
    await serving
    print("RESULT " + json.dumps(results), flush=True)


asyncio.run(main())
"""


def test_service_app_end_to_end() -> None:
    result = run_python(SERVICE_SCRIPT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [outcome] = [json.loads(line[7:]) for line in lines if line.startswith("RESULT ")]
    logs = [json.loads(line) for line in lines if line.startswith("{")]

    assert outcome["ok"]["status"] == 200
    assert outcome["ok"]["body"] == {"ref": "d-1", "caller": "duo", "greeting": "hallo"}
    assert outcome["anonymous"]["status"] == 401
    assert outcome["anonymous"]["type"] == "application/problem+json"
    assert outcome["live"] == {
        "status": 200,
        "type": "application/json",
        "body": {"status": "ok"},
    }

    events = [entry["event"] for entry in logs]
    assert "service_starting" in events
    assert "service_stopped" in events
    [read] = [entry for entry in logs if entry["event"] == "dossier_read"]
    # The log line of the request belongs to the caller's trace, across a real TCP hop.
    assert read["trace_id"] == outcome["trace_id"]
    assert read["client_id"] == "duo"
    # uvicorn's own loggers come out as JSON lines too.
    assert any(entry.get("logger") == "uvicorn.access" for entry in logs)


async def test_a_query_string_never_reaches_a_server_span(
    app_b: FastAPI, exporter: InMemorySpanExporter
) -> None:
    # A BSN someone put in a URL must not be exported with the trace.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_b), base_url="http://duo-adapter.test"
    ) as client:
        response = await client.get("/termijnen/t-1", params={"bsn": "111222333"})
    assert response.status_code == 200
    [span] = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    values = [str(v) for v in (span.attributes or {}).values()]
    assert values and not any("111222333" in v for v in values), values
    assert span.attributes is not None and span.attributes.get("http.route") == "/termijnen/{ref}"


def test_the_access_log_line_loses_its_query_string() -> None:
    import logging

    from keten_core.logging import REDACTED, DropQueryStrings

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/dossiers?bsn=111222333", "1.1", 400),
        None,
    )
    assert DropQueryStrings().filter(record)
    line = record.getMessage()
    assert "111222333" not in line and f"/api/v1/dossiers?{REDACTED}" in line
