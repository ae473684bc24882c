"""Review reminders: a week (per enrolment) before a progress review falls due, the apprentice
and their managers are reminded, each with a button that delivers the review pack as a file.

Exactly once through the weekly sends' claims: one `scheduled_send` row of kind
"review" per apprentice and due date, whose `week` column holds the due date.
The claim covers the reminder to the apprentice and to each of their managers;
it is marked sent once any of them was reached (the rest are logged).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.documents.review_doc import review_due
from bot.messages import Action, Reply
from bot.names import ActionId, IntentName
from bot.ports import Sender
from bot.prompt_files import render
from bot.scheduler.outgoing import addresses
from bot.scheduler.senders import reachable
from storage import people
from storage import schedule as claims
from storage.db import SessionFactory
from storage.reviews import ReviewCycle, review_cycles
from storage.schedule import Claim, Recipient

log = logging.getLogger(__name__)
REVIEW = "review"


@dataclass(frozen=True)
class Reminder:
    cycle: ReviewCycle
    due: date


def reminders_due(cycles: Sequence[ReviewCycle], today: date) -> list[Reminder]:
    """Reviews whose reminder day has come (an overdue one too: one reminder per due date)."""
    found: list[Reminder] = []
    for cycle in cycles:
        if not cycle.enabled:
            continue
        due = review_due(last_held=cycle.last_held, start=cycle.start_date,
                         interval_weeks=cycle.interval_weeks)
        if due - timedelta(days=cycle.remind_days_before) <= today:
            found.append(Reminder(cycle, due))
    return found


@dataclass
class ReviewReport:
    due: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0

    def line(self) -> str:
        return f"reviews: {self.due} due, {self.claimed} claimed, {self.sent} sent, {self.failed} failed"


def _reply(reminder: Reminder, *, manager_of: str = "") -> Reply:
    c = reminder.cycle
    values = {"due": reminder.due.isoformat(), "interval": str(c.interval_weeks),
              "since": (c.last_held or c.start_date).isoformat()}
    if manager_of:
        return Reply(text=render("review_reminder_manager.md", name=manager_of, **values),
                     intent=REVIEW,
                     actions=[Action(render("label_review_pack.md", name=manager_of), ActionId.REVIEW_PACK_FOR,
                                     {"apprentice_id": c.person_id})])
    return Reply(text=render("review_reminder.md", **values), intent=REVIEW,
                 actions=[Action(render("label_my_review_pack.md"), IntentName.REVIEW_PACK)])


class ReviewReminders:
    def __init__(self, *, sessions: SessionFactory, sender: Sender, lease: timedelta,
                 max_attempts: int) -> None:
        self._sessions = sessions
        self._sender = sender
        self._lease = lease
        self._max_attempts = max_attempts

    def _claim(self, found: Sequence[Reminder], now: datetime) -> list[Claim]:
        with self._sessions() as session:
            ids = [r.cycle.person_id for r in found]
            done = claims.settled(session, kind=REVIEW, person_ids=ids,
                                  max_attempts=self._max_attempts)
            keys = [(r.cycle.person_id, r.due.isoformat()) for r in found
                    if (r.cycle.person_id, r.due.isoformat()) not in done]
            return claims.claim(session, kind=REVIEW, keys=keys, now=now,
                                lease_cutoff=now - self._lease, max_attempts=self._max_attempts)

    def _recipients(self, apprentice_id: int) -> tuple[list[Recipient], list[Recipient]]:
        with self._sessions() as session:
            managers = [m.id for m in people.managers_of(session, apprentice_id=apprentice_id)
                        if m.id is not None]
            return (claims.apprentice_recipients(session, person_ids=[apprentice_id]),
                    claims.manager_recipients(session, person_ids=managers) if managers else [])

    async def _deliver(self, reminder: Reminder) -> bool:
        apprentice, managers = await asyncio.to_thread(self._recipients, reminder.cycle.person_id)
        name = apprentice[0].display_name if apprentice else ""
        plan = [(r, _reply(reminder)) for r in apprentice] + \
               [(r, _reply(reminder, manager_of=name or "Your apprentice")) for r in managers]
        plan = [(r, reply) for r, reply in plan
                if reachable(self._sender, platform=r.platform, has_reference=r.has_reference)]
        where = await asyncio.to_thread(addresses, self._sessions, [r for r, _ in plan])
        sent = 0
        for recipient, reply in plan:
            try:
                sent += bool(await self._sender.send(to=where[recipient.person_id], reply=reply))
            except Exception:  # noqa: BLE001 - one recipient's failure must not stop the rest
                log.exception("review reminder to person %s failed", recipient.person_id)
        return sent > 0

    async def tick(self, now: datetime) -> ReviewReport:
        report = ReviewReport()
        cycles = await asyncio.to_thread(self._cycles)
        found = reminders_due(cycles, now.date())
        report.due = len(found)
        if not found:
            return report
        won = await asyncio.to_thread(self._claim, found, now)
        report.claimed = len(won)
        by_key = {(r.cycle.person_id, r.due.isoformat()): r for r in found}
        delivered: list[Claim] = []
        for claim in won:
            if await self._deliver(by_key[(claim.person_id, claim.week)]):
                delivered.append(claim)
        report.sent, report.failed = len(delivered), len(won) - len(delivered)
        await asyncio.to_thread(self._mark, delivered, now)
        return report

    def _cycles(self) -> list[ReviewCycle]:
        with self._sessions() as session:
            return review_cycles(session)

    def _mark(self, delivered: Sequence[Claim], now: datetime) -> None:
        with self._sessions() as session:
            claims.mark_sent(session, claims=delivered, now=now)
