"""The audit trail: who did what, by person id only so a deletion can remove every trace."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from storage.models import AuditEvent
from storage.unique_insert import once_per_event


def record(session: Session, *, action: str, actor_id: int | None = None,
           subject_id: int | None = None, related_id: int | None = None, target: str = "",
           detail: dict[str, Any] | None = None, event_key: str = "") -> AuditEvent:
    """A new audit row; with `event_key` (the chat event that did it), at most one per event, actor, action
    and target: a turn replayed from the inbox finds the row its first run wrote instead of adding another.
    (Per actor, because a Teams activity id is unique only within its conversation.)"""
    def insert(key: str | None) -> AuditEvent:
        event = AuditEvent(action=action, actor_id=actor_id, subject_id=subject_id, related_id=related_id,
                           target=target, detail=detail or {}, event_key=key)
        session.add(event)
        session.flush()
        return event

    return once_per_event(session, event_key, insert=insert, find=lambda key: _from_event(
        session, actor_id=actor_id, action=action, target=target, event_key=key))[0]


def _from_event(session: Session, *, actor_id: int | None, action: str, target: str,
                event_key: str) -> AuditEvent | None:
    return session.exec(select(AuditEvent).where(AuditEvent.event_key == event_key, AuditEvent.actor_id == actor_id,
                                                 AuditEvent.action == action, AuditEvent.target == target)).first()


def events_for(session: Session, *, person_id: int) -> list[AuditEvent]:
    return list(session.exec(
        select(AuditEvent).where(or_(AuditEvent.actor_id == person_id,
                                     AuditEvent.subject_id == person_id,
                                     AuditEvent.related_id == person_id))
        .order_by(col(AuditEvent.id))
    ))


def events_by_action(session: Session, *, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                             .order_by(col(AuditEvent.id))))
