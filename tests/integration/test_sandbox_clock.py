"""A sandbox service keeps its moved clock across a restart (``keten_core.clock_store``): a
simulator killed in the middle of a chain test goes on at the journey's time. Each restart is
a new service object on the same database, as a new process would be."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from keten_core.clock import get_clock, use_clock
from keten_core.service import KetenService
from keten_core.testing import fresh_database
from tests.integration.test_coa_adapter import build, new_prefix
from tests.integration.test_service import free_port, serving

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
async def database(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture(autouse=True)
def process_clock() -> Iterator[None]:
    """A service installs its clock as the process's; give the next test the one it had."""
    previous = get_clock()
    yield
    use_clock(previous)


def sandbox_service(database: str, bootstrap: str) -> tuple[KetenService, int]:
    port = free_port()
    service = build(database, bootstrap, port, prefix=new_prefix())
    service.settings = service.settings.model_copy(update={"sandbox": True})
    return service, port


async def clock_after_restart(database: str, bootstrap: str) -> dict[str, object]:
    service, port = sandbox_service(database, bootstrap)
    async with serving(service, port) as client:
        answer = await client.get("/sandbox/clock")
    assert answer.status_code == 200
    state: dict[str, object] = answer.json()
    return state


async def test_a_moved_clock_survives_a_restart(database: str, kafka_bootstrap_servers: str):
    frozen = "2027-03-01T09:00:00+01:00"
    service, port = sandbox_service(database, kafka_bootstrap_servers)
    async with serving(service, port) as client:
        moved = await client.put("/sandbox/clock", json={"now": frozen, "frozen": True})
        assert moved.status_code == 200, moved.text

    # Frozen: exactly the same instant after the restart.
    state = await clock_after_restart(database, kafka_bootstrap_servers)
    assert state["frozen"] is True and state["moved"] is True
    assert datetime.fromisoformat(str(state["now"])) == datetime.fromisoformat(frozen)

    # Moved and ticking: the same offset from wall-clock time after the restart.
    service, port = sandbox_service(database, kafka_bootstrap_servers)
    async with serving(service, port) as client:
        moved = await client.put("/sandbox/clock", json={"advance": "P400D"})
        assert moved.status_code == 200 and moved.json()["frozen"] is True
        ticking = await client.put("/sandbox/clock", json={"now": "2028-06-01T12:00:00Z"})
        assert ticking.status_code == 200
        set_at = datetime.now(UTC)
    state = await clock_after_restart(database, kafka_bootstrap_servers)
    assert state["frozen"] is False
    gone = datetime.now(UTC) - set_at
    now = datetime.fromisoformat(str(state["now"]))
    expected = datetime(2028, 6, 1, 12, tzinfo=UTC) + gone
    assert abs(now - expected) < timedelta(seconds=5), (now, expected)

    # Reset: wall-clock time after the restart, and nothing kept.
    service, port = sandbox_service(database, kafka_bootstrap_servers)
    async with serving(service, port) as client:
        assert (await client.delete("/sandbox/clock")).status_code == 200
    state = await clock_after_restart(database, kafka_bootstrap_servers)
    assert state["moved"] is False
    now = datetime.fromisoformat(str(state["now"]))
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
