"""Where am I and what next: the apprentice's log, and their weakest KSBs with one idea each."""

from __future__ import annotations

from bot.coaching.evidence import short_quote
from bot.coaching.reflections import EntryView
from bot.handlers.common import Services
from bot.intents import Intent
from bot.messages import Incoming, Reply
from bot.names import IntentName
from bot.ui_text import ui

LOG_SHOWN = 10
NEXT_SHOWN = 3
_MARKS = {"confirmed": "\u2713", "suggested": "?"}


def log_line(view: EntryView) -> str:
    entry = view.entry
    tags = " ".join(f"{t.ksb_id}{_MARKS[t.source]}" for t in view.tags if t.source in _MARKS)
    return ui("log_line", id=str(entry.id), date=entry.work_date.isoformat(),
              hours=f"{entry.otj_hours:g}", tags=tags or "-", text=short_quote(entry.text, 120))


class Navigation:
    """The apprentice's log, and their weakest KSBs with one idea each."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def log(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.actor(incoming.user)
        views = await self.s.sessions.run(self.s.reflections.entries, actor=actor, person_id=actor.id)
        if not views:
            return Reply(text=ui("log_empty"), intent=IntentName.LOG, metadata={"entries": 0})
        shown = views[:LOG_SHOWN]
        text = ui("log", shown=str(len(shown)), count=str(len(views)),
                  lines="\n".join(log_line(v) for v in shown))
        return Reply(text=text, intent=IntentName.LOG, followups=[ui("followup_next_steps"), ui("followup_progress")],
                     metadata={"entries": len(views), "shown": [v.entry.id for v in shown]})

    async def next_steps(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.actor(incoming.user)
        progress = await self.s.progress.for_person_async(actor=actor, apprentice_id=actor.id, today=self.s.today())
        weakest = progress.weakest[:NEXT_SHOWN]
        lines = []
        for k in weakest:
            guide = self.s.knowledge.guidance.for_ksb(k.id)
            idea = guide.evidence[0] if guide and guide.evidence else ui("next_steps_idea_default")
            lines.append(ui("next_steps_line", id=k.id, text=short_quote(k.text, 110), idea=idea))
        text = ui("next_steps", covered=str(progress.covered), total=str(progress.total),
                  lines="\n".join(lines))
        ids = [k.id for k in weakest]
        return Reply(text=text, citations=self.s.citations(ids), intent=IntentName.NEXT_STEPS,
                     followups=[ui("followup_evidence", id=ids[0]) if ids else ui("followup_progress"),
                                ui("followup_log"), ui("followup_reflections")],
                     metadata={"weakest": ids})
