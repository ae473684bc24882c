"""One shared send budget per Slack workspace or Teams tenant, counted by every replica.

Revision ID: 0003_sends_budget
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_sends_budget"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_budget",
        sa.Column("scope", sa.String(160), primary_key=True),
        sa.Column("window_start", sa.BigInteger, nullable=False),
        sa.Column("used", sa.Integer, nullable=False),
        sa.Column("paused_until", sa.Float, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("send_budget")
