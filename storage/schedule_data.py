"""Reads for whole batches of recipients, and bulk writes for synthetic demo data.

A tick prepares hundreds of messages at once, so every read here takes a list
of people and answers in one grouped query rather than one query per person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
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
class ActivityWindow:
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
                 until: date) -> dict[int, ActivityWindow]:
    """Entries and off-the-job hours with work dates in [since, until), plus all-time totals."""
    found: dict[int, ActivityWindow] = {pid: ActivityWindow() for pid in person_ids}
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
        found[int(pid)] = ActivityWindow(int(n_window or 0), float(h_window or 0.0), int(n_total),
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


def _new_ids(session: Session, table: sa.Table, count: int) -> list[int]:
    """Ids for rows about to be inserted, so the insert needs no RETURNING (much faster in bulk)."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"), {"table": table.name, "count": count})
        return [int(i) for (i,) in rows]
    start = int(session.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
                .scalar_one()) + 1
    return list(range(start, start + count))


def _copy(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY: several times faster than INSERT for hundreds of thousands of rows.

    Aware timestamps are written as naive UTC, the form the columns hold.
    """
    columns = list(rows[0])
    stamps = [i for i, c in enumerate(columns)
              if isinstance(getattr(table.c[c].type, "impl", table.c[c].type), sa.DateTime)]
    names = ", ".join(f'"{c}"' for c in columns)
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            values = [row[c] for c in columns]
            for i in stamps:
                stamp = values[i]
                if stamp is not None and stamp.tzinfo is not None:
                    values[i] = stamp.astimezone(UTC).replace(tzinfo=None)
            copy.write_row(values)


def bulk_insert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]], *,
                chunk: int = 5000) -> list[int]:
    """Insert many rows in few round trips; returns the new ids in the order given.

    Ids come from the table's sequence (PostgreSQL) or after its highest id
    (SQLite, whose writer holds the database lock), so nothing is read back.
    PostgreSQL gets COPY unless the table holds JSON (which COPY would need
    adapting); everything else goes as executemany batches.
    """
    table = model.__table__  # type: ignore[attr-defined]
    ids: list[int] = []
    if not rows:
        return ids
    if "id" in table.c:
        ids = _new_ids(session, table, len(rows))
        rows = [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and not any(isinstance(c.type, sa.JSON) for c in table.c):
        _copy(session, table, rows)
        return ids
    for start in range(0, len(rows), chunk):
        session.execute(sa.insert(table), rows[start:start + chunk])
    return ids
