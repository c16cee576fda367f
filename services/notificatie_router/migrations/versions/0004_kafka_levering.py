"""notificatie-router: router_kafka_levering, a Kafka sink's acknowledged deliveries logged per
subscription per flush instead of one ``router_aflevering`` row each (the subscriber's topic is
the durable record of each; failed Kafka deliveries still get a row and are retried).

Revision ID: notificatie_router_0004
Revises: notificatie_router_0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "notificatie_router_0004"
down_revision: str | Sequence[str] | None = "notificatie_router_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "router_kafka_levering",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("abonnement_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("eerste_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("laatste_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("aantal", sa.Integer(), nullable=False),
        sa.Column(
            "gebeurtenis_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False
        ),
        sa.Column("ms_max", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["abonnement_id"], ["router_abonnement.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_router_kafka_levering_abonnement", "router_kafka_levering", ["abonnement_id", "id"]
    )
    op.create_index("ix_router_kafka_levering_laatste_op", "router_kafka_levering", ["laatste_op"])


def downgrade() -> None:
    op.drop_table("router_kafka_levering")
