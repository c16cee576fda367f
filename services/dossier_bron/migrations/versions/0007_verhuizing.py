"""The hand-over after a move (request and package) and the retention term of each dossier.

Revision ID: dossier_bron_0007
Revises: dossier_bron_0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "dossier_bron_0007"
down_revision: str | Sequence[str] | None = "dossier_bron_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bewaartermijn",
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=100), nullable=False),
        sa.Column("einde_plicht", sa.Date(), nullable=False),
        sa.Column("reden", sa.String(length=30), nullable=True),
        sa.Column("datum_voldaan", sa.Date(), nullable=True),
        sa.Column("wijze_voldaan", sa.String(length=30), nullable=True),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opgeschoond_op", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.dossier_id"],
            name=op.f("fk_bewaartermijn_dossier_id_dossier"),
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_bewaartermijn")),
    )
    op.create_table(
        "overdrachtsverzoek",
        sa.Column("overdrachtsverzoek_id", sa.String(length=100), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("vorige_gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=100), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("sleutel", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=True),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.dossier_id"],
            name=op.f("fk_overdrachtsverzoek_dossier_id_dossier"),
        ),
        sa.PrimaryKeyConstraint("overdrachtsverzoek_id", name=op.f("pk_overdrachtsverzoek")),
    )
    op.create_index(
        op.f("ix_overdrachtsverzoek_gemeentecode"), "overdrachtsverzoek", ["gemeentecode"]
    )
    op.create_index(
        op.f("ix_overdrachtsverzoek_vorige_gemeentecode"),
        "overdrachtsverzoek",
        ["vorige_gemeentecode"],
    )
    op.create_index(op.f("ix_overdrachtsverzoek_dossier_id"), "overdrachtsverzoek", ["dossier_id"])
    op.create_table(
        "overdracht",
        sa.Column("overdracht_id", sa.String(length=100), nullable=False),
        sa.Column("overdrachtsverzoek_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("nieuwe_gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=100), nullable=False),
        sa.Column("onderdelen", postgresql.JSONB(), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.dossier_id"], name=op.f("fk_overdracht_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("overdracht_id", name=op.f("pk_overdracht")),
        sa.UniqueConstraint(
            "overdrachtsverzoek_id", name=op.f("uq_overdracht_overdrachtsverzoek_id")
        ),
    )
    op.create_index(op.f("ix_overdracht_dossier_id"), "overdracht", ["dossier_id"])
    op.create_index(
        op.f("ix_overdracht_nieuwe_gemeentecode"), "overdracht", ["nieuwe_gemeentecode"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_overdracht_nieuwe_gemeentecode"), table_name="overdracht")
    op.drop_index(op.f("ix_overdracht_dossier_id"), table_name="overdracht")
    op.drop_table("overdracht")
    op.drop_index(op.f("ix_overdrachtsverzoek_dossier_id"), table_name="overdrachtsverzoek")
    op.drop_index(
        op.f("ix_overdrachtsverzoek_vorige_gemeentecode"), table_name="overdrachtsverzoek"
    )
    op.drop_index(op.f("ix_overdrachtsverzoek_gemeentecode"), table_name="overdrachtsverzoek")
    op.drop_table("overdrachtsverzoek")
    op.drop_table("bewaartermijn")
