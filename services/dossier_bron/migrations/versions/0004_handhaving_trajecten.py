"""The gemeente's warnings and fines, the Participatiewet measures that stop a fine for the same
conduct, DUO's requests for the fines, and the MAP and PVT trajecten (one of each per dossier).

Revision ID: dossier_bron_0004
Revises: dossier_bron_0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "dossier_bron_0004"
down_revision: str | Sequence[str] | None = "dossier_bron_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dossier_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["dossier_id"], ["dossier.dossier_id"], name=op.f(f"fk_{table}_dossier_id_dossier")
    )


def upgrade() -> None:
    op.create_table(
        "handhavingsmaatregel",
        sa.Column("handhavingsmaatregel_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("soort", sa.String(length=20), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("reden", sa.String(length=40), nullable=False),
        sa.Column("bedrag_in_centen", sa.Integer(), nullable=True),
        sa.Column("verwijtbaar", sa.Boolean(), nullable=False),
        sa.Column("rechtsmiddel", sa.String(length=20), nullable=False),
        sa.Column("participatiewet_maatregel_id", sa.String(length=100), nullable=True),
        sa.Column("gebaseerd_op", postgresql.JSONB(), nullable=False),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        _dossier_fk("handhavingsmaatregel"),
        sa.PrimaryKeyConstraint("handhavingsmaatregel_id", name=op.f("pk_handhavingsmaatregel")),
    )
    op.create_index(
        op.f("ix_handhavingsmaatregel_dossier_id"), "handhavingsmaatregel", ["dossier_id"]
    )
    op.create_table(
        "participatiewet_maatregel",
        sa.Column("participatiewet_maatregel_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("gedraging", sa.String(length=40), nullable=False),
        sa.Column("besluitdatum", sa.Date(), nullable=False),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        _dossier_fk("participatiewet_maatregel"),
        sa.PrimaryKeyConstraint(
            "participatiewet_maatregel_id", name=op.f("pk_participatiewet_maatregel")
        ),
    )
    op.create_index(
        op.f("ix_participatiewet_maatregel_dossier_id"),
        "participatiewet_maatregel",
        ["dossier_id"],
    )
    op.create_table(
        "traject",
        sa.Column("traject_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("soort", sa.String(length=10), nullable=False),
        sa.Column("gegevens", postgresql.JSONB(), nullable=False),
        sa.Column("gewijzigd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        _dossier_fk("traject"),
        sa.PrimaryKeyConstraint("traject_id", name=op.f("pk_traject")),
        sa.UniqueConstraint("dossier_id", "soort", name=op.f("uq_traject_dossier_id")),
    )
    op.create_index(op.f("ix_traject_dossier_id"), "traject", ["dossier_id"])
    op.create_table(
        "handhavingsverzoek",
        sa.Column("handhavingsverzoek_id", sa.String(length=100), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("inburgeringsplicht_id", sa.String(length=100), nullable=False),
        sa.Column("gegevens", postgresql.JSONB(), nullable=False),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("handhavingsverzoek_id", name=op.f("pk_handhavingsverzoek")),
    )


def downgrade() -> None:
    op.drop_table("handhavingsverzoek")
    op.drop_index(op.f("ix_traject_dossier_id"), table_name="traject")
    op.drop_table("traject")
    op.drop_index(
        op.f("ix_participatiewet_maatregel_dossier_id"), table_name="participatiewet_maatregel"
    )
    op.drop_table("participatiewet_maatregel")
    op.drop_index(op.f("ix_handhavingsmaatregel_dossier_id"), table_name="handhavingsmaatregel")
    op.drop_table("handhavingsmaatregel")
