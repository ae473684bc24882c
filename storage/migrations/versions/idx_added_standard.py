"""Added standards in the database, so every replica sees one the moment `ksb-coach standards add` stores it.

Revision ID: idx_added_standard
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "idx_added_standard"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "added_standard",
        sa.Column("reference", sa.String(32), primary_key=True),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("added_standard")
