"""The audit trail: who did what, by person id only so a deletion can remove every trace."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from storage.models import AuditEvent


def record(session: Session, *, action: str, actor_id: int | None = None,
           subject_id: int | None = None, related_id: int | None = None, target: str = "",
           detail: dict[str, Any] | None = None) -> AuditEvent:
    event = AuditEvent(action=action, actor_id=actor_id, subject_id=subject_id,
                       related_id=related_id, target=target, detail=detail or {})
    session.add(event)
    session.flush()
    return event


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
