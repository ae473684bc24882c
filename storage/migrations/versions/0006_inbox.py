"""The inbox: a person's words acked to Slack or Teams are stored before the ack and replayed after a
crash or a shutdown; entries remember the event that carried them, so a replay saves nothing twice.

Revision ID: 0006_inbox
Revises: 0005_slack_grid_people
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_inbox"
down_revision: str | None = "0005_slack_grid_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("workspace_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("lease_until", TIMESTAMP, nullable=False),
        sa.Column("leased_by", sa.String(128), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_index("ix_inbox_lease_until", "inbox", ["lease_until"])
    op.create_index("ix_inbox_identity", "inbox", ["platform", "workspace_id", "user_id"])
    op.add_column("entry", sa.Column("event_key", sa.String(200), nullable=True))
    op.create_index("uq_entry_event", "entry", ["person_id", "event_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_entry_event", table_name="entry")
    with op.batch_alter_table("entry") as batch:
        batch.drop_column("event_key")
    op.drop_index("ix_inbox_identity", table_name="inbox")
    op.drop_index("ix_inbox_lease_until", table_name="inbox")
    op.drop_table("inbox")
