"""look-alike evidence: TLSH of the page and the perceptual hashes of its favicon and logo;
the case's hosting provider (from RDAP or WHOIS data)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 15:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cyber_evidence") as t:
        t.add_column(sa.Column("tlsh", sa.String(80)))
        t.add_column(sa.Column("images", sa.JSON()))
    with op.batch_alter_table("cyber_cases") as t:
        t.add_column(sa.Column("hosting", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("cyber_cases") as t:
        t.drop_column("hosting")
    with op.batch_alter_table("cyber_evidence") as t:
        t.drop_column("images")
        t.drop_column("tlsh")
