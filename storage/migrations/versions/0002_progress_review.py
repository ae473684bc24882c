"""Progress reviews as records (the review, its agreed actions), per-enrolment review
settings, and "review" as a kind of scheduled send so reminders share the weekly claims.

Revision ID: 0002_progress_review
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0002_progress_review"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND_CHECK = "ck_scheduled_send_kind"


def _kinds(*kinds: str) -> str:
    return "kind IN ({})".format(", ".join(f"'{k}'" for k in kinds))


def upgrade() -> None:
    op.create_table(
        "progress_review",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("apprentice_comment", sa.Text, nullable=False),
        sa.Column("employer_comment", sa.Text, nullable=False),
        sa.Column("provider_comment", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_progress_review_person_id", "progress_review", ["person_id"])
    op.create_table(
        "review_action",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("progress_review.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("done_on", sa.Date, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_review_action_review_id", "review_action", ["review_id"])
    op.create_index("ix_review_action_person_id", "review_action", ["person_id"])
    op.create_table(
        "review_setting",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), primary_key=True),
        sa.Column("interval_weeks", sa.Integer, nullable=False, server_default="12"),
        sa.Column("remind_days_before", sa.Integer, nullable=False, server_default="7"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    with op.batch_alter_table("scheduled_send") as batch:
        batch.drop_constraint(KIND_CHECK, type_="check")
        batch.create_check_constraint(KIND_CHECK, _kinds("prompt", "nudge", "review"))


def downgrade() -> None:
    op.execute("DELETE FROM scheduled_send WHERE kind = 'review'")
    with op.batch_alter_table("scheduled_send") as batch:
        batch.drop_constraint(KIND_CHECK, type_="check")
        batch.create_check_constraint(KIND_CHECK, _kinds("prompt", "nudge"))
    op.drop_table("review_setting")
    op.drop_table("review_action")
    op.drop_table("progress_review")
