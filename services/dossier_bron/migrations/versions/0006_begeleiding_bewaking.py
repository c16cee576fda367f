"""Begeleidingen (maatschappelijke begeleiding, financieel ontzorgen, stimuleren financiële
zelfredzaamheid, voortgangsgesprekken), the asielstatushouder's one doelgroep choice, and the
overdue deadlines the watch found (each once).

Revision ID: dossier_bron_0006
Revises: dossier_bron_0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dossier_bron_0006"
down_revision: str | Sequence[str] | None = "dossier_bron_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "dossier",
        sa.Column(
            "afzien_rechten_asielstatushouder",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
        ),
    )
    op.create_table(
        "begeleiding",
        sa.Column("begeleiding_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("soort", sa.String(length=50), nullable=False),
        sa.Column("startdatum", sa.Date(), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=True),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.dossier_id"],
            name=op.f("fk_begeleiding_dossier_id_dossier"),
        ),
        sa.PrimaryKeyConstraint("begeleiding_id", name=op.f("pk_begeleiding")),
    )
    op.create_index(op.f("ix_begeleiding_dossier_id"), "begeleiding", ["dossier_id"])
    op.create_table(
        "doelgroepkeuze",
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.dossier_id"],
            name=op.f("fk_doelgroepkeuze_dossier_id_dossier"),
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_doelgroepkeuze")),
    )
    op.create_table(
        "termijnoverschrijding",
        sa.Column("termijnoverschrijding_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("termijn", sa.String(length=40), nullable=False),
        sa.Column("sleutel", sa.String(length=100), nullable=False),
        sa.Column("betreft_id", sa.String(length=100), nullable=True),
        sa.Column("referentiedatum", sa.Date(), nullable=False),
        sa.Column("uiterste_datum", sa.Date(), nullable=False),
        sa.Column("geconstateerd_op", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.dossier_id"],
            name=op.f("fk_termijnoverschrijding_dossier_id_dossier"),
        ),
        sa.PrimaryKeyConstraint("termijnoverschrijding_id", name=op.f("pk_termijnoverschrijding")),
        sa.UniqueConstraint(
            "dossier_id",
            "termijn",
            "sleutel",
            name=op.f("uq_termijnoverschrijding_dossier_id"),
        ),
    )
    op.create_index(
        op.f("ix_termijnoverschrijding_dossier_id"), "termijnoverschrijding", ["dossier_id"]
    )
    op.create_index(
        op.f("ix_termijnoverschrijding_gemeentecode"), "termijnoverschrijding", ["gemeentecode"]
    )


def downgrade() -> None:
    op.drop_table("termijnoverschrijding")
    op.drop_table("doelgroepkeuze")
    op.drop_table("begeleiding")
    op.drop_column("dossier", "afzien_rechten_asielstatushouder")
