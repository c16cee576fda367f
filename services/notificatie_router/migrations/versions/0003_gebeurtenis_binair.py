"""notificatie-router: events are kept as they came from Kafka (binary content mode: the
attributes as strings, ``attributen``, and the data as sent, ``inhoud``), no longer as the
structured CloudEvent. The structured form is built when it is needed (a webhook, a pull):
building it for every event cost a Kafka sink a fifth of its throughput.

Revision ID: notificatie_router_0003
Revises: notificatie_router_0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "notificatie_router_0003"
down_revision: str | Sequence[str] | None = "notificatie_router_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("router_gebeurtenis", sa.Column("attributen", postgresql.JSONB(), nullable=True))
    # Rows written before: split the structured event into its attributes and its data.
    op.execute(
        """
        UPDATE router_gebeurtenis
        SET attributen = (convert_from(inhoud, 'UTF8')::jsonb) - 'data' - 'data_base64',
            inhoud = convert_to(((convert_from(inhoud, 'UTF8')::jsonb) -> 'data')::text, 'UTF8')
        """
    )
    op.alter_column("router_gebeurtenis", "attributen", nullable=False)


def downgrade() -> None:
    op.execute(
        """
        UPDATE router_gebeurtenis
        SET inhoud = convert_to(
            (attributen || jsonb_build_object('data', convert_from(inhoud, 'UTF8')::jsonb))::text,
            'UTF8')
        """
    )
    op.drop_column("router_gebeurtenis", "attributen")
