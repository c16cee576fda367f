"""dossier-bron's tables: the dossier (one per person per gemeente) and the facts behind it
(value, source system, source resource and id, moment).

Revision ID: dossier_bron_0001
Revises: (branch dossier_bron; depends on keten_core_0003)
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "dossier_bron_0001"
down_revision: str | Sequence[str] | None = None
# The service's own branch; the core's tables (outbox, inbox, verwerkingslog) come first.
branch_labels: str | Sequence[str] | None = ("dossier_bron",)
depends_on: str | Sequence[str] | None = "keten_core_0003"


def upgrade() -> None:
    op.create_table(
        "dossier",
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=False),
        sa.Column("doelgroep", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("voornamen", sa.String(length=200), nullable=True),
        sa.Column("geslachtsnaam", sa.String(length=200), nullable=True),
        sa.Column("geboortedatum", sa.Date(), nullable=True),
        sa.Column("adres", postgresql.JSONB(), nullable=True),
        sa.Column("telefoon", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("vestigingsdatum", sa.Date(), nullable=True),
        sa.Column("koppeling_id", sa.String(length=100), nullable=True),
        sa.Column("klantprofiel_id", sa.String(length=100), nullable=True),
        sa.Column("inburgeringsplicht_id", sa.String(length=100), nullable=True),
        sa.Column("recht_maatschappelijke_begeleiding", sa.Boolean(), nullable=True),
        sa.Column("geopend_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gewijzigd_op", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_dossier")),
        sa.UniqueConstraint("gemeentecode", "bsn", name=op.f("uq_dossier_gemeentecode")),
    )
    op.create_index(op.f("ix_dossier_gemeentecode"), "dossier", ["gemeentecode"])
    op.create_index(op.f("ix_dossier_koppeling_id"), "dossier", ["koppeling_id"])
    op.create_index(op.f("ix_dossier_inburgeringsplicht_id"), "dossier", ["inburgeringsplicht_id"])
    op.create_table(
        "dossier_feit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("veld", sa.String(length=60), nullable=False),
        sa.Column("waarde", postgresql.JSONB(), nullable=False),
        sa.Column("bronsysteem", sa.String(length=60), nullable=False),
        sa.Column("bron_resource", sa.String(length=60), nullable=False),
        sa.Column("bron_resource_id", sa.String(length=100), nullable=False),
        sa.Column("bron_versie", sa.Integer(), nullable=True),
        sa.Column("moment", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.dossier_id"],
            name=op.f("fk_dossier_feit_dossier_id_dossier"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_feit")),
    )
    op.create_index(op.f("ix_dossier_feit_dossier_id"), "dossier_feit", ["dossier_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dossier_feit_dossier_id"), table_name="dossier_feit")
    op.drop_table("dossier_feit")
    op.drop_index(op.f("ix_dossier_inburgeringsplicht_id"), table_name="dossier")
    op.drop_index(op.f("ix_dossier_koppeling_id"), table_name="dossier")
    op.drop_index(op.f("ix_dossier_gemeentecode"), table_name="dossier")
    op.drop_table("dossier")
