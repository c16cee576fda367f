"""The inburgeringsaanbod, the end of an opdracht (date and reason code), report corrections
(a report names the one it supersedes) and the hours delivered to DUO.

Revision ID: dossier_bron_0005
Revises: dossier_bron_0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "dossier_bron_0005"
down_revision: str | Sequence[str] | None = "dossier_bron_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("opdracht", sa.Column("einde_reden", sa.String(length=40), nullable=True))
    op.add_column("opdracht", sa.Column("beeindigd_op", sa.Date(), nullable=True))
    op.add_column(
        "aanbieder_rapport", sa.Column("corrigeert", sa.String(length=100), nullable=True)
    )
    op.create_foreign_key(
        op.f("fk_aanbieder_rapport_corrigeert_aanbieder_rapport"),
        "aanbieder_rapport",
        "aanbieder_rapport",
        ["corrigeert"],
        ["rapport_id"],
    )
    op.create_unique_constraint(
        op.f("uq_aanbieder_rapport_corrigeert"), "aanbieder_rapport", ["corrigeert"]
    )
    op.create_table(
        "inburgeringsaanbod",
        sa.Column("inburgeringsaanbod_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("pip_id", sa.String(length=100), nullable=False),
        sa.Column("datum_aanbod", sa.Date(), nullable=False),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.dossier_id"],
            name=op.f("fk_inburgeringsaanbod_dossier_id_dossier"),
        ),
        sa.ForeignKeyConstraint(
            ["pip_id"], ["pip_versie.pip_id"], name=op.f("fk_inburgeringsaanbod_pip_id_pip_versie")
        ),
        sa.PrimaryKeyConstraint("inburgeringsaanbod_id", name=op.f("pk_inburgeringsaanbod")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_inburgeringsaanbod_dossier_id")),
    )
    op.create_table(
        "urenverantwoording",
        sa.Column("urenverantwoording_id", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.String(length=100), nullable=False),
        sa.Column("gegevens", postgresql.JSONB(), nullable=False),
        sa.Column("gebaseerd_op", postgresql.JSONB(), nullable=False),
        sa.Column("vastgelegd_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vastgelegd_door", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.dossier_id"],
            name=op.f("fk_urenverantwoording_dossier_id_dossier"),
        ),
        sa.PrimaryKeyConstraint("urenverantwoording_id", name=op.f("pk_urenverantwoording")),
    )
    op.create_index(op.f("ix_urenverantwoording_dossier_id"), "urenverantwoording", ["dossier_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_urenverantwoording_dossier_id"), table_name="urenverantwoording")
    op.drop_table("urenverantwoording")
    op.drop_table("inburgeringsaanbod")
    op.drop_constraint(op.f("uq_aanbieder_rapport_corrigeert"), "aanbieder_rapport", type_="unique")
    op.drop_constraint(
        op.f("fk_aanbieder_rapport_corrigeert_aanbieder_rapport"),
        "aanbieder_rapport",
        type_="foreignkey",
    )
    op.drop_column("aanbieder_rapport", "corrigeert")
    op.drop_column("opdracht", "beeindigd_op")
    op.drop_column("opdracht", "einde_reden")
