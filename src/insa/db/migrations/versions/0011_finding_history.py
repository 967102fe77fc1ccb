"""findings: the claimants' masked names (allowance_findings.claimant_a_name, .claimant_b_name)
and each finding's history (allowance_finding_events), filled from the runs that found them
and the audit log's resolutions

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("allowance_findings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimant_a_name", sa.String(length=50), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("claimant_b_name", sa.String(length=50), server_default="", nullable=False)
        )
    op.create_table(
        "allowance_finding_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("status_from", sa.String(length=12), nullable=True),
        sa.Column("status_to", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["allowance_findings.id"],
            name=op.f("fk_allowance_finding_events_finding_id_allowance_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["allowance_runs.id"],
            name=op.f("fk_allowance_finding_events_run_id_allowance_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowance_finding_events")),
    )
    with op.batch_alter_table("allowance_finding_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allowance_finding_events_finding_id"), ["finding_id"], unique=False
        )
    _backfill()


def _backfill() -> None:
    """Each finding found by its first run, then each resolution the audit log recorded."""
    findings = sa.table(
        "allowance_findings",
        sa.column("id", sa.Integer()),
        sa.column("finding_id", sa.String()),
        sa.column("first_seen_run", sa.Integer()),
    )
    runs = sa.table(
        "allowance_runs",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String()),
    )
    events = sa.table(
        "allowance_finding_events",
        sa.column("at", sa.DateTime(timezone=True)),
        *(sa.column(c) for c in ("finding_id", "actor", "actor_role", "status_from",
                                  "status_to", "reason", "amount", "run_id")),
    )  # fmt: skip
    found = (
        sa.select(findings.c.id, runs.c.at, runs.c.actor, sa.literal("open"), runs.c.id)
        .select_from(findings.join(runs, runs.c.id == findings.c.first_seen_run))
        .order_by(findings.c.id)
    )
    op.execute(
        sa.insert(events).from_select(["finding_id", "at", "actor", "status_to", "run_id"], found)
    )
    audit = sa.table(
        "audit_log",
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("detail", sa.JSON()),
        *(sa.column(c) for c in ("id", "actor", "actor_role", "action", "target_type",
                                  "target_id")),
    )  # fmt: skip
    bind = op.get_bind()
    ids = dict(bind.execute(sa.select(findings.c.finding_id, findings.c.id)).all())
    rows = bind.execute(
        sa.select(audit.c.at, audit.c.actor, audit.c.actor_role, audit.c.target_id,
                  audit.c.detail)
        .where(audit.c.action == "allowance.resolve_finding",
               audit.c.target_type == "allowance_finding")
        .order_by(audit.c.id)
    ).all()  # fmt: skip
    batch: list[dict[str, Any]] = []
    for at, actor, role, target, detail in rows:
        d = json.loads(detail) if isinstance(detail, str) else (detail or {})
        if target not in ids or not d.get("to"):
            continue
        batch.append({"finding_id": ids[target], "at": at, "actor": actor, "actor_role": role,
                      "status_from": d.get("from"), "status_to": d["to"],
                      "reason": d.get("reason") or None, "amount": d.get("recovered"),
                      "run_id": None})  # fmt: skip
    if batch:
        bind.execute(sa.insert(events), batch)


def downgrade() -> None:
    with op.batch_alter_table("allowance_finding_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allowance_finding_events_finding_id"))
    op.drop_table("allowance_finding_events")
    with op.batch_alter_table("allowance_findings", schema=None) as batch_op:
        batch_op.drop_column("claimant_b_name")
        batch_op.drop_column("claimant_a_name")
