"""org units by agency and level: the search page's bureau list off an index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_org_units_agency_level", "org_units", ["agency_id", "level", "sort_order"])


def downgrade() -> None:
    op.drop_index("ix_org_units_agency_level", table_name="org_units")
