"""Data rights (export, delete with confirmation) and answer feedback."""

from __future__ import annotations

import json
from typing import Any

from bot.coaching.data_rights import row_count
from bot.handlers.common import Services
from bot.intents import Intent
from bot.messages import Action, Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ui_text import ui
from storage import entries, feedback


class DataRequests:
    """Export and delete (with a confirming button) a person's data, and feedback on an answer."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def export(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.actor(incoming.user)
        data = await self.s.sessions.run(self.s.data_rights.export, actor=actor, person_id=actor.id,
                                         event_key=incoming.event_id)
        content = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
        return Reply(text=ui("export_data", rows=str(row_count(data))),
                     intent=IntentName.EXPORT_DATA,
                     metadata={"export": {"format": "json", "filename": "ksb-coach-my-data.json",
                                          "content": content}})

    async def delete(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.existing_actor(incoming.user)
        count = 0
        if actor is not None:
            count = await self.s.sessions.run(_entry_count, self.s, actor.id)
        return Reply(text=ui("delete_confirm", entries=str(count)),
                     intent=IntentName.DELETE_DATA,
                     actions=[Action(ui("label_delete_confirm"), ActionId.DATA_DELETE_CONFIRM, {},
                                     style="danger")])

    async def confirm_delete(self, incoming: Incoming, _intent: Intent) -> Reply:
        actor = await self.s.existing_actor(incoming.user)
        if actor is None:
            return Reply(text=ui("delete_nothing"), intent=ActionId.DATA_DELETE_CONFIRM)
        counts = await self.s.sessions.run(self.s.data_rights.delete, actor=actor, person_id=actor.id,
                                           confirmed=True)
        return Reply(text=ui("delete_done", rows=str(sum(counts.values()))),
                     intent=ActionId.DATA_DELETE_CONFIRM, metadata={"deleted": counts})

    async def feedback(self, incoming: Incoming, _intent: Intent) -> Reply:
        value = str(incoming.payload.get("value", "")).lower()
        if value not in {"up", "down"}:
            return Reply(text=ui("feedback_invalid"), intent=ActionId.FEEDBACK)
        actor = await self.s.actor(incoming.user)
        cited = incoming.payload.get("cited_ids") or incoming.payload.get("cited") or []
        await self.s.sessions.run(_store_feedback, self.s, actor.id, value,
                                  str(incoming.payload.get("answer_id", "")), cited, incoming.event_id)
        return Reply(text=ui("feedback_thanks"), intent=ActionId.FEEDBACK)



def _entry_count(s: Services, person_id: int) -> int:
    with s.sessions() as session:
        return entries.count_entries(session, person_id=person_id)


def _store_feedback(s: Services, person_id: int, value: str, answer_id: str, cited: Any, event_key: str) -> None:
    """One vote per click (`event_key`): a replayed or doubly taken click is not counted twice."""
    ids = [str(c) for c in cited] if isinstance(cited, list | tuple) else []
    with s.sessions() as session:
        feedback.add_feedback(session, person_id=person_id, value=value, answer_id=answer_id,
                              cited_ids=[i for i in ids if s.knowledge.standard.ksb(i)], event_key=event_key)
        session.commit()
