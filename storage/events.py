"""Chat events already handled: platforms retry deliveries, and each must be answered once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.models import ProcessedEvent


def claim_event(session: Session, *, platform: str, event_id: str) -> bool:
    """True for the first caller to claim this event; the unique key decides across replicas."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(platform=platform, event_id=event_id))
            session.flush()
    except IntegrityError:
        return False
    return True


def forget_events_before(session: Session, *, cutoff: datetime) -> int:
    result = session.execute(sa.delete(ProcessedEvent)
                             .where(col(ProcessedEvent.created_at) < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
