"""Table models: one `table=True` class per entity.

The schema itself is owned by the Alembic migrations in `storage/migrations/`;
these classes must match them (a test compares the two). Timestamps are aware
UTC datetimes (sqlmodel's UTCDateTime), so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

ROLES = ("apprentice", "manager", "admin")
TAG_SOURCES = ("suggested", "confirmed", "removed")
TAGGING_STATUSES = ("ok", "pending")
SEND_KINDS = ("prompt", "nudge", "review")
FEEDBACK_VALUES = ("up", "down")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name)


def _json() -> sa.Column[Any]:
    return sa.Column(sa.JSON, nullable=False)


def _person_fk(*, index: bool = True) -> Any:
    return Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("person.id"), nullable=False,
                                     index=index))


class Person(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("platform", "workspace_id", "user_id",
                                          name="uq_person_identity"),
                      _one_of("role", ROLES, "ck_person_role"))

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    workspace_id: str = Field(max_length=128)
    user_id: str = Field(max_length=128)
    display_name: str = Field(default="", max_length=200)
    timezone: str = Field(default="", max_length=64)
    role: str = Field(default="apprentice", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class ManagerLink(SQLModel, table=True):
    __tablename__ = "manager_link"
    __table_args__ = (sa.UniqueConstraint("manager_id", "apprentice_id", name="uq_manager_link"),)

    id: int | None = Field(default=None, primary_key=True)
    manager_id: int = _person_fk()
    apprentice_id: int = _person_fk()
    created_at: datetime = Field(default_factory=utcnow)


class Enrolment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("person.id"),
                                               nullable=False, unique=True))
    standard_ref: str = Field(max_length=32)
    start_date: date
    planned_epa_date: date
    weekly_hours: float = 30.0
    otj_target_hours: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Entry(SQLModel, table=True):
    __table_args__ = (_one_of("tagging_status", TAGGING_STATUSES, "ck_entry_tagging_status"),
                      sa.Index("uq_entry_event", "person_id", "event_key", unique=True))

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    work_date: date
    otj_hours: float = 0.0
    tagging_status: str = Field(default="pending", max_length=16, index=True)
    # the chat event that carried it: a replayed event finds its entry instead of saving it again
    event_key: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class EntryTag(SQLModel, table=True):
    __tablename__ = "entry_tag"
    __table_args__ = (sa.UniqueConstraint("entry_id", "ksb_id", name="uq_entry_tag"),
                      _one_of("source", TAG_SOURCES, "ck_entry_tag_source"))

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("entry.id"),
                                              nullable=False, index=True))
    ksb_id: str = Field(max_length=8)
    source: str = Field(max_length=16)
    confidence: float | None = None
    reason: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Who did what. Person ids only (no names), so a deletion can find and drop them all."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("uq_audit_event_event", "event_key", "actor_id", "action", "target",
                               unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, index=True)
    subject_id: int | None = Field(default=None, index=True)
    related_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    # the chat event that wrote it, when one did: a replayed event's row is not written again
    event_key: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class AnswerFeedback(SQLModel, table=True):
    __tablename__ = "answer_feedback"
    __table_args__ = (_one_of("value", FEEDBACK_VALUES, "ck_answer_feedback_value"),
                      sa.Index("uq_answer_feedback_event", "person_id", "event_key", unique=True))

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    answer_id: str = Field(default="", max_length=64)
    value: str = Field(max_length=8)
    cited_ids: list[str] = Field(default_factory=list, sa_column=_json())
    event_key: str | None = Field(default=None, max_length=200)  # the vote's chat event: counted once
    created_at: datetime = Field(default_factory=utcnow)


class ProcessedEvent(SQLModel, table=True):
    """Chat events already handled, so platform retries are answered once."""

    __tablename__ = "processed_event"
    __table_args__ = (sa.UniqueConstraint("platform", "event_id", name="uq_processed_event"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    event_id: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ConversationRef(SQLModel, table=True):
    __tablename__ = "conversation_ref"
    __table_args__ = (sa.UniqueConstraint("person_id", "platform", name="uq_conversation_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk(index=False)
    platform: str = Field(max_length=32)
    reference: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    installed: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class PromptSetting(SQLModel, table=True):
    __tablename__ = "prompt_setting"
    __table_args__ = (sa.CheckConstraint("weekday BETWEEN 0 AND 6",
                                         name="ck_prompt_setting_weekday"),)

    person_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("person.id"),
                                               primary_key=True))
    weekday: int = 4
    local_time: time = Field(default=time(15, 0))
    enabled: bool = True
    snoozed_until: date | None = None
    last_ksb_id: str | None = Field(default=None, max_length=8)
    updated_at: datetime = Field(default_factory=utcnow)


class ScheduledSend(SQLModel, table=True):
    """A claim on one weekly send: the unique key lets exactly one replica win it."""

    __tablename__ = "scheduled_send"
    __table_args__ = (sa.UniqueConstraint("person_id", "kind", "week", name="uq_scheduled_send"),
                      _one_of("kind", SEND_KINDS, "ck_scheduled_send_kind"))

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk(index=False)
    kind: str = Field(max_length=16)
    # the occurrence: an ISO week (prompts, nudges); a review's due date for the apprentice's
    # reminder, "<due date>/<apprentice id>" for each manager's
    week: str = Field(max_length=32)
    claimed_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    attempts: int = 0


class SendBudgetRow(SQLModel, table=True):
    """Sends made in the current second per workspace/tenant (`scope`), shared by every replica,
    and when a platform's 429 asked everyone to hold off (epoch seconds)."""

    __tablename__ = "send_budget"

    scope: str = Field(primary_key=True, max_length=160)
    window_start: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    used: int
    paused_until: float | None = None


class ProgressReview(SQLModel, table=True):
    """A progress review held with the apprentice, their employer and the provider: a record."""

    __tablename__ = "progress_review"
    __table_args__ = (sa.Index("uq_progress_review_event", "person_id", "event_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    period_start: date
    period_end: date
    held_on: date
    apprentice_comment: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, default=""))
    employer_comment: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, default=""))
    provider_comment: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, default=""))
    event_key: str | None = Field(default=None, max_length=200)  # the chat event that recorded it
    created_at: datetime = Field(default_factory=utcnow)


class ReviewAction(SQLModel, table=True):
    """An action agreed at a review; the next pack asks whether it was done.

    It carries the apprentice's id too, so export and erasure find it like any
    other row of theirs.
    """

    __tablename__ = "review_action"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    review_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("progress_review.id"),
                                               nullable=False, index=True))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    done_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ReviewSetting(SQLModel, table=True):
    """Per enrolment: how often reviews fall due and how early the reminder goes out."""

    __tablename__ = "review_setting"

    person_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("person.id"),
                                               primary_key=True))
    interval_weeks: int = 12
    remind_days_before: int = 7
    enabled: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class ConversationContext(SQLModel, table=True):
    """What a conversation was last about, so "and what about S25?" or "add K28 to that" resolve."""

    __tablename__ = "conversation_context"
    __table_args__ = (sa.UniqueConstraint("person_id", "conversation_id", name="uq_conversation_context"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk(index=False)
    conversation_id: str = Field(max_length=255)
    ksb_ids: list[str] = Field(default_factory=list, sa_column=_json())
    entry_id: int | None = None
    # the last turns ({"asked", "answered"}), oldest first, for the agent's view of the thread
    turns: list[dict[str, str]] = Field(default_factory=list, sa_column=_json())
    updated_at: datetime = Field(default_factory=utcnow)


class AddedStandard(SQLModel, table=True):
    """A standard added at run time (`ksb-coach standards add`): its file's text, read by every replica."""

    __tablename__ = "added_standard"

    reference: str = Field(primary_key=True, max_length=32)
    format: str = Field(max_length=8)  # json | txt: how `source` is parsed
    source: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    added_at: datetime = Field(default_factory=utcnow)


class InboxItem(SQLModel, table=True):
    """A person's words a platform was told we have (acked) and that are not yet answered.

    Written before the ack and deleted once answered; a row whose lease has run out (its replica
    died or handed it back at shutdown) is claimed and replayed by any replica. The person is
    named by platform identity, not `person.id`: the row is written before the person is looked up.
    """

    __tablename__ = "inbox"
    __table_args__ = (sa.Index("ix_inbox_identity", "platform", "workspace_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    event_key: str = Field(max_length=200)
    kind: str = Field(max_length=64)  # which of the adapter's durable handlers replays it
    workspace_id: str = Field(default="", max_length=128)
    user_id: str = Field(default="", max_length=128)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    received_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime = Field(index=True)
    leased_by: str = Field(default="", max_length=128)
    attempts: int = 0


ALL_TABLES: tuple[type[SQLModel], ...] = (
    Person, ManagerLink, Enrolment, Entry, EntryTag, AuditEvent, AnswerFeedback,
    ProcessedEvent, ConversationRef, PromptSetting, ScheduledSend, ProgressReview, ReviewAction,
    ReviewSetting, ConversationContext, SendBudgetRow, AddedStandard, InboxItem,
)
