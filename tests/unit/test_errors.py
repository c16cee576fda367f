"""The one rule that sorts a failure into transient, permanent or a handler bug."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import exc as sa_exc

from keten_core.errors import PermanentError, PublishError, is_permanent, is_transient


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _status(code: int) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "https://dossier.example.nl/api/v1/pips/pip-1")
    return httpx.HTTPStatusError(
        str(code), request=request, response=httpx.Response(code, request=request)
    )


def _db(cls: type[sa_exc.DBAPIError], sqlstate: str | None = None) -> sa_exc.DBAPIError:
    orig = _Orig(sqlstate) if sqlstate else Exception("no sqlstate")
    return cls("INSERT ...", {}, orig)


@pytest.mark.parametrize(
    "error",
    [
        _db(sa_exc.OperationalError),  # connection refused, server gone
        _db(sa_exc.InterfaceError),  # connection closed under the driver
        _db(sa_exc.OperationalError, "08006"),  # connection failure
        _db(sa_exc.OperationalError, "57P01"),  # admin shutdown
        _db(sa_exc.OperationalError, "40001"),  # serialization failure
        _db(sa_exc.OperationalError, "40P01"),  # deadlock
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        _status(500),
        _status(503),
        _status(429),
        _status(408),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        PublishError("broker did not acknowledge"),
    ],
    ids=repr,
)
def test_transient_faults_are_retried(error):
    assert is_transient(error)
    assert not is_permanent(error)


@pytest.mark.parametrize(
    "error",
    [
        _db(sa_exc.IntegrityError, "23505"),  # unique violation: the same on every retry
        _db(sa_exc.DataError, "22001"),
        _db(sa_exc.ProgrammingError, "42P01"),
        _db(sa_exc.OperationalError, "22012"),  # division by zero: not a connection fault
        RuntimeError("a bug"),
        KeyError("pipId"),
        _status(400),
        _status(409),
    ],
    ids=repr,
)
def test_bugs_are_neither_transient_nor_permanent(error):
    assert not is_transient(error)
    assert not is_permanent(error)


@pytest.mark.parametrize(
    "error",
    [PermanentError("unknown gemeente"), _status(403), _status(404), _status(410)],
    ids=repr,
)
def test_permanent_failures_go_to_the_dead_letter_topic_at_once(error):
    assert is_permanent(error)
    assert not is_transient(error)
