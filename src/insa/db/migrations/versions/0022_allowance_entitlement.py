"""family allowance: entitlement findings — what of an overpayment may still be recovered and
what is past the limitation (국가재정법 §96①)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

MONEY = sa.BigInteger()


def upgrade() -> None:
    with op.batch_alter_table("allowance_findings") as t:
        t.add_column(sa.Column("recoverable_amount", MONEY))
        t.add_column(sa.Column("time_barred_amount", MONEY))


def downgrade() -> None:
    with op.batch_alter_table("allowance_findings") as t:
        t.drop_column("time_barred_amount")
        t.drop_column("recoverable_amount")
