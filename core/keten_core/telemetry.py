"""OpenTelemetry tracing: one tracer provider per process, FastAPI and httpx instrumented, and
the W3C trace context carried across HTTP hops (by the instrumentations) and Kafka hops (by
``inject_trace_headers`` / ``extract_trace_context``, used by the Kafka code).

The propagator is OpenTelemetry's default (W3C TraceContext + Baggage, overridable with
``OTEL_PROPAGATORS``); nothing here replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import httpx
import structlog
from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

Exporter = Literal["none", "console", "otlp"]
TRACE_HEADERS = ("traceparent", "tracestate")
# Probes every few seconds would drown the real traces.
DEFAULT_EXCLUDED_URLS = "health/live,health/ready"

log = structlog.get_logger(__name__)

_provider: TracerProvider | None = None


def _otlp_exporter() -> SpanExporter:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise RuntimeError(
            "exporter 'otlp' needs the OTLP exporter package: "
            "pip install opentelemetry-exporter-otlp-proto-http "
            "(endpoint from OTEL_EXPORTER_OTLP_ENDPOINT)"
        ) from exc
    return OTLPSpanExporter()


def span_processor_for(exporter: Exporter | str) -> SpanProcessor | None:
    if exporter == "none":
        return None
    if exporter == "console":
        # Synchronous, so a developer sees each span when it ends.
        return SimpleSpanProcessor(ConsoleSpanExporter())
    if exporter == "otlp":
        return BatchSpanProcessor(_otlp_exporter())
    raise ValueError(f"unknown exporter {exporter!r}; expected none, console or otlp")


def configure_telemetry(
    service_name: str,
    exporter: Exporter | str = "none",
    *,
    span_processors: tuple[SpanProcessor, ...] = (),
) -> TracerProvider:
    """Create the process's tracer provider (resource ``service.name``), install it globally
    and instrument httpx. With ``none`` spans are still created, so trace ids reach logs and
    outgoing ``traceparent`` headers; they are just not exported.

    OpenTelemetry allows one global provider per process; a second call returns the first
    provider (with any extra ``span_processors`` added) instead of being silently ignored.
    """
    global _provider
    processor = span_processor_for(exporter)
    extra = [*span_processors, *([processor] if processor else [])]
    if _provider is None:
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
        trace.set_tracer_provider(provider)
        _provider = provider
        instrument_httpx()
        log.info("telemetry_configured", service_name=service_name, exporter=exporter)
    elif _provider.resource.attributes.get(SERVICE_NAME) != service_name:
        log.warning(
            "telemetry_already_configured",
            service_name=_provider.resource.attributes.get(SERVICE_NAME),
            requested=service_name,
        )
    for span_processor in extra:
        _provider.add_span_processor(span_processor)
    return _provider


def instrument_app(
    app: FastAPI,
    *,
    tracer_provider: trace.TracerProvider | None = None,
    excluded_urls: str = DEFAULT_EXCLUDED_URLS,
) -> None:
    """Server spans for every request, continuing an incoming ``traceparent``. Without
    ``tracer_provider`` the global one is used, also when it is installed later (at start-up),
    so this can run when the app is built."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls=excluded_urls,
        # One span per ASGI send/receive message only adds noise to every request.
        exclude_spans=["receive", "send"],
    )


def instrument_httpx() -> None:
    """Client spans and ``traceparent`` injection for every httpx client in the process."""
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def instrument_httpx_client(
    client: httpx.Client | httpx.AsyncClient,
    *,
    tracer_provider: trace.TracerProvider | None = None,
) -> None:
    """Instrument one client, whatever its transport (also ``httpx.ASGITransport``, which the
    process-wide instrumentation does not reach)."""
    HTTPXClientInstrumentor.instrument_client(client, tracer_provider=tracer_provider)


def inject_trace_headers(context: Context | None = None) -> dict[str, str]:
    """The current (or given) trace context as ``traceparent``/``tracestate``, e.g. for Kafka
    headers. Baggage is left out on purpose: it is free text from upstream callers and
    events must not carry personal data."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    return {key: value for key, value in carrier.items() if key in TRACE_HEADERS}


def extract_trace_context(carrier: Mapping[str, str]) -> Context:
    """The context described by ``traceparent``/``tracestate`` in ``carrier``; use it as the
    parent of the consumer's span. An absent or invalid header gives an empty context (a
    new trace), never an error."""
    return propagate.extract(carrier)
