"""Chat events already handled: platforms retry deliveries, and each must be answered once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.db import SessionFactory
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


def event_claim(sessions: SessionFactory, *, platform: str) -> Callable[[str], Awaitable[bool]]:
    """The adapters' dedupe: an async claim on this platform's events, in the shared database.

    Keys are cut to the column's 200 characters (Teams builds long retry keys).
    """

    def claim_sync(event_id: str) -> bool:
        with sessions() as session:
            first = claim_event(session, platform=platform, event_id=event_id[:200])
            session.commit()
            return first

    async def claim(event_id: str) -> bool:
        return await sessions.run(claim_sync, event_id)

    return claim
