"""Send claims and prompt settings: the SQL behind "each weekly send goes out exactly once".

A claim is a row in `scheduled_send`, unique per (person, kind, week). Inserting
it is the claim; the database's unique key decides between replicas. A claim
whose send never completed (a crash) is taken over by one later tick with a
conditional UPDATE once its lease has run out. Both are single statements, so
they are atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import (
    ConversationRef,
    ManagerLink,
    Person,
    PromptSetting,
    ScheduledSend,
    SendBudgetRow,
    utcnow,
)

SEND = ScheduledSend.__table__  # type: ignore[attr-defined]
SETTING = PromptSetting.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
LINK = ManagerLink.__table__  # type: ignore[attr-defined]
REF = ConversationRef.__table__  # type: ignore[attr-defined]
BUDGET = SendBudgetRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claim:
    """A send this process won; `attempts` fences the sent-mark against a later takeover."""

    id: int
    person_id: int
    week: str
    attempts: int


@dataclass(frozen=True)
class Recipient:
    """Who a weekly send goes to, with their stored schedule (None where never set)."""

    person_id: int
    platform: str
    workspace_id: str
    user_id: str
    display_name: str
    timezone: str
    weekday: int | None = None
    local_time: time | None = None
    enabled: bool | None = None
    snoozed_until: date | None = None
    last_ksb_id: str | None = None
    has_reference: bool = False  # an installed conversation reference on their platform


def _insert(session: Session, table: sa.Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _recipients(session: Session, where: sa.ColumnElement[bool]) -> list[Recipient]:
    p, s = PERSON.c, SETTING.c
    has_reference = sa.exists().where(REF.c.person_id == p.id, REF.c.platform == p.platform,
                                      REF.c.installed.is_(True))
    query = (sa.select(p.id, p.platform, p.workspace_id, p.user_id, p.display_name, p.timezone,
                       s.weekday, s.local_time, s.enabled, s.snoozed_until, s.last_ksb_id,
                       has_reference)
             .select_from(PERSON.outerjoin(SETTING, s.person_id == p.id))
             .where(where).order_by(p.id))
    return [Recipient(*row) for row in session.execute(query)]


def apprentice_recipients(session: Session, *, person_ids: Sequence[int] | None = None
                          ) -> list[Recipient]:
    """Every apprentice, with their prompt setting if they have one."""
    where = PERSON.c.role == "apprentice"
    if person_ids is not None:
        where = sa.and_(where, PERSON.c.id.in_(list(person_ids)))
    return _recipients(session, where)


def manager_recipients(session: Session, *, person_ids: Sequence[int] | None = None
                       ) -> list[Recipient]:
    """Everyone with at least one linked apprentice: a nudge has something to say to them."""
    where = PERSON.c.id.in_(sa.select(LINK.c.manager_id).distinct())
    if person_ids is not None:
        where = sa.and_(where, PERSON.c.id.in_(list(person_ids)))
    return _recipients(session, where)


def settled(session: Session, *, kind: str, person_ids: Sequence[int],
            max_attempts: int) -> set[tuple[int, str]]:
    """(person, week) pairs needing no more work: sent, or given up after `max_attempts`."""
    if not person_ids:
        return set()
    c = SEND.c
    rows = session.execute(
        sa.select(c.person_id, c.week)
        .where(c.kind == kind, c.person_id.in_(list(person_ids)),
               sa.or_(c.sent_at.is_not(None), c.attempts >= max_attempts)))
    return {(int(pid), str(week)) for pid, week in rows}


def claim(session: Session, *, kind: str, keys: Sequence[tuple[int, str]], now: datetime,
          lease_cutoff: datetime, max_attempts: int) -> list[Claim]:
    """Claim what nobody holds: new (person, week) rows, or unsent ones whose lease ran out.

    Commits before returning, so other replicas see the claims at once.
    """
    if not keys:
        return []
    c = SEND.c
    rows = [{"person_id": pid, "kind": kind, "week": week, "claimed_at": now, "attempts": 1}
            for pid, week in keys]
    inserted = session.execute(
        _insert(session, SEND).values(rows)
        .on_conflict_do_nothing(index_elements=["person_id", "kind", "week"])
        .returning(c.id, c.person_id, c.week, c.attempts)).all()
    won = {(int(r.person_id), str(r.week)) for r in inserted}
    rest = [key for key in keys if key not in won]
    taken: list[Any] = []
    if rest:
        taken = list(session.execute(
            sa.update(SEND)
            .where(c.kind == kind, sa.tuple_(c.person_id, c.week).in_(rest),
                   c.sent_at.is_(None), c.claimed_at < lease_cutoff, c.attempts < max_attempts)
            .values(claimed_at=now, attempts=c.attempts + 1)
            .returning(c.id, c.person_id, c.week, c.attempts)).all())
    session.commit()
    return [Claim(int(r.id), int(r.person_id), str(r.week), int(r.attempts))
            for r in [*inserted, *taken]]


def mark_sent(session: Session, *, claims: Iterable[Claim], now: datetime) -> int:
    """Record sends; a claim another replica has since taken over is left alone (and counted out)."""
    fenced = [(c.id, c.attempts) for c in claims]
    if not fenced:
        return 0
    result = session.execute(
        sa.update(SEND)
        .where(sa.tuple_(SEND.c.id, SEND.c.attempts).in_(fenced), SEND.c.sent_at.is_(None))
        .values(sent_at=now))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def hold(session: Session, *, claims: Iterable[Claim], now: datetime) -> set[int]:
    """Renew the lease of claims still ours and unsent; returns the ids still held.

    Fenced by `attempts` like `mark_sent`: a claim another replica has taken over
    after our lease lapsed is not renewed, and its id is missing from the answer,
    so this process must not send it. One statement, committed at once.
    """
    fenced = [(c.id, c.attempts) for c in claims]
    if not fenced:
        return set()
    rows = session.execute(
        sa.update(SEND)
        .where(sa.tuple_(SEND.c.id, SEND.c.attempts).in_(fenced), SEND.c.sent_at.is_(None))
        .values(claimed_at=now)
        .returning(SEND.c.id)).all()
    session.commit()
    return {int(r.id) for r in rows}


def sends_for(session: Session, *, person_id: int) -> list[ScheduledSend]:
    query = (sa.select(ScheduledSend).where(SEND.c.person_id == person_id)
             .order_by(SEND.c.week, SEND.c.kind))
    return list(session.scalars(query))


# --- prompt settings ----------------------------------------------------------------

def get_setting(session: Session, *, person_id: int) -> PromptSetting | None:
    return session.get(PromptSetting, person_id)


def save_setting(session: Session, *, person_id: int, weekday: int, local_time: time,
                 enabled: bool, snoozed_until: date | None,
                 last_ksb_id: str | None) -> None:
    """Insert or replace a person's whole setting in one statement (safe under races)."""
    values = {"person_id": person_id, "weekday": weekday, "local_time": local_time,
              "enabled": enabled, "snoozed_until": snoozed_until, "last_ksb_id": last_ksb_id,
              "updated_at": utcnow()}
    statement = _insert(session, SETTING).values(values)
    session.execute(statement.on_conflict_do_update(
        index_elements=["person_id"],
        set_={k: statement.excluded[k] for k in values if k != "person_id"}))
    session.expire_all()


def set_last_ksbs(session: Session, *, chosen: dict[int, str], weekday: int,
                  local_time: time) -> None:
    """Remember each person's prompted KSB, creating default settings rows where missing."""
    if not chosen:
        return
    now = utcnow()
    rows = [{"person_id": pid, "weekday": weekday, "local_time": local_time, "enabled": True,
             "last_ksb_id": ksb, "updated_at": now} for pid, ksb in chosen.items()]
    statement = _insert(session, SETTING).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=["person_id"],
        set_={"last_ksb_id": statement.excluded.last_ksb_id,
              "updated_at": statement.excluded.updated_at}))
    session.commit()


def save_references(session: Session, *, found: dict[int, tuple[str, dict[str, Any]]]) -> None:
    """Store references learned while sending (e.g. Slack DM channels), one statement."""
    if not found:
        return
    now = utcnow()
    rows = [{"person_id": pid, "platform": platform, "reference": reference, "installed": True,
             "updated_at": now} for pid, (platform, reference) in found.items()]
    statement = _insert(session, REF).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=["person_id", "platform"],
        set_={"reference": statement.excluded.reference, "installed": True,
              "updated_at": statement.excluded.updated_at}))
    session.commit()


# --- the shared send budget ---------------------------------------------------------

def take_budget(session: Session, *, scope: str, window_start: int) -> tuple[int, float | None]:
    """Count one send in `scope`'s one-second window; (sends counted there so far, paused until).

    One upsert, so replicas counting at once serialise on the row: a new window
    starts the count again; a replica whose clock lags counts in the newer window.
    """
    b = BUDGET.c
    statement = _insert(session, BUDGET).values(scope=scope, window_start=window_start, used=1)
    current = b.window_start >= statement.excluded.window_start
    row = session.execute(statement.on_conflict_do_update(
        index_elements=["scope"],
        set_={"window_start": sa.case((current, b.window_start), else_=statement.excluded.window_start),
              "used": sa.case((current, b.used + 1), else_=1)})
        .returning(b.used, b.paused_until)).one()
    session.commit()
    return int(row.used), None if row.paused_until is None else float(row.paused_until)


def pause_budget(session: Session, *, scope: str, until: float) -> None:
    """Hold every replica's sends to `scope` until `until` (epoch seconds), as a 429 asked."""
    b = BUDGET.c
    statement = _insert(session, BUDGET).values(scope=scope, window_start=0, used=0, paused_until=until)
    session.execute(statement.on_conflict_do_update(
        index_elements=["scope"],
        set_={"paused_until": sa.case((b.paused_until > statement.excluded.paused_until, b.paused_until),
                                      else_=statement.excluded.paused_until)}))
    session.commit()
