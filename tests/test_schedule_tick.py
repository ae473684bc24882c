"""Scheduler ticks against the loopback Slack API, on SQLite and PostgreSQL, with a fixed clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlmodel import select

from bot.observability.metrics import Metrics
from bot.scheduler.clock import FixedClock
from bot.scheduler.due import Defaults
from bot.scheduler.settings import Change, PromptSettings
from bot.scheduler.tick import SchedulerConfig
from knowledge.registry import Knowledge
from storage import schedule as claims
from storage.db import SessionFactory
from storage.models import ProcessedEvent
from tests.fakes.slack_api import FakeSlackAPI
from tests.test_schedule_support import (
    TOKEN,
    NoWait,
    add_person,
    fake_channel,
    posts_by_user,
    setting,
    slack_scheduler,
    utc,
)

ZONES = {"ULON": "Europe/London", "UNYC": "America/New_York", "UTYO": "Asia/Tokyo",
         "UDEL": "Asia/Kolkata", "UAKL": "Pacific/Auckland"}


async def test_prompts_go_out_at_each_persons_local_time(sessions: SessionFactory,
                                                         knowledge: Knowledge) -> None:
    for user, tz in ZONES.items():
        add_person(sessions, user, tz=tz)
    clock = FixedClock(utc(2025, 10, 23, 0))
    first_sent: dict[str, object] = {}
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        while clock.now() < utc(2025, 10, 25, 12):
            await scheduler.tick()
            for user, count in posts_by_user(fake).items():
                if count:
                    first_sent.setdefault(user, clock.now())
            clock.advance(timedelta(minutes=30))
        await scheduler.sender.close()
        assert posts_by_user(fake) == dict.fromkeys(ZONES, 1)
    # Friday 15:00 local, as UTC (Auckland's Friday comes first; London is on BST)
    assert first_sent == {"UAKL": utc(2025, 10, 24, 2), "UTYO": utc(2025, 10, 24, 6),
                          "UDEL": utc(2025, 10, 24, 9, 30), "ULON": utc(2025, 10, 24, 14),
                          "UNYC": utc(2025, 10, 24, 19)}


async def test_daylight_saving_moves_the_utc_send_time(sessions: SessionFactory,
                                                       knowledge: Knowledge) -> None:
    add_person(sessions, "ULON", tz="Europe/London")
    add_person(sessions, "UNYC", tz="America/New_York")
    clock = FixedClock(utc(2025, 10, 31, 14, 30))  # after the UK change, before the US one
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        assert (await scheduler.tick()).prompts.sent == 0  # 14:30 GMT: London not due yet
        clock.set(utc(2025, 10, 31, 15))
        assert (await scheduler.tick()).prompts.sent == 1
        clock.set(utc(2025, 10, 31, 19))  # 15:00 EDT
        assert (await scheduler.tick()).prompts.sent == 1
        clock.set(utc(2025, 11, 7, 19, 30))  # 14:30 EST: a week later, after the US change
        assert (await scheduler.tick()).prompts.sent == 1  # only London's (due since 15:00Z)
        clock.set(utc(2025, 11, 7, 20))
        assert (await scheduler.tick()).prompts.sent == 1
        await scheduler.sender.close()
        assert posts_by_user(fake) == {"ULON": 2, "UNYC": 2}


async def test_late_scheduler_catches_up_within_a_day_only(sessions: SessionFactory,
                                                           knowledge: Knowledge) -> None:
    add_person(sessions, "ULON")
    async with FakeSlackAPI(token=TOKEN) as fake:
        clock = FixedClock(utc(2025, 10, 24, 15))  # an hour late
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        assert (await scheduler.tick()).prompts.sent == 1
        clock.set(utc(2025, 11, 1, 15, 1))  # down for the whole of next Friday's window
        assert (await scheduler.tick()).prompts.due == 0
        await scheduler.sender.close()


async def test_concurrent_ticks_send_each_prompt_once(sessions: SessionFactory,
                                                      knowledge: Knowledge) -> None:
    users = [f"U{i:03d}" for i in range(30)]
    for user in users:
        add_person(sessions, user)
    clock = FixedClock(utc(2025, 10, 24, 14, 1))
    async with FakeSlackAPI(token=TOKEN) as fake:
        replicas = [slack_scheduler(sessions, knowledge, fake, clock) for _ in range(3)]
        reports = await asyncio.gather(*(r.tick() for r in replicas))
        for replica in replicas:
            await replica.sender.close()
        assert sum(r.prompts.sent for r in reports) == 30
        assert posts_by_user(fake) == dict.fromkeys(users, 1)


async def test_rate_limits_are_waited_out(sessions: SessionFactory, knowledge: Knowledge) -> None:
    for user in ("U1", "U2", "U3"):
        add_person(sessions, user)
    waits = NoWait()
    async with FakeSlackAPI(token=TOKEN) as fake:
        fake.rate_limit("chat.postMessage", times=2, retry_after=7)
        scheduler = slack_scheduler(sessions, knowledge, fake, FixedClock(utc(2025, 10, 24, 14)),
                                    sleep=waits)
        report = await scheduler.tick()
        await scheduler.sender.close()
        assert report.prompts.sent == 3 and waits.waits == [7.0, 7.0]
        counts = posts_by_user(fake)  # the fake records the two refused attempts too
        assert set(counts) == {"U1", "U2", "U3"} and sum(counts.values()) == 3 + 2


async def test_one_failing_recipient_does_not_stop_the_rest_and_is_retried(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    for user in ("U1", "U2", "U3", "U4"):
        add_person(sessions, user)
    clock = FixedClock(utc(2025, 10, 24, 14))
    async with FakeSlackAPI(token=TOKEN) as fake:
        fake.fail("chat.postMessage", "fatal_error")
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        report = await scheduler.tick()
        assert (report.prompts.sent, report.prompts.failed) == (3, 1)
        clock.advance(timedelta(minutes=1))  # inside the lease: nobody may retry yet
        assert (await scheduler.tick()).prompts.claimed == 0
        clock.advance(timedelta(minutes=5))
        assert (await scheduler.tick()).prompts.sent == 1
        await scheduler.sender.close()
        delivered = [c.params["channel"] for c in fake.calls_to("chat.postMessage")]
        assert sorted(set(delivered)) == sorted(fake_channel(fake, u) for u in
                                                ("U1", "U2", "U3", "U4"))
        assert len(delivered) == 5  # four delivered once each, plus the one rejected post


async def test_a_crash_between_claim_and_send_is_retried_after_the_lease(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    person = add_person(sessions, "U1")
    crashed_at = utc(2025, 10, 24, 14, 0)
    with sessions() as session:  # a replica claims, then dies before sending
        claims.claim(session, kind="prompt", keys=[(person, "2025-W43")], now=crashed_at,
                     lease_cutoff=crashed_at - timedelta(minutes=5), max_attempts=5)
    clock = FixedClock(crashed_at + timedelta(minutes=2))
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        assert (await scheduler.tick()).prompts.sent == 0
        clock.set(crashed_at + timedelta(minutes=6))
        assert (await scheduler.tick()).prompts.sent == 1
        clock.advance(timedelta(minutes=10))
        assert (await scheduler.tick()).prompts.sent == 0
        await scheduler.sender.close()
        assert posts_by_user(fake) == {"U1": 1}
    with sessions() as session:
        [row] = claims.sends_for(session, person_id=person)
        assert row.sent_at is not None and row.attempts == 2


async def test_snooze_and_opt_out_hold(sessions: SessionFactory, knowledge: Knowledge) -> None:
    snoozer = add_person(sessions, "USNZ")
    leaver = add_person(sessions, "UOFF")
    add_person(sessions, "USTAY")
    clock = FixedClock(utc(2025, 10, 24, 14, 5))
    service = PromptSettings(sessions=sessions, clock=clock, defaults=Defaults())
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        assert (await scheduler.tick()).prompts.sent == 3
        _, skipped = service.snooze(snoozer)  # from this week's prompt
        assert skipped is not None and skipped.week == "2025-W44"
        service.change(leaver, Change(enabled=False))
        clock.set(utc(2025, 10, 31, 15, 5))
        assert (await scheduler.tick()).prompts.sent == 1  # only USTAY
        clock.set(utc(2025, 11, 7, 15, 5))
        assert (await scheduler.tick()).prompts.sent == 2  # USTAY and the snoozer again
        await scheduler.sender.close()
        assert posts_by_user(fake) == {"USNZ": 2, "UOFF": 1, "USTAY": 3}


async def test_prompt_quotes_a_rotating_weak_ksb(sessions: SessionFactory,
                                                 knowledge: Knowledge) -> None:
    person = add_person(sessions, "U1", name="Ada")
    clock = FixedClock(utc(2025, 10, 24, 14, 5))
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        await scheduler.tick()
        first = setting(sessions, person)
        clock.advance(timedelta(days=7, hours=1))  # London is on GMT by then
        await scheduler.tick()
        second = setting(sessions, person)
        await scheduler.sender.close()
        posts = fake.calls_to("chat.postMessage")
    assert first is not None and second is not None
    assert first.last_ksb_id and second.last_ksb_id and first.last_ksb_id != second.last_ksb_id
    ksb = knowledge.standard.ksb(first.last_ksb_id)
    assert ksb is not None
    text = str(posts[0].params["text"])
    assert text.startswith("Hi Ada") and ksb.id in text
    blocks = str(posts[0].params["blocks"])
    assert ksb.text[:60] in blocks  # the standard's own words
    for label in ("Log a reflection", "Snooze a week", "Skip"):
        assert label in blocks


async def test_dm_channels_are_remembered_and_reopened_when_stale(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    add_person(sessions, "U1")
    add_person(sessions, "U2")
    clock = FixedClock(utc(2025, 10, 24, 14, 5))
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, clock)
        await scheduler.tick()
        assert len(fake.calls_to("conversations.open")) == 2
        clock.set(utc(2025, 10, 31, 15, 5))
        assert (await scheduler.tick()).prompts.sent == 2
        assert len(fake.calls_to("conversations.open")) == 2  # next week: no new opens
        fake.fail("chat.postMessage", "channel_not_found")
        clock.set(utc(2025, 11, 7, 15, 5))
        assert (await scheduler.tick()).prompts.sent == 2
        await scheduler.sender.close()
        assert len(fake.calls_to("conversations.open")) == 3  # the stale one was opened afresh


class SteppingClock(FixedClock):
    """Three minutes pass every time anyone looks: a slow tick, compressed."""

    def now(self) -> datetime:
        value = super().now()
        self.advance(timedelta(minutes=3))
        return value


async def test_claims_are_stamped_when_made_so_late_batches_keep_their_lease(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    first, second = add_person(sessions, "U1"), add_person(sessions, "U2")
    start = utc(2025, 10, 24, 14, 1)
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, SteppingClock(start),
                                    config=SchedulerConfig(batch=1, pipeline=1))
        assert (await scheduler.tick()).prompts.sent == 2
        await scheduler.sender.close()
    with sessions() as session:
        stamps = sorted(row.claimed_at for pid in (first, second)
                        for row in claims.sends_for(session, person_id=pid))
    assert stamps[0] > start and stamps[1] > stamps[0]


async def test_sent_prompts_are_counted_in_the_metrics(sessions: SessionFactory, knowledge: Knowledge) -> None:
    add_person(sessions, "ULON", tz="Europe/London")
    metrics = Metrics()
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, FixedClock(utc(2025, 10, 24, 14, 5)),
                                    count_sent=metrics.prompt_sent)
        assert (await scheduler.tick()).prompts.sent == 1
        await scheduler.tick()  # already sent: nothing more to count
        await scheduler.sender.close()
    assert metrics.value("ksb_prompts_sent_total", kind="prompt", platform="slack") == 1


async def test_a_tick_forgets_processed_events_older_than_a_week(sessions: SessionFactory,
                                                                 knowledge: Knowledge) -> None:
    now = utc(2025, 10, 24, 12)
    with sessions() as session:
        for event_id, age in (("old", timedelta(days=8)), ("recent", timedelta(days=6))):
            session.add(ProcessedEvent(platform="slack", event_id=event_id, created_at=now - age))
        session.commit()
    async with FakeSlackAPI(token=TOKEN) as fake:
        scheduler = slack_scheduler(sessions, knowledge, fake, FixedClock(now))
        await scheduler.tick()
        await scheduler.sender.close()
    with sessions() as session:
        assert [e.event_id for e in session.exec(select(ProcessedEvent)).all()] == ["recent"]
