"""Reads for whole batches of recipients, and bulk writes for synthetic demo data.

A tick prepares hundreds of messages at once, so every read here takes a list
of people and answers in one grouped query rather than one query per person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from storage.models import ConversationRef, Enrolment, Entry, EntryTag, ManagerLink, Person
from storage.tags import KsbStat

ENTRY = Entry.__table__  # type: ignore[attr-defined]
TAG = EntryTag.__table__  # type: ignore[attr-defined]
LINK = ManagerLink.__table__  # type: ignore[attr-defined]
REF = ConversationRef.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Activity:
    """One apprentice's logging: in the window asked about, and overall."""

    entries_window: int = 0
    hours_window: float = 0.0
    entries_total: int = 0
    hours_total: float = 0.0
    last_entry: date | None = None


def ksb_stats_for(session: Session, *, person_ids: Sequence[int],
                  created_before: datetime | None = None) -> dict[int, dict[str, KsbStat]]:
    """Per person, per KSB evidence counts (removed tags excluded), optionally as they stood then."""
    stats: dict[int, dict[str, KsbStat]] = {pid: {} for pid in person_ids}
    if not person_ids:
        return stats
    where = [ENTRY.c.person_id.in_(list(person_ids)), TAG.c.source != "removed"]
    if created_before is not None:
        where.append(TAG.c.created_at < created_before)
    rows = session.execute(
        sa.select(ENTRY.c.person_id, TAG.c.ksb_id, TAG.c.source, sa.func.count(),
                  sa.func.max(ENTRY.c.work_date))
        .select_from(TAG.join(ENTRY, ENTRY.c.id == TAG.c.entry_id))
        .where(*where).group_by(ENTRY.c.person_id, TAG.c.ksb_id, TAG.c.source))
    for pid, ksb_id, source, count, last in rows:
        mine = stats[int(pid)]
        old = mine.get(ksb_id) or KsbStat(ksb_id=ksb_id)
        if source == "confirmed":
            mine[ksb_id] = KsbStat(ksb_id, int(count), old.suggested, last)
        else:
            mine[ksb_id] = KsbStat(ksb_id, old.confirmed, int(count), old.last_confirmed)
    return stats


def activity_for(session: Session, *, person_ids: Sequence[int], since: date,
                 until: date) -> dict[int, Activity]:
    """Entries and off-the-job hours with work dates in [since, until), plus all-time totals."""
    found: dict[int, Activity] = {pid: Activity() for pid in person_ids}
    if not person_ids:
        return found
    c = ENTRY.c
    in_window = sa.and_(c.work_date >= since, c.work_date < until)
    rows = session.execute(
        sa.select(c.person_id,
                  sa.func.sum(sa.case((in_window, 1), else_=0)),
                  sa.func.sum(sa.case((in_window, c.otj_hours), else_=0.0)),
                  sa.func.count(), sa.func.sum(c.otj_hours), sa.func.max(c.work_date))
        .where(c.person_id.in_(list(person_ids))).group_by(c.person_id))
    for pid, n_window, h_window, n_total, h_total, last in rows:
        found[int(pid)] = Activity(int(n_window or 0), float(h_window or 0.0), int(n_total),
                                   float(h_total or 0.0), last)
    return found


def enrolments_for(session: Session, *, person_ids: Sequence[int]) -> dict[int, Enrolment]:
    if not person_ids:
        return {}
    query = sa.select(Enrolment).where(Enrolment.__table__.c.person_id.in_(  # type: ignore[attr-defined]
        list(person_ids)))
    return {e.person_id: e for e in session.scalars(query)}


def apprentices_by_manager(session: Session, *, manager_ids: Sequence[int]
                           ) -> dict[int, list[Person]]:
    """Each manager's own linked apprentices, and nobody else's."""
    found: dict[int, list[Person]] = defaultdict(list)
    if not manager_ids:
        return found
    person = Person.__table__  # type: ignore[attr-defined]
    query = (sa.select(LINK.c.manager_id, Person)
             .join(person, person.c.id == LINK.c.apprentice_id)
             .where(LINK.c.manager_id.in_(list(manager_ids)), person.c.role == "apprentice")
             .order_by(LINK.c.manager_id, person.c.display_name, person.c.id))
    for manager_id, apprentice in session.execute(query):
        found[int(manager_id)].append(apprentice)
    return found


def conversation_refs_for(session: Session, *, person_ids: Sequence[int],
                          platform: str) -> dict[int, dict[str, Any]]:
    """Stored conversation references (Teams needs one to message someone first)."""
    if not person_ids:
        return {}
    rows = session.execute(
        sa.select(REF.c.person_id, REF.c.reference)
        .where(REF.c.person_id.in_(list(person_ids)), REF.c.platform == platform,
               REF.c.installed.is_(True)))
    return {int(pid): dict(reference) for pid, reference in rows}


def find_person_ids(session: Session, *, key: str) -> list[int]:
    """People matching a CLI key: a numeric id, a platform user id, or a display name."""
    person = Person.__table__  # type: ignore[attr-defined]
    options = [person.c.user_id == key, person.c.display_name == key]
    if key.isdigit():
        options.append(person.c.id == int(key))
    rows = session.execute(sa.select(person.c.id).where(sa.or_(*options)).order_by(person.c.id))
    return [int(pid) for (pid,) in rows]


def bulk_insert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]], *,
                chunk: int = 5000) -> list[int]:
    """Insert many rows in few round trips; returns the new ids in the order given."""
    table = model.__table__  # type: ignore[attr-defined]
    ids: list[int] = []
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        if "id" in table.c:
            result = session.execute(
                sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), part)
            ids.extend(int(i) for i in result.scalars())
        else:
            session.execute(sa.insert(table), part)
    return ids
