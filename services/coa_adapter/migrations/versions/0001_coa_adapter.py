"""coa-adapter's tables: statushouder (with klantprofiel), koppeling, warme overdracht.

Revision ID: coa_adapter_0001
Revises: (branch coa_adapter; depends on keten_core_0003)
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "coa_adapter_0001"
down_revision: str | Sequence[str] | None = None
# The service's own branch; the core's tables (outbox, inbox, verwerkingslog) come first.
branch_labels: str | Sequence[str] | None = ("coa_adapter",)
depends_on: str | Sequence[str] | None = "keten_core_0003"


def upgrade() -> None:
    op.create_table(
        "coa_statushouder",
        sa.Column("statushouder_id", sa.String(length=100), nullable=False),
        sa.Column("klantprofiel_id", sa.String(length=100), nullable=False),
        sa.Column("koppeling_id", sa.String(length=100), nullable=True),
        sa.Column("versie", sa.Integer(), nullable=False),
        sa.Column("aanbiedmoment", sa.String(length=40), nullable=True),
        sa.Column("vertrokken_op", sa.Date(), nullable=True),
        sa.Column("profiel", postgresql.JSONB(), nullable=False),
        sa.Column("aangemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gewijzigd_op", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("statushouder_id", name=op.f("pk_coa_statushouder")),
        sa.UniqueConstraint("klantprofiel_id", name=op.f("uq_coa_statushouder_klantprofiel_id")),
    )
    op.create_table(
        "coa_koppeling",
        sa.Column("koppeling_id", sa.String(length=100), nullable=False),
        sa.Column("statushouder_id", sa.String(length=100), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("koppeldatum", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("azc_locatie", sa.String(length=200), nullable=False),
        sa.Column("verwachte_vestigingsdatum", sa.Date(), nullable=True),
        sa.Column("vestigingsdatum", sa.Date(), nullable=True),
        sa.Column("aangemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statushouder_id"],
            ["coa_statushouder.statushouder_id"],
            name=op.f("fk_coa_koppeling_statushouder_id_coa_statushouder"),
        ),
        sa.PrimaryKeyConstraint("koppeling_id", name=op.f("pk_coa_koppeling")),
    )
    op.create_index(op.f("ix_coa_koppeling_statushouder_id"), "coa_koppeling", ["statushouder_id"])
    op.create_index(op.f("ix_coa_koppeling_gemeentecode"), "coa_koppeling", ["gemeentecode"])
    op.create_table(
        "coa_warme_overdracht",
        sa.Column("warme_overdracht_id", sa.String(length=100), nullable=False),
        sa.Column("koppeling_id", sa.String(length=100), nullable=False),
        sa.Column("statushouder_id", sa.String(length=100), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("gepland_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locatie", sa.String(length=200), nullable=False),
        sa.Column("gehouden_op", sa.Date(), nullable=True),
        sa.Column("klantprofiel_versie", sa.Integer(), nullable=True),
        sa.Column("coa_contactpersoon", postgresql.JSONB(), nullable=False),
        sa.ForeignKeyConstraint(
            ["koppeling_id"],
            ["coa_koppeling.koppeling_id"],
            name=op.f("fk_coa_warme_overdracht_koppeling_id_coa_koppeling"),
        ),
        sa.ForeignKeyConstraint(
            ["statushouder_id"],
            ["coa_statushouder.statushouder_id"],
            name=op.f("fk_coa_warme_overdracht_statushouder_id_coa_statushouder"),
        ),
        sa.PrimaryKeyConstraint("warme_overdracht_id", name=op.f("pk_coa_warme_overdracht")),
    )
    op.create_index(
        op.f("ix_coa_warme_overdracht_statushouder_id"),
        "coa_warme_overdracht",
        ["statushouder_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_coa_warme_overdracht_statushouder_id"), table_name="coa_warme_overdracht"
    )
    op.drop_table("coa_warme_overdracht")
    op.drop_index(op.f("ix_coa_koppeling_gemeentecode"), table_name="coa_koppeling")
    op.drop_index(op.f("ix_coa_koppeling_statushouder_id"), table_name="coa_koppeling")
    op.drop_table("coa_koppeling")
    op.drop_table("coa_statushouder")
