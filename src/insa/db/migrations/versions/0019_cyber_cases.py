"""joint cyber safety centre: look-alike cases, their evidence and timeline

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cyber_cases",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("domain", sa.String(253), nullable=False, unique=True),
        sa.Column("asset", sa.String(48), nullable=False),
        sa.Column("service", sa.String(200), nullable=False, server_default=""),
        sa.Column("ministry", sa.String(16), nullable=False),
        sa.Column("agency_id", sa.Integer()),
        sa.Column("status", sa.String(24), nullable=False, server_default="new"),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("alerted_at", TS, nullable=False),
        sa.Column("confirmed_at", TS),
        sa.Column("takedown_at", TS),
        sa.Column("verified_at", TS),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("dismissed_reason", sa.Text()),
        sa.Column("registrar", sa.String(200)),
        sa.Column("registrar_abuse", sa.String(200)),
        sa.Column("host_abuse", sa.String(200)),
    )
    op.create_index("ix_cyber_cases_agency_status", "cyber_cases", ["agency_id", "status"])
    op.create_table(
        "cyber_evidence",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("case_id", sa.String(12), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("redirects", sa.JSON(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("html", sa.Text()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("ssdeep", sa.String(200)),
        sa.Column("title", sa.String(200)),
        sa.Column("similarity", sa.Integer()),
        sa.Column("screenshot", sa.LargeBinary()),
    )
    op.create_index("ix_cyber_evidence_case_id", "cyber_evidence", ["case_id"])
    op.create_table(
        "cyber_case_events",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("case_id", sa.String(12), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_cyber_case_events_case_id", "cyber_case_events", ["case_id"])


def downgrade() -> None:
    op.drop_table("cyber_case_events")
    op.drop_table("cyber_evidence")
    op.drop_table("cyber_cases")
