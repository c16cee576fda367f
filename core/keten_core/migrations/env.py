"""Alembic environment: runs on a connection handed over by ``keten_core.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from keten_core import clock_store, inbox, outbox, verwerkingslog  # noqa: F401 - registers their tables on Base.metadata
from keten_core.db import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through keten_core.db.migrate or migrate_url")

context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
