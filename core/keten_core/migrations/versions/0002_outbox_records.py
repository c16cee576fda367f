"""Outbox rows hold the Kafka record as checked at write time; rows can be parked; published
rows are deleted; inbox ids are UUIDs.

The relay no longer re-encodes stored attributes and data: it sends the headers and value that
were validated against the catalogue when the row was written. ``parked_at`` marks a row that
cannot be published (the rest of its key waits behind it). No service ran on 0001 yet, so the
old columns are dropped without converting rows.

Revision ID: keten_core_0002
Revises: keten_core_0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "keten_core_0002"
down_revision: str | Sequence[str] | None = "keten_core_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM keten_outbox")
    op.drop_column("keten_outbox", "attributes")
    op.drop_column("keten_outbox", "data")
    op.add_column("keten_outbox", sa.Column("event_type", sa.String(length=200), nullable=False))
    op.add_column(
        "keten_outbox",
        sa.Column("headers", postgresql.JSON(astext_type=sa.Text()), nullable=False),
    )
    op.add_column("keten_outbox", sa.Column("value", sa.LargeBinary(), nullable=False))
    op.add_column("keten_outbox", sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
    # Published rows are deleted by the relay: the table holds only what is still to publish.
    op.drop_index("ix_keten_outbox_unpublished", table_name="keten_outbox")
    op.drop_column("keten_outbox", "published_at")
    # Event ids are UUIDs (NL GOV profile): a narrower inbox key, cheaper to insert into.
    op.alter_column(
        "keten_inbox",
        "event_id",
        type_=sa.Uuid(),
        existing_type=sa.String(length=100),
        postgresql_using="event_id::uuid",
    )
    op.create_index(
        "ix_keten_outbox_parked_key",
        "keten_outbox",
        ["key"],
        unique=False,
        postgresql_where=sa.text("parked_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.add_column(
        "keten_outbox", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_keten_outbox_unpublished",
        "keten_outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.alter_column(
        "keten_inbox",
        "event_id",
        type_=sa.String(length=100),
        existing_type=sa.Uuid(),
        postgresql_using="event_id::text",
    )
    op.execute("DELETE FROM keten_outbox")
    op.drop_index("ix_keten_outbox_parked_key", table_name="keten_outbox")
    op.drop_column("keten_outbox", "parked_at")
    op.drop_column("keten_outbox", "value")
    op.drop_column("keten_outbox", "headers")
    op.drop_column("keten_outbox", "event_type")
    op.add_column(
        "keten_outbox",
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    )
    op.add_column(
        "keten_outbox",
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    )
