"""One scheduler pass: find what is due, claim it, send it, record it; and the loop around it.

Exactly once, across any number of replicas, stated precisely: a message goes
out only after this process has won its claim row, and only if, immediately
before the send, the claim is still this process's and unsent (one fenced
UPDATE that also renews its lease). While a batch is in flight its unsent
claims' leases are renewed every third of the lease, so a send held up by rate
limiting keeps its claim instead of being taken over and sent twice. Each send
is recorded the moment the platform accepts its first message, not when the
batch ends, so a crash loses at most the sends in flight. The one gap left: a
crash after the platform accepted a message and before that record commits
(milliseconds) re-sends that message after the lease; docs/deploy.md says so
and `make bench-scale` measures it. Sends to one workspace or tenant share one
rate budget across replicas (bot/scheduler/budget.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.messages import Reply
from bot.ports import Accepted, Composer, GoAhead, Sender
from bot.scheduler.budget import SendBudget, scope_of
from bot.scheduler.clock import Clock, zone
from bot.scheduler.due import DEFAULT_GRACE, NUDGE, PROMPT, Defaults, Schedule, due
from bot.scheduler.go_ahead import ClaimCheck
from bot.scheduler.outgoing import Due, Outgoing, prepare_nudges, prepare_prompts
from bot.scheduler.review_reminders import Packs, ReviewReminders, ReviewReport
from bot.scheduler.senders import SendCounter, reachable
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
    send_rate: int = 20  # sends per second per workspace/tenant, across replicas (0: no limit)
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
                 config: SchedulerConfig | None = None, count_sent: SendCounter | None = None,
                 budget: SendBudget | None = None, packs: Packs | None = None) -> None:
        self.sessions = sessions
        self.knowledge = knowledge
        self.sender = sender
        self.clock = clock
        self.composer = composer
        self.config = config or SchedulerConfig()
        self.budget = budget or SendBudget(sessions=sessions, per_second=self.config.send_rate)
        self.packs = packs  # review packs, attached to review reminders
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
            reminders = ReviewReminders(sessions=self.sessions, sender=self.sender, lease=self.config.lease,
                                        max_attempts=self.config.max_attempts, clock=self.clock,
                                        packs=self.packs, budget=self.budget, count_sent=self._count_sent)
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
        started = time.monotonic()
        won = await asyncio.to_thread(self._claim, kind, batch)
        stats.claimed += len(won)
        if not won:
            return
        claimed = time.monotonic()
        held = {c.id: c for c in won}  # claims still ours and not yet settled; renewed until they are
        keeping = asyncio.create_task(self._keep(held))
        try:
            mine = [(r, o) for r, o in batch if r.person_id in {c.person_id for c in won}]
            if kind == NUDGE:
                out = await prepare_nudges(self.sessions, self.knowledge, self.composer, mine, now)
            else:
                out = await asyncio.to_thread(prepare_prompts, self.sessions, self.knowledge, mine,
                                              now.date())
            prepared = time.monotonic()
            results = await asyncio.gather(*(self._deliver(kind, c, out.get(c.person_id), held, gate)
                                             for c in won))
        finally:
            keeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeping
        delivered = time.monotonic()
        stats.sent += results.count("sent")
        stats.empty += results.count("empty")
        stats.failed += results.count("failed") + results.count("lost")
        done = [c for c, result in zip(won, results, strict=True) if result in ("sent", "empty")]
        await asyncio.to_thread(self._remember, kind, done, out, self.sender.learned())
        log.debug("%s batch of %d: claim %.2fs, prepare %.2fs, send and record %.2fs, remember %.2fs",
                  kind, len(won), claimed - started, prepared - claimed, delivered - prepared,
                  time.monotonic() - delivered)

    async def _deliver(self, kind: str, claim: Claim, outgoing: Outgoing | None,
                       held: dict[int, Claim], gate: asyncio.Semaphore) -> str:
        """'sent', 'empty', 'failed' (retried after the lease) or 'lost' (another replica has it)."""
        try:
            if outgoing is None:
                return "failed"
            if outgoing.reply is None:  # nothing to say: settled, so it is not claimed again
                await self.sessions.run(self._mark, claim)
                return "empty"
            async with gate:
                go_ahead = ClaimCheck(sessions=self.sessions, clock=self.clock, claim=claim, held=held,
                                      scope=scope_of(outgoing.to.platform, outgoing.to.workspace_id),
                                      budget=self.budget)
                if not await go_ahead():
                    log.info("claim on person %s was taken over; not sending", claim.person_id)
                    return "lost"

                async def record() -> None:
                    await self.sessions.run(self._mark, claim)

                if not await self._send(outgoing, outgoing.reply, record, go_ahead):
                    return "lost" if go_ahead.lost else "failed"
            if self._count_sent is not None:
                self._count_sent(kind=kind, platform=outgoing.to.platform)
            return "sent"
        finally:
            held.pop(claim.id, None)

    async def _keep(self, held: dict[int, Claim]) -> None:
        """Renew the lease of the batch's unsettled claims every third of the lease until cancelled."""
        every = self.config.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            if not held:
                continue
            try:
                kept = await self.sessions.run(self._hold, list(held.values()))
            except Exception:  # noqa: BLE001 - the check before each send still guards it
                log.exception("renewing %d claims failed", len(held))
                continue
            for claim_id in [i for i in held if i not in kept]:
                held.pop(claim_id, None)  # taken over, or already sent: never send it from here

    def _hold(self, claims_held: Sequence[Claim]) -> set[int]:
        with self.sessions() as session:
            return claims.hold(session, claims=claims_held, now=self.clock.now())

    def _mark(self, claim: Claim) -> None:
        with self.sessions() as session:
            if not claims.mark_sent(session, claims=[claim], now=self.clock.now()):
                log.warning("send to person %s was recorded by another replica first", claim.person_id)

    async def _send(self, outgoing: Outgoing, reply: Reply, record: Accepted, go_ahead: GoAhead) -> bool:
        try:
            return await self.sender.send(to=outgoing.to, reply=reply, picture=outgoing.picture,
                                          accepted=record, go_ahead=go_ahead)
        except Exception:  # noqa: BLE001 - one recipient's failure must never stop the rest
            log.exception("send to person %s failed", outgoing.to.person_id)
            return False

    def _remember(self, kind: str, sent: Sequence[Claim], out: dict[int, Outgoing],
                  learned: dict[int, tuple[str, dict[str, Any]]]) -> None:
        """After the batch: the DM channels learned and the KSBs prompted (the sends are recorded)."""
        with self.sessions() as session:
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
