"""shared centres (장애관제센터, 사이버안전센터) and their member agencies; centre operators

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "centres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_ko", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("host_agency_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["host_agency_id"], ["agencies.id"], name=op.f("fk_centres_host_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centres")),
        sa.UniqueConstraint("code", name=op.f("uq_centres_code")),
    )
    op.create_table(
        "centre_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centres.id"],
            name=op.f("fk_centre_members_centre_id_centres"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_centre_members_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_members")),
        sa.UniqueConstraint(
            "centre_id", "agency_id", name=op.f("uq_centre_members_centre_id_agency_id")
        ),
    )
    op.create_index(
        op.f("ix_centre_members_centre_id"), "centre_members", ["centre_id"], unique=False
    )
    op.create_index(
        op.f("ix_centre_members_agency_id"), "centre_members", ["agency_id"], unique=False
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("centre_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_centre_id_centres"), "centres", ["centre_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_centre_id_centres"), type_="foreignkey")
        batch_op.drop_column("centre_id")
    op.drop_index(op.f("ix_centre_members_agency_id"), table_name="centre_members")
    op.drop_index(op.f("ix_centre_members_centre_id"), table_name="centre_members")
    op.drop_table("centre_members")
    op.drop_table("centres")
