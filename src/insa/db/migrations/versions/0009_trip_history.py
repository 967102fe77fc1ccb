"""the trip's history: who took each step and why (travel_step_events.actor, .part, .note)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("travel_step_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("part", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("travel_step_events", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("part")
        batch_op.drop_column("actor")
