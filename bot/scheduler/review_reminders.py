"""Review reminders: a week (per enrolment) before a progress review falls due, the apprentice
and each of their managers are reminded, with the review pack attached as a file.

Exactly once per recipient, through the weekly sends' claims: one
`scheduled_send` row of kind "review" per recipient and due date. The
apprentice's row has the due date as its occurrence key; each manager's has
"<due date>/<apprentice id>" (a manager may have several apprentices due the
same day). So a manager whose send failed is retried after the lease, like a
weekly prompt, while the apprentice's reminder stands. Each recipient is
claimed just before their pack is made (a PDF takes seconds), the claim is
re-checked immediately before the send, and the send is recorded as soon as
the platform accepts it.

The pack is the one chat makes: the apprentice's own (with their entries), or
a manager's copy (figures and tags, no entry text). It travels the way chat
exports do: uploaded into the Slack DM, offered through file consent on Teams
(accepting makes it again for whoever accepted). If the pack cannot be made,
the reminder still goes, with its button to ask for the pack.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.coaching.authz import Actor
from bot.documents.files import CHAT_DOCUMENT_FORMAT, DocumentFile, export_metadata
from bot.documents.review_doc import ReviewPack, review_due
from bot.messages import Action, Reply
from bot.names import ActionId, IntentName
from bot.ownership import bind_to
from bot.ports import Sender
from bot.scheduler.budget import SendBudget, scope_of
from bot.scheduler.clock import Clock
from bot.scheduler.go_ahead import ClaimCheck
from bot.scheduler.outgoing import addresses
from bot.scheduler.senders import SendCounter, reachable
from bot.ui_text import ui
from storage import people
from storage import schedule as claims
from storage.db import SessionFactory
from storage.reviews import ReviewCycle, review_cycles
from storage.schedule import Claim, Recipient

log = logging.getLogger(__name__)
REVIEW = "review"


class Packs(Protocol):
    """Makes a review pack file for whoever asks (`ReviewService` is one)."""

    async def pack_file(self, *, actor: Actor, person_id: int, fmt: str, today: date,
                        start: date | None = None, end: date | None = None
                        ) -> tuple[ReviewPack, DocumentFile]: ...


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


@dataclass(frozen=True)
class Delivery:
    """One reminder to one person: the apprentice, or one of their managers (`role` says which)."""

    reminder: Reminder
    to: Recipient
    role: str
    apprentice_name: str

    @property
    def for_manager(self) -> bool:
        return self.to.person_id != self.reminder.cycle.person_id

    @property
    def key(self) -> tuple[int, str]:
        """The claim's (person, occurrence): the due date, plus the apprentice for a manager."""
        due = self.reminder.due.isoformat()
        return self.to.person_id, (f"{due}/{self.reminder.cycle.person_id}" if self.for_manager else due)


@dataclass
class ReviewReport:
    due: int = 0  # one per recipient
    claimed: int = 0
    sent: int = 0
    failed: int = 0

    def line(self) -> str:
        return f"reviews: {self.due} due, {self.claimed} claimed, {self.sent} sent, {self.failed} failed"


def reminder_reply(delivery: Delivery) -> Reply:
    c = delivery.reminder.cycle
    values = {"due": delivery.reminder.due.isoformat(), "interval": str(c.interval_weeks),
              "since": (c.last_held or c.start_date).isoformat()}
    if delivery.for_manager:
        name = delivery.apprentice_name or ui("review_reminder_someone")
        return Reply(text=ui("review_reminder_manager", name=name, **values), intent=REVIEW,
                     actions=[Action(ui("label_review_pack", name=name), ActionId.REVIEW_PACK_FOR,
                                     {"apprentice_id": c.person_id})])
    return Reply(text=ui("review_reminder", **values), intent=REVIEW,
                 actions=[Action(ui("label_my_review_pack"), IntentName.REVIEW_PACK)])


class ReviewReminders:
    def __init__(self, *, sessions: SessionFactory, sender: Sender, lease: timedelta, max_attempts: int,
                 clock: Clock, packs: Packs | None = None, budget: SendBudget | None = None,
                 count_sent: SendCounter | None = None) -> None:
        self._sessions = sessions
        self._clock = clock  # claims are stamped when made and renewed when checked, not at the tick's start
        self._sender = sender
        self._lease = lease
        self._max_attempts = max_attempts
        self._packs = packs
        self._budget = budget
        self._count_sent = count_sent

    def _cycles(self) -> list[ReviewCycle]:
        with self._sessions() as session:
            return review_cycles(session)

    def _deliveries(self, found: Sequence[Reminder]) -> list[Delivery]:
        """Everyone each reminder goes to who can be reached: the apprentice, then their managers."""
        out: list[Delivery] = []
        with self._sessions() as session:
            for reminder in found:
                apprentice_id = reminder.cycle.person_id
                managers = {m.id: m.role for m in people.managers_of(session, apprentice_id=apprentice_id)
                            if m.id is not None}
                own = claims.apprentice_recipients(session, person_ids=[apprentice_id])
                name = own[0].display_name if own else ""
                out += [Delivery(reminder, r, "apprentice", name) for r in own]
                if managers:
                    out += [Delivery(reminder, r, managers.get(r.person_id, "manager"), name)
                            for r in claims.manager_recipients(session, person_ids=list(managers))]
        return [d for d in out
                if reachable(self._sender, platform=d.to.platform, has_reference=d.to.has_reference)]

    def _settled(self, deliveries: Sequence[Delivery]) -> set[tuple[int, str]]:
        with self._sessions() as session:
            return claims.settled(session, kind=REVIEW, person_ids=sorted({d.to.person_id for d in deliveries}),
                                  max_attempts=self._max_attempts)

    def _claim(self, delivery: Delivery) -> Claim | None:
        now = self._clock.now()
        with self._sessions() as session:
            won = claims.claim(session, kind=REVIEW, keys=[delivery.key], now=now,
                               lease_cutoff=now - self._lease, max_attempts=self._max_attempts)
        return won[0] if won else None

    def _mark(self, claim: Claim) -> None:
        with self._sessions() as session:
            claims.mark_sent(session, claims=[claim], now=self._clock.now())

    async def _attach(self, reply: Reply, delivery: Delivery, today: date) -> None:
        """The pack as the recipient may see it, as a file on the reminder; without it on failure."""
        if self._packs is None:
            return
        apprentice_id = delivery.reminder.cycle.person_id
        try:
            _pack, file = await self._packs.pack_file(actor=Actor(delivery.to.person_id, delivery.role),
                                                      person_id=apprentice_id, fmt=CHAT_DOCUMENT_FORMAT,
                                                      today=today)
        except Exception:  # noqa: BLE001 - the reminder matters more than its attachment
            log.exception("review pack for person %s could not be made; reminding without it",
                          delivery.to.person_id)
            return
        redo = ({"action": ActionId.REVIEW_PACK_FOR.value, "payload": {"apprentice_id": apprentice_id}}
                if delivery.for_manager else {"action": IntentName.REVIEW_PACK.value, "payload": {}})
        reply.metadata["export"] = export_metadata(file, redo=redo)
        reply.text = f"{reply.text}\n\n{ui('review_reminder_attached', filename=file.filename)}"

    async def _deliver(self, delivery: Delivery, claim: Claim, now: datetime) -> bool:
        reply = reminder_reply(delivery)
        await self._attach(reply, delivery, now.date())
        where = await self._sessions.run(addresses, self._sessions, [delivery.to])
        bind_to(reply, where[delivery.to.person_id])
        go_ahead = ClaimCheck(sessions=self._sessions, clock=self._clock, claim=claim, budget=self._budget,
                              scope=scope_of(delivery.to.platform, delivery.to.workspace_id))
        if not await go_ahead():
            log.info("review reminder to person %s was taken over; not sending", delivery.to.person_id)
            return False

        async def record() -> None:
            await self._sessions.run(self._mark, claim)

        try:
            return await self._sender.send(to=where[delivery.to.person_id], reply=reply, accepted=record,
                                           go_ahead=go_ahead)
        except Exception:  # noqa: BLE001 - one recipient's failure must not stop the rest
            log.exception("review reminder to person %s failed", delivery.to.person_id)
            return False

    async def tick(self, now: datetime) -> ReviewReport:
        report = ReviewReport()
        cycles = await self._sessions.run(self._cycles)
        found = reminders_due(cycles, now.date())
        if not found:
            return report
        deliveries = await self._sessions.run(self._deliveries, found)
        report.due = len(deliveries)
        settled = await self._sessions.run(self._settled, deliveries)
        for delivery in deliveries:
            if delivery.key in settled:
                continue
            claim = await self._sessions.run(self._claim, delivery)
            if claim is None:
                continue
            report.claimed += 1
            if await self._deliver(delivery, claim, now):
                report.sent += 1
                if self._count_sent is not None:
                    self._count_sent(kind=REVIEW, platform=delivery.to.platform)
            else:
                report.failed += 1
        return report
