"""A sandbox service's moved clock (keten_core.clock_store), so a restart keeps it.

Revision ID: keten_core_0004
Revises: keten_core_0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "keten_core_0004"
down_revision: str | Sequence[str] | None = "keten_core_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keten_sandbox_clock",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("offset_us", sa.BigInteger(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("keten_sandbox_clock")
