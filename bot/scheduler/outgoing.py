"""Turn a batch of claimed recipients into ready-to-send messages (prompts or nudges).

Reads are grouped per batch; the per-person work (choosing a KSB, writing a
summary, drawing the grid) happens in memory, and a failure for one person
leaves that person out rather than sinking the batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.messages import Reply
from bot.ownership import bind_to
from bot.ports import Address, Composer, Picture
from bot.scheduler.coverage_png import GridRow, render_grid
from bot.scheduler.due import NUDGE, Occurrence
from bot.scheduler.nudge_data import ApprenticeSummary, load_summaries
from bot.scheduler.nudges import compose_nudge
from bot.scheduler.weekly_prompts import plan_prompts
from bot.ui_text import ui
from knowledge.registry import Knowledge
from storage.db import SessionFactory
from storage.schedule import Recipient
from storage.schedule_data import conversation_refs_for

log = logging.getLogger(__name__)
PARALLEL_NUDGES = 8  # summaries written (LLM) and pictures drawn at once


@dataclass(frozen=True)
class Outgoing:
    """One message for one person; `ksb_id` is the prompt's KSB (remembered once sent)."""

    to: Address
    reply: Reply | None  # None: nothing to say (a manager whose apprentices have all left)
    picture: Picture | None = None
    ksb_id: str | None = None


Due = tuple[Recipient, Occurrence]


def addresses(sessions: SessionFactory, recipients: Sequence[Recipient]) -> dict[int, Address]:
    """Where each recipient is reached, with any stored reference (Teams chat, Slack DM channel)."""
    refs: dict[int, dict[str, object]] = {}
    with sessions() as session:
        for platform in sorted({r.platform for r in recipients}):
            ids = [r.person_id for r in recipients if r.platform == platform]
            refs.update(conversation_refs_for(session, person_ids=ids, platform=platform))
    return {r.person_id: Address(r.person_id, r.platform, r.workspace_id, r.user_id,
                                 dict(refs.get(r.person_id, {})))
            for r in recipients}


def prepare_prompts(sessions: SessionFactory, knowledge: Knowledge, batch: Sequence[Due],
                    today: date) -> dict[int, Outgoing]:
    recipients = [r for r, _ in batch]
    to = addresses(sessions, recipients)
    with sessions() as session:
        plans = plan_prompts(session, knowledge=knowledge, recipients=recipients,
                             weeks={r.person_id: o.week for r, o in batch}, today=today)
    return {pid: Outgoing(to[pid], bind_to(plan.reply, to[pid]), ksb_id=plan.ksb_id)
            for pid, plan in plans.items()}


def grid_picture(knowledge: Knowledge, summaries: Sequence[ApprenticeSummary],
                 day: date) -> Picture:
    rows = [GridRow(s.name, s.strengths) for s in summaries]
    title = ui("nudge_picture_title", day=day.isoformat())
    png = render_grid(knowledge.standard, rows, title=title)
    return Picture(png=png, filename=f"ksb-coverage-{day.isoformat()}.png", title=title,
                   alt=ui("nudge_picture_alt"))


async def prepare_nudges(sessions: SessionFactory, knowledge: Knowledge,
                         composer: Composer | None, batch: Sequence[Due],
                         now: datetime) -> dict[int, Outgoing]:
    """Summaries are read per local date (a manager's "this week" ends on their own today)."""
    to = await asyncio.to_thread(addresses, sessions, [r for r, _ in batch])
    by_day: dict[date, list[Recipient]] = defaultdict(list)
    for recipient, occurrence in batch:
        by_day[occurrence.local_date].append(recipient)
    out: dict[int, Outgoing] = {}
    gate = asyncio.Semaphore(PARALLEL_NUDGES)

    async def one(manager: Recipient, team: Sequence[ApprenticeSummary], day: date) -> None:
        async with gate:
            try:
                out[manager.person_id] = await _nudge(knowledge, composer, manager, team, day,
                                                      to[manager.person_id])
            except Exception:  # noqa: BLE001 - one manager's failure must not stop the rest
                log.exception("nudge for person %s could not be prepared", manager.person_id)

    for day, managers in by_day.items():
        summaries = await asyncio.to_thread(_summaries, sessions, knowledge, managers, day, now)
        await asyncio.gather(*(one(m, summaries.get(m.person_id, []), day) for m in managers))
    return out


def _summaries(sessions: SessionFactory, knowledge: Knowledge, managers: Sequence[Recipient],
               day: date, now: datetime) -> dict[int, list[ApprenticeSummary]]:
    with sessions() as session:
        return load_summaries(session, knowledge=knowledge,
                              manager_ids=[m.person_id for m in managers], today=day, now=now)


async def _nudge(knowledge: Knowledge, composer: Composer | None, manager: Recipient,
                 team: Sequence[ApprenticeSummary], day: date, to: Address) -> Outgoing:
    if not team:
        return Outgoing(to, None)
    reply = await compose_nudge(composer=composer, manager=manager.display_name,
                                summaries=team, knowledge=knowledge, day=day)
    picture = await asyncio.to_thread(grid_picture, knowledge, team, day)
    reply.metadata["kind"] = NUDGE
    return Outgoing(to, reply, picture)
