"""Error classes every consumer, relay and handler shares, and the one rule that sorts a failure
into them.

- **Transient**: the world is briefly unavailable (database or broker unreachable, an HTTP
  source answering 5xx/429 or timing out). Retried without limit, with capped backoff, while
  the partition is paused; never dead-lettered, because the event is fine.
- **Permanent** (``PermanentError``): retrying cannot help (a ``dataref`` answering 403 or 404,
  a business rule refusing the event). Dead-lettered at once with the reason.
- Anything else is a **handler bug**: retried a bounded number of times, then dead-lettered, so
  one bad record cannot stall its partition for ever.

Constraint violations (``IntegrityError``, ``DataError``) are never transient: the same
statement fails the same way on every retry.
"""

from __future__ import annotations

from typing import Final

import httpx
from sqlalchemy import exc as sa_exc

__all__ = ["PermanentError", "PublishError", "TransientError", "is_permanent", "is_transient"]


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help; the record goes straight to dead letter."""


class TransientError(Exception):
    """Raised by a handler to ask for a retry later (the cause is outside the event)."""


class PublishError(TransientError):
    """The broker did not acknowledge a record; the caller still owns the event."""


# SQLSTATE classes and codes of failures that a later attempt may not meet: connection
# exceptions (08), insufficient resources (53), operator intervention such as a server shutting
# down (57P), serialization failure and deadlock (40001, 40P01).
_TRANSIENT_SQLSTATE_PREFIXES: Final = ("08", "53", "57P")
_TRANSIENT_SQLSTATES: Final = frozenset({"40001", "40P01"})
_TRANSIENT_HTTP_STATUS: Final = frozenset({408, 425, 429})
_PERMANENT_DATAREF_STATUS: Final = frozenset({403, 404, 410})


def _sqlstate(error: BaseException) -> str | None:
    orig = getattr(error, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None), error.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_transient(error: BaseException) -> bool:
    """Whether a later attempt of the same work may succeed without anyone changing anything."""
    if isinstance(error, TransientError):
        return True
    if isinstance(error, PermanentError):
        return False
    if isinstance(error, sa_exc.IntegrityError | sa_exc.DataError | sa_exc.ProgrammingError):
        return False
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        code = _sqlstate(error)
        if code is not None:
            return code in _TRANSIENT_SQLSTATES or code.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
        return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
    if isinstance(error, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return status >= 500 or status in _TRANSIENT_HTTP_STATUS
    if isinstance(error, httpx.TransportError):
        return True
    # Connection refused/reset and timeouts raised by drivers before SQLAlchemy wraps them.
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    if isinstance(error, OSError) and error.errno is not None:
        return True
    return _asyncpg_connection_error(error)


def _asyncpg_connection_error(error: BaseException) -> bool:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency of the core
        return False
    return isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.ConnectionDoesNotExistError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError,
    ) or (isinstance(error, asyncpg.InterfaceError) and "connection" in str(error).lower())


def is_permanent(error: BaseException) -> bool:
    """Whether the record should go to the dead-letter topic without further attempts: the
    handler said so, or a source refused the ``dataref`` for good (403, 404, 410)."""
    if isinstance(error, PermanentError):
        return True
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code in _PERMANENT_DATAREF_STATUS
    return False
