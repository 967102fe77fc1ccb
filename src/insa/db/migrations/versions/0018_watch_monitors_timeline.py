"""failure detection: the monitors' registry and state, incidents' timeline (acknowledged,
notes, escalation, reminders), silences; delivery events widened (escalate, remind-N)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "watch_monitors",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("group", sa.String(200), nullable=False, server_default=""),
        sa.Column("ministry", sa.String(16)),
        sa.Column("agency_id", sa.Integer()),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(500), nullable=False, server_default=""),
        sa.Column("interval_ms", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("definition", sa.JSON()),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("state", sa.String(16), nullable=False, server_default="unknown"),
        sa.Column("since", sa.DateTime(timezone=True)),
        sa.Column("last_at", sa.DateTime(timezone=True)),
        sa.Column("last_ok", sa.Boolean()),
        sa.Column("last_latency_ms", sa.Integer()),
        sa.Column("last_cause", sa.Text()),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("updated_by", sa.String(100)),
    )
    op.create_index("ix_watch_monitors_agency_state", "watch_monitors", ["agency_id", "state"])
    op.create_index("ix_watch_monitors_state", "watch_monitors", ["state"])
    op.create_table(
        "watch_notes",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("incident", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_watch_notes_incident", "watch_notes", ["incident"])
    op.create_table(
        "watch_silences",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False, server_default="silence"),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("agency_id", sa.Integer()),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expired_by", sa.String(100)),
    )
    op.create_index("ix_watch_silences_ends_at", "watch_silences", ["ends_at"])
    with op.batch_alter_table("watch_incidents") as t:
        t.add_column(sa.Column("agency_id", sa.Integer()))
        t.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True)))
        t.add_column(sa.Column("acknowledged_by", sa.String(100)))
        t.add_column(sa.Column("resolved_by", sa.String(100)))
        t.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True)))
        t.add_column(sa.Column("reminders", sa.Integer(), nullable=False, server_default="0"))
        t.create_index("ix_watch_incidents_agency_id", ["agency_id"])
    with op.batch_alter_table("watch_deliveries") as t:
        t.alter_column("event", type_=sa.String(16), existing_type=sa.String(8))


def downgrade() -> None:
    with op.batch_alter_table("watch_deliveries") as t:
        t.alter_column("event", type_=sa.String(8), existing_type=sa.String(16))
    with op.batch_alter_table("watch_incidents") as t:
        t.drop_index("ix_watch_incidents_agency_id")
        for c in ("reminders", "escalated_at", "resolved_by", "acknowledged_by",
                  "acknowledged_at", "agency_id"):  # fmt: skip
            t.drop_column(c)
    op.drop_table("watch_silences")
    op.drop_table("watch_notes")
    op.drop_table("watch_monitors")
