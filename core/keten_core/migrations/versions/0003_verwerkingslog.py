"""The processing log (verwerkingslog): one row per read of personal data, or attempt.

In the spirit of the Logboek Dataverwerkingen: trace, processing activity, purpose,
pseudonymised subject, caller and time. Rows are only ever inserted (a subject-access query
reads them); retention follows the data they describe.

Revision ID: keten_core_0003
Revises: keten_core_0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "keten_core_0003"
down_revision: str | Sequence[str] | None = "keten_core_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keten_verwerkingslog",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("tijdstip", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("span_id", sa.String(length=16), nullable=True),
        sa.Column("dienst", sa.String(length=100), nullable=False),
        sa.Column("activiteit", sa.String(length=200), nullable=False),
        sa.Column("doel", sa.String(length=100), nullable=True),
        sa.Column("betrokkene", sa.String(length=64), nullable=True),
        sa.Column("betrokkene_soort", sa.String(length=100), nullable=True),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("oin", sa.String(length=20), nullable=False),
        sa.Column("rol", sa.String(length=50), nullable=False),
        sa.Column("functie", sa.String(length=50), nullable=False),
        sa.Column("namens", sa.String(length=4), nullable=True),
        sa.Column("gebruiker", sa.String(length=200), nullable=True),
        sa.Column("resource", sa.String(length=100), nullable=False),
        sa.Column("resource_id", sa.String(length=200), nullable=True),
        sa.Column("uitkomst", sa.String(length=20), nullable=False),
        sa.Column("velden", postgresql.JSONB(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keten_verwerkingslog")),
    )
    # The subject-access query: who read this person's data, when, for which purpose.
    op.create_index(
        "ix_keten_verwerkingslog_betrokkene",
        "keten_verwerkingslog",
        ["betrokkene", "tijdstip"],
    )


def downgrade() -> None:
    op.drop_index("ix_keten_verwerkingslog_betrokkene", table_name="keten_verwerkingslog")
    op.drop_table("keten_verwerkingslog")
