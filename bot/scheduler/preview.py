"""What a person would be sent, and when, without claiming or sending anything."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.messages import Reply
from bot.ports import Picture
from bot.scheduler.clock import zone, zone_name
from bot.scheduler.due import NUDGE, PROMPT, Occurrence, due, upcoming
from bot.scheduler.outgoing import prepare_nudges, prepare_prompts
from bot.scheduler.tick import Scheduler, schedule_of
from storage import schedule as claims
from storage.schedule import Recipient


@dataclass(frozen=True)
class PreviewItem:
    kind: str
    person_id: int
    name: str
    timezone: str
    when: Occurrence | None  # the occurrence due now, else the next one; None when switched off
    due_now: bool
    already_sent: bool
    reply: Reply | None
    picture: Picture | None


def _recipients(scheduler: Scheduler, person_id: int) -> list[tuple[str, Recipient]]:
    with scheduler.sessions() as session:
        found = [(PROMPT, r) for r in claims.apprentice_recipients(session, person_ids=[person_id])]
        found += [(NUDGE, r) for r in claims.manager_recipients(session, person_ids=[person_id])]
        return found


def _sent(scheduler: Scheduler, kind: str, person_id: int) -> set[tuple[int, str]]:
    with scheduler.sessions() as session:
        return claims.settled(session, kind=kind, person_ids=[person_id],
                              max_attempts=scheduler.config.max_attempts)


async def preview(scheduler: Scheduler, person_id: int) -> list[PreviewItem]:
    """The prompt (apprentices) and/or nudge (managers) for one person, as it stands now."""
    now = scheduler.clock.now()
    defaults = scheduler.config.defaults
    items: list[PreviewItem] = []
    for kind, recipient in await asyncio.to_thread(_recipients, scheduler, person_id):
        tz_name = zone_name(recipient.timezone, defaults.timezone)
        schedule = schedule_of(recipient, kind, defaults)
        tz = zone(tz_name, defaults.timezone)
        current = due(schedule, tz, now, grace=scheduler.config.grace)
        when = current or upcoming(schedule, tz, now)
        sent = await asyncio.to_thread(_sent, scheduler, kind, person_id)
        reply, picture = None, None
        if when is not None:
            batch = [(recipient, when)]
            if kind == NUDGE:
                out = await prepare_nudges(scheduler.sessions, scheduler.knowledge,
                                           scheduler.composer, batch, now)
            else:
                out = await asyncio.to_thread(prepare_prompts, scheduler.sessions,
                                              scheduler.knowledge, batch, now.date())
            outgoing = out.get(person_id)
            if outgoing is not None:
                reply, picture = outgoing.reply, outgoing.picture
        items.append(PreviewItem(
            kind=kind, person_id=person_id, name=recipient.display_name, timezone=tz_name,
            when=when, due_now=current is not None,
            already_sent=when is not None and (person_id, when.week) in sent,
            reply=reply, picture=picture))
    return items
