"""cbs-leverancier's tables: the fetched CBS views (history) and the quarterly deliveries.

Revision ID: cbs_leverancier_0001
Revises: (branch cbs_leverancier; depends on keten_core_0003)
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "cbs_leverancier_0001"
down_revision: str | Sequence[str] | None = None
# The service's own branch; the core's tables (outbox, inbox, verwerkingslog) come first.
branch_labels: str | Sequence[str] | None = ("cbs_leverancier",)
depends_on: str | Sequence[str] | None = "keten_core_0003"


def upgrade() -> None:
    op.create_table(
        "swi_bronversie",
        sa.Column("volgnummer", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("resource", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("geregistreerd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ontvangen_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("inhoud", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("volgnummer", name=op.f("pk_swi_bronversie")),
    )
    op.create_index(
        "ix_swi_bronversie_resource", "swi_bronversie", ["resource", "resource_id", "volgnummer"]
    )
    op.create_index(
        "ix_swi_bronversie_gemeente", "swi_bronversie", ["gemeentecode", "ontvangen_op"]
    )
    op.create_table(
        "cbs_levering",
        sa.Column("levering_id", sa.String(length=100), nullable=False),
        sa.Column("gemeentecode", sa.String(length=4), nullable=False),
        sa.Column("kwartaal", sa.String(length=7), nullable=False),
        sa.Column("versie", sa.Integer(), nullable=False),
        sa.Column("bevroren_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("aangemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bestandsnaam", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest", postgresql.JSONB(), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("bestand", sa.LargeBinary(), nullable=False),
        sa.Column("bewaren_tot", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("levering_id", name=op.f("pk_cbs_levering")),
        sa.UniqueConstraint("gemeentecode", "kwartaal", "versie", name="uq_cbs_levering_versie"),
    )


def downgrade() -> None:
    op.drop_table("cbs_levering")
    op.drop_index("ix_swi_bronversie_gemeente", table_name="swi_bronversie")
    op.drop_index("ix_swi_bronversie_resource", table_name="swi_bronversie")
    op.drop_table("swi_bronversie")
