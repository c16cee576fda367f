"""Test helpers: which real Kafka and PostgreSQL a test session uses, a fresh database per
session, unique topic names, recorded spans (in this process, or from other processes through
an OTLP/HTTP collector on loopback). Never an in-memory stand-in for a server.

Servers are chosen by environment, in this order:

1. ``KETEN_KAFKA_BOOTSTRAP_SERVERS`` / ``KETEN_DATABASE_URL`` when set (``dev/test`` sets them
   from ``keten infra up --env``; CI systems with service containers set them too);
2. otherwise testcontainers, when a Docker engine answers;
3. otherwise the local launchers of ``keten_core.infra`` (started when not running, and left
   running for the next session; ``keten infra down`` stops them).
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from keten_core.infra import InfraSettings, LocalKafka, LocalPostgres

KAFKA_ENV = "KETEN_KAFKA_BOOTSTRAP_SERVERS"
DATABASE_ENV = "KETEN_DATABASE_URL"
# testcontainers' Kafka module drives Confluent's image; 7.9 is Apache Kafka 3.9 in KRaft mode.
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"
POSTGRES_IMAGE = "postgres:15"
TEST_DATABASE_PREFIX = "keten_test_"


def docker_available(timeout: float = 10) -> bool:
    """Whether a Docker engine answers (the CLI alone is not enough)."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        answer = subprocess.run(  # noqa: S603 - fixed argument list
            [docker, "info", "--format", "{{.ServerVersion}}"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return answer.returncode == 0 and bool(answer.stdout.strip())


@contextmanager
def kafka_server() -> Iterator[str]:
    """Yield the bootstrap servers of a real broker (see the module docstring for which)."""
    if bootstrap := os.environ.get(KAFKA_ENV):
        yield bootstrap
    elif docker_available():
        try:
            from testcontainers.community.kafka import KafkaContainer
        except ImportError:  # testcontainers < 4.14 kept the modules at top level
            from testcontainers.kafka import KafkaContainer  # type: ignore[no-redef]

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        kafka = LocalKafka.from_settings(InfraSettings())
        kafka.start()
        yield kafka.bootstrap_servers


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the URL (``postgresql+asyncpg://``) of a real server, as a role that may create
    databases."""
    if url := os.environ.get(DATABASE_ENV):
        yield url
    elif docker_available():
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:
            from testcontainers.postgres import PostgresContainer  # type: ignore[no-redef]

        with PostgresContainer(
            POSTGRES_IMAGE,
            username="keten",
            password="keten",  # noqa: S106 - a throwaway container's password
            dbname="keten",
            driver="asyncpg",
        ) as container:
            yield container.get_connection_url()
    else:
        postgres = LocalPostgres.from_settings(InfraSettings())
        postgres.start()
        yield postgres.database_url


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """Create an empty database ``keten_test_<random>`` on the server of ``server_url``, yield
    its URL and drop it afterwards, so concurrent test sessions never share tables."""
    url = make_url(server_url).set(drivername="postgresql+asyncpg")
    name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
    # CREATE/DROP DATABASE cannot run inside a transaction.
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                # FORCE: engines a test forgot to dispose must not keep the database alive.
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def unique_topic_name(prefix: str = "test") -> str:
    """A topic name no other test (or concurrent session on the same broker) uses."""
    return f"{prefix}.{uuid.uuid4().hex}"


class SpanRecorder:
    """Spans of the process-wide tracer provider, recorded only inside ``record()``.

    OpenTelemetry takes one global tracer provider per process and never gives it back. A plain
    SDK provider would make every later test in the session produce real spans (FastAPI and
    httpx create them), which changes, for example, what an error response contains. The
    recorder's global provider hands out tracers that are no-ops outside ``record()``."""

    def __init__(self, sdk: TracerProvider | None = None) -> None:
        self.exporter = InMemorySpanExporter()
        self.sdk = sdk or TracerProvider()
        self.sdk.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.recording = False

    @contextmanager
    def record(self) -> Iterator[InMemorySpanExporter]:
        self.exporter.clear()
        self.recording = True
        try:
            yield self.exporter
        finally:
            self.recording = False


class _RecorderTracerProvider(trace.TracerProvider):
    def __init__(self, recorder: SpanRecorder) -> None:
        self.recorder = recorder

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _SwitchedTracer(self.recorder, self.recorder.sdk.get_tracer(*args, **kwargs))


class _SwitchedTracer(trace.Tracer):
    _off = trace.NoOpTracer()

    def __init__(self, recorder: SpanRecorder, tracer: trace.Tracer) -> None:
        self._recorder = recorder
        self._tracer = tracer

    def _current(self) -> trace.Tracer:
        return self._tracer if self._recorder.recording else self._off

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._current().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._current().start_as_current_span(*args, **kwargs)


def span_recorder() -> SpanRecorder:
    """The process's recorder, installing its provider as the global one on first use."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, _RecorderTracerProvider):
        return provider.recorder
    if isinstance(provider, TracerProvider):
        # Someone configured telemetry in this process first: record through theirs, always on.
        recorder = SpanRecorder(provider)
        recorder.recording = True
        return recorder
    recorder = SpanRecorder()
    trace.set_tracer_provider(_RecorderTracerProvider(recorder))
    return recorder


# -- spans from other processes: an OTLP/HTTP collector ------------------------------------------


@dataclass(frozen=True)
class CollectedSpan:
    """One span as a service exported it over OTLP (ids as lowercase hex, as in ``traceparent``)."""

    service: str
    name: str
    kind: str  # SERVER | CLIENT | PRODUCER | CONSUMER | INTERNAL
    trace_id: str
    span_id: str
    parent_span_id: str  # "" for a root span
    attributes: dict[str, Any] = field(default_factory=dict)
    status: str = "UNSET"  # UNSET | OK | ERROR


_KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}


def _any_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def decode_otlp_traces(body: bytes) -> list[CollectedSpan]:
    """The spans of one OTLP ``ExportTraceServiceRequest`` (protobuf, as the SDK's OTLP/HTTP
    exporter sends it), decoded with the OpenTelemetry project's own message classes."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans: list[CollectedSpan] = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _any_value(a.value) for a in resource_spans.resource.attributes}
        service = str(resource.get("service.name", ""))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    CollectedSpan(
                        service=service,
                        name=span.name,
                        kind=_KINDS.get(span.kind, str(span.kind)),
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        attributes={a.key: _any_value(a.value) for a in span.attributes},
                        status=_STATUS.get(span.status.code, str(span.status.code)),
                    )
                )
    return spans


class OtlpCollector:
    """An OTLP/HTTP trace receiver on loopback (``POST /v1/traces``, protobuf, optionally
    gzip), for tests that follow one trace through several service processes: point them at
    it with ``env()`` and read what they exported with ``spans()`` or ``wait_for()``.

    It answers as the OTLP specification asks (200 with an empty
    ``ExportTraceServiceResponse``; 400 for a body it cannot decode, 404 elsewhere)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        collector = self
        self._spans: list[CollectedSpan] = []
        self._lock = threading.Lock()
        self.errors: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path != "/v1/traces":
                    self._answer(404, b"")
                    return
                try:
                    if self.headers.get("content-encoding") == "gzip":
                        body = gzip.decompress(body)
                    spans = decode_otlp_traces(body)
                except Exception as exc:  # a malformed export is the exporter's bug to see
                    collector.errors.append(f"{type(exc).__name__}: {exc}")
                    self._answer(400, b"")
                    return
                with collector._lock:
                    collector._spans.extend(spans)
                # An empty ExportTraceServiceResponse serialises to no bytes.
                self._answer(200, b"")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per export would bury the test's output

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="otlp-collector", daemon=True
        )

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self, schedule_delay_ms: int = 200) -> dict[str, str]:
        """The environment that makes a service export here: the kit's exporter switch and
        the SDK's own variables (a short batch delay, so a test need not wait seconds)."""
        return {
            "KETEN_OTEL_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_BSP_SCHEDULE_DELAY": str(schedule_delay_ms),
        }

    def __enter__(self) -> OtlpCollector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def spans(self, trace_id: str | None = None) -> list[CollectedSpan]:
        with self._lock:
            return [s for s in self._spans if trace_id is None or s.trace_id == trace_id]

    def wait_for(
        self,
        condition: Callable[[list[CollectedSpan]], bool],
        timeout_s: float = 30.0,
        trace_id: str | None = None,
    ) -> list[CollectedSpan]:
        """The spans (of ``trace_id``) once ``condition`` holds for them; AssertionError with
        what arrived when it does not within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            spans = self.spans(trace_id)
            if condition(spans):
                return spans
            if time.monotonic() > deadline:
                lines = "\n".join(
                    f"  {s.service} {s.kind} {s.name} {s.span_id}<-{s.parent_span_id or '-'}"
                    for s in spans
                )
                raise AssertionError(f"spans did not arrive within {timeout_s} s:\n{lines}")
            time.sleep(0.1)


def span_tree(spans: list[CollectedSpan], root: CollectedSpan, indent: str = "") -> list[str]:
    """``root`` and its descendants as indented lines (service, kind, name): a failing
    assertion shows the tree the services built."""
    status = root.attributes.get("http.response.status_code")
    lines = [f"{indent}{root.service}: {root.kind} {root.name}{f' -> {status}' if status else ''}"]
    for child in sorted(
        (s for s in spans if s.parent_span_id == root.span_id), key=lambda s: (s.service, s.name)
    ):
        lines += span_tree(spans, child, indent + "  ")
    return lines
