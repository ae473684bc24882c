"""A turn replayed from the inbox is neither refused by the per-person turn limit nor counted by it:
it was counted when it came in, and its words were acked. A real `Inbox` on SQLite and PostgreSQL
replays rows a dead replica left; the coach has a limit of one turn a minute.
"""

from __future__ import annotations

from datetime import timedelta

from bot.coach import Coach
from bot.limits import TurnLimiter
from bot.messages import UserRef
from bot.names import IntentName
from knowledge.registry import Knowledge
from storage import inbox_rows
from storage.db import SessionFactory
from storage.models import utcnow
from tests.fakes.keyword_tagger import ScriptedComposer
from tests.test_reflections import ALICE, NoRetriever
from tests.test_replay_writes import BOB, Platform, inbox, replay_everything


async def test_a_replayed_turn_is_neither_refused_nor_counted_by_the_turn_limiter(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    coach = Coach(knowledge=knowledge, retriever=NoRetriever(), composer=ScriptedComposer())
    coach.limit_rate(TurnLimiter(1))
    platform = Platform(coach, refuse_first=False)
    box, background = inbox(sessions, platform)

    def left_by_a_dead_replica(event: str, user: UserRef) -> None:
        with sessions() as session:
            inbox_rows.put(session, platform="slack", event_key=event, kind="message", workspace_id="T1",
                           user_id=user.user_id, payload={"event": event, "text": "help", "user": user.user_id},
                           holder="killed-with-kill-9", lease_until=utcnow() - timedelta(seconds=1))
            session.commit()

    async def live(event: str, user: UserRef) -> str:
        await box.accept("message", {"event": event, "text": "help", "user": user.user_id}, event_key=event,
                         workspace_id="T1", user_id=user.user_id)
        await background.drain(30)
        return platform.replies[event][-1].intent

    # Alice has used her one turn of the minute here; her turn acked before the crash still gets its answer
    assert await live("EvAliceLive", ALICE) == IntentName.HELP
    left_by_a_dead_replica("EvAliceLeft", ALICE)
    await replay_everything(sessions, box, background)
    assert platform.replies["EvAliceLeft"][-1].intent == IntentName.HELP
    assert await live("EvAliceAgain", ALICE) == IntentName.SLOW_DOWN  # the limit itself still holds
    # Bob's replayed turn does not use up his turn of the minute
    left_by_a_dead_replica("EvBobLeft", BOB)
    await replay_everything(sessions, box, background)
    assert platform.replies["EvBobLeft"][-1].intent == IntentName.HELP
    assert await live("EvBobLive", BOB) == IntentName.HELP
    assert await live("EvBobAgain", BOB) == IntentName.SLOW_DOWN
