"""notificatie-router's tables: abonnement, gebeurtenis, aflevering, audit.

Revision ID: notificatie_router_0001
Revises: (branch notificatie_router; depends on keten_core_0003)
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "notificatie_router_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("notificatie_router",)
depends_on: str | Sequence[str] | None = "keten_core_0003"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "router_abonnement",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("oin", sa.String(20), nullable=False),
        sa.Column("rol", sa.String(40), nullable=False),
        sa.Column("gemeentecode", sa.String(4), nullable=True),
        sa.Column("soort", sa.String(20), nullable=False),
        sa.Column("protocol", sa.String(10), nullable=False),
        sa.Column("sink", sa.Text(), nullable=False),
        sa.Column("types", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("filters", postgresql.JSONB(), nullable=False),
        sa.Column("instellingen", postgresql.JSONB(), nullable=False),
        sa.Column("geheim", sa.LargeBinary(), nullable=False),
        sa.Column("vorig_geheim", sa.LargeBinary(), nullable=True),
        sa.Column("vorig_geheim_tot", TZ, nullable=True),
        sa.Column("rate_per_minuut", sa.Integer(), nullable=True),
        sa.Column("actief", sa.Boolean(), nullable=False),
        sa.Column("uitgeschakeld_op", TZ, nullable=True),
        sa.Column("uitgeschakeld_reden", sa.Text(), nullable=True),
        sa.Column("falend_sinds", TZ, nullable=True),
        sa.Column("laatste_succes_op", TZ, nullable=True),
        sa.Column("volgnummer", sa.BigInteger(), nullable=False),
        sa.Column("gewist_tot", sa.BigInteger(), nullable=False),
        sa.Column("aangemaakt_op", TZ, nullable=False),
        sa.Column("gewijzigd_op", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_router_abonnement")),
    )
    op.create_table(
        "router_gebeurtenis",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("bron", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("partitionkey", sa.Text(), nullable=False),
        sa.Column("tijd", TZ, nullable=False),
        sa.Column("ontvangen_op", TZ, nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partitie", sa.Integer(), nullable=False),
        sa.Column("positie", sa.BigInteger(), nullable=False),
        sa.Column("inhoud", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_router_gebeurtenis")),
    )
    op.create_index(
        op.f("ix_router_gebeurtenis_ontvangen_op"), "router_gebeurtenis", ["ontvangen_op"]
    )
    op.create_table(
        "router_aflevering",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("abonnement_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("gebeurtenis_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("volgnummer", sa.BigInteger(), nullable=False),
        sa.Column("partitionkey", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("pogingen", sa.Integer(), nullable=False),
        sa.Column("volgende_poging_op", TZ, nullable=True),
        sa.Column("lease_tot", TZ, nullable=True),
        sa.Column("geschiedenis", postgresql.JSONB(), nullable=False),
        sa.Column("aangemaakt_op", TZ, nullable=False),
        sa.Column("afgeleverd_op", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["abonnement_id"],
            ["router_abonnement.id"],
            name=op.f("fk_router_aflevering_abonnement_id_router_abonnement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gebeurtenis_id"],
            ["router_gebeurtenis.id"],
            name=op.f("fk_router_aflevering_gebeurtenis_id_router_gebeurtenis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_router_aflevering")),
        sa.UniqueConstraint(
            "abonnement_id", "gebeurtenis_id", name=op.f("uq_router_aflevering_abonnement_id")
        ),
        sa.UniqueConstraint(
            "abonnement_id", "volgnummer", name="uq_router_aflevering_abonnement_volgnummer"
        ),
    )
    op.create_index(
        "ix_router_aflevering_wacht",
        "router_aflevering",
        ["abonnement_id", "partitionkey", "volgnummer"],
        postgresql_where=sa.text("status = 'wacht'"),
    )
    op.create_index("ix_router_aflevering_gebeurtenis", "router_aflevering", ["gebeurtenis_id"])
    # Failed and dead deliveries per subscription (lists, resends, gauges).
    op.create_index(
        "ix_router_aflevering_open",
        "router_aflevering",
        ["abonnement_id", "status", "volgnummer"],
        postgresql_where=sa.text("status <> 'afgeleverd'"),
    )
    op.create_table(
        "router_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("op", TZ, nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("oin", sa.String(20), nullable=False),
        sa.Column("actie", sa.String(40), nullable=False),
        sa.Column("abonnement_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("details", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_router_audit")),
    )
    op.create_index(op.f("ix_router_audit_abonnement_id"), "router_audit", ["abonnement_id"])


def downgrade() -> None:
    op.drop_table("router_audit")
    op.drop_table("router_aflevering")
    op.drop_table("router_gebeurtenis")
    op.drop_table("router_abonnement")
