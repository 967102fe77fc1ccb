"""travel step events: the steps taken on each trip, counted by the finance dashboard (filled
from the audit log, which counted them until now)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# the audit actions that were the trips' steps, and the step each one is
STEPS = {
    "travel.request_trip": "request",
    "travel.approve_trip": "approve",
    "travel.reject_trip": "reject",
    "travel.settle_trip": "settle",
    "travel.cancel_trip": "cancel",
    "travel.pay_trip": "pay",
    "travel.update_settlement": "update_settlement",
}


def upgrade() -> None:
    op.create_table(
        "travel_step_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trip_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trip_id"],
            ["travel_trips.id"],
            name=op.f("fk_travel_step_events_trip_id_travel_trips"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_travel_step_events_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_travel_step_events")),
    )
    with op.batch_alter_table("travel_step_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_travel_step_events_trip_id"), ["trip_id"], unique=False
        )
    _backfill()


def _backfill() -> None:
    """One event per audit entry of a step on a trip that still exists, at the entry's time."""
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("action", sa.String()),
        sa.column("target_type", sa.String()),
        sa.column("target_id", sa.String()),
    )
    trips = sa.table(
        "travel_trips", sa.column("id", sa.Integer()), sa.column("agency_id", sa.Integer())
    )
    events = sa.table(
        "travel_step_events",
        sa.column("trip_id", sa.Integer()),
        sa.column("agency_id", sa.Integer()),
        sa.column("step", sa.String()),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    step = sa.case(*((audit.c.action == a, sa.literal(s)) for a, s in STEPS.items()))
    rows = (
        sa.select(trips.c.id, trips.c.agency_id, step, audit.c.at)
        .select_from(audit.join(trips, audit.c.target_id == sa.cast(trips.c.id, sa.String(64))))
        .where(audit.c.target_type == "travel_trip", audit.c.action.in_(list(STEPS)))
        .order_by(audit.c.id)  # the events in the order they happened
    )
    op.execute(sa.insert(events).from_select(["trip_id", "agency_id", "step", "at"], rows))


def downgrade() -> None:
    with op.batch_alter_table("travel_step_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_travel_step_events_trip_id"))
    op.drop_table("travel_step_events")
