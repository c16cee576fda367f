"""RFC 9457 problem details (``application/problem+json``) for every error a service returns.

``install_problem_handlers(app)`` makes our own ``Problem``, Starlette's ``HTTPException``,
request validation errors and unhandled exceptions all answer in the same shape, so clients in
the chain parse one error format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from starlette.exceptions import HTTPException as StarletteHTTPException

from keten_core.logging import mark_logged

PROBLEM_JSON = "application/problem+json"
ABOUT_BLANK = "about:blank"

log = structlog.get_logger(__name__)

# RFC 9457 in the OpenAPI documents: every error a service answers is a problem detail.
_PROBLEM_CONTENT: Final[dict[str, Any]] = {
    PROBLEM_JSON: {
        "schema": {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
            },
            "required": ["type", "title", "status"],
        }
    }
}
# What each status means at a source of this chain (the read kit and the control APIs).
_PROBLEM_DESCRIPTIONS: Final[dict[int, str]] = {
    400: "The request is not well-formed",
    401: "No valid ZGW token",
    403: "The client may not use this endpoint (not registered for its purpose)",
    404: "Not found, or not this caller's to read",
    409: "Not allowed in the resource's current state",
    410: "No longer available (past the retention window)",
    422: "The request is not valid",
    503: "The processing log cannot be written, or a dependency is down",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``statuses``, each a problem+json answer, for a route's
    ``responses=`` (one definition for every service)."""
    return {
        status: {"description": _PROBLEM_DESCRIPTIONS[status], "content": _PROBLEM_CONTENT}
        for status in statuses
    }


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


# Named after the RFC's "problem detail" rather than ...Error: it is also the normal way to
# answer 4xx responses.
class Problem(Exception):
    """An error answered as a problem detail.

    ``type`` defaults to ``about:blank``, meaning "nothing beyond the HTTP status"; its title is
    then the status phrase (RFC 9457 section 4.2.1). A problem type URI of our own needs a title
    that stays the same for every occurrence; ``detail`` explains this occurrence.
    """

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        type: str = ABOUT_BLANK,  # the RFC's member name, shadowing the builtin on purpose
        instance: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        self.status = status
        self.type = type
        self.title = title or status_phrase(status)
        self.detail = detail
        self.instance = instance
        self.headers = dict(headers or {})
        self.extensions = extensions
        super().__init__(detail or self.title)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail is not None:
            body["detail"] = self.detail
        if self.instance is not None:
            body["instance"] = self.instance
        body.update(self.extensions)
        return body

    def response(self, instance: str | None = None) -> ProblemResponse:
        """The HTTP response; ``instance`` fills in the occurrence when the problem has none."""
        body = self.to_dict()
        if "instance" not in body and instance is not None:
            body["instance"] = instance
        return ProblemResponse(body, status_code=self.status, headers=self.headers or None)


def json_pointer(path: Sequence[str | int]) -> str:
    """RFC 6901 pointer in URI fragment form (``#/a/0/b``), as RFC 9457's own example uses."""
    tokens = (str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return "#" + "".join("/" + quote(t, safe="~!$&'()*+,;=:@") for t in tokens)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """One entry per invalid field. The offending input is left out on purpose: it may be a
    BSN or other personal data, and the client already has it."""
    errors: list[dict[str, Any]] = []
    for error in exc.errors():
        loc = list(error.get("loc", ()))
        entry: dict[str, Any] = {"detail": error.get("msg", ""), "loc": loc}
        if error.get("type"):
            entry["code"] = error["type"]
        if loc and loc[0] == "body":
            entry["pointer"] = json_pointer(loc[1:])
        elif len(loc) >= 2 and loc[0] in {"query", "path", "header", "cookie"}:
            # Not part of a JSON document, so no pointer: name the parameter instead.
            entry["in"] = loc[0]
            entry["parameter"] = str(loc[1])
        errors.append(entry)
    return errors


async def _problem_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    return exc.response(instance=request.url.path)


async def _http_exception_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    # Starlette fills ``detail`` with the status phrase when none was given; that is the title.
    detail = exc.detail if exc.detail != status_phrase(exc.status_code) else None
    if detail is not None and not isinstance(detail, str):
        # FastAPI allows structured details; RFC 9457's ``detail`` is a string, so they move
        # to an extension member.
        problem = Problem(exc.status_code, headers=exc.headers, errors=detail)
    else:
        problem = Problem(exc.status_code, detail=detail, headers=exc.headers)
    return problem.response(instance=request.url.path)


async def _validation_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    problem = Problem(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        # RFC 9110 renamed the phrase; Python 3.11's HTTPStatus still has the old one.
        title="Unprocessable Content",
        detail=f"The request has {len(errors)} invalid field(s).",
        errors=errors,
    )
    return problem.response(instance=request.url.path)


async def _unhandled_handler(request: Request, exc: Exception) -> ProblemResponse:
    # The full exception goes to the log; the client gets no internals, only a trace id to
    # quote when reporting the failure.
    log.error("unhandled_exception", method=request.method, path=request.url.path, exc_info=exc)
    mark_logged(exc)
    extensions: dict[str, Any] = {}
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        extensions["trace_id"] = format(span_context.trace_id, "032x")
    problem = Problem(HTTPStatus.INTERNAL_SERVER_ERROR, **extensions)
    return problem.response(instance=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as ``application/problem+json``."""
    app.add_exception_handler(Problem, _problem_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    # Starlette runs the ``Exception`` handler in its outermost middleware and re-raises
    # afterwards, so servers (and test transports) still see the original error.
    app.add_exception_handler(Exception, _unhandled_handler)
