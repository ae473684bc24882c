"""Enterprise Grid: one Slack person is one person, whatever team id each payload names."""

from __future__ import annotations

import json
import time
from datetime import date
from datetime import time as clock_time
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage import audit
from storage.conversation_refs import find_reference, save_reference
from storage.db import Database, SessionFactory, make_engine, upgrade
from storage.entries import list_entries
from storage.models import AuditEvent, Enrolment, Entry, ManagerLink, Person, PromptSetting, utcnow
from storage.people import ensure_person, find_person, link
from storage.schedule import save_setting
from storage.tags import set_tag
from tests.test_slack_interactive import REFLECTION
from tests.test_slack_support import USER, SlackHarness, message_event

pytest_plugins = ["tests.test_slack_support"]

ORG = "E0ORG"


async def test_an_enterprise_grid_user_is_one_person_across_payload_shapes(
        slack: SlackHarness, slack_database: Database) -> None:
    # a DM event names the workspace the channel lives in…
    body = json.dumps({"token": "legacy", "team_id": "T0CHANNEL", "enterprise_id": ORG, "api_app_id": "A1",
                       "type": "event_callback", "event_id": "EvGrid1", "event_time": int(time.time()),
                       "event": message_event("reflect: " + REFLECTION, team="T0CHANNEL")})
    assert (await slack.send(body, content_type="application/json"))[0] == 200
    # …a slash command another workspace of the org…
    form = {"token": "legacy", "team_id": "T0OTHER", "enterprise_id": ORG, "channel_id": "C1",
            "user_id": USER, "command": "/progress", "text": "", "api_app_id": "A1",
            "response_url": f"{slack.fake.url}/api/respond", "trigger_id": "trig-grid"}
    assert (await slack.send(urlencode(form), content_type="application/x-www-form-urlencoded"))[0] == 200
    # …and a click the user's home team, with the organisation beside it
    await slack.interact({"type": "block_actions", "team": {"id": "T0CHANNEL"}, "enterprise": {"id": ORG},
                          "user": {"id": USER, "team_id": "T0HOME"}, "channel": {"id": "D1"},
                          "container": {"type": "message", "channel_id": "D1", "is_ephemeral": True},
                          "response_url": f"{slack.fake.url}/api/respond",
                          "actions": [{"type": "button", "action_id": "ksb:0",
                                       "value": json.dumps({"a": "ask", "p": {"text": "How am I doing?"}})}]})
    await slack.settle()
    with slack_database.session() as session:
        found = session.exec(select(Person).where(Person.user_id == USER)).all()
    assert [(p.platform, p.workspace_id) for p in found] == [("slack", ORG)]


PARENTS = ("0003_agent_turns", "0003_sends_budget", "0004_sends_review_recipients", "idx_added_standard")
START = date(2026, 9, 1)


def _stored(session: Session, user_id: str, workspace: str, *, role: str = "apprentice",
            entries: int = 0, prompt_day: int | None = None, name: str = "") -> int:
    """A person row as the code of its time wrote it (directly: ensure_person would now adopt it)."""
    person = Person(platform="slack", workspace_id=workspace, user_id=user_id, display_name=name or user_id,
                    role=role)
    session.add(person)
    session.flush()
    assert person.id is not None
    session.add(Enrolment(person_id=person.id, standard_ref="ST1398", start_date=START,
                          planned_epa_date=date(2028, 9, 1)))
    for n in range(entries):
        # the columns of its time, not the model's (entries have grown an event key since)
        entry_id = session.execute(sa.insert(Entry).values(
            person_id=person.id, text=f"{user_id} entry {n} in {workspace}", work_date=START, otj_hours=1.0,
            tagging_status="ok", created_at=utcnow(), updated_at=utcnow()).returning(col(Entry.id))).scalar_one()
        set_tag(session, entry_id=entry_id, ksb_id="S24", source="confirmed")
    if prompt_day is not None:
        save_setting(session, person_id=person.id, weekday=prompt_day, local_time=clock_time(15), enabled=True,
                     snoozed_until=None, last_ksb_id=None)
    session.flush()
    return person.id


def test_grid_people_stored_under_team_ids_are_merged_under_the_organisation(database_url: str) -> None:
    """On SQLite and PostgreSQL: the migration joins a Grid user's team-id rows and their new org row."""
    engine = make_engine(database_url)
    try:
        for parent in PARENTS:
            upgrade(engine, parent)
        with Session(engine) as session:
            ada = _stored(session, "UADA", "T0CHANNEL", entries=2, prompt_day=4)  # her history (events)
            ada_home = _stored(session, "UADA", "T0HOME", entries=1)  # a click before the fix
            ada_new = _stored(session, "UADA", ORG, entries=1, prompt_day=0, name="Ada Okafor")  # since the fix
            save_reference(session, person_id=ada_new, platform="slack", reference={"channel": "D1"})
            # the columns of its time, not the model's (audit rows have grown an event key since)
            session.execute(sa.insert(AuditEvent).values(action="entry.saved", actor_id=ada_new, subject_id=ada_new,
                                                         target="", detail={}, created_at=utcnow()))
            mo = _stored(session, "UMO", "T0CHANNEL", role="manager")  # not back since: no org row of his
            for apprentice in (ada, ada_new):
                link(session, manager_id=mo, apprentice_id=apprentice)
            other = Person(platform="teams", workspace_id="tenant-1", user_id="UADA")  # another platform
            session.add(other)
            session.commit()
        upgrade(engine, "heads")
        with Session(engine) as session:
            slack_people = session.exec(select(Person).where(Person.platform == "slack")).all()
            assert sorted((p.id, p.workspace_id, p.user_id) for p in slack_people) == [
                (ada, ORG, "UADA"), (mo, ORG, "UMO")]
            kept = find_person(session, platform="slack", workspace_id=ORG, user_id="UADA")
            assert kept is not None and kept.id == ada and kept.display_name == "Ada Okafor"
            assert len(list_entries(session, person_id=ada)) == 4  # every entry, from every row
            assert len(session.exec(select(Enrolment).where(Enrolment.person_id == ada)).all()) == 1
            assert session.get(PromptSetting, ada) is not None and session.get(PromptSetting, ada_new) is None
            assert find_reference(session, person_id=ada, platform="slack") is not None
            [event] = audit.events_by_action(session, action="entry.saved")
            assert (event.actor_id, event.subject_id) == (ada, ada)
            links = session.exec(select(ManagerLink)).all()
            assert [(x.manager_id, x.apprentice_id) for x in links] == [(mo, ada)]
            assert all(session.get(Person, gone) is None for gone in (ada_home, ada_new))
            assert session.exec(select(Person).where(Person.platform == "teams")).one().user_id == "UADA"
    finally:
        engine.dispose()


def test_a_grid_user_first_seen_under_the_organisation_keeps_their_team_id_row(sessions: SessionFactory) -> None:
    """Where the migration could not know the organisation (no one back yet), the first message adopts the row."""
    with sessions() as session:
        earlier = _stored(session, "UBEA", "T0CHANNEL", entries=1)
        session.commit()
    with sessions() as session:
        person = ensure_person(session, platform="slack", workspace_id=ORG, user_id="UBEA", standard_ref="ST1398",
                               today=START)
        session.commit()
        assert (person.id, person.workspace_id) == (earlier, ORG)
        assert ensure_person(session, platform="slack", workspace_id="T0OTHERORG", user_id="UCAL",
                             standard_ref="ST1398", today=START).id != earlier  # plain workspaces: unchanged
