"""The FastAPI app every service starts from.

``create_service_app`` only assembles: problem+json handlers, health routes, tracing
middleware. Anything that does I/O or reads process-wide state (logging, the tracer provider,
the party registry, the service's own engine and producers) happens in the lifespan, at
start-up, never at import time::

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        add_health_check(app, "database", database_check(engine))
        app.state.bus = bootstrap(engine, ...)
        yield
        await engine.dispose()

    app = create_service_app(settings, title="dossier-bron", lifespan=lifespan)

NL API Design Rules that every service gets here rather than in its own routes: every answer
carries ``API-Version`` (/core/version-header) and the OpenAPI document says so on every
response; the document is also served, without a token, at ``/api/v1/openapi.json``
(/core/publish-openapi). ``dev/spectral/adr.yaml`` lints the committed documents.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final

import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from keten_core.auth import PartyRegistry, TokenVerifier
from keten_core.health import (
    DEFAULT_TIMEOUT,
    HealthCheck,
    database_check,
    install_health_routes,
)
from keten_core.logging import configure_logging
from keten_core.problems import install_problem_handlers, problem_responses
from keten_core.settings import KetenSettings
from keten_core.telemetry import configure_telemetry, instrument_app, shutdown_telemetry

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Mapping[str, Any] | None]]

log = structlog.get_logger(__name__)

API_VERSION_HEADER: Final = "API-Version"
# Where the API lives (/core/uri-version), and so where its OpenAPI document is published.
API_BASE: Final = "/api/v1"
# The APIs' semantic version: its major is the v1 of API_BASE (ADR /core/uri-version: "The
# version in the OAS file MUST be the same as the version in the base path").
API_VERSION: Final = "1.0.0"


def default_checks(settings: KetenSettings) -> dict[str, HealthCheck]:
    """The database from the settings; a lifespan may replace ``database`` with a check on the
    service's own engine. Not Kafka: a broker outage must not take the HTTP APIs out of
    rotation (see ``keten_core.health``)."""
    return {"database": database_check(settings.database_url)}


def create_service_app(
    settings: KetenSettings,
    *,
    title: str,
    version: str = API_VERSION,
    lifespan: Lifespan | None = None,
    checks: Mapping[str, HealthCheck] | None = None,
    parties: PartyRegistry | None = None,
    health_timeout: float = DEFAULT_TIMEOUT,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A service app with problem+json errors, ``/health/live`` and ``/health/ready``, and
    OpenTelemetry server spans.

    ``checks`` defaults to ``default_checks(settings)``; pass ``{}`` for none. ``parties``
    defaults to the registry from ``KETEN_PARTIES``/``KETEN_PARTIES_FILE``, loaded at
    start-up. The service's ``lifespan`` runs inside ours, after logging, telemetry and
    ``app.state.token_verifier`` are set up; whatever state it yields reaches the requests.
    """

    @asynccontextmanager
    async def service_lifespan(app: FastAPI) -> AsyncIterator[Mapping[str, Any] | None]:
        configure_logging(settings.log_level, settings.log_json)
        configure_telemetry(settings.service_name, settings.otel_exporter)
        registry = (
            parties if parties is not None else PartyRegistry.from_settings(settings.service_name)
        )
        app.state.settings = settings
        app.state.token_verifier = TokenVerifier(registry, service=settings.service_name)
        log.info("service_starting", service=settings.service_name, parties=len(registry))
        try:
            if lifespan is None:
                yield None
            else:
                async with lifespan(app) as state:
                    yield state
            log.info("service_stopped", service=settings.service_name)
        finally:
            # After the service's own shutdown, so its last spans are exported too (the OTLP
            # exporter batches them for seconds). Bounded; in a thread, as it may wait.
            await asyncio.to_thread(shutdown_telemetry)

    app = FastAPI(title=title, version=version, lifespan=service_lifespan, **fastapi_kwargs)
    install_problem_handlers(app)
    install_health_routes(
        app, default_checks(settings) if checks is None else checks, timeout=health_timeout
    )
    # The middleware uses the global tracer provider, which the lifespan installs later.
    instrument_app(app)
    _add_api_version_header(app, version)
    _publish_openapi(app, version)
    return app


class _ApiVersionHeader:
    """Adds ``API-Version`` to every HTTP response that does not carry one yet."""

    def __init__(self, app: ASGIApp, version: str) -> None:
        self.app = app
        self.header = (API_VERSION_HEADER.lower().encode("latin-1"), version.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if all(name.lower() != self.header[0] for name, _ in headers):
                    message = {**message, "headers": [*headers, self.header]}
            await send(message)

        await self.app(scope, receive, send_with_version)


def _add_api_version_header(app: FastAPI, version: str) -> None:
    # Outside Starlette's ServerErrorMiddleware, which answers unhandled exceptions (500) and
    # would bypass an ordinary middleware. After instrument_app: the instrumentation expects
    # that middleware outermost when it rebuilds the stack, and skips itself otherwise.
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return _ApiVersionHeader(build(), version)

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


def _publish_openapi(app: FastAPI, version: str) -> None:
    """The OpenAPI document says what the middleware and handlers do, and is served in the
    API's base path (/core/publish-openapi), without a token and to any origin, so browser
    tools such as Swagger UI can read it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = adr_document(generate(), version)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get(f"{API_BASE}/openapi.json", include_in_schema=False)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(app.openapi(), headers={"Access-Control-Allow-Origin": "*"})


# What FastAPI documents for its request validation; our handler answers a problem instead.
_FASTAPI_VALIDATION_SCHEMAS: Final = ("HTTPValidationError", "ValidationError")
_FASTAPI_VALIDATION_REF: Final = "#/components/schemas/HTTPValidationError"


def adr_document(document: dict[str, Any], version: str) -> dict[str, Any]:
    """``document`` with ``API-Version`` on every response, FastAPI's default 422 (which
    our handlers never answer) replaced by the problem+json one they do, and 400 on every
    operation that takes a body: a body that is not JSON at all is answered 400 problem+json
    before any route runs (found by schemathesis against dossier-bron)."""
    components = document.setdefault("components", {})
    components.setdefault("headers", {})[API_VERSION_HEADER] = {
        "description": "The full version of the API that answered (semantic versioning).",
        "schema": {"type": "string", "examples": [version]},
    }
    header_ref = {"$ref": f"#/components/headers/{API_VERSION_HEADER}"}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
            if "requestBody" in operation and "400" not in responses:
                responses["400"] = copy.deepcopy(problem_responses(400)[400])
            for status, response in responses.items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if status == "422" and schema == {"$ref": _FASTAPI_VALIDATION_REF}:
                    response.clear()
                    # A copy: the document must not share the problems module's constants.
                    response.update(copy.deepcopy(problem_responses(422)[422]))
                response.setdefault("headers", {})[API_VERSION_HEADER] = header_ref
    schemas = components.get("schemas", {})
    if _FASTAPI_VALIDATION_REF not in json.dumps(document):
        for name in _FASTAPI_VALIDATION_SCHEMAS:
            schemas.pop(name, None)
    return document
