"""The inbox: acked words stored before the ack, leased while answered, replayed once a lease runs out.

Storage and the `Inbox` runtime on SQLite and PostgreSQL; then Slack and Teams over the real
server: the row is there when the ack is (Teams: while the turn is answered), an answered turn
leaves none, and a row left by a replica that died is replayed by the next one, saved once and
answered (on Teams, proactively).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from botbuilder.schema import Activity

from bot.background import BackgroundWork
from bot.coach import Coach
from bot.coaching.authz import Actor
from bot.coaching.reflections import Reflections
from bot.inbox import Inbox, InboxTimes
from bot.search.retrieval import HybridRetriever
from bot.wiring import make_coach, open_settings_database
from knowledge.registry import Knowledge
from storage import entries, inbox_rows, people
from storage.db import Database, SessionFactory
from storage.models import Entry, InboxItem, ProcessedEvent, utcnow
from tests.conftest import make_settings
from tests.fakes import FakeBotConnector, FakeSlackAPI, make_activity
from tests.fakes.keyword_tagger import KeywordTagger
from tests.test_slack_events import GatedComposer
from tests.test_slack_support import TEAM, USER, message_event, running_slack, slack_settings
from tests.test_teams_support import start

pytest_plugins = ["tests.test_slack_support", "tests.test_teams_support"]  # the fake Slack and connector fixtures

REFLECTION = ("reflect: yesterday 2h setting up Evidently drift dashboards for the churn model "
              "and a runbook for retraining when the alerts fire")
FAST = InboxTimes(lease=1.0, sweep=0.2, write=2.0)


def _put(sessions: SessionFactory, key: str, *, holder: str = "replica-a", lease: float = 30.0,
         kind: str = "message", payload: dict[str, Any] | None = None) -> int | None:
    with sessions() as session:
        row = inbox_rows.put(session, platform="slack", event_key=key, kind=kind, workspace_id=TEAM, user_id=USER,
                        payload=payload or {"n": key}, holder=holder,
                        lease_until=utcnow() + timedelta(seconds=lease))
        session.commit()
        return row


def _rows(sessions: SessionFactory) -> list[InboxItem]:
    with sessions() as session:
        return inbox_rows.waiting(session)


def test_a_row_is_stored_once_per_event_and_claims_it(sessions: SessionFactory) -> None:
    assert _put(sessions, "Ev1") is not None
    assert _put(sessions, "Ev1") is None  # Slack's retry of the same event
    with sessions() as session:
        claimed = session.execute(sa.select(ProcessedEvent.event_id)).scalars().all()  # type: ignore[call-overload]
    assert list(claimed) == ["Ev1"]
    assert [(r.event_key, r.leased_by, r.attempts) for r in _rows(sessions)] == [("Ev1", "replica-a", 0)]


def test_only_expired_leases_are_claimed_and_only_by_one_replica(sessions: SessionFactory) -> None:
    live = _put(sessions, "EvLive", lease=30)
    dead = _put(sessions, "EvDead", lease=-1)
    now = utcnow()
    won = []
    for holder in ("replica-b", "replica-c"):  # both saw the same expired row at the same moment
        with sessions() as session:
            won.append(inbox_rows.claim_expired(session, platforms=["slack"], holder=holder, now=now,
                                           lease_until=now + timedelta(seconds=30), limit=10))
            session.commit()
    won_a, won_b = won
    assert [r.id for r in won_a] == [dead] and won_b == []
    assert won_a[0].leased_by == "replica-b" and won_a[0].attempts == 1
    with sessions() as session:  # another platform's sweep never takes Slack's rows
        assert inbox_rows.claim_expired(session, platforms=["teams"], holder="x", now=now + timedelta(hours=1),
                                   lease_until=now, limit=10) == []
        assert inbox_rows.renew(session, ids=[live or 0, dead or 0], holder="replica-a", lease_until=now) == 1
        assert inbox_rows.release(session, ids=[dead or 0], holder="replica-b", now=now) == 1
        assert inbox_rows.finish(session, ids=[live or 0]) == 1
        session.commit()
    [left] = _rows(sessions)
    assert (left.id, left.leased_by) == (dead, "")


def _inbox(sessions: SessionFactory, background: BackgroundWork, **times: Any) -> Inbox:
    return Inbox(sessions=sessions, platform="slack", background=background,
                 times=InboxTimes(**{**FAST.__dict__, **times}))


async def test_an_answered_turn_leaves_no_row(sessions: SessionFactory) -> None:
    background = BackgroundWork(name="test")
    box = _inbox(sessions, background)
    seen: list[dict[str, Any]] = []
    stored_when_run: list[int] = []

    async def turn(payload: dict[str, Any]) -> None:
        stored_when_run.append(len(_rows(sessions)))
        seen.append(payload)

    box.turn("message", turn)
    assert await box.accept("message", {"text": "hello"}, event_key="Ev1", workspace_id=TEAM, user_id=USER)
    assert not await box.accept("message", {"text": "hello"}, event_key="Ev1", workspace_id=TEAM, user_id=USER)
    await background.drain(10)
    assert seen == [{"text": "hello"}] and stored_when_run == [1]
    assert _rows(sessions) == [] and box.held == 0


async def test_a_turn_cut_short_at_shutdown_is_handed_back_and_replayed_by_another_replica(
        sessions: SessionFactory) -> None:
    first_work, second_work = BackgroundWork(name="first"), BackgroundWork(name="second")
    first, second = _inbox(sessions, first_work), _inbox(sessions, second_work)
    never = asyncio.Event()
    done: list[str] = []

    async def stuck(payload: dict[str, Any]) -> None:
        await never.wait()

    async def answer(payload: dict[str, Any]) -> None:
        done.append(payload["text"])

    first.turn("message", stuck)
    second.turn("message", answer)
    for n in range(3):
        await first.accept("message", {"text": f"words {n}"}, event_key=f"Ev{n}", workspace_id=TEAM, user_id=USER)
    assert await second.sweep() == 0  # leased and renewed by the first replica: not taken
    await first_work.drain(0.1)  # the shutdown timeout passes with the turns unanswered
    assert await first.hand_back() == 3
    assert {r.leased_by for r in _rows(sessions)} == {""}
    assert await second.sweep() == 3  # handed back: taken at once, no lease to wait for
    await second_work.drain(10)
    assert sorted(done) == ["words 0", "words 1", "words 2"] and _rows(sessions) == []


async def test_a_dead_replicas_rows_are_replayed_after_their_lease_by_the_periodic_sweep(
        sessions: SessionFactory) -> None:
    _put(sessions, "EvOrphan", holder="a-replica-killed-with-kill-9", lease=0.3, payload={"text": "mine"})
    background = BackgroundWork(name="test")
    box = _inbox(sessions, background)
    answered = asyncio.Event()

    async def answer(payload: dict[str, Any]) -> None:
        answered.set()

    box.turn("message", answer)
    box.start()
    try:
        await asyncio.wait_for(answered.wait(), 30)
        await background.drain(10)
    finally:
        await box.stop()
    assert _rows(sessions) == []


async def test_a_turn_the_platform_failed_is_tried_again_once_its_lease_runs_out(sessions: SessionFactory) -> None:
    background = BackgroundWork(name="test")
    box = _inbox(sessions, background, lease=0.3)
    tries: list[str] = []

    async def flaky(payload: dict[str, Any]) -> None:
        tries.append(payload["text"])
        if len(tries) == 1:
            raise ConnectionError("Slack unreachable")

    box.turn("message", flaky)
    await box.accept("message", {"text": "words"}, event_key="Ev1", workspace_id=TEAM, user_id=USER)
    await background.drain(10)
    assert len(_rows(sessions)) == 1 and box.held == 0  # kept, no longer renewed

    async def retried() -> None:
        while not await box.sweep():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(retried(), 30)
    await background.drain(10)
    assert tries == ["words", "words"] and _rows(sessions) == []


async def test_a_row_that_keeps_failing_is_given_up(sessions: SessionFactory) -> None:
    _put(sessions, "EvPoison", lease=-1)
    with sessions() as session:
        session.execute(sa.update(InboxItem).values(attempts=FAST.max_attempts))
        session.commit()
    box = _inbox(sessions, BackgroundWork(name="test"))
    box.turn("message", lambda payload: asyncio.sleep(0))
    assert await box.sweep() == 0
    assert _rows(sessions) == []


async def test_without_the_database_the_turn_runs_from_memory(tmp_path: Path) -> None:
    background = BackgroundWork(name="test")
    with Database("postgresql://postgres@127.0.0.1:1/nowhere") as unreachable:
        box = _inbox(unreachable.session, background)
        ran: list[str] = []

        async def turn(payload: dict[str, Any]) -> None:
            ran.append(payload["text"])

        box.turn("message", turn)
        assert await box.accept("message", {"text": "my words"}, event_key="Ev1", workspace_id=TEAM,
                                user_id=USER)
        await background.drain(10)
    assert ran == ["my words"]  # answered (the coach then says the database is unreachable and quotes them)


async def test_a_reflection_is_saved_once_per_event(sessions: SessionFactory, knowledge: Knowledge) -> None:
    with sessions() as session:
        person = people.ensure_person(session, platform="slack", workspace_id=TEAM, user_id=USER,
                                      display_name="Ana", standard_ref="ST1398", today=date.today())
        session.commit()
    assert person.id is not None
    reflections = Reflections(session_factory=sessions, knowledge=knowledge, tagger=KeywordTagger(knowledge))
    first = await reflections.record(actor=Actor(person.id), text="drift dashboards", event_key="Ev1")
    again = await reflections.record(actor=Actor(person.id), text="drift dashboards", event_key="Ev1")
    other = await reflections.record(actor=Actor(person.id), text="drift dashboards", event_key="Ev2")
    plain = await reflections.record(actor=Actor(person.id), text="drift dashboards")
    assert first.entry_id == again.entry_id and first.suggestions == again.suggestions
    assert len({first.entry_id, other.entry_id, plain.entry_id}) == 3
    with sessions() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Entry)).scalar_one() == 3


# --- Slack over the real server -----------------------------------------------------------------

async def test_slack_words_are_in_the_inbox_when_acked_and_gone_once_answered(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI) -> None:
    composer = GatedComposer()
    coach = Coach(knowledge=retriever.index.knowledge, retriever=retriever, composer=composer)
    settings = slack_settings(tmp_path, fake_slack)
    async with running_slack(settings, coach, fake_slack) as slack:
        db = open_settings_database(settings)
        assert await slack.event(message_event("what counts for S24?"), event_id="EvAcked") == 200
        [row] = _rows(db.session)  # stored before the ack, not after
        assert row.event_key == "EvAcked" and row.payload["body"]["event"]["text"] == "what counts for S24?"
        await asyncio.wait_for(composer.waiting.wait(), 30)
        composer.gate.set()
        await slack.settle()
        assert _rows(db.session) == []
        db.dispose()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


async def test_reflections_left_by_a_dead_replica_are_saved_once_and_answered_by_the_next(
        retriever: HybridRetriever, tmp_path: Path, fake_slack: FakeSlackAPI) -> None:
    settings = slack_settings(tmp_path, fake_slack, inbox_lease=1.0, inbox_sweep_interval=0.2)
    body = {"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
            "event": message_event(REFLECTION)}
    with open_settings_database(settings) as db:
        with db.session() as session:  # the dead replica had saved one of them, not yet answered it
            person = people.ensure_person(session, platform="slack", workspace_id=TEAM, user_id=USER,
                                          display_name="", standard_ref="ST1398", today=date.today())
            assert person.id is not None
            entries.add_entry(session, person_id=person.id, text=REFLECTION[9:], work_date=date.today(),
                              event_key="EvSaved")
            session.commit()
        for key in ("EvNotBegun", "EvSaved"):
            _put(db.session, key, holder="killed-with-kill-9", lease=-1,
                 payload={"body": {**body, "event_id": key}, "assistant": False, "bot_user_id": "UBOT"})
    async with running_slack(settings, make_coach(settings, retriever=retriever), fake_slack) as slack:
        await fake_slack.wait_for(lambda calls: sum(c.name == "chat.postMessage" for c in calls) >= 2, 60)
        await slack.settle()
        with open_settings_database(settings) as db:
            assert _rows(db.session) == []
            with db.session() as session:
                keys = session.execute(sa.select(Entry.event_key)).scalars().all()  # type: ignore[call-overload]
    assert sorted(keys) == ["EvNotBegun", "EvSaved"]
    posts = [c.params for c in fake_slack.calls_to("chat.postMessage")]
    assert len(posts) == 2 and all("Saved" in p["text"] or "saved" in p["text"] for p in posts), posts


# --- Teams over the real server -----------------------------------------------------------------

async def test_teams_words_are_in_the_inbox_while_answered_and_gone_after(
        retriever: HybridRetriever, tmp_path: Path, fake_connector: FakeBotConnector) -> None:
    composer = GatedComposer()
    coach = Coach(knowledge=retriever.index.knowledge, retriever=retriever, composer=composer)
    teams = await start(make_settings(tmp_path, teams_dev_unauthenticated=True), coach, fake_connector)
    try:
        activity = teams.activity("what counts for S24?")
        turn = asyncio.ensure_future(teams.post(activity))
        await asyncio.wait_for(composer.waiting.wait(), 30)
        [row] = _rows(teams.database.session)  # stored before the turn's answer
        assert (row.platform, row.event_key, row.user_id) == ("teams", f"conv1|{activity['id']}", "aad-1")
        composer.gate.set()
        status, _ = await turn
        await teams.settle()
        assert status in {200, 201} and _rows(teams.database.session) == []
        assert teams.cards("conv1")
    finally:
        await teams.close()


async def test_a_teams_reflection_left_by_a_dead_replica_is_saved_once_and_answered_proactively(
        retriever: HybridRetriever, tmp_path: Path, fake_connector: FakeBotConnector) -> None:
    settings = make_settings(tmp_path, teams_dev_unauthenticated=True, inbox_lease=1.0, inbox_sweep_interval=0.2)
    activity = Activity().deserialize(make_activity(REFLECTION, service_url=fake_connector.url))
    with open_settings_database(settings) as db, db.session() as session:
        inbox_rows.put(session, platform="teams", event_key=f"conv1|{activity.id}", kind="activity",
                  workspace_id="tenant-1", user_id="aad-1", holder="killed-with-kill-9", lease_until=utcnow(),
                  payload={"activity": activity.serialize(), "text": REFLECTION, "action": "", "payload": {}})
        session.commit()
    teams = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        async def answered() -> None:
            while not teams.cards("conv1"):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(answered(), 60)
        await teams.settle()
        assert "Saved your reflection" in json.dumps(teams.cards("conv1"))
        with teams.database.session() as session:
            keys = session.execute(sa.select(Entry.event_key)).scalars().all()  # type: ignore[call-overload]
        assert keys == [activity.id] and _rows(teams.database.session) == []
    finally:
        await teams.close()
