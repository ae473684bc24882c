"""The inbox's SQL: words written before the ack, leased while answered, deleted once answered.

A lease is a time (`lease_until`) and a holder (`leased_by`, one per process). The holder renews
its leases while it works; a row whose lease has passed belongs to whichever replica claims it
first (a compare-and-set on its claim count, so two replicas never both win, on SQLite or
PostgreSQL alike).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.events import claim_event
from storage.models import InboxItem, Person


def put(session: Session, *, platform: str, event_key: str, kind: str, workspace_id: str, user_id: str,
        payload: dict[str, Any], holder: str, lease_until: datetime) -> int | None:
    """The new row's id, leased to `holder`; None when the event was seen before (a platform retry).

    The event is claimed in processed_event in the same transaction, so the retry dedupe and the
    inbox agree: an event is in the inbox once, or was answered already.
    """
    key = event_key[:200]
    if key and not claim_event(session, platform=platform, event_id=key):
        return None
    item = InboxItem(platform=platform, event_key=key, kind=kind, workspace_id=workspace_id[:128],
                     user_id=user_id[:128], payload=payload, leased_by=holder, lease_until=lease_until)
    session.add(item)
    session.flush()
    assert item.id is not None
    return item.id


def claim_expired(session: Session, *, platforms: Collection[str], holder: str, now: datetime,
                  lease_until: datetime, limit: int) -> list[InboxItem]:
    """Up to `limit` rows whose lease has passed, now leased to `holder` (attempts counted)."""
    candidates = session.exec(select(InboxItem).where(col(InboxItem.platform).in_(list(platforms)),
                                                      col(InboxItem.lease_until) <= now)
                              .order_by(col(InboxItem.id)).limit(limit)).all()
    won: list[InboxItem] = []
    for item in candidates:
        result = session.execute(
            sa.update(InboxItem)
            .where(col(InboxItem.id) == item.id, col(InboxItem.attempts) == item.attempts,
                   col(InboxItem.lease_until) <= now)
            .values(leased_by=holder, lease_until=lease_until, attempts=InboxItem.attempts + 1))
        if _count(result) == 1:
            won.append(item)
    session.flush()
    for item in won:
        session.refresh(item)
    return won


def renew(session: Session, *, ids: Collection[int], holder: str, lease_until: datetime) -> int:
    """Extend the leases `holder` still has on `ids`; how many it still had."""
    if not ids:
        return 0
    return _count(session.execute(
        sa.update(InboxItem).where(col(InboxItem.id).in_(list(ids)), col(InboxItem.leased_by) == holder)
        .values(lease_until=lease_until)))


def release(session: Session, *, ids: Collection[int], holder: str, now: datetime) -> int:
    """Hand `holder`'s rows back (shutdown): their lease ends now, so any replica takes them next sweep."""
    if not ids:
        return 0
    return _count(session.execute(
        sa.update(InboxItem).where(col(InboxItem.id).in_(list(ids)), col(InboxItem.leased_by) == holder)
        .values(lease_until=now, leased_by="")))


def finish(session: Session, *, ids: Collection[int]) -> int:
    """Answered (or given up): the rows go."""
    if not ids:
        return 0
    return _count(session.execute(sa.delete(InboxItem).where(col(InboxItem.id).in_(list(ids)))))


def waiting(session: Session, *, platform: str | None = None) -> list[InboxItem]:
    """Every row (of `platform`), oldest first: what is still owed an answer."""
    query = select(InboxItem).order_by(col(InboxItem.id))
    if platform is not None:
        query = query.where(InboxItem.platform == platform)
    return list(session.exec(query))


def of_person(person: Person) -> sa.ColumnElement[bool]:
    """The inbox rows that carry `person`'s words (for their data export and erasure)."""
    return sa.and_(col(InboxItem.platform) == person.platform,
                   col(InboxItem.workspace_id) == person.workspace_id,
                   col(InboxItem.user_id) == person.user_id)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
