"""salary accounts: the bank and sealed account number of each employee (salary_accounts)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "salary_accounts",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("bank_code", sa.String(length=3), nullable=False),
        sa.Column("number_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("holder", sa.String(length=50), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(bank_code) = 3", name=op.f("ck_salary_accounts_bank_code")),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_salary_accounts_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("employee_id", name=op.f("pk_salary_accounts")),
    )


def downgrade() -> None:
    op.drop_table("salary_accounts")
