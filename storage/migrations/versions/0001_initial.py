"""Initial schema: people, enrolments, reflections and tags, audit, and the tables later
features need (feedback, event dedupe, conversation references, prompt settings, send claims).

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)  # sqlmodel stores aware UTC datetimes

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _person_fk(name: str = "person_id", *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer, sa.ForeignKey("person.id"), nullable=nullable)


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name)


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("workspace_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("platform", "workspace_id", "user_id", name="uq_person_identity"),
        _one_of("role", ("apprentice", "manager", "admin"), "ck_person_role"),
    )
    op.create_table(
        "manager_link",
        sa.Column("id", sa.Integer, primary_key=True),
        _person_fk("manager_id"),
        _person_fk("apprentice_id"),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("manager_id", "apprentice_id", name="uq_manager_link"),
    )
    op.create_index("ix_manager_link_manager_id", "manager_link", ["manager_id"])
    op.create_index("ix_manager_link_apprentice_id", "manager_link", ["apprentice_id"])
    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False, unique=True),
        sa.Column("standard_ref", sa.String(32), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("planned_epa_date", sa.Date, nullable=False),
        sa.Column("weekly_hours", sa.Float, nullable=False),
        sa.Column("otj_target_hours", sa.Float, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "entry",
        sa.Column("id", sa.Integer, primary_key=True),
        _person_fk(),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("work_date", sa.Date, nullable=False),
        sa.Column("otj_hours", sa.Float, nullable=False),
        sa.Column("tagging_status", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _one_of("tagging_status", ("ok", "pending"), "ck_entry_tagging_status"),
    )
    op.create_index("ix_entry_person_id", "entry", ["person_id"])
    op.create_index("ix_entry_tagging_status", "entry", ["tagging_status"])
    op.create_table(
        "entry_tag",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("entry.id"), nullable=False),
        sa.Column("ksb_id", sa.String(8), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("entry_id", "ksb_id", name="uq_entry_tag"),
        _one_of("source", ("suggested", "confirmed", "removed"), "ck_entry_tag_source"),
    )
    op.create_index("ix_entry_tag_entry_id", "entry_tag", ["entry_id"])
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("subject_id", sa.Integer, nullable=True),
        sa.Column("related_id", sa.Integer, nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    for column in ("actor_id", "subject_id", "related_id"):
        op.create_index(f"ix_audit_event_{column}", "audit_event", [column])
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        _person_fk(),
        sa.Column("answer_id", sa.String(64), nullable=False),
        sa.Column("value", sa.String(8), nullable=False),
        sa.Column("cited_ids", sa.JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _one_of("value", ("up", "down"), "ck_answer_feedback_value"),
    )
    op.create_index("ix_answer_feedback_person_id", "answer_feedback", ["person_id"])
    op.create_table(
        "processed_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("platform", "event_id", name="uq_processed_event"),
    )
    op.create_index("ix_processed_event_created_at", "processed_event", ["created_at"])
    op.create_table(
        "conversation_ref",
        sa.Column("id", sa.Integer, primary_key=True),
        _person_fk(),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("reference", sa.JSON, nullable=False),
        sa.Column("installed", sa.Boolean, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("person_id", "platform", name="uq_conversation_ref"),
    )
    op.create_table(
        "prompt_setting",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), primary_key=True),
        sa.Column("weekday", sa.Integer, nullable=False, server_default="4"),
        sa.Column("local_time", sa.Time, nullable=False, server_default="15:00:00"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("snoozed_until", sa.Date, nullable=True),
        sa.Column("last_ksb_id", sa.String(8), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_prompt_setting_weekday"),
    )
    op.create_table(
        "scheduled_send",
        sa.Column("id", sa.Integer, primary_key=True),
        _person_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("claimed_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("person_id", "kind", "week", name="uq_scheduled_send"),
        _one_of("kind", ("prompt", "nudge"), "ck_scheduled_send_kind"),
    )


def downgrade() -> None:
    for table in ("scheduled_send", "prompt_setting", "conversation_ref", "processed_event",
                  "answer_feedback", "audit_event", "entry_tag", "entry", "enrolment",
                  "manager_link", "person"):
        op.drop_table(table)
