"""Storage on SQLite and PostgreSQL: migrations from empty, constraints, and the queries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from storage import audit, enrolments, entries, events, feedback, people, tags
from storage.db import (
    Database,
    SessionFactory,
    head_revisions,
    is_current,
    make_engine,
    normalize_url,
    open_database,
    upgrade,
)
from storage.models import ALL_TABLES, Person, PromptSetting, ScheduledSend

TODAY = date(2026, 11, 20)


def _person(sessions: SessionFactory, user_id: str = "U1") -> int:
    with sessions() as session:
        person = people.ensure_person(session, platform="slack", workspace_id="T1",
                                      user_id=user_id, display_name=user_id.lower(),
                                      standard_ref="ST1398", today=TODAY)
        session.commit()
        assert person.id is not None
        return person.id


def test_migrations_run_up_from_empty(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert not is_current(engine)
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
        upgrade(engine)
        upgrade(engine)  # idempotent: every replica runs it at start-up
        assert is_current(engine)
        with engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
            assert names == {t.__tablename__ for t in ALL_TABLES} | {"alembic_version"}
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
            assert set(context.get_current_heads()) == head_revisions()
    finally:
        engine.dispose()


def test_is_current_by_url_and_when_unreachable(database_url: str) -> None:
    assert not is_current(database_url)
    upgrade(database_url)
    assert is_current(database_url)
    assert not is_current("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_normalize_url_picks_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///data/x.db") == "sqlite:///data/x.db"


def test_sqlite_default_creates_its_folder(tmp_path: Path) -> None:
    with open_database(f"sqlite:///{tmp_path}/data/nested/ksb.db") as db:
        assert db.is_current()
    assert (tmp_path / "data/nested/ksb.db").exists()


def test_first_contact_makes_an_enrolled_apprentice(sessions: SessionFactory) -> None:
    pid = _person(sessions)
    assert _person(sessions) == pid
    with sessions() as session:
        person = people.get_person(session, person_id=pid)
        assert person is not None and person.role == "apprentice"
        enrolment = enrolments.get_enrolment(session, person_id=pid)
        assert enrolment is not None
        assert (enrolment.start_date, enrolment.planned_epa_date) == (TODAY, date(2028, 11, 20))
        assert enrolment.weekly_hours == 30 and enrolment.otj_target_hours is None


def test_person_identity_is_unique(sessions: SessionFactory) -> None:
    _person(sessions)
    with sessions() as session, pytest.raises(IntegrityError):
        session.add(Person(platform="slack", workspace_id="T1", user_id="U1"))
        session.commit()
    with sessions() as session:  # same user id in another workspace is another person
        session.add(Person(platform="slack", workspace_id="T2", user_id="U1"))
        session.commit()


def test_role_and_links(sessions: SessionFactory) -> None:
    apprentice, manager = _person(sessions, "A"), _person(sessions, "M")
    with sessions() as session:
        people.set_role(session, person_id=manager, role="manager")
        people.link(session, manager_id=manager, apprentice_id=apprentice)
        people.link(session, manager_id=manager, apprentice_id=apprentice)
        session.commit()
        assert [p.id for p in people.apprentices_of(session, manager_id=manager)] == [apprentice]
        assert [p.id for p in people.managers_of(session, apprentice_id=apprentice)] == [manager]
        with pytest.raises(ValueError):
            people.set_role(session, person_id=manager, role="owner")
        assert people.unlink(session, manager_id=manager, apprentice_id=apprentice)
        assert not people.is_linked(session, manager_id=manager, apprentice_id=apprentice)


def test_entries_tags_and_stats(sessions: SessionFactory) -> None:
    pid = _person(sessions)
    with sessions() as session:
        first = entries.add_entry(session, person_id=pid, text="drift", work_date=date(2026, 1, 5),
                                  otj_hours=2.5)
        second = entries.add_entry(session, person_id=pid, text="tests", work_date=date(2026, 2, 1),
                                   otj_hours=1)
        assert first.id and second.id
        tags.set_tag(session, entry_id=first.id, ksb_id="S24", source="confirmed")
        tags.set_tag(session, entry_id=second.id, ksb_id="S24", source="confirmed")
        tags.add_suggestions(session, entry_id=second.id,
                             suggestions=[("S24", 0.9, "ignored: already confirmed"),
                                          ("K5", 0.7, "mentions tests"), ("S1", 0.6, "x")])
        tags.set_tag(session, entry_id=second.id, ksb_id="S1", source="removed")
        session.commit()
        stats = tags.ksb_stats(session, person_id=pid)
        assert stats["S24"].confirmed == 2 and stats["S24"].last_confirmed == date(2026, 2, 1)
        assert stats["K5"].suggested == 1 and stats["K5"].confirmed == 0
        assert "S1" not in stats
        assert entries.total_hours(session, person_id=pid) == 3.5
        assert entries.count_entries(session, person_id=pid) == 2
        assert [e.id for e in entries.list_entries(session, person_id=pid)] == [second.id, first.id]
        found = tags.tags_for(session, entry_ids=[second.id])
        assert {t.ksb_id: t.source for t in found[second.id]} == {
            "S24": "confirmed", "K5": "suggested", "S1": "removed"}
        assert found[second.id][1].reason == "mentions tests"
        assert [e.id for e in entries.pending_entries(session)] == [first.id, second.id]
        entries.set_status(session, entry_id=first.id, status="ok")
        session.commit()
        assert [e.id for e in entries.pending_entries(session)] == [second.id]
        with pytest.raises(ValueError):
            entries.set_status(session, entry_id=first.id, status="done")


def test_one_tag_per_entry_and_ksb(sessions: SessionFactory) -> None:
    pid = _person(sessions)
    with sessions() as session:
        entry = entries.add_entry(session, person_id=pid, text="t", work_date=TODAY)
        assert entry.id
        tags.set_tag(session, entry_id=entry.id, ksb_id="K1", source="suggested", confidence=0.5)
        tags.set_tag(session, entry_id=entry.id, ksb_id="K1", source="confirmed")
        session.commit()
        only = tags.tags_for(session, entry_ids=[entry.id])[entry.id]
        assert [(t.source, t.confidence) for t in only] == [("confirmed", 0.5)]


def test_events_are_claimed_once(sessions: SessionFactory) -> None:
    with sessions() as session:
        assert events.claim_event(session, platform="slack", event_id="Ev1")
        assert not events.claim_event(session, platform="slack", event_id="Ev1")
        assert events.claim_event(session, platform="teams", event_id="Ev1")
        session.commit()
    with sessions() as session:
        assert not events.claim_event(session, platform="slack", event_id="Ev1")


def test_scheduled_send_is_unique_per_week(sessions: SessionFactory) -> None:
    pid = _person(sessions)
    with sessions() as session:
        session.add(ScheduledSend(person_id=pid, kind="prompt", week="2026-W48"))
        session.commit()
    with sessions() as session, pytest.raises(IntegrityError):
        session.add(ScheduledSend(person_id=pid, kind="prompt", week="2026-W48"))
        session.commit()


def test_prompt_settings_defaults(sessions: SessionFactory) -> None:
    pid = _person(sessions)
    with sessions() as session:
        session.add(PromptSetting(person_id=pid))
        session.commit()
        row = session.get(PromptSetting, pid)
        assert row is not None
        assert (row.weekday, row.local_time.isoformat(), row.enabled) == (4, "15:00:00", True)


def test_feedback_and_audit(sessions: SessionFactory) -> None:
    pid = _person(sessions)
    with sessions() as session:
        feedback.add_feedback(session, person_id=pid, value="up", answer_id="a1",
                              cited_ids=["S24"])
        with pytest.raises(ValueError):
            feedback.add_feedback(session, person_id=pid, value="meh")
        audit.record(session, action="entry.created", actor_id=pid, subject_id=pid,
                     detail={"n": 1})
        session.commit()
        assert [e.action for e in audit.events_for(session, person_id=pid)] == ["entry.created"]


def test_check_constraints_hold(sessions: SessionFactory) -> None:
    pid = _person(sessions)
    with sessions() as session, pytest.raises(IntegrityError):
        session.add(ScheduledSend(person_id=pid, kind="spam", week="2026-W48"))
        session.commit()


def test_database_context_disposes(database_url: str) -> None:
    with Database(database_url) as db:
        db.upgrade()
        assert db.is_current()
