"""A replayed turn writes nothing twice: reviews, feedback votes and audit rows remember the chat
event that wrote them, as entries do since 0006, and a unique index per event refuses a second.

A replay (an inbox row whose replica died after the work, before the delete) runs the same
handler again; each of these writes is then found by its event key instead of made again.
Rows written before this revision, and writes not made by a chat turn (the CLI, the
scheduler), have no key: NULLs never collide, on SQLite or PostgreSQL.

Revision ID: 0007_replay_keys
Revises: 0006_inbox
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_replay_keys"
down_revision: str | None = "0006_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (unique index, its columns after the table's own key)
KEYED = {
    "progress_review": ("uq_progress_review_event", ["person_id", "event_key"]),
    "answer_feedback": ("uq_answer_feedback_event", ["person_id", "event_key"]),
    # per actor: a Teams activity id is unique only within its conversation
    "audit_event": ("uq_audit_event_event", ["event_key", "actor_id", "action", "target"]),
}


def upgrade() -> None:
    for table, (index, columns) in KEYED.items():
        op.add_column(table, sa.Column("event_key", sa.String(200), nullable=True))
        op.create_index(index, table, columns, unique=True)


def downgrade() -> None:
    for table, (index, _columns) in KEYED.items():
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("event_key")
