"""Scheduled sends on Teams: Adaptive Cards through stored references, to the loopback connector."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from bot.adapters.teams.sender import TeamsSender
from bot.config import Settings
from bot.documents.review_service import ReviewService
from bot.scheduler.clock import FixedClock
from bot.scheduler.senders import RoutingSender
from bot.scheduler.tick import Scheduler, SchedulerConfig
from knowledge.registry import Knowledge
from storage import conversation_refs
from storage.db import Database, SessionFactory
from tests.fakes.bot_connector import FakeBotConnector
from tests.test_schedule_support import START, NoWait, TakeOverWhileWaiting, add_person, link, utc


def _reference(service_url: str, n: int) -> dict[str, Any]:
    return {"bot": {"id": "28:bot", "name": "KSB Coach"}, "channelId": "msteams",
            "conversation": {"id": f"a:chat{n}", "conversationType": "personal",
                             "tenantId": "tenant-1"},
            "serviceUrl": service_url, "user": {"id": f"29:user{n}"}}


def _teams_person(sessions: SessionFactory, n: int, service_url: str | None, **kw: Any) -> int:
    pid = add_person(sessions, f"aad-{n}", platform="teams", **kw)
    if service_url is not None:
        with sessions() as session:
            conversation_refs.save_reference(session, person_id=pid, platform="teams",
                                             reference=_reference(service_url, n))
            session.commit()
    return pid


def _scheduler(database: Database, knowledge: Knowledge, clock: FixedClock,
               waits: NoWait) -> Scheduler:
    sender = TeamsSender(settings=Settings(_env_file=None, teams_dev_unauthenticated=True), database=database,
                         sleep=waits)
    return Scheduler(sessions=database.session, knowledge=knowledge, clock=clock,
                     sender=RoutingSender({"teams": sender}))


def _texts(activity: dict[str, Any]) -> str:
    return str(activity.get("attachments"))


async def test_prompts_reach_teams_chats_with_a_reference_only(database: Database,
                                                               knowledge: Knowledge) -> None:
    sessions = database.session
    waits = NoWait()
    async with FakeBotConnector() as fake:
        _teams_person(sessions, 1, fake.url)
        _teams_person(sessions, 2, fake.url)
        _teams_person(sessions, 3, None)  # never talked to the bot: cannot be messaged first
        fake.rate_limit("send_to_conversation", times=1, retry_after=4)
        scheduler = _scheduler(database, knowledge, FixedClock(utc(2025, 10, 24, 14, 1)), waits)
        report = await scheduler.tick()
        again = await scheduler.tick()
        activities = fake.activities()
    assert (report.prompts.due, report.prompts.sent, again.prompts.sent) == (2, 2, 0)
    assert waits.waits == [4.0]
    delivered = [c for c in activities if "Log a reflection" in _texts(c)]
    chats = [a["conversation"]["id"] for a in delivered]  # the refused attempt is recorded too
    assert sorted(set(chats)) == ["a:chat1", "a:chat2"] and len(chats) == 2 + 1
    assert all(a["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
               for a in delivered)


async def test_a_teams_claim_taken_over_while_a_429_is_waited_out_is_not_sent(database: Database,
                                                                            knowledge: Knowledge) -> None:
    clock = FixedClock(utc(2025, 10, 24, 14, 1))
    take_over = TakeOverWhileWaiting(database.session, clock)
    async with FakeBotConnector() as fake:
        _teams_person(database.session, 1, fake.url)
        fake.rate_limit("send_to_conversation", times=1, retry_after=4)
        report = await _scheduler(database, knowledge, clock, take_over).tick()
        activities = fake.activities()
    assert take_over.waits == [4.0] and len(take_over.taken) == 1
    assert (report.prompts.sent, report.prompts.failed) == (0, 1)
    assert len(activities) == 1  # the refused attempt only


async def test_teams_nudge_carries_an_inline_picture(database: Database,
                                                     knowledge: Knowledge) -> None:
    sessions = database.session
    async with FakeBotConnector() as fake:
        apprentice = _teams_person(sessions, 1, fake.url, name="Ada Okafor", weekday=6,
                                   at=time(23))
        manager = _teams_person(sessions, 2, fake.url, name="Manager One", role="manager")
        link(sessions, manager, [apprentice])
        scheduler = _scheduler(database, knowledge, FixedClock(utc(2025, 10, 27, 9, 5)), NoWait())
        report = await scheduler.tick()
        activities = fake.activities("a:chat2")
    assert report.nudges.sent == 1
    assert any("Ada Okafor" in _texts(a) for a in activities)
    [picture] = [att for a in activities for att in a.get("attachments") or []
                 if att["contentType"] == "image/png"]
    assert picture["contentUrl"].startswith("data:image/png;base64,iVBOR")


async def test_a_chat_that_is_gone_is_retired(database: Database, knowledge: Knowledge) -> None:
    async with FakeBotConnector() as fake:
        person = _teams_person(database.session, 1, fake.url)
        fake.fail("send_to_conversation", status=403, code="BotDisabledByAdmin")
        scheduler = _scheduler(database, knowledge, FixedClock(utc(2025, 10, 24, 14, 1)), NoWait())
        assert (await scheduler.tick()).prompts.failed == 1
        with database.session() as session:
            assert conversation_refs.installed_reference(session, person_id=person,
                                                         platform="teams") is None
        later = _scheduler(database, knowledge, FixedClock(utc(2025, 10, 24, 14, 30)), NoWait())
        assert (await later.tick()).prompts.due == 0  # no longer reachable: not even claimed


async def test_teams_review_reminders_offer_the_pack_by_file_consent(database: Database,
                                                                     knowledge: Knowledge) -> None:
    sessions = database.session
    async with FakeBotConnector() as fake:
        apprentice = _teams_person(sessions, 1, fake.url, name="Ada Okafor")
        manager = _teams_person(sessions, 2, fake.url, name="Manager One", role="manager")
        link(sessions, manager, [apprentice])
        due = START + timedelta(weeks=12)
        clock = FixedClock(utc(due.year, due.month, due.day, 3) - timedelta(days=7))
        scheduler = _scheduler(database, knowledge, clock, NoWait())
        scheduler.packs = ReviewService(session_factory=sessions, knowledge=knowledge)
        scheduler.config = SchedulerConfig(reviews=True)
        report = await scheduler.tick()
        activities = fake.activities()
    assert (report.reviews.sent, report.reviews.failed) == (2, 0)
    offers = [(a["conversation"]["id"], att) for a in activities for att in a.get("attachments") or []
              if att["contentType"] == "application/vnd.microsoft.teams.card.file.consent"]
    assert sorted(chat for chat, _ in offers) == ["a:chat1", "a:chat2"]
    by_chat = dict(offers)
    assert by_chat["a:chat1"]["content"]["acceptContext"]["intent"] == "review_pack"
    assert by_chat["a:chat1"]["content"]["acceptContext"]["for"] == "teams:aad-1"
    assert by_chat["a:chat2"]["content"]["acceptContext"]["payload"] == {"apprentice_id": apprentice}
    assert by_chat["a:chat2"]["content"]["acceptContext"]["for"] == "teams:aad-2"
    assert all(att["name"].endswith(".pdf") and att["content"]["sizeInBytes"] > 1000 for _, att in offers)
