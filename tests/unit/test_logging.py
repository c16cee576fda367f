"""``configure_logging``: one JSON line per event, stdlib loggers included, with the trace and
span ids of the current OpenTelemetry span."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from keten_core import logging as keten_logging
from keten_core.logging import REDACTED, configure_logging
from keten_core.problems import install_problem_handlers


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    # Leave the process as we found it for the other tests.
    root = logging.getLogger()
    if keten_logging._handler is not None:
        root.removeHandler(keten_logging._handler)
        keten_logging._handler = None
    root.setLevel(logging.WARNING)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_json_lines_carry_trace_and_span_ids(output: io.StringIO) -> None:
    configure_logging("INFO", json=True, stream=output)
    tracer = TracerProvider().get_tracer("test")
    log = structlog.get_logger("keten.test")

    with tracer.start_as_current_span("deliver") as span:
        log.info("notification_delivered", subscription_id="abo-1", attempt=2)
        logging.getLogger("aiokafka.consumer").warning("rebalance %s", "done")
        context = span.get_span_context()

    [ours, foreign] = lines(output)
    trace_id = format(context.trace_id, "032x")
    span_id = format(context.span_id, "016x")

    assert ours["event"] == "notification_delivered"
    assert ours["subscription_id"] == "abo-1"
    assert ours["attempt"] == 2
    assert ours["level"] == "info"
    assert ours["logger"] == "keten.test"
    assert ours["trace_id"] == trace_id
    assert ours["span_id"] == span_id
    assert ours["timestamp"].endswith("Z")

    assert foreign["event"] == "rebalance done"
    assert foreign["logger"] == "aiokafka.consumer"
    assert foreign["level"] == "warning"
    assert foreign["trace_id"] == trace_id
    assert foreign["span_id"] == span_id


def test_no_trace_ids_outside_a_span(output: io.StringIO) -> None:
    configure_logging("INFO", json=True, stream=output)
    structlog.get_logger().info("started")
    [line] = lines(output)
    assert "trace_id" not in line
    assert "span_id" not in line


def test_bound_and_context_variables(output: io.StringIO) -> None:
    configure_logging("DEBUG", json=True, stream=output)
    structlog.contextvars.bind_contextvars(request_id="r-9")
    log = structlog.get_logger().bind(dossier_id="d-1")
    log.debug("intake_registered")
    [line] = lines(output)
    assert line["request_id"] == "r-9"
    assert line["dossier_id"] == "d-1"


def test_level_filters(output: io.StringIO) -> None:
    configure_logging("WARNING", json=True, stream=output)
    structlog.get_logger().info("too_chatty")
    logging.getLogger("sqlalchemy.engine").info("SELECT 1")
    structlog.get_logger().warning("worth_reading")
    assert [line["event"] for line in lines(output)] == ["worth_reading"]


def test_secrets_are_redacted_without_touching_the_callers_dict(output: io.StringIO) -> None:
    configure_logging("INFO", json=True, stream=output)
    config = {"url": "https://abonnee.example.nl/hook", "secret": "whsec_abc"}
    structlog.get_logger().info("subscription_created", config=config, token="eyJ...")
    [line] = lines(output)
    assert line["config"] == {"url": "https://abonnee.example.nl/hook", "secret": REDACTED}
    assert line["token"] == REDACTED
    assert "whsec_abc" not in output.getvalue()
    assert config["secret"] == "whsec_abc"


def test_exceptions_are_structured(output: io.StringIO) -> None:
    configure_logging("INFO", json=True, stream=output)
    try:
        raise ValueError("kapot")
    except ValueError:
        structlog.get_logger().exception("handler_failed")
    [line] = lines(output)
    assert line["event"] == "handler_failed"
    assert line["exception"][0]["exc_type"] == "ValueError"
    assert line["exception"][0]["exc_value"] == "kapot"


def test_console_rendering_for_development(output: io.StringIO) -> None:
    configure_logging("INFO", json=False, stream=output)
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("dev") as span:
        structlog.get_logger().info("dev_event", dossier_id="d-2")
    text = output.getvalue()
    assert "dev_event" in text
    assert "dossier_id" in text
    assert format(span.get_span_context().trace_id, "032x") in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_configuring_again_replaces_the_handler(output: io.StringIO) -> None:
    first = io.StringIO()
    configure_logging("INFO", json=True, stream=first)
    configure_logging("INFO", json=True, stream=output)
    structlog.get_logger().info("once")
    assert first.getvalue() == ""
    assert [line["event"] for line in lines(output)] == ["once"]


def test_the_console_rendering_has_no_colour_codes_in_a_file(output: io.StringIO) -> None:
    # A log file (`keten up` writes one per service) must be plain text to read and grep.
    configure_logging("INFO", json=False, stream=output)
    structlog.get_logger("test").info("plain", veld="waarde")
    text = output.getvalue()
    assert "plain" in text and "veld" in text
    assert "\x1b[" not in text, repr(text)


def _fails_with_a_bsn_in_a_local() -> None:
    bsn = "123456782"  # a local of the failing frame, as a handler's would be
    raise ValueError(f"kapot ({len(bsn)} digits)")


@pytest.mark.parametrize("json_lines", [True, False])
def test_a_traceback_shows_the_frames_but_never_their_locals(
    output: io.StringIO, json_lines: bool
) -> None:
    """structlog (with rich) renders every frame's local variables by default: personal data in
    the log, and thousands of lines per error."""
    configure_logging("INFO", json=json_lines, stream=output)
    try:
        _fails_with_a_bsn_in_a_local()
    except ValueError:
        structlog.get_logger().exception("handler_failed")
    text = output.getvalue()
    assert "_fails_with_a_bsn_in_a_local" in text  # the frame is there
    assert "kapot (9 digits)" in text
    assert "123456782" not in text
    assert len(text.splitlines()) < 20, text


async def test_an_unhandled_error_is_logged_once_not_again_by_the_server(
    output: io.StringIO,
) -> None:
    """The problem handler logs the error (with method, path and traceback) and answers 500;
    Starlette then re-raises it and uvicorn would log it a second time, traceback and all."""
    configure_logging("INFO", json=True, stream=output)
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/kapot")
    async def kapot() -> None:
        raise RuntimeError("stuk")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/kapot")
    finally:
        server.should_exit = True
        await task
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    errors = [line for line in lines(output) if line.get("level") == "error"]
    assert [line["event"] for line in errors] == ["unhandled_exception"], errors
    assert errors[0]["exception"][0]["exc_value"] == "stuk"


def test_other_server_errors_are_still_logged(output: io.StringIO) -> None:
    configure_logging("INFO", json=True, stream=output)
    try:
        raise RuntimeError("niet door ons gelogd")
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    assert [line["event"] for line in lines(output)] == ["Exception in ASGI application"]
