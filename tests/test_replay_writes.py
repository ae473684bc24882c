"""A turn replayed from the inbox repeats nothing: each write its first run made is found, not made again.

The replay is the real one: each turn goes through an `Inbox` on SQLite and PostgreSQL, its handler
runs the coach with storage, and the platform refuses the first reply (after the coach has done its
work), so the row is kept, its lease runs out, and a sweep runs the same turn again.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from bot.background import BackgroundWork
from bot.coach import Coach
from bot.inbox import Inbox, InboxTimes
from bot.messages import Incoming, Reply, UserRef
from bot.names import ActionId, IntentName
from knowledge.registry import Knowledge
from storage import audit, conversations, inbox_rows, people
from storage.db import SessionFactory
from storage.models import AnswerFeedback, AuditEvent, Entry, ProgressReview, ReviewAction
from tests.documents_support import add_apprentice
from tests.fakes.keyword_tagger import KeywordTagger
from tests.test_reflections import ALICE, TODAY, make_coach

BOB = UserRef(platform="slack", workspace_id="T1", user_id="UBOB", display_name="Bob")
REPLAYABLE = InboxTimes(lease=0.2, sweep=0.1, write=5.0, batch=1)  # one replay at a time, oldest first


class Platform:
    """Runs each stored turn through the coach; refuses the reply to a turn the first time it is given
    (a timeout, say), so the inbox keeps the row and replays the turn."""

    def __init__(self, coach: Coach, *, refuse_first: bool) -> None:
        self.coach = coach
        self.refuse_first = refuse_first
        self.replies: dict[str, list[Reply]] = defaultdict(list)

    async def turn(self, payload: dict[str, Any]) -> None:
        user = BOB if payload.get("user") == BOB.user_id else ALICE
        incoming = Incoming(user=user, text=str(payload.get("text") or ""), action=str(payload.get("action") or ""),
                            payload=dict(payload.get("payload") or {}), event_id=str(payload["event"]))
        reply = await self.coach.handle(incoming)
        self.replies[incoming.event_id].append(reply)
        if self.refuse_first and len(self.replies[incoming.event_id]) == 1:
            raise ConnectionError("the platform did not take the reply")


def inbox(sessions: SessionFactory, platform: Platform) -> tuple[Inbox, BackgroundWork]:
    background = BackgroundWork(name="test")
    box = Inbox(sessions=sessions, platform="slack", background=background, times=REPLAYABLE)
    box.turn("message", platform.turn)
    return box, background


async def replay_everything(sessions: SessionFactory, box: Inbox, background: BackgroundWork) -> None:
    """Sweep (waiting out each lease) until the inbox is empty."""
    for _ in range(200):
        with sessions() as session:
            if not inbox_rows.waiting(session):
                return
        await box.sweep()
        await background.drain(30)
        await asyncio.sleep(0.05)
    raise AssertionError("the inbox never emptied")


def counted(sessions: SessionFactory) -> dict[str, int]:
    with sessions() as session:
        def rows(model: Any) -> int:
            return int(session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())

        actions = Counter(session.execute(sa.select(AuditEvent.action)).scalars())  # type: ignore[call-overload]
        return {"entry": rows(Entry), "progress_review": rows(ProgressReview), "review_action": rows(ReviewAction),
                "answer_feedback": rows(AnswerFeedback), **{f"audit {a}": n for a, n in actions.items()}}


TURNS: list[dict[str, Any]] = [
    {"event": "EvReflect", "text": "reflect: yesterday, 3h setting up Evidently drift dashboards for the churn model"},
    {"event": "EvHours", "text": "change hours to 2"},
    {"event": "EvReview", "text": "record my review\nheld: 2026-11-18\nagreed: write up the drift runbook; "
                                  "shadow the on-call rota\nemployer: wants a demo"},
    {"event": "EvVote", "action": ActionId.FEEDBACK.value,
     "payload": {"value": "up", "answer_id": "a1", "cited_ids": ["S24"]}},
    {"event": "EvExport", "text": "export my data"},
]


async def test_a_turn_replayed_from_the_inbox_writes_each_row_once(sessions: SessionFactory,
                                                                    knowledge: Knowledge) -> None:
    add_apprentice(sessions, rows=())
    platform = Platform(make_coach(sessions, knowledge, KeywordTagger(knowledge)), refuse_first=True)
    box, background = inbox(sessions, platform)
    for turn in TURNS:  # each answered (its work done), then its reply refused: the row stays
        assert await box.accept("message", turn, event_key=turn["event"], workspace_id="T1", user_id="UALICE")
        await background.drain(30)
    await replay_everything(sessions, box, background)

    assert {event: len(replies) for event, replies in platform.replies.items()} == {t["event"]: 2 for t in TURNS}
    assert counted(sessions) == {"entry": 1, "progress_review": 1, "review_action": 2, "answer_feedback": 1,
                                 "audit entry.created": 1, "audit entry.corrected": 1, "audit review.recorded": 1,
                                 "audit data.exported": 1}
    first, again = platform.replies["EvReview"]
    assert first.intent == again.intent == IntentName.REVIEW_RECORD
    assert first.metadata["review_id"] == again.metadata["review_id"]
    saved, resaved = platform.replies["EvReflect"]
    assert saved.metadata["saved"]["entry_id"] == resaved.metadata["saved"]["entry_id"]
    with sessions() as session:
        entry = session.get(Entry, saved.metadata["saved"]["entry_id"])
    assert entry is not None and entry.otj_hours == 2.0  # the correction, applied (once)


def test_an_audit_row_is_written_once_per_event_actor_action_and_target(sessions: SessionFactory) -> None:
    """Actor 2's event shares an id with actor 1's (Teams activity ids are unique per conversation only)."""
    with sessions() as session:
        for actor, key in ((1, "EvA"), (1, "EvA"), (1, "EvB"), (1, ""), (2, "EvA")):
            audit.record(session, action="data.exported", actor_id=actor, subject_id=actor, event_key=key)
            audit.record(session, action="entry.corrected", actor_id=actor, target="entry:7", event_key=key)
            audit.record(session, action="entry.corrected", actor_id=actor, target="entry:8", event_key=key)
        session.commit()
        rows = Counter((e.actor_id, e.action, e.target, e.event_key) for e in session.exec(select(AuditEvent)))
    assert rows == {(actor, action, target, key): 1 for actor, key in ((1, "EvA"), (1, "EvB"), (1, None), (2, "EvA"))
                    for action, target in (("data.exported", ""), ("entry.corrected", "entry:7"),
                                           ("entry.corrected", "entry:8"))}


def test_a_replayed_turn_is_kept_once_in_the_conversation(sessions: SessionFactory) -> None:
    with sessions() as session:
        person = people.ensure_person(session, platform="slack", workspace_id="T1", user_id="UALICE",
                                      standard_ref="ST1398", today=TODAY)
        assert person.id is not None
        for event in ("EvQ", "EvQ", "EvR"):
            conversations.save_context(session, person_id=person.id, conversation_id="D1",
                                       turn=(f"asked in {event}", "answered"), turn_event=event)
        session.commit()
        row = conversations.get_context(session, person_id=person.id, conversation_id="D1")
    assert row is not None
    assert [t["asked"] for t in row.turns] == ["asked in EvQ", "asked in EvR"]
