"""Exactly-once sends, stated precisely: per-send records, a lease re-checked before each send and
renewed while a batch is in flight, and one rate budget per workspace shared by every replica.

Two `Scheduler`s on one database stand for two replicas; the loopback Slack API
counts what it accepted. `tests/test_scale_sends.py` proves the same with real
`serve` processes.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from sqlmodel import select

from bench.scale.fake_slack import ScaleSlackAPI
from bot.adapters.slack.sender import SlackSender
from bot.messages import Reply
from bot.ports import Accepted, Address, GoAhead, Picture
from bot.scheduler.budget import SendBudget, scope_of
from bot.scheduler.clock import FixedClock
from bot.scheduler.senders import RoutingSender
from bot.scheduler.tick import Scheduler, SchedulerConfig
from knowledge.registry import Knowledge
from storage import schedule as claims
from storage.db import SessionFactory
from storage.models import ScheduledSend
from tests.fakes.slack_api import FakeSlackAPI
from tests.test_schedule_support import TOKEN, TakeOverWhileWaiting, add_person, fake_channel, utc

DUE = utc(2025, 10, 24, 14)  # Friday 15:00 in London: everyone's prompt is due


class RunningClock:
    """Real seconds elapsing from a fixed start, so leases lapse while the test waits."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


def replica(sessions: SessionFactory, knowledge: Knowledge, fake: FakeSlackAPI, clock: FixedClock | RunningClock,
            config: SchedulerConfig, sender: RoutingSender | None = None) -> Scheduler:
    sender = sender or RoutingSender({"slack": SlackSender(token=TOKEN, base_url=fake.url + "/api/")})
    return Scheduler(sessions=sessions, knowledge=knowledge, sender=sender, clock=clock, config=config)


def accepted_per_user(fake: ScaleSlackAPI, users: list[str]) -> dict[str, int]:
    per = fake.by_channel()
    return {u: per[fake_channel(fake, u)] for u in users}


async def test_a_send_held_past_its_lease_by_a_429_is_not_sent_again(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    users = ["U1", "U2", "U3"]
    for user in users:
        add_person(sessions, user)
    lease = SchedulerConfig(lease=timedelta(seconds=3), concurrency=1)
    clock = RunningClock(DUE)
    async with ScaleSlackAPI(latency=0.0) as fake:
        fake.throttle(times=1, retry_after=7)  # the first send waits more than twice the lease
        first = replica(sessions, knowledge, fake, clock, lease)
        other = replica(sessions, knowledge, fake, clock, lease)
        ticking = asyncio.create_task(first.tick())
        await fake.wait_for(lambda calls: any(c.name == "chat.postMessage" for c in calls), timeout=60)
        taken = 0
        while not ticking.done():  # the other replica keeps trying to take the held claims over
            taken += (await other.tick()).prompts.claimed
            await asyncio.sleep(0.3)
        report = await ticking
        await first.sender.close()
        await other.sender.close()
        assert report.prompts.sent == 3 and taken == 0
        assert accepted_per_user(fake, users) == dict.fromkeys(users, 1)


async def test_each_send_is_recorded_as_it_completes_so_a_crash_mid_batch_resends_nothing(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    users = [f"U{i}" for i in range(5)]
    for user in users:
        add_person(sessions, user)
    config = SchedulerConfig(concurrency=1)
    clock = FixedClock(DUE)
    async with ScaleSlackAPI(latency=0.2) as fake:
        crashing = replica(sessions, knowledge, fake, clock, config)
        ticking = asyncio.create_task(crashing.tick())
        await fake.wait_for(lambda calls: sum(c.name == "chat.postMessage" for c in calls) >= 3, timeout=60)
        ticking.cancel()  # the process dies while its third post is on the wire, before Slack took it
        await asyncio.gather(ticking, return_exceptions=True)
        await crashing.sender.close()
        with sessions() as session:
            rows = list(session.exec(select(ScheduledSend)))
        assert len(rows) == 5 and sum(r.sent_at is not None for r in rows) == 2
        clock.advance(timedelta(minutes=6))  # past the lease: another replica takes the rest over
        survivor = replica(sessions, knowledge, fake, clock, config)
        report = await survivor.tick()
        await survivor.sender.close()
        assert report.prompts.sent == 3
        assert accepted_per_user(fake, users) == dict.fromkeys(users, 1)


class TakeOverFirst:
    """A sender that, on its first send, lets another replica take over every other claim
    (as after a lapsed lease), then sends for real."""

    def __init__(self, inner: RoutingSender, sessions: SessionFactory, clock: FixedClock) -> None:
        self.inner = inner
        self.sessions = sessions
        self.clock = clock
        self.taken: list[claims.Claim] = []

    def handles(self, platform: str) -> bool:
        return self.inner.handles(platform)

    async def send(self, *, to: Address, reply: Reply, picture: Picture | None = None,
                   accepted: Accepted | None = None, go_ahead: GoAhead | None = None) -> bool:
        if not self.taken:
            with self.sessions() as session:
                keys = [(row.person_id, row.week) for row in session.exec(select(ScheduledSend))
                        if row.person_id != to.person_id]
                now = self.clock.now()
                self.taken = claims.claim(session, kind="prompt", keys=keys, now=now,
                                          lease_cutoff=now + timedelta(hours=1), max_attempts=5)
        return await self.inner.send(to=to, reply=reply, picture=picture, accepted=accepted, go_ahead=go_ahead)

    def learned(self) -> dict[int, tuple[str, dict[str, object]]]:
        return self.inner.learned()

    async def close(self) -> None:
        await self.inner.close()


async def test_a_claim_taken_over_before_its_send_is_not_sent(sessions: SessionFactory,
                                                             knowledge: Knowledge) -> None:
    users = ["U1", "U2", "U3"]
    for user in users:
        add_person(sessions, user)
    clock = FixedClock(DUE)
    async with ScaleSlackAPI(latency=0.0) as fake:
        inner = RoutingSender({"slack": SlackSender(token=TOKEN, base_url=fake.url + "/api/")})
        sender = TakeOverFirst(inner, sessions, clock)
        scheduler = Scheduler(sessions=sessions, knowledge=knowledge, sender=sender, clock=clock,
                              config=SchedulerConfig(concurrency=1))
        report = await scheduler.tick()
        await sender.close()
        assert len(sender.taken) == 2
        assert (report.prompts.sent, report.prompts.failed) == (1, 2)
        assert sum(accepted_per_user(fake, users).values()) == 1


async def test_a_claim_taken_over_while_a_429_is_waited_out_is_not_sent(sessions: SessionFactory,
                                                                      knowledge: Knowledge) -> None:
    add_person(sessions, "U1")
    clock = FixedClock(DUE)
    take_over = TakeOverWhileWaiting(sessions, clock)
    async with ScaleSlackAPI(latency=0.0) as fake:
        fake.throttle(times=1, retry_after=2)
        sender = RoutingSender({"slack": SlackSender(token=TOKEN, base_url=fake.url + "/api/", sleep=take_over)})
        scheduler = Scheduler(sessions=sessions, knowledge=knowledge, sender=sender, clock=clock)
        report = await scheduler.tick()
        await sender.close()
        posts = fake.calls_to("chat.postMessage")
        assert take_over.waits == [2.0] and len(take_over.taken) == 1
        assert (report.prompts.sent, report.prompts.failed) == (0, 1)
        assert len(posts) == 1 and accepted_per_user(fake, ["U1"]) == {"U1": 0}  # the refused post only


class FakeTime:
    """A clock and a sleep that advances it: budget waits happen in no real time."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_two_replicas_share_one_budget_per_workspace(sessions: SessionFactory) -> None:
    fake_time = FakeTime()
    replicas = [SendBudget(sessions=sessions, per_second=5, clock=fake_time.clock, sleep=fake_time.sleep)
                for _ in range(2)]
    seconds: list[int] = []
    for i in range(24):  # the two replicas take turns, as their sends interleave
        await replicas[i % 2].acquire(scope_of("slack", "T1"))
        seconds.append(int(fake_time.now))
    per_second = {s: seconds.count(s) for s in seconds}
    assert max(per_second.values()) == 5 and len(per_second) == 5  # 24 sends need five seconds
    other = SendBudget(sessions=sessions, per_second=5, clock=fake_time.clock, sleep=fake_time.sleep)
    before = fake_time.now
    await other.acquire(scope_of("slack", "T2"))  # another workspace has its own budget
    assert fake_time.now == before


async def test_a_429_seen_by_one_replica_pauses_the_workspace_for_all(sessions: SessionFactory) -> None:
    fake_time = FakeTime()
    seen, waiting = (SendBudget(sessions=sessions, per_second=5, clock=fake_time.clock, sleep=fake_time.sleep)
                     for _ in range(2))
    await seen.hold_off(scope_of("slack", "T1"), 30.0)
    before = fake_time.now
    await waiting.acquire(scope_of("slack", "T1"))
    assert fake_time.now - before >= 30.0


async def test_the_slack_sender_reports_a_429_to_the_shared_budget(sessions: SessionFactory) -> None:
    reported: list[tuple[str, float]] = []

    async def hold_off(scope: str, seconds: float) -> None:
        reported.append((scope, seconds))

    async with FakeSlackAPI(token=TOKEN) as fake:
        fake.rate_limit("chat.postMessage", times=1, retry_after=3)
        waits: list[float] = []

        async def no_wait(seconds: float) -> None:
            waits.append(seconds)

        sender = SlackSender(token=TOKEN, base_url=fake.url + "/api/", sleep=no_wait, rate_limited=hold_off)
        assert await sender.send(to=Address(1, "slack", "T9", "U1"), reply=Reply(text="hello"))
        await sender.close()
    assert reported == [("slack:T9", 3.0)] and waits == [3.0]
