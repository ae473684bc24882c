"""One scheduler pass: find what is due, claim it, send it, record it; and the loop around it.

Exactly once, across any number of replicas: a send goes out only after this
process has won its claim row, and it is recorded as sent right after. Work is
claimed in batches small enough to finish well inside the lease, and a send
whose claim has grown too old is left for a later tick instead of risking a
second copy. A crash between claim and send is picked up after the lease.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.messages import Reply
from bot.ports import Composer, Sender
from bot.scheduler.clock import Clock, zone
from bot.scheduler.due import DEFAULT_GRACE, NUDGE, PROMPT, Defaults, Schedule, due
from bot.scheduler.outgoing import Due, Outgoing, prepare_nudges, prepare_prompts
from bot.scheduler.review_reminders import ReviewReminders, ReviewReport
from bot.scheduler.senders import reachable
from knowledge.registry import Knowledge
from storage import schedule as claims
from storage.db import SessionFactory
from storage.events import forget_events_before
from storage.schedule import Claim, Recipient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerConfig:
    defaults: Defaults = field(default_factory=Defaults)
    lease: timedelta = timedelta(minutes=5)
    grace: timedelta = DEFAULT_GRACE
    batch: int = 100
    concurrency: int = 16
    max_attempts: int = 5
    pipeline: int = 3  # batches in progress at once
    safety: float = 0.8  # share of the lease after which a claimed send is left for later
    reviews: bool = True  # progress review reminders
    keep_events: timedelta = timedelta(days=7)  # handled platform event ids kept for retry dedupe
    cleanup_every: timedelta = timedelta(hours=1)


@dataclass
class KindReport:
    kind: str
    due: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    empty: int = 0

    def line(self) -> str:
        return (f"{self.kind}s: {self.due} due, {self.claimed} claimed, {self.sent} sent, "
                f"{self.failed} failed")


@dataclass
class TickReport:
    now: datetime
    prompts: KindReport = field(default_factory=lambda: KindReport(PROMPT))
    nudges: KindReport = field(default_factory=lambda: KindReport(NUDGE))
    reviews: ReviewReport = field(default_factory=ReviewReport)

    def lines(self) -> list[str]:
        return [f"tick at {self.now.isoformat()}", self.prompts.line(), self.nudges.line(),
                self.reviews.line()]


class SendCounter(Protocol):
    """Counts a delivered proactive message (`Metrics.prompt_sent` is one)."""

    def __call__(self, *, kind: str, platform: str) -> None: ...


def schedule_of(recipient: Recipient, kind: str, defaults: Defaults) -> Schedule:
    base = defaults.for_kind(kind)
    return Schedule(
        weekday=base.weekday if recipient.weekday is None else recipient.weekday,
        at=recipient.local_time or base.at,
        enabled=base.enabled if recipient.enabled is None else recipient.enabled,
        snoozed_until=recipient.snoozed_until)


class Scheduler:
    def __init__(self, *, sessions: SessionFactory, knowledge: Knowledge, sender: Sender,
                 clock: Clock, composer: Composer | None = None,
                 config: SchedulerConfig | None = None, count_sent: SendCounter | None = None) -> None:
        self.sessions = sessions
        self.knowledge = knowledge
        self.sender = sender
        self.clock = clock
        self.composer = composer
        self.config = config or SchedulerConfig()
        self._count_sent = count_sent
        self._cleaned: datetime | None = None

    def due(self, kind: str, recipients: Sequence[Recipient], now: datetime) -> list[Due]:
        defaults = self.config.defaults
        found: list[Due] = []
        for recipient in recipients:
            tz = zone(recipient.timezone, defaults.timezone)
            occurrence = due(schedule_of(recipient, kind, defaults), tz, now,
                             grace=self.config.grace)
            if occurrence is not None:
                found.append((recipient, occurrence))
        return found

    def _recipients(self, kind: str) -> list[Recipient]:
        with self.sessions() as session:
            if kind == NUDGE:
                return claims.manager_recipients(session)
            return claims.apprentice_recipients(session)

    async def tick(self) -> TickReport:
        """Send everything due and not yet sent (up to the grace period late).

        Batches overlap (`pipeline` at a time) so one batch's database work and
        message building run while another's sends are in flight; `concurrency`
        caps the sends in flight across all of them.
        """
        now = self.clock.now()
        report = TickReport(now=now)
        gate = asyncio.Semaphore(self.config.concurrency)
        lanes = asyncio.Semaphore(self.config.pipeline)

        async def lane(kind: str, batch: Sequence[Due], stats: KindReport) -> None:
            async with lanes:
                try:
                    await self._batch(kind, batch, now, stats, gate)
                except Exception:  # noqa: BLE001 - a database or code fault sinks one batch only
                    log.exception("scheduler batch failed; its claims retry after the lease")
                    stats.failed += len(batch)

        queues: list[list[tuple[str, Sequence[Due], KindReport]]] = []
        for kind, stats in ((PROMPT, report.prompts), (NUDGE, report.nudges)):
            recipients = await asyncio.to_thread(self._recipients, kind)
            pending = self.due(kind, [r for r in recipients if reachable(
                self.sender, platform=r.platform, has_reference=r.has_reference)], now)
            stats.due = len(pending)
            # a nudge summarises a whole team and draws a picture: smaller batches keep the
            # lanes turning over instead of holding them while prompts wait
            size = self.config.batch if kind == PROMPT else max(1, self.config.batch // 10)
            queues.append([(kind, pending[i:i + size], stats)
                           for i in range(0, len(pending), size)])
        # alternate the kinds, so drawing nudges overlaps sending prompts
        order = [job for jobs in itertools.zip_longest(*queues) for job in jobs if job]
        await asyncio.gather(*(lane(*job) for job in order))
        await asyncio.to_thread(self._forget_old_events, now)
        if self.config.reviews:
            reminders = ReviewReminders(sessions=self.sessions, sender=self.sender,
                                        lease=self.config.lease, max_attempts=self.config.max_attempts)
            try:
                report.reviews = await reminders.tick(now)
            except Exception:  # noqa: BLE001 - review reminders retry after the lease
                log.exception("review reminders failed; their claims retry after the lease")
        return report

    def _forget_old_events(self, now: datetime) -> None:
        """Platform event ids are only needed while a platform may still retry; drop old ones hourly."""
        if self._cleaned is not None and now - self._cleaned < self.config.cleanup_every:
            return
        try:
            with self.sessions() as session:
                gone = forget_events_before(session, cutoff=now - self.config.keep_events)
                session.commit()
        except Exception:  # noqa: BLE001 - housekeeping must never stop the sends
            log.exception("forgetting old processed events failed")
            return
        self._cleaned = now
        if gone:
            log.info("forgot %d processed events older than %s", gone, self.config.keep_events)

    def _claim(self, kind: str, batch: Sequence[Due]) -> list[Claim]:
        """Claims are stamped with the time they are made (not the tick's start), so a
        long tick's late batches get their full lease."""
        config = self.config
        now = self.clock.now()
        with self.sessions() as session:
            ids = [r.person_id for r, _ in batch]
            done = claims.settled(session, kind=kind, person_ids=ids,
                                  max_attempts=config.max_attempts)
            keys = [(r.person_id, o.week) for r, o in batch if (r.person_id, o.week) not in done]
            return claims.claim(session, kind=kind, keys=keys, now=now,
                                lease_cutoff=now - config.lease, max_attempts=config.max_attempts)

    async def _batch(self, kind: str, batch: Sequence[Due], now: datetime,
                     stats: KindReport, gate: asyncio.Semaphore) -> None:
        started = time.monotonic()  # just before the claim: the lease is counted from here
        won = await asyncio.to_thread(self._claim, kind, batch)
        stats.claimed += len(won)
        if not won:
            return
        claimed = time.monotonic()
        mine = [(r, o) for r, o in batch if r.person_id in {c.person_id for c in won}]
        if kind == NUDGE:
            out = await prepare_nudges(self.sessions, self.knowledge, self.composer, mine, now)
        else:
            out = await asyncio.to_thread(prepare_prompts, self.sessions, self.knowledge, mine,
                                          now.date())
        async def deliver(claim: Claim) -> str:
            outgoing = out.get(claim.person_id)
            if outgoing is None:
                return "failed"
            if outgoing.reply is None:
                return "empty"
            async with gate:
                if not await self._send(outgoing, outgoing.reply, started):
                    return "failed"
            if self._count_sent is not None:
                self._count_sent(kind=kind, platform=outgoing.to.platform)
            return "sent"

        prepared = time.monotonic()
        results = await asyncio.gather(*(deliver(c) for c in won))
        delivered = time.monotonic()
        stats.sent += results.count("sent")
        stats.empty += results.count("empty")
        stats.failed += results.count("failed")
        done = [c for c, result in zip(won, results, strict=True) if result != "failed"]
        await asyncio.to_thread(self._record, kind, done, out, self.sender.learned())
        log.debug("%s batch of %d: claim %.2fs, prepare %.2fs, send %.2fs, record %.2fs", kind,
                  len(won), claimed - started, prepared - claimed, delivered - prepared,
                  time.monotonic() - delivered)

    async def _send(self, outgoing: Outgoing, reply: Reply, started: float) -> bool:
        if time.monotonic() - started > self.config.lease.total_seconds() * self.config.safety:
            return False  # the lease may lapse mid-send; a later tick re-claims it safely
        try:
            return await self.sender.send(to=outgoing.to, reply=reply, picture=outgoing.picture)
        except Exception:  # noqa: BLE001 - one recipient's failure must never stop the rest
            log.exception("send to person %s failed", outgoing.to.person_id)
            return False

    def _record(self, kind: str, sent: Sequence[Claim], out: dict[int, Outgoing],
                learned: dict[int, tuple[str, dict[str, Any]]]) -> None:
        with self.sessions() as session:
            claims.mark_sent(session, claims=sent, now=self.clock.now())
            claims.save_references(session, found=learned)
            if kind == PROMPT:
                prompt = self.config.defaults.prompt
                chosen = {c.person_id: ksb for c in sent
                          if c.person_id in out and (ksb := out[c.person_id].ksb_id) is not None}
                claims.set_last_ksbs(session, chosen=chosen, weekday=prompt.weekday,
                                     local_time=prompt.at)

    async def run(self, *, interval: float, stop: asyncio.Event) -> None:
        """Tick every `interval` seconds until `stop` is set; a failed tick is logged, not fatal."""
        while not stop.is_set():
            try:
                report = await self.tick()
                if report.prompts.claimed or report.nudges.claimed or report.reviews.claimed:
                    log.info("; ".join(report.lines()))
            except Exception:  # noqa: BLE001 - the loop must outlive a bad tick
                log.exception("scheduler tick failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass
