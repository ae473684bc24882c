"""The apprentice's home at a glance: coverage picture, suggestions waiting, the last entries.

One reply that a platform's home surface (Slack's App Home) lays out as it
likes: the picture as PNG bytes in `metadata["coverage_png"]`, the waiting
suggestions as Confirm/Remove actions, the last entries as text.
"""

from __future__ import annotations

import asyncio

from bot.coaching.evidence import short_quote
from bot.documents.portfolio_doc import coverage_picture
from bot.handlers.common import Services
from bot.handlers.entry_edits import tag_actions
from bot.handlers.navigation import log_line
from bot.intents import Intent
from bot.messages import Action, Incoming, Reply
from bot.names import ActionId
from bot.ui_text import ui

HOME_ENTRIES = 5
HOME_PENDING = 4  # entries whose waiting suggestions get buttons (Block Kit allows 25 per row set)


class Home:
    """The home at a glance, as one reply a platform's home surface (Slack's App Home) lays out."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def home(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.actor(incoming.user)
        views = await self.s.sessions.run(self.s.reflections.entries, actor=actor, person_id=actor.id)
        progress = await self.s.progress.for_person_async(actor=actor, apprentice_id=actor.id, today=self.s.today())
        picture = await asyncio.to_thread(coverage_picture, self.s.knowledge.standard, progress,
                                          incoming.user.display_name or ui("home_you"))
        pending = [(v, [t.ksb_id for t in v.tags if t.source == "suggested"]) for v in views]
        pending = [(v, waiting) for v, waiting in pending if waiting][:HOME_PENDING]
        waiting_lines = [ui("home_pending_line", id=str(v.entry.id), date=v.entry.work_date.isoformat(),
                            ksbs=", ".join(w), text=short_quote(v.entry.text, 100)).strip()
                         for v, w in pending]
        actions = [a for v, w in pending if v.entry.id is not None
                   for a in tag_actions(v.entry.id, w, name_entry=True)]
        text = ui("home", covered=str(progress.covered), total=str(progress.total),
                  pending="\n".join(waiting_lines) or ui("home_nothing_pending").strip(),
                  entries="\n".join(log_line(v) for v in views[:HOME_ENTRIES])
                  or ui("log_empty").strip())
        actions.append(Action(ui("home_log_button").strip(), ActionId.REFLECT_OPEN, {}, style="primary"))
        return Reply(text=text, actions=actions, intent=ActionId.HOME,
                     metadata={"coverage_png": picture, "covered": progress.covered, "total": progress.total,
                               "pending": {str(v.entry.id): w for v, w in pending}})
