"""The chain's clock: wall-clock time unless a sandbox moves it, Dutch dates, one clock per
process, and the sandbox's HTTP routes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest
from fastapi import FastAPI

from keten_core import clock as clock_module
from keten_core.clock import Clock, ClockNotInSandbox, get_clock, sandbox_clock_router, use_clock
from keten_core.problems import install_problem_handlers
from keten_core.settings import KetenSettings

T0 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
INSTANT = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


class FakeWall:
    """Wall-clock time that moves only when the test says so."""

    def __init__(self, start: datetime = T0) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value

    def tick(self, delta: timedelta) -> None:
        self.value += delta


@pytest.fixture
def wall() -> FakeWall:
    return FakeWall()


@pytest.fixture
def sandbox(wall: FakeWall) -> Clock:
    return Clock(sandbox=True, wall=wall)


# --- reading -----------------------------------------------------------------------------


def test_unmoved_clock_is_wall_clock_time_in_utc() -> None:
    clock = Clock()
    before = datetime.now(UTC)
    reading = clock.now()
    after = datetime.now(UTC)
    assert before <= reading <= after
    assert reading.tzinfo is UTC
    assert not clock.moved
    assert not clock.frozen


def test_now_is_utc_whatever_the_wall_clock_zone(wall: FakeWall) -> None:
    wall.value = datetime(2027, 1, 4, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    reading = Clock(wall=wall).now()
    assert reading.tzinfo is UTC
    assert reading == datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "dutch_date"),
    [
        # Winter (CET, UTC+1): 23:30 UTC is 00:30 the next day in Amsterdam.
        (datetime(2027, 1, 4, 23, 30, tzinfo=UTC), date(2027, 1, 5)),
        (datetime(2027, 1, 4, 22, 59, tzinfo=UTC), date(2027, 1, 4)),
        # Summer (CEST, UTC+2): 22:30 UTC is already tomorrow.
        (datetime(2027, 6, 30, 22, 30, tzinfo=UTC), date(2027, 7, 1)),
        (datetime(2027, 6, 30, 21, 59, tzinfo=UTC), date(2027, 6, 30)),
    ],
)
def test_today_is_the_date_in_amsterdam(instant: datetime, dutch_date: date) -> None:
    clock = Clock(sandbox=True)
    clock.set(instant, frozen=True)
    assert clock.today() == dutch_date
    assert clock.now().date() == instant.date()  # the UTC date differs where it matters


# --- moving (sandbox) ----------------------------------------------------------------------


def test_set_moves_the_clock_and_it_keeps_ticking(sandbox: Clock, wall: FakeWall) -> None:
    sandbox.set(INSTANT)
    assert sandbox.now() == INSTANT
    assert sandbox.moved
    assert not sandbox.frozen
    wall.tick(timedelta(seconds=5))
    assert sandbox.now() == INSTANT + timedelta(seconds=5)


def test_a_moved_clock_ticks_with_real_time() -> None:
    clock = Clock(sandbox=True)
    clock.set(INSTANT)
    time.sleep(0.05)
    elapsed = clock.now() - INSTANT
    assert timedelta(seconds=0.04) < elapsed < timedelta(seconds=5)


def test_set_frozen_stops_the_clock(sandbox: Clock, wall: FakeWall) -> None:
    sandbox.set(INSTANT, frozen=True)
    wall.tick(timedelta(hours=1))
    assert sandbox.now() == INSTANT
    assert sandbox.frozen
    assert sandbox.moved


def test_set_accepts_any_offset_and_answers_in_utc(sandbox: Clock) -> None:
    sandbox.set(datetime(2027, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1))))
    assert sandbox.now() == INSTANT
    assert sandbox.now().tzinfo is UTC


def test_set_refuses_a_naive_datetime(sandbox: Clock) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sandbox.set(datetime(2027, 3, 1, 9, 30))  # naive on purpose
    assert not sandbox.moved


def test_advance_moves_on_and_keeps_ticking(sandbox: Clock, wall: FakeWall) -> None:
    sandbox.advance(timedelta(days=3))
    assert sandbox.now() == T0 + timedelta(days=3)
    assert sandbox.moved
    wall.tick(timedelta(minutes=1))
    sandbox.advance(timedelta(hours=2))
    assert sandbox.now() == T0 + timedelta(days=3, hours=2, minutes=1)


def test_advance_a_frozen_clock_stays_frozen(sandbox: Clock, wall: FakeWall) -> None:
    sandbox.set(INSTANT, frozen=True)
    sandbox.advance(timedelta(days=3))
    wall.tick(timedelta(hours=1))
    assert sandbox.now() == INSTANT + timedelta(days=3)
    assert sandbox.frozen


def test_advance_backwards(sandbox: Clock) -> None:
    sandbox.advance(timedelta(days=-1))
    assert sandbox.now() == T0 - timedelta(days=1)


def test_reset_returns_to_wall_clock_time(sandbox: Clock, wall: FakeWall) -> None:
    sandbox.set(INSTANT, frozen=True)
    sandbox.reset()
    assert sandbox.now() == T0
    assert not sandbox.moved
    assert not sandbox.frozen
    wall.tick(timedelta(seconds=1))
    assert sandbox.now() == T0 + timedelta(seconds=1)


# --- outside the sandbox -------------------------------------------------------------------


def test_a_clock_outside_the_sandbox_refuses_to_move(wall: FakeWall) -> None:
    clock = Clock(wall=wall)
    assert not clock.sandbox
    with pytest.raises(ClockNotInSandbox, match="KETEN_SANDBOX"):
        clock.set(INSTANT)
    with pytest.raises(ClockNotInSandbox):
        clock.set(INSTANT, frozen=True)
    with pytest.raises(ClockNotInSandbox):
        clock.advance(timedelta(days=3))
    with pytest.raises(ClockNotInSandbox):
        clock.reset()
    assert clock.now() == T0
    assert not clock.moved


def test_the_default_clock_is_not_in_the_sandbox() -> None:
    assert not Clock().sandbox
    assert not KetenSettings().sandbox


def test_sandbox_mode_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Clock.from_settings(KetenSettings(sandbox=True)).sandbox
    assert not Clock.from_settings(KetenSettings()).sandbox
    monkeypatch.setenv("KETEN_SANDBOX", "true")
    assert KetenSettings().sandbox
    assert Clock.from_settings(KetenSettings()).sandbox


# --- the process's clock ---------------------------------------------------------------


@pytest.fixture
def process_clock(wall: FakeWall) -> Iterator[Clock]:
    clock = Clock(sandbox=True, wall=wall)
    previous = use_clock(clock)
    try:
        yield clock
    finally:
        use_clock(previous)


def test_the_process_has_one_clock_by_default() -> None:
    assert get_clock() is get_clock()
    assert not get_clock().sandbox


def test_module_functions_read_the_installed_clock(process_clock: Clock) -> None:
    assert get_clock() is process_clock
    process_clock.set(datetime(2027, 6, 30, 22, 30, tzinfo=UTC))
    assert clock_module.now() == datetime(2027, 6, 30, 22, 30, tzinfo=UTC)
    assert clock_module.today() == date(2027, 7, 1)


def test_use_clock_returns_the_previous_clock() -> None:
    original = get_clock()
    replacement = Clock(sandbox=True)
    assert use_clock(replacement) is original
    assert use_clock(original) is replacement
    assert get_clock() is original


# --- HTTP --------------------------------------------------------------------------------


def app_for(clock: Clock | None) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(sandbox_clock_router(clock))
    return app


async def call(app: FastAPI, method: str, json: object = None) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test"
    ) as client:
        return await client.request(method, "/sandbox/clock", json=json)


async def test_get_clock_over_http(sandbox: Clock) -> None:
    response = await call(app_for(sandbox), "GET")
    assert response.status_code == 200
    assert response.json() == {
        "now": "2027-01-04T08:00:00Z",
        "today": "2027-01-04",
        "moved": False,
        "frozen": False,
        "sandbox": True,
    }


async def test_put_now(sandbox: Clock, wall: FakeWall) -> None:
    response = await call(app_for(sandbox), "PUT", {"now": "2027-03-01T10:30:00+01:00"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert datetime.fromisoformat(body["now"]) == INSTANT
    assert body["moved"] is True
    assert body["frozen"] is False
    wall.tick(timedelta(seconds=7))
    assert sandbox.now() == INSTANT + timedelta(seconds=7)


async def test_put_now_frozen(sandbox: Clock, wall: FakeWall) -> None:
    response = await call(app_for(sandbox), "PUT", {"now": INSTANT.isoformat(), "frozen": True})
    assert response.status_code == 200, response.text
    assert response.json()["frozen"] is True
    wall.tick(timedelta(hours=1))
    assert sandbox.now() == INSTANT


@pytest.mark.parametrize(
    ("duration", "delta"),
    [("P3D", timedelta(days=3)), ("PT2H30M", timedelta(hours=2, minutes=30))],
)
async def test_put_advance_iso_8601_duration(
    sandbox: Clock, duration: str, delta: timedelta
) -> None:
    response = await call(app_for(sandbox), "PUT", {"advance": duration})
    assert response.status_code == 200, response.text
    assert sandbox.now() == T0 + delta
    assert datetime.fromisoformat(response.json()["now"]) == T0 + delta


async def test_delete_resets(sandbox: Clock) -> None:
    sandbox.advance(timedelta(days=3))
    response = await call(app_for(sandbox), "DELETE")
    assert response.status_code == 200
    assert response.json()["moved"] is False
    assert sandbox.now() == T0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"now": "2027-03-01T09:30:00Z", "advance": "P1D"},
        {"now": "2027-03-01T09:30:00"},  # no offset: which 09:30?
        {"advance": "drie dagen"},
        {"advance": "P1D", "frozen": True},
        {"later": "P1D"},
    ],
)
async def test_put_invalid_body_is_422(sandbox: Clock, body: dict[str, object]) -> None:
    response = await call(app_for(sandbox), "PUT", body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert not sandbox.moved


@pytest.mark.parametrize(
    ("method", "body"),
    [("PUT", {"now": "2027-03-01T09:30:00Z"}), ("PUT", {"advance": "P3D"}), ("DELETE", None)],
)
async def test_moving_outside_the_sandbox_is_409(wall: FakeWall, method: str, body: object) -> None:
    clock = Clock(wall=wall)
    response = await call(app_for(clock), method, body)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 409
    assert problem["title"] == "Conflict"
    assert "KETEN_SANDBOX" in problem["detail"]
    assert problem["instance"] == "/sandbox/clock"
    assert clock.now() == T0
    assert not clock.moved


async def test_reading_outside_the_sandbox_says_so(wall: FakeWall) -> None:
    response = await call(app_for(Clock(wall=wall)), "GET")
    assert response.status_code == 200
    assert response.json()["sandbox"] is False


async def test_router_without_a_clock_uses_the_process_clock(process_clock: Clock) -> None:
    app = app_for(None)  # built before the service installs its clock at start-up
    response = await call(app, "PUT", {"advance": "P1D"})
    assert response.status_code == 200, response.text
    assert process_clock.now() == T0 + timedelta(days=1)


def test_a_sandbox_service_moves_the_clock_its_code_reads() -> None:
    # KetenService.app() installs one clock per process; the sandbox router must move THAT
    # clock (use_clock returns the previous one: keeping its result moved a stale clock).
    from keten_core.service import KetenService

    previous = get_clock()
    try:
        service = KetenService("svc-clock", settings=KetenSettings(sandbox=True))
        service.app()
        assert service.clock is get_clock()
        before = clock_module.now()
        service.clock.advance(timedelta(days=10))
        assert clock_module.now() - before >= timedelta(days=10)
    finally:
        use_clock(previous)
