"""Agent: the last turns of each conversation, so any replica sends the model the same thread.

Revision ID: 0003_agent_turns
Revises: 0002_conversation
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_agent_turns"
down_revision: str | None = "0002_conversation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_context") as batch:
        batch.add_column(sa.Column("turns", sa.JSON, nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("conversation_context") as batch:
        batch.drop_column("turns")
