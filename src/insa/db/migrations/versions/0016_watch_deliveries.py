"""failure detection: notifications, one per event and provider, with their retries

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_deliveries",
        sa.Column("incident", sa.String(32), primary_key=True),
        sa.Column("event", sa.String(8), primary_key=True),
        sa.Column("provider", sa.String(32), primary_key=True),
        sa.Column("monitor", sa.String(300), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True)),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("watch_deliveries")
