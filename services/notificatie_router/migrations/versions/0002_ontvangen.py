"""notificatie-router: router_ontvangen, the events parties published at the router over HTTP
(inbound CloudEvents and Notificaties API 1.0 ``POST /notificaties``), one row per (source, id):
a duplicate is accepted once.

Revision ID: notificatie_router_0002
Revises: notificatie_router_0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notificatie_router_0002"
down_revision: str | Sequence[str] | None = "notificatie_router_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "router_ontvangen",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("bron", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bron", "event_id", name="uq_router_ontvangen_bron_event_id"),
    )
    op.create_index("ix_router_ontvangen_ontvangen_op", "router_ontvangen", ["ontvangen_op"])


def downgrade() -> None:
    op.drop_table("router_ontvangen")
