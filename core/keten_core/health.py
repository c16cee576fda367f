"""Liveness and readiness probes.

``GET /health/live`` answers 200 while the process serves HTTP; it checks nothing else, so a
broker outage never makes an orchestrator restart healthy processes.

``GET /health/ready`` runs every registered check concurrently, each under its own timeout, and
answers 200 when all pass, else 503. Both answers carry the same plain JSON body (not
problem+json: a failing dependency is a state report, not an error in the request, and
dashboards read one shape)::

    {"status": "error",
     "checks": {"database": {"status": "error", "latency_ms": 3.1,
                             "error": "ConnectionRefusedError: ..."}}}

Readiness decides whether the orchestrator sends requests to this replica, so it checks only
what a request cannot be served without: the service's database (``create_service_app``
registers that check by default). Kafka is deliberately not a readiness check. An API writes its
state and the events to publish in one database transaction (the outbox), so it keeps serving
while the broker is away; the relay publishes the backlog once the broker is back, and
consumers resume from their committed offsets. A broker outage is also the same for every
replica: failing readiness would take all of them, in every service, out of rotation at once,
turning a delay in event delivery into a chain-wide outage of the APIs. The outage is reported
instead by the metrics (outbox backlog and age, publish errors, consumer lag) and by the
consumers, whose own liveness tells whether they make progress. ``kafka_check`` remains
available, e.g. for a start-up check or a diagnostic endpoint.

A check is an async callable without arguments that returns when the dependency is reachable
and raises otherwise. Checks live in ``app.state.health_checks`` (name -> check), so a
lifespan can add one for a resource it builds (``add_health_check``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from keten_core.kafka import client_options

HealthCheck = Callable[[], Awaitable[None]]
LivenessCheck = Callable[[], str | None]

DEFAULT_TIMEOUT = 3.0  # seconds; probes typically time out after a few seconds themselves
MAX_ERROR_LENGTH = 300

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: Literal["ok", "error"]
    latency_ms: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "latency_ms": self.latency_ms}
        if self.error is not None:
            body["error"] = self.error
        return body


async def run_check(
    name: str, check: HealthCheck, time_limit: float = DEFAULT_TIMEOUT
) -> CheckResult:
    """Run one check, timing it and turning any failure (or a hang) into an error result.
    Each check gets its own ``time_limit``, so one hanging dependency cannot hide the state
    of the others."""
    started = time.perf_counter()
    error: str | None = None
    try:
        async with asyncio.timeout(time_limit):
            await check()
    except TimeoutError:
        error = f"no answer within {time_limit:g}s"
    except Exception as exc:  # a health check reports failures, it does not raise them
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    if error is not None:
        log.warning("health_check_failed", check=name, error=error, latency_ms=latency_ms)
        return CheckResult(name, "error", latency_ms, error)
    return CheckResult(name, "ok", latency_ms)


async def run_checks(
    checks: Mapping[str, HealthCheck], time_limit: float = DEFAULT_TIMEOUT
) -> list[CheckResult]:
    return list(
        await asyncio.gather(
            *(run_check(name, check, time_limit) for name, check in checks.items())
        )
    )


def kafka_check(
    bootstrap_servers: str | list[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    security: Mapping[str, Any] | None = None,
) -> HealthCheck:
    """Reachable when a broker answers a metadata request (bootstrap) and describes the
    cluster. A fresh admin client per probe: it measures reachability now, not a connection
    that may be stale."""
    request_timeout_ms = int(timeout * 1000)

    async def check() -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap_servers,
            client_id="keten-health",
            request_timeout_ms=request_timeout_ms,
            **client_options(security),
        )
        try:
            await admin.start()
            await admin.describe_cluster()
        finally:
            await admin.close()

    return check


def database_check(engine_or_url: AsyncEngine | str | URL) -> HealthCheck:
    """Reachable when ``SELECT 1`` succeeds. Pass the service's engine to check its pool; with a
    URL the check keeps its own engine without a pool, so it holds no idle connections."""
    engine: AsyncEngine | None = None
    url: URL | None = None
    if isinstance(engine_or_url, AsyncEngine):
        engine = engine_or_url
    else:
        # Parsed now, so a malformed URL fails at start-up instead of in every probe's answer
        # (SQLAlchemy's parse error quotes the whole URL, password included).
        url = make_url(engine_or_url)

    async def check() -> None:
        nonlocal engine
        if engine is None:
            # Built on first use: creating it at import time or app construction is wiring.
            engine = create_async_engine(url, poolclass=NullPool)  # type: ignore[arg-type]
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


def add_health_check(app: FastAPI, name: str, check: HealthCheck) -> None:
    """Register (or replace) a readiness check, e.g. from the lifespan once the engine exists."""
    health_checks(app)[name] = check


def add_liveness_check(app: FastAPI, name: str, check: LivenessCheck) -> None:
    """Register a cheap synchronous check: it returns why the process must be restarted (a
    consumer task that died), or None. Never a dependency's reachability: that is readiness."""
    liveness_checks(app)[name] = check


def liveness_checks(app: FastAPI) -> dict[str, LivenessCheck]:
    if not hasattr(app.state, "liveness_checks"):
        app.state.liveness_checks = {}
    checks: dict[str, LivenessCheck] = app.state.liveness_checks
    return checks


def health_checks(app: FastAPI) -> dict[str, HealthCheck]:
    if not hasattr(app.state, "health_checks"):
        app.state.health_checks = {}
    checks: dict[str, HealthCheck] = app.state.health_checks
    return checks


def health_router(timeout: float = DEFAULT_TIMEOUT) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get(
        "/live",
        summary="Liveness: the process serves HTTP and its background tasks run",
        responses={503: {"description": "A background task (consumer, relay) has stopped"}},
    )
    async def live(request: Request) -> JSONResponse:
        failures = {
            name: reason
            for name, check in liveness_checks(request.app).items()
            if (reason := check()) is not None
        }
        if failures:
            log.error("liveness_failed", failures=failures)
            return JSONResponse({"status": "error", "failures": failures}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get(
        "/ready",
        summary="Readiness: every registered check passes (by default: the database)",
        responses={503: {"description": "At least one check failed; see checks"}},
    )
    async def ready(request: Request) -> JSONResponse:
        results = await run_checks(health_checks(request.app), timeout)
        healthy = all(result.ok for result in results)
        body = {
            "status": "ok" if healthy else "error",
            "checks": {result.name: result.to_dict() for result in results},
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    return router


def install_health_routes(
    app: FastAPI,
    checks: Mapping[str, HealthCheck] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    health_checks(app).update(checks or {})
    app.include_router(health_router(timeout))
