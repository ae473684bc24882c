"""Review reminders are claimed per recipient: a manager's claim names the apprentice too
("<due date>/<apprentice id>"), so `scheduled_send.week` (the occurrence key) grows to 32.

Revision ID: 0004_sends_review_recipients
Revises: 0002_progress_review
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_sends_review_recipients"
down_revision: str | None = "0002_progress_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_send") as batch:  # SQLite copies the table, keeping its constraints
        batch.alter_column("week", type_=sa.String(32), existing_type=sa.String(10), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_send") as batch:
        batch.alter_column("week", type_=sa.String(10), existing_type=sa.String(32), existing_nullable=False)
