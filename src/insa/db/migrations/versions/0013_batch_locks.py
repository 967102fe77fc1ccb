"""batch locks on SQLite: one row per batch scope being run (batch_locks)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_locks",
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_batch_locks")),
    )


def downgrade() -> None:
    op.drop_table("batch_locks")
