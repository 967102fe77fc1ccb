"""travel receipts (uploaded originals, OCR readings, confirmed fields); amounts recovered

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("travel_trips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recovered", sa.BigInteger(), nullable=True))
    op.create_table(
        "travel_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trip_id", sa.Integer(), nullable=False),
        sa.Column("night_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original", sa.LargeBinary(), nullable=False),
        sa.Column("ocr", sa.Text(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("merchant", sa.String(length=100), nullable=True),
        sa.Column("brn", sa.String(length=10), nullable=True),
        sa.Column("approval_no", sa.String(length=20), nullable=True),
        sa.Column("receipt_key", sa.String(length=80), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trip_id"],
            ["travel_trips.id"],
            name=op.f("fk_travel_receipts_trip_id_travel_trips"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["night_id"],
            ["travel_nights.id"],
            name=op.f("fk_travel_receipts_night_id_travel_nights"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_travel_receipts")),
    )
    with op.batch_alter_table("travel_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_travel_receipts_key", ["receipt_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_travel_receipts_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_travel_receipts_trip_id"), ["trip_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("travel_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_travel_receipts_trip_id"))
        batch_op.drop_index(batch_op.f("ix_travel_receipts_sha256"))
        batch_op.drop_index("ix_travel_receipts_key")
    op.drop_table("travel_receipts")
    with op.batch_alter_table("travel_trips", schema=None) as batch_op:
        batch_op.drop_column("recovered")
