"""Export my data / delete my data: complete, confirmed, and leaving nothing of theirs behind."""

from __future__ import annotations

import json
import uuid
from datetime import date, time
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.admin import Admin
from bot.coaching.authz import Actor
from bot.coaching.data_rights import ConfirmationRequired, DataRights
from bot.messages import Incoming, UserRef
from bot.names import ActionId
from knowledge.registry import Knowledge
from storage import audit, entries, inbox_rows, people, reviews, tags
from storage.conversations import save_context
from storage.db import SessionFactory
from storage.models import ConversationRef, PromptSetting, ScheduledSend, utcnow
from storage.personal_data import ERASED_ACTION, person_columns
from tests.fakes.keyword_tagger import KeywordTagger
from tests.test_reflections import DRIFT, make_coach

TODAY = date(2026, 11, 20)
CAROL = UserRef("teams", "tenant-1", "aad-carol", display_name="Carol Jones")
DAVE = UserRef("teams", "tenant-1", "aad-dave", display_name="Dave Smith")


def _fill(sessions: SessionFactory, user: UserRef, role: str = "apprentice") -> int:
    """A person with a row in every table that can hold their data."""
    with sessions() as session:
        person = people.ensure_person(session, platform=user.platform,
                                      workspace_id=user.workspace_id, user_id=user.user_id,
                                      display_name=user.display_name, standard_ref="ST1398",
                                      today=TODAY)
        assert person.id
        people.set_role(session, person_id=person.id, role=role)
        entry = entries.add_entry(session, person_id=person.id, text=f"{user.display_name} log",
                                  work_date=TODAY, otj_hours=2)
        assert entry.id
        tags.set_tag(session, entry_id=entry.id, ksb_id="S24", source="confirmed")
        session.add(PromptSetting(person_id=person.id, weekday=2, local_time=time(9, 30)))
        session.add(ConversationRef(person_id=person.id, platform=user.platform,
                                    reference={"conversation": {"id": f"conv-{user.user_id}"}}))
        session.add(ScheduledSend(person_id=person.id, kind="prompt", week="2026-W47"))
        reviews.add_review(session, person_id=person.id, period_start=TODAY, period_end=TODAY,
                           held_on=TODAY, actions=["evidence S24 again"])
        reviews.save_setting(session, person_id=person.id, interval_weeks=10,
                             remind_days_before=5, enabled=True)
        save_context(session, person_id=person.id, conversation_id="D1", ksb_ids=["S24"], entry_id=entry.id)
        audit.record(session, action="entry.created", actor_id=person.id, subject_id=person.id)
        inbox_rows.put(session, platform=user.platform, event_key=uuid.uuid4().hex, kind="message",
                  workspace_id=user.workspace_id, user_id=user.user_id, holder="replica-1",
                  payload={"text": f"{user.display_name}'s words not answered yet"}, lease_until=utcnow())
        session.commit()
        return person.id


async def test_export_holds_every_table_of_theirs(sessions: SessionFactory,
                                                  knowledge: Knowledge) -> None:
    coach = make_coach(sessions, knowledge, KeywordTagger(knowledge))
    pid = _fill(sessions, CAROL)
    await coach.handle(Incoming(user=CAROL, action=ActionId.FEEDBACK, payload={
        "value": "up", "answer_id": "ans-1", "cited_ids": ["S24", "Z9"]}))
    other = _fill(sessions, DAVE)
    reply = await coach.handle(Incoming(user=CAROL, text="export my data"))
    assert reply.intent == "export_data"
    data = json.loads(reply.metadata["export"]["content"])["tables"]
    expected = set(person_columns()) | {"entry_tag", "inbox"}
    assert set(data) == expected
    for table in expected - {"manager_link"}:
        assert data[table], f"nothing exported from {table}"
    assert data["person"][0]["display_name"] == "Carol Jones"
    assert data["answer_feedback"][0]["cited_ids"] == ["S24"]
    assert data["prompt_setting"][0]["local_time"] == "09:30:00"
    assert all(row["person_id"] == pid for row in data["entry"])
    assert [row["payload"]["text"] for row in data["inbox"]] == ["Carol Jones's words not answered yet"]
    assert "Dave" not in reply.metadata["export"]["content"] and other != pid


def test_delete_needs_confirmation(sessions: SessionFactory) -> None:
    pid = _fill(sessions, CAROL)
    with pytest.raises(ConfirmationRequired):
        DataRights(session_factory=sessions).delete(actor=Actor(pid), person_id=pid,
                                                    confirmed=False)
    with sessions() as session:
        assert people.get_person(session, person_id=pid) is not None


def _rows(sessions: SessionFactory) -> dict[str, list[dict[str, Any]]]:
    with sessions() as session:
        return {t.name: [dict(r._mapping) for r in session.execute(sa.select(t))]
                for t in SQLModel.metadata.sorted_tables}


async def test_delete_leaves_nothing_of_theirs(sessions: SessionFactory,
                                               knowledge: Knowledge) -> None:
    coach = make_coach(sessions, knowledge, KeywordTagger(knowledge))
    reflected = await coach.handle(Incoming(user=CAROL, text=f"reflect: {DRIFT}"))
    await coach.handle(Incoming(user=CAROL, action=ActionId.FEEDBACK, payload={"value": "down"}))
    pid = _fill(sessions, CAROL, role="manager")
    dave = _fill(sessions, DAVE)
    admin = _fill(sessions, UserRef("teams", "tenant-1", "aad-admin", "Ada"), role="admin")
    Admin(session_factory=sessions).link(actor=Actor(admin, "admin"), manager_id=pid,
                                         apprentice_id=dave)
    carol_entries = {e["id"] for e in _rows(sessions)["entry"] if e["person_id"] == pid}
    assert reflected.metadata["entry_id"] in carol_entries

    ask = await coach.handle(Incoming(user=CAROL, text="please delete all my data"))
    assert ask.intent == "delete_data" and "can't be undone" in ask.text
    assert [(a.action, a.style) for a in ask.actions] == [(ActionId.DATA_DELETE_CONFIRM, "danger")]
    assert any(p["id"] == pid for p in _rows(sessions)["person"])  # asking deletes nothing

    [button] = ask.actions
    done = await coach.handle(Incoming(user=CAROL, action=button.action, payload=button.payload))
    assert "deleted everything" in done.text

    after = _rows(sessions)
    columns = person_columns()
    for table, rows in after.items():
        for column in columns.get(table, []):
            assert all(row[column.name] != pid for row in rows), f"{table}.{column.name}"
        for row in rows:
            flat = json.dumps(row, default=str)
            assert "aad-carol" not in flat and "Carol" not in flat, table
    assert not [t for t in after["entry_tag"] if t["entry_id"] in carol_entries]
    erased = [e for e in after["audit_event"] if e["action"] == ERASED_ACTION]
    assert len(erased) == 1
    assert (erased[0]["actor_id"], erased[0]["subject_id"], erased[0]["related_id"]) == (
        None, None, None)
    assert set(erased[0]["detail"]) == {"rows"}
    # everyone else is untouched
    assert {p["id"] for p in after["person"]} == {dave, admin}
    assert sorted(e["text"] for e in after["entry"]) == ["Ada log", "Dave Smith log"]
    assert sorted(row["user_id"] for row in after["inbox"]) == ["aad-admin", "aad-dave"]
    assert len(after["scheduled_send"]) == 2 and len(after["conversation_ref"]) == 2
    assert len(after["manager_link"]) == 0

    again = await coach.handle(Incoming(user=CAROL, action=button.action, payload=button.payload))
    assert "nothing to delete" in again.text
