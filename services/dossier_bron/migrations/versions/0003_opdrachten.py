"""Opdrachten to aanbieders and the reports aanbieders submit on them (with the aanbieder's
Idempotency-Key, unique per aanbieder).

Revision ID: dossier_bron_0003
Revises: dossier_bron_0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "dossier_bron_0003"
down_revision: str | Sequence[str] | None = "dossier_bron_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opdracht",
        sa.Column("opdracht_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("soort", sa.String(length=40), nullable=False),
        sa.Column("aanbiedersoort", sa.String(length=40), nullable=False),
        sa.Column("aanbieder_oin", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("gegevens", postgresql.JSONB(), nullable=False),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.dossier_id"], name=op.f("fk_opdracht_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("opdracht_id", name=op.f("pk_opdracht")),
    )
    op.create_index(op.f("ix_opdracht_dossier_id"), "opdracht", ["dossier_id"])
    op.create_index(op.f("ix_opdracht_aanbieder_oin"), "opdracht", ["aanbieder_oin"])
    op.create_table(
        "aanbieder_rapport",
        sa.Column("rapport_id", sa.String(length=100), nullable=False),
        sa.Column("soort", sa.String(length=40), nullable=False),
        sa.Column("opdracht_id", sa.String(length=100), nullable=False),
        sa.Column("versie", sa.Integer(), nullable=False),
        sa.Column("aanbieder_oin", sa.String(length=20), nullable=False),
        sa.Column("idempotentiesleutel", sa.String(length=100), nullable=False),
        sa.Column("gegevens", postgresql.JSONB(), nullable=False),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opdracht_id"],
            ["opdracht.opdracht_id"],
            name=op.f("fk_aanbieder_rapport_opdracht_id_opdracht"),
        ),
        sa.PrimaryKeyConstraint("rapport_id", name=op.f("pk_aanbieder_rapport")),
        sa.UniqueConstraint(
            "aanbieder_oin",
            "idempotentiesleutel",
            name=op.f("uq_aanbieder_rapport_aanbieder_oin"),
        ),
    )
    op.create_index(op.f("ix_aanbieder_rapport_opdracht_id"), "aanbieder_rapport", ["opdracht_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_aanbieder_rapport_opdracht_id"), table_name="aanbieder_rapport")
    op.drop_table("aanbieder_rapport")
    op.drop_index(op.f("ix_opdracht_aanbieder_oin"), table_name="opdracht")
    op.drop_index(op.f("ix_opdracht_dossier_id"), table_name="opdracht")
    op.drop_table("opdracht")
