"""Spans still queued in a batching span processor are exported at shutdown: by
``shutdown_telemetry``, and by ``create_service_app``'s lifespan once the service stopped.

Each test runs in a child process: ``configure_telemetry`` installs the process-wide tracer
provider, which OpenTelemetry never gives back, and other tests own this process's."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# A BatchSpanProcessor that would hold its spans for ten minutes, around an in-memory exporter
# (what the OTLP exporter does with a collector, minus the network).
PRELUDE = """
import asyncio, json, time
from opentelemetry import trace
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from keten_core.telemetry import configure_telemetry, shutdown_telemetry

exporter = InMemorySpanExporter()
batching = BatchSpanProcessor(exporter, schedule_delay_millis=600_000)


def exported():
    return sorted(span.name for span in exporter.get_finished_spans())


def report(**results):
    print("RESULT " + json.dumps(results), flush=True)
"""


def run_python(code: str, timeout: float = 60) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    outcome: dict[str, object] = json.loads(line.removeprefix("RESULT "))
    return outcome


def test_shutdown_telemetry_exports_queued_spans() -> None:
    outcome = run_python(
        """
        configure_telemetry("dossier-bron", "none", span_processors=(batching,))
        tracer = trace.get_tracer("test")
        with tracer.start_as_current_span("last_request"):
            pass
        with tracer.start_as_current_span("last_event"):
            pass
        before = exported()
        started = time.monotonic()
        flushed = shutdown_telemetry(5.0)
        report(
            before=before,
            after=exported(),
            flushed=flushed,
            elapsed=time.monotonic() - started,
            again=shutdown_telemetry(5.0),
        )
        """
    )
    # Without a shutdown the spans sit in the queue ...
    assert outcome["before"] == []
    # ... with it they reach the exporter, promptly.
    assert outcome["after"] == ["last_event", "last_request"]
    assert outcome["flushed"] is True
    assert outcome["elapsed"] < 5.0
    assert outcome["again"] is True  # a second call has nothing left to do


def test_service_app_exports_queued_spans_when_it_stops() -> None:
    outcome = run_python(
        """
        from contextlib import asynccontextmanager
        from keten_core.http import create_service_app
        from keten_core.settings import KetenSettings

        # What the OTLP exporter setting does, with an exporter the test can read.
        configure_telemetry("dossier-bron", "none", span_processors=(batching,))
        tracer = trace.get_tracer("test")


        @asynccontextmanager
        async def lifespan(app):
            yield
            # The service's own shutdown still produces spans.
            with tracer.start_as_current_span("service_shutdown"):
                pass


        settings = KetenSettings(service_name="dossier-bron", log_json=True)
        app = create_service_app(settings, title="dossier-bron", lifespan=lifespan, checks={})


        async def main():
            async with app.router.lifespan_context(app):
                with tracer.start_as_current_span("last_request"):
                    pass
                while_running = exported()
            return while_running


        while_running = asyncio.run(main())
        report(while_running=while_running, after_stop=exported())
        """
    )
    assert outcome["while_running"] == []
    assert outcome["after_stop"] == ["last_request", "service_shutdown"]


def test_shutdown_is_bounded_when_the_exporter_hangs() -> None:
    outcome = run_python(
        """
        from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult


        class Unreachable(SpanExporter):
            # A collector that never answers.
            def export(self, spans):
                time.sleep(30)
                return SpanExportResult.FAILURE


        configure_telemetry(
            "dossier-bron",
            "none",
            span_processors=(BatchSpanProcessor(Unreachable(), schedule_delay_millis=600_000),),
        )
        with trace.get_tracer("test").start_as_current_span("stuck"):
            pass
        started = time.monotonic()
        flushed = shutdown_telemetry(0.5)
        report(flushed=flushed, elapsed=time.monotonic() - started)
        """
    )
    assert outcome["flushed"] is False
    assert isinstance(outcome["elapsed"], float)
    assert outcome["elapsed"] < 3.0


def test_other_processors_survive_and_telemetry_can_be_configured_again() -> None:
    outcome = run_python(
        """
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor

        provider = configure_telemetry("dossier-bron", "none", span_processors=(batching,))
        # Added directly, as keten_core.testing.SpanRecorder does: not ours to shut down.
        recorder = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(recorder))
        tracer = trace.get_tracer("test")
        with tracer.start_as_current_span("first_run"):
            pass
        shutdown_telemetry(5.0)

        # A second app starting in the same process (a test session) configures again.
        second = InMemorySpanExporter()
        again = configure_telemetry(
            "dossier-bron", "none", span_processors=(BatchSpanProcessor(second),)
        )
        with tracer.start_as_current_span("second_run"):
            pass
        shutdown_telemetry(5.0)
        report(
            same_provider=again is provider,
            first=exported(),
            second=sorted(span.name for span in second.get_finished_spans()),
            recorder=sorted(span.name for span in recorder.get_finished_spans()),
        )
        """
    )
    assert outcome["same_provider"] is True
    assert outcome["first"] == ["first_run"]  # the retired processor got nothing more
    assert outcome["second"] == ["second_run"]
    assert outcome["recorder"] == ["first_run", "second_run"]
