"""failure detection: check results, their hourly roll-up, incidents

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_results",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("monitor", sa.String(300), nullable=False),
        sa.Column("ministry", sa.String(16)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Text()),
    )
    op.create_index("ix_watch_results_monitor_at", "watch_results", ["monitor", "at"])
    op.create_table(
        "watch_hourly",
        sa.Column("monitor", sa.String(300), primary_key=True),
        sa.Column("hour", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("ministry", sa.String(16)),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("latency_sum_ms", sa.BigInteger(), nullable=False),
        sa.Column("latency_max_ms", sa.Integer(), nullable=False),
    )
    op.create_table(
        "watch_incidents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("monitor", sa.String(300), nullable=False),
        sa.Column("ministry", sa.String(16)),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("affected", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_watch_incidents_monitor_open", "watch_incidents", ["monitor", "resolved_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_watch_incidents_monitor_open", table_name="watch_incidents")
    op.drop_table("watch_incidents")
    op.drop_table("watch_hourly")
    op.drop_index("ix_watch_results_monitor_at", table_name="watch_results")
    op.drop_table("watch_results")
