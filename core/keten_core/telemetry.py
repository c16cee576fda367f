"""OpenTelemetry tracing: one tracer provider per process, FastAPI and httpx instrumented, and
the W3C trace context carried across HTTP hops (by the instrumentations) and Kafka hops (by
``inject_trace_headers`` / ``extract_trace_context``, used by the Kafka code).

The propagator is OpenTelemetry's default (W3C TraceContext + Baggage, overridable with
``OTEL_PROPAGATORS``); nothing here replaces it.

The OTLP exporter sits behind a ``BatchSpanProcessor``, which exports from a queue every few
seconds; ``shutdown_telemetry`` (called by ``create_service_app`` once the service has stopped)
exports what is still queued, so the spans of a service's last seconds are not lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any, Final, Literal

import httpx
import structlog
from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

from keten_core.logging import REDACTED, without_query

Exporter = Literal["none", "console", "otlp"]
TRACE_HEADERS = ("traceparent", "tracestate")
# Probes every few seconds would drown the real traces.
DEFAULT_EXCLUDED_URLS = "health/live,health/ready"
# Within a pod's termination grace period (30 s by default), after the service's own shutdown.
DEFAULT_SHUTDOWN_TIMEOUT_S = 5.0

log = structlog.get_logger(__name__)


class _ConfiguredProcessors(SpanProcessor):
    """The span processors ``configure_telemetry`` added, registered on the provider as one.

    ``shutdown_telemetry`` flushes, shuts down and detaches these, and only these: the provider
    itself stays (OpenTelemetry never replaces the global one), processors that others added to
    it directly (a test's ``SpanRecorder``) keep working, and a later ``configure_telemetry``
    in the same process (a second app's start-up in a test session) adds fresh ones."""

    def __init__(self) -> None:
        # A tuple replaced as a whole, so a span ending in another thread never sees half a
        # change (as in the SDK's own multi-processor).
        self._processors: tuple[SpanProcessor, ...] = ()
        self._lock = threading.Lock()

    def add(self, processor: SpanProcessor) -> None:
        with self._lock:
            self._processors += (processor,)

    def detach_all(self) -> tuple[SpanProcessor, ...]:
        with self._lock:
            processors, self._processors = self._processors, ()
        return processors

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        for processor in self._processors:
            processor.on_start(span, parent_context=parent_context)

    def _on_ending(self, span: Span) -> None:
        for processor in self._processors:
            processor._on_ending(span)

    def on_end(self, span: ReadableSpan) -> None:
        for processor in self._processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        # The provider's own shutdown (its atexit handler): whatever is still attached.
        for processor in self.detach_all():
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        deadline = time.monotonic() + timeout_millis / 1000
        flushed = True
        for processor in self._processors:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                return False
            flushed = processor.force_flush(remaining_ms) and flushed
        return flushed


_provider: TracerProvider | None = None
_configured = _ConfiguredProcessors()


def _otlp_exporter() -> SpanExporter:
    """OTLP over HTTP/protobuf; endpoint, headers, TLS and compression from the SDK's own
    ``OTEL_EXPORTER_OTLP_*`` variables (the Helm chart's ``extraEnv``)."""
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
        provider.add_span_processor(_configured)
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
        _configured.add(span_processor)
    return _provider


def shutdown_telemetry(timeout_s: float = DEFAULT_SHUTDOWN_TIMEOUT_S) -> bool:
    """Export the spans still queued in the processors ``configure_telemetry`` added (the
    OTLP ``BatchSpanProcessor`` holds them for seconds), then shut those processors down. Call
    it once the service has stopped; spans that end afterwards are not exported.

    Bounded by ``timeout_s`` even when the collector does not answer (the SDK's own flush
    ignores its timeout, and its shutdown waits up to 30 s): the work runs in a daemon thread,
    and after ``timeout_s`` this returns ``False`` and leaves it behind. ``True`` when
    everything was handed over in time (or there was nothing to do). Safe to call twice."""
    processors = _configured.detach_all()
    if not processors:
        return True

    def flush_and_shut_down() -> None:
        deadline = time.monotonic() + timeout_s
        for processor in processors:
            try:
                processor.force_flush(max(0, int((deadline - time.monotonic()) * 1000)))
            except Exception:  # one failing exporter must not keep the others' spans back
                log.exception("telemetry_flush_failed", processor=type(processor).__name__)
        for processor in processors:
            try:
                processor.shutdown()
            except Exception:
                log.exception("telemetry_shutdown_failed", processor=type(processor).__name__)

    worker = threading.Thread(
        target=flush_and_shut_down, name="keten-telemetry-shutdown", daemon=True
    )
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        log.warning("telemetry_shutdown_timed_out", timeout_s=timeout_s)
        return False
    log.info("telemetry_shut_down")
    return True


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
        server_request_hook=_drop_query_strings,
    )


# Span attributes that carry the request's query string, in the old and new HTTP semantic
# conventions (the instrumentation may set either).
_URL_ATTRIBUTES: Final = ("http.url", "http.target", "url.full", "url.query")


def _drop_query_strings(span: trace.Span, scope: dict[str, Any]) -> None:
    """A query string never reaches a span: it can hold personal data (a BSN put in a URL),
    and spans are exported to systems outside the processing log's protection."""
    if not span.is_recording() or not scope.get("query_string"):
        return
    attributes = getattr(span, "attributes", None) or {}
    for name in _URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str):
            span.set_attribute(name, REDACTED if name == "url.query" else without_query(value))


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


def event_span_attributes(topic: str, event_id: object, event_type: str) -> dict[str, str]:
    """The attributes of a span about one event on a topic (OpenTelemetry's messaging
    conventions, plus the CloudEvents type): the same names at every hop, so a trace can be
    searched by event id from the producer to the last subscriber."""
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.message.id": str(event_id),
        "cloudevents.event_type": event_type,
    }


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
