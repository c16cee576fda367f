"""Structured logging: structlog for our own calls, stdlib logging (uvicorn, aiokafka,
SQLAlchemy, ...) routed through the same processors, one line per event.

Log calls name the event and bind context, as in open-notificaties:
``log.info("notification_delivered", subscription_id=..., attempt=2)``. Every line gets the
trace and span id of the current OpenTelemetry span, so logs and traces can be joined.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
import structlog.tracebacks
from opentelemetry import trace
from structlog.typing import EventDict, Processor, WrappedLogger

# Keys whose values are credentials; masked wherever they turn up in a log call.
SENSITIVE_KEYS = frozenset(
    {"secret", "password", "token", "authorization", "access_token", "client_secret"}
)
REDACTED = "[redacted]"
# Loggers that install their own handlers; we take them over so their lines come out in our
# format too (run uvicorn with ``log_config=None``, or it re-adds its handlers).
_TAKEN_OVER = ("uvicorn", "uvicorn.error", "uvicorn.access")


def without_query(target: str) -> str:
    """A request target without its query string: a query can hold personal data (a BSN
    someone put in a URL), and the query is the caller's text, not ours to keep."""
    path, sep, _query = target.partition("?")
    return f"{path}?{REDACTED}" if sep else path


class DropQueryStrings(logging.Filter):
    """On ``uvicorn.access``: the logged request line loses its query string (uvicorn's
    record args are ``(client, method, full_path, http_version, status)``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], without_query(args[2]), args[3], args[4])
        return True


_DROP_QUERY_STRINGS = DropQueryStrings()

_LOGGED = "_keten_logged"


def mark_logged(exc: BaseException) -> None:
    """``exc`` has been logged with its traceback (``keten_core.problems``' last-resort
    handler); the server's own report of it is then left out (``DropLoggedAgain``)."""
    try:
        setattr(exc, _LOGGED, True)
    except AttributeError:  # an exception type with __slots__: logged twice, nothing worse
        pass


class DropLoggedAgain(logging.Filter):
    """On ``uvicorn.error``: Starlette re-raises an exception after its handler answered (500
    problem), and uvicorn logs it again as "Exception in ASGI application" with a second
    traceback; the first already holds everything, with the method, path and trace id."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not getattr(exc, _LOGGED, False)


_DROP_LOGGED_AGAIN = DropLoggedAgain()


def add_trace_context(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Add ``trace_id``/``span_id`` (W3C hex form) of the current span, when there is one."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", format(span_context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(span_context.span_id, "016x"))
    return event_dict


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Last line of defence: a secret passed as a keyword never reaches the output."""
    return _redacted(event_dict)


def _redacted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    # A copy, so that a dict the caller passed in is not altered behind its back.
    result: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() in SENSITIVE_KEYS:
            result[key] = REDACTED
        elif isinstance(value, Mapping):
            result[key] = _redacted(value)
        else:
            result[key] = value
    return result


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_context,
        redact_secrets,
    ]


_handler: logging.Handler | None = None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def configure_logging(
    level: str | int = "INFO", json: bool = True, *, stream: TextIO | None = None
) -> None:
    """Configure structlog and stdlib logging for the process.

    ``json`` gives one JSON object per line (production, log shippers); otherwise a console
    rendering for development, coloured on a terminal only. Calling it again replaces the
    earlier configuration, which is what tests and ``--reload`` need.
    """
    global _handler
    shared = _shared_processors()
    out = stream if stream is not None else sys.stdout
    renderer: Processor
    # Tracebacks without the frames' local variables (structlog's default shows them, with
    # rich in either rendering): locals hold personal data (a BSN, a person's record) and one
    # error's locals ran to 17,000 console lines, seconds of a blocked event loop.
    if json:
        renderer = structlog.processors.JSONRenderer()
        exception_formatter: list[Processor] = [
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
        ]
    else:
        # Colours only on a terminal: in a log file (`keten up`, `keten logs`) the escape codes
        # are noise to read and to grep.
        renderer = structlog.dev.ConsoleRenderer(
            colors=_is_terminal(out), exception_formatter=structlog.dev.plain_traceback
        )
        exception_formatter = []

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a module-level logger first used before this call (at import, in a test)
        # would otherwise keep the old configuration for good.
        cache_logger_on_first_use=False,
    )

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *exception_formatter,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    _handler = handler

    for name in _TAKEN_OVER:
        taken = logging.getLogger(name)
        taken.handlers.clear()
        taken.propagate = True
    access = logging.getLogger("uvicorn.access")
    if _DROP_QUERY_STRINGS not in access.filters:
        access.addFilter(_DROP_QUERY_STRINGS)
    error = logging.getLogger("uvicorn.error")
    if _DROP_LOGGED_AGAIN not in error.filters:
        error.addFilter(_DROP_LOGGED_AGAIN)
