"""failure detection: push monitors' calls (by token hash)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_pushes",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("monitor", sa.String(300), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True)),
        sa.Column("last_ok", sa.Boolean()),
        sa.Column("last_error", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("watch_pushes")
