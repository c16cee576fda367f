"""One clock for the chain: what domain dates, the CloudEvents ``time`` attribute and scheduled
jobs read, instead of ``datetime.now()`` scattered over the code.

In production the clock is wall-clock time and cannot be moved. In sandbox mode
(``KETEN_SANDBOX=true``) scenario tests move it: ``set`` jumps to an instant, ``advance``
moves it on by a duration (three days to pass a deadline), ``reset`` returns to wall-clock
time. A moved clock keeps ticking from where it was put (an offset from wall-clock time), so
durations measured with it stay real; ``set(..., frozen=True)`` stops it instead.

Not everything reads this clock: Kafka record timestamps, consumer retries and backoff,
timeouts, and the replay of a topic stay on wall-clock time (and on ``time.monotonic``), because
brokers, retention and other processes know nothing of a sandbox's clock.

One process has one clock: ``get_clock()`` returns it and ``use_clock()`` installs another (a
service at start-up: ``use_clock(Clock.from_settings(settings))``); ``now()`` and ``today()``
read it. ``sandbox_clock_router()`` lets a scenario runner move the clock over HTTP; a service
keeps the moved clock in its database (``clock_store``), so a restarted sandbox service goes on
at the journey's time.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from keten_core.problems import Problem, ProblemResponse
from keten_core.settings import KetenSettings

# Legal dates in the chain (a deadline, the day a PIP was adopted) are Dutch calendar dates.
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

WallClock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


class ClockNotInSandbox(RuntimeError):
    """Raised when something tries to move a clock that is not in sandbox mode."""

    def __init__(self) -> None:
        super().__init__(
            "the clock can only be moved in sandbox mode (KETEN_SANDBOX=true); "
            "outside the sandbox it is wall-clock time"
        )


@dataclass(frozen=True, slots=True)
class _State:
    # Replaced as a whole, never changed in place, so a reader never sees half an update.
    offset: timedelta = timedelta(0)
    frozen_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClockSnapshot:
    offset: timedelta = timedelta(0)
    frozen_at: datetime | None = None


class Clock:
    """The chain's clock; see the module docstring. ``wall`` is the source of wall-clock time
    (tests pass a fake one)."""

    def __init__(self, *, sandbox: bool = False, wall: WallClock = wall_clock) -> None:
        self._sandbox = sandbox
        self._wall = wall
        self._state = _State()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: KetenSettings) -> Self:
        """A clock in sandbox mode when ``KETEN_SANDBOX`` is true."""
        return cls(sandbox=settings.sandbox)

    @property
    def sandbox(self) -> bool:
        return self._sandbox

    @property
    def moved(self) -> bool:
        """Whether the clock differs from wall-clock time (set, advanced or frozen)."""
        state = self._state
        return state.frozen_at is not None or state.offset != timedelta(0)

    @property
    def frozen(self) -> bool:
        return self._state.frozen_at is not None

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        state = self._state
        if state.frozen_at is not None:
            return state.frozen_at
        return self._wall().astimezone(UTC) + state.offset

    def today(self) -> date:
        """Today's date in the Netherlands (Europe/Amsterdam), not in UTC: between 22:00 and
        24:00 UTC in summer it is already tomorrow there."""
        return self.now().astimezone(AMSTERDAM).date()

    def set(self, instant: datetime, *, frozen: bool = False) -> None:
        """Move the clock to ``instant`` (timezone-aware); it ticks on from there unless
        ``frozen``."""
        self._require_sandbox()
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("the clock needs a timezone-aware instant, e.g. ...T09:00:00+01:00")
        instant = instant.astimezone(UTC)
        with self._lock:
            if frozen:
                self._state = _State(frozen_at=instant)
            else:
                self._state = _State(offset=instant - self._wall().astimezone(UTC))

    def advance(self, delta: timedelta) -> None:
        """Move the clock on by ``delta`` (back when negative); a frozen clock stays frozen."""
        self._require_sandbox()
        with self._lock:
            state = self._state
            if state.frozen_at is not None:
                self._state = _State(frozen_at=state.frozen_at + delta)
            else:
                self._state = _State(offset=state.offset + delta)

    def reset(self) -> None:
        """Back to wall-clock time."""
        self._require_sandbox()
        with self._lock:
            self._state = _State()

    def snapshot(self) -> ClockSnapshot:
        """How the clock was moved, to keep it beyond the process (``clock_store``): the
        offset from wall-clock time, or the instant it is frozen at."""
        state = self._state
        return ClockSnapshot(state.offset, state.frozen_at)

    def restore(self, snapshot: ClockSnapshot) -> None:
        """Move the clock as ``snapshot`` says (a restarted sandbox service goes on at the
        journey's time, not at wall-clock time)."""
        self._require_sandbox()
        with self._lock:
            self._state = _State(offset=snapshot.offset, frozen_at=snapshot.frozen_at)

    def _require_sandbox(self) -> None:
        if not self._sandbox:
            raise ClockNotInSandbox()

    def __repr__(self) -> str:
        return f"Clock(sandbox={self._sandbox}, now={self.now().isoformat()}, moved={self.moved})"


# --- the process's clock ---------------------------------------------------------------

_clock = Clock()


def get_clock() -> Clock:
    """The clock of this process (wall-clock time, not movable, until ``use_clock``)."""
    return _clock


def use_clock(clock: Clock) -> Clock:
    """Make ``clock`` the clock of this process; returns the previous one (to restore it)."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def now() -> datetime:
    """``get_clock().now()``: the current instant in UTC."""
    return _clock.now()


def today() -> date:
    """``get_clock().today()``: today's date in the Netherlands."""
    return _clock.today()


# --- HTTP: moving a sandbox's clock ----------------------------------------------------


class ClockState(BaseModel):
    now: datetime
    today: date
    moved: bool
    frozen: bool
    sandbox: bool

    @classmethod
    def of(cls, clock: Clock) -> ClockState:
        instant = clock.now()
        return cls(
            now=instant,
            today=instant.astimezone(AMSTERDAM).date(),
            moved=clock.moved,
            frozen=clock.frozen,
            sandbox=clock.sandbox,
        )


class ClockChange(BaseModel):
    """Either ``now`` (an ISO 8601 instant with offset, optionally ``frozen``) or ``advance``
    (an ISO 8601 duration such as ``P3D`` or ``PT2H``, or seconds)."""

    model_config = ConfigDict(extra="forbid")

    now: AwareDatetime | None = None
    frozen: bool = False
    advance: timedelta | None = None

    @model_validator(mode="after")
    def _one_change(self) -> Self:
        if (self.now is None) == (self.advance is None):
            raise ValueError("give either 'now' or 'advance'")
        if self.frozen and self.now is None:
            raise ValueError("'frozen' goes with 'now'")
        return self


NOT_IN_SANDBOX: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The clock is not in sandbox mode (KETEN_SANDBOX is not true)",
        "content": {"application/problem+json": {}},
    }
}


def _not_in_sandbox(path: str) -> ProblemResponse:
    return Problem(
        409,
        detail="The clock can only be moved in sandbox mode (KETEN_SANDBOX=true).",
    ).response(instance=path)


ClockChanged = Callable[[Clock], Awaitable[None]]


def sandbox_clock_router(
    clock: Clock | None = None, on_change: ClockChanged | None = None
) -> APIRouter:
    """``GET``/``PUT``/``DELETE /sandbox/clock`` on ``clock`` (by default the process's clock at
    the time of the request, so ``use_clock`` at start-up is honoured). Reading always works;
    moving or resetting answers 409 problem+json unless the clock is in sandbox mode.
    ``on_change`` runs after every move or reset, before the answer (a service keeps its
    clock in its database with it: ``clock_store``)."""
    router = APIRouter(prefix="/sandbox", tags=["sandbox"])

    def current() -> Clock:
        return clock if clock is not None else get_clock()

    @router.get("/clock", summary="The chain's current time and whether it was moved")
    async def read_clock() -> ClockState:
        return ClockState.of(current())

    @router.put(
        "/clock",
        summary="Move the clock (sandbox only)",
        response_model=ClockState,
        responses=NOT_IN_SANDBOX,
    )
    async def move_clock(change: ClockChange, request: Request) -> ClockState | ProblemResponse:
        target = current()
        try:
            if change.now is not None:
                target.set(change.now, frozen=change.frozen)
            else:
                assert change.advance is not None
                target.advance(change.advance)
        except ClockNotInSandbox:
            return _not_in_sandbox(request.url.path)
        if on_change is not None:
            await on_change(target)
        return ClockState.of(target)

    @router.delete(
        "/clock",
        summary="Back to wall-clock time (sandbox only)",
        response_model=ClockState,
        responses=NOT_IN_SANDBOX,
    )
    async def reset_clock(request: Request) -> ClockState | ProblemResponse:
        target = current()
        try:
            target.reset()
        except ClockNotInSandbox:
            return _not_in_sandbox(request.url.path)
        if on_change is not None:
            await on_change(target)
        return ClockState.of(target)

    return router
