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
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI

from keten_core.auth import PartyRegistry, TokenVerifier
from keten_core.health import (
    DEFAULT_TIMEOUT,
    HealthCheck,
    database_check,
    install_health_routes,
)
from keten_core.logging import configure_logging
from keten_core.problems import install_problem_handlers
from keten_core.settings import KetenSettings
from keten_core.telemetry import configure_telemetry, instrument_app, shutdown_telemetry

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Mapping[str, Any] | None]]

log = structlog.get_logger(__name__)


def default_checks(settings: KetenSettings) -> dict[str, HealthCheck]:
    """The database from the settings; a lifespan may replace ``database`` with a check on the
    service's own engine. Not Kafka: a broker outage must not take the HTTP APIs out of
    rotation (see ``keten_core.health``)."""
    return {"database": database_check(settings.database_url)}


def create_service_app(
    settings: KetenSettings,
    *,
    title: str,
    version: str = "0.1.0",
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
    return app
