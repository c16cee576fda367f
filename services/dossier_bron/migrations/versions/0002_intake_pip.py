"""The brede intake (invitations, attendance, items) and the PIP's versions (each with what it
was based on).

Revision ID: dossier_bron_0002
Revises: dossier_bron_0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "dossier_bron_0002"
down_revision: str | Sequence[str] | None = "dossier_bron_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake",
        sa.Column("intake_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("uitnodigingen", postgresql.JSONB(), nullable=False),
        sa.Column("eerste_gesprek_op", sa.Date(), nullable=True),
        sa.Column("afgerond_op", sa.Date(), nullable=True),
        sa.Column("afgerond_zonder_medewerking", sa.Boolean(), nullable=False),
        sa.Column("gegevens", postgresql.JSONB(), nullable=False),
        sa.Column("gewijzigd_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.dossier_id"], name=op.f("fk_intake_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("intake_id", name=op.f("pk_intake")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_intake_dossier_id")),
    )
    op.create_table(
        "pip_versie",
        sa.Column("pip_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("versie", sa.Integer(), nullable=False),
        sa.Column("gegevens", postgresql.JSONB(), nullable=False),
        sa.Column("gebaseerd_op", postgresql.JSONB(), nullable=False),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.dossier_id"], name=op.f("fk_pip_versie_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("pip_id", name=op.f("pk_pip_versie")),
        sa.UniqueConstraint("dossier_id", "versie", name=op.f("uq_pip_versie_dossier_id")),
    )
    op.create_index(op.f("ix_pip_versie_dossier_id"), "pip_versie", ["dossier_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pip_versie_dossier_id"), table_name="pip_versie")
    op.drop_table("pip_versie")
    op.drop_table("intake")
