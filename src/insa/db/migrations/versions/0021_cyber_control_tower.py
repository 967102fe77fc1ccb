"""joint cyber safety centre: the control tower's incidents, their ministries' parts, notes,
alerts, rule statistics and the collector's counters

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cyber_incidents",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("ministries", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("joint", sa.Boolean(), nullable=False),
        sa.Column("first_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.String(100)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("notified_at", TS),
    )
    op.create_index("ix_cyber_incidents_last", "cyber_incidents", ["last_at"])
    op.create_table(
        "cyber_incident_parts",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("incident_id", sa.String(16), nullable=False),
        sa.Column("ministry", sa.String(16), nullable=False),
        sa.Column("agency_id", sa.Integer()),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("first_at", TS, nullable=False),
        sa.Column("last_at", TS, nullable=False),
        sa.UniqueConstraint("incident_id", "ministry"),
    )
    op.create_index("ix_cyber_incident_parts_incident_id", "cyber_incident_parts", ["incident_id"])
    op.create_index("ix_cyber_incident_parts_agency", "cyber_incident_parts", ["agency_id"])
    op.create_table(
        "cyber_incident_notes",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("incident_id", sa.String(16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_cyber_incident_notes_incident_id", "cyber_incident_notes", ["incident_id"])
    op.create_table(
        "cyber_alerts",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("incident_id", sa.String(16), nullable=False),
        sa.Column("ministries", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
    )
    op.create_index("ix_cyber_alerts_at", "cyber_alerts", ["at"])
    op.create_index("ix_cyber_alerts_incident_id", "cyber_alerts", ["incident_id"])
    op.create_table(
        "cyber_rule_stats",
        sa.Column("rule_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("path", sa.String(500), nullable=False, server_default=""),
        sa.Column("hits", BIG, nullable=False),
        sa.Column("last_at", TS),
    )
    op.create_table(
        "cyber_collector_status",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("counters", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    for t in ("cyber_collector_status", "cyber_rule_stats", "cyber_alerts", "cyber_incident_notes", "cyber_incident_parts",
              "cyber_incidents"):  # fmt: skip
        op.drop_table(t)
