"""Reflection entries: saved first, tagged after, so the user's words are never lost."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import TAGGING_STATUSES, Entry, utcnow
from storage.unique_insert import EVENT_KEY_LENGTH, once_per_event


def add_entry(session: Session, *, person_id: int, text: str, work_date: date,
              otj_hours: float = 0.0, status: str = "pending", event_key: str | None = None) -> Entry:
    if otj_hours < 0:
        raise ValueError("off-the-job hours cannot be negative")
    entry = Entry(person_id=person_id, text=text, work_date=work_date, otj_hours=otj_hours,
                  tagging_status=_checked(status), event_key=event_key)
    session.add(entry)
    session.flush()
    return entry


def add_entry_once(session: Session, *, person_id: int, text: str, work_date: date, otj_hours: float,
                   event_key: str) -> tuple[Entry, bool]:
    """A pending entry from one chat event, and True; or, when that event was saved already (replayed
    from the inbox, or by two replicas at once), the entry it made, and False."""
    return once_per_event(
        session, event_key,
        insert=lambda key: add_entry(session, person_id=person_id, text=text, work_date=work_date,
                                     otj_hours=otj_hours, event_key=key),
        find=lambda key: entry_from_event(session, person_id=person_id, event_key=key))


def entry_from_event(session: Session, *, person_id: int, event_key: str) -> Entry | None:
    return session.exec(select(Entry).where(Entry.person_id == person_id,
                                            Entry.event_key == event_key[:EVENT_KEY_LENGTH])).first()


def get_entry(session: Session, *, entry_id: int) -> Entry | None:
    return session.get(Entry, entry_id)


def list_entries(session: Session, *, person_id: int, newest_first: bool = True,
                 limit: int | None = None) -> list[Entry]:
    order = (col(Entry.work_date).desc(), col(Entry.id).desc()) if newest_first else (
        col(Entry.work_date), col(Entry.id))
    query = select(Entry).where(Entry.person_id == person_id).order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def set_status(session: Session, *, entry_id: int, status: str) -> None:
    session.execute(sa.update(Entry).where(col(Entry.id) == entry_id)
                    .values(tagging_status=_checked(status), updated_at=utcnow()))


def pending_entries(session: Session, *, limit: int = 50) -> list[Entry]:
    query = (select(Entry).where(Entry.tagging_status == "pending")
             .order_by(col(Entry.created_at), col(Entry.id)).limit(limit))
    return list(session.exec(query))


def total_hours(session: Session, *, person_id: int) -> float:
    total = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Entry.otj_hours), 0.0))
        .where(col(Entry.person_id) == person_id)
    ).scalar_one()
    return float(total)


def count_entries(session: Session, *, person_id: int) -> int:
    return int(session.execute(
        sa.select(sa.func.count()).select_from(Entry).where(col(Entry.person_id) == person_id)
    ).scalar_one())


def _checked(status: str) -> str:
    if status not in TAGGING_STATUSES:
        raise ValueError(f"unknown tagging status {status!r}")
    return status


def latest_entry(session: Session, *, person_id: int) -> Entry | None:
    """The entry logged last (not the one with the latest work date): what "that one" means in chat."""
    return session.exec(select(Entry).where(Entry.person_id == person_id)
                        .order_by(col(Entry.id).desc()).limit(1)).first()


def correct_entry(session: Session, *, entry_id: int, work_date: date | None = None,
                  otj_hours: float | None = None) -> Entry | None:
    entry = session.get(Entry, entry_id)
    if entry is None:
        return None
    if work_date is not None:
        entry.work_date = work_date
    if otj_hours is not None:
        if otj_hours < 0:
            raise ValueError("off-the-job hours cannot be negative")
        entry.otj_hours = otj_hours
    entry.updated_at = utcnow()
    session.add(entry)
    session.flush()
    return entry
