"""A sandbox service's moved clock, kept in its own database: a simulator restarted in the
middle of a chain test (a crash, a redeploy, the fault-injection test's SIGKILL) goes on at
the journey's time instead of wall-clock time, where it would date what it registers years
away from the rest of the chain. One row (migration keten_core_0004); production clocks are
never moved, so the table stays empty there.

The row is read at start-up; a replica that did not serve the move keeps its own clock until
it restarts (a sandbox runs one replica per service)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, DateTime, SmallInteger, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from keten_core import clock as keten_clock
from keten_core.clock import Clock, ClockSnapshot
from keten_core.db import Base

__all__ = ["SandboxClockRow", "load_clock", "save_clock"]

ROW_ID = 1


class SandboxClockRow(Base):
    __tablename__ = "keten_sandbox_clock"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    # Microseconds ahead of (or behind) wall-clock time; the frozen instant wins when set.
    offset_us: Mapped[int] = mapped_column(BigInteger)
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


async def save_clock(engine: AsyncEngine, clock: Clock) -> None:
    """Keep how ``clock`` is moved now; a clock back at wall-clock time leaves no row."""
    snapshot = clock.snapshot()
    async with engine.begin() as connection:
        if not clock.moved:
            await connection.execute(delete(SandboxClockRow))
            return
        values = {
            "offset_us": snapshot.offset // timedelta(microseconds=1),
            "frozen_at": snapshot.frozen_at,
            "changed_at": keten_clock.wall_clock(),
        }
        await connection.execute(
            insert(SandboxClockRow)
            .values(id=ROW_ID, **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )


async def load_clock(engine: AsyncEngine, clock: Clock) -> bool:
    """Move ``clock`` as it was kept; True when there was a moved clock to go on with."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(SandboxClockRow.offset_us, SandboxClockRow.frozen_at).where(
                    SandboxClockRow.id == ROW_ID
                )
            )
        ).one_or_none()
    if row is None:
        return False
    clock.restore(ClockSnapshot(timedelta(microseconds=row.offset_us), row.frozen_at))
    return True
